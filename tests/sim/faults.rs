use crate::client::*;
use dhan_feed::proto::DisconnectCode;
use dhan_feed::proto::endpoint::FeedKind;
use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::proto::request::{FeedMode, encode_subscription};
use dhan_feed::sim::{Fault, Simulator};
use std::io::ErrorKind;
use std::time::{Duration, Instant};
use tungstenite::Message;

fn streaming(sim: &Simulator) -> Ws {
    let mut ws = connect(sim, FeedKind::MarketFeed);
    let mut m = Vec::new();
    encode_subscription(
        FeedMode::Ticker,
        true,
        &["IDX_I:13".parse().unwrap()],
        &mut m,
    )
    .unwrap();
    send_text(&mut ws, &m);
    market_packets(&mut ws, 3);
    assert!(
        sim.handle()
            .wait_live(FeedKind::MarketFeed, 1, Duration::from_secs(3))
    );
    ws
}

/// Reads until an error; returns it.
fn read_error(ws: &mut Ws) -> tungstenite::Error {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Err(e) = ws.read() {
            return e;
        }
    }
    panic!("no error within 5 s");
}

#[test]
fn reset() {
    let sim = plain_sim();
    let mut ws = streaming(&sim);
    assert_eq!(sim.handle().inject(Fault::Reset), 1);
    match read_error(&mut ws) {
        tungstenite::Error::Io(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
}

#[test]
fn close_without_close_frame() {
    let sim = sim();
    let mut ws = streaming(&sim);
    sim.handle().inject(Fault::CloseNoFrame);
    match read_error(&mut ws) {
        tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        ) => {}
        // Over TLS the peer's missing close_notify shows as an unexpected EOF.
        tungstenite::Error::Io(e) => assert_eq!(e.kind(), ErrorKind::UnexpectedEof),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stall_keeps_the_socket_open_and_silent() {
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(2000.0)
        .keepalive(Duration::from_millis(50), Duration::from_secs(40))
        .order_interval(None)
        .start()
        .unwrap();
    let mut ws = streaming(&sim);
    sim.handle().inject(Fault::Stall);
    // Drain what was in flight, then nothing at all: no data, no pings.
    ws.get_ref()
        .tcp()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut quiet = false;
    for _ in 0..200 {
        match ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                quiet = true;
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(quiet, "stalled connection went quiet");
}

#[test]
fn disconnect_codes_then_close() {
    let sim = sim();
    for code in [805u16, 807, 808, 800] {
        let mut ws = streaming(&sim);
        sim.handle()
            .inject_on(FeedKind::MarketFeed, Fault::Disconnect(code));
        let (bins, close, _) = read_until_close(&mut ws);
        let last = bins
            .last()
            .and_then(|b| packets(b).next())
            .unwrap()
            .unwrap();
        assert_eq!(
            last,
            MarketPacket::Disconnect(dhan_feed::proto::market::Disconnect {
                id: "IDX_I:0".parse().unwrap(),
                reason: DisconnectCode(code)
            })
        );
        assert_eq!(close, Some(1000));
        drop(ws);
        assert!(
            sim.handle()
                .wait_live(FeedKind::MarketFeed, 0, Duration::from_secs(3))
        );
    }
}

#[test]
fn http_429_then_normal_again() {
    let sim = sim();
    sim.handle().inject(Fault::Http429);
    match try_connect(&sim, &target(FeedKind::MarketFeed)) {
        Err(tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 429),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(
        try_connect(&sim, &target(FeedKind::MarketFeed)).is_ok(),
        "only one upgrade refused"
    );
    assert_eq!(sim.handle().stats().refused, 1);
}

#[test]
fn slow_handshake() {
    let sim = sim();
    sim.handle()
        .inject(Fault::SlowHandshake(Duration::from_millis(400)));
    let t = Instant::now();
    let _ws = connect(&sim, FeedKind::MarketFeed);
    assert!(t.elapsed() >= Duration::from_millis(400));
}

#[test]
fn malformed_frame() {
    let sim = sim();
    let mut ws = streaming(&sim);
    sim.handle().inject(Fault::MalformedFrame);
    match read_error(&mut ws) {
        tungstenite::Error::Protocol(tungstenite::error::ProtocolError::InvalidOpcode(3)) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn oversized_frame() {
    let sim = sim();
    let mut ws = streaming(&sim);
    sim.handle().inject(Fault::OversizedFrame);
    match read_error(&mut ws) {
        tungstenite::Error::Capacity(_) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn fragmented_messages_reassemble_to_single_packets() {
    let sim = plain_sim();
    let mut ws = streaming(&sim);
    sim.handle().inject(Fault::Fragmented);
    std::thread::sleep(Duration::from_millis(50));
    let got = market_packets(&mut ws, 50);
    assert!(
        got.iter()
            .all(|(p, n)| *n == 1 && matches!(p, MarketPacket::Ticker(_)))
    );
    assert!(sim.handle().stats().bytes > 0);
}

#[test]
fn stacked_messages_carry_several_packets() {
    let sim = sim();
    let mut ws = streaming(&sim);
    sim.handle().inject(Fault::Stacked);
    std::thread::sleep(Duration::from_millis(50));
    let got = market_packets(&mut ws, 60);
    assert!(
        got.iter().skip(30).all(|(_, n)| *n > 1),
        "later messages are stacked"
    );
}

#[test]
fn no_ping_stops_pings() {
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(500.0)
        .keepalive(Duration::from_millis(20), Duration::from_secs(40))
        .order_interval(None)
        .start()
        .unwrap();
    let mut ws = streaming(&sim);
    let count_pings = |ws: &mut Ws, dur: Duration| {
        let end = Instant::now() + dur;
        let mut pings = 0;
        while Instant::now() < end {
            if let Ok(Message::Ping(_)) = ws.read() {
                pings += 1;
            }
        }
        pings
    };
    assert!(count_pings(&mut ws, Duration::from_millis(200)) >= 3);
    sim.handle().inject(Fault::NoPing);
    std::thread::sleep(Duration::from_millis(50));
    count_pings(&mut ws, Duration::from_millis(50)); // drain any in flight
    assert_eq!(count_pings(&mut ws, Duration::from_millis(200)), 0);
}

#[test]
fn keepalive_closes_a_client_that_never_pongs() {
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .keepalive(Duration::from_millis(20), Duration::from_millis(150))
        .order_interval(None)
        .start()
        .unwrap();
    let ws = connect(&sim, FeedKind::MarketFeed);
    assert!(
        sim.handle()
            .wait_live(FeedKind::MarketFeed, 1, Duration::from_secs(3))
    );
    // The client never reads, so it never answers a ping.
    assert!(
        sim.handle()
            .wait_live(FeedKind::MarketFeed, 0, Duration::from_secs(3))
    );
    drop(ws);
    // A client that reads (tungstenite answers pings) stays.
    let mut ws = connect(&sim, FeedKind::MarketFeed);
    ws.get_ref()
        .tcp()
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let end = Instant::now() + Duration::from_millis(600);
    while Instant::now() < end {
        let _ = ws.read();
        let _ = ws.flush();
    }
    assert_eq!(sim.handle().live(FeedKind::MarketFeed), 1);
}

#[test]
fn scenario_repeats() {
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(200.0)
        .order_interval(None)
        .scenario(Fault::Disconnect(805), Duration::from_millis(150))
        .start()
        .unwrap();
    let mut seen = 0;
    for _ in 0..3 {
        let mut ws = streaming(&sim);
        let (bins, _, _) = read_until_close(&mut ws);
        if bins
            .last()
            .is_some_and(|b| matches!(packets(b).next(), Some(Ok(MarketPacket::Disconnect(_)))))
        {
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
}
