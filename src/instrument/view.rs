//! [`Instrument`]: a view of one row of the master with typed trading fields.

use std::fmt;

use super::arena::Arena;
use super::date::Date;
use super::fields::{
    BuySellIndicator, Exchange, ExpiryFlag, Flag, InstrumentKind, OptionType, SegmentCode,
};
use super::row::{N, Row, S};
use crate::proto::{ExchangeSegment, InstrumentId};

/// One instrument of the master: a `Copy` view borrowing the loaded master.
///
/// Every field of the Ruby guide's instrument is an accessor here, typed: codes are
/// enums that keep unknown codes verbatim, dates are [`Date`]s, and whatever the
/// file can leave out is an `Option`. The file's sentinels read as `None`:
/// `0001-01-01` and empty dates, `XX` option types, `NA` texts and flags, and
/// zero or negative (`-0.01`) strikes. Margin percentages and leverage keep the
/// file's `0` (which means "none").
///
/// Units: prices (strike, upper and lower limits) are rupees; the tick size is
/// as the file has it ([`tick_size`](Self::tick_size): paise on tradable rows,
/// rupees on index rows) and in rupees from
/// [`tick_size_rupees`](Self::tick_size_rupees); lot size and freeze quantity are
/// units of the instrument (shares, contracts' underlying units); margins are
/// percent; MTF leverage is a multiple.
///
/// To subscribe it on any feed, use [`id`](Self::id).
#[derive(Clone, Copy)]
pub struct Instrument<'a> {
    arena: &'a Arena,
    row: &'a Row,
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

impl<'a> Instrument<'a> {
    pub(crate) fn new(arena: &'a Arena, row: &'a Row) -> Self {
        Self { arena, row }
    }

