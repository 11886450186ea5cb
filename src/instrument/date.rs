//! A calendar date as the master writes it (`YYYY-MM-DD`), without a date crate.

use std::fmt;
use std::str::FromStr;

/// A valid proleptic-Gregorian calendar date, e.g. an expiry date.
///
/// Ordered chronologically. Parsed from `YYYY-MM-DD`, optionally followed by a time
/// (`2026-09-29 14:30:00` or `2026-09-29T14:30:00`), which is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// The error of parsing a [`Date`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad date {0:?}: expected YYYY-MM-DD")]
pub struct ParseDateError(pub String);

const fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date, or `None` if it does not exist (month 13, 30 February, year 0…).
    pub const fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        if year == 0 || year > 9999 || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// The year (1–9999).
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month (1–12).
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month (1–31).
    pub const fn day(self) -> u8 {
        self.day
    }

    /// Packs the date into a non-zero `u32` that orders like the date.
    pub(crate) const fn pack(self) -> u32 {
        (self.year as u32) << 9 | (self.month as u32) << 5 | self.day as u32
    }

    /// Inverse of [`Date::pack`]; `0` (and anything invalid) is `None`.
    pub(crate) const fn unpack(v: u32) -> Option<Self> {
        Self::new((v >> 9) as u16, ((v >> 5) & 0xF) as u8, (v & 0x1F) as u8)
    }

    /// Days since 1970-01-01 (negative before), for differences between dates.
    pub const fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = self.year as i64 - (self.month <= 2) as i64;
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Parses the leading `YYYY-MM-DD` of `s`; the rest must be empty or start with
    /// a space or `T` (a time, ignored).
    pub fn parse_prefix(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        if b.len() > 10 && b[10] != b' ' && b[10] != b'T' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u16> {
            b[r].iter().try_fold(0u16, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        };
        let year = num(0..4)?;
        let month = u8::try_from(num(5..7)?).ok()?;
        let day = u8::try_from(num(8..10)?).ok()?;
        Self::new(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = ParseDateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_prefix(s.trim()).ok_or_else(|| ParseDateError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_validates_and_prints() {
        let d: Date = "2026-11-23".parse().unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2026, 11, 23));
        assert_eq!(d.to_string(), "2026-11-23");
        assert_eq!(
            "2026-09-29 14:30:00".parse::<Date>().unwrap(),
            Date::new(2026, 9, 29).unwrap()
        );
        assert_eq!(
            "2026-09-29T14:30".parse::<Date>().unwrap(),
            Date::new(2026, 9, 29).unwrap()
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "0000-01-01",
            "2026/01/01",
            "26-01-01",
            "2026-01-01x",
            "",
            "2026-1-01",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert!("2028-02-29".parse::<Date>().is_ok());
        assert!("2000-02-29".parse::<Date>().is_ok());
        assert!("1900-02-29".parse::<Date>().is_err());
    }

    #[test]
    fn pack_round_trips_and_orders() {
        let a = Date::new(2026, 9, 29).unwrap();
        let b = Date::new(2026, 11, 23).unwrap();
        assert_eq!(Date::unpack(a.pack()), Some(a));
        assert!(a.pack() < b.pack() && a < b);
        assert_eq!(Date::unpack(0), None);
        assert!(Date::new(1, 1, 1).unwrap().pack() > 0);
    }

    #[test]
    fn days_since_epoch() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        let a = Date::new(2026, 9, 29).unwrap().days_since_epoch();
        let b = Date::new(2026, 11, 23).unwrap().days_since_epoch();
        assert_eq!(b - a, 55);
    }
}
