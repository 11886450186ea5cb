//! The crate's error categories as Python exceptions. The classes are defined
//! in `dhan_feed/_errors.py` (so that the ones about bad input can be
//! `ValueError`s and the I/O one an `OSError` too: two bases) and raised from
//! here by name.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// An exception of the class `name` of `dhan_feed._errors` with `msg`.
pub fn raise(py: Python<'_>, name: &str, msg: String) -> PyErr {
    let class = py
        .import("dhan_feed._errors")
        .and_then(|m| m.getattr(name))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(c) => PyErr::from_type(c, msg),
        Err(e) => e,
    }
}

/// A crate error as its Python exception.
pub fn to_py(py: Python<'_>, e: dhan_feed::Error) -> PyErr {
    use dhan_feed::Error as E;
    let name = match &e {
        E::Config(_) | E::Tls(_) => "ConfigError",
        E::ParseInstrument(_) | E::ParseSegment(_) | E::Instrument(_) => "InstrumentError",
        E::Subscribe(_) => "SubscribeError",
        E::Stopped | E::EngineFailed { .. } => "ClientStoppedError",
        E::Io(_) => "FeedIOError",
        E::Simulator(_) => "SimulatorError",
        _ => "DhanFeedError",
    };
    raise(py, name, e.to_string())
}

/// A bad argument (a mode, a fault name, a duration).
pub fn bad_value(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}

/// A handle or client used after `close()`.
pub fn closed(py: Python<'_>, what: &str) -> PyErr {
    raise(py, "ClientClosedError", format!("the {what} is closed"))
}
