//! dhan-feed: a synchronous, low-latency client for the DhanHQ v2 WebSocket APIs.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
mod client;
pub mod config;
mod engine;
pub mod feed;
pub mod instrument;
pub mod jsonl;
pub mod proto;
pub mod ring;
pub mod secret;
pub mod sim;
pub mod time;
pub mod transport;
pub mod ws;

pub use client::{Client, ClientError};
pub use config::{ClientConfig, Endpoints, Overflow};
pub use engine::{EngineError, MAX_SHARDS};
pub use feed::{FeedEvent, MarketFeed};
pub use proto::{ExchangeSegment, FeedMode, InstrumentId};
pub use secret::Secret;
