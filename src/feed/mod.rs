//! Public handles: the client and its market-feed consumers, and the events they
//! receive.

pub mod event;
pub mod market;

pub use event::{ConnectionEvent, FeedEvent, MarketEvent};
pub use market::{FeedStats, Health, MarketFeed};
