//! Instruments a trader recognises: the simulator starts their walks at
//! realistic levels on their real tick sizes, and `watch` shows their trading
//! symbols. Bands are late-2025 levels; the walk then moves freely.

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
    }
}

use ExchangeSegment::{BseEq, IdxI, NseEq};

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
            assert!(a.low > 0.0 && a.low < a.high && a.tick > 0.0, "{a:?}");
            assert!(KNOWN[i + 1..].iter().all(|b| b.id != a.id), "{a:?} twice");
        }
        assert_eq!(symbol_of("IDX_I:13".parse().unwrap()), Some("NIFTY"));
        assert_eq!(symbol_of("NSE_EQ:999999".parse().unwrap()), None);
    }
}
