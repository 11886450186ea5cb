//! The order parser's fast path: one pass over the bytes of an `order_alert`
//! object as Dhan sends it (a flat `Data` object of strings, numbers and
//! literals, a `Type` string), straight into the [`OrderUpdate`], with no tape.
//!
//! How it stays short per field:
//! - the frame is checked once for bytes below 0x20 and for UTF-8, sixteen bytes
//!   at a time ([`frame_text`]); a printable-ASCII frame needs no UTF-8 pass;
//! - a string's end is found sixteen bytes at a time (one compare per byte
//!   kind, a mask, a trailing-zero count: most strings take one step);
//! - a key is first compared with the one that followed the previous field
//!   last time, in three word compares ([`KeyOrder`]): Dhan sends its fields in
//!   one order, so keys are neither scanned nor hashed;
//! - any other key finds its field by a perfect hash ([`field_of_key`]); a value is
//!   stored by one jump on the field with the setter inlined
//!   ([`OrderUpdate::set_from_str`] and its siblings);
//! - numbers are read in the same pass, floats by the exact fast path (a
//!   mantissa below 2^53 scaled by an exact power of ten: one correctly rounded
//!   operation, the result `str::parse` gives), anything else by `str::parse`.
//!
//! It accepts only what it fully validates: strings without escapes or control
//! bytes, numbers in JSON's grammar that convert exactly (integers of at most 18
//! digits, finite floats), `true`/`false`/`null`, and no nested value anywhere
//! but `Data`. Anything else, valid or not, returns `None` and the caller falls
//! back to the tape parser, which then decides, so both paths give the same
//! result for every input (`tests/order_fast.rs` and the `order_json` fuzz
//! target compare them).

use super::json::Scalar;
use super::order_update::{
    FIELD_COUNT, FIELDS, Field, ORDER_ALERT, OrderError, OrderMessageKind, OrderUpdate, field_at,
    field_of_key, quoted_key_at,
};
use super::scan::{ascii_str, between_quotes, quote_or_backslash};
use super::text::Text;

/// Exact powers of ten as `f64` (10^22 is the largest).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A JSON number as the fast path keeps it.
enum Num {
    Int(i64),
    Float(f64),
}

