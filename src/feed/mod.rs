//! Public handles: market-feed consumers, depth feeds with their books, the
//! order-update feed with its tracker, the Global Stocks (US) feed.

pub mod candles;
pub mod depth;
pub mod depth_book;
pub mod global;
pub mod market;
mod one_conn;
pub mod order_tracker;
pub mod orders;
mod probe;
mod wait;

pub use candles::{Candle, CandleAggregator};
pub use depth::{Depth20Feed, Depth200Feed, DepthFeed, DepthFeedEvent};
pub use global::{GlobalFeedEvent, GlobalStocksFeed};
pub use market::MarketFeed;
pub(crate) use one_conn::{outbox_health, outbox_stats};
pub use order_tracker::{GapReason, OrderEvent, OrderEventKinds, OrderTracker};
pub use orders::OrderFeed;
pub use probe::HealthProbe;
pub(crate) use wait::{drain_with, wait_for};
