//! Exchange segments: the numeric byte of the binary headers and the string enum of
//! the JSON requests (docs/protocol.md §3.5).

use std::fmt;
use std::str::FromStr;

/// A Dhan exchange segment.
///
/// All eight documented segments are named; any other byte is kept as
/// [`ExchangeSegment::Unknown`] so that nothing read off the wire is lost.
/// Every `u8` maps to exactly one value; a segment Dhan adds later may get a name
/// of its own (so the enum is `#[non_exhaustive]`), until then it arrives as
/// `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ExchangeSegment {
    /// `IDX_I` (0): index values.
    IdxI,
    /// `NSE_EQ` (1): NSE equity cash.
    NseEq,
    /// `NSE_FNO` (2): NSE futures and options.
    NseFno,
    /// `NSE_CURRENCY` (3): NSE currency derivatives.
    NseCurrency,
    /// `BSE_EQ` (4): BSE equity cash.
    BseEq,
    /// `MCX_COMM` (5): MCX commodity.
    McxComm,
    /// `BSE_CURRENCY` (7): BSE currency derivatives.
    BseCurrency,
    /// `BSE_FNO` (8): BSE futures and options.
    BseFno,
    /// A numeric code with no documented meaning (6 is unused; anything above 8).
    Unknown(u8),
}

impl ExchangeSegment {
    /// The eight documented segments in numeric order.
    pub const ALL: [ExchangeSegment; 8] = [
        Self::IdxI,
        Self::NseEq,
        Self::NseFno,
        Self::NseCurrency,
        Self::BseEq,
        Self::McxComm,
        Self::BseCurrency,
        Self::BseFno,
    ];

    /// Maps the wire byte to a segment; unknown bytes are kept.
    ///
    /// By table, one load and no branch: as a `match` it compiled to a jump
    /// table, whose indirect jump stalls the decoder whenever its `.rodata` line
    /// has gone cold between messages.
    #[inline]
    pub const fn from_u8(code: u8) -> Self {
        FROM_U8[code as usize]
    }

    /// [`Self::from_u8`] as a `match`, to build the table.
    const fn from_u8_slow(code: u8) -> Self {
        match code {
            0 => Self::IdxI,
            1 => Self::NseEq,
            2 => Self::NseFno,
            3 => Self::NseCurrency,
            4 => Self::BseEq,
            5 => Self::McxComm,
            7 => Self::BseCurrency,
            8 => Self::BseFno,
            n => Self::Unknown(n),
        }
    }

    /// The wire byte of this segment.
    #[inline]
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::IdxI => 0,
            Self::NseEq => 1,
            Self::NseFno => 2,
            Self::NseCurrency => 3,
            Self::BseEq => 4,
            Self::McxComm => 5,
            Self::BseCurrency => 7,
            Self::BseFno => 8,
            Self::Unknown(n) => n,
        }
    }

    /// The JSON string form (`"NSE_EQ"`…), or `None` for an unknown code, which has none.
    pub const fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Self::IdxI => "IDX_I",
            Self::NseEq => "NSE_EQ",
            Self::NseFno => "NSE_FNO",
            Self::NseCurrency => "NSE_CURRENCY",
            Self::BseEq => "BSE_EQ",
            Self::McxComm => "MCX_COMM",
            Self::BseCurrency => "BSE_CURRENCY",
            Self::BseFno => "BSE_FNO",
            Self::Unknown(_) => return None,
        })
    }

    /// Parses the JSON string form exactly as Dhan spells it (upper case).
    ///
    /// A decimal number (`"2"`) is also accepted and maps through [`Self::from_u8`],
    /// so the numeric and string forms round-trip for every segment, known or not.
    pub fn from_name(name: &str) -> Option<Self> {
        let seg = match name {
            "IDX_I" => Self::IdxI,
            "NSE_EQ" => Self::NseEq,
            "NSE_FNO" => Self::NseFno,
            "NSE_CURRENCY" => Self::NseCurrency,
            "BSE_EQ" => Self::BseEq,
            "MCX_COMM" => Self::McxComm,
            "BSE_CURRENCY" => Self::BseCurrency,
            "BSE_FNO" => Self::BseFno,
            other => return other.parse::<u8>().ok().map(Self::from_u8),
        };
        Some(seg)
    }

    /// Whether this is one of the eight documented segments.
    pub const fn is_known(self) -> bool {
        !matches!(self, Self::Unknown(_))
    }
}