/// A cursor over a frame's text (valid UTF-8, no control bytes: both checked
/// once for the whole frame, [`frame_text`]).
struct Cur<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(s: &'a str, start: usize) -> Self {
        Self {
            s,
            b: s.as_bytes(),
            i: start,
        }
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.i += 1;
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `:` between optional whitespace.
    #[inline(always)]
    fn colon(&mut self) -> Option<()> {
        if self.peek()? == b':' {
            self.i += 1;
        } else {
            self.ws();
            self.eat(b':')?;
        }
        if self.peek()? == b' ' {
            self.ws();
        }
        Some(())
    }

    /// The bytes of a string without escapes; the cursor on its opening quote.
    #[inline(always)]
    fn string_span(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.i;
        let end = quote_or_backslash(self.b, start)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some((start, end))
    }

    /// A string without escapes. (UTF-8 and control bytes were checked for the
    /// whole frame: a slice between two ASCII quotes of valid UTF-8 is valid
    /// UTF-8.)
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let (start, end) = self.string_span()?;
        between_quotes(self.s, start, end)
    }

    /// A scalar value (string, number, literal); `None` for anything else.
    fn scalar(&mut self) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Scalar::Str),
            b'-' | b'0'..=b'9' => Some(match self.number()? {
                Num::Int(v) => Scalar::Int(v),
                Num::Float(v) => Scalar::Float(v),
            }),
            _ => self.literal(),
        }
    }

    /// `true`, `false` or `null`.
    #[inline]
    fn literal(&mut self) -> Option<Scalar<'a>> {
        let rest = self.b.get(self.i..)?;
        let (n, v) = if rest.starts_with(b"true") {
            (4, Scalar::Bool(true))
        } else if rest.starts_with(b"false") {
            (5, Scalar::Bool(false))
        } else if rest.starts_with(b"null") {
            (4, Scalar::Null)
        } else {
            return None;
        };
        self.i += n;
        Some(v)
    }

    /// Decimal digits from the cursor, appended to `v`: the value (wrapping
    /// past 19 digits) and how many. Four bytes one by one, then eight at a
    /// time while the frame has them.
    #[inline(always)]
    fn digits(&mut self, mut v: u64) -> (u64, usize) {
        let start = self.i;
        // Most numbers of an order update are short: bytes first.
        for _ in 0..4 {
            match self.b.get(self.i) {
                Some(&c) if c.is_ascii_digit() => {
                    v = v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                    self.i += 1;
                }
                _ => return (v, self.i - start),
            }
        }
        while let Some(w) = self.b.get(self.i..self.i + 8) {
            let mut x = [0u8; 8];
            x.copy_from_slice(w);
            let (k, val) = eight_digits(u64::from_le_bytes(x));
            v = v.wrapping_mul(POW10_U64[k]).wrapping_add(val);
            self.i += k;
            if k < 8 {
                return (v, self.i - start);
            }
        }
        while let Some(&c) = self.b.get(self.i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            self.i += 1;
        }
        (v, self.i - start)
    }

    /// A number in JSON's grammar: an integer of at most 18 digits (not `-0`),
    /// or a finite float.
    #[inline(always)]
    fn number(&mut self) -> Option<Num> {
        let start = self.i;
        let neg = self.peek()? == b'-';
        self.i += usize::from(neg);
        let (int, n_int) = match self.peek()? {
            b'0' => {
                self.i += 1;
                (0, 1)
            }
            b'1'..=b'9' => self.digits(0),
            _ => return None,
        };
        match self.peek() {
            // The common float, `123.45`: its fraction read here, the exact
            // fast path taken without a call.
            Some(b'.') => {
                let dot = self.i;
                self.i += 1;
                let (mant, n_frac) = self.digits(int);
                if n_frac > 0 && n_int + n_frac <= 15 && !matches!(self.peek(), Some(b'e' | b'E')) {
                    let f = mant as f64 / POW10[n_frac];
                    return Some(Num::Float(if neg { -f } else { f }));
                }
                self.i = dot;
                return self.float_rest(start, neg, int, n_int);
            }
            Some(b'e' | b'E') => return self.float_rest(start, neg, int, n_int),
            _ => {}
        }
        if n_int > 18 || (neg && int == 0) {
            return None;
        }
        let v = int as i64;
        Some(Num::Int(if neg { -v } else { v }))
    }

    /// The fraction and exponent of a float whose integer part was read.
    #[inline]
    fn float_rest(&mut self, start: usize, neg: bool, int: u64, n_int: usize) -> Option<Num> {
        let (mut mant, mut n_frac) = (int, 0);
        if self.peek() == Some(b'.') {
            self.i += 1;
            (mant, n_frac) = self.digits(int);
            if n_frac == 0 {
                return None;
            }
        }
        let mut exp: i64 = 0;
        let mut exp_ok = true;
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            let exp_neg = match self.peek() {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let (e, n_exp) = self.digits(0);
            if n_exp == 0 {
                return None;
            }
            // Longer exponents (their value may have wrapped) go to `str::parse`.
            exp_ok = n_exp <= 4;
            if exp_ok {
                exp = if exp_neg { -(e as i64) } else { e as i64 };
            }
        }
        // The exact fast path: at most 15 significant digits (below 2^53) and a
        // power of ten that is itself exact.
        let e10 = exp - n_frac as i64;
        let f = if exp_ok && n_int + n_frac <= 15 && (-22..=22).contains(&e10) {
            let m = mant as f64;
            let f = if e10 < 0 {
                m / POW10[(-e10) as usize]
            } else {
                m * POW10[e10 as usize]
            };
            if neg { -f } else { f }
        } else {
            self.s.get(start..self.i)?.parse().ok()?
        };
        f.is_finite().then_some(Num::Float(f))
    }
}

