//! Micro benchmarks of the protocol core: ns per packet or message, with a naive
//! `from_le_bytes`-per-field decoder measured in the same run as the baseline.
//!
//! Run: `cargo bench --bench decode`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dhan_feed::internals::sample;
use dhan_feed::proto::depth::{DepthKind, DepthPacket, depth_packets};
use dhan_feed::proto::market::{Step, packets};
use dhan_feed::proto::market_encode::packet_bytes;
use dhan_feed::proto::order::{KeyCase, OrderUpdate, OrderUpdateParser, encode_order_update};
use dhan_feed::proto::request::{FeedMode, encode_subscription};
use dhan_feed::proto::{ExchangeSegment, InstrumentId, OrderStatus};
use std::hint::black_box;

use dhan_feed::internals::baseline::{naive, ticker_loads_only};

/// Messages per iteration: a stream of one-packet messages, as Dhan sends them,
/// so the per-iteration overhead of the harness is amortised.
const BATCH: usize = 1024;

fn market(c: &mut Criterion) {
    let all = sample::market_packets();
    let pick = |code: u8| packet_bytes(all.iter().find(|p| p.code() == code).unwrap());
    let mut g = c.benchmark_group("market_decode");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, code) in [("ticker", 2u8), ("quote", 4), ("full", 8)] {
        let one = pick(code);
        // BATCH messages laid out back to back; each is decoded as its own message.
        let stream: Vec<u8> = one
            .iter()
            .copied()
            .cycle()
            .take(one.len() * BATCH)
            .collect();
        let len = one.len();
        let mut slot = all[0];
        g.bench_function(name, |b| {
            b.iter(|| {
                for msg in black_box(&stream[..]).chunks_exact(len) {
                    let mut it = packets(msg);
                    while it.advance(&mut slot) == Step::Packet {
                        black_box(&slot);
                    }
                }
            })
        });
        // The same packets stacked in one message: the walker's set-up is amortised.
        g.bench_function(format!("{name}_stacked_1024_in_one_message"), |b| {
            b.iter(|| {
                let mut it = packets(black_box(&stream[..]));
                while it.advance(&mut slot) == Step::Packet {
                    black_box(&slot);
                }
            })
        });
        g.bench_function(format!("{name}_by_value_iterator"), |b| {
            b.iter(|| {
                for msg in black_box(&stream[..]).chunks_exact(len) {
                    for p in packets(msg) {
                        black_box(&p);
                    }
                }
            })
        });
        let mut np = naive::Pkt::default();
        g.bench_function(format!("{name}_naive_baseline"), |b| {
            b.iter(|| {
                for msg in black_box(&stream[..]).chunks_exact(len) {
                    black_box(naive::decode(msg, &mut np));
                    black_box(&np);
                }
            })
        });
        if code == 2 {
            // The floor: the three fields loaded, nothing checked.
            let mut out = (0u32, 0f32, 0u32);
            g.bench_function("ticker_loads_only_floor", |b| {
                b.iter(|| {
                    for msg in black_box(&stream[..]).chunks_exact(16) {
                        let p: &[u8; 16] = msg.try_into().expect("16 bytes");
                        ticker_loads_only(p, &mut out);
                        black_box(&out);
                    }
                })
            });
        }
    }
    g.finish();
}

fn depth(c: &mut Criterion) {
    let file = sample::depth20_capture();
    let msg = &file[4..];
    let mut g = c.benchmark_group("depth20_decode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("two_instrument_message_all_levels", |b| {
        b.iter(|| {
            let mut qty = 0u64;
            for p in depth_packets(DepthKind::Twenty, black_box(msg)) {
                if let Ok(DepthPacket::Levels(l)) = p {
                    for lv in l.iter() {
                        qty += u64::from(lv.qty);
                    }
                }
            }
            black_box(qty)
        })
    });
    // What a depth message costs end to end minus the socket: decode, copy each side
    // into the ring item (the I/O thread's work), assemble the books and emit
    // Update/Snapshot events (the consumer's work).
    let mut books = dhan_feed::feed::depth_book::Depth20Books::new(50);
    for p in depth_packets(DepthKind::Twenty, msg).flatten() {
        let _ = books.add(p.id(), dhan_feed::feed::depth_book::Label::new("x"));
    }
    let mut item = Box::new(dhan_feed::event::DepthSideUpdate::<20>::EMPTY);
    g.bench_function("two_instrument_message_decode_and_assemble", |b| {
        b.iter(|| {
            let mut events = 0u32;
            for p in depth_packets(DepthKind::Twenty, black_box(msg)) {
                if let Ok(DepthPacket::Levels(l)) = p {
                    item.id = l.id;
                    item.side = l.side;
                    item.rows = l.len() as u16;
                    l.copy_into(&mut item.levels);
                    let copied = *black_box(&*item);
                    books.apply_side(copied.id, copied.side, copied.levels(), 0, |_| events += 1);
                }
            }
            black_box(events)
        })
    });
    g.finish();
}

