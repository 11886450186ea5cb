//! `dhan-feed bench`: the simulator, the engine and one consumer in one process on
//! loopback, with the baselines measured in the same run: raw TCP one-way latency
//! for the same message size, and a blocking tungstenite client reading the same
//! stream. The last line is machine-readable (`RESULT key=value …`).

use crate::stderr::note;
use dhan_feed::Secret;
use dhan_feed::config::{ClientConfig, Endpoints};
use dhan_feed::event::FeedEvent;
use dhan_feed::internals::ws::{Opcode, parse_header};
use dhan_feed::now_ns;
use dhan_feed::proto::endpoint::{FeedKind, request_target};
use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::proto::request::{FeedMode, encode_subscription};
use dhan_feed::proto::segment::{ExchangeSegment, InstrumentId};
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Simulator};
use hdrhistogram::Histogram;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Options of `dhan-feed bench`.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// Use TLS (default: plain ws://).
    #[arg(long)]
    pub tls: bool,
    /// Subscription mode.
    #[arg(long, default_value = "ticker")]
    pub mode: FeedMode,
    /// Instruments subscribed.
    #[arg(long, default_value_t = 100)]
    pub instruments: u32,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Messages per second for the latency runs (paced; the sender sleeps).
    #[arg(long, default_value_t = 20_000.0)]
    pub rate: f64,
    /// Latency rounds: each runs the engine and the raw floor once, alternating
    /// which goes first, `--seconds` shared between them. More, shorter rounds
    /// pair the two more closely in time, which matters where the machine's
    /// latency drifts between states (a shared VM's does, by several µs).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
    /// Do not pin (the I/O thread to core 0, the consumer to core 1).
    #[arg(long)]
    pub no_pin: bool,
    /// Where the latency runs' sender (the simulator's connection thread, in the
    /// engine run and the floor run alike) runs. On a loopback socket the
    /// sender's CPU does the kernel's delivery work, so with two cores it must
    /// share one with a pinned thread: `io` (default) puts it on core 0, the I/O
    /// thread's in the engine run and the raw reader's in the floor run, the same
    /// position in both; `consumer` puts it on core 1 (the engine's consumer, the
    /// floor's hand-off thread: the raw reader then never waits for it and the
    /// engine always does); `free` leaves it to the scheduler.
    #[arg(long, value_enum, default_value = "io")]
    pub sender_core: SenderCore,
    /// A second consumer of the same instruments, in this mode, for the
    /// throughput run only (drained by the same thread as the first). Every
    /// packet then takes the engine's general publish path: two consumers, and
    /// a conversion when the modes differ. Throughput counts the first
    /// consumer's events, so it stays in wire messages.
    #[arg(long)]
    pub second_consumer: Option<FeedMode>,
    /// Measure the throughput once more with a last-value cache on the feed
    /// (`Client::market_feed_with_cache`): the cache's cost in the same run.
    #[arg(long)]
    pub cache: bool,
    /// With `--cache`: measure this many pairs of runs, without and with the
    /// cache, in alternating order, and report the median of the pairs' ratios
    /// (a shared VM's throughput drifts by ±20 % between runs; pairs close in
    /// time cancel most of it).
    #[arg(long, default_value_t = 1, requires = "cache")]
    pub cache_pairs: u32,
    /// Measure this many pairs of throughput runs without and with an SQLite
    /// sink on the same instruments (a second consumer with a ring of its own,
    /// writing to a temporary file), in alternating order: what a sink costs the
    /// feed's consumer, as the median of the pairs' ratios.
    #[arg(long, default_value_t = 0, conflicts_with = "cache")]
    pub sink_pairs: u32,
    /// Measure this many pairs of throughput runs without and with the client
    /// recording a journal (every message copied into the tap's ring on the
    /// I/O thread, written out by the recorder into a temporary file), in
    /// alternating order: what recording costs, as the median of the pairs'
    /// ratios.
    #[arg(long, default_value_t = 0, conflicts_with_all = ["cache", "sink_pairs"])]
    pub record_pairs: u32,
    /// In the latency runs, measure the wire→consumer latency once more per
    /// round with an SQLite sink on the same instruments (its own ring and
    /// thread, writing to a temporary file), in alternating order: what a sink
    /// costs a paced feed's consumer.
    #[arg(long)]
    pub sink_latency: bool,
    /// Measure the journal instead: record the saturated stream for
    /// `--seconds`, then its size on disk, the reader's rate, a replay as fast
    /// as a consumer takes it and (with the `parquet` feature) the export rate.
    #[arg(long, conflicts_with_all = ["cache", "sink_pairs", "record_pairs", "sink_latency"])]
    pub journal: bool,
    /// Write the latency histograms (engine, raw TCP, raw TCP + hand-off) into
    /// this directory as HdrHistogram percentile distributions (`*.hgrm`, µs).
    #[arg(long)]
    pub hgrm: Option<std::path::PathBuf>,
    /// Draw the latency percentile curves of the engine and the floors on one
    /// log-scaled chart into this SVG file.
    #[arg(long)]
    pub plot: Option<std::path::PathBuf>,
}

/// The latency runs' sender placement (see [`BenchArgs::sender_core`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SenderCore {
    /// Core 0: the I/O thread's, or the floor reader's.
    Io,
    /// Core 1: the consumer's, or the floor's hand-off thread's.
    Consumer,
    /// Unpinned.
    Free,
}

impl BenchArgs {
    /// The core the latency runs' sender is pinned to, if any.
    fn sender_pin(&self) -> Option<usize> {
        match self.sender_core {
            _ if self.no_pin => None,
            SenderCore::Io => Some(0),
            SenderCore::Consumer => Some(1),
            SenderCore::Free => None,
        }
    }
}

