//! `MarketFeed` and `MarketEvent`: the live market feed (ticker, quote, full
//! packets) of the instruments a handle subscribes.

use crate::errors::{closed, to_py};
use crate::wait::{health_dict, parse_instruments, stats_dict, take_waiting, timeout, wait_for};
use dhan_feed::{FeedEvent, MarketPacket};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A market-feed handle: its own ring of events, filled by the client's I/O
/// thread with the packets of the instruments it subscribed, in its mode.
#[pyclass(module = "dhan_feed", frozen)]
pub struct MarketFeed {
    inner: Mutex<Option<dhan_feed::MarketFeed>>,
    mode: &'static str,
    ended: AtomicBool,
}

impl MarketFeed {
    pub fn new(feed: dhan_feed::MarketFeed) -> Self {
        let mode = match feed.mode() {
            dhan_feed::FeedMode::Ticker => "ticker",
            dhan_feed::FeedMode::Quote => "quote",
            dhan_feed::FeedMode::Full => "full",
        };
        Self {
            inner: Mutex::new(Some(feed)),
            mode,
            ended: AtomicBool::new(false),
        }
    }

    fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut dhan_feed::MarketFeed) -> T,
    ) -> PyResult<T> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_mut() {
            Some(feed) => Ok(f(feed)),
            None => Err(closed(py, "market feed")),
        }
    }
}

