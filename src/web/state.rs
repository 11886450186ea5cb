//! What the page shows, kept by the web thread: one row per instrument (read from
//! the last-value cache), a short price history per instrument for its chart, the
//! latest order events, and every feed's health. Rendered as JSON for the event
//! stream, `/snapshot`, `/health` and `/subscriptions`.

use crate::cache::{DepthCache, DepthTop, LastValueCache};
use crate::feed::{HealthProbe, OrderEvent, OrderFeed};
use crate::jsonl::field;
use crate::proto::json::{push_f32, push_f64, push_str, push_u64};
use crate::proto::segment::InstrumentId;
use crossbeam_channel::Receiver;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One instrument's row.
pub(super) struct Row {
    pub id: InstrumentId,
    /// The cache of the feed that subscribed it.
    cache: LastValueCache,
    pub symbol: String,
    /// The sum of the cache's update counters when last read (a change means news).
    seen: u64,
    /// LTPs sampled at each change, oldest first.
    history: VecDeque<f32>,
    fields: RowFields,
}

/// A row's values, as the cache last had them.
#[derive(Clone, Copy, Default)]
struct RowFields {
    ltp: Option<f32>,
    prev_close: Option<f32>,
    volume: Option<u32>,
    bid: Option<f32>,
    ask: Option<f32>,
    /// Last trade time, IST seconds of the day.
    ltt: Option<u32>,
    /// When the latest packet was read ([`crate::now_ns`]).
    recv_ns: u64,
    updates: u64,
}

/// One instrument of a depth feed: its top levels, read from the depth cache.
pub(super) struct DepthRow {
    pub id: InstrumentId,
    pub symbol: String,
    cache: DepthCache,
    /// Both sides' update counts when last read.
    seen: u64,
    top: Option<DepthTop>,
}

impl DepthRow {
    pub(super) fn new(id: InstrumentId, symbol: String, cache: DepthCache) -> Self {
        Self {
            id,
            symbol,
            cache,
            seen: 0,
            top: None,
        }
    }

    /// Reads the cache; whether the book changed.
    fn refresh(&mut self) -> bool {
        let Some(top) = self.cache.top(self.id) else {
            return false;
        };
        let n = top.bids.map_or(0, |s| s.updates) + top.asks.map_or(0, |s| s.updates);
        if n == self.seen {
            return false;
        }
        self.seen = n;
        self.top = Some(top);
        true
    }
}

/// A feed the page reports on.
pub(super) struct FeedEntry {
    pub name: String,
    pub kind: &'static str,
    pub mode: String,
    pub probe: HealthProbe,
    pub instruments: Vec<InstrumentId>,
    /// Order-feed gaps seen on their way to the page.
    pub gaps: u64,
}

/// An order event rendered for the page, and whether it is a gap.
pub(super) struct OrderLine {
    pub json: Vec<u8>,
    pub gap: bool,
}

impl OrderLine {
    pub(super) fn of(ev: &OrderEvent) -> Self {
        let mut json = Vec::with_capacity(256);
        crate::jsonl::order_event(ev, &mut json);
        if json.last() == Some(&b'\n') {
            json.pop();
        }
        Self {
            json,
            gap: matches!(ev, OrderEvent::Gap { .. }),
        }
    }
}

/// Everything the page shows.
pub(super) struct PageState {
    pub rows: Vec<Row>,
    pub depth: Vec<DepthRow>,
    pub feeds: Vec<FeedEntry>,
    /// The feed the web thread drains itself, and its index in `feeds`.
    pub order_feed: Option<(OrderFeed, usize)>,
    /// Events another thread forwards ([`super::OrderSender`]), for `feeds[.1]`.
    pub order_rx: Option<(Receiver<OrderLine>, usize)>,
    pub orders: VecDeque<Vec<u8>>,
    pub order_rows: usize,
    pub history: usize,
    pub stale_after: Duration,
}

/// The largest number of order events taken from their sources per tick (the
/// rest wait for the next one; the ring or channel holds them).
const ORDERS_PER_TICK: usize = 10_000;

