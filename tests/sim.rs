//! The simulator against a client built from the protocol core and tungstenite:
//! every endpoint, every limit, every fault script. Loopback only, port 0, every
//! read bounded by a timeout.

#[path = "sim/client.rs"]
mod client;
#[path = "common/mod.rs"]
mod common;
#[path = "sim/endpoints.rs"]
mod endpoints;
#[path = "sim/faults.rs"]
mod faults;
#[path = "sim/limits.rs"]
mod limits;