/// The same `Data` as a typed serde struct (the `serde_json` typed baseline;
/// borrowed strings, so no allocation for text without escapes).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct TypedData<'a> {
    #[serde(rename = "Exchange", default)]
    exchange: &'a str,
    #[serde(rename = "Segment", default)]
    segment: &'a str,
    #[serde(rename = "Source", default)]
    source: &'a str,
    #[serde(rename = "SecurityId", default)]
    security_id: &'a str,
    #[serde(rename = "ClientId", default)]
    client_id: &'a str,
    #[serde(rename = "ExchOrderNo", default)]
    exch_order_no: &'a str,
    #[serde(rename = "OrderNo", default)]
    order_no: &'a str,
    #[serde(rename = "Product", default)]
    product: &'a str,
    #[serde(rename = "TxnType", default)]
    txn_type: &'a str,
    #[serde(rename = "OrderType", default)]
    order_type: &'a str,
    #[serde(rename = "Validity", default)]
    validity: &'a str,
    #[serde(rename = "OffMktFlag", default)]
    off_mkt_flag: &'a str,
    #[serde(rename = "OrderDateTime", default)]
    order_date_time: &'a str,
    #[serde(rename = "ExchOrderTime", default)]
    exch_order_time: &'a str,
    #[serde(rename = "LastUpdatedTime", default)]
    last_updated_time: &'a str,
    #[serde(rename = "Remarks", default)]
    remarks: &'a str,
    #[serde(rename = "MktType", default)]
    mkt_type: &'a str,
    #[serde(rename = "ReasonDescription", default)]
    reason_description: &'a str,
    #[serde(rename = "Instrument", default)]
    instrument: &'a str,
    #[serde(rename = "Symbol", default)]
    symbol: &'a str,
    #[serde(rename = "ProductName", default)]
    product_name: &'a str,
    #[serde(rename = "DisplayName", default)]
    display_name: &'a str,
    #[serde(rename = "Isin", default)]
    isin: &'a str,
    #[serde(rename = "Series", default)]
    series: &'a str,
    #[serde(rename = "ExpiryDate", default)]
    expiry_date: &'a str,
    #[serde(rename = "OptType", default)]
    opt_type: &'a str,
    #[serde(rename = "GoodTillDaysDate", default)]
    good_till_days_date: &'a str,
    #[serde(rename = "AlgoId", default)]
    algo_id: &'a str,
    #[serde(rename = "CorrelationId", default)]
    correlation_id: &'a str,
    #[serde(rename = "AlgoOrdNo", default)]
    algo_ord_no: &'a str,
    #[serde(rename = "DiscQuantity", default)]
    disc_quantity: i64,
    #[serde(rename = "DiscQtyRem", default)]
    disc_qty_rem: i64,
    #[serde(rename = "RemainingQuantity", default)]
    remaining_quantity: i64,
    #[serde(rename = "Quantity", default)]
    quantity: i64,
    #[serde(rename = "TradedQty", default)]
    traded_qty: i64,
    #[serde(rename = "LotSize", default)]
    lot_size: i64,
    #[serde(rename = "LegNo", default)]
    leg_no: i64,
    #[serde(rename = "Multiplier", default)]
    multiplier: i64,
    #[serde(rename = "Price", default)]
    price: f64,
    #[serde(rename = "TriggerPrice", default)]
    trigger_price: f64,
    #[serde(rename = "TradedPrice", default)]
    traded_price: f64,
    #[serde(rename = "AvgTradedPrice", default)]
    avg_traded_price: f64,
    #[serde(rename = "RefLtp", default)]
    ref_ltp: f64,
    #[serde(rename = "TickSize", default)]
    tick_size: f64,
    #[serde(rename = "StrikePrice", default)]
    strike_price: f64,
    #[serde(rename = "Status", default)]
    status: &'a str,
}

/// `{"Data":{…},"Type":"order_alert"}` typed.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct TypedAlert<'a> {
    #[serde(rename = "Data", borrow)]
    data: TypedData<'a>,
    #[serde(rename = "Type")]
    kind: &'a str,
}