/// Results of one bench run.
#[derive(Clone, Debug, Default)]
pub struct BenchResult {
    /// Engine throughput at saturation (events the consumer received per second).
    pub msgs_per_s: f64,
    /// Tungstenite client throughput on the same stream.
    pub tungstenite_msgs_per_s: f64,
    /// Heap allocations in the process per message during the throughput run.
    pub allocs_per_msg: f64,
    /// Heap allocations on the engine's I/O thread per message received.
    pub io_allocs_per_msg: f64,
    /// Tungstenite's messages per CPU-second of its reading thread.
    pub tungstenite_msgs_per_cpu_s: f64,
    /// With `--cache`: throughput with a last-value cache on the feed.
    pub cache_msgs_per_s: f64,
    /// With `--cache`: messages per I/O-thread CPU-second with the cache.
    pub cache_io_msgs_per_cpu_s: f64,
    /// With `--cache`: the median over the pairs of with/without messages per
    /// I/O-thread CPU-second.
    pub cache_ratio: f64,
    /// With `--sink-pairs`: the median over the pairs of with/without messages
    /// per second at the consumer.
    pub sink_ratio: f64,
    /// With `--record-pairs`: the median ratio of the consumer's msgs/s with a
    /// journal recording to without.
    pub record_ratio: f64,
    /// Wire→consumer latency, ns: p50, p99, p99.9, max.
    pub latency: [u64; 4],
    /// Raw TCP one-way latency, ns: p50, p99, p99.9, max.
    pub floor: [u64; 4],
    /// The raw TCP reader handing every stamp to a thread on core 1 (a slot and
    /// an index, the least a hand-off can be): one-way latency to that thread,
    /// ns: p50, p99, p99.9, max.
    pub floor_handoff: [u64; 4],
    /// Messages per CPU-second of the I/O thread during the throughput run: what
    /// the I/O thread alone could carry, with the simulator and the consumer
    /// taking their share of the two cores out of the picture (0 if unknown).
    pub io_msgs_per_cpu_s: f64,
    /// CPU time the hypervisor took from this machine's CPUs during the latency
    /// runs, ms (Linux guests; 0 on bare metal or if unknown). Anything but a
    /// small number means the latency figures measured the host as much as us.
    pub steal_ms: f64,
    /// The median over rounds of (engine p50 − raw floor p50) within a round,
    /// ns: the two runs of a round are seconds apart at most, so this is the
    /// comparison least moved by drift.
    pub round_gap_p50_ns: i64,
}

/// The I/O thread's id, recorded by its start hook.
static IO_TID: AtomicU64 = AtomicU64::new(0);

pub(crate) fn record_io_tid() {
    crate::alloc_count::mark_io_thread();
    // `/proc/thread-self` links to `<pid>/task/<tid>`.
    let tid = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0);
    IO_TID.store(tid, Ordering::Relaxed);
}

/// CPU seconds (user + system) the I/O thread has used, from `/proc` (Linux; the
/// kernel counts in ticks of 10 ms, so a 3 s window is good to about 1 %).
pub(crate) fn io_cpu_s() -> Option<f64> {
    cpu_s_of(&format!(
        "/proc/self/task/{}/stat",
        IO_TID.load(Ordering::Relaxed)
    ))
}

/// [`io_cpu_s`] of the calling thread.
fn this_thread_cpu_s() -> Option<f64> {
    cpu_s_of("/proc/thread-self/stat")
}

/// User + system CPU seconds in a `/proc/…/stat` file.
fn cpu_s_of(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the `(comm)`: state is field 3; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Steal time summed over all CPUs so far, ms: the `steal` column of
/// `/proc/stat`, in ticks of 10 ms.
fn steal_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let ticks: f64 = cpu.split_whitespace().nth(7)?.parse().ok()?;
    Some(ticks * 10.0)
}

pub(crate) fn pin(core: usize, on: bool) {
    if !on {
        return;
    }
    // Built directly: get_core_ids() lists only the cores the current mask allows.
    let ok = core_affinity::set_for_current(core_affinity::CoreId { id: core });
    if !ok {
        note!("bench: could not pin to core {core}; continuing unpinned");
    }
}

pub(crate) fn ids(n: u32) -> Vec<InstrumentId> {
    (0..n)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 40_000 + i))
        .collect()
}

pub(crate) fn sim(
    args: &BenchArgs,
    tls: bool,
    rate: f64,
    stamp: bool,
) -> Result<Simulator, dhan_feed::sim::SimError> {
    let mut b = Simulator::builder()
        .rate(rate)
        .stamp(stamp)
        .replay(rate <= 0.0)
        .order_interval(None)
        .sender_core(if stamp { args.sender_pin() } else { None });
    if !tls {
        b = b.plain();
    }
    b.start()
}

fn client(
    sim: &Simulator,
    pin_io: bool,
    busy_poll: bool,
) -> Result<dhan_feed::Client, dhan_feed::Error> {
    dhan_feed::Client::new(client_config(sim, pin_io, busy_poll))
}

pub(crate) fn client_config(sim: &Simulator, pin_io: bool, busy_poll: bool) -> ClientConfig {
    ClientConfig {
        client_id: Secret::new(DEFAULT_CLIENT_ID),
        access_token: Secret::new(DEFAULT_ACCESS_TOKEN),
        endpoints: Endpoints::all(&sim.url()),
        extra_roots: sim.certificate().into_iter().collect(),
        webpki_roots: false,
        busy_poll,
        pin_core: pin_io.then_some(0),
        on_io_thread_start: Some(record_io_tid),
        ..ClientConfig::default()
    }
}

