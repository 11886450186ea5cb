//! The live page's server against the simulator: every endpoint, the refusals of
//! bad input, fifty pages at once, a page that stops reading, `/health` through a
//! stall, and no credential in anything it serves. (The page itself, in a real
//! browser: `tests/web_browser.rs`.)

mod common;
#[path = "web/http.rs"]
mod http;

use dhan_feed::config::ClientConfig;
use dhan_feed::proto::{ExchangeSegment, InstrumentId};
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Fault, Simulator};
use dhan_feed::web::{WebConfig, WebPage, WebServer};
use dhan_feed::{Client, FeedKind, FeedMode, LifecycleConfig, MarketFeed, OrderEvent};
use http::{Stream, exchange, get};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn client(sim: &Simulator, lifecycle: LifecycleConfig) -> Client {
    Client::new(ClientConfig {
        lifecycle,
        ..sim.client_config()
    })
    .unwrap()
}

fn ids(n: u32) -> Vec<InstrumentId> {
    (0..n)
        .map(|i| InstrumentId::new(ExchangeSegment::NseEq, 7_000 + i))
        .collect()
}

fn local(cfg: WebConfig) -> WebConfig {
    WebConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..cfg
    }
}

/// A simulator, a client, a quote feed with its cache on `n` instruments, and a
/// page of it (with the order feed).
struct Setup {
    web: WebServer,
    feed: MarketFeed,
    ids: Vec<InstrumentId>,
    _client: Client,
    _sim: Simulator,
}

fn setup(cfg: WebConfig, n: u32, rate: f64, lifecycle: LifecycleConfig) -> Setup {
    let sim = Simulator::builder()
        .rate(rate)
        .order_interval(Some(Duration::from_millis(200)))
        .keepalive(Duration::from_millis(500), Duration::from_secs(10))
        .start()
        .unwrap();
    let client = client(&sim, lifecycle);
    let ids = ids(n);
    let (mut feed, cache) = client.market_feed_with_cache(FeedMode::Quote, ids.len());
    feed.subscribe(&ids).unwrap();
    let web = WebPage::new(local(cfg))
        .market(&feed, cache, |id| format!("SYM{}", id.security_id))
        .order_feed(client.order_updates())
        .start()
        .unwrap();
    Setup {
        web,
        feed,
        ids,
        _client: client,
        _sim: sim,
    }
}

