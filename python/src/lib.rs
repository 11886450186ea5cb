//! `dhan_feed._native`: the Python module of dhan-feed (PyO3). The engine runs
//! its own I/O thread as in Rust; Python handles read their rings, with the GIL
//! released while they wait and Ctrl-C (any pending signal) checked every few
//! milliseconds of a wait.

mod client;
mod depth;
mod errors;
mod instruments;
mod market;
mod orders;
mod replay;
mod sim;
mod wait;

use pyo3::prelude::*;

/// The module's classes, exceptions and constants.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    dhan_feed::internals::tls::install_default_provider();
    m.add_class::<client::Client>()?;
    m.add_class::<market::MarketFeed>()?;
    m.add_class::<market::MarketEvent>()?;
    m.add_class::<depth::DepthFeed>()?;
    m.add_class::<depth::DepthEvent>()?;
    m.add_class::<depth::DepthBook>()?;
    m.add_class::<orders::OrderFeed>()?;
    m.add_class::<orders::OrderEvent>()?;
    m.add_class::<sim::Simulator>()?;
    m.add_class::<replay::Replay>()?;
    m.add_class::<instruments::InstrumentMaster>()?;
    m.add_class::<instruments::Instrument>()?;
    m.add("EXAMPLE_CSV", dhan_feed::instrument::EXAMPLE_CSV)?;
    m.add_function(wrap_pyfunction!(now_ns, m)?)?;
    m.add("BATCH_DTYPE", market::batch_dtype(m.py())?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// The engine's monotonic clock, ns: the clock of every event's ``recv_ns``
/// and ``publish_ns`` (and of the simulator's ``stamp``).
#[pyfunction]
fn now_ns() -> u64 {
    dhan_feed::now_ns()
}