#[pymethods]
impl MarketFeed {
    /// The mode its packets come in: ``"ticker"``, ``"quote"`` or ``"full"``.
    #[getter]
    fn mode(&self) -> &'static str {
        self.mode
    }

    /// Subscribes instruments given as ``"SEGMENT:ID"`` strings (``"NSE_EQ:2885"``).
    /// A string that does not parse raises ``InstrumentError`` (a ``ValueError``)
    /// and nothing is subscribed.
    fn subscribe(&self, py: Python<'_>, instruments: Vec<String>) -> PyResult<()> {
        let ids = parse_instruments(py, &instruments)?;
        self.with(py, |f| f.subscribe(&ids))?
            .map_err(|e| to_py(py, e))
    }

    /// Unsubscribes instruments (as in ``subscribe``).
    fn unsubscribe(&self, py: Python<'_>, instruments: Vec<String>) -> PyResult<()> {
        let ids = parse_instruments(py, &instruments)?;
        self.with(py, |f| f.unsubscribe(&ids))?
            .map_err(|e| to_py(py, e))
    }

    /// The instruments subscribed, as ``"SEGMENT:ID"`` strings.
    fn subscriptions(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with(py, |f| {
            f.subscriptions().iter().map(|i| i.to_string()).collect()
        })
    }

    /// The next event, waiting up to ``timeout`` seconds (``None``: until one
    /// comes) with the GIL released; ``None`` when the time is up. Ctrl-C
    /// interrupts the wait.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<MarketEvent>> {
        let t = self::timeout(timeout)?;
        let got = wait_for(
            py,
            &self.inner,
            t,
            |py| closed(py, "market feed"),
            |f, step| f.recv_timeout(step),
        )?;
        Ok(got.map(MarketEvent))
    }

    /// The events waiting, at most ``limit``: waits up to ``timeout`` seconds
    /// (GIL released, Ctrl-C interrupts) for the first, then takes what is
    /// there without waiting more. An empty list when nothing came in time.
    #[pyo3(signature = (timeout=0.0, limit=1000))]
    fn events(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        limit: usize,
    ) -> PyResult<Vec<MarketEvent>> {
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
                |e| matches!(e, FeedEvent::EngineStopped(_)),
                MarketEvent,
            )
        })?;
        Ok(out)
    }

    /// The packets waiting, at most ``limit``, as one NumPy structured array
    /// (one row a packet, the fields of ``BATCH_DTYPE``; a field its kind does
    /// not carry is NaN or 0), and the other events (connection, refused,
    /// stopped) as a list, in order among themselves: nothing is left out.
    /// Waits up to ``timeout`` seconds for the first, as ``events``. Needs
    /// NumPy (imported on the first call). A full packet's depth is not in the
    /// array: ``events`` has it.
    #[pyo3(signature = (timeout=0.0, limit=65536))]
    fn batch<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
        limit: usize,
    ) -> PyResult<(Bound<'py, PyAny>, Vec<MarketEvent>)> {
        let np = py.import("numpy")?;
        let mut rows: Vec<u8> = Vec::new();
        let mut others = Vec::new();
        let take = |e: FeedEvent, rows: &mut Vec<u8>, others: &mut Vec<MarketEvent>| match e {
            FeedEvent::Market(m) => {
                batch_row(&m, rows);
            }
            other => others.push(MarketEvent(other)),
        };
        if limit > 0
            && let Some(first) = self.recv(py, timeout)?
        {
            rows.reserve(limit.min(65536) * BATCH_ROW);
            take(first.0, &mut rows, &mut others);
            self.with(py, |f| {
                while rows.len() / BATCH_ROW + others.len() < limit {
                    match f.try_recv() {
                        Some(e) => {
                            let stop = matches!(e, FeedEvent::EngineStopped(_));
                            take(e, &mut rows, &mut others);
                            if stop {
                                break;
                            }
                        }
                        None => break,
                    }
                }
            })?;
        }
        let dtype = np.getattr("dtype")?.call1((batch_dtype(py)?,))?;
        let bytes = pyo3::types::PyBytes::new(py, &rows);
        let arr = np.getattr("frombuffer")?.call1((bytes, dtype))?;
        Ok((arr, others))
    }

    /// Counters: events taken, published, dropped (ring full), waiting (``lag``).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.with(py, |f| f.stats())?;
        stats_dict(py, &s)
    }

    /// The state of the connections behind this handle.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let h = self.with(py, |f| f.health())?;
        health_dict(py, &h)
    }

    /// Whether every connection carrying instruments is live.
    #[getter]
    fn connected(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |f| f.connected())
    }

    /// Releases the handle (its instruments are unsubscribed); later calls raise
    /// ``ClientClosedError``. Closing twice is harmless.
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
    /// the ``"stopped"`` event (the client's I/O thread no longer runs).
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<MarketEvent>> {
        if self.ended.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let e = self.recv(py, None)?;
        if let Some(MarketEvent(FeedEvent::EngineStopped(_))) = e {
            self.ended.store(true, Ordering::Relaxed);
        }
        Ok(e)
    }

    fn __repr__(&self) -> String {
        let n = self
            .inner
            .lock()
            .map(|g| g.as_ref().map(|f| f.subscriptions().len()))
            .ok()
            .flatten();
        match n {
            Some(n) => format!("<MarketFeed mode={} instruments={n}>", self.mode),
            None => format!("<MarketFeed mode={} closed>", self.mode),
        }
    }
}

/// The columns of `MarketFeed.batch`'s rows, packed, little-endian.
const BATCH_FIELDS: [(&str, &str); 18] = [
    ("kind", "S12"),
    ("segment", "S12"),
    ("security_id", "<u4"),
    ("recv_ns", "<u8"),
    ("ltp", "<f8"),
    ("ltt", "<u4"),
    ("ltq", "<u4"),
    ("atp", "<f8"),
    ("volume", "<u4"),
    ("total_buy_qty", "<u4"),
    ("total_sell_qty", "<u4"),
    ("open", "<f8"),
    ("high", "<f8"),
    ("low", "<f8"),
    ("close", "<f8"),
    ("oi", "<u4"),
    ("prev_close", "<f8"),
    ("prev_oi", "<u4"),
];

/// Bytes of one row of [`BATCH_FIELDS`].
const BATCH_ROW: usize = 12 + 12 + 4 + 8 + 8 + 4 + 4 + 8 + 4 + 4 + 4 + 8 * 4 + 4 + 8 + 4;

