use crate::client::*;
use dhan_feed::Secret;
use dhan_feed::proto::DisconnectCode;
use dhan_feed::proto::depth::{DepthKind, DepthPacket, depth_packets};
use dhan_feed::proto::endpoint::{FeedKind, request_target};
use dhan_feed::proto::login::{Login, encode_login};
use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::proto::request::{FeedMode, encode_depth20_subscribe, encode_subscription};
use dhan_feed::proto::{ExchangeSegment, InstrumentId};
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID};
use std::time::Duration;

fn market_disconnect_code(bins: &[Vec<u8>]) -> Option<DisconnectCode> {
    bins.iter().rev().find_map(|b| match packets(b).next() {
        Some(Ok(MarketPacket::Disconnect(d))) => Some(d.reason),
        _ => None,
    })
}

fn depth_disconnect_code(kind: DepthKind, bins: &[Vec<u8>]) -> Option<DisconnectCode> {
    bins.iter()
        .rev()
        .find_map(|b| match depth_packets(kind, b).next() {
            Some(Ok(DepthPacket::Disconnect(d))) => Some(d.reason),
            _ => None,
        })
}

fn ids(n: u32) -> Vec<InstrumentId> {
    (0..n)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 40_000 + i))
        .collect()
}

#[test]
fn authentication_codes() {
    let sim = sim();
    for (token, client, want) in [
        ("expired-token", DEFAULT_CLIENT_ID, 807),
        ("wrong", DEFAULT_CLIENT_ID, 809),
        (DEFAULT_ACCESS_TOKEN, "999", 808),
    ] {
        for kind in [FeedKind::MarketFeed, FeedKind::Depth20, FeedKind::Depth200] {
            let t = request_target(kind, &Secret::new(token), &Secret::new(client));
            let mut ws = try_connect(&sim, &t).unwrap();
            let (bins, close, _) = read_until_close(&mut ws);
            let code = match kind {
                FeedKind::MarketFeed => market_disconnect_code(&bins),
                FeedKind::Depth20 => depth_disconnect_code(DepthKind::Twenty, &bins),
                _ => depth_disconnect_code(DepthKind::TwoHundred, &bins),
            };
            assert_eq!(code, Some(DisconnectCode(want)), "{kind}");
            assert_eq!(close, Some(1000));
        }
    }
    assert_eq!(sim.handle().live(FeedKind::MarketFeed), 0);
}

#[test]
fn bad_order_logins_are_refused() {
    let sim = sim();
    let mut m = Vec::new();
    for bad in [
        {
            encode_login(
                &Login::SelfUser {
                    client_id: DEFAULT_CLIENT_ID.into(),
                    token: "nope".into(),
                },
                &mut m,
            );
            m.clone()
        },
        b"{\"hello\":1}".to_vec(),
        b"not json".to_vec(),
    ] {
        let mut ws = connect(&sim, FeedKind::OrderUpdate);
        send_text(&mut ws, &bad);
        let (_, close, _) = read_until_close(&mut ws);
        assert_eq!(close, Some(1008));
    }
    assert_eq!(sim.handle().stats().logins, 0);
}

#[test]
fn more_than_100_instruments_in_one_message_is_804() {
    let sim = sim();
    let mut ws = connect(&sim, FeedKind::MarketFeed);
    // 101 instruments: our encoder refuses, so write the JSON by hand.
    let list: Vec<String> = ids(101)
        .iter()
        .map(|i| {
            format!(
                "{{\"ExchangeSegment\":\"NSE_FNO\",\"SecurityId\":\"{}\"}}",
                i.security_id
            )
        })
        .collect();
    let msg = format!(
        "{{\"RequestCode\":15,\"InstrumentCount\":101,\"InstrumentList\":[{}]}}",
        list.join(",")
    );
    send_text(&mut ws, msg.as_bytes());
    let (bins, close, _) = read_until_close(&mut ws);
    assert_eq!(market_disconnect_code(&bins), Some(DisconnectCode(804)));
    assert_eq!(close, Some(1000));
}

#[test]
fn more_than_5000_instruments_per_connection_is_804() {
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(1.0)
        .order_interval(None)
        .start()
        .unwrap();
    let mut ws = connect(&sim, FeedKind::MarketFeed);
    let all = ids(5001);
    let mut m = Vec::new();
    for chunk in all.chunks(100) {
        encode_subscription(FeedMode::Ticker, true, chunk, &mut m).unwrap();
        send_text(&mut ws, &m);
    }
    let (bins, _, _) = read_until_close(&mut ws);
    // 5,000 subscriptions were served (a previous close each) before the 804.
    let prev_closes = bins
        .iter()
        .filter(|b| matches!(packets(b).next(), Some(Ok(MarketPacket::PrevClose(_)))))
        .count();
    assert_eq!(prev_closes, 5000);
    assert_eq!(market_disconnect_code(&bins), Some(DisconnectCode(804)));
}

#[test]
fn depth_instrument_limits() {
    let sim = sim();
    let mut ws = connect(&sim, FeedKind::Depth20);
    let many: Vec<InstrumentId> = (0..51)
        .map(|i| InstrumentId::new(ExchangeSegment::NseEq, 1 + i))
        .collect();
    let mut m = Vec::new();
    encode_depth20_subscribe(&many[..50], &mut m).unwrap();
    send_text(&mut ws, &m);
    encode_depth20_subscribe(&many[50..], &mut m).unwrap();
    send_text(&mut ws, &m);
    let (bins, _, _) = read_until_close(&mut ws);
    assert_eq!(
        depth_disconnect_code(DepthKind::Twenty, &bins),
        Some(DisconnectCode(804))
    );

    let mut ws = connect(&sim, FeedKind::Depth200);
    send_text(
        &mut ws,
        br#"{"RequestCode":23,"ExchangeSegment":"NSE_EQ","SecurityId":"1"}"#,
    );
    send_text(
        &mut ws,
        br#"{"RequestCode":23,"ExchangeSegment":"NSE_EQ","SecurityId":"2"}"#,
    );
    let (bins, _, _) = read_until_close(&mut ws);
    assert_eq!(
        depth_disconnect_code(DepthKind::TwoHundred, &bins),
        Some(DisconnectCode(804))
    );
}

#[test]
fn a_sixth_connection_evicts_the_oldest_with_805() {
    let sim = sim();
    let h = sim.handle();
    let mut conns = Vec::new();
    for i in 0..5 {
        conns.push(connect(&sim, FeedKind::MarketFeed));
        assert!(h.wait_live(FeedKind::MarketFeed, i + 1, Duration::from_secs(3)));
    }
    // Other feeds have their own budget.
    let _depth = connect(&sim, FeedKind::Depth20);
    assert!(h.wait_live(FeedKind::Depth20, 1, Duration::from_secs(3)));
    let _sixth = connect(&sim, FeedKind::MarketFeed);
    let (bins, close, _) = read_until_close(&mut conns[0]);
    assert_eq!(market_disconnect_code(&bins), Some(DisconnectCode(805)));
    assert_eq!(close, Some(1000));
    assert!(h.wait_live(FeedKind::MarketFeed, 5, Duration::from_secs(3)));
    assert_eq!(h.stats().evicted, 1);
}
