//! Typed values of the master's code columns: exchanges, segment codes, instrument
//! kinds, option types and the trading flags.
//!
//! Each enum names the codes seen in Dhan's files and keeps anything else verbatim
//! in `Other`, so nothing read from the file is lost.

use std::fmt;

use crate::proto::ExchangeSegment;

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name<'a> {
            $( $(#[$vmeta])* $variant, )+
            /// Any other code, verbatim.
            Other(&'a str),
        }

        impl<'a> $name<'a> {
            /// Maps a code from the file (exact, upper case) to its variant.
            pub fn parse(code: &'a str) -> Self {
                match code {
                    $( $code => Self::$variant, )+
                    other => Self::Other(other),
                }
            }

            /// The code as written in the file.
            pub fn as_str(&self) -> &'a str {
                match self {
                    $( Self::$variant => $code, )+
                    Self::Other(s) => s,
                }
            }
        }

        /// Prints the code as written in the file.
        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum! {
    /// The exchange (`EXCH_ID`).
    Exchange {
        /// National Stock Exchange.
        Nse = "NSE",
        /// BSE.
        Bse = "BSE",
        /// Multi Commodity Exchange.
        Mcx = "MCX",
    }
}

code_enum! {
    /// The segment code (`SEGMENT`): what kind of market within the exchange.
    SegmentCode {
        /// `E`: equity cash.
        Equity = "E",
        /// `D`: derivatives (futures and options).
        Derivatives = "D",
        /// `C`: currency.
        Currency = "C",
        /// `M`: commodity.
        Commodity = "M",
        /// `I`: index (in real files though not in Dhan's column table).
        Index = "I",
    }
}

code_enum! {
    /// The instrument (`INSTRUMENT`), e.g. `EQUITY` or `OPTIDX`; distinct from the
    /// exchange's instrument type (`INSTRUMENT_TYPE`, e.g. `ES` or `OP`).
    InstrumentKind {
        /// Equity share.
        Equity = "EQUITY",
        /// Index value.
        Index = "INDEX",
        /// Index future.
        FutIdx = "FUTIDX",
        /// Index option.
        OptIdx = "OPTIDX",
        /// Stock future.
        FutStk = "FUTSTK",
        /// Stock option.
        OptStk = "OPTSTK",
        /// Currency future.
        FutCur = "FUTCUR",
        /// Currency option.
        OptCur = "OPTCUR",
        /// Commodity future.
        FutCom = "FUTCOM",
        /// Option on a commodity future.
        OptFut = "OPTFUT",
    }
}

impl InstrumentKind<'_> {
    /// Whether this is a future or an option (anything starting `FUT` or `OPT`).
    pub fn is_derivative(&self) -> bool {
        let s = self.as_str();
        s.starts_with("FUT") || s.starts_with("OPT")
    }
}

code_enum! {
    /// The option type (`OPTION_TYPE`); the file's `XX` for "not an option" is
    /// `None` at the accessor.
    OptionType {
        /// `CE`: call.
        Call = "CE",
        /// `PE`: put.
        Put = "PE",
    }
}

code_enum! {
    /// A yes/no column (`BRACKET_FLAG`, `COVER_FLAG`, `ASM_GSM_FLAG`).
    Flag {
        /// `Y`.
        Yes = "Y",
        /// `N`.
        No = "N",
    }
}

impl Flag<'_> {
    /// Whether the flag is `Y`.
    pub fn is_yes(&self) -> bool {
        matches!(self, Self::Yes)
    }
}

code_enum! {
    /// The expiry flag (`EXPIRY_FLAG`): which expiry cycle a derivative is on. The
    /// file's `NA` (no expiry) is `None` at the accessor.
    ExpiryFlag {
        /// `M`: monthly expiry.
        Monthly = "M",
        /// `W`: weekly expiry.
        Weekly = "W",
        /// `Y`: has an expiry (the form the Ruby guide shows).
        Yes = "Y",
        /// `N`: no expiry.
        No = "N",
    }
}

code_enum! {
    /// Whether the instrument can be traded (`BUY_SELL_INDICATOR`).
    BuySellIndicator {
        /// `A`: buying and selling allowed.
        Allowed = "A",
        /// `N`: not allowed.
        NotAllowed = "N",
    }
}

/// The feed segment of an (exchange, segment code) pair, per the Ruby gem's
/// `SEGMENT_MAP` (docs/protocol.md §8); `None` for a pair no feed covers.
pub fn feed_segment(exchange: &str, segment: &str) -> Option<ExchangeSegment> {
    Some(match (exchange, segment) {
        ("NSE", "E") => ExchangeSegment::NseEq,
        ("BSE", "E") => ExchangeSegment::BseEq,
        ("NSE", "D") => ExchangeSegment::NseFno,
        ("BSE", "D") => ExchangeSegment::BseFno,
        ("NSE", "C") => ExchangeSegment::NseCurrency,
        ("BSE", "C") => ExchangeSegment::BseCurrency,
        ("MCX", "M") => ExchangeSegment::McxComm,
        ("NSE" | "BSE", "I") => ExchangeSegment::IdxI,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_keep_unknowns() {
        assert_eq!(Exchange::parse("NSE"), Exchange::Nse);
        assert_eq!(Exchange::parse("NCDEX"), Exchange::Other("NCDEX"));
        assert_eq!(Exchange::parse("NCDEX").as_str(), "NCDEX");
        assert_eq!(SegmentCode::parse("I"), SegmentCode::Index);
        assert_eq!(InstrumentKind::parse("OPTIDX"), InstrumentKind::OptIdx);
        assert!(InstrumentKind::parse("OPTIDX").is_derivative());
        assert!(InstrumentKind::parse("OPTBLN").is_derivative());
        assert!(!InstrumentKind::Equity.is_derivative());
        assert_eq!(OptionType::parse("PE").to_string(), "PE");
        assert!(Flag::parse("Y").is_yes());
        assert!(!Flag::parse("R").is_yes());
        assert_eq!(ExpiryFlag::parse("W"), ExpiryFlag::Weekly);
        assert_eq!(BuySellIndicator::parse("A"), BuySellIndicator::Allowed);
    }

    #[test]
    fn segment_map_matches_the_reference() {
        use ExchangeSegment::*;
        let table = [
            ("NSE", "E", Some(NseEq)),
            ("BSE", "E", Some(BseEq)),
            ("NSE", "D", Some(NseFno)),
            ("BSE", "D", Some(BseFno)),
            ("NSE", "C", Some(NseCurrency)),
            ("BSE", "C", Some(BseCurrency)),
            ("MCX", "M", Some(McxComm)),
            ("NSE", "I", Some(IdxI)),
            ("BSE", "I", Some(IdxI)),
            ("NSE", "M", None),
            ("MCX", "D", None),
        ];
        for (ex, seg, want) in table {
            assert_eq!(feed_segment(ex, seg), want, "{ex},{seg}");
        }
    }
}
