//! `dhan-feed watch`: prints market events (or order events with `--orders`, depth
//! books with `--depth`) as they arrive, then a summary.
//!
//! With Dhan credentials in the environment it connects to Dhan; without them it
//! starts the in-process simulator over TLS and says so; `--url` and `--ca-file`
//! point it at an external simulator instead.

use crate::stderr::note;
use crate::watch_args::{DEFAULT_INSTRUMENTS, connect, refused};
pub use crate::watch_args::{Summary, WatchArgs, WatchError};
use crate::watch_names::Names;
use dhan_feed::FeedMode;
use dhan_feed::event::FeedEvent;
use dhan_feed::jsonl;
use dhan_feed::proto::market::MarketPacket;
use dhan_feed::proto::segment::InstrumentId;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One table row for a packet.
pub fn table_row(p: &MarketPacket, names: &Names, out: &mut Vec<u8>) -> io::Result<()> {
    write!(out, "{:<12} {:>24} ", p.kind_name(), names.of(p.id()))?;
    match p {
        MarketPacket::Ticker(t) => write!(out, "ltp {:>12.2}  ltt {}", t.ltp, hms(t.ltt.raw()))?,
        MarketPacket::Quote(q) => write!(
            out,
            "ltp {:>12.2}  ltt {}  vol {}  o/h/l/c {:.2}/{:.2}/{:.2}/{:.2}",
            q.ltp,
            hms(q.ltt.raw()),
            q.volume,
            q.open,
            q.high,
            q.low,
            q.close
        )?,
        MarketPacket::Full(f) => write!(
            out,
            "ltp {:>12.2}  ltt {}  vol {}  oi {}  bid {:.2} x {}  ask {:.2} x {}",
            f.ltp,
            hms(f.ltt.raw()),
            f.volume,
            f.oi,
            f.depth[0].bid_price,
            f.depth[0].bid_qty,
            f.depth[0].ask_price,
            f.depth[0].ask_qty
        )?,
        MarketPacket::Oi(o) => write!(out, "oi {}", o.oi)?,
        MarketPacket::PrevClose(pc) => write!(
            out,
            "prev_close {:.2}  prev_oi {}",
            pc.prev_close, pc.prev_oi
        )?,
        MarketPacket::Disconnect(d) => write!(out, "reason {}", d.reason)?,
        MarketPacket::MarketStatus(_) => {}
        MarketPacket::Unknown(u) => write!(out, "code {} len {}", u.code, u.len)?,
        _ => {}
    }
    out.push(b'\n');
    Ok(())
}

/// `HH:MM:SS` of a last-trade time, which the feed encodes as IST wall clock.
fn hms(ltt: u32) -> String {
    let s = ltt % 86_400;
    format!("{:02}:{:02}:{:02} IST", s / 3600, s / 60 % 60, s % 60)
}

/// Runs `watch` until `--count`, `--seconds` or `stop` is set (Ctrl-C), or the
/// credentials are refused (an error).
pub fn run(
    args: &WatchArgs,
    out: &mut impl Write,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    let (sim, client, recorder) = connect(args)?;
    // `--quiet`: the summary only (it goes to stderr).
    let mut sink = io::sink();
    let mut out: &mut dyn Write = if args.quiet { &mut sink } else { out };
    let result = if args.orders {
        crate::watch_feeds::orders(args, &client, &mut out, stop)
    } else if let Some(ids) = &args.global {
        crate::watch_global::global(args, ids, &client, &mut out, stop)
    } else if let Some(levels) = &args.depth {
        crate::watch_feeds::depth(args, levels == "200", &client, &mut out, stop)
    } else {
        market(args, &client, &mut out, stop)
    };
    // The client first: it says goodbye and joins its I/O thread while an
    // in-process simulator is still there (else the simulator's shutdown would be
    // logged as a dropped connection).
    drop(client);
    drop(sim);
    // The I/O thread has stopped: the recorder writes what is left.
    if let Some(r) = recorder {
        let path = r.path().to_path_buf();
        let s = r.stop();
        let lost = s.lost;
        note!(
            "journal {}: {} records in {} batches; {} missed (gap records), {} lost{}",
            path.display(),
            s.records,
            s.batches,
            s.missed,
            s.lost,
            s.last_error.map(|e| format!(" ({e})")).unwrap_or_default()
        );
        if lost > 0 && result.is_ok() {
            return Err(WatchError::Journal(format!(
                "{}: {lost} records could not be written",
                path.display()
            )));
        }
    }
    result
}