impl PageState {
    pub(super) fn row(
        id: InstrumentId,
        symbol: String,
        cache: LastValueCache,
        history: usize,
    ) -> Row {
        Row {
            id,
            cache,
            symbol,
            seen: 0,
            history: VecDeque::with_capacity(history),
            fields: RowFields::default(),
        }
    }

    /// Reads the cache and the order sources; appends to `delta` the update the
    /// streams get this tick (changed rows, new order events, every feed's health).
    pub(super) fn tick(&mut self, now: Instant, delta: &mut Vec<u8>) {
        delta.extend_from_slice(b"{\"instruments\":[");
        let mut first = true;
        for i in 0..self.rows.len() {
            if self.refresh(i) {
                if !first {
                    delta.push(b',');
                }
                first = false;
                row_json(&self.rows[i], false, delta);
            }
        }
        delta.extend_from_slice(b"],\"depth\":[");
        let mut first = true;
        for d in &mut self.depth {
            if d.refresh() {
                if !first {
                    delta.push(b',');
                }
                first = false;
                depth_json(d, delta);
            }
        }
        delta.extend_from_slice(b"],\"orders\":");
        let fresh = self.take_orders();
        let start = self.orders.len() - fresh;
        array(delta, self.orders.range(start..), |o, out| {
            out.extend_from_slice(o)
        });
        delta.extend_from_slice(b",\"feeds\":");
        self.feeds_json(now, delta);
        delta.push(b'}');
    }

