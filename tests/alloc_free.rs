//! Zero heap allocations per decoded message in steady state, proven with a
//! counting global allocator (this test binary only).

use dhan_feed::internals::sample;
use dhan_feed::proto::depth::{DepthKind, DepthPacket, depth_packets};
use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::proto::order::{
    KeyCase, OrderMessageKind, OrderUpdate, OrderUpdateParser, encode_order_update,
};
use dhan_feed::proto::request::{FeedMode, encode_subscription};
use dhan_feed::proto::{InstrumentId, OrderStatus};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    /// Set on the engine's I/O thread (through its start hook).
    static IO_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Allocations made on any engine I/O thread.
static IO_ALLOCS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The kernel's id of the last engine I/O thread started (0: none, or not Linux).
static IO_TID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs on each engine I/O thread as it starts.
fn io_thread_start() {
    IO_THREAD.with(|f| f.set(true));
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    let tid = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0);
    IO_TID.store(tid, std::sync::atomic::Ordering::Relaxed);
}

/// Minor page faults the thread `tid` of this process has taken (Linux).
fn minor_faults_of(tid: u64) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // Fields after the parenthesised command name; minflt is the 10th field.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(7)?.parse().ok()
}

fn count_one() {
    ALLOCS.with(|c| c.set(c.get() + 1));
    if IO_THREAD.with(Cell::get) {
        IO_ALLOCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count_one();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread while running `f`.
fn allocs_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

fn records(file: &[u8]) -> Vec<Vec<u8>> {
    let mut r = dhan_feed::proto::capture::CaptureReader::new(file);
    let mut v = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        v.push(rec.payload.to_vec());
    }
    v
}

#[test]
fn counter_sees_allocations() {
    // The harness must be able to fail: a Vec allocation is counted.
    assert!(allocs_during(|| drop(std::hint::black_box(vec![1u8; 64]))) >= 1);
}

#[test]
fn market_messages_decode_without_allocating() {
    let msgs = records(&sample::market_capture());
    let mut sum = 0f64;
    let n = allocs_during(|| {
        for _ in 0..1000 {
            for m in &msgs {
                for p in packets(m) {
                    if let Ok(MarketPacket::Full(f)) = p {
                        sum += f64::from(f.ltp);
                    }
                }
            }
        }
    });
    assert_eq!(
        n,
        0,
        "allocations while decoding {} messages",
        msgs.len() * 1000
    );
    assert!(sum > 0.0);
}

#[test]
fn depth_messages_decode_without_allocating() {
    let msgs = records(&sample::depth20_capture());
    let mut total = 0u64;
    let n = allocs_during(|| {
        for _ in 0..1000 {
            for m in &msgs {
                for p in depth_packets(DepthKind::Twenty, m) {
                    if let Ok(DepthPacket::Levels(l)) = p {
                        total += l.iter().map(|x| u64::from(x.qty)).sum::<u64>();
                    }
                }
            }
        }
    });
    assert_eq!(n, 0);
    assert!(total > 0);
}

#[test]
fn order_updates_parse_without_allocating_after_warm_up() {
    let mut frames = Vec::new();
    for (i, st) in [
        OrderStatus::Transit,
        OrderStatus::Pending,
        OrderStatus::PartTraded,
        OrderStatus::Traded,
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = Vec::new();
        let case = [
            KeyCase::Pascal,
            KeyCase::Camel,
            KeyCase::Lower,
            KeyCase::Snake,
        ][i];
        encode_order_update(
            &sample::order_update("52260111", st, 25 * i as i64),
            case,
            &mut m,
        );
        frames.push(m);
    }
    let mut parser = OrderUpdateParser::new();
    let mut slot = OrderUpdate::EMPTY;
    let mut updates = 0;
    let mut run = |parser: &mut OrderUpdateParser| {
        for f in &frames {
            parser.parse_frame(f, &mut slot, |r| {
                if let Ok((OrderMessageKind::Update, u)) = r {
                    assert_eq!(u.order_no, "52260111");
                    updates += 1;
                }
            });
        }
    };
    run(&mut parser); // warm-up: buffers grow to the message size
    let n = allocs_during(|| {
        for _ in 0..500 {
            run(&mut parser);
        }
    });
    assert_eq!(n, 0, "allocations in 2000 order updates after warm-up");
    assert_eq!(updates, 4 * 501);
}

#[test]
fn request_encoding_reuses_the_callers_buffer() {
    let ids: Vec<InstrumentId> = (0..100)
        .map(|i| InstrumentId::new(dhan_feed::proto::ExchangeSegment::NseFno, 40_000 + i))
        .collect();
    let mut buf = Vec::new();
    encode_subscription(FeedMode::Full, true, &ids, &mut buf).unwrap();
    let n = allocs_during(|| {
        for _ in 0..100 {
            encode_subscription(FeedMode::Full, true, &ids, &mut buf).unwrap();
            encode_subscription(FeedMode::Ticker, false, &ids[..7], &mut buf).unwrap();
        }
    });
    assert_eq!(n, 0);
}

/// The engine tests share the I/O-thread counter: one at a time.
static ENGINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn engine_plain_path_allocates_nothing_per_message_after_warm_up() {
    engine_allocates_nothing_per_message_after_warm_up(false, false, false);
}

/// With a last-value cache on the feed: the I/O thread also keeps every packet
/// in the cache's table (made up front), still without allocating.
#[test]
fn engine_with_a_last_value_cache_allocates_nothing_per_message_after_warm_up() {
    engine_allocates_nothing_per_message_after_warm_up(false, true, false);
}

/// Over TLS too: rustls's unbuffered client decrypts every record, and the
/// vendored rustls (vendor/README.md) reuses one buffer for their plaintext.
/// The count is the I/O thread's alone: the simulator's TLS server, in this
/// process, allocates on its own threads.
#[test]
fn engine_tls_path_allocates_nothing_per_message_after_warm_up() {
    engine_allocates_nothing_per_message_after_warm_up(true, false, false);
}

/// Recording a journal: the I/O thread copies every message into the tap's
/// ring (made up front) without allocating; the recorder thread's own
/// allocations are not the I/O thread's.
#[cfg(feature = "journal")]
#[test]
fn engine_recording_a_journal_allocates_nothing_per_message_after_warm_up() {
    engine_allocates_nothing_per_message_after_warm_up(true, false, true);
}

fn engine_allocates_nothing_per_message_after_warm_up(tls: bool, cache: bool, record: bool) {
    let _one = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    use dhan_feed::config::{ClientConfig, Endpoints};
    use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Simulator};
    use dhan_feed::{FeedEvent, FeedMode, Secret};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    let mut b = Simulator::builder().rate(50_000.0).order_interval(None);
    if !tls {
        b = b.plain();
    }
    let sim = b.start().unwrap();
    assert_eq!(sim.url().starts_with("wss://"), tls);
    let cfg = ClientConfig {
        client_id: Secret::new(DEFAULT_CLIENT_ID),
        access_token: Secret::new(DEFAULT_ACCESS_TOKEN),
        endpoints: Endpoints::all(&sim.url()),
        webpki_roots: false,
        extra_roots: sim.certificate().into_iter().collect(),
        on_io_thread_start: Some(io_thread_start),
        ..ClientConfig::default()
    };
    let (client, _recorder) = recording_client(cfg, record, "market");
    let (mut feed, cache) = if cache {
        let (f, c) = client.market_feed_with_cache(FeedMode::Quote, 64);
        (f, Some(c))
    } else {
        (client.market_feed(FeedMode::Quote), None)
    };
    let ids: Vec<InstrumentId> = (0..50)
        .map(|i| InstrumentId::new(dhan_feed::proto::ExchangeSegment::NseFno, 40_000 + i))
        .collect();
    feed.subscribe(&ids).unwrap();
    let mut take = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut got = 0;
        while got < n && Instant::now() < deadline {
            if let Some(FeedEvent::Market(_)) = feed.recv_timeout(Duration::from_millis(10)) {
                got += 1;
            }
        }
        got
    };
    assert_eq!(take(20_000), 20_000, "warm-up");
    let before = IO_ALLOCS.load(Ordering::Relaxed);
    assert!(
        before > 0,
        "the hook ran and the counter sees the I/O thread's set-up"
    );
    let tid = IO_TID.load(Ordering::Relaxed);
    let faults_before = minor_faults_of(tid);
    let n = take(60_000);
    let during = IO_ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(n, 60_000);
    assert_eq!(
        during, 0,
        "allocations on the I/O thread for {n} messages: read, unframe, decode, publish"
    );
    // Nor page faults: the 60,000 events land in ring slots (65,536 of them) not
    // yet written, 2,700 pages that would each fault if the ring's memory were
    // not committed when it was made.
    if cfg!(target_os = "linux") {
        let faults = minor_faults_of(tid)
            .zip(faults_before)
            .map(|(a, b)| a - b)
            .expect("the I/O thread's page-fault count");
        assert!(
            faults < 16,
            "{faults} page faults on the I/O thread for {n} messages"
        );
    }
    assert_eq!(feed.stats().dropped, 0);
    if let Some(cache) = cache {
        assert_eq!(cache.instruments(), 50);
        assert!(
            ids.iter()
                .all(|&i| cache.latest(i).and_then(|l| l.quote).is_some())
        );
    }
}

