//! One login shared through iceoryx2: a daemon serving two consumers with
//! overlapping instruments in different modes over one market connection,
//! numbered streams without gaps, and a consumer that goes has its stream
//! released.

use dhan_feed::ipc::iceoryx2::prelude::*;
use dhan_feed::ipc::{Daemon, Via, ViaEvent};
use dhan_feed::proto::{ExchangeSegment, FeedMode, InstrumentId, MarketPacket};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// iceoryx2 settings of this test only: its own prefix, so that it never
/// meets another run's services.
fn config(tag: &str) -> Config {
    let mut cfg = Config::default();
    cfg.global.prefix = FileName::new(format!("dhanfeed{}{tag}_", std::process::id()).as_bytes())
        .expect("a valid prefix");
    cfg
}

fn id(seg: ExchangeSegment, n: u32) -> InstrumentId {
    InstrumentId::new(seg, n)
}

/// Market events of `via` until it has `n` or `within` passes; panics on a gap.
fn market(via: &mut Via, n: usize, within: Duration) -> Vec<MarketPacket> {
    let mut got = Vec::new();
    let deadline = Instant::now() + within;
    while got.len() < n && Instant::now() < deadline {
        match via.recv_timeout(Duration::from_millis(100)) {
            Some(ViaEvent::Market(m)) => got.push(m.packet),
            Some(ViaEvent::Gap { missed }) => panic!("{missed} samples missed"),
            _ => {}
        }
    }
    assert!(got.len() >= n, "{} market events in {within:?}", got.len());
    got
}

#[test]
fn two_consumers_share_one_connection_and_a_departed_one_is_released() {
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(500.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = dhan_feed::Client::new(sim.client_config()).unwrap();
    let cfg = config("share");
    let daemon = Daemon::start(client, "test", &cfg).unwrap();

    let (reliance, nifty, sbin) = (
        id(ExchangeSegment::NseEq, 2885),
        id(ExchangeSegment::IdxI, 13),
        id(ExchangeSegment::NseEq, 3045),
    );
    let mut a = Via::connect("test", &cfg).unwrap();
    a.subscribe(FeedMode::Quote, &[reliance, nifty], Duration::from_secs(5))
        .unwrap();
    let mut b = Via::connect("test", &cfg).unwrap();
    b.subscribe(FeedMode::Ticker, &[nifty, sbin], Duration::from_secs(5))
        .unwrap();
    assert_eq!(daemon.streams(), 2);

    let got_a = market(&mut a, 100, Duration::from_secs(20));
    let got_b = market(&mut b, 100, Duration::from_secs(20));
    let ids = |v: &[MarketPacket]| v.iter().map(|p| p.id()).collect::<BTreeSet<_>>();
    assert!(
        ids(&got_a).is_subset(&[reliance, nifty].into()),
        "{:?}",
        ids(&got_a)
    );
    assert!(
        ids(&got_b).is_subset(&[nifty, sbin].into()),
        "{:?}",
        ids(&got_b)
    );
    // Each gets its own mode: quotes (with their previous closes and OI) to a,
    // tickers (with previous closes) to b.
    assert!(got_a.iter().any(|p| matches!(p, MarketPacket::Quote(_))));
    assert!(!got_a.iter().any(|p| matches!(p, MarketPacket::Ticker(_))));
    assert!(got_b.iter().any(|p| matches!(p, MarketPacket::Ticker(_))));
    assert!(!got_b.iter().any(|p| matches!(p, MarketPacket::Quote(_))));
    // One market connection upstream for both.
    assert_eq!(sim.handle().live(dhan_feed::FeedKind::MarketFeed), 1);

    // A consumer that goes has its stream released.
    drop(b);
    let deadline = Instant::now() + Duration::from_secs(5);
    while daemon.streams() > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(daemon.streams(), 1);
    // The other goes on.
    market(&mut a, 20, Duration::from_secs(10));
    let st = daemon.stop();
    assert_eq!(st.released, 1);
    assert!(st.published >= 200);
}

#[test]
fn a_refused_or_unanswered_request_is_an_error() {
    let cfg = config("none");
    // No daemon serves this name: the request is not answered.
    let mut lone = Via::connect("nobody", &cfg).unwrap();
    let e = lone
        .subscribe(
            FeedMode::Quote,
            &[id(ExchangeSegment::NseEq, 2885)],
            Duration::from_millis(300),
        )
        .unwrap_err();
    assert!(e.to_string().contains("did not answer"), "{e}");
}
