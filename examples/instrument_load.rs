//! Load time and peak memory of a 250,000-row synthetic detailed master.
//!
//! ```text
//! cargo run --release --example instrument_load [-- ROWS [CSV_PATH]]
//! ```
//!
//! Writes the synthetic file (streaming, so it does not inflate memory) unless
//! CSV_PATH already exists, resets the peak-RSS counter (Linux
//! `/proc/self/clear_refs`), loads and indexes the file, and prints the load time,
//! the peak RSS (`VmHWM`) and the RSS growth, then times a few lookups.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use dhan_feed::instrument::{FindOptions, InstrumentMaster, LoadOptions};
use dhan_feed::internals::synthetic;
use dhan_feed::proto::ExchangeSegment;

/// A `/proc/self/status` field in kB (0 off Linux).
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(250_000);
    let path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("dhan-feed-synthetic-detailed-{rows}.csv"))
    });
    if !path.exists() {
        synthetic::write_detailed(BufWriter::new(File::create(&path)?), rows, 42)?;
    }
    let size = std::fs::metadata(&path)?.len();

    // Reset VmHWM to the current RSS so the peak below is the load's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kb("VmRSS:");
    let t = Instant::now();
    let master = InstrumentMaster::from_path(&path, &LoadOptions::default())?;
    let load = t.elapsed();
    let hwm = status_kb("VmHWM:");
    let rss_after = status_kb("VmRSS:");

    println!(
        "file: {} ({:.1} MB, {} rows loaded)",
        path.display(),
        size as f64 / 1e6,
        master.len()
    );
    println!("load + index: {:.0} ms", load.as_secs_f64() * 1e3);
    println!(
        "peak RSS (VmHWM): {:.1} MB; RSS before {:.1} MB, after {:.1} MB",
        hwm as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    println!(
        "master heap estimate: {:.1} MB",
        master.heap_bytes() as f64 / 1e6
    );

    let n = 1_000_000u32;
    let t = Instant::now();
    let mut found = 0u64;
    for _ in 0..n {
        let hit = master.find(
            std::hint::black_box(ExchangeSegment::NseEq),
            std::hint::black_box("RELIANCE"),
            FindOptions::new(),
        );
        found += u64::from(hit.map_or(0, |i| i.security_id()));
    }
    println!(
        "find(NSE_EQ, RELIANCE): {:.0} ns (id {})",
        t.elapsed().as_nanos() as f64 / f64::from(n),
        found / u64::from(n)
    );
    let t = Instant::now();
    for _ in 0..n {
        let hit = master.by_security_id(
            std::hint::black_box(ExchangeSegment::NseEq),
            std::hint::black_box(2885),
        );
        found += u64::from(hit.map_or(0, |i| i.security_id()));
    }
    println!(
        "by_security_id(NSE_EQ, 2885): {:.0} ns (id {})",
        t.elapsed().as_nanos() as f64 / f64::from(n),
        found / u64::from(n) - 2885
    );
    Ok(())
}
