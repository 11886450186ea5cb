//! Rows per second into SQLite: the sink's writer (one transaction a batch,
//! prepared inserts, WAL, `synchronous=NORMAL`) against rusqlite alone writing the
//! same quote columns the same way, same run, same disk; and bytes per row on disk.
//!
//! With `--features postgres` and a second argument, a PostgreSQL URL: the same
//! against the sink's `COPY` writer and a bare text `COPY` of the same columns.
//!
//! Run: `cargo run --release --example sink_rows -- [ROWS] [POSTGRES_URL]`
//! (default 1,000,000 rows).

use dhan_feed::event::MarketEvent;
use dhan_feed::proto::market::{Ltt, MarketPacket, Quote};
use dhan_feed::proto::{ExchangeSegment, InstrumentId};
use std::time::Instant;

fn quotes(n: usize) -> Vec<MarketEvent> {
    (0..n)
        .map(|i| {
            MarketEvent::new(
                MarketPacket::Quote(Quote {
                    id: InstrumentId::new(ExchangeSegment::NseEq, 1_000 + (i % 500) as u32),
                    ltp: 1_000.0 + (i % 97) as f32 * 0.05,
                    ltq: 10,
                    ltt: Ltt(1_765_000_000 + i as u32 / 1_000),
                    atp: 1_000.5,
                    volume: i as u32,
                    total_sell_qty: 5_000,
                    total_buy_qty: 6_000,
                    open: 990.0,
                    close: 1_001.0,
                    high: 1_010.0,
                    low: 985.0,
                }),
                i as u64,
                i as u64,
            )
        })
        .collect()
}

/// rusqlite alone: the same table, the same pragmas, one prepared insert a row
/// in one transaction.
fn bare(path: &std::path::Path, events: &[MarketEvent]) -> rusqlite::Result<()> {
    let mut c = rusqlite::Connection::open(path)?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS quotes (segment TEXT NOT NULL, security_id INTEGER NOT NULL, \
         ltp REAL NOT NULL, ltq INTEGER NOT NULL, ltt INTEGER NOT NULL, atp REAL NOT NULL, \
         volume INTEGER NOT NULL, total_sell_qty INTEGER NOT NULL, total_buy_qty INTEGER NOT NULL, \
         open REAL NOT NULL, close REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, \
         recv_ns INTEGER NOT NULL)",
    )?;
    let tx = c.transaction()?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO quotes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        for e in events {
            if let MarketPacket::Quote(q) = &e.packet {
                st.execute(rusqlite::params![
                    "NSE_EQ",
                    q.id.security_id,
                    f64::from(q.ltp),
                    q.ltq,
                    q.ltt.raw(),
                    f64::from(q.atp),
                    q.volume,
                    q.total_sell_qty,
                    q.total_buy_qty,
                    f64::from(q.open),
                    f64::from(q.close),
                    f64::from(q.high),
                    f64::from(q.low),
                    e.recv_ns as i64
                ])?;
            }
        }
    }
    tx.commit()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("dhan-feed-sink-rows-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let events = quotes(n);
    let mut results = Vec::new();
    // Alternating, twice each: the disk and the VM drift.
    for round in 0..4 {
        let ours = round % 2 == 0;
        let path = dir.join(format!("r{round}.db"));
        let t = Instant::now();
        if ours {
            dhan_feed::internals::sqlite_write(&path, &events)?;
        } else {
            bare(&path, &events)?;
        }
        let secs = t.elapsed().as_secs_f64();
        let bytes: u64 = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("r{round}.db"))
            })
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        let name = if ours {
            "sink writer"
        } else {
            "rusqlite alone"
        };
        println!(
            "{name:>14}: {:.2} M rows/s ({n} quotes in {secs:.3} s), {:.1} bytes per row on disk (db + wal)",
            n as f64 / secs / 1e6,
            bytes as f64 / n as f64
        );
        results.push((ours, n as f64 / secs));
    }
    let avg = |o: bool| {
        let v: Vec<f64> = results.iter().filter(|r| r.0 == o).map(|r| r.1).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    println!(
        "RESULT sink_rows_per_s={:.0} bare_rows_per_s={:.0} ratio={:.3}",
        avg(true),
        avg(false),
        avg(true) / avg(false)
    );
    let _ = std::fs::remove_dir_all(&dir);
    #[cfg(feature = "postgres")]
    if let Some(url) = std::env::args().nth(2) {
        postgres_rows(&url, &events)?;
    }
    Ok(())
}

/// The sink's PostgreSQL writer against a bare text `COPY` of the same columns,
/// alternating, twice each (each into an emptied `quotes`).
#[cfg(feature = "postgres")]
fn postgres_rows(url: &str, events: &[MarketEvent]) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    let n = events.len();
    let mut c = postgres::Client::connect(url, postgres::NoTls)?;
    let mut results = Vec::new();
    for round in 0..4 {
        let ours = round % 2 == 0;
        // The schema exists after the first of ours; the bare run needs it too.
        dhan_feed::internals::postgres_write(url, &[])?;
        c.batch_execute("TRUNCATE quotes")?;
        let t = Instant::now();
        if ours {
            dhan_feed::internals::postgres_write(url, events)?;
        } else {
            let mut buf = Vec::with_capacity(n * 100);
            for e in events {
                if let MarketPacket::Quote(q) = &e.packet {
                    writeln!(
                        buf,
                        "NSE_EQ\t{}\t{:?}\t{}\t{}\t{:?}\t{}\t{}\t{}\t{:?}\t{:?}\t{:?}\t{:?}\t{}",
                        q.id.security_id,
                        f64::from(q.ltp),
                        q.ltq,
                        q.ltt.raw(),
                        f64::from(q.atp),
                        q.volume,
                        q.total_sell_qty,
                        q.total_buy_qty,
                        f64::from(q.open),
                        f64::from(q.close),
                        f64::from(q.high),
                        f64::from(q.low),
                        e.recv_ns
                    )?;
                }
            }
            let mut tx = c.transaction()?;
            let mut w = tx.copy_in(
                "COPY quotes (segment, security_id, ltp, ltq, ltt, atp, volume, total_sell_qty, \
                 total_buy_qty, open, close, high, low, recv_ns) FROM STDIN",
            )?;
            w.write_all(&buf)?;
            w.finish()?;
            tx.commit()?;
        }
        let secs = t.elapsed().as_secs_f64();
        let name = if ours { "sink COPY" } else { "bare COPY" };
        println!(
            "{name:>14}: {:.2} M rows/s ({n} quotes in {secs:.3} s) into PostgreSQL",
            n as f64 / secs / 1e6
        );
        results.push((ours, n as f64 / secs));
    }
    let avg = |o: bool| {
        let v: Vec<f64> = results.iter().filter(|r| r.0 == o).map(|r| r.1).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    println!(
        "RESULT pg_sink_rows_per_s={:.0} pg_bare_rows_per_s={:.0} ratio={:.3}",
        avg(true),
        avg(false),
        avg(true) / avg(false)
    );
    Ok(())
}
