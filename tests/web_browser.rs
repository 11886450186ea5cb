//! The live page in a real browser: `dhan-feed watch --http` on the built-in
//! simulator, loaded in headless Chromium driven over the DevTools protocol in
//! real time (the page's server-sent events arrive as they would for a user).
//! Asserts from the live DOM that every instrument shows a price, that prices
//! change between two reads, that order updates and healthy connections show.
//!
//! Needs Chromium (Debian's `chromium`; as root it runs with `--no-sandbox`):
//! `cargo test --test web_browser -- --ignored` (`.ci/run` installs it and runs
//! this). `DHAN_FEED_SCREENSHOT=docs/page.png` also saves a screenshot.

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills its process when dropped (the test stops everything it started).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd`, and returns the first stderr line containing `marker`
/// (within 30 s); the rest of stderr is drained in the background.
fn start_until(mut cmd: Command, marker: &'static str) -> (Killed, String) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if !sent && line.contains(marker) {
                let _ = tx.send(line);
                sent = true;
            }
        }
    });
    let child = Killed(child);
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{cmd:?} never printed {marker:?}"));
    (child, line)
}

/// The Chromium binary: `$CHROMIUM`, else the first of the usual names on PATH.
fn chromium() -> String {
    if let Ok(c) = std::env::var("CHROMIUM") {
        return c;
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return name.into();
        }
    }
    panic!("no Chromium found (install Debian's chromium, or set CHROMIUM)");
}

/// `GET` over plain HTTP, the body (by its `Content-Length`: Chromium's DevTools
/// server keeps the connection open).
fn http_get(host_port: &str, path: &str) -> String {
    let mut s = TcpStream::connect(host_port).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host_port}\r\n\r\n").unwrap();
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&all));
        all.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&all);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .expect("a Content-Length");
            if body.len() >= len {
                return body[..len].to_owned();
            }
        }
    }
}

/// A DevTools-protocol session with one page.
struct Cdp {
    ws: tungstenite::WebSocket<TcpStream>,
    next: u64,
}

impl Cdp {
    fn connect(url: &str) -> Cdp {
        let host = url.trim_start_matches("ws://").split('/').next().unwrap();
        let sock = TcpStream::connect(host).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (ws, _) = tungstenite::client(url, sock).unwrap();
        Cdp { ws, next: 1 }
    }

    /// Sends a command and waits for its result (events in between are skipped).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(tungstenite::Message::text(msg)).unwrap();
        loop {
            let m = self.ws.read().unwrap();
            let tungstenite::Message::Text(t) = m else {
                continue;
            };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Evaluates `expr` in the page; its value (by JSON).
    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }
}

/// What the page shows: per row its instrument and LTP text; the feeds' states;
/// the number of order rows; the stream badge.
const READ_PAGE: &str = r#"(() => ({
  rows: Array.from(document.querySelectorAll('#instruments tbody tr')).map(tr => ({
    id: tr.dataset.id, symbol: tr.querySelector('.symbol').textContent,
    ltp: tr.querySelector('.ltp').textContent, change: tr.querySelector('.change').textContent })),
  feeds: Array.from(document.querySelectorAll('#feeds .feed')).map(f => f.dataset.state),
  orders: document.querySelectorAll('#orders tbody tr').length,
  stream: document.querySelector('#stream')?.textContent ?? null,
}))()"#;

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// `dhan-feed watch ARGS --http 127.0.0.1:0 --quiet` on the built-in simulator,
/// and a headless Chromium showing its page; the processes stop when dropped.
struct Page {
    cdp: Cdp,
    _chrome: Killed,
    _watch: Killed,
    profile: std::path::PathBuf,
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn open_page(watch_args: &[&str], name: &str) -> Page {
    // The main job, as a user runs it: no credentials, so the built-in simulator.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_dhan-feed"));
    watch
        .arg("watch")
        .args(watch_args)
        .args(["--http", "127.0.0.1:0", "--quiet", "--seconds", "120"])
        .env_remove("DHAN_CLIENT_ID")
        .env_remove("DHAN_ACCESS_TOKEN");
    let (watch, line) = start_until(watch, "live page at");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();

    let profile = common::temp_dir(name);
    let mut chrome = Command::new(chromium());
    chrome.args([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "--window-size=1280,860",
        &format!("--user-data-dir={}", profile.display()),
        "about:blank",
    ]);
    let (chrome, line) = start_until(chrome, "DevTools listening on");
    let browser_ws = line.split_whitespace().last().unwrap();
    let devtools = browser_ws
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap();
    let targets: Value = serde_json::from_str(&http_get(devtools, "/json/list")).unwrap();
    let page_ws = targets
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "page")
        .and_then(|t| t["webSocketDebuggerUrl"].as_str())
        .expect("a page target")
        .to_owned();
    let mut cdp = Cdp::connect(&page_ws);
    cdp.call("Page.enable", json!({}));
    cdp.call("Page.navigate", json!({ "url": url }));
    Page {
        cdp,
        _chrome: chrome,
        _watch: watch,
        profile,
    }
}

#[test]
#[ignore = "needs Chromium: cargo test --test web_browser -- --ignored (.ci/run installs it)"]
fn the_page_shows_live_prices_orders_and_health_in_chromium() {
    let _g = common::serial();
    let mut page = open_page(&["--mode", "full"], "chromium-market");
    let cdp = &mut page.cdp;

    // Every one of watch's four default indices shows a price, and both feeds
    // (market, order updates) are live.
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let v = cdp.eval(READ_PAGE);
        let rows = v["rows"].as_array().cloned().unwrap_or_default();
        let priced = rows.len() == 4
            && rows
                .iter()
                .all(|r| r["ltp"].as_str().is_some_and(|t| t.parse::<f64>().is_ok()));
        let live = v["feeds"]
            .as_array()
            .is_some_and(|f| f.len() == 2 && f.iter().all(|s| s == "live"));
        if priced && live && v["stream"] == "streaming" {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "the page never showed live prices: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let ids: Vec<&str> = first["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["IDX_I:13", "IDX_I:25", "IDX_I:29", "IDX_I:51"]);
    assert_eq!(first["rows"][0]["symbol"], "NIFTY");

    // Prices move between two reads, pushed by the server while the page sits.
    let deadline = Instant::now() + Duration::from_secs(20);
    let moved = loop {
        std::thread::sleep(Duration::from_millis(500));
        let v = cdp.eval(READ_PAGE);
        let changed = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .zip(first["rows"].as_array().unwrap())
            .filter(|(a, b)| a["ltp"] != b["ltp"])
            .count();
        if changed > 0 {
            break v;
        }
        assert!(Instant::now() < deadline, "no price changed in 20 s: {v}");
    };
    // The simulator's order lifecycles reach the order table.
    let deadline = Instant::now() + Duration::from_secs(20);
    while cdp.eval(READ_PAGE)["orders"].as_u64().unwrap_or(0) == 0 {
        assert!(
            Instant::now() < deadline,
            "no order event on the page: {moved}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Each row's chart has drawn a line (the canvas is not blank).
    let drawn = cdp.eval(
        "Array.from(document.querySelectorAll('canvas.spark')).filter(c => \
         c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(x => x !== 0)).length",
    );
    assert!(drawn.as_u64().unwrap() >= 1, "no chart drawn");

    if let Ok(path) = std::env::var("DHAN_FEED_SCREENSHOT") {
        // Long enough for the charts to have a line worth seeing.
        std::thread::sleep(Duration::from_secs(12));
        let shot = cdp.call("Page.captureScreenshot", json!({"format": "png"}));
        std::fs::write(&path, decode_base64(shot["data"].as_str().unwrap())).unwrap();
    }
}

#[test]
#[ignore = "needs Chromium: cargo test --test web_browser -- --ignored (.ci/run installs it)"]
fn a_depth_watch_shows_its_ladders_in_chromium() {
    let _g = common::serial();
    let mut page = open_page(&["--depth", "20"], "chromium-depth");
    let read = r#"Array.from(document.querySelectorAll('#depth .ladder')).map(l => ({
        id: l.dataset.id,
        bids: Array.from(l.querySelectorAll('td.bid.price')).map(td => td.textContent),
        asks: Array.from(l.querySelectorAll('td.ask.price')).map(td => td.textContent) }))"#;
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let v = page.cdp.eval(read);
        let full = v.as_array().is_some_and(|l| {
            l.len() == 2
                && l.iter().all(|x| {
                    x["bids"].as_array().is_some_and(|b| b.len() == 5)
                        && x["asks"].as_array().is_some_and(|a| a.len() == 5)
                })
        });
        if full {
            break v;
        }
        assert!(Instant::now() < deadline, "no ladders on the page: {v}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(first[0]["id"], "NSE_EQ:2885");
    assert_eq!(first[1]["id"], "NSE_EQ:11536");
    let bid: f64 = first[0]["bids"][0].as_str().unwrap().parse().unwrap();
    let ask: f64 = first[0]["asks"][0].as_str().unwrap().parse().unwrap();
    assert!(bid < ask, "{first}");
    // The ladders move.
    let deadline = Instant::now() + Duration::from_secs(20);
    while page.cdp.eval(read) == first {
        assert!(Instant::now() < deadline, "the ladders never changed");
        std::thread::sleep(Duration::from_millis(300));
    }
}
