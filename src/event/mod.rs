//! The `Copy` types that cross the rings from the I/O thread to the handles:
//! market and connection events, the depth and order items, and what a handle
//! reports about itself (counters, health).

mod engine_stop;
mod feed_event;
mod health;
mod items;
mod order_error;

pub use crate::session::{Cause, DnsFailure, SessionError, SessionEvent, TlsFailure};
pub use engine_stop::EngineStop;
pub use feed_event::{ConnectionEvent, FeedEvent, MarketEvent, Refusal, RefusedEvent};
pub use health::{FeedStats, Health};
pub(crate) use health::{MessageCounts, ShardHealth, at as instant_at};
pub use items::{DepthItem, DepthSideUpdate, GlobalItem, OrderItem};
pub use order_error::OrderFeedError;
