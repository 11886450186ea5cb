//! Dhan wire formats, pure: no sockets, threads or clocks.
//!
//! Every decoder reads from a borrowed byte slice into `Copy` values or caller-owned
//! storage and never allocates; every encoder writes into a caller-owned buffer and
//! is the exact inverse of its decoder.
//!
//! | Feed | Decode | Encode |
//! |---|---|---|
//! | market feed responses | [`market::packets`] | [`market_encode`] |
//! | 20/200-level depth | [`depth::depth_packets`] | [`depth_encode`] |
//! | requests (JSON) | [`request_parse::parse_request`] | [`request`] |
//! | Global Stocks (US) responses and requests | [`global::global_packets`] | [`global_encode`] |
//! | order-update login | [`login::parse_login`] | [`login::encode_login`] |
//! | order updates (JSON) | [`order::OrderUpdateParser`] | [`order::encode_order_update`] |
//! | capture files | [`capture::CaptureReader`] | [`capture::write_record`] |

pub mod capture;
pub mod depth;
pub mod depth_encode;
pub mod disconnect;
pub mod endpoint;
pub mod error;
pub mod global;
pub mod global_encode;
pub(crate) mod json;
pub mod login;
pub mod market;
pub mod market_encode;
pub mod order;
pub mod order_book;
pub(crate) mod order_fast;
pub mod order_status;
pub(crate) mod order_update;
pub mod request;
pub(crate) mod request_parse;
pub(crate) mod sample;
pub(crate) mod scan;
pub mod segment;
pub mod text;
mod wire;

pub use depth::{DepthKind, DepthLevel, DepthLevels, DepthPacket, DepthSide};
pub use disconnect::DisconnectCode;
pub use error::DecodeError;
pub use global::{GlobalData, GlobalPacket};
pub use global_encode::GlobalMode;
pub use login::{Login, UserType};
pub use market::{Ltt, MarketPacket};
pub use order::{OrderUpdate, OrderUpdateParser};
pub use order_status::OrderStatus;
pub use request::FeedMode;
pub use segment::{ExchangeSegment, InstrumentId, ParseInstrumentError, ParseSegmentError};
pub use text::Text;
