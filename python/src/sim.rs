//! `Simulator`: Dhan's servers in this process, on loopback, over real TLS.

use crate::errors::{bad_value, raise};
use pyo3::prelude::*;
use std::sync::Mutex;
use std::time::Duration;

/// Dhan's WebSocket servers (market feed, depth, order updates) in this
/// process on 127.0.0.1, speaking the exact protocol over real TLS with a
/// self-signed certificate (``ca_file``). For tests, examples and offline work:
///
/// ```python
/// with dhan_feed.Simulator() as sim:
///     client = dhan_feed.Client(sim.client_id, sim.access_token,
///                               url=sim.url, ca_file=sim.ca_file)
/// ```
#[pyclass(module = "dhan_feed", frozen)]
pub struct Simulator {
    inner: Mutex<Option<dhan_feed::sim::Simulator>>,
    handle: dhan_feed::sim::SimHandle,
    url: String,
    rest_url: String,
    client_id: String,
    access_token: String,
    ca_file: Option<tempfile_path::TempPem>,
}

#[pymethods]
impl Simulator {
    /// Starts it: ``rate`` market messages a second per connection (0: as fast
    /// as the connection takes them, a precomputed stream), ``depth_rate``
    /// depth updates a second, an order update every ``order_interval`` seconds
    /// (``None``: none), ``tls=False`` for plain ``ws://``; ``seed`` makes the
    /// price walks repeatable. ``stamp=True`` (benchmarks) puts the send time,
    /// the low 32 bits of ``dhan_feed.now_ns()``, in each packet's ``ltt`` and
    /// in a quote's or full packet's ``volume``.
    #[new]
    #[pyo3(signature = (*, rate=100.0, depth_rate=4.0, order_interval=Some(1.0), tls=true, seed=42, stamp=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        rate: f64,
        depth_rate: f64,
        order_interval: Option<f64>,
        tls: bool,
        seed: u64,
        stamp: bool,
    ) -> PyResult<Self> {
        if !(rate >= 0.0 && rate.is_finite() && depth_rate >= 0.0 && depth_rate.is_finite()) {
            return Err(bad_value(
                "rate and depth_rate must be non-negative numbers",
            ));
        }
        let every = match order_interval {
            None => None,
            Some(s) if s > 0.0 && s.is_finite() => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(bad_value(format!(
                    "order_interval must be a positive number of seconds or None, not {s}"
                )));
            }
        };
        let mut b = dhan_feed::sim::Simulator::builder()
            .rate(rate)
            .depth_rate(depth_rate)
            .order_interval(every)
            .replay(rate == 0.0)
            .stamp(stamp)
            .seed(seed);
        if !tls {
            b = b.plain();
        }
        let sim = py
            .detach(|| b.start())
            .map_err(|e| raise(py, "SimulatorError", e.to_string()))?;
        let ca_file = match sim.cert_pem() {
            Some(pem) => Some(
                tempfile_path::TempPem::write(&pem)
                    .map_err(|e| raise(py, "SimulatorError", format!("certificate file: {e}")))?,
            ),
            None => None,
        };
        let cfg = sim.client_config();
        Ok(Self {
            handle: sim.handle(),
            url: sim.url(),
            rest_url: sim.rest_url(),
            client_id: cfg.client_id.expose().to_owned(),
            access_token: cfg.access_token.expose().to_owned(),
            ca_file,
            inner: Mutex::new(Some(sim)),
        })
    }

    /// The WebSocket base URL (``Client(url=…)``).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The REST base URL (``Client(rest_url=…)``: the order book).
    #[getter]
    fn rest_url(&self) -> &str {
        &self.rest_url
    }

    /// The client id it accepts.
    #[getter]
    fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The access token it accepts.
    #[getter]
    fn access_token(&self) -> &str {
        &self.access_token
    }

    /// A PEM file of its certificate (``Client(ca_file=…)``); ``None`` with
    /// ``tls=False``. Removed when the simulator is closed.
    #[getter]
    fn ca_file(&self) -> Option<String> {
        self.ca_file
            .as_ref()
            .map(|f| f.path().display().to_string())
    }

    /// Injects a fault into every live connection: ``"reset"`` (TCP reset),
    /// ``"close-no-frame"``, ``"stall"``, ``"disconnect-805"``, ``"close-1011"``,
    /// ``"malformed-packet"``… (the names of ``dhan-feed sim --scenario``). Returns
    /// how many connections it reached.
    fn inject(&self, fault: &str) -> PyResult<usize> {
        let f: dhan_feed::sim::Fault = fault.parse().map_err(|e| bad_value(format!("{e}")))?;
        Ok(self.handle.inject(f))
    }

    /// Connections of a feed (``"market"``, ``"depth20"``, ``"depth200"``,
    /// ``"orders"``) that are live now.
    #[pyo3(signature = (feed="market"))]
    fn live(&self, feed: &str) -> PyResult<usize> {
        Ok(self.handle.live(feed_kind(feed)?))
    }

    /// Stops it (every connection closes) and removes its certificate file.
    /// Closing twice is harmless.
    fn close(&self, py: Python<'_>) {
        let sim = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sim) = sim {
            py.detach(|| sim.stop());
        }
        if let Some(f) = &self.ca_file {
            f.remove();
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
        format!("<Simulator url={}>", self.url)
    }
}

fn feed_kind(feed: &str) -> PyResult<dhan_feed::FeedKind> {
    use dhan_feed::FeedKind as K;
    Ok(match feed {
        "market" => K::MarketFeed,
        "depth20" => K::Depth20,
        "depth200" => K::Depth200,
        "orders" => K::OrderUpdate,
        other => {
            return Err(bad_value(format!(
                "feed must be market, depth20, depth200 or orders, not {other:?}"
            )));
        }
    })
}

/// The simulator's certificate in a file of its own (the `tempfile` crate is
/// not needed for one file: a name under the temporary directory made
/// unique by the process id and a counter, created exclusively).
mod tempfile_path {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT: AtomicU64 = AtomicU64::new(0);

    pub struct TempPem(PathBuf);

    impl TempPem {
        pub fn write(pem: &str) -> std::io::Result<Self> {
            use std::io::Write;
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("dhan-feed-sim-{}-{n}.pem", std::process::id()));
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            f.write_all(pem.as_bytes())?;
            Ok(Self(path))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }

        pub fn remove(&self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    impl Drop for TempPem {
        fn drop(&mut self) {
            self.remove();
        }
    }
}