fn quantiles(h: &Histogram<u64>) -> [u64; 4] {
    [
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max(),
    ]
}

/// Runs every measurement; `allocs` reads the process's allocation counter.
pub fn run(
    args: &BenchArgs,
    allocs: fn() -> u64,
) -> Result<BenchResult, Box<dyn std::error::Error>> {
    let pin_on = !args.no_pin;
    let warm = Duration::from_millis(500);
    let window = Duration::from_secs_f64(args.seconds);
    let mut r = BenchResult::default();

    // 1. Engine throughput at saturation (then, with `--cache`, pairs of runs
    // without and with a last-value cache on the feed, in alternating order:
    // its cost in the same run). The first run is the engine's figure.
    let pairs = if args.cache {
        args.cache_pairs.max(1)
    } else {
        args.sink_pairs.max(args.record_pairs)
    };
    let sink_dir =
        std::env::temp_dir().join(format!("dhan-feed-bench-sink-{}", std::process::id()));
    let mut per_s_runs: Vec<f64> = Vec::with_capacity(2 * pairs as usize);
    let schedule: Vec<bool> = if pairs == 0 {
        vec![false]
    } else {
        (0..pairs)
            .flat_map(|k| {
                if k % 2 == 0 {
                    [false, true]
                } else {
                    [true, false]
                }
            })
            .collect()
    };
    let mut per_cpu: Vec<f64> = Vec::with_capacity(schedule.len());
    // `with`: this run has the thing measured (the cache, or the sink).
    for (run, &with) in schedule.iter().enumerate() {
        // Blocking poll and a consumer that sleeps when its ring is empty: with the
        // simulator sending flat out, three busy threads would share two cores.
        let sim = sim(args, args.tls, 0.0, false)?;
        // With `--record-pairs`, the "with" runs record a journal.
        let (client, recorder) = if with && args.record_pairs > 0 {
            std::fs::create_dir_all(&sink_dir)?;
            let (c, r) = dhan_feed::journal::record(
                client_config(&sim, pin_on, false),
                dhan_feed::journal::JournalConfig::new(sink_dir.join(format!("run{run}.arrows"))),
            )?;
            (c, Some(r))
        } else {
            (client(&sim, pin_on, false)?, None)
        };
        // With `--sink-pairs`, the "with" runs have a sink beside the consumer.
        let sink = if with && args.sink_pairs > 0 {
            std::fs::create_dir_all(&sink_dir)?;
            let mut f = client.market_feed(args.mode);
            f.subscribe(&ids(args.instruments))?;
            let path = sink_dir.join(format!("run{run}.db"));
            Some(dhan_feed::sink::Sink::sqlite(
                &path,
                f,
                dhan_feed::sink::SinkConfig::default(),
            )?)
        } else {
            None
        };
        let (mut feed, cache) = if with && sink.is_none() {
            let (f, c) = client.market_feed_with_cache(args.mode, args.instruments as usize);
            (f, Some(c))
        } else {
            (client.market_feed(args.mode), None)
        };
        feed.subscribe(&ids(args.instruments))?;
        let mut second = match args.second_consumer {
            Some(mode) => {
                let mut f = client.market_feed(mode);
                f.subscribe(&ids(args.instruments))?;
                Some(f)
            }
            None => None,
        };
        let (n, el, a, st, cpu) = std::thread::scope(|s| {
            s.spawn(|| {
                pin(1, pin_on);
                let mut buf = vec![
                    FeedEvent::Connection(dhan_feed::ConnectionEvent::new(
                        dhan_feed::FeedKind::MarketFeed,
                        0,
                        dhan_feed::SessionEvent::Connected,
                    ));
                    1024
                ];
                let mut drain = |feed: &mut dhan_feed::MarketFeed| {
                    let k = feed.drain(&mut buf);
                    let k2 = second.as_mut().map_or(0, |f| f.drain(&mut buf));
                    if k == 0 && k2 == 0 {
                        std::thread::sleep(Duration::from_micros(20));
                    }
                    k as u64
                };
                let t0 = Instant::now();
                while t0.elapsed() < warm {
                    drain(&mut feed);
                }
                let a0 = allocs();
                let io0 = crate::alloc_count::io_count();
                let c0 = io_cpu_s();
                let mut n = 0u64;
                let t1 = Instant::now();
                while t1.elapsed() < window {
                    n += drain(&mut feed);
                }
                let cpu = io_cpu_s().zip(c0).map(|(c1, c0)| c1 - c0);
                (
                    n,
                    t1.elapsed().as_secs_f64(),
                    (allocs() - a0, crate::alloc_count::io_count() - io0),
                    feed.stats(),
                    cpu,
                )
            })
            .join()
            .expect("consumer thread")
        });
        let per_s = n as f64 / el;
        let per_cpu_s = cpu.filter(|&c| c > 0.0).map_or(0.0, |c| n as f64 / c);
        per_cpu.push(per_cpu_s);
        per_s_runs.push(per_s);
        if let Some(recorder) = recorder {
            drop((feed, second, client));
            let st = recorder.stop();
            note!(
                "recording a journal: {:.2} M msgs/s; {:.2} M msgs per I/O-thread CPU-second; {} records written ({} MB), {} missed by the ring",
                per_s / 1e6,
                per_cpu_s / 1e6,
                st.records,
                st.bytes / 1_000_000,
                st.missed
            );
            continue;
        }
        if let Some(sink) = sink {
            let st = sink.stop().map_err(|e| e.to_string())?;
            note!(
                "with an SQLite sink: {:.2} M msgs/s; {:.2} M msgs per I/O-thread CPU-second; the sink committed {} rows in {} commits, missed {}",
                per_s / 1e6,
                per_cpu_s / 1e6,
                st.rows,
                st.commits,
                st.missed
            );
            continue;
        }
        if let Some(cache) = &cache {
            r.cache_msgs_per_s = per_s;
            r.cache_io_msgs_per_cpu_s = per_cpu_s;
            note!(
                "with a last-value cache: {:.2} M msgs/s; I/O thread busy {:.0} % of the window: {:.2} M msgs per I/O-thread CPU-second; {} instruments kept, {} packets refused",
                per_s / 1e6,
                cpu.unwrap_or(0.0) / el * 100.0,
                per_cpu_s / 1e6,
                cache.instruments(),
                cache.refused()
            );
            continue;
        }
        if run > 0 {
            note!(
                "without the cache:  {:.2} M msgs/s; {:.2} M msgs per I/O-thread CPU-second",
                per_s / 1e6,
                per_cpu_s / 1e6
            );
            continue;
        }
        r.allocs_per_msg = a.0 as f64 / n.max(1) as f64;
        r.io_allocs_per_msg = a.1 as f64 / n.max(1) as f64;
        r.msgs_per_s = per_s;
        r.io_msgs_per_cpu_s = per_cpu_s;
        note!(
            "engine:      {:>8.2} M msgs/s ({} received, {} dropped by the ring); I/O thread busy {:.0} % of the window: {:.2} M msgs per I/O-thread CPU-second",
            r.msgs_per_s / 1e6,
            n,
            st.dropped,
            cpu.unwrap_or(0.0) / el * 100.0,
            r.io_msgs_per_cpu_s / 1e6
        );
        note!(
            "allocations: {:.4} per message on the I/O thread; {:.4} in the whole process (the simulator's server included)",
            r.io_allocs_per_msg,
            r.allocs_per_msg
        );
        if let (Some(f), Some(mode)) = (second.as_mut(), args.second_consumer) {
            let st = f.stats();
            note!(
                "  second consumer ({mode:?}): {} received, {} dropped by its ring",
                st.received,
                st.dropped
            );
        }
    }

    let _ = std::fs::remove_dir_all(&sink_dir);
    if pairs > 0 && (args.sink_pairs > 0 || args.record_pairs > 0) {
        // Each pair's ratios, with the sink over without: the consumer's
        // messages per second, and per I/O-thread CPU-second.
        let median = |v: &[f64]| {
            let mut r: Vec<f64> = schedule
                .chunks_exact(2)
                .zip(v.chunks_exact(2))
                .map(|(w, c)| if w[1] { c[1] / c[0] } else { c[0] / c[1] })
                .filter(|x| x.is_finite())
                .collect();
            r.sort_by(f64::total_cmp);
            (
                r.get(r.len() / 2).copied().unwrap_or(0.0),
                r.first().copied().unwrap_or(0.0),
                r.last().copied().unwrap_or(0.0),
            )
        };
        let (wall, wlo, whi) = median(&per_s_runs);
        let (cpu, clo, chi) = median(&per_cpu);
        let what = if args.record_pairs > 0 {
            r.record_ratio = wall;
            "Journal recording"
        } else {
            r.sink_ratio = wall;
            "SQLite sink"
        };
        note!(
            "{what}: median ratio with/without {wall:.3} of the consumer's messages per second (range {wlo:.3}–{whi:.3}), {cpu:.3} per I/O-thread CPU-second (range {clo:.3}–{chi:.3}), over {} alternated pairs",
            schedule.len() / 2
        );
    } else if pairs > 0 {
        // Each pair's ratio, with the cache over without.
        let mut ratios: Vec<f64> = schedule
            .chunks_exact(2)
            .zip(per_cpu.chunks_exact(2))
            .map(|(w, c)| if w[1] { c[1] / c[0] } else { c[0] / c[1] })
            .filter(|x| x.is_finite())
            .collect();
        ratios.sort_by(f64::total_cmp);
        if let (Some(lo), Some(hi)) = (ratios.first(), ratios.last()) {
            r.cache_ratio = ratios[ratios.len() / 2];
            note!(
                "last-value cache: median ratio with/without {:.3} over {} alternated pairs (range {:.3}–{:.3}): {:.1} % cost per I/O-thread CPU-second",
                r.cache_ratio,
                ratios.len(),
                lo,
                hi,
                (1.0 - r.cache_ratio) * 100.0
            );
        }
    }

    // 2. Tungstenite reading the same stream (the same decoder on each message).
    {
        let sim = sim(args, args.tls, 0.0, false)?;
        let (per_s, busy) = tungstenite_client(&sim, args, warm, window)?;
        r.tungstenite_msgs_per_s = per_s;
        r.tungstenite_msgs_per_cpu_s = if busy > 0.0 { per_s / busy } else { 0.0 };
        note!(
            "tungstenite: {:>8.2} M msgs/s   ratio engine/tungstenite {:.2}; its thread busy {:.0} % of the window: {:.2} M msgs per CPU-second (the engine's I/O thread: {:.2}, ratio {:.2})",
            r.tungstenite_msgs_per_s / 1e6,
            r.msgs_per_s / r.tungstenite_msgs_per_s.max(1.0),
            busy * 100.0,
            r.tungstenite_msgs_per_cpu_s / 1e6,
            r.io_msgs_per_cpu_s / 1e6,
            r.io_msgs_per_cpu_s / r.tungstenite_msgs_per_cpu_s.max(1.0)
        );
    }

    // 3 and 4. Wire→consumer latency at a paced rate, and the floor: raw TCP
    // loopback, same 18-byte frames, same pacing, busy reader. Interleaved in
    // rounds (alternating which goes first), so drift on a shared machine hits
    // both alike; the percentiles are over all rounds.
    {
        // Over TLS the floor decrypts too (rustls, the same crypto provider),
        // so that both sides of the comparison do the same cryptography.
        let floor_name = if args.tls {
            "raw TLS (rustls decrypt)"
        } else {
            "raw TCP"
        };
        let part = window / args.rounds;
        // Rings and buffers are committed up front, so a short warm-up suffices.
        let warm = Duration::from_millis(250);
        let mut gaps = Vec::with_capacity(args.rounds as usize);
        let steal0 = steal_ms();
        let mut engine = histogram();
        let mut floor = histogram();
        let mut handed = histogram();
        let mut sunk = histogram();
        let mut sink_round = |round: u32| -> Result<(), Box<dyn std::error::Error>> {
            let db = sink_dir.join(format!("latency{round}.db"));
            let with = engine_latency(args, warm, part, pin_on, Some(&db))?;
            note!(
                "  round {}: with an SQLite sink p50 {} ns p99 {} ns",
                round + 1,
                with.wire.value_at_quantile(0.5),
                with.wire.value_at_quantile(0.99)
            );
            sunk.add(&with.wire).map_err(io::Error::other)?;
            Ok(())
        };
        for round in 0..args.rounds {
            if args.sink_latency && round % 2 == 1 {
                sink_round(round)?;
            }
            let (
                EngineLatency {
                    wire: e,
                    read: e_hop,
                    ring: e_ring,
                    to_read: e_to_read,
                },
                Floor {
                    reader: f,
                    handed: f_hand,
                },
            ) = if round % 2 == 0 {
                let e = engine_latency(args, warm, part, pin_on, None)?;
                (e, raw_floor(args, warm, part, pin_on)?)
            } else {
                let f = raw_floor(args, warm, part, pin_on)?;
                (engine_latency(args, warm, part, pin_on, None)?, f)
            };
            // With a sink: after the pair on even rounds, before it on odd ones.
            if args.sink_latency && round % 2 == 0 {
                sink_round(round)?;
            }
            note!(
                "  round {}: engine p50 {} ns p99 {} ns (wire→socket read p50 {} ns; socket read→consumer p50 {} ns p99 {} ns, of which ring→consumer p50 {} ns p99 {} ns) | {floor_name} p50 {} ns p99 {} ns | {floor_name} + hand-off to core 1 p50 {} ns p99 {} ns",
                round + 1,
                e.value_at_quantile(0.5),
                e.value_at_quantile(0.99),
                e_to_read.value_at_quantile(0.5),
                e_hop.value_at_quantile(0.5),
                e_hop.value_at_quantile(0.99),
                e_ring.value_at_quantile(0.5),
                e_ring.value_at_quantile(0.99),
                f.value_at_quantile(0.5),
                f.value_at_quantile(0.99),
                f_hand.value_at_quantile(0.5),
                f_hand.value_at_quantile(0.99)
            );
            gaps.push(e.value_at_quantile(0.5) as i64 - f.value_at_quantile(0.5) as i64);
            engine.add(&e).map_err(io::Error::other)?;
            floor.add(&f).map_err(io::Error::other)?;
            handed.add(&f_hand).map_err(io::Error::other)?;
        }
        if let Some(dir) = &args.hgrm {
            std::fs::create_dir_all(dir)?;
            for (name, h) in [
                ("engine", &engine),
                ("raw_tcp", &floor),
                ("raw_tcp_handoff", &handed),
            ] {
                crate::bench_report::write_hgrm(h, &dir.join(format!("{name}.hgrm")))?;
            }
            note!("histograms written to {}", dir.display());
        }
        if let Some(path) = &args.plot {
            let title = format!(
                "dhan-feed bench: wire to consumer, {} {:?}, {}/s, {} samples",
                if args.tls { "TLS" } else { "ws" },
                args.mode,
                args.rate,
                engine.len()
            );
            crate::bench_report::write_svg(
                &title,
                &[
                    ("dhan-feed engine", &engine),
                    (&format!("{floor_name} floor"), &floor),
                    (&format!("{floor_name} + hand-off"), &handed),
                ],
                path,
            )?;
            note!("chart written to {}", path.display());
        }
        r.steal_ms = steal_ms().zip(steal0).map_or(0.0, |(b, a)| b - a);
        gaps.sort_unstable();
        r.round_gap_p50_ns = median(&gaps);
        r.latency = quantiles(&engine);
        r.floor = quantiles(&floor);
        r.floor_handoff = quantiles(&handed);
        note!(
            "latency:     p50 {} ns  p99 {} ns  p99.9 {} ns  max {} ns ({} samples at {}/s, {} rounds, sender on {})",
            r.latency[0],
            r.latency[1],
            r.latency[2],
            r.latency[3],
            engine.len(),
            args.rate,
            args.rounds,
            match args.sender_pin() {
                Some(c) => format!("core {c}"),
                None => "any core".to_owned(),
            }
        );
        note!(
            "{floor_name}:     p50 {} ns  p99 {} ns  p99.9 {} ns  max {} ns",
            r.floor[0],
            r.floor[1],
            r.floor[2],
            r.floor[3]
        );
        note!(
            "  + hand-off: p50 {} ns  p99 {} ns  p99.9 {} ns  max {} ns ({floor_name}, then a slot and an index to a thread on core 1)",
            r.floor_handoff[0],
            r.floor_handoff[1],
            r.floor_handoff[2],
            r.floor_handoff[3]
        );
        note!(
            "per round:   engine p50 − {floor_name} p50: median {} ns, from {} to {} ns over {} rounds",
            r.round_gap_p50_ns,
            gaps.first().copied().unwrap_or(0),
            gaps.last().copied().unwrap_or(0),
            gaps.len()
        );
        if args.sink_latency {
            let _ = std::fs::remove_dir_all(&sink_dir);
            let q = quantiles(&sunk);
            note!(
                "with a sink:  p50 {} ns  p99 {} ns  p99.9 {} ns  max {} ns; ratio to the engine alone p50 {:.2} p99 {:.2}",
                q[0],
                q[1],
                q[2],
                q[3],
                q[0] as f64 / r.latency[0].max(1) as f64,
                q[1] as f64 / r.latency[1].max(1) as f64
            );
        }
        if r.steal_ms > 0.0 {
            note!(
                "host steal:  {:.0} ms of CPU time taken by the hypervisor during the latency runs",
                r.steal_ms
            );
        }
    }
    Ok(r)
}

