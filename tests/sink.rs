//! The SQLite sink against the simulator: the rows are what a live consumer of
//! the same instruments saw, a database locked past the ring's capacity leaves a
//! gap row that counts every missed event, a restarted sink appends, text that
//! looks like SQL is stored as it came, and a file that cannot be a database is a
//! clear error.

mod common;

use dhan_feed::config::ClientConfig;
use dhan_feed::feed::{Candle, CandleAggregator};
use dhan_feed::proto::capture::CaptureReader;
use dhan_feed::proto::depth::{DepthKind, DepthLevel, DepthPacket, DepthSide, depth_packets};
use dhan_feed::proto::market::MarketPacket;
use dhan_feed::proto::{ExchangeSegment, InstrumentId, OrderStatus};
use dhan_feed::sim::{DEFAULT_CLIENT_ID, Simulator};
use dhan_feed::sink::{Sink, SinkConfig, SinkFeeds};
use dhan_feed::{Client, FeedKind, FeedMode, Overflow};
use rusqlite::Connection;
use std::time::{Duration, Instant};

fn client(sim: &Simulator) -> Client {
    Client::new(ClientConfig {
        ring_capacity: 1 << 16,
        ..sim.client_config()
    })
    .unwrap()
}

fn ids(n: u32) -> Vec<InstrumentId> {
    (0..n)
        .map(|i| InstrumentId::new(ExchangeSegment::NseEq, 8_000 + i))
        .collect()
}

fn fast() -> SinkConfig {
    SinkConfig {
        flush_every: Duration::from_millis(100),
        ..SinkConfig::default()
    }
}

