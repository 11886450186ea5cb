//! The journal against the simulator: what a recording client's consumers saw is
//! what the journal holds, message for message (market packets, depth sides,
//! order updates), with the requests sent and the connection events, and no
//! credential anywhere; a truncated file reads up to its damage and says where;
//! a journal of another format version is refused with a clear message.

mod common;

use dhan_feed::event::FeedEvent;
use dhan_feed::feed::{DepthFeedEvent, OrderEvent};
use dhan_feed::journal::{self, EventTag, JournalConfig, JournalError, JournalReader, RecordKind};
use dhan_feed::proto::depth::{DepthKind, DepthPacket, depth_packets};
use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::proto::{ExchangeSegment, InstrumentId, OrderUpdate, OrderUpdateParser};
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Simulator};
use dhan_feed::{FeedKind, FeedMode};
use std::time::{Duration, Instant};

fn ids(n: u32) -> Vec<InstrumentId> {
    (0..n)
        .map(|i| InstrumentId::new(ExchangeSegment::NseEq, 9_000 + i))
        .collect()
}

/// Records a session: quotes of 5 instruments, 20-level depth of 2, order
/// updates; returns the journal's path, what the consumers saw, and the
/// recorder's counters.
struct Session {
    path: std::path::PathBuf,
    market: Vec<MarketPacket>,
    /// Each market event's receive stamp.
    market_ns: Vec<u64>,
    depth_sides: usize,
    /// The books at the end.
    books: Vec<dhan_feed::feed::depth_book::DepthBook<20>>,
    orders: Vec<OrderUpdate>,
    /// The order handle's events, by name (the tracker's included).
    order_events: Vec<String>,
    stats: journal::JournalStats,
    _dir: std::path::PathBuf,
}