/// The median of sorted values (the mean of the middle two for an even count).
fn median(sorted: &[i64]) -> i64 {
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// A histogram for ns latencies, its counts already in memory: recording into
/// fresh zeroed pages would page-fault on the measuring thread (about 50 pages
/// each here), and each fault is a stall in what is being measured.
fn histogram() -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("valid bounds");
    // One value in each of the 2,048 sub-buckets of every bucket touches every count.
    let mut v = 1u64;
    while v < h.high() {
        let _ = h.record(v);
        v += (v >> 11).max(1);
    }
    h.reset();
    h
}

/// One engine latency run, in ns.
struct EngineLatency {
    /// The simulator's send to the consumer.
    wire: Histogram<u64>,
    /// The I/O thread's socket read to the consumer.
    read: Histogram<u64>,
    /// The event's entry into the ring to the consumer.
    ring: Histogram<u64>,
    /// The simulator's send to the I/O thread's socket read: the engine's own
    /// measure of what the raw floor's reader measures.
    to_read: Histogram<u64>,
}

/// Wire→consumer latency of the engine (busy-polling I/O thread on core 0, a
/// spinning consumer on core 1) against a paced simulator, with its last parts:
/// from the socket read, and from the ring, to the consumer.
fn engine_latency(
    args: &BenchArgs,
    warm: Duration,
    window: Duration,
    pin_on: bool,
    sink_db: Option<&std::path::Path>,
) -> Result<EngineLatency, Box<dyn std::error::Error>> {
    let sim = sim(args, args.tls, args.rate, true)?;
    let client = client(&sim, pin_on, true)?;
    // With `sink_db`: an SQLite sink on the same instruments beside the consumer.
    let sink = match sink_db {
        Some(path) => {
            std::fs::create_dir_all(path.parent().unwrap_or(path))?;
            let mut f = client.market_feed(FeedMode::Ticker);
            f.subscribe(&ids(args.instruments))?;
            Some(dhan_feed::sink::Sink::sqlite(
                path,
                f,
                dhan_feed::sink::SinkConfig::default(),
            )?)
        }
        None => None,
    };
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids(args.instruments))?;
    let lat = std::thread::scope(|s| {
        s.spawn(|| {
            pin(1, pin_on);
            let mut h = histogram();
            let mut h_hop = histogram();
            let mut h_pub = histogram();
            let mut h_to_read = histogram();
            let t0 = Instant::now();
            // The clock is read once per 64 empty polls, not on every one: a
            // strategy spinning on `try_recv` does not read it either, and a
            // read on every poll would delay noticing an event by half of one.
            let mut idle = 0u32;
            loop {
                match feed.try_recv() {
                    Some(FeedEvent::Market(m)) => {
                        if let MarketPacket::Ticker(t) = m.packet {
                            let now = now_ns();
                            let lat = (now as u32).wrapping_sub(t.ltt.raw());
                            let elapsed = t0.elapsed();
                            if elapsed >= warm {
                                let _ = h.record(u64::from(lat).max(1));
                                let _ = h_hop.record(now.saturating_sub(m.recv_ns).max(1));
                                let _ = h_pub.record(now.saturating_sub(m.publish_ns).max(1));
                                let to_read = (m.recv_ns as u32).wrapping_sub(t.ltt.raw());
                                let _ = h_to_read.record(u64::from(to_read).max(1));
                            }
                            if elapsed >= warm + window {
                                break;
                            }
                        }
                    }
                    Some(FeedEvent::Connection(c)) => log::debug!("bench: {c}"),
                    Some(_) => {}
                    None => {
                        idle = idle.wrapping_add(1);
                        if idle.is_multiple_of(64) && t0.elapsed() >= warm + window {
                            break;
                        }
                    }
                }
            }
            EngineLatency {
                wire: h,
                read: h_hop,
                ring: h_pub,
                to_read: h_to_read,
            }
        })
        .join()
        .expect("consumer thread")
    });
    if let Some(sink) = sink {
        let st = sink.stop()?;
        note!(
            "  the sink stored {} rows in {} commits; its ring dropped {}",
            st.rows,
            st.commits,
            st.missed
        );
    }
    Ok(lat)
}

