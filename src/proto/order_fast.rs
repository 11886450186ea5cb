//! The order parser's fast path: one pass over the bytes of an `order_alert`
//! object as Dhan sends it (a flat `Data` object of strings, numbers and
//! literals, a `Type` string), straight into the [`OrderUpdate`], with no tape.
//!
//! It accepts only what it fully validates: strings without escapes or control
//! bytes (UTF-8 checked), numbers in JSON's grammar that convert exactly (integers
//! of at most 18 digits, finite floats), `true`/`false`/`null`, and no nested
//! value anywhere but `Data`. Anything else, valid or not, returns `None` and the
//! caller falls back to the tape parser, which then decides, so both paths give
//! the same result for every input (`tests/order_fast.rs` and the `order_json`
//! fuzz target compare them).

use super::json::Scalar;
use super::order_update::{ORDER_ALERT, OrderError, OrderMessageKind, OrderUpdate};
use super::text::Text;

/// A cursor over a frame's text (valid UTF-8, no control bytes: both checked
/// once for the whole frame, [`frame_text`]).
struct Cur<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes; the cursor on its opening quote. (UTF-8 and
    /// control bytes were checked for the whole frame: a slice between two
    /// ASCII quotes of valid UTF-8 is valid UTF-8.)
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = start + quote_or_backslash(&self.b[start..])?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        self.s.get(start..end)
    }

    /// A scalar value (string, number, literal); `None` for anything else.
    #[inline]
    fn scalar(&mut self) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Scalar::Str),
            b't' => self.literal(b"true", Scalar::Bool(true)),
            b'f' => self.literal(b"false", Scalar::Bool(false)),
            b'n' => self.literal(b"null", Scalar::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], v: Scalar<'a>) -> Option<Scalar<'a>> {
        self.b[self.i..].starts_with(word).then(|| {
            self.i += word.len();
            v
        })
    }

    /// A number in JSON's grammar: an integer of at most 18 digits (not `-0`),
    /// or a finite float.
    fn number(&mut self) -> Option<Scalar<'a>> {
        let start = self.i;
        let neg = self.eat(b'-').is_some();
        let int_start = self.i;
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        let int_end = self.i;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            float = true;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        if float {
            let f: f64 = self.s.get(start..self.i)?.parse().ok()?;
            return f.is_finite().then_some(Scalar::Float(f));
        }
        let digits = &self.b[int_start..int_end];
        if digits.len() > 18 || (neg && digits == b"0") {
            return None;
        }
        let v = digits
            .iter()
            .fold(0i64, |v, &d| v * 10 + i64::from(d - b'0'));
        Some(Scalar::Int(if neg { -v } else { v }))
    }

    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }
}

