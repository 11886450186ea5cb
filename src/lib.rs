//! dhan-feed: a synchronous, low-latency client for the DhanHQ v2 WebSocket APIs.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod instrument;
pub mod jsonl;
pub mod proto;
pub mod secret;
pub mod sim;
pub mod transport;
pub mod ws;

pub use secret::Secret;