fn tungstenite_client(
    sim: &Simulator,
    args: &BenchArgs,
    warm: Duration,
    window: Duration,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let (tcp, target) = connect_market_feed(sim)?;
    Ok(match sim.certificate() {
        None => read_with_tungstenite(
            format!("ws://{}{target}", sim.addr()),
            tcp,
            args,
            warm,
            window,
        )?,
        Some(cert) => {
            let roots = dhan_feed::internals::tls::root_store(&[cert], false)?;
            let cfg = dhan_feed::internals::tls::client_config(roots)?;
            let name = rustls_pki_types::ServerName::try_from("127.0.0.1")?;
            let stream = rustls::StreamOwned::new(rustls::ClientConnection::new(cfg, name)?, tcp);
            read_with_tungstenite(
                format!("wss://{}{target}", sim.addr()),
                stream,
                args,
                warm,
                window,
            )?
        }
    })
}

/// A TCP connection (no delay) to the simulator, and the market feed's request
/// target with the simulator's default credentials.
fn connect_market_feed(sim: &Simulator) -> io::Result<(TcpStream, String)> {
    let tcp = TcpStream::connect(sim.addr())?;
    tcp.set_nodelay(true)?;
    let target = request_target(
        FeedKind::MarketFeed,
        &Secret::new(DEFAULT_ACCESS_TOKEN),
        &Secret::new(DEFAULT_CLIENT_ID),
    );
    Ok((tcp, target))
}

