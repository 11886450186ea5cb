//! The PostgreSQL sink against a real server the test starts itself (Debian's
//! `postgresql` package) and the simulator: rows equal a live consumer's, a
//! server restart in the middle is survived with every event accounted for, a
//! revoked permission is a clear error while the feed goes on, a password never
//! reaches a message, text that looks like SQL is stored as it came.
//!
//! Needs the server binaries: `cargo test --features postgres --test
//! sink_postgres -- --ignored` (`.ci/run` installs them and runs this).

mod common;
#[path = "sink/pg_server.rs"]
mod pg_server;

use dhan_feed::config::ClientConfig;
use dhan_feed::proto::market::MarketPacket;
use dhan_feed::proto::{ExchangeSegment, InstrumentId, OrderStatus};
use dhan_feed::sim::Simulator;
use dhan_feed::sink::{Sink, SinkConfig, SinkFeeds};
use dhan_feed::{Client, FeedKind, FeedMode, Overflow};
use pg_server::PgServer;
use std::time::Duration;

fn client(sim: &Simulator) -> Client {
    Client::new(ClientConfig {
        ring_capacity: 1 << 16,
        ..sim.client_config()
    })
    .unwrap()
}

fn ids(n: u32) -> Vec<InstrumentId> {
    (0..n)
        .map(|i| InstrumentId::new(ExchangeSegment::NseEq, 9_000 + i))
        .collect()
}

fn fast() -> SinkConfig {
    SinkConfig {
        flush_every: Duration::from_millis(100),
        ..SinkConfig::default()
    }
}

