//! The `dhan-feed` command-line tool: `watch`, `bench`, `sim`, `instruments` and
//! `decode`. It uses the library's public API, and the `internals` door for the
//! bench driver's baselines.

mod bench;
mod bench_journal;
mod bench_report;
mod decode;
mod instruments;
mod sim;
mod soak;
mod stderr;
mod watch;
mod watch_args;
mod watch_feeds;
mod watch_global;
mod watch_http;
mod watch_names;
mod watch_sink;

use clap::{Parser, Subcommand};
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Parser)]
#[command(
    name = "dhan-feed",
    version,
    about = "DhanHQ v2 WebSocket client, decoder and simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print live market events (the built-in simulator when no Dhan credentials are set).
    Watch(watch::WatchArgs),
    /// Record a session into a journal without printing (as `watch --quiet
    /// --record PATH`: the same options, feeds and sinks).
    Record {
        /// The journal's first file (rotated files add .1, .2, …).
        path: PathBuf,
        #[command(flatten)]
        watch: watch::WatchArgs,
    },
    /// Replay a journal through the same handles and print what `watch` printed
    /// when it was recorded (the same options: --json, --mode, --orders,
    /// --depth, --sink, instruments); paced as recorded unless told otherwise.
    Replay {
        /// The journal.
        path: PathBuf,
        /// This many times as fast as recorded.
        #[arg(long, conflicts_with = "max")]
        speed: Option<f64>,
        /// As fast as the handles take it.
        #[arg(long)]
        max: bool,
        #[command(flatten)]
        watch: watch::WatchArgs,
    },
    /// Simulator + engine + consumer in one process, with same-run baselines.
    Bench(bench::BenchArgs),
    /// Run the Dhan protocol simulator (prints its URL first, the Global Stocks
    /// feed's second).
    Sim(sim::SimArgs),
    /// Every fault and token renewal in rotation against every feed, then checks
    /// that nothing was lost (exit status 1 if a check fails).
    Soak(soak::SoakArgs),
    /// Export a journal into one Parquet file per event kind (zstd), in DIR.
    Export {
        /// The journal.
        path: PathBuf,
        /// The directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        parquet: PathBuf,
    },
    /// Find instruments in Dhan's instrument master, or download it.
    Instruments(instruments::InstrumentsArgs),
    /// Decode a capture (records of u32 LE length + one WebSocket message) to JSON lines.
    Decode {
        /// Which feed the capture holds.
        #[arg(long, value_enum)]
        feed: decode::FeedKind,
        /// Capture file, or `-` (the default) for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
    },
}

