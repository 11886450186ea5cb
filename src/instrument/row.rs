//! The compact per-row record the master stores (about 180 bytes a row); the public
//! view of it is [`super::Instrument`].

use super::arena::{Span, Sym};
use crate::proto::ExchangeSegment;

/// Interned code columns of a row, indexes into [`Row::syms`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum S {
    Exchange,
    Segment,
    UnderlyingSymbol,
    Instrument,
    InstrumentType,
    Series,
    OptionType,
    ExpiryFlag,
    BracketFlag,
    CoverFlag,
    AsmGsmFlag,
    AsmGsmCategory,
    BuySellIndicator,
}

/// Number of [`S`] slots.
pub(crate) const SYMS: usize = 13;

/// Numeric columns of a row, indexes into [`Row::nums`]; `NaN` means absent.
#[derive(Clone, Copy, Debug)]
pub(crate) enum N {
    LotSize,
    TickSize,
    StrikePrice,
    BuyCoMinMarginPer,
    SellCoMinMarginPer,
    MtfLeverage,
    UpperLimit,
    LowerLimit,
    FreezeQty,
}

/// Number of [`N`] slots.
pub(crate) const NUMS: usize = 9;

/// One instrument as stored.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) security_id: u32,
    /// 1-based line number in the source file (saturating).
    pub(crate) line: u32,
    pub(crate) underlying_security_id: Option<u32>,
    /// [`super::Date::pack`], 0 when absent.
    pub(crate) expiry: u32,
    pub(crate) segment: ExchangeSegment,
    pub(crate) symbol_name: Span,
    pub(crate) display_name: Span,
    pub(crate) isin: Span,
    pub(crate) syms: [Sym; SYMS],
    pub(crate) nums: [f64; NUMS],
}

impl Row {
    /// The interned code in slot `s`.
    #[inline]
    pub(crate) fn sym(&self, s: S) -> Sym {
        self.syms[s as usize]
    }

    /// The number in slot `n`, `None` when absent.
    #[inline]
    pub(crate) fn num(&self, n: N) -> Option<f64> {
        let v = self.nums[n as usize];
        (!v.is_nan()).then_some(v)
    }
}