/// [`ExchangeSegment::from_u8`] for every byte.
const FROM_U8: [ExchangeSegment; 256] = {
    let mut table = [ExchangeSegment::Unknown(0); 256];
    let mut code = 0;
    while code < 256 {
        table[code] = ExchangeSegment::from_u8_slow(code as u8);
        code += 1;
    }
    table
};

impl From<u8> for ExchangeSegment {
    fn from(code: u8) -> Self {
        Self::from_u8(code)
    }
}

impl From<ExchangeSegment> for u8 {
    fn from(seg: ExchangeSegment) -> u8 {
        seg.as_u8()
    }
}

/// Prints the string form, or the number for an unknown segment.
impl fmt::Display for ExchangeSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => f.write_str(s),
            None => write!(f, "{}", self.as_u8()),
        }
    }
}

/// The error of parsing an [`ExchangeSegment`] from text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown exchange segment {0:?}: expected one of IDX_I, NSE_EQ, NSE_FNO, NSE_CURRENCY, BSE_EQ, MCX_COMM, BSE_CURRENCY, BSE_FNO or a number 0-255"
)]
pub struct ParseSegmentError(pub String);

impl FromStr for ExchangeSegment {
    type Err = ParseSegmentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| ParseSegmentError(s.to_owned()))
    }
}

/// An instrument on the wire: its exchange segment and Dhan security id.
///
/// The security id is `i32` in the official docs and `u32` in the Python SDK; ids are
/// non-negative in practice, so it is kept as `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrumentId {
    /// Exchange segment.
    pub segment: ExchangeSegment,
    /// Dhan security id.
    pub security_id: u32,
}

impl InstrumentId {
    /// Builds an instrument id.
    pub const fn new(segment: ExchangeSegment, security_id: u32) -> Self {
        Self {
            segment,
            security_id,
        }
    }
}

impl fmt::Display for InstrumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.segment, self.security_id)
    }
}

/// The error of parsing an [`InstrumentId`] from `SEGMENT:ID` text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad instrument {0:?}: expected SEGMENT:SECURITY_ID, e.g. NSE_EQ:2885")]
pub struct ParseInstrumentError(pub String);

/// Parses `SEGMENT:ID`, e.g. `NSE_EQ:2885` or `IDX_I:13`.
impl FromStr for InstrumentId {
    type Err = ParseInstrumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseInstrumentError(s.to_owned());
        let (seg, id) = s.split_once(':').ok_or_else(err)?;
        let segment = ExchangeSegment::from_name(seg).ok_or_else(err)?;
        let security_id = id.parse().map_err(|_| err())?;
        Ok(Self {
            segment,
            security_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_through_number_and_text() {
        for n in 0..=255u8 {
            let seg = ExchangeSegment::from_u8(n);
            assert_eq!(seg.as_u8(), n);
            let text = seg.to_string();
            assert_eq!(text.parse::<ExchangeSegment>().unwrap(), seg, "{text}");
        }
    }

    #[test]
    fn documented_codes_and_names() {
        let expect = [
            (0, "IDX_I"),
            (1, "NSE_EQ"),
            (2, "NSE_FNO"),
            (3, "NSE_CURRENCY"),
            (4, "BSE_EQ"),
            (5, "MCX_COMM"),
            (7, "BSE_CURRENCY"),
            (8, "BSE_FNO"),
        ];
        for (n, name) in expect {
            let seg = ExchangeSegment::from_u8(n);
            assert_eq!(seg.as_str(), Some(name));
            assert!(seg.is_known());
        }
        assert_eq!(ExchangeSegment::from_u8(6), ExchangeSegment::Unknown(6));
        assert_eq!(ExchangeSegment::Unknown(6).as_str(), None);
        assert!("nse_eq".parse::<ExchangeSegment>().is_err());
    }

    #[test]
    fn instrument_text_form() {
        let id: InstrumentId = "NSE_EQ:2885".parse().unwrap();
        assert_eq!(id, InstrumentId::new(ExchangeSegment::NseEq, 2885));
        assert_eq!(id.to_string(), "NSE_EQ:2885");
        assert!("NSE_EQ".parse::<InstrumentId>().is_err());
        assert!("NSE_EQ:-1".parse::<InstrumentId>().is_err());
        assert!("XYZ:1".parse::<InstrumentId>().is_err());
    }
}