/// Upgrades with tungstenite and subscribes to `n` instruments in `mode`.
fn subscribed<S: Read + Write>(
    url: String,
    stream: S,
    mode: FeedMode,
    n: u32,
) -> io::Result<tungstenite::WebSocket<S>> {
    let (mut ws, _) =
        tungstenite::client(url, stream).map_err(|e| io::Error::other(e.to_string()))?;
    let mut msg = Vec::new();
    for chunk in ids(n).chunks(100) {
        encode_subscription(mode, true, chunk, &mut msg).map_err(io::Error::other)?;
        let text = String::from_utf8_lossy(&msg).into_owned();
        ws.send(tungstenite::Message::Text(text.into()))
            .map_err(|e| io::Error::other(e.to_string()))?;
    }
    Ok(ws)
}

/// Upgrades with tungstenite, subscribes, then reads and decodes every message;
/// returns messages per second over `window` after `warm`, and the share of
/// that window the reading thread was on a CPU.
fn read_with_tungstenite<S: Read + Write>(
    url: String,
    stream: S,
    args: &BenchArgs,
    warm: Duration,
    window: Duration,
) -> io::Result<(f64, f64)> {
    let io_err = |e: tungstenite::Error| io::Error::other(e.to_string());
    let mut ws = subscribed(url, stream, args.mode, args.instruments)?;
    let t0 = Instant::now();
    let mut n = 0u64;
    let mut t1 = None;
    let mut c1 = None;
    loop {
        let tungstenite::Message::Binary(m) = ws.read().map_err(io_err)? else {
            continue;
        };
        for p in packets(&m) {
            std::hint::black_box(p.ok());
        }
        match t1 {
            None if t0.elapsed() >= warm => {
                t1 = Some(Instant::now());
                c1 = this_thread_cpu_s();
            }
            Some(t) if t.elapsed() >= window => {
                let cpu = this_thread_cpu_s().zip(c1).map_or(0.0, |(b, a)| b - a);
                return Ok((
                    n as f64 / t.elapsed().as_secs_f64(),
                    cpu / t.elapsed().as_secs_f64(),
                ));
            }
            Some(_) => n += 1,
            None => {}
        }
    }
}