/// `watch` on the market feed.
fn market(
    args: &WatchArgs,
    client: &dhan_feed::Client,
    out: &mut impl Write,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    let mode = match (args.candles, args.mode) {
        // Candles need volume, which tickers do not carry.
        (Some(_), FeedMode::Ticker) => FeedMode::Quote,
        (_, m) => m,
    };
    let mut candles = args.candles.map(dhan_feed::feed::CandleAggregator::new);
    let page = crate::watch_http::page(args);
    let instruments: Vec<InstrumentId> = if args.instruments.is_empty() {
        DEFAULT_INSTRUMENTS
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect()
    } else {
        args.instruments.clone()
    };
    let names = Names::load(args, &instruments)?;
    // The sinks subscribe first: Dhan sends an instrument's previous close once,
    // to the subscription that opens it, and the database should have it.
    let sinks = crate::watch_sink::start(args, || {
        crate::watch_sink::market(client, mode, &instruments)
    })?;
    // With `--http` the feed also writes a last-value cache, which the page reads.
    let (mut feed, cache) = match page {
        Some(_) => {
            let (f, c) = client.market_feed_with_cache(mode, instruments.len());
            (f, Some(c))
        }
        None => (client.market_feed(mode), None),
    };
    feed.subscribe(&instruments)?;
    let _web = match (page, cache) {
        (Some(page), Some(cache)) => Some(crate::watch_http::start(
            page.market(&feed, cache, |id| names.of(id))
                .order_feed(client.order_updates()),
        )?),
        _ => None,
    };
    crate::watch_args::subscribed();
    let mut hist = hdrhistogram::Histogram::<u64>::new(3).map_err(io::Error::other)?;
    let mut summary = Summary::default();
    let start = Instant::now();
    let mut line = Vec::with_capacity(512);
    if !args.json && candles.is_none() {
        writeln!(out, "{:<12} {:>24} fields", "kind", "instrument")?;
    }
    loop {
        if stop.load(Ordering::Relaxed)
            || args.count.is_some_and(|c| summary.events >= c)
            || args
                .seconds
                .is_some_and(|s| start.elapsed().as_secs_f64() >= s)
        {
            break;
        }
        let Some(ev) = feed.recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        line.clear();
        match ev {
            FeedEvent::Market(m) if candles.is_some() => {
                if let Some(bar) = candles.as_mut().and_then(|c| c.on_event(&m)) {
                    jsonl::candle(&bar, &mut line);
                    summary.events += 1;
                }
            }
            FeedEvent::Market(m) => {
                let _ = hist.record(dhan_feed::now_ns().saturating_sub(m.recv_ns));
                if args.json {
                    jsonl::market_packet(&m.packet, &mut line);
                } else {
                    table_row(&m.packet, &names, &mut line)?;
                }
                summary.events += 1;
            }
            FeedEvent::Connection(c) => {
                note!("dhan-feed watch: {c}");
                if matches!(c.event, dhan_feed::SessionEvent::Reconnected { .. }) {
                    summary.reconnects += 1;
                }
                refused(&c.event, args.token_file.is_some())?;
            }
            FeedEvent::Refused(r) => note!("dhan-feed watch: {r}"),
            FeedEvent::EngineStopped(dhan_feed::EngineStop::ReplayEnded) => break,
            FeedEvent::EngineStopped(stop) => return Err(WatchError::EngineStopped(stop)),
            _ => {}
        }
        out.write_all(&line)?;
    }
    if let Some(c) = candles.as_mut() {
        line.clear();
        for bar in c.flush() {
            jsonl::candle(&bar, &mut line);
        }
        out.write_all(&line)?;
    }
    out.flush()?;
    let stored = crate::watch_sink::stop(sinks);
    summary.drops = feed.stats().dropped;
    summary.malformed = feed.health().malformed;
    summary.latency_ns = [
        hist.value_at_quantile(0.5),
        hist.value_at_quantile(0.99),
        hist.value_at_quantile(0.999),
        hist.max(),
    ];
    note!(
        "summary: events={} drops={} reconnects={} malformed={} read_to_consumer_ns p50={} p99={} p99.9={} max={}",
        summary.events,
        summary.drops,
        summary.reconnects,
        summary.malformed,
        summary.latency_ns[0],
        summary.latency_ns[1],
        summary.latency_ns[2],
        summary.latency_ns[3]
    );
    stored?;
    Ok(summary)
}
