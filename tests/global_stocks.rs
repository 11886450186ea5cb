//! The Global Stocks (US) handle end to end against the simulator's own listener:
//! the packets sent on subscribe and after (checked against the simulator's
//! capture), a second mode and an unsubscribe on the live connection, a resubscribe
//! after a drop, a malformed packet counted with the packets around it kept, and
//! a refused token stopping the handle with Dhan's error packet delivered.

use dhan_feed::config::ClientConfig;
use dhan_feed::proto::capture::CaptureReader;
use dhan_feed::proto::endpoint::FeedKind;
use dhan_feed::proto::global::global_packets;
use dhan_feed::sim::{Fault, SimConfig, Simulator};
use dhan_feed::{
    BudgetConfig, Cause, Client, DisconnectCode, GlobalData, GlobalFeedEvent, GlobalMode,
    GlobalPacket, GlobalStocksFeed, Secret, SessionEvent,
};
use std::collections::HashSet;
use std::time::{Duration, Instant};

mod common;
use common::{serial, temp_dir};

fn config(sim: &Simulator) -> ClientConfig {
    ClientConfig {
        budget: BudgetConfig {
            gap: Duration::from_millis(10),
            ..BudgetConfig::default()
        },
        ..sim.client_config()
    }
}

fn sim(rate: f64, capture: Option<std::path::PathBuf>) -> Simulator {
    Simulator::start(SimConfig {
        rate,
        order_interval: None,
        capture_dir: capture,
        ..SimConfig::default()
    })
    .unwrap()
}

/// Events until `done` holds over the packets seen (or 10 s: then it fails).
fn packets_until(
    feed: &mut GlobalStocksFeed,
    mut done: impl FnMut(&[GlobalPacket]) -> bool,
) -> (Vec<GlobalPacket>, Vec<SessionEvent>) {
    let (mut ps, mut evs) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&ps) {
        assert!(
            Instant::now() < deadline,
            "{} packets, events {evs:?}; last {:?}",
            ps.len(),
            ps.last()
        );
        match feed.recv_timeout(Duration::from_millis(20)) {
            Some(GlobalFeedEvent::Packet { packet, recv_ns }) => {
                assert!(recv_ns > 0);
                ps.push(packet);
            }
            Some(GlobalFeedEvent::Connection(c)) => {
                assert_eq!(c.feed, FeedKind::GlobalStocks);
                evs.push(c.event);
            }
            Some(other) => panic!("{other:?}"),
            None => {}
        }
    }
    (ps, evs)
}

fn count(ps: &[GlobalPacket], id: u32, kind: &str) -> usize {
    ps.iter()
        .filter(|p| p.security_id == id && p.kind_name() == kind)
        .count()
}

#[test]
fn trades_and_reference_packets_arrive_as_the_simulator_sent_them() {
    let _s = serial();
    let dir = temp_dir("global");
    let sim = sim(200.0, Some(dir.clone()));
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.global_stocks_feed(GlobalMode::Trade);
    assert_eq!(feed.mode(), GlobalMode::Trade);
    // Nothing subscribed: no connection.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sim.handle().live(FeedKind::GlobalStocks), 0);
    feed.subscribe(&[1234, 5678, 1234]).unwrap();
    assert_eq!(feed.subscriptions(), vec![1234, 5678]);
    let (ps, evs) = packets_until(&mut feed, |ps| {
        [1234, 5678].iter().all(|&id| count(ps, id, "trade") >= 5)
    });
    assert!(matches!(evs[0], SessionEvent::Connected), "{evs:?}");
    assert!(feed.connected());
    assert_eq!(sim.handle().live(FeedKind::GlobalStocks), 1);
    // On subscribe: previous close, circuit limits, 52-week range, market
    // status, once each, before the first trade.
    for id in [1234, 5678] {
        let mine: Vec<&str> = ps
            .iter()
            .filter(|p| p.security_id == id)
            .map(|p| p.kind_name())
            .collect();
        assert_eq!(
            &mine[..5],
            [
                "prev_close",
                "circuit_limits",
                "week52",
                "market_status",
                "trade"
            ],
            "{mine:?}"
        );
        let pc = ps
            .iter()
            .find_map(|p| match p.data {
                GlobalData::PrevClose { prev_close } if p.security_id == id => Some(prev_close),
                _ => None,
            })
            .unwrap();
        for p in ps.iter().filter(|p| p.security_id == id) {
            if let GlobalData::Trade { ltp, .. } = p.data {
                assert!((ltp - pc).abs() < pc * 0.05, "{ltp} vs close {pc}");
            }
        }
    }
    assert_eq!(count(&ps, 1234, "ohlc"), 0);
    assert!(ps.iter().all(|p| p.segment_name() == Some("INX_EQ")));
    // Past 5,000 subscriptions on the connection: refused, nothing changed.
    let many: Vec<u32> = (10_000..14_999).collect();
    assert!(matches!(
        feed.subscribe_in(GlobalMode::Ohlc, &many),
        Err(dhan_feed::Error::Subscribe(
            dhan_feed::SubscribeError::GlobalTooMany { max: 5_000 }
        ))
    ));
    assert!(feed.subscriptions_in(GlobalMode::Ohlc).is_empty());
    // What arrived is what the simulator sent, in order.
    drop(feed);
    drop(client);
    drop(sim);
    let mut sent = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        assert!(f.file_name().to_string_lossy().ends_with("-global.cap"));
        let bytes = std::fs::read(f.path()).unwrap();
        let mut r = CaptureReader::new(&bytes[..]);
        while let Ok(Some(rec)) = r.next_record() {
            sent.extend(global_packets(rec.payload).map(Result::unwrap));
        }
    }
    assert!(sent.len() >= ps.len());
    assert_eq!(&sent[..ps.len()], &ps[..]);
}

