//! The instrument master: load Dhan's CSV once, index it, find instruments.
//!
//! Dhan publishes every tradable instrument in a CSV (compact and detailed shapes;
//! docs/protocol.md §8). [`InstrumentMaster`] reads either shape, mapping
//! columns by header name, and keeps it compactly (one text arena, interned codes,
//! about 180 bytes a row) with hash indexes for symbol and security-id lookups.
//! [`Download`] fetches the file over HTTPS into an on-disk cache with a maximum
//! age. The command line is `dhan-feed instruments find|download`.
//!
//! Loading tolerates the file's quirks: the trailing comma, quoted fields, columns
//! in any order or missing (`SELL_CO_MIN_MARGIN_PER` usually is), rows cut short,
//! CRLF, a BOM, and the sentinels `0001-01-01`, `XX`, `NA` and `-0.01`, which read as
//! `None`. A malformed row is reported with its line number and skipped (or, with
//! [`OnMalformed::Reject`], fails the load); each line is parsed on its own, so a
//! broken row never takes others with it.
//!
//! # Finding an instrument and subscribing it
//!
//! ```
//! use dhan_feed::instrument::{FindOptions, InstrumentMaster, LoadOptions};
//! use dhan_feed::proto::{ExchangeSegment, InstrumentId};
//!
//! # fn main() -> Result<(), dhan_feed::instrument::InstrumentError> {
//! let master = InstrumentMaster::from_reader(MASTER.as_bytes(), &LoadOptions::default())?;
//! // "RELIANCE" matches the underlying symbol of RELIANCE INDUSTRIES LTD.
//! let reliance = master.find(ExchangeSegment::NseEq, "RELIANCE", FindOptions::new()).unwrap();
//! assert_eq!(reliance.security_id(), 2885);
//! assert_eq!(reliance.symbol_name(), "RELIANCE INDUSTRIES LTD");
//! // What a feed subscription needs:
//! assert_eq!(reliance.id(), InstrumentId::new(ExchangeSegment::NseEq, 2885));
//!
//! // Exact and case-sensitive searches, across segments, by id, by segment:
//! let exact = FindOptions::new().exact().case_sensitive();
//! assert!(master.find(ExchangeSegment::NseEq, "RELIANCE INDUSTRIES LTD", exact).is_some());
//! assert!(master.find(ExchangeSegment::NseEq, "reliance industries ltd", exact).is_none());
//! let nifty = master.find_anywhere("NIFTY", &[], FindOptions::new()).unwrap();
//! assert_eq!(nifty.id().to_string(), "IDX_I:13");
//! assert!(master.by_security_id(ExchangeSegment::NseFno, 35070).is_some());
//! assert_eq!(master.by_segment(ExchangeSegment::NseEq).count(), 2);
//! # Ok(())
//! # }
//! # const MASTER: &str = dhan_feed::instrument::EXAMPLE_CSV;
//! ```
//!
//! # Order validation
//!
//! The Ruby guide's check, with the price band and freeze quantity the detailed
//! file also carries:
//!
//! ```
//! use dhan_feed::instrument::{FindOptions, Instrument, InstrumentMaster, LoadOptions, EXAMPLE_CSV};
//! use dhan_feed::proto::ExchangeSegment;
//!
//! enum OrderKind { Regular, Bracket, Cover }
//!
//! fn validate_order(i: &Instrument<'_>, kind: OrderKind, price: f64, qty: f64) -> Result<Vec<String>, String> {
//!     if !i.is_tradable() {
//!         return Err(format!("{} is not tradable", i.symbol_name()));
//!     }
//!     match kind {
//!         OrderKind::Bracket if !i.bracket_allowed() => return Err("bracket orders not allowed".into()),
//!         OrderKind::Cover if !i.cover_allowed() => return Err("cover orders not allowed".into()),
//!         _ => {}
//!     }
//!     if let (Some(lo), Some(hi)) = (i.lower_limit(), i.upper_limit()) {
//!         if hi > 0.0 && !(lo..=hi).contains(&price) {
//!             return Err(format!("price {price} outside the band {lo}..={hi}"));
//!         }
//!     }
//!     if let Some(freeze) = i.freeze_quantity().filter(|&f| f > 0.0) {
//!         if qty > freeze {
//!             return Err(format!("quantity {qty} above the freeze quantity {freeze}"));
//!         }
//!     }
//!     let mut warnings = Vec::new();
//!     if i.under_surveillance() {
//!         warnings.push(format!("ASM/GSM applied: {}", i.asm_gsm_category().unwrap_or("unknown")));
//!     }
//!     Ok(warnings)
//! }
//!
//! let master = InstrumentMaster::from_reader(EXAMPLE_CSV.as_bytes(), &LoadOptions::default()).unwrap();
//! let reliance = master.find(ExchangeSegment::NseEq, "RELIANCE", FindOptions::new()).unwrap();
//! assert_eq!(validate_order(&reliance, OrderKind::Bracket, 1400.0, 10.0), Ok(vec![]));
//! assert!(validate_order(&reliance, OrderKind::Cover, 1400.0, 10.0).is_err());
//! assert!(validate_order(&reliance, OrderKind::Regular, 2000.0, 10.0).unwrap_err().contains("band"));
//! let pp = master.find(ExchangeSegment::NseEq, "RELIANCEPP", FindOptions::new()).unwrap();
//! assert_eq!(validate_order(&pp, OrderKind::Regular, 95.0, 1.0), Ok(vec!["ASM/GSM applied: ASM Stage 2".into()]));
//! let call = master.by_security_id(ExchangeSegment::NseFno, 35070).unwrap();
//! assert!(validate_order(&call, OrderKind::Regular, 4000.0, 2000.0).unwrap_err().contains("freeze"));
//! ```
//!
//! # Margin calculation
//!
//! ```
//! use dhan_feed::instrument::{FindOptions, Instrument, InstrumentMaster, LoadOptions, EXAMPLE_CSV};
//! use dhan_feed::proto::ExchangeSegment;
//!
//! #[derive(Debug, PartialEq)]
//! struct Margin { total_value: f64, buy_margin: f64, sell_margin: Option<f64>, mtf_value: f64 }
//!
//! fn calculate_margin(i: &Instrument<'_>, quantity: f64, price: f64) -> Margin {
//!     let total_value = quantity * price * i.lot_size().unwrap_or(1.0);
//!     let pct = |p: f64| total_value * p / 100.0;
//!     let leverage = i.mtf_leverage().unwrap_or(0.0);
//!     Margin {
//!         total_value,
//!         buy_margin: pct(i.buy_co_min_margin_per().unwrap_or(0.0)),
//!         // The live detailed file has no SELL_CO_MIN_MARGIN_PER column.
//!         sell_margin: i.sell_co_min_margin_per().map(pct),
//!         mtf_value: if leverage > 0.0 { total_value * leverage } else { 0.0 },
//!     }
//! }
//!
//! let master = InstrumentMaster::from_reader(EXAMPLE_CSV.as_bytes(), &LoadOptions::default()).unwrap();
//! let reliance = master.find(ExchangeSegment::NseEq, "RELIANCE", FindOptions::new()).unwrap();
//! let m = calculate_margin(&reliance, 10.0, 1400.0);
//! assert_eq!(m.total_value, 14_000.0);
//! assert_eq!(m.buy_margin, 2_800.0); // 20 %
//! assert_eq!(m.sell_margin, None);
//! assert!((m.mtf_value - 63_636.37).abs() < 0.01); // 4.545455x
//! ```
//!
//! # Risk assessment
//!
//! ```
//! use dhan_feed::instrument::{FindOptions, Instrument, InstrumentMaster, LoadOptions, EXAMPLE_CSV};
//! use dhan_feed::proto::ExchangeSegment;
//!
//! fn assess_risk(i: &Instrument<'_>) -> Vec<String> {
//!     let mut risks = Vec::new();
//!     if i.under_surveillance() {
//!         risks.push(format!("ASM/GSM applied: {}", i.asm_gsm_category().unwrap_or("unknown")));
//!     }
//!     if let Some(expiry) = i.expiry_date() {
//!         risks.push(format!("instrument expires on {expiry}"));
//!     }
//!     if let Some(leverage) = i.mtf_leverage().filter(|&l| l > 5.0) {
//!         risks.push(format!("high MTF leverage: {leverage}x"));
//!     }
//!     risks
//! }
//!
//! let master = InstrumentMaster::from_reader(EXAMPLE_CSV.as_bytes(), &LoadOptions::default()).unwrap();
//! let find = |s| master.find_anywhere(s, &[], FindOptions::new().exact()).unwrap();
//! assert!(assess_risk(&find("RELIANCE")).is_empty());
//! assert_eq!(assess_risk(&find("RELIANCEPP")), ["ASM/GSM applied: ASM Stage 2", "high MTF leverage: 6.25x"]);
//! assert_eq!(assess_risk(&find("NIFTY-Nov2026-18950-CE")), ["instrument expires on 2026-11-23"]);
//! ```
//!
//! # Downloading with a cache
//!
//! ```no_run
//! use std::time::Duration;
//! use dhan_feed::instrument::{Download, LoadOptions, MasterKind};
//!
//! # fn main() -> Result<(), dhan_feed::instrument::InstrumentError> {
//! // ~/.cache/dhan-feed/api-scrip-master-detailed.csv, refreshed when over 12 h old.
//! let download = Download::new(MasterKind::Detailed)?.max_age(Duration::from_secs(12 * 3600));
//! let (master, fetched) = download.load(&LoadOptions::default(), &mut |p| {
//!     eprint!("\r{} of {:?} bytes", p.downloaded, p.total);
//! })?;
//! println!("{} instruments from {:?}", master.len(), fetched.origin);
//! # Ok(())
//! # }
//! ```

