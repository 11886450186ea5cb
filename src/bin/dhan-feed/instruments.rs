//! The `dhan-feed instruments …` command line: `find` and `download`.
//!
//! The binary embeds [`InstrumentsArgs`] as a subcommand and calls [`run`].

use crate::stderr::note;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use dhan_feed::instrument::Instrument;
use dhan_feed::instrument::InstrumentError;
use dhan_feed::instrument::LoadOptions;
use dhan_feed::instrument::{Download, Fetched, MasterKind, Origin, Progress};
use dhan_feed::instrument::{FindOptions, InstrumentMaster, SEARCH_ORDER};
use dhan_feed::proto::ExchangeSegment;

/// `dhan-feed instruments`: search or download Dhan's instrument master.
#[derive(clap::Args, Debug, Clone)]
pub struct InstrumentsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: InstrumentsCommand,
}

/// The `instruments` subcommands.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum InstrumentsCommand {
    /// Find instruments by symbol (underlying symbol first, then symbol name).
    Find(FindArgs),
    /// Download the master into the cache (if older than --max-age, or --force).
    Download(DownloadArgs),
}

/// Arguments of `instruments find`.
#[derive(clap::Args, Debug, Clone)]
pub struct FindArgs {
    /// The symbol, e.g. RELIANCE, NIFTY or "RELIANCE INDUSTRIES LTD".
    pub symbol: String,
    /// Search only these segments, in this order (IDX_I, NSE_EQ, NSE_FNO, BSE_EQ,
    /// MCX_COMM, …; repeat the flag or separate with commas); default: all, cash
    /// equity first.
    #[arg(long = "segment", value_parser = parse_segment, value_delimiter = ',')]
    pub segments: Vec<ExchangeSegment>,
    /// Whole-symbol matches only (no substring fallback).
    #[arg(long)]
    pub exact: bool,
    /// Compare case-sensitively.
    #[arg(long)]
    pub case_sensitive: bool,
    /// Print every match (up to --limit) as a table instead of the best one in full.
    #[arg(long)]
    pub all: bool,
    /// With --all: the most rows to print.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Read this CSV (compact or detailed) instead of the cached download.
    #[arg(long, value_name = "CSV")]
    pub file: Option<PathBuf>,
    /// Where the master comes from when --file is not given.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Arguments of `instruments download`.
#[derive(clap::Args, Debug, Clone)]
pub struct DownloadArgs {
    /// Download even if the cache file is younger than --max-age.
    #[arg(long)]
    pub force: bool,
    /// Where to download from and to.
    #[command(flatten)]
    pub source: SourceArgs,
}

/// The download source and cache of the `instruments` commands.
#[derive(clap::Args, Debug, Clone)]
pub struct SourceArgs {
    /// Use the compact master instead of the detailed one.
    #[arg(long)]
    pub compact: bool,
    /// Download from this URL instead of Dhan's.
    #[arg(long)]
    pub url: Option<String>,
    /// Cache directory (default: $XDG_CACHE_HOME/dhan-feed or ~/.cache/dhan-feed).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Refresh the cache file when it is older than this (e.g. 90s, 30m, 12h, 2d).
    #[arg(long, value_name = "AGE", default_value = "12h", value_parser = parse_age)]
    pub max_age: Duration,
}

impl SourceArgs {
    fn download(&self) -> Result<Download, InstrumentError> {
        let kind = if self.compact {
            MasterKind::Compact
        } else {
            MasterKind::Detailed
        };
        let mut d = match &self.cache_dir {
            Some(dir) => Download::with_cache_dir(kind, dir),
            None => Download::new(kind)?,
        };
        if let Some(url) = &self.url {
            d = d.url(url.clone());
        }
        Ok(d.max_age(self.max_age))
    }
}

/// Parses a segment name, ignoring case (`nse_eq` → `NSE_EQ`).
fn parse_segment(s: &str) -> Result<ExchangeSegment, String> {
    s.to_ascii_uppercase()
        .parse()
        .map_err(|e: dhan_feed::proto::ParseSegmentError| e.to_string())
}

/// Parses an age: a number with an optional unit `s`, `m`, `h` or `d` (seconds by
/// default).
pub fn parse_age(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad age {s:?}: expected e.g. 90s, 30m, 12h, 2d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("bad age unit in {s:?}: use s, m, h or d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}

/// Runs an `instruments` command, printing results on stdout and progress (on a
/// terminal only) and notes on stderr. A search without a match is
/// [`InstrumentError::NotFound`].
pub fn run(args: InstrumentsArgs) -> Result<(), InstrumentError> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    run_with(args, &mut out, io::stderr().is_terminal())
}

/// [`run`] writing results to `out`; `progress` draws a download progress line on
/// stderr.
pub fn run_with(
    args: InstrumentsArgs,
    out: &mut dyn Write,
    progress: bool,
) -> Result<(), InstrumentError> {
    match args.command {
        InstrumentsCommand::Download(a) => {
            let d = a.source.download()?;
            let mut bar = ProgressLine::new(progress);
            let fetched = if a.force {
                d.refresh(&mut |p| bar.update(p))
            } else {
                d.fetch(&mut |p| bar.update(p))
            };
            bar.finish();
            let fetched = fetched?;
            writeln!(out, "{}", describe(&fetched))?;
            Ok(())
        }
        InstrumentsCommand::Find(a) => {
            let opts = LoadOptions::default();
            let master = match &a.file {
                Some(path) => InstrumentMaster::from_path(path, &opts)?,
                None => {
                    let d = a.source.download()?;
                    let mut bar = ProgressLine::new(progress);
                    let loaded = d.load(&opts, &mut |p| bar.update(p));
                    bar.finish();
                    let (master, fetched) = loaded?;
                    if !matches!(fetched.origin, Origin::Cache { .. }) {
                        note!("{}", describe(&fetched));
                    }
                    master
                }
            };
            let skipped = &master.report().skipped;
            if let Some(first) = skipped.first() {
                note!(
                    "note: {} malformed rows skipped (first: {first})",
                    skipped.len()
                );
            }
            find(&master, &a, out)
        }
    }
}

fn describe(f: &Fetched) -> String {
    match &f.origin {
        Origin::Cache { age } => format!(
            "{} is fresh ({} min old)",
            f.path.display(),
            age.as_secs() / 60
        ),
        Origin::Downloaded { bytes } => format!(
            "downloaded {} ({:.1} MB)",
            f.path.display(),
            *bytes as f64 / 1e6
        ),
        Origin::StaleCache { age, error } => format!(
            "download failed ({error}); using {} from {} h ago",
            f.path.display(),
            age.as_secs() / 3600
        ),
        _ => format!("{}", f.path.display()),
    }
}

fn find(
    master: &InstrumentMaster,
    a: &FindArgs,
    out: &mut dyn Write,
) -> Result<(), InstrumentError> {
    let opts = FindOptions {
        exact_match: a.exact,
        case_sensitive: a.case_sensitive,
    };
    let not_found = || InstrumentError::NotFound {
        symbol: a.symbol.clone(),
        segments: a.segments.clone(),
    };
    if !a.all {
        let hit = match a.segments.as_slice() {
            [seg] => master.find(*seg, &a.symbol, opts),
            segs => master.find_anywhere(&a.symbol, segs, opts),
        };
        let inst = hit.ok_or_else(not_found)?;
        print_full(&inst, out)?;
        return Ok(());
    }
    let segments = if a.segments.is_empty() {
        SEARCH_ORDER.to_vec()
    } else {
        a.segments.clone()
    };
    let mut hits: Vec<Instrument<'_>> = Vec::new();
    for seg in segments {
        hits.extend(master.find_all(seg, &a.symbol, opts));
    }
    if hits.is_empty() {
        return Err(not_found());
    }
    writeln!(
        out,
        "{:<20} {:<28} {:<14} {:<30} {:>8} {:>8} {:<10} {:>10} {:<3}",
        "ID", "SYMBOL", "UNDERLYING", "DISPLAY", "LOT", "TICK ₹", "EXPIRY", "STRIKE", "OPT"
    )?;
    for inst in hits.iter().take(a.limit) {
        let num = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |x| format!("{x}"));
        writeln!(
            out,
            "{:<20} {:<28} {:<14} {:<30} {:>8} {:>8} {:<10} {:>10} {:<3}",
            inst.id().to_string(),
            inst.symbol_name(),
            inst.underlying_symbol().unwrap_or("-"),
            inst.display_name().unwrap_or("-"),
            num(inst.lot_size()),
            num(inst.tick_size_rupees()),
            inst.expiry_date()
                .map_or_else(|| "-".to_owned(), |d| d.to_string()),
            num(inst.strike_price()),
            inst.option_type().map_or("-", |o| o.as_str()),
        )?;
    }
    if hits.len() > a.limit {
        writeln!(out, "… {} more (raise --limit)", hits.len() - a.limit)?;
    }
    Ok(())
}

/// Prints every field of one instrument, one `name: value` per line.
fn print_full(i: &Instrument<'_>, out: &mut dyn Write) -> io::Result<()> {
    fn show<T: std::fmt::Display>(v: Option<T>) -> String {
        v.map_or_else(|| "-".to_owned(), |v| v.to_string())
    }
    let fields: [(&str, String); 29] = [
        ("id", i.id().to_string()),
        ("security_id", i.security_id().to_string()),
        ("exchange", i.exchange().to_string()),
        ("segment", i.segment().to_string()),
        ("exchange_segment", i.exchange_segment().to_string()),
        ("symbol_name", i.symbol_name().to_owned()),
        ("underlying_symbol", show(i.underlying_symbol())),
        ("underlying_security_id", show(i.underlying_security_id())),
        ("display_name", show(i.display_name())),
        ("isin", show(i.isin())),
        ("instrument", show(i.instrument())),
        ("instrument_type", show(i.instrument_type())),
        ("series", show(i.series())),
        ("lot_size", show(i.lot_size())),
        ("tick_size", show(i.tick_size())),
        ("tick_size_rupees", show(i.tick_size_rupees())),
        ("expiry_flag", show(i.expiry_flag())),
        ("expiry_date", show(i.expiry_date())),
        ("strike_price", show(i.strike_price())),
        ("option_type", show(i.option_type())),
        ("bracket_flag", show(i.bracket_flag())),
        ("cover_flag", show(i.cover_flag())),
        ("asm_gsm_flag", show(i.asm_gsm_flag())),
        ("asm_gsm_category", show(i.asm_gsm_category())),
        ("buy_sell_indicator", show(i.buy_sell_indicator())),
        ("buy_co_min_margin_per", show(i.buy_co_min_margin_per())),
        ("sell_co_min_margin_per", show(i.sell_co_min_margin_per())),
        ("mtf_leverage", show(i.mtf_leverage())),
        ("freeze_quantity", show(i.freeze_quantity())),
    ];
    for (name, value) in fields {
        writeln!(out, "{name:<23} {value}")?;
    }
    Ok(())
}

/// A carriage-return progress line on stderr, drawn only when enabled (stderr is
/// a terminal) and at most ten times a second.
struct ProgressLine {
    enabled: bool,
    last: Option<Instant>,
    drawn: bool,
}

impl ProgressLine {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            last: None,
            drawn: false,
        }
    }

    fn update(&mut self, p: Progress) {
        if !self.enabled
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        let mb = p.downloaded as f64 / 1e6;
        let line = match p.total {
            Some(t) if t > 0 => {
                let pct = (p.downloaded.saturating_mul(100) / t).min(100) as usize;
                let bar = format!("{}{}", "#".repeat(pct / 4), ".".repeat(25 - pct / 4));
                format!(
                    "\rdownloading [{bar}] {pct:>3}% {mb:.1}/{:.1} MB",
                    t as f64 / 1e6
                )
            }
            _ => format!("\rdownloading {mb:.1} MB"),
        };
        let mut err = io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
        self.drawn = true;
    }

    fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(io::stderr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_age("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse_age("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_age("h").is_err());
        assert!(parse_age("3w").is_err());
    }

    #[test]
    fn segments_ignore_case() {
        assert_eq!(parse_segment("nse_eq"), Ok(ExchangeSegment::NseEq));
        assert!(parse_segment("nse").is_err());
    }
}
