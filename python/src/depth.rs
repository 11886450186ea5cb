//! `DepthFeed`, `DepthEvent` and `DepthBook`: 20- or 200-level market depth,
//! the books kept by the handle and copied out as snapshots.

use crate::errors::{closed, to_py};
use crate::wait::{health_dict, parse_instruments, stats_dict, take_waiting, timeout, wait_for};
use dhan_feed::{DepthFeedEvent, DepthSide};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Either depth handle.
enum Feed {
    Twenty(dhan_feed::Depth20Feed),
    TwoHundred(dhan_feed::Depth200Feed),
}

/// Calls the same code on either handle.
macro_rules! on {
    ($feed:expr, $f:ident => $e:expr) => {
        match $feed {
            Feed::Twenty($f) => $e,
            Feed::TwoHundred($f) => $e,
        }
    };
}

/// A market-depth handle (20 or 200 levels a side): its own connection, its
/// own ring of events, and the books of its instruments, which ``book`` copies.
#[pyclass(module = "dhan_feed", frozen)]
pub struct DepthFeed {
    inner: Mutex<Option<Feed>>,
    levels: u32,
    ended: AtomicBool,
}

impl DepthFeed {
    pub fn twenty(f: dhan_feed::Depth20Feed) -> Self {
        Self::of(Feed::Twenty(f), 20)
    }

    pub fn two_hundred(f: dhan_feed::Depth200Feed) -> Self {
        Self::of(Feed::TwoHundred(f), 200)
    }

    fn of(f: Feed, levels: u32) -> Self {
        Self {
            inner: Mutex::new(Some(f)),
            levels,
            ended: AtomicBool::new(false),
        }
    }

    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&mut Feed) -> T) -> PyResult<T> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_mut() {
            Some(feed) => Ok(f(feed)),
            None => Err(closed(py, "depth feed")),
        }
    }
}

fn recv_step(f: &mut Feed, step: Duration) -> Option<DepthFeedEvent> {
    on!(f, d => d.recv_timeout(step))
}

#[pymethods]
impl DepthFeed {
    /// Levels a side: 20 or 200.
    #[getter]
    fn levels(&self) -> u32 {
        self.levels
    }

    /// Subscribes instruments (``"NSE_EQ:2885"``; NSE equities and F&O only,
    /// 50 on a 20-level connection, 1 on a 200-level one). Reconnects the
    /// connection with the new set.
    fn subscribe(&self, py: Python<'_>, instruments: Vec<String>) -> PyResult<()> {
        let ids = parse_instruments(py, &instruments)?;
        self.with(py, |f| on!(f, d => d.subscribe(&ids)))?
            .map_err(|e| to_py(py, e))
    }

    /// Unsubscribes instruments.
    fn unsubscribe(&self, py: Python<'_>, instruments: Vec<String>) -> PyResult<()> {
        let ids = parse_instruments(py, &instruments)?;
        self.with(py, |f| on!(f, d => d.unsubscribe(&ids)))?
            .map_err(|e| to_py(py, e))
    }

    /// The instruments subscribed.
    fn subscriptions(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with(
            py,
            |f| on!(f, d => d.subscriptions().iter().map(|i| i.to_string()).collect()),
        )
    }

    /// The next event, waiting up to ``timeout`` seconds (``None``: until one
    /// comes) with the GIL released; ``None`` when the time is up.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<DepthEvent>> {
        let t = self::timeout(timeout)?;
        let got = wait_for(py, &self.inner, t, |py| closed(py, "depth feed"), recv_step)?;
        Ok(got.map(DepthEvent))
    }

    /// The events waiting, at most ``limit``, waiting up to ``timeout`` seconds
    /// for the first (as ``MarketFeed.events``).
    #[pyo3(signature = (timeout=0.0, limit=1000))]
    fn events(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        limit: usize,
    ) -> PyResult<Vec<DepthEvent>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let Some(first) = self.recv(py, timeout)? else {
            return Ok(Vec::new());
        };
        let mut out = vec![first];
        self.with(py, |f| {
            take_waiting(
                &mut out,
                limit,
                || on!(f, d => d.try_recv()),
                |e| matches!(e, DepthFeedEvent::EngineStopped(_)),
                DepthEvent,
            )
        })?;
        Ok(out)
    }

    /// A copy of ``instrument``'s book as it stands after the events taken so
    /// far; ``None`` if it is not subscribed.
    fn book(&self, py: Python<'_>, instrument: String) -> PyResult<Option<DepthBook>> {
        let id = parse_instruments(py, std::slice::from_ref(&instrument))?[0];
        self.with(py, |f| on!(f, d => d.book(id).map(DepthBook::of)))
    }

    /// Counters: events taken, published, dropped (ring full), waiting.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.with(py, |f| on!(f, d => d.stats()))?;
        stats_dict(py, &s)
    }

    /// The state of the connection.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let h = self.with(py, |f| on!(f, d => d.health()))?;
        health_dict(py, &h)
    }

    /// Whether the connection is live.
    #[getter]
    fn connected(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |f| on!(f, d => d.connected()))
    }

    /// Releases the handle (its connection closes); later calls raise
    /// ``ClientClosedError``.
    fn close(&self) {
        let feed = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(feed);
    }

    /// Itself: a ``with`` block closes it at its end.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes it (as ``close``).
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close();
    }

    /// Itself: iterating yields its events, each waited for.
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// The next event, waiting as long as it takes; the iteration ends after
    /// the ``"stopped"`` event.
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<DepthEvent>> {
        if self.ended.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let e = self.recv(py, None)?;
        if let Some(DepthEvent(DepthFeedEvent::EngineStopped(_))) = e {
            self.ended.store(true, Ordering::Relaxed);
        }
        Ok(e)
    }

    fn __repr__(&self) -> String {
        format!("<DepthFeed levels={}>", self.levels)
    }
}