fn record_a_session(name: &str, cfg: impl FnOnce(JournalConfig) -> JournalConfig) -> Session {
    let dir = common::temp_dir(name);
    let path = dir.join("day.arrows");
    let sim = Simulator::builder()
        .rate(2_000.0)
        .depth_rate(50.0)
        .order_interval(Some(Duration::from_millis(100)))
        .start()
        .unwrap();
    let (client, recorder) =
        journal::record(sim.client_config(), cfg(JournalConfig::new(&path))).unwrap();
    let mut market = client.market_feed(FeedMode::Quote);
    market.subscribe(&ids(5)).unwrap();
    let mut depth = client.depth20();
    depth.subscribe(&ids(2)).unwrap();
    let mut orders = client.order_updates();
    let mut seen = Session {
        path: path.clone(),
        market: Vec::new(),
        market_ns: Vec::new(),
        depth_sides: 0,
        books: Vec::new(),
        orders: Vec::new(),
        order_events: Vec::new(),
        stats: Default::default(),
        _dir: dir,
    };
    let mut take = |until: Instant, seen: &mut Session| {
        while Instant::now() < until {
            let mut idle = true;
            while let Some(e) = market.try_recv() {
                idle = false;
                if let FeedEvent::Market(m) = e {
                    seen.market.push(m.packet);
                    seen.market_ns.push(m.recv_ns);
                }
            }
            while let Some(e) = depth.try_recv() {
                idle = false;
                if let DepthFeedEvent::Update { .. } = e {
                    seen.depth_sides += 1;
                }
            }
            while let Some(e) = orders.try_recv() {
                idle = false;
                if let Some(n) = order_event_name(&e) {
                    seen.order_events.push(n);
                }
                if let OrderEvent::Update(u) = e {
                    seen.orders.push(u);
                }
            }
            if idle {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    };
    take(Instant::now() + Duration::from_millis(2_000), &mut seen);
    // The server goes: what was in flight arrives, then nothing more.
    sim.stop();
    take(Instant::now() + Duration::from_millis(500), &mut seen);
    assert_eq!(market.stats().dropped, 0);
    seen.books = ids(2)
        .iter()
        .map(|i| depth.book(*i).unwrap().clone())
        .collect();
    drop((market, depth, orders));
    drop(client);
    seen.stats = recorder.stop();
    seen
}

/// An order event's name and what identifies it (connection events left out:
/// a replay has the recorded ones only).
fn order_event_name(e: &OrderEvent) -> Option<String> {
    Some(match e {
        OrderEvent::Update(u) => format!("update {} {}", u.order_no.as_str(), u.status.as_str()),
        OrderEvent::StatusChange { order_no, new, .. } => {
            format!("status {} {}", order_no.as_str(), new.as_str())
        }
        OrderEvent::Execution {
            order_no,
            new_traded_qty,
            ..
        } => format!("exec {} {new_traded_qty}", order_no.as_str()),
        OrderEvent::Traded(u) => format!("traded {}", u.order_no.as_str()),
        OrderEvent::Rejected(u) => format!("rejected {}", u.order_no.as_str()),
        OrderEvent::Cancelled(u) => format!("cancelled {}", u.order_no.as_str()),
        OrderEvent::Expired(u) => format!("expired {}", u.order_no.as_str()),
        _ => return None,
    })
}

/// Replayed as fast as the handles take it, the journal gives the same handles
/// the same events: every market packet with its recorded receive stamp, the
/// same depth books, the same order events from the rebuilt tracker; then the
/// end of the replay.
#[test]
fn a_replay_gives_the_same_handles_the_same_events_with_the_recorded_stamps() {
    let _g = common::serial();
    let s = record_a_session("journal-replay", |c| c);
    let replay = journal::replay(&s.path, journal::Pacing::Max).unwrap();
    let client = replay.client();
    let mut market = client.market_feed(FeedMode::Quote);
    market.subscribe(&ids(5)).unwrap();
    let mut depth = client.depth20();
    depth.subscribe(&ids(2)).unwrap();
    let mut orders = client.order_updates();
    replay.start().unwrap();
    let mut got = Vec::new();
    let mut got_ns = Vec::new();
    let mut sides = 0;
    let mut order_events = Vec::new();
    let mut ended = [false; 3];
    let deadline = Instant::now() + Duration::from_secs(30);
    // After its end a handle returns `EngineStopped` on every call: each is
    // read until then only.
    while ended != [true; 3] && Instant::now() < deadline {
        while let Some(e) = market.try_recv().filter(|_| !ended[0]) {
            match e {
                FeedEvent::Market(m) => {
                    got.push(m.packet);
                    got_ns.push(m.recv_ns);
                }
                FeedEvent::EngineStopped(stop) => {
                    assert_eq!(stop, dhan_feed::event::EngineStop::ReplayEnded);
                    ended[0] = true;
                }
                _ => {}
            }
        }
        while let Some(e) = depth.try_recv().filter(|_| !ended[1]) {
            match e {
                DepthFeedEvent::Update { .. } => sides += 1,
                DepthFeedEvent::EngineStopped(_) => ended[1] = true,
                _ => {}
            }
        }
        while let Some(e) = orders.try_recv().filter(|_| !ended[2]) {
            if let OrderEvent::EngineStopped(_) = e {
                ended[2] = true;
            } else if let Some(n) = order_event_name(&e) {
                order_events.push(n);
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(ended, [true; 3], "the replay did not end");
    assert_eq!(market.stats().dropped, 0);
    assert_eq!(got.len(), s.market.len());
    assert_eq!(got, s.market);
    assert_eq!(got_ns, s.market_ns, "the recorded receive stamps");
    assert_eq!(sides, s.depth_sides);
    for live in &s.books {
        let b = depth.book(live.id()).unwrap();
        assert_eq!(b.bids(), live.bids());
        assert_eq!(b.asks(), live.asks());
    }
    assert!(!order_events.is_empty());
    assert_eq!(order_events, s.order_events);
}

#[test]
fn the_journal_holds_every_message_the_consumers_saw_and_no_credential() {
    let _g = common::serial();
    let s = record_a_session("journal-rows", |c| c);
    assert_eq!(s.stats.missed, 0);
    assert_eq!(s.stats.lost, 0);
    assert!(s.stats.batches >= 2, "{:?}", s.stats);
    let mut r = JournalReader::open(&s.path).unwrap();
    let mut market = Vec::new();
    let mut depth_sides = 0;
    let mut orders = Vec::new();
    let mut parser = OrderUpdateParser::new();
    let mut slot = OrderUpdate::default();
    let mut sent = Vec::new();
    let mut events = Vec::new();
    let mut last_mono = 0;
    let mut records = 0u64;
    for rec in r.by_ref() {
        records += 1;
        // In the order the I/O thread handled them.
        assert!(rec.recv_mono_ns >= last_mono, "{rec:?}");
        last_mono = rec.recv_mono_ns;
        for secret in [
            DEFAULT_CLIENT_ID.as_bytes(),
            DEFAULT_ACCESS_TOKEN.as_bytes(),
        ] {
            assert!(
                !rec.payload.windows(secret.len()).any(|w| w == secret),
                "a credential in {rec:?}"
            );
        }
        match (rec.feed_kind(), rec.kind) {
            (Some(FeedKind::MarketFeed), RecordKind::Binary) => {
                market.extend(packets(&rec.payload).map(Result::unwrap));
            }
            (Some(FeedKind::Depth20), RecordKind::Binary) => {
                depth_sides += depth_packets(DepthKind::Twenty, &rec.payload)
                    .filter(|p| matches!(p, Ok(DepthPacket::Levels(_))))
                    .count();
            }
            (Some(FeedKind::OrderUpdate), RecordKind::Text) => {
                parser.parse_frame(&rec.payload, &mut slot, |r| {
                    orders.push(*r.unwrap().1);
                });
            }
            (Some(kind), RecordKind::Sent) => {
                sent.push((kind, String::from_utf8(rec.payload).unwrap()))
            }
            (Some(kind), RecordKind::Event) => {
                events.push((kind, rec.event().unwrap().0));
            }
            other => panic!("unexpected record {other:?}"),
        }
    }
    assert!(r.damage().is_none(), "{:?}", r.damage());
    assert!(r.unfinished().is_empty());
    assert_eq!(records, s.stats.records);
    // Market packets: the consumer saw each, in order (heartbeats and the
    // like, which have no event, left out).
    let market: Vec<MarketPacket> = market
        .into_iter()
        .filter(|p| !matches!(p, MarketPacket::Unknown(_)))
        .collect();
    assert!(market.len() > 1_000, "{} packets", market.len());
    assert_eq!(market, s.market);
    // Depth sides: every side the handle turned into an update.
    assert_eq!(depth_sides, s.depth_sides);
    // Order updates: the masked client id aside, the same.
    assert!(!orders.is_empty());
    assert_eq!(orders.len(), s.orders.len());
    for (j, live) in orders.iter().zip(&s.orders) {
        assert_eq!(j.order_no, live.order_no);
        assert_eq!(j.status, live.status);
        assert_eq!(j.traded_qty, live.traded_qty);
        assert!(
            j.client_id.as_str().bytes().all(|b| b == b'*'),
            "{:?}",
            j.client_id
        );
    }
    // What was asked: the market subscription, the depth subscription, the
    // order login (masked), each on a connection that went live.
    assert!(
        sent.iter()
            .any(|(k, t)| *k == FeedKind::MarketFeed && t.contains("\"9004\"")),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .any(|(k, t)| *k == FeedKind::Depth20 && t.contains("9001")),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .any(|(k, t)| *k == FeedKind::OrderUpdate && t.contains("*****")),
        "{sent:?}"
    );
    for kind in [
        FeedKind::MarketFeed,
        FeedKind::Depth20,
        FeedKind::OrderUpdate,
    ] {
        assert!(events.contains(&(kind, EventTag::Connected)), "{events:?}");
    }
}

#[test]
fn a_truncated_journal_reads_up_to_the_damage_and_says_where() {
    let _g = common::serial();
    let s = record_a_session("journal-cut", |c| JournalConfig {
        batch_rows: 64,
        ..c
    });
    let all: Vec<_> = JournalReader::open(&s.path).unwrap().collect();
    let bytes = std::fs::read(&s.path).unwrap();
    // Cut in the middle: the records of the complete batches before the cut.
    let cut = s.path.with_extension("cut");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut r = JournalReader::open(&cut).unwrap();
    let got: Vec<_> = r.by_ref().collect();
    assert!(
        !got.is_empty() && got.len() < all.len(),
        "{} of {}",
        got.len(),
        all.len()
    );
    assert_eq!(got[..], all[..got.len()]);
    // Whole batches only: the count ends on a batch boundary of the file.
    let mut ends = vec![0];
    for b in arrow_ipc::reader::StreamReader::try_new(std::fs::File::open(&s.path).unwrap(), None)
        .unwrap()
    {
        ends.push(ends.last().unwrap() + b.unwrap().num_rows());
    }
    assert!(
        ends.contains(&got.len()),
        "{} not at a batch end {ends:?}",
        got.len()
    );
    // Cut inside a batch (nearly always): damage, with where. Cut exactly
    // between two: a file without its end marker.
    match r.damage() {
        Some(d) => {
            assert_eq!(d.file, cut);
            assert_eq!(d.records, got.len() as u64);
            assert!(d.batches > 0);
            let shown = d.to_string();
            assert!(shown.contains("complete batches"), "{shown}");
        }
        None => assert_eq!(r.unfinished(), std::slice::from_ref(&cut)),
    }
    // Garbage where the next batch should start (in place of the end marker):
    // every record, and the damage reported. (Arrow IPC has no checksum:
    // bytes changed inside a batch's values read as other values; damage to
    // the structure is what a reader can find.)
    let mut bad = bytes[..bytes.len() - 8].to_vec();
    bad.extend(std::iter::repeat_n(0x5a, 200));
    std::fs::write(&cut, &bad).unwrap();
    let mut r = JournalReader::open(&cut).unwrap();
    let n = r.by_ref().count();
    assert_eq!(n, all.len());
    let d = r.damage().expect("garbage went unnoticed");
    assert_eq!(d.records, all.len() as u64);
    // Not a journal at all.
    std::fs::write(&cut, b"ticks,ltp\n1,2\n").unwrap();
    let e = JournalReader::open(&cut).unwrap_err();
    assert!(matches!(e, JournalError::NotAJournal { .. }), "{e}");
}

#[test]
fn a_journal_of_another_version_is_refused_clearly() {
    use arrow_array::{RecordBatch, UInt64Array};
    use arrow_schema::{DataType, Field, Schema};
    let dir = common::temp_dir("journal-version");
    let path = dir.join("old.arrows");
    let schema = std::sync::Arc::new(Schema::new_with_metadata(
        vec![Field::new("recv_mono_ns", DataType::UInt64, false)],
        std::collections::HashMap::from([("dhan_feed.journal.version".to_owned(), "0".to_owned())]),
    ));
    let file = std::fs::File::create(&path).unwrap();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(file, &schema).unwrap();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![std::sync::Arc::new(UInt64Array::from(vec![1u64]))],
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let e = JournalReader::open(&path).unwrap_err();
    assert!(matches!(e, JournalError::Version { .. }), "{e}");
    let shown = e.to_string();
    assert!(
        shown.contains("format version 0") && shown.contains("reads version 1"),
        "{shown}"
    );
}

/// Rotated by size, a journal is several files (`PATH`, `PATH.1`, …), each a
/// whole stream, and the reader goes through them all in order.
#[test]
fn a_rotated_journal_reads_back_across_its_files() {
    let _g = common::serial();
    let s = record_a_session("journal-rotate", |c| JournalConfig {
        rotate_bytes: 16 * 1024,
        batch_rows: 256,
        ..c
    });
    assert!(s.stats.files >= 3, "{:?}", s.stats);
    let mut r = JournalReader::open(&s.path).unwrap();
    let mut last = 0;
    let mut n = 0u64;
    for rec in r.by_ref() {
        assert!(rec.recv_mono_ns >= last);
        last = rec.recv_mono_ns;
        n += 1;
    }
    assert!(
        r.damage().is_none() && r.unfinished().is_empty(),
        "{:?}",
        r.damage()
    );
    assert_eq!(n, s.stats.records);
    for i in 1..s.stats.files {
        let file = format!("{}.{i}", s.path.display());
        let one = JournalReader::open(&file).unwrap();
        assert!(one.count() > 0, "{file} is empty");
    }
}

/// The market events a replay at `pacing` gives a quote consumer of the
/// session's instruments, with their stamps, up to the replay's end.
fn replayed_market(
    path: &std::path::Path,
    pacing: journal::Pacing,
) -> (Vec<MarketPacket>, Vec<u64>) {
    let replay = journal::replay(path, pacing).unwrap();
    let mut market = replay.client().market_feed(FeedMode::Quote);
    market.subscribe(&ids(5)).unwrap();
    replay.start().unwrap();
    let (mut got, mut ns) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match market.recv_timeout(Duration::from_millis(50)) {
            Some(FeedEvent::Market(m)) => {
                got.push(m.packet);
                ns.push(m.recv_ns);
            }
            Some(FeedEvent::EngineStopped(stop)) => {
                assert_eq!(stop, dhan_feed::event::EngineStop::ReplayEnded);
                return (got, ns);
            }
            _ => {}
        }
    }
    panic!("the replay did not end");
}

/// Paced as recorded, or ten times as fast, a replay gives the same events
/// with the same stamps as one as fast as possible (the pace changes when, not
/// what); and a journal rotated by age reads back across its files.
#[test]
fn paced_replays_and_a_journal_rotated_by_age_give_the_same_events() {
    let _g = common::serial();
    let s = record_a_session("journal-paced", |c| JournalConfig {
        rotate_every: Some(Duration::from_millis(400)),
        ..c
    });
    assert!(s.stats.files >= 3, "{:?}", s.stats);
    let all: Vec<_> = JournalReader::open(&s.path).unwrap().collect();
    assert_eq!(all.len() as u64, s.stats.records);
    for pacing in [journal::Pacing::Original, journal::Pacing::Speed(10.0)] {
        let (got, ns) = replayed_market(&s.path, pacing);
        assert_eq!(got, s.market, "{pacing:?}");
        assert_eq!(ns, s.market_ns, "{pacing:?}");
    }
}