/// Polls `/snapshot` until `ok` holds for it (within 15 s).
fn snapshot_until(
    addr: SocketAddr,
    what: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = get(addr, "/snapshot");
        assert_eq!(r.status, 200);
        let v = r.json();
        if ok(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "no snapshot with {what}: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Takes what the feed's ring holds, so the test's consumer keeps up.
fn drain(feed: &mut MarketFeed) {
    while feed.try_recv().is_some() {}
}

#[test]
fn every_endpoint_answers_and_bad_requests_are_refused_and_closed() {
    let _g = common::serial();
    let s = setup(
        WebConfig {
            request_timeout: Duration::from_millis(400),
            ..WebConfig::default()
        },
        4,
        200.0,
        LifecycleConfig::default(),
    );
    let addr = s.web.local_addr();

    // Every instrument gets a price, a previous close and a change; order
    // updates arrive with the client id masked.
    let snap = snapshot_until(addr, "prices and an order update", |v| {
        v["instruments"].as_array().is_some_and(|a| {
            a.len() == 4
                && a.iter()
                    .all(|r| r["ltp"].is_number() && r["change"].is_number())
        }) && v["orders"]
            .as_array()
            .is_some_and(|o| o.iter().any(|e| e["kind"] == "order_update"))
    });
    for (r, id) in snap["instruments"].as_array().unwrap().iter().zip(&s.ids) {
        assert_eq!(r["id"], id.to_string());
        assert_eq!(r["symbol"], format!("SYM{}", id.security_id));
        let (ltp, pc, ch) = (
            r["ltp"].as_f64().unwrap(),
            r["prev_close"].as_f64().unwrap(),
            r["change"].as_f64().unwrap(),
        );
        assert!((ltp - pc - ch).abs() < 0.02, "{r}");
        assert!(!r["history"].as_array().unwrap().is_empty(), "{r}");
        assert!(r["volume"].is_u64(), "{r}");
    }
    let upd = snap["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "order_update")
        .unwrap();
    assert_eq!(upd["client_id"], "***");

    // The page and its assets.
    let page = get(addr, "/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<table id=\"instruments\">"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    let js = get(addr, "/app.js");
    assert_eq!(js.status, 200);
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.text().contains("EventSource"));
    assert_eq!(get(addr, "/style.css").status, 200);
    assert_eq!(get(addr, "/favicon.ico").status, 204);
    let head = exchange(addr, b"HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length").unwrap(),
        page.body.len().to_string()
    );

    // Subscriptions, per feed and mode.
    let subs = get(addr, "/subscriptions").json();
    let want: Vec<String> = s.ids.iter().map(|i| i.to_string()).collect();
    assert_eq!(subs["feeds"][0]["kind"], "market");
    assert_eq!(subs["feeds"][0]["mode"], "quote");
    assert_eq!(subs["feeds"][0]["instruments"], serde_json::json!(want));
    assert_eq!(subs["feeds"][1]["kind"], "orders");

    // Health: both feeds live.
    let h = get(addr, "/health");
    assert_eq!(h.status, 200, "{}", h.text());
    let hj = h.json();
    assert_eq!(hj["status"], "ok");
    assert!(
        hj["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["state"] == "live"),
        "{hj}"
    );

    // Refusals: each answered with its status and closed (`exchange` reads to EOF).
    assert_eq!(get(addr, "/nope").status, 404);
    assert_eq!(get(addr, "/events/../health").status, 404);
    assert_eq!(
        exchange(addr, b"POST / HTTP/1.1\r\nHost: localhost\r\n\r\n").status,
        405
    );
    assert_eq!(
        exchange(addr, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n").status,
        400
    );
    assert_eq!(exchange(addr, b"GET / HTTP/1.1\r\n\r\n").status, 400);
    assert_eq!(
        exchange(
            addr,
            b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
        )
        .status,
        400
    );
    assert_eq!(
        exchange(addr, b"GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n").status,
        421
    );
    let mut huge = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: ".to_vec();
    huge.resize(1 << 20, b'a');
    let r = exchange(addr, &huge);
    assert_eq!(r.status, 431, "{}", r.text());
    // A head never finished: 408 when the request timeout passes.
    let t = Instant::now();
    let r = exchange(addr, b"GET / HTTP/1.1\r\nHost: local");
    assert_eq!(r.status, 408);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );

    // Nothing served carries a credential.
    for path in ["/", "/app.js", "/snapshot", "/health", "/subscriptions"] {
        let body = get(addr, path).text();
        for secret in [DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID] {
            assert!(!body.contains(secret), "{path} shows a credential");
        }
    }
    let st = s.web.stats();
    assert!(st.bad_requests >= 7, "{st:?}");
    assert_eq!(st.refused, 0);
}

#[test]
fn fifty_pages_stream_at_once_the_next_is_refused_and_the_feed_loses_nothing() {
    let _g = common::serial();
    const PAGES: usize = 50;
    let mut s = setup(
        WebConfig {
            max_clients: PAGES,
            ..WebConfig::default()
        },
        8,
        2_000.0,
        LifecycleConfig::default(),
    );
    let addr = s.web.local_addr();
    let all_open = Arc::new(Barrier::new(PAGES + 1));
    let pages: Vec<_> = (0..PAGES)
        .map(|_| {
            let all_open = all_open.clone();
            std::thread::spawn(move || {
                let mut st = Stream::open(addr);
                let snap = st.expect("snapshot", Duration::from_secs(10)).json();
                assert_eq!(snap["instruments"].as_array().unwrap().len(), 8);
                all_open.wait();
                // Updates with prices keep coming to every page.
                let mut priced = 0;
                for _ in 0..5 {
                    let u = st.expect("update", Duration::from_secs(10)).json();
                    priced += u["instruments"].as_array().unwrap().len();
                    assert_eq!(u["feeds"].as_array().unwrap().len(), 2);
                }
                assert!(priced > 0);
                all_open.wait();
            })
        })
        .collect();
    all_open.wait();
    assert_eq!(s.web.stats().streams, PAGES);
    // One more connection than allowed: told so, and closed.
    let r = get(addr, "/health");
    assert_eq!(r.status, 503);
    assert!(r.text().contains("too many clients"), "{}", r.text());
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        drain(&mut s.feed);
        std::thread::sleep(Duration::from_millis(5));
    }
    all_open.wait();
    for p in pages {
        p.join().unwrap();
    }
    assert_eq!(s.web.stats().refused, 1);
    let stats = s.feed.stats();
    assert_eq!(stats.dropped, 0, "{stats:?}");
    assert!(stats.published > 1_000, "{stats:?}");
    // The pages are gone: the server serves again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.web.stats().connections > 0 {
        assert!(Instant::now() < deadline, "{:?}", s.web.stats());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get(addr, "/health").status, 200);
}

#[test]
fn a_page_that_stops_reading_is_dropped_and_the_others_go_on() {
    let _g = common::serial();
    let mut s = setup(
        WebConfig {
            client_buffer: 64 * 1024,
            push_interval: Duration::from_millis(10),
            ..WebConfig::default()
        },
        200,
        20_000.0,
        LifecycleConfig::default(),
    );
    let addr = s.web.local_addr();
    // A page whose socket takes little and which never reads.
    let stalled = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    stalled.set_recv_buffer_size(4096).unwrap();
    stalled.connect(&addr.into()).unwrap();
    let mut stalled: std::net::TcpStream = stalled.into();
    stalled
        .write_all(
            format!(
                "GET /events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
                addr.port()
            )
            .as_bytes(),
        )
        .unwrap();
    let mut good = Stream::open(addr);
    good.expect("snapshot", Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut updates = 0u64;
    while s.web.stats().dropped_slow == 0 {
        assert!(
            Instant::now() < deadline,
            "the stalled page was never dropped: {:?}",
            s.web.stats()
        );
        good.expect("update", Duration::from_secs(5));
        updates += 1;
        drain(&mut s.feed);
    }
    // The reading page goes on being served.
    for _ in 0..20 {
        good.expect("update", Duration::from_secs(5));
        drain(&mut s.feed);
    }
    let st = s.web.stats();
    assert_eq!(st.dropped_slow, 1, "{st:?}");
    assert_eq!(st.streams, 1, "{st:?}");
    assert!(updates > 0);
    // The stalled page finds its stream ended once it reads what was queued.
    stalled
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut sink = Vec::new();
    let end = std::io::Read::read_to_end(&mut stalled, &mut sink);
    assert!(
        end.is_ok() || end.as_ref().unwrap_err().kind() == std::io::ErrorKind::ConnectionReset,
        "{end:?}"
    );
    assert_eq!(
        s.feed.stats().dropped,
        0,
        "the feed's own consumer lost nothing"
    );
}

#[test]
fn health_is_503_while_the_simulator_stalls_and_200_after_the_reconnect() {
    let _g = common::serial();
    let sim = Simulator::builder()
        .rate(50.0)
        .order_interval(None)
        .keepalive(Duration::from_millis(300), Duration::from_secs(10))
        .start()
        .unwrap();
    let client = client(
        &sim,
        LifecycleConfig {
            stale_after: Duration::from_secs(3),
            ping_after: Duration::from_secs(1),
            ..LifecycleConfig::default()
        },
    );
    let ids = ids(2);
    let (mut feed, cache) = client.market_feed_with_cache(FeedMode::Ticker, 2);
    feed.subscribe(&ids).unwrap();
    let web = WebPage::new(local(WebConfig {
        stale_after: Duration::from_secs(1),
        ..WebConfig::default()
    }))
    .market(&feed, cache, |id| id.to_string())
    .start()
    .unwrap();
    let addr = web.local_addr();
    let health_until = |status: u16, within: Duration| {
        let deadline = Instant::now() + within;
        loop {
            let r = get(addr, "/health");
            if r.status == status {
                return r.json();
            }
            assert!(
                Instant::now() < deadline,
                "no {status} within {within:?}: {}",
                r.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    health_until(200, Duration::from_secs(10));
    assert_eq!(
        sim.handle().inject_on(FeedKind::MarketFeed, Fault::Stall),
        1
    );
    let down = health_until(503, Duration::from_secs(10));
    assert_eq!(down["status"], "unavailable");
    let state = down["feeds"][0]["state"].as_str().unwrap();
    assert!(matches!(state, "stale" | "down"), "{down}");
    let up = health_until(200, Duration::from_secs(20));
    assert_eq!(up["feeds"][0]["state"], "live");
    assert!(up["feeds"][0]["reconnects"].as_u64().unwrap() >= 1, "{up}");
    drain(&mut feed);
}

#[test]
fn forwarded_order_events_reach_the_page_or_are_counted() {
    let _g = common::serial();
    let sim = Simulator::builder().order_interval(None).start().unwrap();
    let client = client(&sim, LifecycleConfig::default());
    let orders = client.order_updates();
    let mut page = WebPage::new(local(WebConfig {
        order_rows: 10_000,
        ..WebConfig::default()
    }));
    let tx = page.order_sender(orders.health_probe());
    let web = page.start().unwrap();
    let addr = web.local_addr();
    // A burst larger than the channel: what is not taken is counted.
    let sent = 6_000;
    let taken = (0..sent).filter(|_| tx.send(&OrderEvent::Open)).count() as u64;
    let st = web.stats();
    assert_eq!(taken + st.orders_dropped, sent, "{st:?}");
    assert!(taken >= 4_096, "{taken}");
    let snap = snapshot_until(addr, "every order event taken", |v| {
        v["orders"]
            .as_array()
            .is_some_and(|o| o.len() as u64 == taken)
    });
    assert!(
        snap["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["event"] == "open")
    );
    drop(orders);
}

#[test]
fn a_page_on_a_remote_address_must_be_asked_for() {
    let err = WebPage::new(WebConfig {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        ..WebConfig::default()
    })
    .start()
    .unwrap_err();
    assert!(
        matches!(
            err,
            dhan_feed::Error::Web(dhan_feed::WebError::NotLoopback(_))
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("allow"), "{err}");
    // Asked for: it listens, and serves any Host.
    let web = WebPage::new(WebConfig {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        allow_remote: true,
        ..WebConfig::default()
    })
    .start()
    .unwrap();
    let port = web.local_addr().port();
    let r = exchange(
        SocketAddr::from(([127, 0, 0, 1], port)),
        b"GET /subscriptions HTTP/1.1\r\nHost: feed.lan\r\n\r\n",
    );
    assert_eq!(r.status, 200);
    // A taken port is a clear error.
    let taken = WebPage::new(WebConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..WebConfig::default()
    })
    .start()
    .unwrap();
    let again = WebPage::new(WebConfig {
        addr: taken.local_addr(),
        ..WebConfig::default()
    })
    .start()
    .unwrap_err();
    assert!(again.to_string().contains("cannot listen"), "{again}");
}

#[test]
fn a_depth_feed_shows_its_ladders_from_the_depth_cache() {
    let _g = common::serial();
    let sim = Simulator::builder()
        .depth_rate(100.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim, LifecycleConfig::default());
    let ids: Vec<InstrumentId> = ["NSE_EQ:2885", "NSE_EQ:11536"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let (mut feed, cache) = client.depth20_with_cache(ids.len(), 5);
    feed.subscribe(&ids).unwrap();
    let web = WebPage::new(local(WebConfig::default()))
        .depth(&feed, cache, |id| format!("D{}", id.security_id))
        .start()
        .unwrap();
    let addr = web.local_addr();
    let snap = snapshot_until(addr, "both ladders", |v| {
        v["depth"].as_array().is_some_and(|d| {
            d.len() == 2
                && d.iter().all(|l| {
                    l["bids"].as_array().is_some_and(|b| b.len() == 5)
                        && l["asks"].as_array().is_some_and(|a| a.len() == 5)
                })
        })
    });
    for (l, id) in snap["depth"].as_array().unwrap().iter().zip(&ids) {
        assert_eq!(l["id"], id.to_string());
        assert_eq!(l["symbol"], format!("D{}", id.security_id));
        let price = |side: &str, i: usize| l[side][i][0].as_f64().unwrap();
        for i in 1..5 {
            assert!(
                price("bids", i) < price("bids", i - 1),
                "bids best first: {l}"
            );
            assert!(
                price("asks", i) > price("asks", i - 1),
                "asks best first: {l}"
            );
        }
        let spread = l["spread"].as_f64().unwrap();
        assert!(
            (spread - (price("asks", 0) - price("bids", 0))).abs() < 0.011,
            "{l}"
        );
    }
    let subs = get(addr, "/subscriptions").json();
    assert_eq!(subs["feeds"][0]["kind"], "depth");
    assert_eq!(subs["feeds"][0]["mode"], "20");
    assert_eq!(subs["feeds"][0]["instruments"].as_array().unwrap().len(), 2);
    assert_eq!(get(addr, "/health").status, 200);
    while feed.try_recv().is_some() {}
}

#[test]
fn the_table_shows_at_most_max_rows_and_subscriptions_lists_every_instrument() {
    let _g = common::serial();
    let s = setup(
        WebConfig {
            max_rows: 3,
            ..WebConfig::default()
        },
        5,
        200.0,
        LifecycleConfig::default(),
    );
    let addr = s.web.local_addr();
    let snap = snapshot_until(addr, "three priced rows", |v| {
        v["instruments"]
            .as_array()
            .is_some_and(|a| a.iter().filter(|r| r["ltp"].is_number()).count() == 3)
    });
    let shown: Vec<&str> = snap["instruments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let want: Vec<String> = s.ids.iter().take(3).map(|i| i.to_string()).collect();
    assert_eq!(shown, want);
    let subs = get(addr, "/subscriptions").json();
    assert_eq!(subs["feeds"][0]["instruments"].as_array().unwrap().len(), 5);
}
