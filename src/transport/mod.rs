//! Socket and TLS glue: the only socket code besides the engine and the simulator.

pub mod conn;
pub mod copy;
pub mod read_status;
#[cfg(feature = "download")]
pub(crate) mod rest;
pub mod tls;
pub mod tls_stream;
