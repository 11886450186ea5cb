//! Socket and TLS glue: the only socket code besides the engine and the simulator.

pub mod conn;
pub mod copy;
pub mod read_status;
pub mod tls;
pub mod tls_stream;