fn count(db: &Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_rows_are_what_a_live_consumer_of_the_same_feed_saw() {
    let _g = common::serial();
    let dir = common::temp_dir("sink-rows");
    let path = dir.join("feed.db");
    let sim = Simulator::builder()
        .rate(2_000.0)
        .order_interval(Some(Duration::from_millis(150)))
        .start()
        .unwrap();
    let client = client(&sim);
    let ids = ids(6);
    // The live consumer first: it may see a few packets more at the start, the
    // ones that came before the sink's feed joined.
    let mut seen_feed = client.market_feed(FeedMode::Quote);
    seen_feed.subscribe(&ids).unwrap();
    let mut sink_feed = client.market_feed(FeedMode::Quote);
    sink_feed.subscribe(&ids).unwrap();
    let sink = Sink::sqlite(
        &path,
        SinkFeeds::from(sink_feed).orders(client.order_updates()),
        fast(),
    )
    .unwrap();
    let mut seen = Vec::new();
    common::market_packets(&mut seen_feed, 2_000, &mut seen);
    // The server goes away: what was in flight arrives at both, then nothing.
    sim.stop();
    common::market_packets(&mut seen_feed, 500, &mut seen);
    std::thread::sleep(Duration::from_millis(300));
    let stats = sink.stop().expect("committed");
    assert_eq!(stats.missed, 0);
    assert!(stats.commits >= 2, "{stats:?}");

    let db = Connection::open(&path).unwrap();
    // Every market event offered to the sink's ring is a row.
    let market_rows: i64 = ["ticks", "quotes", "fulls", "oi", "prev_close"]
        .iter()
        .map(|t| count(&db, t))
        .sum();
    assert_eq!(
        market_rows as u64 + stats.skipped,
        stats.offered,
        "{stats:?}"
    );
    let quotes: Vec<&dhan_feed::proto::market::Quote> = seen
        .iter()
        .filter_map(|p| match p {
            MarketPacket::Quote(q) => Some(q),
            _ => None,
        })
        .collect();
    assert!(quotes.len() > 1_000, "{} quotes", quotes.len());
    let stored = count(&db, "quotes") as usize;
    let early = quotes.len() - stored;
    assert!(early < 100, "{early} quotes before the sink joined");
    // Value for value, in the order they came: the live consumer's, from the
    // sink's first on.
    let mut st = db
        .prepare("SELECT segment, security_id, ltp, volume, ltt, high FROM quotes ORDER BY rowid")
        .unwrap();
    let rows: Vec<(String, u32, f64, u32, u32, f64)> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), stored);
    for (row, q) in rows.iter().zip(&quotes[early..]) {
        assert_eq!(row.0, q.id.segment.to_string());
        assert_eq!(row.1, q.id.security_id);
        assert_eq!(row.2, f64::from(q.ltp));
        assert_eq!(row.3, q.volume);
        assert_eq!(row.4, q.ltt.raw());
        assert_eq!(row.5, f64::from(q.high));
    }
    // Receive times are wall clock, of this run.
    let (lo, hi): (i64, i64) = db
        .query_row("SELECT min(recv_ns), max(recv_ns) FROM quotes", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    assert!(
        now - lo < 60_000_000_000 && hi <= now && lo <= hi,
        "{lo} {hi} {now}"
    );
    // The simulator's order lifecycles, every field but the client id.
    let orders = count(&db, "order_updates");
    assert!(orders > 0, "no order update stored");
    let empty: i64 = db
        .query_row(
            "SELECT count(*) FROM order_updates WHERE order_no = '' OR status = ''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(empty, 0);
    assert_eq!(count(&db, "gaps"), 0);

    // Candles: the bars the live consumer's own aggregator closed, from the
    // sink's second bar of each instrument on (its first may have begun after
    // the live consumer's), then the open bars both hand out at the end.
    let mut live = CandleAggregator::new(60);
    let mut live_closed: Vec<Candle> = seen.iter().filter_map(|p| live.on_packet(p)).collect();
    let mut live_open = live.flush();
    let mut st = db
        .prepare(
            "SELECT segment, security_id, start, interval_secs, open, high, low, close, volume, packets, closed \
             FROM candles ORDER BY rowid",
        )
        .unwrap();
    let stored: Vec<(Candle, bool)> = st
        .query_map([], |r| {
            let seg: String = r.get(0)?;
            let f = |i: usize| r.get::<_, f64>(i).map(|x| x as f32);
            Ok((
                Candle {
                    id: InstrumentId::new(seg.parse().unwrap(), r.get(1)?),
                    start: r.get(2)?,
                    interval: r.get(3)?,
                    open: f(4)?,
                    high: f(5)?,
                    low: f(6)?,
                    close: f(7)?,
                    volume: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
                    packets: r.get(9)?,
                },
                r.get::<_, i64>(10)? == 1,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut firsts = std::collections::HashMap::new();
    let mut sink_closed = Vec::new();
    let mut sink_open = Vec::new();
    for (bar, closed) in stored {
        if !closed {
            sink_open.push(bar);
        } else if let std::collections::hash_map::Entry::Vacant(e) = firsts.entry(bar.id) {
            e.insert(bar.start);
        } else {
            sink_closed.push(bar);
        }
    }
    assert!(sink_closed.len() >= ids.len(), "{} bars", sink_closed.len());
    live_closed.retain(|b| firsts.get(&b.id).is_some_and(|&first| b.start > first));
    let key = |b: &Candle| (b.id.security_id, b.start);
    live_closed.sort_by_key(key);
    sink_closed.sort_by_key(key);
    assert_eq!(sink_closed, live_closed);
    live_open.sort_by_key(key);
    sink_open.sort_by_key(key);
    assert_eq!(sink_open, live_open);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn depth_rows_are_the_best_five_levels_of_every_side_the_simulator_sent() {
    let _g = common::serial();
    let dir = common::temp_dir("sink-depth");
    let capture = dir.join("capture");
    std::fs::create_dir_all(&capture).unwrap();
    let path = dir.join("depth.db");
    let sim = Simulator::builder()
        .order_interval(None)
        .depth_rate(200.0)
        .capture_dir(&capture)
        .start()
        .unwrap();
    let client = client(&sim);
    let ids = [
        InstrumentId::new(ExchangeSegment::NseEq, 2885),
        InstrumentId::new(ExchangeSegment::NseEq, 11536),
    ];
    // The sink's depth handle is the only depth connection: everything the
    // simulator sends on it reaches the sink.
    let mut depth = client.depth20();
    depth.subscribe(&ids).unwrap();
    let sink = Sink::sqlite(&path, SinkFeeds::new().depth20(depth), fast()).unwrap();
    std::thread::sleep(Duration::from_millis(1_500));
    sim.stop();
    std::thread::sleep(Duration::from_millis(300));
    let stats = sink.stop().expect("committed");
    assert_eq!(stats.missed, 0);

    // What was sent, per instrument and side, as the book keeps it (rows of
    // zero quantity at the end left out): its first five levels.
    let mut sent: std::collections::HashMap<(u32, &str), Vec<Vec<DepthLevel>>> =
        std::collections::HashMap::new();
    for f in std::fs::read_dir(&capture).unwrap().flatten() {
        let bytes = std::fs::read(f.path()).unwrap();
        let mut r = CaptureReader::new(&bytes[..]);
        while let Ok(Some(rec)) = r.next_record() {
            for p in depth_packets(DepthKind::Twenty, rec.payload).flatten() {
                if let DepthPacket::Levels(l) = p {
                    let levels: Vec<DepthLevel> = l.iter().collect();
                    let kept = levels.iter().rposition(|l| l.qty > 0).map_or(0, |i| i + 1);
                    let side = match l.side {
                        DepthSide::Bid => "bid",
                        DepthSide::Ask => "ask",
                    };
                    sent.entry((l.id.security_id, side))
                        .or_default()
                        .push(levels[..kept].to_vec());
                }
            }
        }
    }
    let db = Connection::open(&path).unwrap();
    // (instrument, side) → (levels, top levels) per row.
    type Rows = Vec<(i64, Vec<DepthLevel>)>;
    let mut stored: std::collections::HashMap<(u32, String), Rows> =
        std::collections::HashMap::new();
    let mut st = db
        .prepare(
            "SELECT security_id, depth, side, levels, price_1, qty_1, orders_1, price_2, qty_2, orders_2, \
             price_3, qty_3, orders_3, price_4, qty_4, orders_4, price_5, qty_5, orders_5 \
             FROM depth_top WHERE segment = 'NSE_EQ' ORDER BY rowid",
        )
        .unwrap();
    let mut rows = st.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        assert_eq!(r.get::<_, i64>(1).unwrap(), 20);
        let mut top = Vec::new();
        for i in 0..5 {
            let price: Option<f64> = r.get(4 + 3 * i).unwrap();
            if let Some(price) = price {
                top.push(DepthLevel {
                    price,
                    qty: r.get(5 + 3 * i).unwrap(),
                    orders: r.get(6 + 3 * i).unwrap(),
                });
            }
        }
        stored
            .entry((r.get(0).unwrap(), r.get(2).unwrap()))
            .or_default()
            .push((r.get(3).unwrap(), top));
    }
    assert_eq!(
        count(&db, "depth_top") as usize,
        stored.values().map(Vec::len).sum()
    );
    for id in ids {
        for side in ["bid", "ask"] {
            let sent = &sent[&(id.security_id, side)];
            let rows = &stored[&(id.security_id, side.to_owned())];
            assert!(sent.len() >= 20, "{} {side}: {} sides", id, sent.len());
            assert_eq!(rows.len(), sent.len(), "{id} {side}");
            for ((levels, top), s) in rows.iter().zip(sent) {
                assert_eq!(*levels as usize, s.len());
                assert_eq!(top[..], s[..s.len().min(5)]);
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_locked_database_makes_the_ring_drop_and_a_gap_row_counts_every_missed_event() {
    let _g = common::serial();
    let dir = common::temp_dir("sink-gap");
    let path = dir.join("feed.db");
    let sim = Simulator::builder()
        .plain()
        .rate(20_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let ids = ids(4);
    let mut seen_feed = client.market_feed(FeedMode::Ticker);
    seen_feed.subscribe(&ids).unwrap();
    // The sink's ring is small, and it stops taking past 500 waiting rows.
    let mut sink_feed = client
        .market_feed_with(FeedMode::Ticker, 64, Overflow::DropNewest)
        .unwrap();
    sink_feed.subscribe(&ids).unwrap();
    let sink = Sink::sqlite(
        &path,
        sink_feed,
        SinkConfig {
            max_pending: 500,
            ..fast()
        },
    )
    .unwrap();
    let mut seen = Vec::new();
    common::market_packets(&mut seen_feed, 500, &mut seen);
    // Another program holds the write lock for 1.5 s.
    let locker = Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    common::market_packets(&mut seen_feed, 1_500, &mut seen);
    let during = sink.stats();
    assert!(during.failed_commits > 0, "{during:?}");
    assert!(during.last_error.is_some(), "{during:?}");
    locker.execute_batch("COMMIT").unwrap();
    common::market_packets(&mut seen_feed, 800, &mut seen);
    sim.stop();
    common::market_packets(&mut seen_feed, 400, &mut seen);
    std::thread::sleep(Duration::from_millis(300));
    let stats = sink.stop().expect("committed once the lock went");
    assert!(stats.missed > 0, "{stats:?}");
    assert_eq!(stats.last_error, None);

    let db = Connection::open(&path).unwrap();
    let (gaps, missed): (i64, i64) = db
        .query_row(
            "SELECT count(*), coalesce(sum(missed), 0) FROM gaps WHERE feed = 'market' AND reason = 'ring_full'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(gaps >= 1);
    assert_eq!(missed as u64, stats.missed);
    // Every event offered to the sink's ring is a row or counted in a gap.
    let market_rows: i64 = ["ticks", "quotes", "fulls", "oi", "prev_close"]
        .iter()
        .map(|t| count(&db, t))
        .sum();
    assert_eq!(
        market_rows as u64 + stats.skipped + stats.missed,
        stats.offered,
        "{stats:?}"
    );
    // And the live consumer, subscribed first, saw at least as many tickers.
    let tickers = seen
        .iter()
        .filter(|p| matches!(p, MarketPacket::Ticker(_)))
        .count() as i64;
    assert!(count(&db, "ticks") + missed <= tickers);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_restarted_sink_appends_and_text_that_looks_like_sql_is_stored_as_it_came() {
    let _g = common::serial();
    let dir = common::temp_dir("sink-restart");
    let path = dir.join("feed.db");
    let sim = Simulator::builder().order_interval(None).start().unwrap();
    let client = client(&sim);
    let run = |remarks: &str| {
        let mut feed = client.market_feed(FeedMode::Ticker);
        feed.subscribe(&ids(2)).unwrap();
        let orders = client.order_updates();
        let sink = Sink::sqlite(&path, SinkFeeds::from(feed).orders(orders), fast()).unwrap();
        assert!(
            sim.handle()
                .wait_live(FeedKind::OrderUpdate, 1, Duration::from_secs(5))
        );
        let mut u = dhan_feed::internals::sample::order_update("77", OrderStatus::Pending, 0);
        u.remarks.set(remarks);
        assert_eq!(sim.handle().send_order_update(&u), 1);
        std::thread::sleep(Duration::from_millis(600));
        let stats = sink.stop().unwrap();
        assert!(stats.rows > 0);
    };
    run("first");
    let db = Connection::open(&path).unwrap();
    let first_ticks = count(&db, "ticks");
    assert!(first_ticks > 0);
    drop(db);
    let nasty = "'); DROP TABLE ticks; -- \"x\"";
    run(nasty);
    let db = Connection::open(&path).unwrap();
    assert!(count(&db, "ticks") > first_ticks, "appended");
    let remarks: Vec<String> = db
        .prepare("SELECT remarks FROM order_updates ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(remarks, ["first", nasty]);
    let version: u32 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, dhan_feed::sink::SCHEMA_VERSION);
    // The client id is a credential: not a column, not a value.
    let dump: String = db
        .query_row(
            "SELECT group_concat(exchange || segment || order_no || remarks || symbol, '|') FROM order_updates",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains(DEFAULT_CLIENT_ID), "{dump}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_file_that_cannot_be_a_database_is_a_clear_error_and_the_feed_goes_on() {
    let _g = common::serial();
    let dir = common::temp_dir("sink-bad");
    let sim = Simulator::builder()
        .plain()
        .rate(500.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let mut other = client.market_feed(FeedMode::Ticker);
    other.subscribe(&ids(2)).unwrap();
    let feed = || {
        let mut f = client.market_feed(FeedMode::Ticker);
        f.subscribe(&ids(2)).unwrap();
        f
    };
    let missing = dir.join("no/such/dir/feed.db");
    let e = Sink::sqlite(&missing, feed(), SinkConfig::default()).unwrap_err();
    assert!(e.to_string().contains("no/such/dir"), "{e}");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "these are not the pages of a database ".repeat(200)).unwrap();
    let e = Sink::sqlite(&text, feed(), SinkConfig::default()).unwrap_err();
    assert!(e.to_string().contains("notes.txt"), "{e}");
    // The other consumer never noticed.
    let mut got = Vec::new();
    common::market_packets(&mut other, 500, &mut got);
    assert!(!got.is_empty());
    assert_eq!(other.stats().dropped, 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// A sink stopped while another program keeps the database locked gives up
/// after five seconds and says how many rows it could not commit.
#[test]
fn a_sink_stopped_behind_a_lock_says_what_it_could_not_commit() {
    let _g = common::serial();
    let dir = common::temp_dir("sink-uncommitted");
    let path = dir.join("feed.db");
    let sim = Simulator::builder()
        .plain()
        .rate(1_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids(2)).unwrap();
    let sink = Sink::sqlite(&path, feed, fast()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let locker = Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    let e = sink.stop().expect_err("rows left behind the lock");
    assert!(t.elapsed() >= Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(e.rows > 0, "{e}");
    assert!(e.to_string().contains("not committed"), "{e}");
    assert!(e.last_error.contains("locked"), "{e}");
    let as_crate_error: dhan_feed::Error = e.into();
    assert!(matches!(as_crate_error, dhan_feed::Error::Sink(_)));
    locker.execute_batch("COMMIT").unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

/// The scheduling policy (field 41 of `/proc/self/task/TID/stat`) of every
/// thread named `name`.
#[cfg(target_os = "linux")]
fn policies(name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        // Fields after the command's closing parenthesis start at field 3.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        out.push(rest.split(' ').nth(41 - 3).unwrap().parse().unwrap());
    }
    out
}

/// By default the sink thread runs in the idle scheduling class, so it never
/// delays the feed's threads; `idle_priority: false` leaves it at the normal one.
#[cfg(target_os = "linux")]
#[test]
fn the_sink_thread_runs_at_idle_priority_unless_asked_not_to() {
    const SCHED_OTHER: u32 = 0;
    const SCHED_IDLE: u32 = 5;
    let _g = common::serial();
    let dir = common::temp_dir("sink-priority");
    let sim = Simulator::builder().order_interval(None).start().unwrap();
    let client = client(&sim);
    for (idle, policy) in [(true, SCHED_IDLE), (false, SCHED_OTHER)] {
        let sink = Sink::sqlite(
            dir.join(format!("{idle}.db")),
            client.market_feed(FeedMode::Ticker),
            SinkConfig {
                idle_priority: idle,
                ..fast()
            },
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = policies("dhan-feed-sink");
        while seen.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            seen = policies("dhan-feed-sink");
        }
        // The policy is set as the thread starts: give it that moment.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            policies("dhan-feed-sink"),
            [policy],
            "idle_priority: {idle}"
        );
        sink.stop().unwrap();
    }
    let _ = std::fs::remove_dir_all(dir);
}
