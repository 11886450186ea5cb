//! `Client`: one login's engine (its I/O thread) and the handles made from it.

use crate::depth::DepthFeed;
use crate::errors::{bad_value, closed, raise, to_py};
use crate::market::MarketFeed;
use crate::orders::OrderFeed;
use dhan_feed::{ClientConfig, Endpoints, FeedMode, Secret};
use pyo3::prelude::*;
use std::sync::Mutex;

/// A Dhan login's connections, run by one I/O thread. Handles made from it
/// (``market_feed``, ``depth``, ``order_feed``) each receive their own events.
///
/// The credentials are never printed: not by ``repr``, not in an error.
#[pyclass(module = "dhan_feed", frozen)]
pub struct Client {
    inner: Mutex<Option<dhan_feed::Client>>,
    /// With ``record=``: the journal's recorder, stopped after the client.
    recorder: Mutex<Option<dhan_feed::journal::Recorder>>,
    /// Its counters once stopped.
    recorded: Mutex<Option<dhan_feed::journal::JournalStats>>,
}

impl Client {
    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&dhan_feed::Client) -> T) -> PyResult<T> {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_ref() {
            Some(c) => Ok(f(c)),
            None => Err(closed(py, "client")),
        }
    }
}

/// The ring capacities asked for, checked (a power of two is not required:
/// the engine rounds up).
fn ring(name: &str, n: Option<usize>, default: usize) -> PyResult<usize> {
    match n {
        None => Ok(default),
        Some(0) => Err(bad_value(format!("{name} must be at least 1"))),
        Some(n) => Ok(n),
    }
}

