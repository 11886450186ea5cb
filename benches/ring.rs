//! The consumer ring against rtrb and crossbeam-channel, same run: one-way
//! throughput across two threads and round-trip hop latency, with an event-sized
//! payload (192 bytes, like a `FeedEvent`).
//!
//! Run: `cargo bench --bench ring`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

type Payload = [u64; 24];

/// Pins the calling thread (best effort): producer on core 0, consumer on core 1,
/// as `dhan-feed` runs them. Unpinned, two spinning threads on a 2-core machine
/// share cores at the scheduler's whim and the numbers move tenfold.
fn pin(core: usize) {
    // Built directly: get_core_ids() lists only the cores the current (inherited)
    // mask allows, so a thread spawned by a pinned thread could not move.
    core_affinity::set_for_current(core_affinity::CoreId { id: core });
}

trait Queue: Send + 'static {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn make(cap: usize) -> (Self::Tx, Self::Rx);
    fn push(tx: &mut Self::Tx, v: Payload) -> bool;
    fn pop(rx: &mut Self::Rx) -> Option<Payload>;
}

struct Ours;
impl Queue for Ours {
    type Tx = dhan_feed::internals::ring::Producer<Payload>;
    type Rx = dhan_feed::internals::ring::Consumer<Payload>;
    fn make(cap: usize) -> (Self::Tx, Self::Rx) {
        dhan_feed::internals::ring::ring(cap)
    }
    fn push(tx: &mut Self::Tx, v: Payload) -> bool {
        tx.push(v).is_ok()
    }
    fn pop(rx: &mut Self::Rx) -> Option<Payload> {
        rx.pop()
    }
}

struct Rtrb;
impl Queue for Rtrb {
    type Tx = rtrb::Producer<Payload>;
    type Rx = rtrb::Consumer<Payload>;
    fn make(cap: usize) -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(cap)
    }
    fn push(tx: &mut Self::Tx, v: Payload) -> bool {
        tx.push(v).is_ok()
    }
    fn pop(rx: &mut Self::Rx) -> Option<Payload> {
        rx.pop().ok()
    }
}

struct Crossbeam;
impl Queue for Crossbeam {
    type Tx = crossbeam_channel::Sender<Payload>;
    type Rx = crossbeam_channel::Receiver<Payload>;
    fn make(cap: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(cap)
    }
    fn push(tx: &mut Self::Tx, v: Payload) -> bool {
        tx.try_send(v).is_ok()
    }
    fn pop(rx: &mut Self::Rx) -> Option<Payload> {
        rx.try_recv().ok()
    }
}

/// Values per criterion iteration, so a sample's thread start-up is amortised.
const PER_ITER: u64 = 4096;

/// `iters * PER_ITER` values from one thread to another; time until the last arrives.
fn throughput<Q: Queue>(iters: u64) -> Duration {
    let iters = iters * PER_ITER;
    let (mut tx, mut rx) = Q::make(4096);
    let consumer = std::thread::spawn(move || {
        pin(1);
        let mut n = 0;
        while n < iters {
            if let Some(v) = Q::pop(&mut rx) {
                black_box(v);
                n += 1;
            } else {
                std::hint::spin_loop();
            }
        }
    });
    let start = Instant::now();
    let mut i = 0;
    while i < iters {
        if Q::push(&mut tx, [i; 24]) {
            i += 1;
        } else {
            std::hint::spin_loop();
        }
    }
    consumer.join().unwrap();
    start.elapsed()
}

/// `iters` round trips through two queues; half of each is one hop.
fn hop<Q: Queue>(iters: u64) -> Duration {
    let iters = iters.max(10_000);
    let (mut to_tx, mut to_rx) = Q::make(64);
    let (mut back_tx, mut back_rx) = Q::make(64);
    let echo = std::thread::spawn(move || {
        pin(1);
        let mut n = 0;
        while n < iters {
            if let Some(v) = Q::pop(&mut to_rx) {
                while !Q::push(&mut back_tx, v) {}
                n += 1;
            }
        }
    });
    let start = Instant::now();
    for i in 0..iters {
        while !Q::push(&mut to_tx, [i; 24]) {}
        loop {
            if let Some(v) = Q::pop(&mut back_rx) {
                black_box(v);
                break;
            }
        }
    }
    let el = start.elapsed();
    echo.join().unwrap();
    el / 2
}

fn rings(c: &mut Criterion) {
    pin(0);
    let mut g = c.benchmark_group("ring_throughput_192B");
    g.throughput(Throughput::Elements(PER_ITER));
    g.bench_function("dhan_feed_ring", |b| b.iter_custom(throughput::<Ours>));
    g.bench_function("rtrb", |b| b.iter_custom(throughput::<Rtrb>));
    g.bench_function("crossbeam_bounded", |b| {
        b.iter_custom(throughput::<Crossbeam>)
    });
    g.finish();
    let mut g = c.benchmark_group("ring_hop_latency_192B");
    g.bench_function("dhan_feed_ring", |b| b.iter_custom(hop::<Ours>));
    g.bench_function("rtrb", |b| b.iter_custom(hop::<Rtrb>));
    g.bench_function("crossbeam_bounded", |b| b.iter_custom(hop::<Crossbeam>));
    g.finish();
}