fn raw_floor(
    args: &BenchArgs,
    warm: Duration,
    window: Duration,
    pin_on: bool,
) -> Result<Floor, Box<dyn std::error::Error>> {
    // The same simulator as the engine run's, upgraded and subscribed with
    // tungstenite, which then steps aside: the reader takes the socket's bytes
    // (decrypted by rustls over TLS) as they come.
    let sim = sim(args, args.tls, args.rate, true)?;
    let (tcp, target) = connect_market_feed(&sim)?;
    match sim.certificate() {
        None => {
            let url = format!("ws://{}{target}", sim.addr());
            let mut ws = subscribed(url, tcp, FeedMode::Ticker, args.instruments)?;
            let r = ws.get_mut();
            r.set_nonblocking(true)?;
            floor_on(r, warm, window, pin_on)
        }
        Some(cert) => {
            let roots = dhan_feed::internals::tls::root_store(&[cert], false)?;
            let cfg = dhan_feed::internals::tls::client_config(roots)?;
            let name = rustls_pki_types::ServerName::try_from("127.0.0.1")?;
            let stream = rustls::StreamOwned::new(rustls::ClientConnection::new(cfg, name)?, tcp);
            let url = format!("wss://{}{target}", sim.addr());
            let mut ws = subscribed(url, stream, FeedMode::Ticker, args.instruments)?;
            let r = ws.get_mut();
            r.sock.set_nonblocking(true)?;
            floor_on(r, warm, window, pin_on)
        }
    }
}

/// The floor run on a subscribed, non-blocking stream.
fn floor_on<R: Read + Send>(
    r: &mut R,
    warm: Duration,
    window: Duration,
    pin_on: bool,
) -> Result<Floor, Box<dyn std::error::Error>> {
    let done = AtomicBool::new(false);
    let handoff = Handoff::default();
    std::thread::scope(|s| {
        // The engine run has a consumer spinning on core 1: so does the floor
        // run, taking every stamp from the reader through the least a hand-off
        // to another core can be (a slot and an index).
        let consumer = s.spawn(|| {
            pin(1, pin_on);
            let mut h = histogram();
            let mut next = 0u64;
            let t0 = Instant::now();
            while !done.load(Ordering::Relaxed) {
                let published = handoff.published.load(Ordering::Acquire);
                if published == next {
                    std::hint::spin_loop();
                    continue;
                }
                let now = now_ns() as u32;
                let measure = t0.elapsed() >= warm;
                // Skip what was overwritten (never at a paced rate).
                next = next.max(published.saturating_sub(HANDOFF_SLOTS as u64));
                while next < published {
                    let stamp =
                        handoff.stamps[next as usize % HANDOFF_SLOTS].load(Ordering::Relaxed);
                    if measure {
                        let _ = h.record(u64::from(now.wrapping_sub(stamp)).max(1));
                    }
                    next += 1;
                }
            }
            h
        });
        let reader = s
            .spawn(|| {
                pin(0, pin_on);
                read_floor(r, warm, warm + window, &handoff)
            })
            .join()
            .map_err(|_| io::Error::other("reader panicked"));
        done.store(true, Ordering::Relaxed);
        let handed = consumer
            .join()
            .map_err(|_| io::Error::other("floor consumer panicked"))?;
        let reader = reader??;
        Ok(Floor { reader, handed })
    })
}

