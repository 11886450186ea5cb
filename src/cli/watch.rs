//! `dhan-feed watch`: prints market events as they arrive.
//!
//! Until the engine lands (issue 4), `watch` replays the bundled sample capture
//! through the real decoder and says so on stderr; the output format (table, or
//! JSON lines with `--json`) is the one the live command will keep.

use crate::jsonl;
use crate::proto::capture::CaptureReader;
use crate::proto::market::{MarketPacket, packets};
use std::io::{self, Write};

/// Options of `dhan-feed watch`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct WatchArgs {
    /// Print JSON lines (the field names of `dhan-feed decode`) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many events.
    #[arg(long)]
    pub count: Option<u64>,
}

/// One table row for a packet.
pub fn table_row(p: &MarketPacket, out: &mut Vec<u8>) -> io::Result<()> {
    let id = p.id();
    write!(out, "{:<10} {:>14} ", p.kind_name(), id.to_string())?;
    match p {
        MarketPacket::Ticker(t) => write!(out, "ltp {:>12.2} ltt {}", t.ltp, hms(t.ltt.raw()))?,
        MarketPacket::Quote(q) => write!(
            out,
            "ltp {:>12.2} ltt {} vol {} o/h/l/c {:.2}/{:.2}/{:.2}/{:.2}",
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
            "ltp {:>12.2} ltt {} vol {} oi {} bid {:.2}x{} ask {:.2}x{}",
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
            "prev_close {:.2} prev_oi {}",
            pc.prev_close, pc.prev_oi
        )?,
        MarketPacket::Disconnect(d) => write!(out, "reason {}", d.reason)?,
        MarketPacket::MarketStatus(_) => {}
        MarketPacket::Unknown(u) => write!(out, "code {} len {}", u.code, u.len)?,
    }
    out.push(b'\n');
    Ok(())
}

/// `HH:MM:SS` of a last-trade time, which the feed encodes as IST wall clock.
fn hms(ltt: u32) -> String {
    let s = ltt % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Replays `capture` (market feed) to `out`; returns the events printed.
pub fn replay(args: &WatchArgs, capture: &[u8], out: &mut impl Write) -> io::Result<u64> {
    let mut reader = CaptureReader::new(capture);
    let mut line = Vec::with_capacity(512);
    let mut events = 0u64;
    let mut errors = 0u64;
    if !args.json {
        writeln!(out, "{:<10} {:>14} fields", "kind", "instrument")?;
    }
    'records: while let Some(rec) = reader
        .next_record()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?
    {
        for p in packets(rec.payload) {
            if args.count.is_some_and(|c| events >= c) {
                break 'records;
            }
            line.clear();
            match p {
                Ok(p) if args.json => jsonl::market_packet(&p, &mut line),
                Ok(p) => table_row(&p, &mut line)?,
                Err(e) => {
                    errors += 1;
                    eprintln!("record {}: {e}", rec.number);
                    continue;
                }
            }
            events += 1;
            out.write_all(&line)?;
        }
    }
    out.flush()?;
    eprintln!("summary: events={events} decode_errors={errors} drops=0 reconnects=0");
    Ok(events)
}
