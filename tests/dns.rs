//! Name resolution off the I/O thread, against the simulator: a slow lookup
//! stalls only the connection that waits for it, a failing one is reported
//! with its cause and retried on the backoff schedule, one slower than the
//! resolve timeout times out (and its late answer changes nothing), and every
//! address of a host is tried in turn.

use dhan_feed::config::ClientConfig;
use dhan_feed::event::FeedEvent;
use dhan_feed::sim::Simulator;
use dhan_feed::{
    Cause, Client, DepthFeedEvent, DnsFailure, Endpoints, FeedMode, Resolver, SessionEvent,
};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::{id, serial};

fn plain_sim() -> Simulator {
    Simulator::builder()
        .plain()
        .rate(500.0)
        .order_interval(None)
        .start()
        .unwrap()
}

/// The simulator's port (its URL is `ws://127.0.0.1:PORT`).
fn port_of(sim: &Simulator) -> u16 {
    let url = sim.url();
    url.rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

/// A configuration whose endpoints name `host` (on the simulator's port), with
/// this resolver and quick retries.
fn named(sim: &Simulator, host: &str, resolver: Resolver) -> ClientConfig {
    let mut cfg = sim.client_config();
    cfg.endpoints = Endpoints::all(&format!("ws://{host}:{}", port_of(sim)));
    cfg.resolver = resolver;
    cfg.lifecycle.backoff_base = Duration::from_millis(50);
    cfg.lifecycle.backoff_cap = Duration::from_millis(400);
    cfg.lifecycle.seed = Some(11);
    cfg
}

fn loopback(port: u16) -> Vec<SocketAddr> {
    vec![SocketAddr::from(([127, 0, 0, 1], port))]
}

/// Market packets received over `window` (connection events ignored).
fn packets_over(feed: &mut dhan_feed::MarketFeed, window: Duration) -> usize {
    let end = Instant::now() + window;
    let mut n = 0;
    while Instant::now() < end {
        if let Some(FeedEvent::Market(_)) = feed.recv_timeout(Duration::from_millis(10)) {
            n += 1;
        }
    }
    n
}

#[test]
fn a_slow_lookup_stalls_only_its_own_connection() {
    let _serial = serial();
    let sim = plain_sim();
    let port = port_of(&sim);
    let started = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicBool::new(false));
    let (s, a) = (started.clone(), answered.clone());
    let resolver = Resolver::custom(move |host, _| {
        if host == "depth.test" {
            s.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(5));
            a.store(true, Ordering::SeqCst);
        }
        Ok(loopback(port))
    });
    let mut cfg = named(&sim, "market.test", resolver);
    cfg.endpoints.depth20 = format!("ws://depth.test:{port}");
    cfg.lifecycle.resolve_timeout = Duration::from_secs(20);
    let client = Client::new(cfg).unwrap();
    let mut market = client.market_feed(FeedMode::Ticker);
    market.subscribe(&[id("IDX_I:13")]).unwrap();
    assert!(packets_over(&mut market, Duration::from_millis(500)) > 0);

    let mut depth = client.depth20();
    depth.subscribe(&[id("NSE_EQ:2885")]).unwrap();
    let t0 = Instant::now();
    while !started.load(Ordering::SeqCst) {
        assert!(t0.elapsed() < Duration::from_secs(10), "lookup never asked");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The depth connection's lookup blocks its resolver thread for 5 s; the
    // market feed keeps flowing meanwhile, commands included.
    let first = packets_over(&mut market, Duration::from_millis(1500));
    market.subscribe(&[id("NSE_EQ:2885")]).unwrap();
    let second = packets_over(&mut market, Duration::from_millis(1500));
    assert!(
        !answered.load(Ordering::SeqCst),
        "the windows were inside the lookup"
    );
    assert!(
        first > 20 && second > 20,
        "market packets while a lookup hangs: {first}, {second}"
    );
    // Once answered, the depth connection opens and its books fill.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut updates = 0;
    while Instant::now() < deadline && updates < 2 {
        if let Some(DepthFeedEvent::Update { .. }) = depth.recv_timeout(Duration::from_millis(50)) {
            updates += 1;
        }
    }
    assert!(answered.load(Ordering::SeqCst));
    assert_eq!(updates, 2, "depth updates after the slow lookup");
}