/// 10^k for k ≤ 8.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// How many of the eight bytes of `w` (first byte lowest) are decimal digits
/// before the first that is not, and their value: one word of arithmetic.
#[inline(always)]
fn eight_digits(w: u64) -> (usize, u64) {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    // A byte is a digit when its value less '0' (an exclusive or: no borrow
    // between bytes) is at most 9; flag the bytes where it is 10 or more.
    let t = w ^ 0x3030_3030_3030_3030;
    let not_digit = (((t & LO7) + 0x7676_7676_7676_7676) | t) & HI;
    let k = (not_digit.trailing_zeros() / 8) as usize;
    if k == 0 {
        return (0, 0);
    }
    // The k digits moved to the top bytes: the bytes below read as leading
    // zeros. Then pairs, quads and the eight combined by multiplication.
    let mut d = t << (8 * (8 - k));
    d = (d & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
    d = (d & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
    d = (d & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32;
    (k, d)
}

/// The order of the keys in the `Data` objects seen so far: after field `f`
/// (a [`super::order_update::FIELDS`] index; [`FIELD_COUNT`] for the object's
/// start or an unknown key) came field `next[f]` last time. Dhan sends its
/// fields in one order, so each key after an object's first is compared with
/// the predicted one, comma and colon included, in three word compares, before
/// it is scanned and hashed. A wrong prediction costs that compare and is
/// replaced; results never depend on it.
#[derive(Clone)]
pub(crate) struct KeyOrder {
    next: [u8; FIELD_COUNT + 1],
}

impl Default for KeyOrder {
    fn default() -> Self {
        Self {
            next: [u8::MAX; FIELD_COUNT + 1],
        }
    }
}

impl std::fmt::Debug for KeyOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known = self.next.iter().filter(|&&n| n != u8::MAX).count();
        write!(f, "KeyOrder({known} links)")
    }
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
    if let Some(text) = ascii_str(frame) {
        return Some(text);
    }
    if frame.iter().any(|&c| c < 0x20) {
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
    keys: &mut KeyOrder,
) -> Option<Result<OrderMessageKind, OrderError>> {
    let s = frame_text(json)?;
    let start = json.iter().position(|&c| c != b' ')?;
    let (r, end) = parse_object_at(s, start, offset, out, keys)?;
    json[end..].iter().all(|&c| c == b' ').then_some(r)
}

/// Parses the object starting at byte `start` of `s` (a [`frame_text`]) into
/// `out`, errors reported at `offset`; returns the result and the byte after the
/// object's `}`, or `None` to fall back.
pub(crate) fn parse_object_at(
    s: &str,
    start: usize,
    offset: usize,
    out: &mut OrderUpdate,
    keys: &mut KeyOrder,
) -> Option<(Result<OrderMessageKind, OrderError>, usize)> {
    let mut c = Cur::new(s, start);
    c.eat(b'{')?;
    c.ws();
    let mut kind: Option<OrderMessageKind> = None;
    let mut data = Data::Absent;
    if c.eat(b'}').is_none() {
        loop {
            let (ks, ke) = c.string_span()?;
            let b = c.b;
            let k = &b[ks..ke];
            c.colon()?;
            if k.eq_ignore_ascii_case(b"Data") && c.peek() == Some(b'{') {
                data = Data::Object(data_object(&mut c, out, keys)?);
            } else {
                let v = c.scalar()?;
                if k.eq_ignore_ascii_case(b"Type") {
                    if let Scalar::Str(t) = v {
                        kind = Some(if t.eq_ignore_ascii_case(ORDER_ALERT) {
                            OrderMessageKind::Update
                        } else {
                            OrderMessageKind::Other(Text::new(t))
                        });
                    }
                } else if k.eq_ignore_ascii_case(b"Data") {
                    data = Data::Scalar;
                }
            }
            if !c.next_member()? {
                break;
            }
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

impl Cur<'_> {
    /// After a member: `true` on `,` (the cursor on the next key), `false` on
    /// the object's `}` (the cursor after it).
    #[inline(always)]
    fn next_member(&mut self) -> Option<bool> {
        let mut c = self.peek()?;
        if c == b' ' {
            self.ws();
            c = self.peek()?;
        }
        self.i += 1;
        match c {
            b',' => {
                if self.peek()? == b' ' {
                    self.ws();
                }
                Some(true)
            }
            b'}' => Some(false),
            _ => None,
        }
    }
}

/// A flat object into `out` (every field it does not set emptied, as if `out`
/// had been [`OrderUpdate::EMPTY`] first); the cursor on its `{`. Returns the
/// first field of a wrong type, or `None` (outer) to fall back.
fn data_object(
    c: &mut Cur<'_>,
    out: &mut OrderUpdate,
    keys: &mut KeyOrder,
) -> Option<Option<&'static str>> {
    c.eat(b'{')?;
    c.ws();
    let mut bad = None;
    // Fields set by this object; the others are emptied at its end (cheaper
    // than emptying the whole update first when every field comes).
    let mut seen = 0u64;
    out.reconciled = false;
    if c.eat(b'}').is_some() {
        clear_unseen(out, seen);
        return Some(bad);
    }
    // The first key is looked up; each after it is first compared with the
    // one that followed the field before it last time.
    let mut field = c.key(keys, FIELD_COUNT)?;
    loop {
        let r = match c.peek()? {
            b'"' => {
                let v = c.string()?;
                field.map_or(Ok(()), |f| out.set_from_str(f, v))
            }
            b'-' | b'0'..=b'9' => match (c.number()?, field) {
                (_, None) => Ok(()),
                (Num::Int(v), Some(f)) => out.set_from_int(f, v),
                (Num::Float(v), Some(f)) => out.set_from_float(f, v),
            },
            _ => {
                let v = c.literal()?;
                field.map_or(Ok(()), |f| set_scalar(out, f, v))
            }
        };
        let mut prev = FIELD_COUNT;
        if let Some(f) = field {
            prev = f as usize;
            let bit = 1u64 << (f as u32);
            if let Err(name) = r {
                bad.get_or_insert(name);
                // A bad value leaves the field as it was: empty, unless an
                // earlier member of this object set it.
                if seen & bit == 0 {
                    out.clear_field(f);
                }
            }
            seen |= bit;
        }
        let predicted = usize::from(keys.next[prev]);
        field = match quoted_key_at(c.b, c.i, predicted) {
            Some(len) => {
                // The comma, the key and the colon.
                c.i += len;
                if c.peek()? == b' ' {
                    c.ws();
                }
                field_at(predicted)
            }
            None => {
                if !c.next_member()? {
                    clear_unseen(out, seen);
                    return Some(bad);
                }
                c.key(keys, prev)?
            }
        };
    }
}

impl Cur<'_> {
    /// A key looked up by its hash, and its colon; the field it names is
    /// remembered as the one after `prev` ([`KeyOrder`]).
    #[inline]
    fn key(&mut self, keys: &mut KeyOrder, prev: usize) -> Option<Option<Field>> {
        let (ks, ke) = self.string_span()?;
        let b = self.b;
        let field = field_of_key(&b[ks..ke]);
        if let Some(f) = field {
            keys.next[prev] = f as u8;
        }
        self.colon()?;
        Some(field)
    }
}

/// Empties every field not in `seen` (bit per [`Field`]).
#[inline]
fn clear_unseen(out: &mut OrderUpdate, seen: u64) {
    let mut unseen = !seen & ((1u64 << FIELD_COUNT) - 1);
    while unseen != 0 {
        let i = unseen.trailing_zeros() as usize;
        if let Some(f) = field_at(i) {
            out.clear_field(f);
        }
        unseen &= unseen - 1;
    }
}

/// The generic setter (literals: rare in an order update).
#[cold]
fn set_scalar(out: &mut OrderUpdate, f: Field, v: Scalar<'_>) -> Result<(), &'static str> {
    (FIELDS[f as usize].1)(out, v)
}
