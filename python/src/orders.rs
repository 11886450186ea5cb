//! `OrderFeed` and `OrderEvent`: live order updates and what the order
//! tracker makes of them.

use crate::errors::closed;
use crate::wait::{health_dict, stats_dict, take_waiting, timeout, wait_for};
use dhan_feed::OrderEvent as Ev;
use dhan_feed::proto::order::FieldValue;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The order-update handle: Dhan's one order connection for the login, every
/// update as received and the tracker's events (status changes, executions,
/// fills, rejections, cancellations, expiries, gaps).
#[pyclass(module = "dhan_feed", frozen)]
pub struct OrderFeed {
    inner: Mutex<Option<dhan_feed::OrderFeed>>,
    ended: AtomicBool,
}

impl OrderFeed {
    pub fn new(f: dhan_feed::OrderFeed) -> Self {
        Self {
            inner: Mutex::new(Some(f)),
            ended: AtomicBool::new(false),
        }
    }

    fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut dhan_feed::OrderFeed) -> T,
    ) -> PyResult<T> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_mut() {
            Some(feed) => Ok(f(feed)),
            None => Err(closed(py, "order feed")),
        }
    }
}

#[pymethods]
impl OrderFeed {
    /// The next event, waiting up to ``timeout`` seconds (``None``: until one
    /// comes) with the GIL released; ``None`` when the time is up.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<OrderEvent>> {
        let t = self::timeout(timeout)?;
        let got = wait_for(
            py,
            &self.inner,
            t,
            |py| closed(py, "order feed"),
            |f, step| f.recv_timeout(step),
        )?;
        Ok(got.map(|e| OrderEvent(Box::new(e))))
    }

    /// The events waiting, at most ``limit``, waiting up to ``timeout`` seconds
    /// for the first (as ``MarketFeed.events``).
    #[pyo3(signature = (timeout=0.0, limit=1000))]
    fn events(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        limit: usize,
    ) -> PyResult<Vec<OrderEvent>> {
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
                || f.try_recv(),
                |e| matches!(e, Ev::EngineStopped(_)),
                |e| OrderEvent(Box::new(e)),
            )
        })?;
        Ok(out)
    }

    /// What the tracker knows of order ``order_no``: a dict of ``order_no``,
    /// ``status``, ``traded_qty`` and ``quantity``; ``None`` if it does not
    /// track it.
    fn order<'py>(&self, py: Python<'py>, order_no: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        let o = self.with(py, |f| f.tracker().get(order_no).copied())?;
        let Some(o) = o else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("order_no", o.order_no.as_str())?;
        d.set_item("status", o.status.to_string())?;
        d.set_item("traded_qty", o.traded_qty)?;
        d.set_item("quantity", o.quantity)?;
        Ok(Some(d))
    }

    /// Counters: events taken, published, dropped (ring full), waiting, spilled.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.with(py, |f| f.stats())?;
        stats_dict(py, &s)
    }

    /// The state of the order connection.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let h = self.with(py, |f| f.health())?;
        health_dict(py, &h)
    }

    /// Whether the order connection is live.
    #[getter]
    fn connected(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |f| f.connected())
    }

    /// Releases the handle; later calls raise ``ClientClosedError``.
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
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<OrderEvent>> {
        if self.ended.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let e = self.recv(py, None)?;
        if let Some(OrderEvent(ev)) = &e
            && matches!(**ev, Ev::EngineStopped(_))
        {
            self.ended.store(true, Ordering::Relaxed);
        }
        Ok(e)
    }

    fn __repr__(&self) -> String {
        "<OrderFeed>".into()
    }
}

/// One event of the order feed. ``kind``: ``"update"`` (every update, first),
/// ``"status_change"``, ``"execution"``, ``"traded"``, ``"rejected"``,
/// ``"cancelled"``, ``"expired"`` (the tracker's), ``"open"``, ``"close"``,
/// ``"error"``, ``"reconciled"``, ``"gap"`` (updates may be missing: ``detail``),
/// ``"stopped"``.
#[pyclass(module = "dhan_feed", frozen)]
pub struct OrderEvent(Box<Ev>);