    /// The whole state: every row with its history, the kept order events, the feeds.
    pub(super) fn snapshot(&self, now: Instant, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"instruments\":");
        array(out, &self.rows, |r, out| row_json(r, true, out));
        out.extend_from_slice(b",\"depth\":");
        array(out, &self.depth, depth_json);
        out.extend_from_slice(b",\"orders\":");
        array(out, &self.orders, |o, out| out.extend_from_slice(o));
        out.extend_from_slice(b",\"feeds\":");
        self.feeds_json(now, out);
        out.push(b'}');
    }

    /// Reads row `i` from the cache; whether it changed.
    fn refresh(&mut self, i: usize) -> bool {
        let row = &mut self.rows[i];
        let Some(l) = row.cache.latest(row.id) else {
            return false;
        };
        let count = |u: Option<u64>| u.unwrap_or(0);
        let updates = count(l.ticker.map(|s| s.updates))
            + count(l.quote.map(|s| s.updates))
            + count(l.full.map(|s| s.updates))
            + count(l.oi.map(|s| s.updates))
            + count(l.prev_close.map(|s| s.updates));
        if updates == row.seen {
            return false;
        }
        row.seen = updates;
        // The newest packet carrying each field wins.
        let priced = [
            l.ticker
                .map(|s| (s.recv_ns, s.value.ltp, s.value.ltt.raw())),
            l.quote.map(|s| (s.recv_ns, s.value.ltp, s.value.ltt.raw())),
            l.full.map(|s| (s.recv_ns, s.value.ltp, s.value.ltt.raw())),
        ]
        .into_iter()
        .flatten()
        .max_by_key(|p| p.0);
        let volume = [
            l.quote.map(|s| (s.recv_ns, s.value.volume)),
            l.full.map(|s| (s.recv_ns, s.value.volume)),
        ]
        .into_iter()
        .flatten()
        .max_by_key(|p| p.0);
        let f = &mut row.fields;
        if let Some((at, ltp, ltt)) = priced {
            if f.ltp != Some(ltp) || row.history.is_empty() {
                if row.history.len() == self.history {
                    row.history.pop_front();
                }
                row.history.push_back(ltp);
            }
            f.ltp = Some(ltp);
            f.ltt = Some(ltt);
            f.recv_ns = f.recv_ns.max(at);
        }
        f.prev_close = l.prev_close.map(|s| s.value.prev_close).or(f.prev_close);
        f.volume = volume.map(|v| v.1).or(f.volume);
        if let Some(full) = l.full {
            f.bid = Some(full.value.depth[0].bid_price);
            f.ask = Some(full.value.depth[0].ask_price);
        }
        f.updates = updates;
        true
    }

    /// Moves new order events into `orders` (keeping the last `order_rows`);
    /// returns how many are new (at most `order_rows`).
    fn take_orders(&mut self) -> usize {
        let mut fresh = 0usize;
        let mut push = |orders: &mut VecDeque<Vec<u8>>, line: OrderLine, gaps: &mut u64| {
            if line.gap {
                *gaps += 1;
            }
            if orders.len() == self.order_rows {
                orders.pop_front();
            }
            orders.push_back(line.json);
            fresh += 1;
        };
        if let Some((feed, at)) = &mut self.order_feed {
            for _ in 0..ORDERS_PER_TICK {
                let Some(ev) = feed.try_recv() else { break };
                push(
                    &mut self.orders,
                    OrderLine::of(&ev),
                    &mut self.feeds[*at].gaps,
                );
            }
        }
        if let Some((rx, at)) = &self.order_rx {
            for line in rx.try_iter().take(ORDERS_PER_TICK) {
                push(&mut self.orders, line, &mut self.feeds[*at].gaps);
            }
        }
        fresh.min(self.orders.len())
    }

    /// Whether every feed is live and fresh (what `/health` answers 200 to).
    pub(super) fn healthy(&self, now: Instant) -> bool {
        self.feeds
            .iter()
            .all(|f| matches!(f.state(now, self.stale_after), "live" | "idle"))
    }

    /// `[{"name":…,"state":…,…}, …]`: every feed's health.
    pub(super) fn feeds_json(&self, now: Instant, out: &mut Vec<u8>) {
        array(out, &self.feeds, |f, out| {
            let h = f.probe.health();
            f.head(out);
            out.extend_from_slice(b",\"state\":");
            push_str(
                out,
                state_of(&h, f.needs_connection(), now, self.stale_after),
            );
            for (name, v) in [
                ("connections", u64::from(h.connections)),
                ("live", u64::from(h.live)),
                ("reconnects", h.reconnects),
                ("dropped", h.dropped),
                ("malformed", h.malformed),
                ("gaps", f.gaps),
                ("instruments", f.instruments.len() as u64),
            ] {
                field(out, name);
                push_u64(out, v);
            }
            for (name, at) in [
                ("last_message_age_ms", h.last_message_at),
                ("last_frame_age_ms", h.last_frame_at),
                ("connected_ms", h.connected_since),
            ] {
                field(out, name);
                match at {
                    Some(t) => push_u64(out, now.saturating_duration_since(t).as_millis() as u64),
                    None => out.extend_from_slice(b"null"),
                }
            }
            out.extend_from_slice(b",\"cause\":");
            match (&h.stopped, &h.halted) {
                (Some(s), _) => push_str(out, &s.to_string()),
                (None, Some(c)) => push_str(out, &c.to_string()),
                (None, None) => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        });
    }

    /// `{"feeds":[{"name":…,"kind":…,"mode":…,"instruments":["NSE_EQ:2885",…]},…]}`.
    pub(super) fn subscriptions_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"feeds\":");
        array(out, &self.feeds, |f, out| {
            f.head(out);
            field(out, "instruments");
            array(out, &f.instruments, |id, out| {
                push_str(out, &id.to_string())
            });
            out.push(b'}');
        });
        out.push(b'}');
    }
}

impl FeedEntry {
    /// `{"name":…,"kind":…,"mode":…` (the object left open).
    fn head(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"name\":");
        push_str(out, &self.name);
        field(out, "kind");
        push_str(out, self.kind);
        field(out, "mode");
        push_str(out, &self.mode);
    }

    /// Whether the feed needs a connection: the order feed always, the others
    /// once they have instruments.
    fn needs_connection(&self) -> bool {
        self.kind == "orders" || !self.instruments.is_empty()
    }

    fn state(&self, now: Instant, stale_after: Duration) -> &'static str {
        state_of(
            &self.probe.health(),
            self.needs_connection(),
            now,
            stale_after,
        )
    }
}

/// Appends `[a,b,…]`: `each` writes one item.
fn array<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(T, &mut Vec<u8>),
) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(item, out);
    }
    out.push(b']');
}