/// Stamps the floor's reader hands to its consumer on core 1.
const HANDOFF_SLOTS: usize = 1024;

/// The floor's hand-off: stamp slots and the count published.
struct Handoff {
    stamps: Vec<std::sync::atomic::AtomicU32>,
    published: AtomicU64,
}

impl Default for Handoff {
    fn default() -> Self {
        Self {
            stamps: (0..HANDOFF_SLOTS).map(|_| Default::default()).collect(),
            published: AtomicU64::new(0),
        }
    }
}

/// One floor run, in ns.
struct Floor {
    /// The sender's write to the reader's read (the raw TCP floor).
    reader: Histogram<u64>,
    /// The sender's write to a spinning thread on core 1, handed every stamp by
    /// the reader (a slot and an index).
    handed: Histogram<u64>,
}

/// Reads the simulator's frames off the socket until `total` has passed,
/// recording each ticker's one-way latency after `warm`, and hands every stamp
/// to the floor's consumer.
fn read_floor<R: Read>(
    r: &mut R,
    warm: Duration,
    total: Duration,
    handoff: &Handoff,
) -> io::Result<Histogram<u64>> {
    let mut h = histogram();
    let mut seq = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    let (mut start, mut end) = (0, 0);
    let t0 = Instant::now();
    let mut idle = 0u32;
    loop {
        if end == buf.len() {
            buf.copy_within(start..end, 0);
            (start, end) = (0, end - start);
        }
        match r.read(&mut buf[end..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                let now = now_ns() as u32;
                end += n;
                // Server frames are unmasked; a ticker message is 2 + 16 bytes.
                while let Some((opcode, payload, len)) = server_frame(&buf[start..end])? {
                    let p = &buf[start + payload..start + len];
                    if opcode == Opcode::Binary
                        && p.len() == 16
                        && p[0] == dhan_feed::proto::market::code::TICKER
                    {
                        let stamp = u32::from_le_bytes([p[12], p[13], p[14], p[15]]);
                        handoff.stamps[seq as usize % HANDOFF_SLOTS]
                            .store(stamp, Ordering::Relaxed);
                        seq += 1;
                        handoff.published.store(seq, Ordering::Release);
                        if t0.elapsed() >= warm {
                            let _ = h.record(u64::from(now.wrapping_sub(stamp)).max(1));
                        }
                    }
                    start += len;
                }
                if start == end {
                    (start, end) = (0, 0);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Straight back to the socket, as the engine's busy turn goes:
                // no pause, and the clock once per 64 empty reads.
                idle = idle.wrapping_add(1);
                if idle.is_multiple_of(64) && t0.elapsed() >= total {
                    return Ok(h);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The opcode, payload offset and total length of the complete frame at the
/// start of `b`, if there is one (the framer's own header parser; a bad header
/// ends the floor run).
fn server_frame(b: &[u8]) -> io::Result<Option<(Opcode, usize, usize)>> {
    let Some(h) = parse_header(b).map_err(|e| io::Error::other(e.to_string()))? else {
        return Ok(None);
    };
    let len = usize::try_from(h.payload_len)
        .ok()
        .and_then(|n| n.checked_add(h.header_len))
        .ok_or_else(|| io::Error::other("frame too large"))?;
    Ok((b.len() >= len).then_some((h.opcode, h.header_len, len)))
}

/// The `RESULT` line.
pub fn result_line(r: &BenchResult) -> String {
    format!(
        "RESULT msgs_per_s={:.0} p50_ns={} p99_ns={} p999_ns={} max_ns={} floor_p50_ns={} floor_p99_ns={} floor_p999_ns={} handoff_floor_p50_ns={} handoff_floor_p99_ns={} tungstenite_msgs_per_s={:.0} ratio_vs_tungstenite={:.2} allocs_per_msg={:.4} io_allocs_per_msg={:.4} io_msgs_per_cpu_s={:.0} tungstenite_msgs_per_cpu_s={:.0} cache_msgs_per_s={:.0} cache_io_msgs_per_cpu_s={:.0} cache_ratio={:.3} sink_ratio={:.3} record_ratio={:.3} steal_ms={:.0} round_gap_p50_ns={}",
        r.msgs_per_s,
        r.latency[0],
        r.latency[1],
        r.latency[2],
        r.latency[3],
        r.floor[0],
        r.floor[1],
        r.floor[2],
        r.floor_handoff[0],
        r.floor_handoff[1],
        r.tungstenite_msgs_per_s,
        r.msgs_per_s / r.tungstenite_msgs_per_s.max(1.0),
        r.allocs_per_msg,
        r.io_allocs_per_msg,
        r.io_msgs_per_cpu_s,
        r.tungstenite_msgs_per_cpu_s,
        r.cache_msgs_per_s,
        r.cache_io_msgs_per_cpu_s,
        r.cache_ratio,
        r.sink_ratio,
        r.record_ratio,
        r.steal_ms,
        r.round_gap_p50_ns
    )
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[]), 0);
        assert_eq!(median(&[-5]), -5);
        assert_eq!(median(&[-3, 1, 900]), 1);
        assert_eq!(median(&[-4, 2, 10, 1000]), 6);
    }
}