#[pymethods]
impl OrderEvent {
    /// What this event is (see the class).
    #[getter]
    fn kind(&self) -> &'static str {
        match *self.0 {
            Ev::Update(_) => "update",
            Ev::StatusChange { .. } => "status_change",
            Ev::Execution { .. } => "execution",
            Ev::Traded(_) => "traded",
            Ev::Rejected(_) => "rejected",
            Ev::Cancelled(_) => "cancelled",
            Ev::Expired(_) => "expired",
            Ev::Open => "open",
            Ev::Close { .. } => "close",
            Ev::Error(_) => "error",
            Ev::EngineStopped(_) => "stopped",
            Ev::Reconciled { .. } => "reconciled",
            Ev::Gap { .. } => "gap",
            _ => "other",
        }
    }

    /// The update (every documented field, snake_case) of ``update``,
    /// ``traded``, ``rejected``, ``cancelled`` and ``expired`` events.
    #[getter]
    fn update<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        match &*self.0 {
            Ev::Update(u) | Ev::Traded(u) | Ev::Rejected(u) | Ev::Cancelled(u) | Ev::Expired(u) => {
                update_dict(py, u).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The order number of a ``status_change`` or ``execution``, or of the update.
    #[getter]
    fn order_no(&self) -> Option<String> {
        match &*self.0 {
            Ev::StatusChange { order_no, .. } | Ev::Execution { order_no, .. } => {
                Some(order_no.as_str().to_owned())
            }
            Ev::Update(u) | Ev::Traded(u) | Ev::Rejected(u) | Ev::Cancelled(u) | Ev::Expired(u) => {
                Some(u.order_no.as_str().to_owned())
            }
            _ => None,
        }
    }

    /// A ``status_change``'s statuses, ``(before, now)``.
    #[getter]
    fn statuses(&self) -> Option<(String, String)> {
        match &*self.0 {
            Ev::StatusChange { previous, new, .. } => Some((previous.to_string(), new.to_string())),
            _ => None,
        }
    }

    /// An ``execution``'s traded quantities, ``(before, now)``.
    #[getter]
    fn traded_qty(&self) -> Option<(i64, i64)> {
        match &*self.0 {
            Ev::Execution {
                previous_traded_qty,
                new_traded_qty,
                ..
            } => Some((*previous_traded_qty, *new_traded_qty)),
            _ => None,
        }
    }

    /// Whether a ``status_change`` or ``execution`` was learnt from the order
    /// book after a gap rather than from the feed.
    #[getter]
    fn reconciled(&self) -> Option<bool> {
        match &*self.0 {
            Ev::StatusChange { reconciled, .. } | Ev::Execution { reconciled, .. } => {
                Some(*reconciled)
            }
            Ev::Update(u) | Ev::Traded(u) | Ev::Rejected(u) | Ev::Cancelled(u) | Ev::Expired(u) => {
                Some(u.reconciled)
            }
            _ => None,
        }
    }

    /// For ``close``, ``error``, ``gap``, ``reconciled`` and ``stopped``: what happened.
    #[getter]
    fn detail(&self) -> Option<String> {
        match &*self.0 {
            Ev::Close { code, reason } => Some(match code {
                Some(c) => format!("closed with {c}: {reason}"),
                None => format!("closed: {reason}"),
            }),
            Ev::Error(e) => Some(e.to_string()),
            Ev::EngineStopped(s) => Some(s.to_string()),
            Ev::Reconciled { orders, changed } => Some(format!(
                "{changed} of {orders} orders in the book had moved on"
            )),
            Ev::Gap {
                reason,
                from_ns,
                to_ns,
            } => Some(format!("{reason:?} from {from_ns} to {to_ns} ns")),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<OrderEvent kind={} order_no={:?} detail={:?}>",
            self.kind(),
            self.order_no(),
            self.detail()
        )
    }
}

/// An order update's fields as a dict (`client_id` left out: it is a credential).
fn update_dict<'py>(py: Python<'py>, u: &dhan_feed::OrderUpdate) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let mut err = Ok(());
    u.for_each_field(|name, v| {
        if name == "client_id" || err.is_err() {
            return;
        }
        err = match v {
            FieldValue::Text(s) => d.set_item(name, s),
            FieldValue::Int(x) => d.set_item(name, x),
            FieldValue::Float(x) => d.set_item(name, x),
        };
    });
    err?;
    d.set_item("reconciled", u.reconciled)?;
    Ok(d)
}