#[test]
fn a_second_mode_and_an_unsubscribe_go_out_on_the_live_connection() {
    let _s = serial();
    let sim = sim(300.0, None);
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.global_stocks_feed(GlobalMode::Trade);
    feed.subscribe(&[1, 2]).unwrap();
    packets_until(&mut feed, |ps| count(ps, 2, "trade") >= 3);
    feed.subscribe_in(GlobalMode::Ohlc, &[2]).unwrap();
    assert_eq!(feed.subscriptions_in(GlobalMode::Ohlc), vec![2]);
    let (ps, evs) = packets_until(&mut feed, |ps| count(ps, 2, "ohlc") >= 3);
    assert!(evs.is_empty(), "no reconnect for a new mode: {evs:?}");
    for p in &ps {
        if let GlobalData::Ohlc {
            open,
            close,
            high,
            low,
        } = p.data
        {
            assert!(low <= open.min(close) && high >= open.max(close), "{p:?}");
        }
    }
    feed.unsubscribe(&[1]).unwrap();
    assert_eq!(feed.subscriptions(), vec![2]);
    // Let what was on its way arrive, then no trade of 1 any more.
    std::thread::sleep(Duration::from_millis(200));
    while feed.try_recv().is_some() {}
    let (ps, _) = packets_until(&mut feed, |ps| count(ps, 2, "trade") >= 20);
    assert_eq!(count(&ps, 1, "trade"), 0, "{ps:?}");
    assert_eq!(sim.handle().live(FeedKind::GlobalStocks), 1);
    // Nothing left in either mode: the connection closes.
    feed.unsubscribe(&[2]).unwrap();
    feed.unsubscribe_in(GlobalMode::Ohlc, &[2]).unwrap();
    assert!(
        sim.handle()
            .wait_live(FeedKind::GlobalStocks, 0, Duration::from_secs(5))
    );
}

#[test]
fn after_a_drop_everything_is_asked_for_again() {
    let _s = serial();
    let sim = sim(200.0, None);
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.global_stocks_feed(GlobalMode::Ohlc);
    feed.subscribe(&[7, 8, 9]).unwrap();
    feed.subscribe_in(GlobalMode::Trade, &[9]).unwrap();
    packets_until(&mut feed, |ps| count(ps, 9, "trade") >= 2);
    assert_eq!(
        sim.handle().inject_on(FeedKind::GlobalStocks, Fault::Reset),
        1
    );
    let (ps, evs) = packets_until(&mut feed, |ps| {
        [7, 8, 9].iter().all(|&id| count(ps, id, "ohlc") >= 3) && count(ps, 9, "trade") >= 3
    });
    let resubscribed = evs.iter().find_map(|e| match e {
        SessionEvent::Reconnected { resubscribed, .. } => Some(*resubscribed),
        _ => None,
    });
    // Three in OHLC, one in trade.
    assert_eq!(resubscribed, Some(4), "{evs:?}");
    let seen: HashSet<u32> = ps.iter().map(|p| p.security_id).collect();
    assert_eq!(seen, HashSet::from([7, 8, 9]));
}

#[test]
fn a_malformed_packet_is_counted_and_its_neighbours_kept() {
    let _s = serial();
    let sim = sim(20.0, None);
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.global_stocks_feed(GlobalMode::Trade);
    feed.subscribe(&[5]).unwrap();
    packets_until(&mut feed, |ps| count(ps, 5, "trade") >= 1);
    assert_eq!(
        sim.handle()
            .inject_on(FeedKind::GlobalStocks, Fault::MalformedPacket),
        1
    );
    // The fault's message: a good trade of id 1, a short one, a good one again.
    let (ps, _) = packets_until(&mut feed, |ps| count(ps, 1, "trade") >= 2);
    assert_eq!(count(&ps, 1, "trade"), 2);
    let deadline = Instant::now() + Duration::from_secs(2);
    while feed.health().malformed == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(feed.health().malformed, 1);
    assert!(feed.connected());
}

#[test]
fn a_refused_token_delivers_dhans_error_and_stops_the_handle() {
    let _s = serial();
    let sim = sim(50.0, None);
    let client = Client::new(ClientConfig {
        access_token: Secret::new("not-the-token"),
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.global_stocks_feed(GlobalMode::Trade);
    feed.subscribe(&[3]).unwrap();
    let (ps, _) = packets_until(&mut feed, |ps| !ps.is_empty());
    assert_eq!(
        ps[0].data,
        GlobalData::Error {
            code: DisconnectCode::ACCESS_TOKEN_INVALID
        }
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while feed.health().halted.is_none() && Instant::now() < deadline {
        while feed.try_recv().is_some() {}
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        feed.health().halted,
        Some(Cause::Dhan(DisconnectCode::ACCESS_TOKEN_INVALID))
    );
    assert!(!feed.connected());
    // A new token: it connects and trades arrive.
    client
        .set_access_token(sim.client_config().access_token)
        .unwrap();
    packets_until(&mut feed, |ps| count(ps, 3, "trade") >= 1);
}
