use crate::client::*;
use dhan_feed::proto::depth::{DepthKind, DepthPacket, DepthSide, depth_packets};
use dhan_feed::proto::endpoint::FeedKind;
use dhan_feed::proto::login::{Login, encode_login};
use dhan_feed::proto::market::MarketPacket;
use dhan_feed::proto::order::{OrderMessageKind, OrderUpdate, OrderUpdateParser};
use dhan_feed::proto::request::{
    FeedMode, encode_depth20_subscribe, encode_depth200_subscribe, encode_subscription,
};
use dhan_feed::proto::{InstrumentId, OrderStatus};
use dhan_feed::sim::{
    DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, DEFAULT_PARTNER_ID, DEFAULT_PARTNER_SECRET, Lifecycle,
};
use std::time::Duration;
use tungstenite::Message;

use crate::common::{id, temp_dir};

fn subscribe(ws: &mut Ws, mode: FeedMode, ids: &[InstrumentId]) {
    let mut m = Vec::new();
    encode_subscription(mode, true, ids, &mut m).unwrap();
    send_text(ws, &m);
}

#[test]
fn market_feed_each_mode_over_tls_one_packet_per_message() {
    let sim = sim();
    for (mode, want) in [
        (FeedMode::Ticker, 2u8),
        (FeedMode::Quote, 4),
        (FeedMode::Full, 8),
    ] {
        let mut ws = connect(&sim, FeedKind::MarketFeed);
        subscribe(&mut ws, mode, &[id("NSE_EQ:2885")]);
        let got = market_packets(&mut ws, 12);
        assert!(got.len() >= 12);
        assert!(
            got.iter().all(|(_, per_msg)| *per_msg == 1),
            "one packet per message"
        );
        assert!(
            matches!(got[0].0, MarketPacket::PrevClose(_)),
            "previous close first on subscribe"
        );
        let codes: Vec<u8> = got[1..].iter().map(|(p, _)| p.code()).collect();
        assert!(codes.contains(&want), "{mode:?}: {codes:?}");
        match mode {
            FeedMode::Quote => {
                assert!(codes.iter().all(|&c| c == 4 || c == 5) && codes.contains(&5))
            }
            _ => assert!(codes.iter().all(|&c| c == want)),
        }
        assert!(got.iter().all(|(p, _)| p.id() == id("NSE_EQ:2885")));
    }
}

