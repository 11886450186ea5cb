//! `Replay`: a journal played back into the same handle types, so a strategy
//! runs on a recorded day unchanged.

use crate::client::{depth, market_feed};
use crate::depth::DepthFeed;
use crate::errors::{bad_value, closed, to_py};
use crate::market::MarketFeed;
use crate::orders::OrderFeed;
use dhan_feed::journal::Pacing;
use pyo3::prelude::*;
use std::sync::Mutex;

/// A journal (written with ``Client(record=…)`` or ``dhan-feed record``) played
/// back: make handles with ``market_feed``, ``depth`` and ``order_feed`` and
/// subscribe them as on a live client, then ``start()``. Events carry their
/// recorded ``recv_ns``; depth books and the order tracker rebuild as they
/// did; each handle ends with its ``"stopped"`` event after the last record.
#[pyclass(module = "dhan_feed", frozen)]
pub struct Replay {
    inner: Mutex<Option<dhan_feed::journal::Replay>>,
}

impl Replay {
    fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dhan_feed::journal::Replay) -> T,
    ) -> PyResult<T> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_ref() {
            Some(r) => Ok(f(r)),
            None => Err(closed(py, "replay")),
        }
    }
}

#[pymethods]
impl Replay {
    /// Opens the journal at ``path`` (its rotated files too). ``speed``:
    /// ``None`` as fast as the handles take the records (a full ring waits:
    /// nothing is dropped), ``1.0`` as recorded, ``n`` n times as fast. A file
    /// that is not a journal, or of another format version, raises
    /// ``DhanFeedError`` saying so.
    #[new]
    #[pyo3(signature = (path, *, speed=None))]
    fn new(py: Python<'_>, path: std::path::PathBuf, speed: Option<f64>) -> PyResult<Self> {
        let pacing = match speed {
            None => Pacing::Max,
            Some(1.0) => Pacing::Original,
            Some(s) if s > 0.0 && s.is_finite() => Pacing::Speed(s),
            Some(s) => {
                return Err(bad_value(format!(
                    "speed must be a positive number or None, not {s}"
                )));
            }
        };
        let r = py
            .detach(|| dhan_feed::journal::replay(&path, pacing))
            .map_err(|e| to_py(py, e))?;
        Ok(Self {
            inner: Mutex::new(Some(r)),
        })
    }

    /// A market-feed handle in ``mode`` (as ``Client.market_feed``).
    #[pyo3(signature = (mode="quote"))]
    fn market_feed(&self, py: Python<'_>, mode: &str) -> PyResult<MarketFeed> {
        self.with(py, |r| market_feed(r.client(), mode))?
    }

    /// A depth handle (as ``Client.depth``).
    #[pyo3(signature = (levels=20))]
    fn depth(&self, py: Python<'_>, levels: u32) -> PyResult<DepthFeed> {
        self.with(py, |r| depth(r.client(), levels))?
    }

    /// The order-update handle (as ``Client.order_feed``).
    fn order_feed(&self, py: Python<'_>) -> PyResult<OrderFeed> {
        Ok(OrderFeed::new(
            self.with(py, |r| r.client().order_updates())?,
        ))
    }

    /// Starts the records flowing to the handles made so far.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |r| r.start())?.map_err(|e| to_py(py, e))
    }

    /// Stops the replay; handles end with their ``"stopped"`` event. Closing
    /// twice is harmless.
    fn close(&self, py: Python<'_>) {
        let r = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(r) = r {
            py.detach(|| {
                r.client().disconnect_all();
                drop(r);
            });
        }
    }

    /// Itself: a ``with`` block closes it at its end.
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes it (as ``close``).
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        "<Replay>".into()
    }
}