mod arena;
mod columns;
mod date;
#[cfg(feature = "download")]
mod download;
mod error;
mod fields;
mod hash;
mod index;
mod load;
mod master;
mod row;
pub(crate) mod split;
pub(crate) mod synthetic;
mod view;

pub use columns::MasterFormat;
pub use date::{Date, ParseDateError};
#[cfg(feature = "download")]
pub use download::{Download, Fetched, MasterKind, Origin, Progress, default_cache_dir};
pub use error::{InstrumentError, RowError, RowProblem};
pub use fields::{
    BuySellIndicator, Exchange, ExpiryFlag, Flag, InstrumentKind, OptionType, SegmentCode,
    feed_segment,
};
pub use load::{DuplicateId, LoadOptions, LoadReport, OnMalformed, UnmappedRow};
pub use master::{FindOptions, InstrumentMaster, SEARCH_ORDER};
pub use view::Instrument;

/// A small detailed master used by the examples in this module's documentation:
/// RELIANCE (bracket orders, 20 % CO margin, 4.545455x MTF), an ASM-flagged
/// RELIANCEPP, the NIFTY index and a NIFTY call, in the live file's shape.
pub const EXAMPLE_CSV: &str = "\
EXCH_ID,SEGMENT,SECURITY_ID,ISIN,INSTRUMENT,UNDERLYING_SECURITY_ID,UNDERLYING_SYMBOL,SYMBOL_NAME,DISPLAY_NAME,INSTRUMENT_TYPE,SERIES,LOT_SIZE,SM_EXPIRY_DATE,STRIKE_PRICE,OPTION_TYPE,TICK_SIZE,EXPIRY_FLAG,BRACKET_FLAG,COVER_FLAG,ASM_GSM_FLAG,ASM_GSM_CATEGORY,BUY_SELL_INDICATOR,BUY_CO_MIN_MARGIN_PER,BUY_CO_SL_RANGE_MAX_PERC,BUY_CO_SL_RANGE_MIN_PERC,BUY_BO_MIN_MARGIN_PER,BUY_BO_PROFIT_RANGE_MAX_PERC,BUY_BO_PROFIT_RANGE_MIN_PERC,MTF_LEVERAGE,SM_UPPER_LIMIT,SM_LOWER_LIMIT,SM_FREEZE_QTY,
NSE,I,13,NA,INDEX,13,NIFTY,NIFTY,Nifty 50,INDEX,NA,1.0,0001-01-01,,XX,0.0500,N,N,N,N,NA,A,0,0,0,0,0,0,0,0.0000,0.0000,0,
NSE,E,2885,INE002A01018,EQUITY,,RELIANCE,RELIANCE INDUSTRIES LTD,Reliance Industries,ES,EQ,1.0,0001-01-01,-0.01000,XX,10.0000,NA,Y,N,N,NA,A,20.00,0,0,0,0,0,4.545455,1543.2000,1262.6000,0,
NSE,E,500,INE000000500,EQUITY,,RELIANCEPP,RELIANCE PARTLY PAID,Reliance PP,ES,E1,1.0,0001-01-01,-0.01000,XX,5.0000,NA,N,N,Y,ASM Stage 2,A,0,0,0,0,0,0,6.25,100.0000,90.0000,0,
NSE,D,35070,NA,OPTIDX,26000,NIFTY,NIFTY-Nov2026-18950-CE,NIFTY 23 NOV 18950 CALL,OP,NA,65.0,2026-11-23,18950.00000,CE,5.0000,M,N,N,N,NA,A,0,0,0,0,0,0,0,4500.4000,3369.3000,1756,
";