/// A feed's state for the page and `/health`: `stopped` (the engine is gone),
/// `halted` (credentials refused), `idle` (no connection, none needed: nothing
/// subscribed), `down` (a connection it needs is not live, or not open yet),
/// `stale` (no frame, not even a ping, for `stale_after`), else `live`.
pub(super) fn state_of(
    h: &crate::event::Health,
    needed: bool,
    now: Instant,
    stale_after: Duration,
) -> &'static str {
    if h.stopped.is_some() {
        "stopped"
    } else if h.halted.is_some() {
        "halted"
    } else if h.connections == 0 && !needed {
        "idle"
    } else if h.connections == 0 || h.live < h.connections {
        "down"
    } else if h
        .last_frame_at
        .is_none_or(|t| now.saturating_duration_since(t) > stale_after)
    {
        "stale"
    } else {
        "live"
    }
}

/// A depth row as JSON: `{"id","symbol","bids":[[price,qty,orders],…],"asks":…,"spread"}`.
fn depth_json(d: &DepthRow, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"id\":");
    push_str(out, &d.id.to_string());
    out.extend_from_slice(b",\"symbol\":");
    push_str(out, &d.symbol);
    let side = |out: &mut Vec<u8>, name: &str, s: Option<crate::Stamped<crate::TopLevels>>| {
        field(out, name);
        array(
            out,
            s.iter().flat_map(|s| s.value.levels().iter()),
            |l, out| {
                out.push(b'[');
                push_f64(out, l.price);
                out.push(b',');
                push_u64(out, u64::from(l.qty));
                out.push(b',');
                push_u64(out, u64::from(l.orders));
                out.push(b']');
            },
        );
    };
    side(out, "bids", d.top.and_then(|t| t.bids));
    side(out, "asks", d.top.and_then(|t| t.asks));
    out.extend_from_slice(b",\"spread\":");
    match d.top.and_then(|t| t.spread()) {
        Some(x) if x.is_finite() => push_f64(out, (x * 100.0).round() / 100.0),
        _ => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

/// One row as JSON; `with_history` adds the chart's points.
fn row_json(r: &Row, with_history: bool, out: &mut Vec<u8>) {
    let f = &r.fields;
    out.extend_from_slice(b"{\"id\":");
    push_str(out, &r.id.to_string());
    out.extend_from_slice(b",\"symbol\":");
    push_str(out, &r.symbol);
    let opt = |out: &mut Vec<u8>, name: &str, v: Option<f32>| {
        field(out, name);
        match v {
            Some(x) if x.is_finite() => push_f32(out, x),
            _ => out.extend_from_slice(b"null"),
        }
    };
    opt(out, "ltp", f.ltp);
    opt(out, "prev_close", f.prev_close);
    // In f64, rounded to the paisa and to 0.001 %: f32 differences would show
    // noise digits.
    let change = f
        .ltp
        .zip(f.prev_close)
        .filter(|p| p.1 != 0.0)
        .map(|(l, p)| (f64::from(l), f64::from(p)));
    let num = |out: &mut Vec<u8>, name: &str, v: Option<f64>| {
        field(out, name);
        match v {
            Some(x) if x.is_finite() => push_f64(out, x),
            _ => out.extend_from_slice(b"null"),
        }
    };
    num(
        out,
        "change",
        change.map(|(l, p)| ((l - p) * 100.0).round() / 100.0),
    );
    num(
        out,
        "pct",
        change.map(|(l, p)| ((l - p) / p * 100_000.0).round() / 1000.0),
    );
    opt(out, "bid", f.bid);
    opt(out, "ask", f.ask);
    out.extend_from_slice(b",\"volume\":");
    match f.volume {
        Some(v) => push_u64(out, u64::from(v)),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"ltt\":");
    match f.ltt {
        Some(s) => {
            let s = s % 86_400;
            push_str(
                out,
                &format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60),
            );
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"updates\":");
    push_u64(out, f.updates);
    if with_history {
        field(out, "history");
        array(out, &r.history, |p, out| push_f32(out, *p));
    }
    out.push(b'}');
}
