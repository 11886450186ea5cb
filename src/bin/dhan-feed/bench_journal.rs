//! `dhan-feed bench --journal`: the live engine on the simulator's saturated
//! stream for `--seconds` (the baseline), the same stream recorded into a
//! journal, then what that journal takes on disk, how fast the
//! journal reader alone gets through it (the floor a replay cannot beat), how
//! fast a replay delivers it to a consumer as fast as the consumer takes it
//! (`Pacing::Max`), and, with the `parquet` feature, how fast it exports. The
//! last line is machine-readable (`RESULT key=value …`).

use crate::bench::{BenchArgs, client_config, ids, io_cpu_s, pin, record_io_tid, sim};
use crate::stderr::note;
use dhan_feed::event::FeedEvent;
use dhan_feed::journal::{self, JournalConfig, JournalReader, Pacing, RecordKind};
use dhan_feed::proto::market::packets;
use std::path::Path;
use std::time::{Duration, Instant};

/// What `bench --journal` measured.
#[derive(Clone, Debug, Default)]
pub struct JournalBench {
    /// Records in the journal (messages, requests, events, gaps).
    pub records: u64,
    /// Market packets in its binary messages.
    pub packets: u64,
    /// Bytes of the journal's files on disk.
    pub disk_bytes: u64,
    /// Records the reader alone read per second (each one's packets walked).
    pub read_records_per_s: f64,
    /// Market events a consumer received per second from the live engine on
    /// the same stream (no journal): the replay's same-run baseline.
    pub live_events_per_s: f64,
    /// Market events a consumer received per second from a `Pacing::Max` replay.
    pub replay_events_per_s: f64,
    /// Records the replay delivered per second.
    pub replay_records_per_s: f64,
    /// Records exported to Parquet per second (0 without the `parquet` feature).
    pub export_records_per_s: f64,
    /// Bytes of the Parquet files per market packet.
    pub parquet_bytes_per_packet: f64,
}

/// Records, reads, replays and exports one journal; the `RESULT` line.
pub fn run(args: &BenchArgs) -> Result<String, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("dhan-feed-bench-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let r = measure(args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let r = r?;
    Ok(format!(
        "RESULT records={} packets={} disk_bytes={} bytes_per_record={:.1} bytes_per_packet={:.1} read_records_per_s={:.0} replay_events_per_s={:.0} replay_records_per_s={:.0} replay_vs_read={:.3} live_events_per_s={:.0} replay_vs_live={:.3} export_records_per_s={:.0} parquet_bytes_per_packet={:.2}",
        r.records,
        r.packets,
        r.disk_bytes,
        r.disk_bytes as f64 / r.records.max(1) as f64,
        r.disk_bytes as f64 / r.packets.max(1) as f64,
        r.read_records_per_s,
        r.replay_events_per_s,
        r.replay_records_per_s,
        r.replay_records_per_s / r.read_records_per_s.max(1.0),
        r.live_events_per_s,
        r.replay_events_per_s / r.live_events_per_s.max(1.0),
        r.export_records_per_s,
        r.parquet_bytes_per_packet,
    ))
}

