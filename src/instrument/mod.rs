//! The instrument master: load Dhan's CSV once, index it, find instruments.
//!
//! Dhan publishes every tradable instrument in a CSV (compact and detailed shapes;
//! protocol reference, section 8). [`InstrumentMaster`] reads either shape, mapping
//! columns by header name, and keeps it compactly (one text arena, interned codes,
//! about 180 bytes a row) with hash indexes for symbol and security-id lookups.
//! [`Download`] fetches the file over HTTPS into an on-disk cache with a maximum
//! age.

mod arena;
pub mod cli;
mod columns;
mod date;
mod download;
mod error;
mod fields;
mod hash;
mod index;
mod instrument;
mod load;
mod master;
mod row;
mod split;
pub mod synthetic;

pub use columns::MasterFormat;
pub use date::{Date, ParseDateError};
pub use download::{Download, Fetched, MasterKind, Origin, Progress, default_cache_dir};
pub use error::{InstrumentError, RowError, RowProblem};
pub use fields::{
    BuySellIndicator, Exchange, ExpiryFlag, Flag, InstrumentKind, OptionType, SegmentCode,
    feed_segment,
};
pub use instrument::Instrument;
pub use load::{DuplicateId, LoadOptions, LoadReport, OnMalformed, UnmappedRow};
pub use master::{FindOptions, InstrumentMaster, SEARCH_ORDER};