    pub(crate) fn row(&self) -> &'a Row {
        self.row
    }

    #[inline]
    fn sym(&self, s: S) -> &'a str {
        self.arena.sym(self.row.sym(s))
    }

    /// The underlying symbol, empty when absent (for matching).
    #[inline]
    pub(crate) fn underlying_text(&self) -> &'a str {
        self.sym(S::UnderlyingSymbol)
    }

    /// What to subscribe on a feed: the feed segment and the security id.
    #[inline]
    pub fn id(&self) -> InstrumentId {
        InstrumentId::new(self.row.segment, self.row.security_id)
    }

    /// Dhan's security id (`SECURITY_ID`).
    #[inline]
    pub fn security_id(&self) -> u32 {
        self.row.security_id
    }

    /// The exchange (`EXCH_ID`).
    pub fn exchange(&self) -> Exchange<'a> {
        Exchange::parse(self.sym(S::Exchange))
    }

    /// The segment code (`SEGMENT`: E, D, C, M or I).
    pub fn segment(&self) -> SegmentCode<'a> {
        SegmentCode::parse(self.sym(S::Segment))
    }

    /// The feed segment, derived from the exchange and segment code (`NSE`,`I` →
    /// `IDX_I`, …).
    #[inline]
    pub fn exchange_segment(&self) -> ExchangeSegment {
        self.row.segment
    }

    /// The symbol name (`SYMBOL_NAME`), e.g. `RELIANCE INDUSTRIES LTD` or
    /// `NIFTY-Nov2026-18950-CE`.
    pub fn symbol_name(&self) -> &'a str {
        self.arena.get(self.row.symbol_name)
    }

    /// The underlying symbol (`UNDERLYING_SYMBOL`), e.g. `RELIANCE` or `NIFTY`.
    ///
    /// The compact file has no such column; its `SEM_TRADING_SYMBOL` is used, which
    /// is the underlying for equities and indices and the contract's trading symbol
    /// for derivatives.
    pub fn underlying_symbol(&self) -> Option<&'a str> {
        opt(self.underlying_text())
    }

    /// The underlying's security id (`UNDERLYING_SECURITY_ID`; detailed file only).
    /// Note NIFTY derivatives point at 26000, not the index's 13.
    pub fn underlying_security_id(&self) -> Option<u32> {
        self.row.underlying_security_id
    }

    /// The display name (`DISPLAY_NAME`; compact `SEM_CUSTOM_SYMBOL`).
    pub fn display_name(&self) -> Option<&'a str> {
        opt(self.arena.get(self.row.display_name))
    }

    /// The ISIN; `None` for derivatives and indices (`NA`) and in the compact file.
    pub fn isin(&self) -> Option<&'a str> {
        opt(self.arena.get(self.row.isin))
    }

    /// The instrument (`INSTRUMENT`), e.g. `EQUITY`, `OPTIDX`.
    pub fn instrument(&self) -> Option<InstrumentKind<'a>> {
        opt(self.sym(S::Instrument)).map(InstrumentKind::parse)
    }

    /// The exchange's instrument type (`INSTRUMENT_TYPE`), e.g. `ES`, `OP`, `FUT`.
    pub fn instrument_type(&self) -> Option<&'a str> {
        opt(self.sym(S::InstrumentType))
    }

    /// The series (`SERIES`), e.g. `EQ`; `None` for `NA`.
    pub fn series(&self) -> Option<&'a str> {
        opt(self.sym(S::Series))
    }

    /// The lot size (`LOT_SIZE`), in units.
    pub fn lot_size(&self) -> Option<f64> {
        self.row.num(N::LotSize)
    }

    /// The tick size (`TICK_SIZE`) exactly as in the file: paise on tradable rows
    /// (5.0 = ₹0.05), rupees on index rows (0.05). For rupees whatever the row,
    /// use [`tick_size_rupees`](Self::tick_size_rupees).
    pub fn tick_size(&self) -> Option<f64> {
        self.row.num(N::TickSize)
    }

    /// The tick size in rupees. Index rows (`SEGMENT` `I`) carry rupees (`0.05`);
    /// every tradable segment carries paise: equity and derivatives `5.0` or
    /// `10.0` (₹0.05, ₹0.10), currency `0.25` (USDINR's ₹0.0025), commodity
    /// `100.0` (MCX CRUDEOIL's and GOLD's ₹1). `None` without a tick size, or for
    /// a segment code this crate does not know (its unit is unknown too).
    pub fn tick_size_rupees(&self) -> Option<f64> {
        let raw = self.tick_size()?;
        match self.segment() {
            SegmentCode::Index => Some(raw),
            SegmentCode::Equity
            | SegmentCode::Derivatives
            | SegmentCode::Currency
            | SegmentCode::Commodity => Some(raw / 100.0),
            SegmentCode::Other(_) => None,
        }
    }

    /// The expiry cycle (`EXPIRY_FLAG`); `None` when `NA` or empty.
    pub fn expiry_flag(&self) -> Option<ExpiryFlag<'a>> {
        opt(self.sym(S::ExpiryFlag)).map(ExpiryFlag::parse)
    }

    /// The expiry date (`SM_EXPIRY_DATE`); `None` for non-expiring rows
    /// (`0001-01-01` or empty).
    pub fn expiry_date(&self) -> Option<Date> {
        Date::unpack(self.row.expiry)
    }

    /// The strike (`STRIKE_PRICE`); `None` unless positive (`-0.01` on futures).
    pub fn strike_price(&self) -> Option<f64> {
        self.row.num(N::StrikePrice)
    }

    /// Call or put (`OPTION_TYPE`); `None` for non-options (`XX`).
    pub fn option_type(&self) -> Option<OptionType<'a>> {
        opt(self.sym(S::OptionType)).map(OptionType::parse)
    }

    /// Whether bracket orders are allowed (`BRACKET_FLAG`).
    pub fn bracket_flag(&self) -> Option<Flag<'a>> {
        opt(self.sym(S::BracketFlag)).map(Flag::parse)
    }

    /// Whether cover orders are allowed (`COVER_FLAG`).
    pub fn cover_flag(&self) -> Option<Flag<'a>> {
        opt(self.sym(S::CoverFlag)).map(Flag::parse)
    }

    /// Whether an ASM/GSM surveillance measure applies (`ASM_GSM_FLAG`).
    pub fn asm_gsm_flag(&self) -> Option<Flag<'a>> {
        opt(self.sym(S::AsmGsmFlag)).map(Flag::parse)
    }

    /// The ASM/GSM category (`ASM_GSM_CATEGORY`); `None` for `NA`.
    pub fn asm_gsm_category(&self) -> Option<&'a str> {
        opt(self.sym(S::AsmGsmCategory))
    }

    /// Whether the instrument can be bought and sold (`BUY_SELL_INDICATOR`).
    pub fn buy_sell_indicator(&self) -> Option<BuySellIndicator<'a>> {
        opt(self.sym(S::BuySellIndicator)).map(BuySellIndicator::parse)
    }

    /// Minimum margin of a buy cover order, percent (`BUY_CO_MIN_MARGIN_PER`).
    pub fn buy_co_min_margin_per(&self) -> Option<f64> {
        self.row.num(N::BuyCoMinMarginPer)
    }

    /// Minimum margin of a sell cover order, percent (`SELL_CO_MIN_MARGIN_PER`;
    /// absent from the live detailed file, so usually `None`).
    pub fn sell_co_min_margin_per(&self) -> Option<f64> {
        self.row.num(N::SellCoMinMarginPer)
    }

    /// Margin Trading Facility leverage (`MTF_LEVERAGE`); `0` means no MTF.
    pub fn mtf_leverage(&self) -> Option<f64> {
        self.row.num(N::MtfLeverage)
    }

    /// Upper price band (`SM_UPPER_LIMIT`), rupees.
    pub fn upper_limit(&self) -> Option<f64> {
        self.row.num(N::UpperLimit)
    }

    /// Lower price band (`SM_LOWER_LIMIT`), rupees.
    pub fn lower_limit(&self) -> Option<f64> {
        self.row.num(N::LowerLimit)
    }

    /// Largest quantity one order may carry (`SM_FREEZE_QTY`).
    pub fn freeze_quantity(&self) -> Option<f64> {
        self.row.num(N::FreezeQty)
    }

    /// The 1-based line of the row in the file it was loaded from.
    pub fn line(&self) -> u64 {
        u64::from(self.row.line)
    }

    /// Whether `BUY_SELL_INDICATOR` is `A` (trading allowed).
    pub fn is_tradable(&self) -> bool {
        matches!(self.buy_sell_indicator(), Some(BuySellIndicator::Allowed))
    }

    /// Whether `BRACKET_FLAG` is `Y`.
    pub fn bracket_allowed(&self) -> bool {
        self.bracket_flag().is_some_and(|f| f.is_yes())
    }

    /// Whether `COVER_FLAG` is `Y`.
    pub fn cover_allowed(&self) -> bool {
        self.cover_flag().is_some_and(|f| f.is_yes())
    }

    /// Whether `ASM_GSM_FLAG` is `Y`.
    pub fn under_surveillance(&self) -> bool {
        self.asm_gsm_flag().is_some_and(|f| f.is_yes())
    }

    /// Whether the instrument expires (it has an expiry date).
    pub fn has_expiry(&self) -> bool {
        self.row.expiry != 0
    }
}