#[test]
fn depth20_messages_allocate_nothing_on_either_thread_after_warm_up() {
    depth20_allocs(false);
}

/// With a depth cache: the I/O thread also keeps each side's top levels in the
/// cache's table (made up front), still without allocating.
#[test]
fn depth20_with_a_depth_cache_allocates_nothing_after_warm_up() {
    depth20_allocs(true);
}

fn depth20_allocs(with_cache: bool) {
    use dhan_feed::config::{ClientConfig, Endpoints};
    use dhan_feed::feed::DepthFeedEvent;
    use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, SimConfig, Simulator};
    use dhan_feed::{Client, Secret};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    let _one = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let sim = Simulator::start(SimConfig {
        tls: false,
        depth_rate: 2_000.0,
        order_interval: None,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(ClientConfig {
        client_id: Secret::new(DEFAULT_CLIENT_ID),
        access_token: Secret::new(DEFAULT_ACCESS_TOKEN),
        endpoints: Endpoints::all(&sim.url()),
        webpki_roots: false,
        on_io_thread_start: Some(io_thread_start),
        ..ClientConfig::default()
    })
    .unwrap();
    let (mut feed, cache) = if with_cache {
        let (f, c) = client.depth20_with_cache(8, 5);
        (f, Some(c))
    } else {
        (client.depth20(), None)
    };
    let ids: Vec<(InstrumentId, &str)> = (0..5)
        .map(|i| {
            (
                InstrumentId::new(dhan_feed::proto::ExchangeSegment::NseFno, 40_000 + i),
                "fut",
            )
        })
        .collect();
    feed.subscribe_labelled(&ids).unwrap();
    // Counts snapshots; the consumer's own allocations are counted separately.
    let mut take = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut got = 0;
        let mut spread_sum = 0.0;
        let allocs = allocs_during(|| {
            while got < n && Instant::now() < deadline {
                match feed.try_recv() {
                    Some(DepthFeedEvent::Snapshot { id, .. }) => {
                        got += 1;
                        spread_sum += feed.book(id).and_then(|b| b.spread()).unwrap_or(0.0);
                    }
                    Some(_) => {}
                    None => std::hint::spin_loop(),
                }
            }
        });
        assert!(spread_sum > 0.0);
        (got, allocs)
    };
    assert_eq!(take(500).0, 500, "warm-up");
    let before = IO_ALLOCS.load(Ordering::Relaxed);
    let (n, consumer_allocs) = take(3_000);
    let during = IO_ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(n, 3_000);
    assert_eq!(
        during, 0,
        "I/O thread allocations for {n} depth snapshots (6,000 sides)"
    );
    assert_eq!(
        consumer_allocs, 0,
        "consumer allocations while assembling books"
    );
    assert_eq!(feed.stats().dropped, 0);
    if let Some(cache) = cache {
        assert_eq!(cache.instruments(), 5);
        assert!(ids.iter().all(|(i, _)| {
            cache
                .top(*i)
                .is_some_and(|t| t.bids.is_some() && t.asks.is_some())
        }));
    }
}

