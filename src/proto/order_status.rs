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
                return Self::Unknown(Text::new(s));
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
            _ => Self::Unknown(Text::new(s)),
        }
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