/// One event of a depth handle. ``kind``: ``"update"`` (one side of
/// ``instrument``'s book was replaced: ``side``), ``"snapshot"`` (both sides
/// were replaced since the last snapshot: the book is a consistent pair),
/// ``"connection"`` (``detail``), ``"stopped"``.
#[pyclass(module = "dhan_feed", frozen)]
pub struct DepthEvent(pub DepthFeedEvent);

#[pymethods]
impl DepthEvent {
    /// What this event is (see the class).
    #[getter]
    fn kind(&self) -> &'static str {
        match self.0 {
            DepthFeedEvent::Update { .. } => "update",
            DepthFeedEvent::Snapshot { .. } => "snapshot",
            DepthFeedEvent::Connection(_) => "connection",
            DepthFeedEvent::EngineStopped(_) => "stopped",
            _ => "other",
        }
    }

    /// ``"SEGMENT:ID"`` of an update or snapshot.
    #[getter]
    fn instrument(&self) -> Option<String> {
        match self.0 {
            DepthFeedEvent::Update { id, .. } | DepthFeedEvent::Snapshot { id, .. } => {
                Some(id.to_string())
            }
            _ => None,
        }
    }

    /// ``"bid"`` or ``"ask"`` for an update.
    #[getter]
    fn side(&self) -> Option<&'static str> {
        match self.0 {
            DepthFeedEvent::Update { side, .. } => Some(match side {
                DepthSide::Bid => "bid",
                DepthSide::Ask => "ask",
            }),
            _ => None,
        }
    }

    /// When the I/O thread read it (monotonic ns).
    #[getter]
    fn recv_ns(&self) -> Option<u64> {
        match self.0 {
            DepthFeedEvent::Update { recv_ns, .. } | DepthFeedEvent::Snapshot { recv_ns, .. } => {
                Some(recv_ns)
            }
            _ => None,
        }
    }

    /// For ``connection`` and ``stopped`` events: what happened.
    #[getter]
    fn detail(&self) -> Option<String> {
        match self.0 {
            DepthFeedEvent::Connection(c) => Some(c.to_string()),
            DepthFeedEvent::EngineStopped(s) => Some(s.to_string()),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<DepthEvent kind={} instrument={:?} side={:?} detail={:?}>",
            self.kind(),
            self.instrument(),
            self.side(),
            self.detail()
        )
    }
}

/// A copy of one instrument's book: ``bids`` and ``asks`` as lists of
/// ``(price, qty, orders)``, best first (prices in rupees).
#[pyclass(module = "dhan_feed", frozen, get_all)]
pub struct DepthBook {
    /// ``"SEGMENT:ID"``.
    instrument: String,
    /// Bid levels, best (highest) first.
    bids: Vec<(f64, u32, u32)>,
    /// Ask levels, best (lowest) first.
    asks: Vec<(f64, u32, u32)>,
    /// Whether both sides have been received.
    complete: bool,
    /// When the bid side was last replaced (monotonic ns; 0: never).
    bid_updated_ns: u64,
    /// When the ask side was last replaced (monotonic ns; 0: never).
    ask_updated_ns: u64,
}

impl DepthBook {
    fn of<const N: usize>(b: &dhan_feed::feed::depth_book::DepthBook<N>) -> Self {
        let levels = |s: &[dhan_feed::DepthLevel]| -> Vec<(f64, u32, u32)> {
            s.iter().map(|l| (l.price, l.qty, l.orders)).collect()
        };
        Self {
            instrument: b.id().to_string(),
            bids: levels(b.bids()),
            asks: levels(b.asks()),
            complete: b.is_complete(),
            bid_updated_ns: b.bid_updated_ns(),
            ask_updated_ns: b.ask_updated_ns(),
        }
    }
}

#[pymethods]
impl DepthBook {
    /// The best bid ``(price, qty, orders)``, or ``None``.
    #[getter]
    fn best_bid(&self) -> Option<(f64, u32, u32)> {
        self.bids.first().copied()
    }

    /// The best ask ``(price, qty, orders)``, or ``None``.
    #[getter]
    fn best_ask(&self) -> Option<(f64, u32, u32)> {
        self.asks.first().copied()
    }

    /// Best ask minus best bid, or ``None`` without both.
    #[getter]
    fn spread(&self) -> Option<f64> {
        Some(self.asks.first()?.0 - self.bids.first()?.0)
    }

    /// The mid price, or ``None`` without both sides.
    #[getter]
    fn mid(&self) -> Option<f64> {
        Some((self.asks.first()?.0 + self.bids.first()?.0) / 2.0)
    }

    fn __repr__(&self) -> String {
        format!(
            "<DepthBook {} bids={} asks={} best_bid={:?} best_ask={:?}>",
            self.instrument,
            self.bids.len(),
            self.asks.len(),
            self.best_bid(),
            self.best_ask()
        )
    }
}