#[test]
fn plain_ws_and_numeric_security_id_and_ignored_binary_frames() {
    let sim = plain_sim();
    let mut ws = connect(&sim, FeedKind::MarketFeed);
    ws.send(Message::Binary(vec![12u8, 83, 0].into())).unwrap(); // ignored
    send_text(&mut ws, br#"{"RequestCode": 15, "InstrumentCount": 1, "InstrumentList": [{"ExchangeSegment": "IDX_I", "SecurityId": 13}]}"#);
    let got = market_packets(&mut ws, 5);
    assert!(
        got.iter()
            .skip(1)
            .all(|(p, _)| matches!(p, MarketPacket::Ticker(t) if t.id == id("IDX_I:13")))
    );
}

#[test]
fn same_seed_same_prices() {
    let a = Simulator2::new(7);
    let b = Simulator2::new(7);
    assert_eq!(a.prices(), b.prices());
}

struct Simulator2(dhan_feed::sim::Simulator);
impl Simulator2 {
    fn new(seed: u64) -> Self {
        Self(
            dhan_feed::sim::Simulator::builder()
                .plain()
                .seed(seed)
                .rate(5000.0)
                .order_interval(None)
                .start()
                .unwrap(),
        )
    }
    fn prices(&self) -> Vec<u32> {
        let mut ws = connect(&self.0, FeedKind::MarketFeed);
        subscribe(&mut ws, FeedMode::Ticker, &[id("NSE_FNO:55796")]);
        market_packets(&mut ws, 20)
            .into_iter()
            .filter_map(|(p, _)| p.ltp().map(f32::to_bits))
            .take(15)
            .collect()
    }
}

#[test]
fn unsubscribe_stops_the_instrument() {
    let sim = sim();
    let mut ws = connect(&sim, FeedKind::MarketFeed);
    subscribe(&mut ws, FeedMode::Ticker, &[id("IDX_I:13"), id("IDX_I:25")]);
    market_packets(&mut ws, 10);
    let mut m = Vec::new();
    encode_subscription(FeedMode::Ticker, false, &[id("IDX_I:13")], &mut m).unwrap();
    send_text(&mut ws, &m);
    // Packets already in flight may still name 13; after a while only 25 flows.
    std::thread::sleep(Duration::from_millis(100));
    let got = market_packets(&mut ws, 200);
    let tail = &got[got.len() - 50..];
    assert!(tail.iter().all(|(p, _)| p.id() == id("IDX_I:25")));
}

#[test]
fn depth20_stacks_bid_and_ask_per_instrument() {
    let sim = sim();
    let mut ws = connect(&sim, FeedKind::Depth20);
    let mut m = Vec::new();
    encode_depth20_subscribe(
        &[id("NSE_EQ:2885"), id("NSE_EQ:11536"), id("BSE_EQ:500325")],
        &mut m,
    )
    .unwrap();
    send_text(&mut ws, &m);
    let Message::Binary(b) = next_data(&mut ws).unwrap() else {
        panic!()
    };
    let ps: Vec<_> = depth_packets(DepthKind::Twenty, &b)
        .collect::<Result<_, _>>()
        .unwrap();
    let order: Vec<(u32, DepthSide, usize)> = ps
        .iter()
        .map(|p| match p {
            DepthPacket::Levels(l) => (l.id.security_id, l.side, l.len()),
            other => panic!("{other:?}"),
        })
        .collect();
    // BSE_EQ is not enabled for depth: ignored.
    assert_eq!(
        order,
        vec![
            (2885, DepthSide::Bid, 20),
            (2885, DepthSide::Ask, 20),
            (11536, DepthSide::Bid, 20),
            (11536, DepthSide::Ask, 20)
        ]
    );
    if let DepthPacket::Levels(bid) = ps[0] {
        let lv: Vec<_> = bid.iter().collect();
        assert!(
            lv.windows(2).all(|w| w[0].price > w[1].price),
            "bids best first"
        );
    }
}

#[test]
fn depth200_on_both_paths_with_thin_books() {
    let sim = sim();
    for target_path in [
        target(FeedKind::Depth200),
        target(FeedKind::Depth200).replace("/twohundreddepth", "/"),
    ] {
        let mut ws = try_connect(&sim, &target_path).unwrap();
        let mut m = Vec::new();
        encode_depth200_subscribe(id("NSE_FNO:49081"), &mut m).unwrap();
        send_text(&mut ws, &m);
        let Message::Binary(b) = next_data(&mut ws).unwrap() else {
            panic!()
        };
        let ps: Vec<_> = depth_packets(DepthKind::TwoHundred, &b)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ps.len(), 2);
        for p in ps {
            let DepthPacket::Levels(l) = p else { panic!() };
            assert!(l.len() >= 150 && l.len() <= 200);
            assert_eq!(l.seq_or_rows as usize, l.len());
        }
        // Unsubscribe with 25 (current docs) or 24 (older docs) is accepted.
        send_text(
            &mut ws,
            br#"{"RequestCode":25,"ExchangeSegment":"NSE_FNO","SecurityId":"49081"}"#,
        );
    }
}

fn login(ws: &mut Ws, l: &Login) {
    let mut m = Vec::new();
    encode_login(l, &mut m);
    send_text(ws, &m);
}

fn read_updates(ws: &mut Ws, n: usize) -> Vec<OrderUpdate> {
    let mut p = OrderUpdateParser::new();
    let mut slot = OrderUpdate::EMPTY;
    let mut out = Vec::new();
    while out.len() < n {
        let Message::Text(t) = next_data(ws).unwrap() else {
            panic!("expected text")
        };
        assert!(t.as_str().contains("\"OrderNo\""), "PascalCase keys");
        p.parse_frame(t.as_bytes(), &mut slot, |r| {
            let (k, u) = r.unwrap();
            assert_eq!(k, OrderMessageKind::Update);
            out.push(*u);
        });
    }
    out
}

