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

impl OrderStatus {
    /// Parses a status value (see the type's docs for what matches).
    pub fn parse(s: &str) -> Self {
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
