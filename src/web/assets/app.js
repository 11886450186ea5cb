// The live page: one EventSource on /events; a "snapshot" event rebuilds
// everything, each "update" event patches changed rows, adds new order events
// and refreshes the connection panel. No library: the charts are canvas lines.
"use strict";

const rows = new Map(); // id -> {tr, cells, history, last}
const HISTORY = 120;
const MAX_ORDERS = 100;

const $ = (sel) => document.querySelector(sel);
const fmt = (v, d = 2) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));
const fmtInt = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en-IN"));

function cell(tr, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function addRow(r) {
  const tr = document.createElement("tr");
  tr.dataset.id = r.id;
  const cells = {
    symbol: cell(tr, "l symbol"), id: cell(tr, "l id muted"), ltp: cell(tr, "ltp"),
    change: cell(tr, "change"), pct: cell(tr, "pct"), volume: cell(tr, "volume"),
    bid: cell(tr, "bid"), ask: cell(tr, "ask"), ltt: cell(tr, "ltt"), chart: cell(tr, "l chart"),
  };
  const canvas = document.createElement("canvas");
  canvas.className = "spark";
  canvas.width = 140;
  canvas.height = 28;
  cells.chart.appendChild(canvas);
  cells.symbol.textContent = r.symbol;
  cells.id.textContent = r.id;
  const row = { tr, cells, canvas, history: [], last: null };
  rows.set(r.id, row);
  $("#instruments tbody").appendChild(tr);
  return row;
}

function setRow(r, fromSnapshot) {
  const row = rows.get(r.id) || addRow(r);
  if (fromSnapshot && Array.isArray(r.history)) {
    row.history = r.history.slice(-HISTORY);
  } else if (r.ltp !== null && (row.history.length === 0 || row.history[row.history.length - 1] !== r.ltp)) {
    row.history.push(r.ltp);
    if (row.history.length > HISTORY) row.history.shift();
  }
  const c = row.cells;
  c.ltp.textContent = fmt(r.ltp);
  c.change.textContent = r.change === null ? "—" : (r.change >= 0 ? "+" : "") + fmt(r.change);
  c.pct.textContent = r.pct === null ? "—" : (r.pct >= 0 ? "+" : "") + fmt(r.pct) + "%";
  const dir = r.change === null ? "" : r.change >= 0 ? "up" : "down";
  c.change.className = "change " + dir;
  c.pct.className = "pct " + dir;
  c.volume.textContent = fmtInt(r.volume);
  c.bid.textContent = fmt(r.bid);
  c.ask.textContent = fmt(r.ask);
  c.ltt.textContent = r.ltt || "—";
  row.tr.dataset.updates = r.updates;
  if (row.last !== null && r.ltp !== null && r.ltp !== row.last) {
    row.tr.classList.remove("flash-up", "flash-down");
    void row.tr.offsetWidth;
    row.tr.classList.add(r.ltp > row.last ? "flash-up" : "flash-down");
  }
  row.last = r.ltp;
  draw(row);
}

function draw(row) {
  const cv = row.canvas;
  const g = cv.getContext("2d");
  const h = row.history;
  g.clearRect(0, 0, cv.width, cv.height);
  if (h.length < 2) return;
  let lo = Math.min(...h), hi = Math.max(...h);
  if (hi === lo) { hi += 1; lo -= 1; }
  g.lineWidth = 1.5;
  g.strokeStyle = h[h.length - 1] >= h[0] ? "#2ecc71" : "#ff5c5c";
  g.beginPath();
  h.forEach((v, i) => {
    const x = (i / (Math.max(h.length, 30) - 1)) * (cv.width - 2) + 1;
    const y = cv.height - 2 - ((v - lo) / (hi - lo)) * (cv.height - 4);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
}

const ladders = new Map(); // id -> element

function setDepth(d) {
  let box = ladders.get(d.id);
  if (!box) {
    box = document.createElement("div");
    box.className = "ladder";
    box.dataset.id = d.id;
    $("#depth").appendChild(box);
    ladders.set(d.id, box);
    $("#depth-section").hidden = false;
  }
  box.textContent = "";
  const title = document.createElement("div");
  title.className = "title";
  title.textContent = d.symbol;
  const sub = document.createElement("span");
  sub.className = "muted";
  sub.textContent = `${d.id} · spread ${fmt(d.spread)}`;
  title.appendChild(sub);
  box.appendChild(title);
  const table = document.createElement("table");
  const head = document.createElement("tr");
  for (const h of ["Orders", "Qty", "Bid", "Ask", "Qty", "Orders"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.appendChild(th);
  }
  table.appendChild(head);
  const n = Math.max(d.bids.length, d.asks.length);
  for (let i = 0; i < n; i++) {
    const tr = document.createElement("tr");
    const b = d.bids[i], a = d.asks[i];
    cell(tr, "bid").textContent = b ? fmtInt(b[2]) : "";
    cell(tr, "bid").textContent = b ? fmtInt(b[1]) : "";
    cell(tr, "bid price").textContent = b ? fmt(b[0]) : "";
    cell(tr, "ask price").textContent = a ? fmt(a[0]) : "";
    cell(tr, "ask").textContent = a ? fmtInt(a[1]) : "";
    cell(tr, "ask").textContent = a ? fmtInt(a[2]) : "";
    table.appendChild(tr);
  }
  box.appendChild(table);
}

function describe(o) {
  switch (o.event || o.kind) {
    case "order_update":
      return `${o.status || ""} ${o.txn_type || ""} ${o.quantity ?? ""} ${o.display_name || o.symbol || ""} @ ${o.price ?? ""}, traded ${o.traded_qty ?? 0}`;
    case "status_change": return `${o.previous} → ${o.new}${o.reconciled ? " (reconciled)" : ""}`;
    case "execution":
      return `${o.previous_traded_qty} → ${o.new_traded_qty} (${fmt(o.execution_percentage, 1)}%)${o.reconciled ? " (reconciled)" : ""}`;
    case "close": return `closed ${o.code ?? ""} ${o.reason || ""}`;
    case "error": return o.message || "";
    case "gap": return `missed updates (${o.reason}${o.missed ? ", " + o.missed : ""}); reconciling`;
    case "reconciled": return `${o.orders} orders checked, ${o.changed} changed`;
    default: return o.reason || "";
  }
}

function addOrders(list) {
  if (!list.length) return;
  $("#no-orders").hidden = true;
  const body = $("#orders tbody");
  const seen = new Date().toLocaleTimeString();
  for (const o of list) {
    const tr = document.createElement("tr");
    tr.className = "order " + (o.event || o.kind);
    cell(tr, "l").textContent = seen;
    cell(tr, "l").textContent = o.event || o.kind;
    cell(tr, "l").textContent = o.order_no || "";
    cell(tr, "detail").textContent = describe(o);
    body.insertBefore(tr, body.firstChild);
  }
  while (body.children.length > MAX_ORDERS) body.removeChild(body.lastChild);
}

function age(ms) {
  if (ms === null || ms === undefined) return "—";
  return ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s";
}

function setFeeds(feeds) {
  const box = $("#feeds");
  box.textContent = "";
  for (const f of feeds) {
    const div = document.createElement("div");
    div.className = "feed";
    div.dataset.state = f.state;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = f.name;
    const badge = document.createElement("span");
    badge.className = "badge " + f.state;
    badge.textContent = f.state;
    div.append(name, badge);
    const dl = document.createElement("dl");
    const items = [
      ["connections", `${f.live}/${f.connections} live`], ["reconnects", f.reconnects],
      ["last message", age(f.last_message_age_ms)], ["last frame", age(f.last_frame_age_ms)],
      ["dropped", f.dropped], ["malformed", f.malformed], ["gaps", f.gaps],
    ];
    if (f.cause) items.push(["cause", f.cause]);
    for (const [k, v] of items) {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dl.append(dt, dd);
    }
    div.appendChild(dl);
    box.appendChild(div);
  }
}

function apply(data, snapshot) {
  if (snapshot) {
    rows.clear();
    ladders.clear();
    $("#depth").textContent = "";
    $("#instruments tbody").textContent = "";
    $("#orders tbody").textContent = "";
    $("#no-orders").hidden = false;
  }
  data.instruments.forEach((r) => setRow(r, snapshot));
  (data.depth || []).forEach(setDepth);
  $("#no-instruments").hidden = rows.size > 0;
  addOrders(data.orders);
  setFeeds(data.feeds);
  $("#clock").textContent = "updated " + new Date().toLocaleTimeString();
}

function connect() {
  const es = new EventSource("/events");
  const badge = $("#stream");
  es.addEventListener("snapshot", (e) => apply(JSON.parse(e.data), true));
  es.addEventListener("update", (e) => apply(JSON.parse(e.data), false));
  es.onopen = () => { badge.textContent = "streaming"; badge.className = "badge live"; };
  es.onerror = () => { badge.textContent = "reconnecting…"; badge.className = "badge down"; };
}

connect();
