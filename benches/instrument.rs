//! Instrument master benchmarks: lookups on a 250,000-row synthetic detailed master,
//! and loading it.
//!
//! ```text
//! cargo bench --bench instrument
//! ```
//!
//! Load time and peak RSS of the same file are printed by
//! `cargo run --release --example instrument_load` (criterion cannot see RSS).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dhan_feed::instrument::{FindOptions, InstrumentMaster, LoadOptions};
use dhan_feed::internals::synthetic;
use dhan_feed::proto::ExchangeSegment;

fn lookups(c: &mut Criterion) {
    let csv = synthetic::detailed_string(250_000, 42);
    let m = InstrumentMaster::from_reader(csv.as_bytes(), &LoadOptions::default())
        .expect("synthetic master loads");
    assert_eq!(m.len(), 250_000);
    let any = FindOptions::new();
    let mut g = c.benchmark_group("instrument_lookup_250k");
    g.bench_function("find NSE_EQ RELIANCE (underlying)", |b| {
        b.iter(|| {
            m.find(
                black_box(ExchangeSegment::NseEq),
                black_box("RELIANCE"),
                any,
            )
            .map(|i| i.security_id())
        })
    });
    g.bench_function(
        "find NSE_EQ reliance industries ltd (symbol name, any case)",
        |b| {
            b.iter(|| {
                m.find(
                    black_box(ExchangeSegment::NseEq),
                    black_box("reliance industries ltd"),
                    any,
                )
                .map(|i| i.security_id())
            })
        },
    );
    g.bench_function("find NSE_FNO NIFTY (first of ~58k contracts)", |b| {
        b.iter(|| {
            m.find(black_box(ExchangeSegment::NseFno), black_box("NIFTY"), any)
                .map(|i| i.security_id())
        })
    });
    g.bench_function("find_anywhere NIFTY (exact, 3rd segment)", |b| {
        b.iter(|| {
            m.find_anywhere(black_box("NIFTY"), &[], any)
                .map(|i| i.security_id())
        })
    });
    g.bench_function("find NSE_EQ miss (exact)", |b| {
        b.iter(|| {
            m.find(
                black_box(ExchangeSegment::NseEq),
                black_box("NOSUCHSYMBOL"),
                any.exact(),
            )
            .is_none()
        })
    });
    g.bench_function("by_security_id NSE_EQ 2885", |b| {
        b.iter(|| {
            m.by_security_id(black_box(ExchangeSegment::NseEq), black_box(2885))
                .map(|i| i.security_id())
        })
    });
    g.bench_function("by_security_id NSE_FNO + read 6 fields", |b| {
        b.iter(|| {
            m.by_security_id(black_box(ExchangeSegment::NseFno), black_box(1_100_000))
                .map(|i| {
                    (
                        i.lot_size(),
                        i.strike_price(),
                        i.option_type().is_some(),
                        i.expiry_date(),
                        i.tick_size(),
                        i.symbol_name().len(),
                    )
                })
        })
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    let csv = synthetic::detailed_string(250_000, 42);
    let mut g = c.benchmark_group("instrument_load");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Bytes(csv.len() as u64));
    g.bench_function("load + index 250k detailed rows", |b| {
        b.iter(|| {
            InstrumentMaster::from_reader(black_box(csv.as_bytes()), &LoadOptions::default())
                .map(|m| m.len())
        })
    });
    g.finish();
}

/// The CSV line splitter (memchr for quotes and commas) against a byte-by-byte
/// split, over every line of a 20,000-row synthetic detailed master.
fn csv_split(c: &mut Criterion) {
    use dhan_feed::internals::baseline::split_csv_bytewise;
    use dhan_feed::internals::csv::Fields;
    let csv = synthetic::detailed_string(20_000, 42);
    let lines: Vec<&[u8]> = csv.as_bytes().split(|&b| b == b'\n').collect();
    let mut g = c.benchmark_group("csv_split");
    g.throughput(criterion::Throughput::Bytes(csv.len() as u64));
    let mut fields = Fields::default();
    g.bench_function("memchr", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                fields.split(black_box(l)).expect("no open quote");
                n += fields.len();
            }
            n
        })
    });
    let (mut buf, mut bounds) = (Vec::new(), Vec::new());
    g.bench_function("bytewise_baseline", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                n += split_csv_bytewise(black_box(l), &mut buf, &mut bounds).unwrap_or(0);
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, lookups, load, csv_split);
criterion_main!(benches);