#[pymethods]
impl Client {
    /// Starts the engine with these credentials. ``url`` replaces Dhan's
    /// WebSocket hosts (every feed at that base: the simulator's ``url``),
    /// ``rest_url`` Dhan's REST base (the order book after a gap), ``ca_file``
    /// adds a trusted certificate (PEM; the simulator's ``ca_file``).
    /// ``pin_core`` pins the I/O thread (failure is harmless). ``record`` names
    /// a journal file: every message, request and connection event is recorded
    /// into it (Arrow IPC; credentials masked) until ``close()``, and
    /// ``dhan_feed.replay`` plays it back.
    #[new]
    #[pyo3(signature = (client_id, access_token, *, url=None, rest_url=None, ca_file=None,
                        ring_capacity=None, pin_core=None, record=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        client_id: String,
        access_token: String,
        url: Option<String>,
        rest_url: Option<String>,
        ca_file: Option<std::path::PathBuf>,
        ring_capacity: Option<usize>,
        pin_core: Option<usize>,
        record: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let mut cfg = ClientConfig {
            client_id: Secret::new(client_id),
            access_token: Secret::new(access_token),
            pin_core,
            ..ClientConfig::default()
        };
        cfg.ring_capacity = ring("ring_capacity", ring_capacity, cfg.ring_capacity)?;
        if let Some(u) = url {
            cfg.endpoints = Endpoints::all(&u);
        }
        if let Some(r) = rest_url {
            cfg.rest_base = r;
        }
        if let Some(f) = ca_file {
            let pem = std::fs::read(&f)
                .map_err(|e| raise(py, "ConfigError", format!("ca_file {}: {e}", f.display())))?;
            let certs = dhan_feed::certs_from_pem(&pem, &f.display().to_string())
                .map_err(|e| to_py(py, e.into()))?;
            cfg.extra_roots.extend(certs);
        }
        Self::start(py, cfg, record)
    }

    /// A client from ``DHAN_CLIENT_ID`` and ``DHAN_ACCESS_TOKEN`` (and the
    /// other ``DHAN_*`` settings the Rust ``ClientConfig::from_env`` reads).
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        let cfg = ClientConfig::from_env().map_err(|e| to_py(py, e.into()))?;
        Self::start(py, cfg, None)
    }

    /// A market-feed handle in ``mode``: ``"ticker"``, ``"quote"`` or ``"full"``.
    #[pyo3(signature = (mode="quote"))]
    fn market_feed(&self, py: Python<'_>, mode: &str) -> PyResult<MarketFeed> {
        self.with(py, |c| market_feed(c, mode))?
    }

    /// A market-depth handle of 20 or 200 levels a side (its own connection).
    #[pyo3(signature = (levels=20))]
    fn depth(&self, py: Python<'_>, levels: u32) -> PyResult<DepthFeed> {
        match levels {
            20 => Ok(DepthFeed::twenty(self.with(py, |c| c.depth20())?)),
            200 => Ok(DepthFeed::two_hundred(self.with(py, |c| c.depth200())?)),
            n => Err(bad_value(format!(
                "depth levels must be 20 or 200, not {n}"
            ))),
        }
    }

    /// The order-update handle: every update, and what the order tracker
    /// makes of it (status changes, executions, fills, rejections).
    fn order_feed(&self, py: Python<'_>) -> PyResult<OrderFeed> {
        Ok(OrderFeed::new(self.with(py, |c| c.order_updates())?))
    }

    /// Replaces the access token without a restart (later connections use it).
    fn set_access_token(&self, py: Python<'_>, token: String) -> PyResult<()> {
        self.with(py, |c| c.set_access_token(token))?
            .map_err(|e| to_py(py, e))
    }

    /// Closes every connection and stops the I/O thread: handles then end with
    /// their ``"stopped"`` event, and this client's calls raise
    /// ``ClientClosedError``. With ``record=``, the journal is then finished
    /// (what is left written, the end-of-stream marker). Closing twice is
    /// harmless.
    fn close(&self, py: Python<'_>) {
        let c = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        let r = self
            .recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let stats = py.detach(|| {
            if let Some(c) = c {
                c.disconnect_all();
                drop(c);
            }
            r.map(|r| r.stop())
        });
        if stats.is_some() {
            *self.recorded.lock().unwrap_or_else(|e| e.into_inner()) = stats;
        }
    }

    /// With ``record=``: the journal's counters (``records``, ``batches``,
    /// ``bytes``, ``files``, ``missed``, ``lost``, ``last_error``), now or as
    /// they ended; ``None`` without a journal.
    fn journal_stats<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Option<Bound<'py, pyo3::types::PyDict>>> {
        let now = self
            .recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|r| r.stats());
        let st = now.or_else(|| {
            self.recorded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        });
        let Some(st) = st else {
            return Ok(None);
        };
        let d = pyo3::types::PyDict::new(py);
        d.set_item("records", st.records)?;
        d.set_item("batches", st.batches)?;
        d.set_item("bytes", st.bytes)?;
        d.set_item("files", st.files)?;
        d.set_item("missed", st.missed)?;
        d.set_item("lost", st.lost)?;
        d.set_item("last_error", st.last_error)?;
        Ok(Some(d))
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
        let open = self.inner.lock().map(|g| g.is_some()).unwrap_or(false);
        if open {
            "<Client open>".into()
        } else {
            "<Client closed>".into()
        }
    }
}

impl Client {
    fn start(
        py: Python<'_>,
        cfg: ClientConfig,
        record: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let (c, recorder) = py
            .detach(|| match record {
                None => dhan_feed::Client::new(cfg).map(|c| (c, None)),
                Some(path) => {
                    dhan_feed::journal::record(cfg, dhan_feed::journal::JournalConfig::new(path))
                        .map(|(c, r)| (c, Some(r)))
                }
            })
            .map_err(|e| to_py(py, e))?;
        Ok(Self {
            inner: Mutex::new(Some(c)),
            recorder: Mutex::new(recorder),
            recorded: Mutex::new(None),
        })
    }
}

/// A market-feed handle of `c` in `mode` (a live client's or a replay's).
pub fn market_feed(c: &dhan_feed::Client, mode: &str) -> PyResult<MarketFeed> {
    let mode: FeedMode = mode.parse().map_err(bad_value)?;
    Ok(MarketFeed::new(c.market_feed(mode)))
}

/// A depth handle of `c` with `levels` levels a side.
pub fn depth(c: &dhan_feed::Client, levels: u32) -> PyResult<DepthFeed> {
    match levels {
        20 => Ok(DepthFeed::twenty(c.depth20())),
        200 => Ok(DepthFeed::two_hundred(c.depth200())),
        n => Err(bad_value(format!(
            "depth levels must be 20 or 200, not {n}"
        ))),
    }
}