fn count(db: &mut postgres::Client, table: &str) -> i64 {
    db.query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

fn market_rows(db: &mut postgres::Client) -> i64 {
    ["ticks", "quotes", "fulls", "oi", "prev_close"]
        .iter()
        .map(|t| count(db, t))
        .sum()
}

#[test]
#[ignore = "needs PostgreSQL: cargo test --features postgres --test sink_postgres -- --ignored"]
fn rows_equal_a_live_consumers_and_text_is_stored_as_it_came() {
    let _g = common::serial();
    let pg = PgServer::start("rows");
    let sim = Simulator::builder()
        .rate(2_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let ids = ids(5);
    let mut seen_feed = client.market_feed(FeedMode::Quote);
    seen_feed.subscribe(&ids).unwrap();
    let mut sink_feed = client.market_feed(FeedMode::Quote);
    sink_feed.subscribe(&ids).unwrap();
    let mut depth = client.depth20();
    depth.subscribe(&ids[..2]).unwrap();
    let sink = Sink::postgres(
        &pg.url("postgres"),
        SinkFeeds::from(sink_feed)
            .orders(client.order_updates())
            .depth20(depth),
        fast(),
    )
    .unwrap();
    assert!(
        sim.handle()
            .wait_live(FeedKind::OrderUpdate, 1, Duration::from_secs(5))
    );
    let nasty = "'); DROP TABLE ticks; --\t\\x\n";
    let mut u = dhan_feed::internals::sample::order_update("91", OrderStatus::Pending, 0);
    u.remarks.set(nasty);
    assert_eq!(sim.handle().send_order_update(&u), 1);
    let mut seen = Vec::new();
    common::market_packets(&mut seen_feed, 1_500, &mut seen);
    sim.stop();
    common::market_packets(&mut seen_feed, 500, &mut seen);
    std::thread::sleep(Duration::from_millis(300));
    let stats = sink.stop().expect("committed");

    let mut db = pg.client();
    assert_eq!(
        market_rows(&mut db) as u64 + stats.skipped + stats.missed,
        stats.offered,
        "{stats:?}"
    );
    assert_eq!(stats.missed, 0);
    let quotes: Vec<_> = seen
        .iter()
        .filter_map(|p| match p {
            MarketPacket::Quote(q) => Some(*q),
            _ => None,
        })
        .collect();
    let rows = db
        .query(
            "SELECT segment, security_id, ltp, volume, ltt FROM quotes ORDER BY ctid",
            &[],
        )
        .unwrap();
    let early = quotes.len() - rows.len();
    assert!(early < 100, "{early}");
    for (r, q) in rows.iter().zip(&quotes[early..]) {
        assert_eq!(r.get::<_, String>(0), q.id.segment.to_string());
        assert_eq!(r.get::<_, i64>(1), i64::from(q.id.security_id));
        assert_eq!(r.get::<_, f64>(2), f64::from(q.ltp));
        assert_eq!(r.get::<_, i64>(3), i64::from(q.volume));
        assert_eq!(r.get::<_, i64>(4), i64::from(q.ltt.raw()));
    }
    let remarks: String = db
        .query_one(
            "SELECT remarks FROM order_updates WHERE order_no = '91'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(remarks, nasty);
    // Depth sides and bars went in by the same COPY (a column the schema lacks
    // would have failed it); bars made of quotes carry a volume.
    let sides: i64 = db
        .query_one(
            "SELECT count(*) FROM depth_top WHERE depth = 20 AND levels > 0 AND price_1 IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(sides > 10, "{sides} depth rows");
    let (bars, no_volume): (i64, i64) = db
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE volume IS NULL) FROM candles",
            &[],
        )
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert!(bars >= ids.len() as i64, "{bars} bars");
    assert_eq!(no_volume, 0);
    let version: i32 = db
        .query_one("SELECT max(version) FROM dhan_feed_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version as u32, dhan_feed::sink::PG_SCHEMA_VERSION);
}

#[test]
#[ignore = "needs PostgreSQL: cargo test --features postgres --test sink_postgres -- --ignored"]
fn a_server_restart_in_the_middle_loses_nothing_uncounted() {
    let _g = common::serial();
    let pg = PgServer::start("restart");
    let sim = Simulator::builder()
        .plain()
        .rate(5_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let mut feed = client
        .market_feed_with(FeedMode::Ticker, 256, Overflow::DropNewest)
        .unwrap();
    feed.subscribe(&ids(3)).unwrap();
    let sink = Sink::postgres(
        &pg.url("postgres"),
        feed,
        SinkConfig {
            max_pending: 1_000,
            ..fast()
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    pg.down();
    std::thread::sleep(Duration::from_millis(1_500));
    let during = sink.stats();
    assert!(during.failed_commits > 0, "{during:?}");
    let e = during.last_error.clone().unwrap();
    assert!(!e.contains("not-needed"), "the password in a message: {e}");
    pg.up();
    std::thread::sleep(Duration::from_millis(1_000));
    sim.stop();
    std::thread::sleep(Duration::from_millis(500));
    let stats = sink.stop().expect("committed after the restart");
    assert!(stats.missed > 0, "{stats:?}");
    let mut db = pg.client();
    let missed: i64 = db
        .query_one(
            "SELECT coalesce(sum(missed), 0)::bigint FROM gaps WHERE feed = 'market' AND reason = 'ring_full'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(missed as u64, stats.missed);
    assert_eq!(
        market_rows(&mut db) as u64 + stats.skipped + stats.missed,
        stats.offered,
        "{stats:?}"
    );
}

#[test]
#[ignore = "needs PostgreSQL: cargo test --features postgres --test sink_postgres -- --ignored"]
fn a_revoked_permission_is_a_clear_error_and_the_feed_goes_on() {
    let _g = common::serial();
    let pg = PgServer::start("revoke");
    let sim = Simulator::builder()
        .plain()
        .rate(500.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    // The schema made by the owner; the sink logs in as a role that may insert.
    {
        let mut feed = client.market_feed(FeedMode::Ticker);
        feed.subscribe(&ids(1)).unwrap();
        Sink::postgres(&pg.url("postgres"), feed, fast())
            .unwrap()
            .stop()
            .unwrap();
    }
    let mut db = pg.client();
    db.batch_execute(
        "CREATE ROLE sinker LOGIN; GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO sinker",
    )
    .unwrap();
    let mut other = client.market_feed(FeedMode::Ticker);
    other.subscribe(&ids(2)).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids(2)).unwrap();
    let sink = Sink::postgres(&pg.url("sinker"), feed, fast()).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(sink.stats().rows > 0);
    db.batch_execute("REVOKE INSERT ON ticks FROM sinker")
        .unwrap();
    let mut got = Vec::new();
    common::market_packets(&mut other, 800, &mut got);
    let st = sink.stats();
    let e = st.last_error.clone().expect("the failure is reported");
    assert!(e.contains("permission denied"), "{e}");
    assert!(!got.is_empty() && other.stats().dropped == 0);
    db.batch_execute("GRANT INSERT ON ticks TO sinker").unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        sink.stats().last_error,
        None,
        "recovered once allowed again"
    );
    sink.stop().unwrap();

    // A server that is not there: a clear error, and no password in it.
    let down = format!("postgres://u:hunter2@127.0.0.1:{}/x", pg.port + 1);
    let mut f = client.market_feed(FeedMode::Ticker);
    f.subscribe(&ids(1)).unwrap();
    let e = Sink::postgres(&down, f, fast()).unwrap_err().to_string();
    assert!(e.contains("127.0.0.1") && !e.contains("hunter2"), "{e}");
}
