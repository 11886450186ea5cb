//! A recorded journal exported to Parquet and read back with the `parquet`
//! crate: every quote the consumer saw, value for value; every depth level of
//! every side; every order update; units in the fields' metadata.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use dhan_feed::FeedMode;
use dhan_feed::event::FeedEvent;
use dhan_feed::feed::OrderEvent;
use dhan_feed::journal::{self, JournalConfig};
use dhan_feed::proto::market::MarketPacket;
use dhan_feed::proto::{ExchangeSegment, InstrumentId};
use dhan_feed::sim::Simulator;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::time::{Duration, Instant};

fn read(path: &std::path::Path) -> Vec<arrow_array::RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn an_exported_journal_reads_back_with_the_values_the_consumers_saw() {
    let _g = common::serial();
    let dir = common::temp_dir("journal-parquet");
    let path = dir.join("day.arrows");
    let sim = Simulator::builder()
        .rate(2_000.0)
        .depth_rate(50.0)
        .order_interval(Some(Duration::from_millis(100)))
        .start()
        .unwrap();
    let (client, recorder) =
        journal::record(sim.client_config(), JournalConfig::new(&path)).unwrap();
    let ids: Vec<InstrumentId> = (0..4)
        .map(|i| InstrumentId::new(ExchangeSegment::NseEq, 9_100 + i))
        .collect();
    let mut market = client.market_feed(FeedMode::Quote);
    market.subscribe(&ids).unwrap();
    let mut depth = client.depth20();
    depth.subscribe(&ids[..1]).unwrap();
    let mut orders = client.order_updates();
    let mut quotes = Vec::new();
    let mut updates = 0;
    let until = Instant::now() + Duration::from_millis(1_500);
    while Instant::now() < until {
        while let Some(e) = market.try_recv() {
            if let FeedEvent::Market(m) = e
                && let MarketPacket::Quote(q) = m.packet
            {
                quotes.push(q);
            }
        }
        while let Some(e) = orders.try_recv() {
            updates += usize::from(matches!(e, OrderEvent::Update(_)));
        }
        while depth.try_recv().is_some() {}
        std::thread::sleep(Duration::from_millis(1));
    }
    sim.stop();
    std::thread::sleep(Duration::from_millis(200));
    while let Some(e) = market.try_recv() {
        if let FeedEvent::Market(m) = e
            && let MarketPacket::Quote(q) = m.packet
        {
            quotes.push(q);
        }
        if matches!(e, FeedEvent::EngineStopped(_)) {
            break;
        }
    }
    while let Some(e) = orders.try_recv() {
        if matches!(e, OrderEvent::EngineStopped(_)) {
            break;
        }
        updates += usize::from(matches!(e, OrderEvent::Update(_)));
    }
    drop((market, depth, orders, client));
    recorder.stop();

    let out = dir.join("parquet");
    let stats = journal::export_parquet(&path, &out).unwrap();
    assert!(stats.damage.is_none());
    let batches = read(&out.join("quotes.parquet"));
    let schema = batches[0].schema();
    assert_eq!(
        schema
            .field_with_name("ltp")
            .unwrap()
            .metadata()
            .get("unit")
            .map(String::as_str),
        Some("rupees")
    );
    let mut rows = 0;
    for b in &batches {
        let ltp = b
            .column_by_name("ltp")
            .unwrap()
            .as_primitive::<Float64Type>();
        let vol = b
            .column_by_name("volume")
            .unwrap()
            .as_primitive::<Int64Type>();
        let sid = b
            .column_by_name("security_id")
            .unwrap()
            .as_primitive::<Int64Type>();
        for r in 0..b.num_rows() {
            let q = &quotes[rows];
            assert_eq!(ltp.value(r), f64::from(q.ltp));
            assert_eq!(vol.value(r), i64::from(q.volume));
            assert_eq!(sid.value(r), i64::from(q.id.security_id));
            rows += 1;
        }
    }
    assert!(rows > 500, "{rows} quotes");
    assert_eq!(rows, quotes.len());
    // Depth: 20 levels a side, each a row.
    let levels: usize = read(&out.join("depth_levels.parquet"))
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert!(levels >= 40 && levels.is_multiple_of(20), "{levels}");
    // Order updates: each one the handle saw.
    let orders: usize = read(&out.join("order_updates.parquet"))
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(orders, updates);
    assert!(orders > 0);
    let _ = std::fs::remove_dir_all(dir);
}