/// Counts heap allocations so `dhan-feed bench` can report allocations per message.
mod alloc_count {
    #![allow(unsafe_code)]
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};

    static ALLOCS: AtomicU64 = AtomicU64::new(0);
    /// Allocations made on threads marked with [`mark_io_thread`].
    static IO_ALLOCS: AtomicU64 = AtomicU64::new(0);

    thread_local! {
        // A `const` initialiser and no destructor: reading it never allocates.
        static IO: Cell<bool> = const { Cell::new(false) };
    }

    /// Counts this thread's allocations in [`io_count`] too (the engine's I/O
    /// thread calls it at start).
    pub fn mark_io_thread() {
        IO.with(|c| c.set(true));
    }

    /// Allocations so far on the marked threads.
    pub fn io_count() -> u64 {
        IO_ALLOCS.load(Ordering::Relaxed)
    }

    fn count_one() {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        if IO.try_with(Cell::get).unwrap_or(false) {
            IO_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub struct Counting;

    // SAFETY: every call forwards to the system allocator with the caller's
    // arguments unchanged; the only additions are relaxed counter increments
    // and a read of a thread-local flag that never allocates.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            count_one();
            // SAFETY: same contract as this method's caller.
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            // SAFETY: same contract as this method's caller.
            unsafe { System.dealloc(p, l) }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
            count_one();
            // SAFETY: same contract as this method's caller.
            unsafe { System.realloc(p, l, n) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    /// Allocations so far.
    pub fn count() -> u64 {
        ALLOCS.load(Ordering::Relaxed)
    }
}

/// A line on stderr that never panics (a closed stderr is ignored).
fn note(args: std::fmt::Arguments<'_>) {
    stderr::line(args);
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let frames = matches!(&cli.command, Command::Watch(a) | Command::Record { watch: a, .. } | Command::Replay { watch: a, .. } if a.trace_frames)
        || std::env::var("DHAN_FEED_TRACE_FRAMES").is_ok_and(|v| v.trim() == "1");
    stderr::init_logger(frames);
    dhan_feed::internals::tls::install_default_provider();
    match cli.command {
        Command::Bench(args) if args.journal => match bench_journal::run(&args) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                note(format_args!("error: {e}"));
                ExitCode::FAILURE
            }
        },
        Command::Bench(args) => match bench::run(&args, alloc_count::count) {
            Ok(r) => {
                println!("{}", bench::result_line(&r));
                ExitCode::SUCCESS
            }
            Err(e) => {
                note(format_args!("error: {e}"));
                ExitCode::FAILURE
            }
        },
        Command::Soak(args) => match soak::run(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                note(format_args!("error: {e}"));
                ExitCode::FAILURE
            }
        },
        Command::Sim(args) => match sim::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                note(format_args!("error: {e}"));
                ExitCode::FAILURE
            }
        },
        Command::Record { path, mut watch } => {
            watch.record = Some(path);
            watch.quiet = true;
            run_watch(&watch)
        }
        Command::Replay {
            path,
            speed,
            max,
            mut watch,
        } => {
            let pacing = match (speed, max) {
                (_, true) => dhan_feed::journal::Pacing::Max,
                (Some(n), false) => dhan_feed::journal::Pacing::Speed(n),
                (None, false) => dhan_feed::journal::Pacing::Original,
            };
            watch.replay = Some((path, pacing));
            run_watch(&watch)
        }
        Command::Watch(args) => run_watch(&args),
        Command::Export { path, parquet } => export(&path, &parquet),
        Command::Instruments(args) => match instruments::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                note(format_args!("error: {e}"));
                ExitCode::FAILURE
            }
        },
        Command::Decode { feed, file } => {
            let input: Box<dyn Read> = if file.as_os_str() == "-" {
                Box::new(io::stdin().lock())
            } else {
                match std::fs::File::open(&file) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        note(format_args!("error: cannot open {}: {e}", file.display()));
                        return ExitCode::from(2);
                    }
                }
            };
            let mut report = |e: &decode::DecodeCliError| note(format_args!("error: {e}"));
            match decode::run(feed, input, &mut io::stdout().lock(), &mut report) {
                Ok(_) => ExitCode::SUCCESS,
                Err(decode::DecodeCliError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    note(format_args!("error: {e}"));
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `watch` (and `record`, `replay`): runs until done or Ctrl-C; the exit code.
fn run_watch(args: &watch::WatchArgs) -> ExitCode {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        note(format_args!("warning: Ctrl-C handler not installed: {e}"));
    }
    match watch::run(args, &mut io::stdout().lock(), stop) {
        Ok(_) => ExitCode::SUCCESS,
        Err(watch::WatchError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        // A usage error, like the argument parser's own.
        Err(e @ watch::WatchError::BadUrl(_)) => {
            note(format_args!("error: {e}"));
            ExitCode::from(2)
        }
        Err(e) => {
            note(format_args!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// `export PATH --parquet DIR`.
#[cfg(feature = "parquet")]
fn export(path: &std::path::Path, dir: &std::path::Path) -> ExitCode {
    match dhan_feed::journal::export_parquet(path, dir) {
        Ok(s) => {
            for (file, rows) in &s.files {
                note(format_args!("{}: {rows} rows", file.display()));
            }
            if let Some(d) = &s.damage {
                note(format_args!("the journal is damaged; exported up to: {d}"));
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            note(format_args!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// `export` in a build without Parquet.
#[cfg(not(feature = "parquet"))]
fn export(_: &std::path::Path, _: &std::path::Path) -> ExitCode {
    note(format_args!(
        "error: this dhan-feed was built without Parquet: build it with --features parquet"
    ));
    ExitCode::from(2)
}