/// Global Stocks packets through the engine: after warm-up neither the I/O
/// thread nor the consumer allocates per packet; the decoder alone neither.
#[test]
fn global_stocks_packets_allocate_nothing_on_either_thread_after_warm_up() {
    use dhan_feed::config::ClientConfig;
    use dhan_feed::proto::global::global_packets;
    use dhan_feed::proto::global_encode::encode_global_packet;
    use dhan_feed::sim::{SimConfig, Simulator};
    use dhan_feed::{Client, GlobalData, GlobalFeedEvent, GlobalMode, GlobalPacket};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    let mut msg = Vec::new();
    for i in 0..3 {
        let p = GlobalPacket {
            segment: 32,
            security_id: i,
            second_id: 0,
            declared_len: 0,
            data: GlobalData::Trade {
                ltp: 10.0 + i as f32,
                volume: i,
                ltt: 0,
                lut: 0,
            },
        };
        encode_global_packet(&p, &mut msg);
    }
    let mut sum = 0.0f32;
    let n = allocs_during(|| {
        for _ in 0..1000 {
            for p in global_packets(&msg).flatten() {
                sum += p.ltp().unwrap_or(0.0);
            }
        }
    });
    assert_eq!(n, 0);
    assert!(sum > 0.0);

    let _one = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let sim = Simulator::start(SimConfig {
        tls: false,
        rate: 5_000.0,
        order_interval: None,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(ClientConfig {
        on_io_thread_start: Some(io_thread_start),
        ..sim.client_config()
    })
    .unwrap();
    let mut feed = client.global_stocks_feed(GlobalMode::Trade);
    feed.subscribe(&[1, 2, 3, 4, 5]).unwrap();
    let mut take = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut got = 0;
        let mut volume = 0u64;
        let allocs = allocs_during(|| {
            while got < n && Instant::now() < deadline {
                match feed.try_recv() {
                    Some(GlobalFeedEvent::Packet { packet, .. }) => {
                        if let GlobalData::Trade { volume: v, .. } = packet.data {
                            got += 1;
                            volume += u64::from(v);
                        }
                    }
                    Some(_) => {}
                    None => std::hint::spin_loop(),
                }
            }
        });
        assert!(volume > 0);
        (got, allocs)
    };
    assert_eq!(take(500).0, 500, "warm-up");
    let before = IO_ALLOCS.load(Ordering::Relaxed);
    let (n, consumer_allocs) = take(5_000);
    let during = IO_ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(n, 5_000);
    assert_eq!(during, 0, "I/O thread allocations for {n} trade packets");
    assert_eq!(consumer_allocs, 0, "consumer allocations");
    assert_eq!(feed.stats().dropped, 0);
}

/// Order updates through the engine: after warm-up the I/O thread parses and
/// publishes them without allocating (nothing spills while the consumer keeps up).
#[test]
fn order_updates_allocate_nothing_on_the_io_thread_after_warm_up() {
    order_updates_allocate_nothing(false);
}

/// Recording a journal: each order update is copied, its credentials masked,
/// through a buffer that has grown to the largest one already.
#[cfg(feature = "journal")]
#[test]
fn order_updates_recorded_in_a_journal_allocate_nothing_on_the_io_thread_after_warm_up() {
    order_updates_allocate_nothing(true);
}

/// A client, recording into a journal of its own when `record` (the
/// recorder is returned, to be dropped after the client).
#[allow(unused_variables)]
fn recording_client(
    cfg: dhan_feed::config::ClientConfig,
    record: bool,
    name: &str,
) -> (dhan_feed::Client, Option<Box<dyn std::any::Any>>) {
    #[cfg(feature = "journal")]
    if record {
        let path = std::env::temp_dir().join(format!(
            "dhan-feed-alloc-{name}-{}.arrows",
            std::process::id()
        ));
        let (c, r) =
            dhan_feed::journal::record(cfg, dhan_feed::journal::JournalConfig::new(&path)).unwrap();
        return (c, Some(Box::new(r)));
    }
    (dhan_feed::Client::new(cfg).unwrap(), None)
}

fn order_updates_allocate_nothing(record: bool) {
    use dhan_feed::Secret;
    use dhan_feed::config::{ClientConfig, Endpoints};
    use dhan_feed::feed::OrderEvent;
    use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, SimConfig, Simulator};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    let _one = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let sim = Simulator::start(SimConfig {
        tls: false,
        order_interval: Some(Duration::from_millis(1)),
        order_step: Duration::from_millis(1),
        ..SimConfig::default()
    })
    .unwrap();
    let cfg = ClientConfig {
        client_id: Secret::new(DEFAULT_CLIENT_ID),
        access_token: Secret::new(DEFAULT_ACCESS_TOKEN),
        endpoints: Endpoints::all(&sim.url()),
        webpki_roots: false,
        on_io_thread_start: Some(io_thread_start),
        ..ClientConfig::default()
    };
    let (client, _recorder) = recording_client(cfg, record, "orders");
    let mut feed = client.order_updates();
    let mut take = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut got = 0;
        while got < n && Instant::now() < deadline {
            match feed.try_recv() {
                Some(OrderEvent::Update(u)) => {
                    assert!(!u.order_no.as_str().is_empty());
                    got += 1;
                }
                Some(_) => {}
                None => std::thread::sleep(Duration::from_micros(50)),
            }
        }
        got
    };
    assert_eq!(take(200), 200, "warm-up");
    let before = IO_ALLOCS.load(Ordering::Relaxed);
    let n = take(1_000);
    let during = IO_ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(n, 1_000);
    assert_eq!(during, 0, "I/O thread allocations for {n} order updates");
    let st = feed.stats();
    assert_eq!((st.dropped, st.spilled), (0, 0), "{st:?}");
}