/// What an order update costs the I/O thread when the handle's ring is full
/// and it waits in the spill (a `VecDeque` reserved up front, as
/// `engine::outbox::Outbox` keeps it) against going straight into the ring:
/// one `OrderItem` (about 1 KB) per element, single thread, no consumer.
fn order_spill(c: &mut Criterion) {
    use dhan_feed::event::OrderItem;
    use dhan_feed::internals::ring::ring;
    const N: usize = 4096;
    let mut g = c.benchmark_group("order_update_1KB");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("into_the_ring", |b| {
        let (mut p, mut c) = ring::<OrderItem>(N);
        b.iter(|| {
            for i in 0..N {
                let _ = p.push_with(|| {
                    black_box(OrderItem::Update {
                        update: dhan_feed::OrderUpdate::EMPTY,
                        recv_ns: i as u64,
                    })
                });
            }
            while c.pop().is_some() {}
        })
    });
    g.bench_function("into_the_spill", |b| {
        let mut spill = std::collections::VecDeque::with_capacity(N);
        b.iter(|| {
            for i in 0..N {
                spill.push_back(black_box(OrderItem::Update {
                    update: dhan_feed::OrderUpdate::EMPTY,
                    recv_ns: i as u64,
                }));
            }
            while let Some(x) = spill.pop_front() {
                black_box(&x);
            }
        })
    });
    g.finish();
}

/// The last-value cache: one read of an instrument whose slot holds every kind
/// (ticker, quote, full, OI, previous close), all kinds and one kind,
/// uncontended and while another thread writes the same slot without a pause
/// (the worst case: a seqlock reader retries while a write is in progress);
/// and the writer's cost per packet.
fn last_value_cache(c: &mut Criterion) {
    use dhan_feed::internals::last_value_cache;
    use dhan_feed::internals::sample;
    use dhan_feed::proto::market::MarketPacket;
    use dhan_feed::proto::market_encode::packet_bytes;
    use dhan_feed::proto::{ExchangeSegment, InstrumentId};
    let id = InstrumentId::new(ExchangeSegment::NseEq, 2885);
    let raw: Vec<Vec<u8>> = sample::market_packets()
        .into_iter()
        .filter_map(|mut p| {
            match &mut p {
                MarketPacket::Ticker(t) => t.id = id,
                MarketPacket::Quote(q) => q.id = id,
                MarketPacket::Full(f) => f.id = id,
                MarketPacket::Oi(o) => o.id = id,
                MarketPacket::PrevClose(c) => c.id = id,
                _ => return None,
            }
            Some(packet_bytes(&p))
        })
        .collect();
    let (cache, writer) = last_value_cache(64);
    for r in &raw {
        writer.write(r, 1);
    }
    let full = raw
        .iter()
        .find(|r| r[0] == dhan_feed::proto::market::code::FULL)
        .expect("a full packet")
        .clone();
    let mut g = c.benchmark_group("last_value_cache");
    g.throughput(Throughput::Elements(1));
    g.bench_function("latest_uncontended", |b| {
        b.iter(|| black_box(cache.latest(black_box(id))))
    });
    g.bench_function("quote_uncontended", |b| {
        b.iter(|| black_box(cache.quote(black_box(id))))
    });
    g.bench_function("ticker_uncontended", |b| {
        b.iter(|| black_box(cache.ticker(black_box(id))))
    });
    let ticker = raw
        .iter()
        .find(|r| r[0] == dhan_feed::proto::market::code::TICKER)
        .expect("a ticker")
        .clone();
    g.bench_function("write_ticker", |b| {
        b.iter(|| writer.write(black_box(&ticker), 2))
    });
    // As the I/O thread writes: with the slot's index remembered per instrument.
    let mut hint = u32::MAX;
    g.bench_function("write_ticker_hinted", |b| {
        b.iter(|| writer.write_hinted(black_box(&ticker), 2, &mut hint))
    });
    g.bench_function("write_full_packet", |b| {
        b.iter(|| writer.write(black_box(&full), 2))
    });
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            pin(0);
            let mut n = 3;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                writer.write(&full, n);
                n += 1;
            }
        });
        pin(1);
        g.bench_function("quote_while_the_slot_is_written_flat_out", |b| {
            b.iter(|| black_box(cache.quote(black_box(id))))
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    // The depth cache: both sides' best 5 levels of a 20-level book.
    {
        use dhan_feed::proto::depth::decode_depth_packet;
        use dhan_feed::proto::depth::{DepthKind, DepthLevel, DepthPacket, DepthSide};
        use dhan_feed::proto::depth_encode::encode_levels;
        let (depth, dw) = dhan_feed::internals::depth_cache(64, 5);
        let levels: Vec<DepthLevel> = (0..20)
            .map(|i| DepthLevel {
                price: 1300.0 - f64::from(i) * 0.05,
                qty: 100 + i as u32,
                orders: 1 + i as u32,
            })
            .collect();
        let mut bytes = Vec::new();
        for side in [DepthSide::Bid, DepthSide::Ask] {
            bytes.clear();
            encode_levels(DepthKind::Twenty, side, id, 0, &levels, &mut bytes);
            let (DepthPacket::Levels(p), _) =
                decode_depth_packet(DepthKind::Twenty, &bytes).unwrap()
            else {
                unreachable!()
            };
            dw.write(&p, 1);
        }
        g.bench_function("depth_top_both_sides", |b| {
            b.iter(|| black_box(depth.top(black_box(id))))
        });
        g.bench_function("depth_best_bid_ask", |b| {
            b.iter(|| black_box(depth.best(black_box(id))))
        });
        g.bench_function("depth_bid_side", |b| {
            b.iter(|| black_box(depth.side(black_box(id), DepthSide::Bid)))
        });
        let (DepthPacket::Levels(p), _) = decode_depth_packet(DepthKind::Twenty, &bytes).unwrap()
        else {
            unreachable!()
        };
        g.bench_function("depth_write_side", |b| {
            b.iter(|| dw.write(black_box(&p), 2))
        });
    }
    g.finish();
}

criterion_group!(benches, rings, order_spill, last_value_cache);
criterion_main!(benches);
