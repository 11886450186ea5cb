//! Time to recover a 5,000-instrument market-feed connection after a TCP reset,
//! against the in-process simulator, with the default lifecycle settings (first
//! retry within 100 ms, jittered).
//!
//! `cargo run --release --example recovery_time -- [ROUNDS] [--tls] [--base-ms MS]`
//!
//! `--base-ms` sets the backoff base (default 100 ms: the first retry is drawn
//! from [0, 100 ms]); `--base-ms 0` shows the mechanical floor: reconnect, upgrade
//! and resubscribe with no waiting.
//!
//! Per round: the fault is injected; "reconnected" is the `Reconnected` event's
//! downtime (drop seen -> live again with all 5,000 resubscribed); "all data" is
//! from the injection until every one of the 5,000 instruments has had a packet
//! after the reconnect.

use dhan_feed::config::{ClientConfig, Endpoints};
use dhan_feed::event::FeedEvent;
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Fault, SimConfig, Simulator};
use dhan_feed::{Client, ExchangeSegment, FeedMode, InstrumentId, Secret};
use dhan_feed::{LifecycleConfig, SessionEvent};
use std::collections::HashSet;
use std::time::{Duration, Instant};

const N: u32 = 5_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base_ms: Option<u64> = args
        .iter()
        .position(|a| a == "--base-ms")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok());
    let rounds: usize = args
        .iter()
        .take_while(|a| *a != "--base-ms")
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let tls = args.iter().any(|a| a == "--tls");
    let defaults = LifecycleConfig::default();
    let base = base_ms.map_or(defaults.backoff_base, Duration::from_millis);
    let sim = Simulator::start(SimConfig {
        tls,
        rate: 200_000.0,
        order_interval: None,
        ..SimConfig::default()
    })
    .expect("simulator");
    let client = Client::new(ClientConfig {
        client_id: Secret::new(DEFAULT_CLIENT_ID),
        access_token: Secret::new(DEFAULT_ACCESS_TOKEN),
        endpoints: Endpoints::all(&sim.url()),
        extra_roots: sim.certificate().into_iter().collect(),
        webpki_roots: false,
        // Each round measures a drop after a stable connection: with the default
        // 30 s, back-to-back resets would measure the flapping backoff instead.
        lifecycle: LifecycleConfig {
            seed: Some(1),
            stable_after: Duration::from_millis(200),
            backoff_base: base,
            ..defaults
        },
        ..ClientConfig::default()
    })
    .expect("client");
    let ids: Vec<InstrumentId> = (0..N)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 50_000 + i))
        .collect();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids).expect("the client runs");
    let mut seen = HashSet::new();
    wait(&mut feed, |ev| {
        if let FeedEvent::Market(m) = ev {
            seen.insert(m.packet.id());
        }
        seen.len() == N as usize
    });
    let (mut down, mut all) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        // Past the budget's gap since the last opening (250 ms by default), and
        // past `stable_after`: each round is a first drop after a stable connection.
        std::thread::sleep(Duration::from_millis(300));
        let t0 = Instant::now();
        sim.handle().inject(Fault::Reset);
        let mut downtime = None;
        seen.clear();
        wait(&mut feed, |ev| {
            match ev {
                FeedEvent::Connection(c) => {
                    if let SessionEvent::Reconnected {
                        downtime: d,
                        resubscribed,
                    } = c.event
                    {
                        assert_eq!(resubscribed, N);
                        downtime = Some(d);
                        seen.clear();
                    }
                }
                FeedEvent::Market(m) if downtime.is_some() => {
                    seen.insert(m.packet.id());
                }
                _ => {}
            }
            seen.len() == N as usize
        });
        down.push(downtime.expect("reconnected"));
        all.push(t0.elapsed());
    }
    let show = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        println!(
            "{name}: min {:.1} ms, median {:.1} ms, max {:.1} ms",
            v[0].as_secs_f64() * 1e3,
            v[v.len() / 2].as_secs_f64() * 1e3,
            v[v.len() - 1].as_secs_f64() * 1e3
        );
    };
    println!(
        "{rounds} resets of a {N}-instrument {} connection (backoff base {base:?}):",
        if tls { "TLS" } else { "plain" }
    );
    show("reconnected (downtime event)", &mut down);
    show("fault -> every instrument streaming again", &mut all);
}

fn wait(feed: &mut dhan_feed::MarketFeed, mut done: impl FnMut(&FeedEvent) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(ev) = feed.recv_timeout(Duration::from_millis(5))
            && done(&ev)
        {
            return;
        }
    }
    panic!("timed out: {:?} {:?}", feed.stats(), feed.health());
}
