//! Order status values of the order-update feed, compared case-insensitively.

use super::text::Text;
use std::fmt;

/// An order's status. Parsing ignores case, spaces, `_` and `-`, so `"Cancelled"`,
/// `"CANCELLED"` and `"cancelled"` agree, as do `"PART_TRADED"` and `"PartTraded"`.
/// Anything else is kept as [`OrderStatus::Unknown`] with its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Not yet present in the message (the default).
    #[default]
    Missing,
    /// In transit to the exchange.
    Transit,
    /// Open at the exchange.
    Pending,
    /// Rejected.
    Rejected,
    /// Cancelled.
    Cancelled,
    /// Fully traded.
    Traded,
    /// Expired.
    Expired,
    /// Partly traded.
    PartTraded,
    /// Triggered (super orders).
    Triggered,
    /// Closed (super orders).
    Closed,
    /// Modified.
    Modified,
    /// Any other value, kept as sent.
    Unknown(Text<24>),
}

/// The named statuses, in [`SPELLED`]'s order.
const NAMED: [OrderStatus; 10] = [
    OrderStatus::Transit,
    OrderStatus::Pending,
    OrderStatus::Rejected,
    OrderStatus::Cancelled,
    OrderStatus::Traded,
    OrderStatus::Expired,
    OrderStatus::PartTraded,
    OrderStatus::Triggered,
    OrderStatus::Closed,
    OrderStatus::Modified,
];

/// A canonical spelling as [`ends`] reads it, lower case, with the case bit of
/// its letters.
struct Spelled {
    len: usize,
    word: (u64, u64),
    case: (u64, u64),
}

/// [`NAMED`] spelled as [`OrderStatus::as_str`] does.
const SPELLED: [Spelled; 10] = {
    const fn spell(s: &str) -> Spelled {
        let b = s.as_bytes();
        let mut lower = [0u8; 16];
        let mut case = [0u8; 16];
        let mut i = 0;
        while i < b.len() {
            let letter = b[i].is_ascii_alphabetic();
            lower[i] = if letter { b[i] | 0x20 } else { b[i] };
            case[i] = if letter { 0x20 } else { 0 };
            i += 1;
        }
        Spelled {
            len: b.len(),
            word: ends(lower.split_at(b.len()).0),
            case: ends(case.split_at(b.len()).0),
        }
    }
    [
        spell("TRANSIT"),
        spell("PENDING"),
        spell("REJECTED"),
        spell("CANCELLED"),
        spell("TRADED"),
        spell("EXPIRED"),
        spell("PART_TRADED"),
        spell("TRIGGERED"),
        spell("CLOSED"),
        spell("MODIFIED"),
    ]
};

/// The first and last eight bytes of `b` (4 to 16 bytes; four each below
/// eight), little-endian: overlapping words that together hold every byte.
const fn ends(b: &[u8]) -> (u64, u64) {
    const fn word(b: &[u8], at: usize, n: usize) -> u64 {
        let mut w = 0u64;
        let mut i = 0;
        while i < n {
            w |= (b[at + i] as u64) << (8 * i);
            i += 1;
        }
        w
    }
    let n = b.len();
    if n >= 8 {
        (word(b, 0, 8), word(b, n - 8, 8))
    } else {
        (word(b, 0, 4), word(b, n - 4, 4))
    }
}

impl OrderStatus {
    /// Parses a status value (see the type's docs for what matches).
    pub fn parse(s: &str) -> Self {
        // The canonical spellings (Dhan's) first, in any letter case: two
        // overlapping words compared with the case bit set on letters only;
        // anything else is normalised below.
        let b = s.as_bytes();
        if (6..=16).contains(&b.len()) {
            let (lo, hi) = ends(b);
            for (named, spelled) in NAMED.iter().zip(&SPELLED) {
                if spelled.len == b.len()
                    && lo | spelled.case.0 == spelled.word.0
                    && hi | spelled.case.1 == spelled.word.1
                {
                    return *named;
                }
            }
        }
        Self::parse_normalised(s)
    }

    /// [`OrderStatus::parse`] after dropping separators and case.
    fn parse_normalised(s: &str) -> Self {
        let mut norm = [0u8; 16];
        let mut n = 0;
        for b in s.bytes() {
            if matches!(b, b'_' | b' ' | b'-') {
                continue;
            }
            if n == norm.len() {
                return Self::unknown(s);
            }
            norm[n] = b.to_ascii_uppercase();
            n += 1;
        }
        match &norm[..n] {
            b"" => Self::Missing,
            b"TRANSIT" => Self::Transit,
            b"PENDING" => Self::Pending,
            b"REJECTED" => Self::Rejected,
            b"CANCELLED" | b"CANCELED" => Self::Cancelled,
            b"TRADED" => Self::Traded,
            b"EXPIRED" => Self::Expired,
            b"PARTTRADED" => Self::PartTraded,
            b"TRIGGERED" => Self::Triggered,
            b"CLOSED" => Self::Closed,
            b"MODIFIED" => Self::Modified,
            _ => Self::unknown(s),
        }
    }