fn measure(args: &BenchArgs, dir: &Path) -> Result<JournalBench, Box<dyn std::error::Error>> {
    let pin_on = !args.no_pin;
    let path = dir.join("bench.arrows");
    let mut r = JournalBench::default();

    // 1. The live engine on the same stream without a journal (the same-run
    // baseline of the replay), then the stream recorded.
    let window = Duration::from_secs_f64(args.seconds);
    for recording in [false, true] {
        let sim = sim(args, args.tls, 0.0, false)?;
        let (client, recorder) = if recording {
            let (c, rec) = journal::record(
                client_config(&sim, pin_on, false),
                JournalConfig::new(&path),
            )?;
            (c, Some(rec))
        } else {
            (
                dhan_feed::Client::new(client_config(&sim, pin_on, false))?,
                None,
            )
        };
        let mut feed = client.market_feed(args.mode);
        feed.subscribe(&ids(args.instruments))?;
        let market = std::thread::scope(|s| {
            s.spawn(|| {
                pin(1, pin_on);
                let mut buf = event_buffer();
                // Half a second to connect and warm up, then the window.
                let t0 = Instant::now();
                while t0.elapsed() < Duration::from_millis(500) {
                    if feed.drain(&mut buf) == 0 {
                        std::thread::sleep(Duration::from_micros(20));
                    }
                }
                let (t1, mut n) = (Instant::now(), 0u64);
                while t1.elapsed() < window {
                    let k = feed.drain(&mut buf);
                    if k == 0 {
                        std::thread::sleep(Duration::from_micros(20));
                    }
                    n += market_events(&buf[..k]).0;
                }
                n as f64 / t1.elapsed().as_secs_f64()
            })
            .join()
            .expect("consumer thread")
        });
        drop((feed, client));
        let Some(recorder) = recorder else {
            r.live_events_per_s = market;
            note!(
                "the live engine on the same stream, no journal: {:.2} M events/s",
                market / 1e6
            );
            continue;
        };
        let st = recorder.stop();
        note!(
            "recorded {:.1} s: {} records in {} file(s), {} missed by the ring (saturated: the recorder is slower than the wire)",
            args.seconds + 0.5,
            st.records,
            st.files,
            st.missed
        );
    }
    r.disk_bytes = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();

    // 2. The reader alone: every record read and its packets walked.
    let t0 = Instant::now();
    let mut reader = JournalReader::open(&path)?;
    while let Some(rec) = reader.next_ref() {
        r.records += 1;
        if rec.kind == RecordKind::Binary {
            r.packets += packets(rec.payload).count() as u64;
        }
    }
    r.read_records_per_s = r.records as f64 / t0.elapsed().as_secs_f64();
    if let Some(d) = reader.damage() {
        return Err(format!("the journal just written reads as damaged: {d}").into());
    }
    note!(
        "journal: {} records, {} market packets, {:.1} MB on disk: {:.1} bytes a record, {:.1} a packet; read back at {:.2} M records/s",
        r.records,
        r.packets,
        r.disk_bytes as f64 / 1e6,
        r.disk_bytes as f64 / r.records.max(1) as f64,
        r.disk_bytes as f64 / r.packets.max(1) as f64,
        r.read_records_per_s / 1e6
    );

    // 3. Replayed as fast as the consumer takes it.
    {
        let cfg = dhan_feed::ClientConfig {
            pin_core: pin_on.then_some(0),
            on_io_thread_start: Some(record_io_tid),
            ..dhan_feed::ClientConfig::default()
        };
        let replay = journal::replay_with(&path, Pacing::Max, cfg)?;
        let mut feed = replay.client().market_feed(args.mode);
        feed.subscribe(&ids(args.instruments))?;
        let (events, el, cpu) = std::thread::scope(|s| {
            s.spawn(|| {
                pin(1, pin_on);
                let mut buf = event_buffer();
                let mut events = 0u64;
                let t0 = Instant::now();
                let c0 = io_cpu_s();
                let (mut c1, mut turns) = (c0, 0u64);
                replay.start()?;
                let deadline = t0 + Duration::from_secs(600);
                loop {
                    let k = feed.drain(&mut buf);
                    let (market, end) = market_events(&buf[..k]);
                    events += market;
                    if end {
                        break;
                    }
                    // The thread's CPU time, read now and then while it still
                    // runs (its `/proc` entry goes with it).
                    if turns.is_multiple_of(4096) {
                        c1 = io_cpu_s().or(c1);
                    }
                    turns += 1;
                    if Instant::now() > deadline {
                        return Err("the replay did not end within 600 s".into());
                    }
                    if k == 0 {
                        std::thread::sleep(Duration::from_micros(20));
                    }
                }
                let cpu = c1.zip(c0).map_or(0.0, |(c1, c0)| c1 - c0);
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>((
                    events,
                    t0.elapsed().as_secs_f64(),
                    cpu,
                ))
            })
            .join()
            .expect("consumer thread")
        })
        .map_err(|e| e.to_string())?;
        r.replay_events_per_s = events as f64 / el;
        r.replay_records_per_s = r.records as f64 / el;
        note!(
            "replay (as fast as the consumer takes it): {events} market events in {el:.2} s: {:.2} M events/s ({:.2} of the live engine), {:.2} M records/s ({:.2} of the reader alone); the replay thread busy at least {:.0} % of the time",
            r.replay_events_per_s / 1e6,
            r.replay_events_per_s / r.live_events_per_s.max(1.0),
            r.replay_records_per_s / 1e6,
            r.replay_records_per_s / r.read_records_per_s.max(1.0),
            cpu / el * 100.0
        );
        if events != r.packets {
            note!(
                "replay: {events} events for {} packets in the journal",
                r.packets
            );
        }
    }

    // 4. Exported to Parquet.
    #[cfg(feature = "parquet")]
    {
        let out = dir.join("parquet");
        let t0 = Instant::now();
        let st = journal::export_parquet(&path, &out)?;
        let el = t0.elapsed().as_secs_f64();
        let bytes: u64 = std::fs::read_dir(&out)?
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        r.export_records_per_s = st.records as f64 / el;
        r.parquet_bytes_per_packet = bytes as f64 / r.packets.max(1) as f64;
        note!(
            "export to Parquet: {} records in {el:.2} s: {:.2} M records/s; {:.1} MB of Parquet, {:.2} bytes a packet",
            st.records,
            r.export_records_per_s / 1e6,
            bytes as f64 / 1e6,
            r.parquet_bytes_per_packet
        );
    }
    #[cfg(not(feature = "parquet"))]
    note!("export to Parquet: not measured (built without the `parquet` feature)");
    Ok(r)
}

/// Market events among `events`, and whether the terminal event is there
/// (one pass).
fn market_events(events: &[FeedEvent]) -> (u64, bool) {
    let (mut market, mut end) = (0, false);
    for e in events {
        match e {
            FeedEvent::Market(_) => market += 1,
            FeedEvent::EngineStopped(_) => end = true,
            _ => {}
        }
    }
    (market, end)
}

fn event_buffer() -> Vec<FeedEvent> {
    vec![
        FeedEvent::Connection(dhan_feed::ConnectionEvent::new(
            dhan_feed::FeedKind::MarketFeed,
            0,
            dhan_feed::SessionEvent::Connected,
        ));
        1024
    ]
}
