//! Waiting for a handle's next event with the GIL released, and the counters
//! every handle reports, as Python values.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest stretch a wait spends without the GIL before it looks at
/// Python's signals (Ctrl-C raises `KeyboardInterrupt` within this).
const STEP: Duration = Duration::from_millis(20);

/// A timeout argument: `None` is forever; negative or not a number is an error.
pub fn timeout(t: Option<f64>) -> PyResult<Option<Duration>> {
    match t {
        None => Ok(None),
        Some(s) if s >= 0.0 && s.is_finite() => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(crate::errors::bad_value(format!(
            "timeout must be a non-negative number of seconds or None, not {s}"
        ))),
    }
}

/// The next item `take` finds in the handle behind `lock` (`take(handle,
/// step)` waits up to `step`), waiting up to `timeout` (`None`: forever) in
/// steps with the GIL released; pending signals are raised between steps.
/// `Ok(None)` when the time is up; `closed` when the handle is gone.
pub fn wait_for<H: Send, T: Send>(
    py: Python<'_>,
    lock: &Mutex<Option<H>>,
    timeout: Option<Duration>,
    closed: impl Fn(Python<'_>) -> PyErr,
    take: impl Fn(&mut H, Duration) -> Option<T> + Sync,
) -> PyResult<Option<T>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    precise_sleeps();
    loop {
        let step = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(STEP),
            None => STEP,
        };
        let got = py.detach(|| {
            let mut g = lock.lock().unwrap_or_else(|e| e.into_inner());
            g.as_mut().map(|h| take(h, step))
        });
        match got {
            None => return Err(closed(py)),
            Some(Some(item)) => return Ok(Some(item)),
            Some(None) => {}
        }
        py.check_signals()?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}

/// Sets the calling thread's timer slack to 1 µs, once per thread (Linux):
/// a handle's wait sleeps 50 µs at a time between looks at its ring, and the
/// default 50 µs slack lets the kernel stretch each sleep to about 100 µs,
/// which is then what an event waits before Python sees it. The setting stays
/// with the thread (its other sleeps end closer to when asked, too).
fn precise_sleeps() {
    thread_local! {
        static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    #[cfg(target_os = "linux")]
    DONE.with(|done| {
        if !done.replace(true) {
            // SAFETY: PR_SET_TIMERSLACK takes one integer argument (ns) and
            // changes only the calling thread's timer slack; no memory is passed.
            let _ = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1_000 as libc::c_ulong) };
        }
    });
    #[cfg(not(target_os = "linux"))]
    DONE.with(|done| done.set(true));
}

/// Moves into `out` what `next` yields without waiting, until `out` holds
/// `limit` items or the handle's terminal event (`is_last`: nothing follows
/// it) has been taken.
pub fn take_waiting<E, T>(
    out: &mut Vec<T>,
    limit: usize,
    mut next: impl FnMut() -> Option<E>,
    is_last: impl Fn(&E) -> bool,
    wrap: impl Fn(E) -> T,
) {
    while out.len() < limit {
        let Some(e) = next() else {
            return;
        };
        let last = is_last(&e);
        out.push(wrap(e));
        if last {
            return;
        }
    }
}

/// A handle's counters as a dict.
pub fn stats_dict<'py>(py: Python<'py>, s: &dhan_feed::FeedStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("received", s.received)?;
    d.set_item("published", s.published)?;
    d.set_item("dropped", s.dropped)?;
    d.set_item("rejected", s.rejected)?;
    d.set_item("lag", s.lag)?;
    d.set_item("spilled", s.spilled)?;
    Ok(d)
}

/// A handle's health as a dict (instants as seconds ago, `None` when unset).
pub fn health_dict<'py>(py: Python<'py>, h: &dhan_feed::Health) -> PyResult<Bound<'py, PyDict>> {
    let ago = |t: Option<Instant>| t.map(|t| t.elapsed().as_secs_f64());
    let d = PyDict::new(py);
    d.set_item("connected_for", ago(h.connected_since))?;
    d.set_item("last_message_ago", ago(h.last_message_at))?;
    d.set_item("last_frame_ago", ago(h.last_frame_at))?;
    d.set_item("reconnects", h.reconnects)?;
    d.set_item("dropped", h.dropped)?;
    d.set_item("connections", h.connections)?;
    d.set_item("live", h.live)?;
    d.set_item("halted", h.halted.map(|c| c.to_string()))?;
    d.set_item("malformed", h.malformed)?;
    d.set_item("ignored", h.ignored)?;
    d.set_item("extended", h.extended)?;
    d.set_item("heartbeats", h.heartbeats)?;
    d.set_item("stopped", h.stopped.map(|s| s.to_string()))?;
    Ok(d)
}

/// Instruments from their strings (`"NSE_EQ:2885"`); a bad one raises
/// `InstrumentError` (a `ValueError`) naming it, and nothing is subscribed.
pub fn parse_instruments(
    py: Python<'_>,
    items: &[String],
) -> PyResult<Vec<dhan_feed::InstrumentId>> {
    items
        .iter()
        .map(|s| {
            s.parse::<dhan_feed::InstrumentId>()
                .map_err(|e| crate::errors::raise(py, "InstrumentError", format!("{s:?}: {e}")))
        })
        .collect()
}