/// The first `"` or `\\` in `b` (the rest of the frame). Eight bytes at a time,
/// reading past the string's end while the frame lasts (most strings of an
/// order update are short: a library call per string cost more than the
/// scan); `memchr2` past 32 bytes.
#[inline(always)]
fn quote_or_backslash(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() && i < 32 {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().ok()?);
        let q = w ^ (LO * u64::from(b'"'));
        let s = w ^ (LO * u64::from(b'\\'));
        // A zero byte of q or s: the lowest flagged bit is exact.
        let hit = (q.wrapping_sub(LO) & !q | s.wrapping_sub(LO) & !s) & HI;
        if hit != 0 {
            return Some(i + hit.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    if i < 32 {
        return b[i..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\')
            .map(|p| i + p);
    }
    memchr::memchr2(b'"', b'\\', &b[i..]).map(|p| i + p)
}

/// What the last `Data` member was.
enum Data {
    Absent,
    /// Not an object.
    Scalar,
    /// An object, parsed into the update; the first field of a wrong type.
    Object(Option<&'static str>),
}

/// `frame` as text for the fast path: valid UTF-8 with no byte below 0x20
/// (none may stand inside a string; whitespace other than spaces sends the
/// frame to the tape). Checked once per frame.
#[inline]
pub(crate) fn frame_text(frame: &[u8]) -> Option<&str> {
    if frame.iter().fold(false, |any, &c| any | (c < 0x20)) {
        return None;
    }
    std::str::from_utf8(frame).ok()
}

/// Parses `json` (one object, at `offset` in its frame) into `out` as
/// [`super::order::OrderUpdateParser::parse_object`] would, or returns `None`
/// when the object is outside the fast path's shape (then `out` may be changed
/// and the caller parses again).
pub(crate) fn parse_object_fast(
    json: &[u8],
    offset: usize,
    out: &mut OrderUpdate,
) -> Option<Result<OrderMessageKind, OrderError>> {
    let s = frame_text(json)?;
    let mut c = Cur { s, b: json, i: 0 };
    c.ws();
    let (r, end) = parse_object_at(s, c.i, offset, out)?;
    c.i = end;
    c.ws();
    (c.i == json.len()).then_some(r)
}

/// Parses the object starting at byte `start` of `s` (a [`frame_text`]) into
/// `out`, errors reported at `offset`; returns the result and the byte after the
/// object's `}`, or `None` to fall back.
pub(crate) fn parse_object_at(
    s: &str,
    start: usize,
    offset: usize,
    out: &mut OrderUpdate,
) -> Option<(Result<OrderMessageKind, OrderError>, usize)> {
    let mut c = Cur {
        s,
        b: s.as_bytes(),
        i: start,
    };
    c.eat(b'{')?;
    c.ws();
    let mut kind: Option<OrderMessageKind> = None;
    let mut data = Data::Absent;
    if c.eat(b'}').is_none() {
        loop {
            let k = c.string()?;
            c.ws();
            c.eat(b':')?;
            c.ws();
            if k.eq_ignore_ascii_case("Data") && c.peek() == Some(b'{') {
                *out = OrderUpdate::EMPTY;
                data = Data::Object(data_object(&mut c, out)?);
            } else {
                let v = c.scalar()?;
                if k.eq_ignore_ascii_case("Type") {
                    if let Scalar::Str(t) = v {
                        kind = Some(if t.eq_ignore_ascii_case(ORDER_ALERT) {
                            OrderMessageKind::Update
                        } else {
                            OrderMessageKind::Other(Text::new(t))
                        });
                    }
                } else if k.eq_ignore_ascii_case("Data") {
                    data = Data::Scalar;
                }
            }
            c.ws();
            if c.eat(b',').is_some() {
                c.ws();
                continue;
            }
            c.eat(b'}')?;
            break;
        }
    }
    let result = match (kind, data) {
        (None, _) => Err(OrderError::MissingType { offset }),
        (Some(k @ OrderMessageKind::Other(_)), _) => Ok(k),
        (Some(_), Data::Absent | Data::Scalar) => Err(OrderError::MissingData { offset }),
        (Some(k), Data::Object(None)) => Ok(k),
        (Some(_), Data::Object(Some(field))) => Err(OrderError::BadField { offset, field }),
    };
    if !matches!(
        result,
        Ok(OrderMessageKind::Update) | Err(OrderError::BadField { .. })
    ) {
        // The tape path fills the update only for an order_alert with Data.
        *out = OrderUpdate::EMPTY;
    }
    Some((result, c.i))
}

/// A flat object into `out`; the cursor on its `{`. Returns the first field of
/// a wrong type, or `None` (outer) to fall back.
fn data_object(c: &mut Cur<'_>, out: &mut OrderUpdate) -> Option<Option<&'static str>> {
    c.eat(b'{')?;
    c.ws();
    let mut bad = None;
    if c.eat(b'}').is_some() {
        return Some(bad);
    }
    loop {
        let k = c.string()?;
        c.ws();
        c.eat(b':')?;
        c.ws();
        let v = c.scalar()?;
        if let Err(field) = out.set_field_raw(k.as_bytes(), v) {
            bad.get_or_insert(field);
        }
        c.ws();
        if c.eat(b',').is_some() {
            c.ws();
            continue;
        }
        c.eat(b'}')?;
        return Some(bad);
    }
}
