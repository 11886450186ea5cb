//! Instruments a trader recognises: the simulator starts their walks at
//! realistic levels on their real tick sizes, and `watch` shows their trading
//! symbols. Bands are late-2025 levels; the walk then moves freely. Futures and
//! options (security ids of the simulator's own, not Dhan's, which change every
//! expiry) are priced from their underlying's walk at every step: a future at a
//! small premium, an option at its intrinsic value plus a time value that shrinks
//! away from the strike.

use crate::proto::segment::{ExchangeSegment, InstrumentId};

/// One well-known instrument.
#[derive(Clone, Copy, Debug)]
pub struct Known {
    /// The instrument.
    pub id: InstrumentId,
    /// Its trading symbol.
    pub symbol: &'static str,
    /// Where its price starts: somewhere in `[low, high]`.
    pub low: f64,
    /// See `low`.
    pub high: f64,
    /// Its tick size in rupees.
    pub tick: f64,
    /// What a future or an option derives from (`None` for the rest).
    pub derives: Option<Derives>,
}

/// A derivative's underlying and terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Derives {
    /// The underlying (a well-known index or stock).
    pub underlying: InstrumentId,
    /// Future or option.
    pub kind: DerivKind,
}

/// A future, or an option with its strike in rupees.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum DerivKind {
    /// A future.
    Future,
    /// A call at this strike.
    Call(f64),
    /// A put at this strike.
    Put(f64),
}

impl DerivKind {
    /// The price at underlying level `u`, on `tick`: a future 0.4 % over the
    /// underlying; an option its intrinsic value plus a time value of 0.8 % of
    /// the underlying at the strike, decaying with distance from it, never less
    /// than a tick.
    pub fn price(self, u: f64, tick: f64) -> f64 {
        let p = match self {
            Self::Future => u * 1.004,
            Self::Call(k) | Self::Put(k) => {
                let intrinsic = match self {
                    Self::Call(_) => (u - k).max(0.0),
                    _ => (k - u).max(0.0),
                };
                let time = u * 0.008 * (-(u - k).abs() / (u * 0.02)).exp();
                intrinsic + time
            }
        };
        ((p / tick).round() * tick).max(tick)
    }
}

const fn k(
    segment: ExchangeSegment,
    id: u32,
    symbol: &'static str,
    low: f64,
    high: f64,
    tick: f64,
) -> Known {
    Known {
        id: InstrumentId::new(segment, id),
        symbol,
        low,
        high,
        tick,
        derives: None,
    }
}

/// A derivative of `underlying`: its band is the underlying's, priced through `kind`.
const fn d(
    segment: ExchangeSegment,
    id: u32,
    symbol: &'static str,
    underlying: InstrumentId,
    kind: DerivKind,
    tick: f64,
) -> Known {
    Known {
        id: InstrumentId::new(segment, id),
        symbol,
        low: 0.0,
        high: 0.0,
        tick,
        derives: Some(Derives { underlying, kind }),
    }
}

const NIFTY: InstrumentId = InstrumentId::new(IdxI, 13);
const BANKNIFTY: InstrumentId = InstrumentId::new(IdxI, 25);
const RELIANCE: InstrumentId = InstrumentId::new(NseEq, 2885);

use ExchangeSegment::{BseEq, IdxI, NseEq, NseFno};

/// The table (the default instruments of `watch` and the examples among them).
pub const KNOWN: &[Known] = &[
    k(IdxI, 13, "NIFTY", 24_000.0, 26_000.0, 0.05),
    k(IdxI, 25, "BANKNIFTY", 50_000.0, 57_000.0, 0.05),
    k(IdxI, 27, "FINNIFTY", 23_000.0, 27_000.0, 0.05),
    k(IdxI, 29, "NIFTYIT", 35_000.0, 43_000.0, 0.05),
    k(IdxI, 51, "SENSEX", 80_000.0, 85_000.0, 0.05),
    k(NseEq, 2885, "RELIANCE", 1_300.0, 1_500.0, 0.10),
    k(NseEq, 11536, "TCS", 3_000.0, 4_200.0, 0.10),
    k(NseEq, 1333, "HDFCBANK", 950.0, 1_050.0, 0.05),
    k(NseEq, 1594, "INFY", 1_400.0, 1_700.0, 0.10),
    k(NseEq, 4963, "ICICIBANK", 1_300.0, 1_450.0, 0.10),
    k(NseEq, 3045, "SBIN", 780.0, 900.0, 0.05),
    k(BseEq, 500325, "RELIANCE", 1_300.0, 1_500.0, 0.05),
    k(BseEq, 532540, "TCS", 3_000.0, 4_200.0, 0.05),
    d(NseFno, 35001, "NIFTY FUT", NIFTY, DerivKind::Future, 0.10),
    d(
        NseFno,
        35002,
        "BANKNIFTY FUT",
        BANKNIFTY,
        DerivKind::Future,
        0.20,
    ),
    d(
        NseFno,
        35003,
        "RELIANCE FUT",
        RELIANCE,
        DerivKind::Future,
        0.10,
    ),
    d(
        NseFno,
        35101,
        "NIFTY 25000 CE",
        NIFTY,
        DerivKind::Call(25_000.0),
        0.05,
    ),
    d(
        NseFno,
        35102,
        "NIFTY 25000 PE",
        NIFTY,
        DerivKind::Put(25_000.0),
        0.05,
    ),
    d(
        NseFno,
        35103,
        "BANKNIFTY 54000 CE",
        BANKNIFTY,
        DerivKind::Call(54_000.0),
        0.05,
    ),
    d(
        NseFno,
        35104,
        "RELIANCE 1400 CE",
        RELIANCE,
        DerivKind::Call(1_400.0),
        0.05,
    ),
];

/// The entry for `id`, if it is a well-known instrument.
pub fn known(id: InstrumentId) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.id == id)
}

/// The trading symbol of a well-known instrument.
pub fn symbol_of(id: InstrumentId) -> Option<&'static str> {
    known(id).map(|k| k.symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_sane_and_ids_unique() {
        for (i, a) in KNOWN.iter().enumerate() {
            match a.derives {
                // A derivative's underlying is itself well known, not derived.
                Some(d) => assert!(known(d.underlying).is_some_and(|u| u.derives.is_none())),
                None => assert!(a.low > 0.0 && a.low < a.high, "{a:?}"),
            }
            assert!(a.tick > 0.0, "{a:?}");
            assert!(KNOWN[i + 1..].iter().all(|b| b.id != a.id), "{a:?} twice");
        }
        assert_eq!(symbol_of("IDX_I:13".parse().unwrap()), Some("NIFTY"));
        assert_eq!(symbol_of("NSE_EQ:999999".parse().unwrap()), None);
    }
}