#[test]
fn order_feed_self_and_partner_logins_and_lifecycles() {
    let sim = sim();
    let h = sim.handle();
    let mut me = connect(&sim, FeedKind::OrderUpdate);
    login(
        &mut me,
        &Login::SelfUser {
            client_id: DEFAULT_CLIENT_ID.into(),
            token: DEFAULT_ACCESS_TOKEN.into(),
        },
    );
    let mut partner = connect(&sim, FeedKind::OrderUpdate);
    login(
        &mut partner,
        &Login::Partner {
            partner_id: DEFAULT_PARTNER_ID.into(),
            secret: DEFAULT_PARTNER_SECRET.into(),
        },
    );
    assert!(h.wait_live(FeedKind::OrderUpdate, 2, Duration::from_secs(3)));
    for (lc, want) in [
        (
            Lifecycle::Traded,
            vec![
                OrderStatus::Transit,
                OrderStatus::Pending,
                OrderStatus::PartTraded,
                OrderStatus::Traded,
            ],
        ),
        (
            Lifecycle::Rejected,
            vec![OrderStatus::Transit, OrderStatus::Rejected],
        ),
        (
            Lifecycle::Cancelled,
            vec![
                OrderStatus::Transit,
                OrderStatus::Pending,
                OrderStatus::Cancelled,
            ],
        ),
        (
            Lifecycle::Expired,
            vec![
                OrderStatus::Transit,
                OrderStatus::Pending,
                OrderStatus::Expired,
            ],
        ),
    ] {
        h.start_lifecycle(lc);
        for ws in [&mut me, &mut partner] {
            let ups = read_updates(ws, want.len());
            assert_eq!(ups.iter().map(|u| u.status).collect::<Vec<_>>(), want);
            assert!(ups.windows(2).all(|w| w[0].order_no == w[1].order_no));
            if lc == Lifecycle::Traded {
                assert_eq!(
                    ups.iter().map(|u| u.traded_qty).collect::<Vec<_>>(),
                    vec![0, 0, 40, 100]
                );
            }
        }
    }
    // On demand: an arbitrary update.
    let mut u = dhan_feed::internals::sample::order_update("777", OrderStatus::Triggered, 0);
    u.remarks = dhan_feed::proto::Text::new("Super Order");
    assert_eq!(h.send_order_update(&u), 2);
    assert_eq!(read_updates(&mut me, 1)[0], u);
}

#[test]
fn order_feed_periodic_lifecycle_by_default() {
    let sim = dhan_feed::sim::Simulator::builder()
        .order_interval(Some(Duration::from_millis(100)))
        .start()
        .unwrap();
    let mut ws = connect(&sim, FeedKind::OrderUpdate);
    login(
        &mut ws,
        &Login::SelfUser {
            client_id: DEFAULT_CLIENT_ID.into(),
            token: DEFAULT_ACCESS_TOKEN.into(),
        },
    );
    let ups = read_updates(&mut ws, 2);
    assert_eq!(ups[0].status, OrderStatus::Transit);
}

#[test]
fn capture_dir_records_what_was_sent() {
    let dir = temp_dir("cap");
    let sim = dhan_feed::sim::Simulator::builder()
        .plain()
        .rate(2000.0)
        .capture_dir(&dir)
        .start()
        .unwrap();
    let mut ws = connect(&sim, FeedKind::MarketFeed);
    subscribe(&mut ws, FeedMode::Full, &[id("NSE_FNO:55796")]);
    let seen = market_packets(&mut ws, 10);
    drop(ws);
    sim.stop();
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let cap = std::fs::read(&file).unwrap();
    let mut r = dhan_feed::proto::capture::CaptureReader::new(&cap[..]);
    let mut recorded = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        recorded.extend(dhan_feed::proto::market::packets(rec.payload).map(Result::unwrap));
    }
    assert!(recorded.len() >= seen.len());
    for ((a, _), b) in seen.iter().zip(&recorded) {
        assert_eq!(
            dhan_feed::proto::market_encode::packet_bytes(a),
            dhan_feed::proto::market_encode::packet_bytes(b)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
