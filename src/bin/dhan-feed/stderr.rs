//! The command-line tool's stderr: status lines that never panic (a closed stderr,
//! as in `dhan-feed watch 2>&1 | head`, is ignored), and a `log` logger so that
//! what the library logs (a core that could not be pinned, why a connection
//! dropped, 804's dropped instruments) reaches the user.

use std::fmt;
use std::io::Write;

/// Writes one line to stderr; a failed write (closed pipe) is ignored.
pub fn line(args: fmt::Arguments<'_>) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_fmt(args);
    let _ = e.write_all(b"\n");
}

/// `eprintln!` without the panic on a closed stderr.
macro_rules! note {
    ($($t:tt)*) => {
        $crate::stderr::line(format_args!($($t)*))
    };
}
pub(crate) use note;

/// The level `RUST_LOG` asks for: `off`, `error`, `warn` (the default), `info`,
/// `debug` or `trace`; in a list (`RUST_LOG=info,mio=warn`) the first bare level
/// counts and per-module settings are ignored. Anything else is `warn`.
pub fn level_from(spec: Option<&str>) -> log::LevelFilter {
    spec.into_iter()
        .flat_map(|s| s.split(','))
        .find_map(|part| part.trim().parse::<log::LevelFilter>().ok())
        .unwrap_or(log::LevelFilter::Warn)
}

struct StderrLog {
    level: log::LevelFilter,
    events: bool,
    /// The raw-frame trace (`--trace-frames`, `DHAN_FEED_TRACE_FRAMES=1`) is shown.
    frames: bool,
}

/// Whether a record is printed. The simulator's server side uses tungstenite,
/// which traces every frame it receives (order-feed logins, with credentials,
/// included); its records below `warn` are never printed. The connection events'
/// own lines ([`dhan_feed::EVENT_LOG_TARGET`]) only with `events`.
fn wanted(level: log::LevelFilter, events: bool, meta: &log::Metadata<'_>) -> bool {
    meta.level() <= level
        && (meta.level() <= log::Level::Warn || !meta.target().starts_with("tungstenite"))
        && (events || meta.target() != dhan_feed::EVENT_LOG_TARGET)
}

impl log::Log for StderrLog {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        wanted(self.level, self.events, meta)
            || (self.frames && meta.target() == dhan_feed::FRAME_LOG_TARGET)
    }

    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            line(format_args!("[{} {}] {}", r.level(), r.target(), r.args()));
        }
    }

    fn flush(&self) {}
}

/// Installs the stderr logger at the level of `RUST_LOG` (default `warn`). Without
/// `RUST_LOG`, the lines that repeat connection events are left out: the
/// subcommands print those events themselves. Does nothing if a logger is
/// already installed.
pub fn init_logger(frames: bool) {
    let spec = std::env::var("RUST_LOG").ok();
    let level = level_from(spec.as_deref());
    // Leaked once per process: the `log` facade wants a `'static` logger.
    let logger: &'static StderrLog = Box::leak(Box::new(StderrLog {
        level,
        events: spec.is_some(),
        frames,
    }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(if frames {
            log::LevelFilter::Trace
        } else {
            level
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::{Level, LevelFilter};

    #[test]
    fn rust_log_levels() {
        assert_eq!(level_from(None), LevelFilter::Warn);
        assert_eq!(level_from(Some("debug")), LevelFilter::Debug);
        assert_eq!(level_from(Some("OFF")), LevelFilter::Off);
        assert_eq!(level_from(Some("mio=trace, info")), LevelFilter::Info);
        assert_eq!(level_from(Some("loud")), LevelFilter::Warn);
    }

    #[test]
    fn tungstenite_frames_are_never_traced() {
        let meta = |level, target| log::Metadata::builder().level(level).target(target).build();
        let trace = LevelFilter::Trace;
        assert!(!wanted(
            trace,
            true,
            &meta(Level::Trace, "tungstenite::protocol")
        ));
        assert!(!wanted(trace, true, &meta(Level::Debug, "tungstenite")));
        assert!(wanted(trace, true, &meta(Level::Warn, "tungstenite")));
        assert!(wanted(
            trace,
            true,
            &meta(Level::Trace, "dhan_feed::engine")
        ));
        assert!(!wanted(
            LevelFilter::Warn,
            true,
            &meta(Level::Info, "dhan_feed::engine")
        ));
    }

    #[test]
    fn event_lines_only_when_asked_for() {
        let meta = |level, target| log::Metadata::builder().level(level).target(target).build();
        let ev = meta(Level::Error, dhan_feed::EVENT_LOG_TARGET);
        assert!(!wanted(LevelFilter::Warn, false, &ev));
        assert!(wanted(LevelFilter::Warn, true, &ev));
        assert!(wanted(
            LevelFilter::Warn,
            false,
            &meta(Level::Warn, "dhan_feed::engine::link")
        ));
    }
}