#[test]
fn a_failing_lookup_is_reported_and_retried_on_the_backoff_schedule() {
    let _serial = serial();
    let sim = plain_sim();
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let resolver = Resolver::custom(move |_, _| {
        c.fetch_add(1, Ordering::SeqCst);
        Err(io::Error::new(io::ErrorKind::NotFound, "no such host"))
    });
    let cfg = named(&sim, "nowhere.test", resolver);
    let (base, cap) = (cfg.lifecycle.backoff_base, cfg.lifecycle.backoff_cap);
    let client = Client::new(cfg).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let mut attempts = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && attempts.len() < 5 {
        match feed.recv_timeout(Duration::from_millis(20)) {
            Some(FeedEvent::Connection(c)) => match c.event {
                SessionEvent::Reconnecting {
                    attempt,
                    delay,
                    cause,
                } => {
                    assert_eq!(
                        cause,
                        Cause::Dns(DnsFailure::Failed(io::ErrorKind::NotFound))
                    );
                    let ceiling = (base * 2u32.pow(attempt - 1)).min(cap);
                    assert!(
                        delay <= ceiling,
                        "attempt {attempt}: {delay:?} > {ceiling:?}"
                    );
                    attempts.push(attempt);
                }
                other => panic!("unexpected {other:?}"),
            },
            Some(FeedEvent::Market(_)) => panic!("data without a connection"),
            _ => {}
        }
    }
    assert_eq!(attempts, [1, 2, 3, 4, 5]);
    let n = calls.load(Ordering::SeqCst);
    assert!((5..=6).contains(&n), "one lookup per attempt: {n}");
    assert!(!feed.connected());
    let text = Cause::Dns(DnsFailure::Failed(io::ErrorKind::NotFound)).to_string();
    assert!(text.contains("name resolution failed"), "{text}");
}

#[test]
fn a_lookup_past_the_resolve_timeout_times_out_and_its_late_answer_changes_nothing() {
    let _serial = serial();
    let sim = plain_sim();
    let port = port_of(&sim);
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let resolver = Resolver::custom(move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            // Answered long after the 150 ms timeout, while the retry is live.
            std::thread::sleep(Duration::from_millis(1500));
        }
        Ok(loopback(port))
    });
    let mut cfg = named(&sim, "late.test", resolver);
    cfg.lifecycle.resolve_timeout = Duration::from_millis(150);
    let client = Client::new(cfg).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !events.contains(&SessionEvent::Connected) {
        if let Some(FeedEvent::Connection(c)) = feed.recv_timeout(Duration::from_millis(20)) {
            events.push(c.event);
        }
    }
    assert!(
        matches!(
            events[0],
            SessionEvent::Reconnecting {
                attempt: 1,
                cause: Cause::Dns(DnsFailure::TimedOut),
                ..
            }
        ),
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&SessionEvent::Connected), "{events:?}");
    // The first lookup's answer arrives now: nothing reconnects, data flows.
    let packets = packets_over(&mut feed, Duration::from_millis(2000));
    assert!(packets > 20, "{packets}");
    while let Some(ev) = feed.try_recv() {
        assert!(!matches!(ev, FeedEvent::Connection(_)), "{ev:?}");
    }
    assert!(feed.connected());
}

#[test]
fn every_address_of_a_host_is_tried_in_turn() {
    let _serial = serial();
    let sim = plain_sim();
    let port = port_of(&sim);
    // Two ports nothing listens on, then the simulator.
    let dead: Vec<u16> = (0..2)
        .map(|_| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let resolver = Resolver::custom(move |_, _| {
        Ok(vec![
            SocketAddr::from(([127, 0, 0, 1], dead[0])),
            SocketAddr::from(([127, 0, 0, 1], dead[1])),
            SocketAddr::from(([127, 0, 0, 1], port)),
        ])
    });
    let client = Client::new(named(&sim, "multi.test", resolver)).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut first = None;
    while Instant::now() < deadline && first.is_none() {
        if let Some(FeedEvent::Connection(c)) = feed.recv_timeout(Duration::from_millis(20)) {
            first = Some(c.event);
        }
    }
    // One attempt reached the third address: no retry was needed.
    assert_eq!(first, Some(SessionEvent::Connected));
    assert!(packets_over(&mut feed, Duration::from_millis(500)) > 0);
}
