//! Dhan wire formats, pure: no sockets, threads or clocks.
//!
//! Every decoder reads from a borrowed byte slice into `Copy` values or caller-owned
//! storage and never allocates; every encoder writes into a caller-owned buffer and
//! is the exact inverse of its decoder.

pub mod segment;

pub use segment::{ExchangeSegment, InstrumentId, ParseInstrumentError, ParseSegmentError};