/// The order parser (its fast path) on a ~1 KB `order_alert` in PascalCase and
/// camelCase, against the same parser through simd-json's tape only (what it
/// was before the fast path), `serde_json` into a `Value` and into a typed
/// struct, all in one run.
fn orders(c: &mut Criterion) {
    let u = sample::order_update("52260111", OrderStatus::PartTraded, 40);
    let mut msg = Vec::new();
    encode_order_update(&u, KeyCase::Pascal, &mut msg);
    let mut camel = Vec::new();
    encode_order_update(&u, KeyCase::Camel, &mut camel);
    let mut parser = OrderUpdateParser::new();
    let mut slot = OrderUpdate::EMPTY;
    let mut g = c.benchmark_group("order_update");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("parse_pascal_case", |b| {
        b.iter(|| {
            parser.parse_frame(black_box(&msg), &mut slot, |r| {
                black_box(r.is_ok());
            })
        })
    });
    g.bench_function("parse_camel_case", |b| {
        b.iter(|| {
            parser.parse_frame(black_box(&camel), &mut slot, |r| {
                black_box(r.is_ok());
            })
        })
    });
    g.bench_function("object_fast_path_pascal_case", |b| {
        b.iter(|| black_box(parser.parse_object(black_box(&msg), 0, &mut slot).is_ok()))
    });
    // The frame path before the fast path: split into values, each on the tape.
    g.bench_function("before_split_and_tape_pascal_case", |b| {
        b.iter(|| {
            for r in dhan_feed::internals::json::split_values(black_box(&msg)).flatten() {
                black_box(
                    parser
                        .parse_object_tape(&msg[r.clone()], r.start, &mut slot)
                        .is_ok(),
                );
            }
        })
    });
    g.bench_function("tape_only_pascal_case", |b| {
        b.iter(|| {
            black_box(
                parser
                    .parse_object_tape(black_box(&msg), 0, &mut slot)
                    .is_ok(),
            )
        })
    });
    g.bench_function("serde_json_value_baseline", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&msg)).is_ok()))
    });
    g.bench_function("serde_json_typed_baseline", |b| {
        b.iter(|| black_box(serde_json::from_slice::<TypedAlert<'_>>(black_box(&msg)).is_ok()))
    });
    g.finish();
}

/// The order frame's value splitter (memchr jumps through strings) against the
/// byte-by-byte scan it replaced, on the same ~1 KB `order_alert`.
fn split(c: &mut Criterion) {
    use dhan_feed::internals::baseline::split_values_bytewise;
    use dhan_feed::internals::json::split_values;
    let mut msg = Vec::new();
    encode_order_update(
        &sample::order_update("52260111", OrderStatus::PartTraded, 40),
        KeyCase::Pascal,
        &mut msg,
    );
    let mut g = c.benchmark_group("split_values");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("memchr", |b| {
        b.iter(|| split_values(black_box(&msg)).filter(|r| r.is_ok()).count())
    });
    g.bench_function("bytewise_baseline", |b| {
        b.iter(|| split_values_bytewise(black_box(&msg)).len())
    });
    // Where a jump pays: long text values (a 600-byte rejection reason).
    let long = format!(
        r#"{{"Data":{{"OrderNo":"1","ReasonDescription":"{}","Status":"Rejected"}},"Type":"order_alert"}}"#,
        "RMS: margin shortfall ".repeat(27)
    );
    g.bench_function("long_text_memchr", |b| {
        b.iter(|| {
            split_values(black_box(long.as_bytes()))
                .filter(|r| r.is_ok())
                .count()
        })
    });
    g.bench_function("long_text_bytewise_baseline", |b| {
        b.iter(|| split_values_bytewise(black_box(long.as_bytes())).len())
    });
    g.finish();
}

fn requests(c: &mut Criterion) {
    let ids: Vec<InstrumentId> = (0..100)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 40_000 + i))
        .collect();
    let mut buf = Vec::with_capacity(8192);
    let mut g = c.benchmark_group("request_encode");
    g.throughput(Throughput::Elements(100));
    g.bench_function("subscribe_100_instruments", |b| {
        b.iter(|| {
            encode_subscription(FeedMode::Full, true, black_box(&ids), &mut buf).unwrap();
            black_box(buf.len())
        })
    });
    g.finish();
}

criterion_group!(benches, market, depth, orders, split, requests);
criterion_main!(benches);
