//! Public handles: market-feed consumers, depth feeds with their books, the
//! order-update feed with its tracker, and the events they receive.

pub mod depth;
pub mod depth_book;
pub mod event;
pub mod market;
pub mod order_tracker;
pub mod orders;

pub use depth::{Depth20Feed, Depth200Feed, DepthError, DepthFeed, DepthFeedEvent};
pub use event::{ConnectionEvent, FeedEvent, MarketEvent};
pub use market::{FeedStats, Health, MarketFeed};
pub use order_tracker::{OrderEvent, OrderEventKinds, OrderTracker, OrderTrackerConfig};
pub use orders::OrderFeed;