    /// An unknown value, kept as sent; one too long for its 24 bytes is cut
    /// and marked with `…`, so that the kept text never reads as another status
    /// (cut, `"-------------------------TRADEDX"` would read as `TRADED`).
    fn unknown(s: &str) -> Self {
        const CAP: usize = 24;
        if s.len() <= CAP {
            return Self::Unknown(Text::new(s));
        }
        let mark = "…";
        let mut end = CAP - mark.len();
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let mut buf = [0u8; CAP];
        buf[..end].copy_from_slice(&s.as_bytes()[..end]);
        buf[end..end + mark.len()].copy_from_slice(mark.as_bytes());
        let kept = std::str::from_utf8(&buf[..end + mark.len()]).unwrap_or("…");
        Self::Unknown(Text::new(kept))
    }

    /// The canonical upper-case form (`"PART_TRADED"`), or the text of an unknown value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Missing => "",
            Self::Transit => "TRANSIT",
            Self::Pending => "PENDING",
            Self::Rejected => "REJECTED",
            Self::Cancelled => "CANCELLED",
            Self::Traded => "TRADED",
            Self::Expired => "EXPIRED",
            Self::PartTraded => "PART_TRADED",
            Self::Triggered => "TRIGGERED",
            Self::Closed => "CLOSED",
            Self::Modified => "MODIFIED",
            Self::Unknown(t) => t.as_str(),
        }
    }

    /// Whether no further update is expected (traded, rejected, cancelled, expired, closed).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Traded | Self::Rejected | Self::Cancelled | Self::Expired | Self::Closed
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_separator_insensitive() {
        for s in ["Cancelled", "CANCELLED", "cancelled", "Canceled"] {
            assert_eq!(OrderStatus::parse(s), OrderStatus::Cancelled, "{s}");
        }
        for s in ["PART_TRADED", "PartTraded", "part traded", "Part-Traded"] {
            assert_eq!(OrderStatus::parse(s), OrderStatus::PartTraded, "{s}");
        }
        assert_eq!(OrderStatus::parse("Transit"), OrderStatus::Transit);
        let u = OrderStatus::parse("Wibble");
        assert_eq!(u.as_str(), "Wibble");
        assert!(matches!(u, OrderStatus::Unknown(_)));
        let long = OrderStatus::parse("SOMETHING_VERY_LONG_INDEED_TOO_LONG");
        assert!(matches!(long, OrderStatus::Unknown(_)));
    }

    /// The fast path's table spells each status as `as_str` does (a drift would
    /// not change results, only send that status the slow way).
    #[test]
    fn the_spelled_table_matches_as_str() {
        for (named, spelled) in NAMED.iter().zip(&SPELLED) {
            let b = named.as_str().as_bytes();
            assert_eq!(spelled.len, b.len(), "{named:?}");
            let (lo, hi) = ends(b);
            assert_eq!(lo | spelled.case.0, spelled.word.0, "{named:?}");
            assert_eq!(hi | spelled.case.1, spelled.word.1, "{named:?}");
        }
    }

    #[test]
    fn every_named_status_round_trips() {
        use OrderStatus::*;
        for s in [
            Transit, Pending, Rejected, Cancelled, Traded, Expired, PartTraded, Triggered, Closed,
            Modified,
        ] {
            assert_eq!(OrderStatus::parse(s.as_str()), s);
        }
    }
}

#[cfg(test)]
mod round_trip_tests {
    use super::*;

    /// Found by the `order_json` fuzz target: a long unknown status was kept
    /// cut to 24 bytes, and the cut text read back as another status.
    #[test]
    fn a_long_unknown_status_reads_back_as_itself() {
        for s in [
            "-------------------------T_RTADED",
            "------------------TRADEDX",
            "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ",
        ] {
            let st = OrderStatus::parse(s);
            assert!(matches!(st, OrderStatus::Unknown(_)), "{s}: {st:?}");
            assert_eq!(OrderStatus::parse(st.as_str()), st, "{s}");
            assert!(st.as_str().len() <= 24);
        }
        assert_eq!(
            OrderStatus::parse("short-unknown").as_str(),
            "short-unknown"
        );
    }
}
