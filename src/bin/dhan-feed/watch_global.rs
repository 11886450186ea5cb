//! `dhan-feed watch --global [IDS]`: the Global Stocks (US) feed, a line per
//! packet (table or JSON lines), then a summary.

use crate::stderr::note;
use crate::watch_args::{Summary, WatchArgs, WatchError, refused};
use dhan_feed::feed::GlobalFeedEvent;
use dhan_feed::proto::global::{GlobalData, GlobalPacket};
use dhan_feed::{Client, SessionEvent, jsonl};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The official SDK example's security ids (`examples/global_stocks_feed_example.py`).
pub const DEFAULT_GLOBAL_IDS: [u32; 2] = [1234, 5678];

/// UTC `HH:MM:SS` of epoch seconds.
fn utc_hms(t: u32) -> String {
    let s = t % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// One table row.
fn row(p: &GlobalPacket, out: &mut Vec<u8>) -> std::io::Result<()> {
    let id = format!("INX_EQ:{}", p.security_id);
    match p.data {
        GlobalData::Trade {
            ltp, volume, ltt, ..
        } => writeln!(
            out,
            "{id:<16} trade   ltp {ltp:>10.2}  volume {volume:>10}  ltt {} UTC",
            utc_hms(ltt)
        ),
        GlobalData::Ohlc {
            open,
            close,
            high,
            low,
        } => writeln!(
            out,
            "{id:<16} ohlc    o {open:.2} h {high:.2} l {low:.2} c {close:.2}"
        ),
        GlobalData::PrevClose { prev_close } => {
            writeln!(out, "{id:<16} prev close {prev_close:.2}")
        }
        GlobalData::CircuitLimits { upper, lower } => {
            writeln!(out, "{id:<16} circuit {lower:.2} .. {upper:.2}")
        }
        GlobalData::Week52 { high, low } => {
            writeln!(out, "{id:<16} 52-week {low:.2} .. {high:.2}")
        }
        GlobalData::MarketStatus {
            market_type,
            status,
        } => {
            let end = market_type.iter().position(|&b| b == 0).unwrap_or(3);
            let t = String::from_utf8_lossy(&market_type[..end]);
            writeln!(out, "{id:<16} market {t} status {status}")
        }
        GlobalData::Error { code } => writeln!(out, "{id:<16} error {}", code.0),
        GlobalData::Unknown { code, len } => {
            writeln!(out, "{id:<16} code {code} ({len} bytes)")
        }
        _ => writeln!(out, "{id:<16} code {}", p.code()),
    }
}

/// `watch --global`: every packet, then a summary.
pub fn global(
    args: &WatchArgs,
    ids: &[u32],
    client: &Client,
    out: &mut impl Write,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    let ids = if ids.is_empty() {
        &DEFAULT_GLOBAL_IDS[..]
    } else {
        ids
    };
    let mut feed = client.global_stocks_feed(args.global_mode);
    feed.subscribe(ids)?;
    let _web = match crate::watch_http::page(args) {
        Some(page) => {
            let mode = format!("{:?}", args.global_mode).to_ascii_lowercase();
            let page = page
                .feed(
                    "global stocks",
                    "global",
                    &mode,
                    feed.health_probe(),
                    Vec::new(),
                )
                .order_feed(client.order_updates());
            Some(crate::watch_http::start(page)?)
        }
        None => None,
    };
    let mut summary = Summary::default();
    let start = Instant::now();
    let mut line = Vec::with_capacity(512);
    while !(stop.load(Ordering::Relaxed)
        || args.count.is_some_and(|c| summary.events >= c)
        || args
            .seconds
            .is_some_and(|s| start.elapsed().as_secs_f64() >= s))
    {
        let Some(ev) = feed.recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        line.clear();
        match ev {
            GlobalFeedEvent::Packet { packet, .. } => {
                if args.json {
                    jsonl::global_packet(&packet, &mut line);
                } else {
                    row(&packet, &mut line)?;
                }
                summary.events += 1;
            }
            GlobalFeedEvent::Connection(c) => {
                note!("dhan-feed watch: {c}");
                if matches!(c.event, SessionEvent::Reconnected { .. }) {
                    summary.reconnects += 1;
                }
                refused(&c.event, args.token_file.is_some())?;
            }
            GlobalFeedEvent::EngineStopped(stop) => return Err(WatchError::EngineStopped(stop)),
            _ => {}
        }
        out.write_all(&line)?;
    }
    out.flush()?;
    summary.drops = feed.stats().dropped;
    summary.malformed = feed.health().malformed;
    note!(
        "summary: events={} drops={} reconnects={} malformed={}",
        summary.events,
        summary.drops,
        summary.reconnects,
        summary.malformed
    );
    Ok(summary)
}