/// Two views are equal when they view the same row of the same master.
impl PartialEq for Instrument<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.row, other.row) && std::ptr::eq(self.arena, other.arena)
    }
}

impl Eq for Instrument<'_> {}

impl fmt::Debug for Instrument<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instrument")
            .field("id", &format_args!("{}", self.id()))
            .field("exchange", &self.exchange())
            .field("segment", &self.segment())
            .field("symbol_name", &self.symbol_name())
            .field("underlying_symbol", &self.underlying_symbol())
            .field("underlying_security_id", &self.underlying_security_id())
            .field("display_name", &self.display_name())
            .field("isin", &self.isin())
            .field("instrument", &self.instrument())
            .field("instrument_type", &self.instrument_type())
            .field("series", &self.series())
            .field("lot_size", &self.lot_size())
            .field("tick_size", &self.tick_size())
            .field("expiry_flag", &self.expiry_flag())
            .field("expiry_date", &self.expiry_date())
            .field("strike_price", &self.strike_price())
            .field("option_type", &self.option_type())
            .field("bracket_flag", &self.bracket_flag())
            .field("cover_flag", &self.cover_flag())
            .field("asm_gsm_flag", &self.asm_gsm_flag())
            .field("asm_gsm_category", &self.asm_gsm_category())
            .field("buy_sell_indicator", &self.buy_sell_indicator())
            .field("buy_co_min_margin_per", &self.buy_co_min_margin_per())
            .field("sell_co_min_margin_per", &self.sell_co_min_margin_per())
            .field("mtf_leverage", &self.mtf_leverage())
            .field("upper_limit", &self.upper_limit())
            .field("lower_limit", &self.lower_limit())
            .field("freeze_quantity", &self.freeze_quantity())
            .field("line", &self.line())
            .finish()
    }
}

/// `NSE_EQ:2885 RELIANCE INDUSTRIES LTD`: the feed id and the symbol name.
impl fmt::Display for Instrument<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.symbol_name())
    }
}