/// The dtype description (a list of `(name, format)`), for `numpy.dtype`.
pub fn batch_dtype(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyList>> {
    pyo3::types::PyList::new(py, BATCH_FIELDS)
}

/// Appends one packet as a row of [`BATCH_FIELDS`].
fn batch_row(m: &dhan_feed::MarketEvent, out: &mut Vec<u8>) {
    fn text(out: &mut Vec<u8>, s: &str) {
        let mut b = [0u8; 12];
        let n = s.len().min(12);
        b[..n].copy_from_slice(&s.as_bytes()[..n]);
        out.extend_from_slice(&b);
    }
    let p = &m.packet;
    let id = p.id();
    let nan = f64::NAN;
    // (ltp, ltt, ltq, atp, volume, buy, sell, open, high, low, close, oi, prev_close, prev_oi)
    let (ltp, ltt, ltq, atp, volume, buy, sell, ohlc, oi, pc, poi) = match p {
        MarketPacket::Ticker(t) => (
            price(t.ltp),
            t.ltt.raw(),
            0,
            nan,
            0,
            0,
            0,
            [nan; 4],
            0,
            nan,
            0,
        ),
        MarketPacket::Quote(q) => (
            price(q.ltp),
            q.ltt.raw(),
            u32::from(q.ltq),
            price(q.atp),
            q.volume,
            q.total_buy_qty,
            q.total_sell_qty,
            [price(q.open), price(q.high), price(q.low), price(q.close)],
            0,
            nan,
            0,
        ),
        MarketPacket::Full(x) => (
            price(x.ltp),
            x.ltt.raw(),
            u32::from(x.ltq),
            price(x.atp),
            x.volume,
            x.total_buy_qty,
            x.total_sell_qty,
            [price(x.open), price(x.high), price(x.low), price(x.close)],
            x.oi,
            nan,
            0,
        ),
        MarketPacket::Oi(o) => (nan, 0, 0, nan, 0, 0, 0, [nan; 4], o.oi, nan, 0),
        MarketPacket::PrevClose(c) => (
            nan,
            0,
            0,
            nan,
            0,
            0,
            0,
            [nan; 4],
            0,
            price(c.prev_close),
            c.prev_oi,
        ),
        _ => (nan, 0, 0, nan, 0, 0, 0, [nan; 4], 0, nan, 0),
    };
    let start = out.len();
    text(out, p.kind_name());
    match id.segment.as_str() {
        Some(s) => text(out, s),
        None => text(out, &id.segment.as_u8().to_string()),
    }
    out.extend_from_slice(&id.security_id.to_le_bytes());
    out.extend_from_slice(&m.recv_ns.to_le_bytes());
    out.extend_from_slice(&ltp.to_le_bytes());
    out.extend_from_slice(&ltt.to_le_bytes());
    out.extend_from_slice(&ltq.to_le_bytes());
    out.extend_from_slice(&atp.to_le_bytes());
    out.extend_from_slice(&volume.to_le_bytes());
    out.extend_from_slice(&buy.to_le_bytes());
    out.extend_from_slice(&sell.to_le_bytes());
    for v in ohlc {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&oi.to_le_bytes());
    out.extend_from_slice(&pc.to_le_bytes());
    out.extend_from_slice(&poi.to_le_bytes());
    debug_assert_eq!(out.len() - start, BATCH_ROW);
}

/// One level of a full packet's depth: bid price, qty, orders, then ask's.
type FullLevel = (f64, u32, u16, f64, u32, u16);

/// A price as the feed sent it (an f32), widened to the f64 with the same
/// shortest decimal form: 1380.2 stays 1380.2, not 1380.199951171875.
fn price(x: f32) -> f64 {
    use std::fmt::Write;
    /// A stack buffer for the digits (an f32's shortest form fits in 48 bytes).
    struct Buf([u8; 48], usize);
    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.1 + s.len();
            self.0
                .get_mut(self.1..end)
                .ok_or(std::fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let mut b = Buf([0; 48], 0);
    if write!(b, "{x}").is_err() {
        return f64::from(x);
    }
    std::str::from_utf8(&b.0[..b.1])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::from(x))
}

/// One event of a market feed. ``kind`` says which: ``"ticker"``, ``"quote"``,
/// ``"full"``, ``"oi"``, ``"prev_close"``, ``"market_status"``,
/// ``"disconnect"``, ``"unknown"`` (packets); ``"connection"`` (a connection's
/// state changed: see ``detail``), ``"refused"`` (an instrument was refused:
/// ``detail``), ``"stopped"`` (the client's I/O thread no longer runs). A
/// packet's fields that its kind does not carry are ``None``.
#[pyclass(module = "dhan_feed", frozen)]
pub struct MarketEvent(pub FeedEvent);

impl MarketEvent {
    fn packet(&self) -> Option<&MarketPacket> {
        match &self.0 {
            FeedEvent::Market(m) => Some(&m.packet),
            _ => None,
        }
    }
}

#[pymethods]
impl MarketEvent {
    /// What this event is (see the class).
    #[getter]
    fn kind(&self) -> &'static str {
        match &self.0 {
            FeedEvent::Market(m) => m.packet.kind_name(),
            FeedEvent::Connection(_) => "connection",
            FeedEvent::Refused(_) => "refused",
            FeedEvent::EngineStopped(_) => "stopped",
            _ => "other",
        }
    }

    /// The exchange segment (``"NSE_EQ"``…, or its number when unknown); ``None``
    /// for a non-packet event.
    #[getter]
    fn segment(&self) -> Option<String> {
        let id = match &self.0 {
            FeedEvent::Market(m) => m.packet.id(),
            FeedEvent::Refused(r) => r.id,
            _ => return None,
        };
        Some(id.segment.to_string())
    }

    /// The security id; ``None`` for a non-packet event.
    #[getter]
    fn security_id(&self) -> Option<u32> {
        match &self.0 {
            FeedEvent::Market(m) => Some(m.packet.id().security_id),
            FeedEvent::Refused(r) => Some(r.id.security_id),
            _ => None,
        }
    }

    /// ``"SEGMENT:ID"``, as ``subscribe`` takes it.
    #[getter]
    fn instrument(&self) -> Option<String> {
        match &self.0 {
            FeedEvent::Market(m) => Some(m.packet.id().to_string()),
            FeedEvent::Refused(r) => Some(r.id.to_string()),
            _ => None,
        }
    }

    /// When the I/O thread read the packet (``dhan_feed`` monotonic ns).
    #[getter]
    fn recv_ns(&self) -> Option<u64> {
        match &self.0 {
            FeedEvent::Market(m) => Some(m.recv_ns),
            _ => None,
        }
    }

    /// When it was put in this handle's ring (same clock as ``recv_ns``).
    #[getter]
    fn publish_ns(&self) -> Option<u64> {
        match &self.0 {
            FeedEvent::Market(m) => Some(m.publish_ns),
            _ => None,
        }
    }

    /// For ``connection``, ``refused`` and ``stopped`` events: what happened.
    #[getter]
    fn detail(&self) -> Option<String> {
        match &self.0 {
            FeedEvent::Connection(c) => Some(c.to_string()),
            FeedEvent::Refused(r) => Some(r.to_string()),
            FeedEvent::EngineStopped(s) => Some(s.to_string()),
            _ => None,
        }
    }

    /// Last traded price, rupees.
    #[getter]
    fn ltp(&self) -> Option<f64> {
        Some(match self.packet()? {
            MarketPacket::Ticker(t) => price(t.ltp),
            MarketPacket::Quote(q) => price(q.ltp),
            MarketPacket::Full(x) => price(x.ltp),
            _ => return None,
        })
    }
    /// Last trade time: the exchange's IST wall clock counted as Unix seconds.
    #[getter]
    fn ltt(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Ticker(t) => t.ltt.raw(),
            MarketPacket::Quote(q) => q.ltt.raw(),
            MarketPacket::Full(x) => x.ltt.raw(),
            _ => return None,
        })
    }
    /// Last traded quantity.
    #[getter]
    fn ltq(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => u32::from(q.ltq),
            MarketPacket::Full(x) => u32::from(x.ltq),
            _ => return None,
        })
    }
    /// Average traded price, rupees.
    #[getter]
    fn atp(&self) -> Option<f64> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => price(q.atp),
            MarketPacket::Full(x) => price(x.atp),
            _ => return None,
        })
    }
    /// Volume traded today.
    #[getter]
    fn volume(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => q.volume,
            MarketPacket::Full(x) => x.volume,
            _ => return None,
        })
    }
    /// Total quantity on the sell side.
    #[getter]
    fn total_sell_qty(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => q.total_sell_qty,
            MarketPacket::Full(x) => x.total_sell_qty,
            _ => return None,
        })
    }
    /// Total quantity on the buy side.
    #[getter]
    fn total_buy_qty(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => q.total_buy_qty,
            MarketPacket::Full(x) => x.total_buy_qty,
            _ => return None,
        })
    }
    /// Day's open, rupees.
    #[getter]
    fn open(&self) -> Option<f64> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => price(q.open),
            MarketPacket::Full(x) => price(x.open),
            _ => return None,
        })
    }
    /// Previous close as the packet carries it, rupees.
    #[getter]
    fn close(&self) -> Option<f64> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => price(q.close),
            MarketPacket::Full(x) => price(x.close),
            _ => return None,
        })
    }
    /// Day's high, rupees.
    #[getter]
    fn high(&self) -> Option<f64> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => price(q.high),
            MarketPacket::Full(x) => price(x.high),
            _ => return None,
        })
    }
    /// Day's low, rupees.
    #[getter]
    fn low(&self) -> Option<f64> {
        Some(match self.packet()? {
            MarketPacket::Quote(q) => price(q.low),
            MarketPacket::Full(x) => price(x.low),
            _ => return None,
        })
    }
    /// Open interest.
    #[getter]
    fn oi(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Oi(o) => o.oi,
            MarketPacket::Full(x) => x.oi,
            _ => return None,
        })
    }
    /// Day's highest open interest.
    #[getter]
    fn oi_day_high(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Full(x) => x.oi_day_high,
            _ => return None,
        })
    }
    /// Day's lowest open interest.
    #[getter]
    fn oi_day_low(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::Full(x) => x.oi_day_low,
            _ => return None,
        })
    }
    /// Previous day's close, rupees.
    #[getter]
    fn prev_close(&self) -> Option<f64> {
        Some(match self.packet()? {
            MarketPacket::PrevClose(p) => price(p.prev_close),
            _ => return None,
        })
    }
    /// Previous day's open interest.
    #[getter]
    fn prev_oi(&self) -> Option<u32> {
        Some(match self.packet()? {
            MarketPacket::PrevClose(p) => p.prev_oi,
            _ => return None,
        })
    }
    /// A full packet's five levels, best first, each
    /// ``(bid_price, bid_qty, bid_orders, ask_price, ask_qty, ask_orders)``.
    #[getter]
    fn depth(&self) -> Option<Vec<FullLevel>> {
        Some(match self.packet()? {
            MarketPacket::Full(x) => x
                .depth
                .iter()
                .map(|l| {
                    (
                        price(l.bid_price),
                        l.bid_qty,
                        l.bid_orders,
                        price(l.ask_price),
                        l.ask_qty,
                        l.ask_orders,
                    )
                })
                .collect(),
            _ => return None,
        })
    }

    fn __repr__(&self) -> String {
        match &self.0 {
            FeedEvent::Market(m) => {
                let mut out = Vec::new();
                dhan_feed::jsonl::market_packet(&m.packet, &mut out);
                format!("<MarketEvent {}>", String::from_utf8_lossy(&out).trim_end())
            }
            _ => format!(
                "<MarketEvent kind={} detail={:?}>",
                self.kind(),
                self.detail().unwrap_or_default()
            ),
        }
    }
}
