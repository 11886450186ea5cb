//! An order update's fields (docs/protocol.md §6.2): [`OrderUpdate`], how keys
//! of any case find their field (a perfect hash), how values of each kind set
//! it, and the errors and message kinds of the order feed. The parsers
//! ([`super::order`] and its fast path [`super::order_fast`]) and the encoder
//! build on these.

use super::json::{Scalar, SplitError, push_f64, push_i64, push_str};
use super::order_status::OrderStatus;
use super::text::Text;
use std::fmt;

/// How the encoder spells keys (the decoder accepts them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyCase {
    /// `OrderNo`: Dhan's documented form.
    Pascal,
    /// `orderNo`.
    Camel,
    /// `orderno`.
    Lower,
    /// `order_no`.
    Snake,
}

macro_rules! order_update {
    (
        text { $( $(#[$td:meta])* $tf:ident : $tn:literal = $tk:literal, $tl:literal; )* }
        int { $( $(#[$id:meta])* $if_:ident = $ik:literal, $il:literal; )* }
        float { $( $(#[$fd:meta])* $ff:ident = $fk:literal, $fl:literal; )* }
    ) => {
        /// One order update: every field of the documented `Data` object.
        ///
        /// Absent text fields are empty, absent numbers are 0, an absent status is
        /// [`OrderStatus::Missing`]. `Debug` redacts `client_id`.
        #[derive(Clone, Copy, PartialEq)]
        pub struct OrderUpdate {
            $( $(#[$td])* pub $tf: Text<$tn>, )*
            $( $(#[$id])* pub $if_: i64, )*
            $( $(#[$fd])* pub $ff: f64, )*
            /// `Status`.
            pub status: OrderStatus,
            /// Not from the order feed: taken from the order book after updates
            /// were missed (an outage, a full spill) to make the view whole again.
            /// Never on the wire.
            pub reconciled: bool,
        }

        /// An order-update field, in declaration order (its discriminant is its
        /// [`FIELDS`] index).
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum Field {
            $( $tf, )*
            $( $if_, )*
            $( $ff, )*
            status,
        }

        /// How many text fields there are: they come first in [`Field`].
        const TEXT_FIELDS: usize = [$( stringify!($tf), )*].len();

        /// Every [`Field`], in declaration order.
        const FIELD_LIST: &[Field] = &[$( Field::$tf, )* $( Field::$if_, )* $( Field::$ff, )* Field::status];

        /// Every field's normalised key and setter, in declaration order.
        pub(crate) const FIELDS: &[(&[u8], Setter)] = &[
            $( ($tl, |u, v| set_text(&mut u.$tf, v).ok_or(stringify!($tf))), )*
            $( ($il, |u, v| set_int(&mut u.$if_, v).ok_or(stringify!($if_))), )*
            $( ($fl, |u, v| set_float(&mut u.$ff, v).ok_or(stringify!($ff))), )*
            (b"status", |u, v| match v {
                Scalar::Str(s) => { u.status = OrderStatus::parse(s); Ok(()) }
                Scalar::Null => { u.status = OrderStatus::Missing; Ok(()) }
                _ => Err("status"),
            }),
        ];

        impl OrderUpdate {
            /// An update with every field empty or zero.
            pub const EMPTY: Self = Self {
                $( $tf: Text::EMPTY, )*
                $( $if_: 0, )*
                $( $ff: 0.0, )*
                status: OrderStatus::Missing,
                reconciled: false,
            };

            /// Sets the field named by the normalised (lower-case, no `_`) key.
            /// Unknown keys are ignored. Returns the field name on a bad value.
            ///
            /// The key is found by a perfect hash ([`FIELD_SLOTS`]) and one
            /// comparison, the setter called through [`FIELDS`]: a `match` on 46
            /// byte strings compiled to chains of comparisons.
            #[inline]
            pub(crate) fn set_field(&mut self, norm_key: &[u8], v: Scalar<'_>) -> Result<(), &'static str> {
                match field_index(norm_key) {
                    Some(i) => (FIELDS[i].1)(self, v),
                    None => Ok(()),
                }
            }

            /// Sets `field` from a JSON string: the fast path's common case (text
            /// into a text field), one jump on the field with the setter inlined.
            #[inline]
            pub(crate) fn set_from_str(&mut self, field: Field, s: &str) -> Result<(), &'static str> {
                // Text fields (most of them) in a function of their own: only
                // copies, so it saves no registers and returns nothing.
                if (field as usize) < TEXT_FIELDS {
                    self.set_text_field(field, s);
                    return Ok(());
                }
                self.set_other_from_str(field, s)
            }

            /// [`OrderUpdate::set_from_str`] of a text field.
            fn set_text_field(&mut self, field: Field, s: &str) {
                match field {
                    $( Field::$tf => { self.$tf.set(s); } )*
                    _ => {}
                }
            }

            /// [`OrderUpdate::set_from_str`] of a number or the status.
            fn set_other_from_str(&mut self, field: Field, s: &str) -> Result<(), &'static str> {
                match field {
                    $( Field::$if_ => set_int(&mut self.$if_, Scalar::Str(s)).ok_or(stringify!($if_)), )*
                    $( Field::$ff => set_float(&mut self.$ff, Scalar::Str(s)).ok_or(stringify!($ff)), )*
                    Field::status => { self.status = OrderStatus::parse(s); Ok(()) }
                    _ => { self.set_text_field(field, s); Ok(()) }
                }
            }

            /// Empties `field` (as [`OrderUpdate::EMPTY`] has it).
            #[inline]
            pub(crate) fn clear_field(&mut self, field: Field) {
                match field {
                    $( Field::$tf => self.$tf.clear(), )*
                    $( Field::$if_ => self.$if_ = 0, )*
                    $( Field::$ff => self.$ff = 0.0, )*
                    Field::status => self.status = OrderStatus::Missing,
                }
            }

            /// Sets `field` from a JSON integer (as [`FIELDS`]' setter would).
            #[inline]
            pub(crate) fn set_from_int(&mut self, field: Field, v: i64) -> Result<(), &'static str> {
                match field {
                    $( Field::$if_ => { self.$if_ = v; Ok(()) } )*
                    $( Field::$ff => { self.$ff = v as f64; Ok(()) } )*
                    _ => (FIELDS[field as usize].1)(self, Scalar::Int(v)),
                }
            }

            /// Sets `field` from a JSON float (as [`FIELDS`]' setter would).
            #[inline]
            pub(crate) fn set_from_float(&mut self, field: Field, v: f64) -> Result<(), &'static str> {
                match field {
                    $( Field::$ff => { self.$ff = v; Ok(()) } )*
                    _ => (FIELDS[field as usize].1)(self, Scalar::Float(v)),
                }
            }

            /// Calls `f(snake_case_name, value)` for every field in declaration order
            /// (used by the JSON-lines printer).
            pub fn for_each_field(&self, mut f: impl FnMut(&'static str, FieldValue<'_>)) {
                $( f(stringify!($tf), FieldValue::Text(self.$tf.as_str())); )*
                $( f(stringify!($if_), FieldValue::Int(self.$if_)); )*
                $( f(stringify!($ff), FieldValue::Float(self.$ff)); )*
                f("status", FieldValue::Text(self.status.as_str()));
            }

            /// Whether any text field was cut to its inline capacity.
            pub fn any_truncated(&self) -> bool {
                false $( || self.$tf.is_truncated() )*
            }

            pub(crate) fn write_fields(&self, case: KeyCase, out: &mut Vec<u8>) {
                let mut first = true;
                $( key(out, &mut first, case, $tk, stringify!($tf)); push_str(out, self.$tf.as_str()); )*
                $( key(out, &mut first, case, $ik, stringify!($if_)); push_i64(out, self.$if_); )*
                $( key(out, &mut first, case, $fk, stringify!($ff)); push_f64(out, self.$ff); )*
                key(out, &mut first, case, "Status", "status");
                push_str(out, self.status.as_str());
            }
        }
    };
}

order_update! {
    text {
        /// `Exchange`: NSE, BSE, MCX.
        exchange: 8 = "Exchange", b"exchange";
        /// `Segment`: E, D, C, M.
        segment: 4 = "Segment", b"segment";
        /// `Source`: `P` for API orders.
        source: 4 = "Source", b"source";
        /// `SecurityId`.
        security_id: 16 = "SecurityId", b"securityid";
        /// `ClientId` (redacted by `Debug`).
        client_id: 16 = "ClientId", b"clientid";
        /// `ExchOrderNo`.
        exch_order_no: 32 = "ExchOrderNo", b"exchorderno";
        /// `OrderNo`: Dhan's order id.
        order_no: 32 = "OrderNo", b"orderno";
        /// `Product`: C, I, M, F, V, B.
        product: 4 = "Product", b"product";
        /// `TxnType`: B or S.
        txn_type: 4 = "TxnType", b"txntype";
        /// `OrderType`: LMT, MKT, SL, SLM.
        order_type: 8 = "OrderType", b"ordertype";
        /// `Validity`: DAY, IOC.
        validity: 8 = "Validity", b"validity";
        /// `OffMktFlag`: "1" for AMO.
        off_mkt_flag: 4 = "OffMktFlag", b"offmktflag";
        /// `OrderDateTime` (IST, `YYYY-MM-DD HH:MM:SS`).
        order_date_time: 24 = "OrderDateTime", b"orderdatetime";
        /// `ExchOrderTime`.
        exch_order_time: 24 = "ExchOrderTime", b"exchordertime";
        /// `LastUpdatedTime`.
        last_updated_time: 24 = "LastUpdatedTime", b"lastupdatedtime";
        /// `Remarks`.
        remarks: 64 = "Remarks", b"remarks";
        /// `MktType`: NL, AU, A1, A2.
        mkt_type: 4 = "MktType", b"mkttype";
        /// `ReasonDescription`.
        reason_description: 160 = "ReasonDescription", b"reasondescription";
        /// `Instrument`, e.g. EQUITY.
        instrument: 16 = "Instrument", b"instrument";
        /// `Symbol`.
        symbol: 48 = "Symbol", b"symbol";
        /// `ProductName`, e.g. CNC.
        product_name: 16 = "ProductName", b"productname";
        /// `DisplayName`.
        display_name: 64 = "DisplayName", b"displayname";
        /// `Isin`.
        isin: 16 = "Isin", b"isin";
        /// `Series`.
        series: 8 = "Series", b"series";
        /// `ExpiryDate` (`0001-01-01 00:00:00` when not applicable).
        expiry_date: 24 = "ExpiryDate", b"expirydate";
        /// `OptType`: CE, PE, XX.
        opt_type: 4 = "OptType", b"opttype";
        /// `GoodTillDaysDate`.
        good_till_days_date: 16 = "GoodTillDaysDate", b"goodtilldaysdate";
        /// `AlgoId`.
        algo_id: 16 = "AlgoId", b"algoid";
        /// `CorrelationId` (≤ 30 characters).
        correlation_id: 32 = "CorrelationId", b"correlationid";
        /// `AlgoOrdNo` (documented as float; kept as sent, numbers as their decimal text).
        algo_ord_no: 32 = "AlgoOrdNo", b"algoordno";
    }
    int {
        /// `DiscQuantity`.
        disc_quantity = "DiscQuantity", b"discquantity";
        /// `DiscQtyRem`.
        disc_qty_rem = "DiscQtyRem", b"discqtyrem";
        /// `RemainingQuantity`.
        remaining_quantity = "RemainingQuantity", b"remainingquantity";
        /// `Quantity`.
        quantity = "Quantity", b"quantity";
        /// `TradedQty`.
        traded_qty = "TradedQty", b"tradedqty";
        /// `LotSize`.
        lot_size = "LotSize", b"lotsize";
        /// `LegNo`: 1 entry, 2 stop-loss, 3 target.
        leg_no = "LegNo", b"legno";
        /// `Multiplier`.
        multiplier = "Multiplier", b"multiplier";
    }
    float {
        /// `Price`.
        price = "Price", b"price";
        /// `TriggerPrice`.
        trigger_price = "TriggerPrice", b"triggerprice";
        /// `TradedPrice`.
        traded_price = "TradedPrice", b"tradedprice";
        /// `AvgTradedPrice`.
        avg_traded_price = "AvgTradedPrice", b"avgtradedprice";
        /// `RefLtp`.
        ref_ltp = "RefLtp", b"refltp";
        /// `TickSize`.
        tick_size = "TickSize", b"ticksize";
        /// `StrikePrice`.
        strike_price = "StrikePrice", b"strikeprice";
    }
}

/// Sets one field of an update from a JSON value; the field's name on a value
/// of the wrong kind.
pub(crate) type Setter = for<'a> fn(&mut OrderUpdate, Scalar<'a>) -> Result<(), &'static str>;

/// The perfect hash of a normalised key (1 to 32 bytes): its length, first,
/// last and middle bytes in one word, multiplied, top 7 bits. The multiplier was
/// searched for offline; [`FIELD_SLOTS`] fails to compile if two keys collide.
#[inline]
const fn field_hash(k: &[u8]) -> usize {
    let n = k.len();
    field_hash_parts(n, k[0], k[n - 1], k[n / 2])
}

/// [`field_hash`] of its parts.
#[inline]
const fn field_hash_parts(n: usize, first: u8, last: u8, mid: u8) -> usize {
    let w = (n as u32) | (first as u32) << 8 | (last as u32) << 16 | (mid as u32) << 24;
    (w.wrapping_mul(0x9975_ef31) >> 25) as usize
}

/// [`FIELDS`] index by [`field_hash`]; 255 for an empty slot.
const FIELD_SLOTS: [u8; 128] = {
    let mut t = [u8::MAX; 128];
    let mut i = 0;
    while i < FIELDS.len() {
        let k = FIELDS[i].0;
        let mut j = 0;
        while j < k.len() {
            // `field_index_any_case` relies on it.
            assert!(
                k[j].is_ascii_lowercase(),
                "a normalised key is lower-case letters"
            );
            j += 1;
        }
        assert!(
            FIELD_LIST[i] as usize == i,
            "a field's discriminant is its FIELDS index"
        );
        let h = field_hash(k);
        assert!(t[h] == u8::MAX, "two order-update keys share a hash slot");
        t[h] = i as u8;
        i += 1;
    }
    t
};

/// The field a key names as it came (any case, `_` allowed): a key without `_`
/// is looked up without being normalised first.
#[inline]
pub(crate) fn field_of_key(key: &[u8]) -> Option<Field> {
    let i = match field_index_any_case(key) {
        Some(i) => i,
        None if key.contains(&b'_') => {
            let mut buf = [0u8; 32];
            let n = normalise_key_bytes(key, &mut buf)?;
            field_index(&buf[..n])?
        }
        None => return None,
    };
    FIELD_LIST.get(i).copied()
}

/// How many fields an update has (at most 64: a set of fields is a `u64`).
pub(crate) const FIELD_COUNT: usize = {
    assert!(FIELDS.len() <= 64);
    FIELDS.len()
};

/// A field's key as it stands in a frame after the member before it, comma,
/// quotes and colon included (`,"orderno":`), in three words with the
/// letter-case bit set, and which bytes count.
struct QuotedKey {
    words: [u64; 3],
    masks: [u64; 3],
    len: usize,
}

/// [`QuotedKey`] of every field, by [`FIELDS`] index.
const QUOTED_KEYS: [QuotedKey; FIELD_COUNT] = {
    let mut t = [const {
        QuotedKey {
            words: [0; 3],
            masks: [0; 3],
            len: 0,
        }
    }; FIELD_COUNT];
    let mut i = 0;
    while i < FIELD_COUNT {
        let k = FIELDS[i].0;
        let len = k.len() + 4;
        assert!(
            len <= 24,
            "a key with its comma, quotes and colon fits three words"
        );
        let mut j = 0;
        while j < len {
            let c = if j == 0 {
                b','
            } else if j == 1 || j == len - 2 {
                b'"'
            } else if j == len - 1 {
                b':'
            } else {
                k[j - 2]
            };
            t[i].words[j / 8] |= (c as u64) << (8 * (j % 8));
            t[i].masks[j / 8] |= 0xff << (8 * (j % 8));
            j += 1;
        }
        t[i].len = len;
        i += 1;
    }
    t
};

/// Whether the bytes at `at` of `b` are the key of field `i` ([`FIELDS`]
/// index) as [`QuotedKey`] spells it, in any letter case and without `_`; the
/// length of those bytes if so. Reads 24 bytes: `None` when fewer are left.
/// Exact for text with no byte below 0x20: once the case bit is set, only a
/// letter of either case matches a lower-case letter, and only `,`, `"` and
/// `:` themselves match `,`, `"` and `:` (0x0c, 0x02 and 0x1a would).
#[inline(always)]
pub(crate) fn quoted_key_at(b: &[u8], at: usize, i: usize) -> Option<usize> {
    const CASE: u64 = 0x2020_2020_2020_2020;
    let k = QUOTED_KEYS.get(i)?;
    let w = b.get(at..at + 24)?;
    let word = |j: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&w[8 * j..8 * j + 8]);
        u64::from_le_bytes(x) | CASE
    };
    let diff = ((word(0) ^ k.words[0]) & k.masks[0])
        | ((word(1) ^ k.words[1]) & k.masks[1])
        | ((word(2) ^ k.words[2]) & k.masks[2]);
    (diff == 0).then_some(k.len)
}

/// The [`Field`] of a [`FIELDS`] index.
#[inline(always)]
pub(crate) fn field_at(i: usize) -> Option<Field> {
    FIELD_LIST.get(i).copied()
}

/// The [`FIELDS`] index of a key without `_` in any case: hashed on its bytes
/// with the letter-case bit set, then compared ignoring case (a normalised key
/// is lower-case letters only, so `b | 0x20 == k` holds exactly for `b` of
/// either case).
#[inline]
fn field_index_any_case(key: &[u8]) -> Option<usize> {
    let n = key.len();
    if n == 0 || n > 32 {
        return None;
    }
    let h = field_hash_parts(n, key[0] | 0x20, key[n - 1] | 0x20, key[n / 2] | 0x20);
    let i = FIELD_SLOTS[h] as usize;
    let canon = FIELDS.get(i)?.0;
    (canon.len() == n && same_letters_any_case(key, canon)).then_some(i)
}

/// Whether `key` is `canon` (lower-case letters, the same length) in any case:
/// eight bytes at a time, the last word overlapping the one before.
#[inline]
fn same_letters_any_case(key: &[u8], canon: &[u8]) -> bool {
    const CASE: u64 = 0x2020_2020_2020_2020;
    let n = key.len();
    if n < 8 {
        return key.iter().zip(canon).all(|(&b, &k)| b | 0x20 == k);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let mut at = 0;
    while at + 8 < n {
        if word(key, at) | CASE != word(canon, at) {
            return false;
        }
        at += 8;
    }
    word(key, n - 8) | CASE == word(canon, n - 8)
}

/// The [`FIELDS`] index of a normalised key.
#[inline]
fn field_index(k: &[u8]) -> Option<usize> {
    if k.is_empty() {
        return None;
    }
    let i = FIELD_SLOTS[field_hash(k)] as usize;
    (i < FIELDS.len() && FIELDS[i].0 == k).then_some(i)
}

/// A field value handed out by [`OrderUpdate::for_each_field`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// Text.
    Text(&'a str),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
}

impl Default for OrderUpdate {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl fmt::Debug for OrderUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("OrderUpdate");
        self.for_each_field(|name, v| {
            if name == "client_id" {
                d.field(name, &"***");
            } else {
                match v {
                    FieldValue::Text(t) => d.field(name, &t),
                    FieldValue::Int(i) => d.field(name, &i),
                    FieldValue::Float(x) => d.field(name, &x),
                };
            }
        });
        d.finish()
    }
}

impl OrderUpdate {
    /// Traded quantity as a percentage of the order quantity (0 when quantity is 0).
    pub fn execution_percentage(&self) -> f64 {
        if self.quantity == 0 {
            0.0
        } else {
            self.traded_qty as f64 * 100.0 / self.quantity as f64
        }
    }
}

fn set_text<const N: usize>(t: &mut Text<N>, v: Scalar<'_>) -> Option<()> {
    match v {
        Scalar::Str(s) => {
            t.set(s);
        }
        Scalar::Null => t.clear(),
        Scalar::Int(_) | Scalar::UInt(_) | Scalar::Float(_) => {
            let mut buf = [0u8; NUMBER_TEXT];
            let n = fmt_number(v, &mut buf)?;
            t.set(std::str::from_utf8(&buf[..n]).ok()?);
        }
        Scalar::Bool(_) | Scalar::Composite => return None,
    }
    Some(())
}

/// Room for any number's text: `f64`'s `Display` writes every digit (1e308 is 309
/// bytes, -5e-324 is 327).
const NUMBER_TEXT: usize = 400;

/// Formats a JSON number into a stack buffer (no allocation).
fn fmt_number(v: Scalar<'_>, buf: &mut [u8; NUMBER_TEXT]) -> Option<usize> {
    use std::io::Write;
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    match v {
        Scalar::Int(i) => write!(cur, "{i}").ok()?,
        Scalar::UInt(u) => write!(cur, "{u}").ok()?,
        Scalar::Float(x) => write!(cur, "{x}").ok()?,
        _ => return None,
    }
    Some(cur.position() as usize)
}

fn set_int(slot: &mut i64, v: Scalar<'_>) -> Option<()> {
    *slot = match v {
        Scalar::Null => 0,
        Scalar::Str(s) if s.trim().is_empty() => 0,
        other => other.as_i64()?,
    };
    Some(())
}

fn set_float(slot: &mut f64, v: Scalar<'_>) -> Option<()> {
    *slot = match v {
        Scalar::Null => 0.0,
        Scalar::Str(s) if s.trim().is_empty() => 0.0,
        other => other.as_f64()?,
    };
    Some(())
}

fn key(out: &mut Vec<u8>, first: &mut bool, case: KeyCase, pascal: &str, snake: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.push(b'"');
    match case {
        KeyCase::Pascal => out.extend_from_slice(pascal.as_bytes()),
        KeyCase::Camel => {
            let b = pascal.as_bytes();
            out.push(b[0].to_ascii_lowercase());
            out.extend_from_slice(&b[1..]);
        }
        KeyCase::Lower => out.extend(pascal.bytes().map(|c| c.to_ascii_lowercase())),
        KeyCase::Snake => out.extend_from_slice(snake.as_bytes()),
    }
    out.extend_from_slice(b"\":");
}

/// The documented message type of an order update.
pub const ORDER_ALERT: &str = "order_alert";

/// What one JSON object of the order feed was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderMessageKind {
    /// An `order_alert`: the caller's [`OrderUpdate`] now holds it.
    Update,
    /// A message of another `Type`, reported with its type text.
    Other(Text<32>),
}

/// Why an order-feed message could not be parsed. Offsets are within the frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// The frame is not a sequence of JSON objects.
    #[error("order frame: {0}")]
    Split(#[from] SplitError),
    /// An object is not valid JSON.
    #[error("invalid JSON in the object at byte {offset}: {message}")]
    Json {
        /// Offset of the object.
        offset: usize,
        /// The parser's message.
        message: String,
    },
    /// The object has no string `Type`.
    #[error("object at byte {offset} has no \"Type\"")]
    MissingType {
        /// Offset of the object.
        offset: usize,
    },
    /// An `order_alert` without a `Data` object.
    #[error("order_alert at byte {offset} has no \"Data\" object")]
    MissingData {
        /// Offset of the object.
        offset: usize,
    },
    /// A field holds a value of the wrong kind (e.g. a non-numeric `Quantity`).
    #[error("order_alert at byte {offset}: field {field} has a value of the wrong type")]
    BadField {
        /// Offset of the object.
        offset: usize,
        /// The field (snake_case).
        field: &'static str,
    },
}

impl OrderError {
    /// Offset within the frame of the object (or split point) at fault.
    pub fn offset(&self) -> usize {
        match self {
            Self::Split(s) => s.offset(),
            Self::Json { offset, .. }
            | Self::MissingType { offset }
            | Self::MissingData { offset }
            | Self::BadField { offset, .. } => *offset,
        }
    }
}

/// Normalises a key: ASCII lower case, `_` dropped. `None` if longer than 32 bytes
/// (no documented key is).
pub(crate) fn normalise_key(k: &str, buf: &mut [u8; 32]) -> Option<usize> {
    normalise_key_bytes(k.as_bytes(), buf)
}

/// [`normalise_key`] of bytes.
fn normalise_key_bytes(k: &[u8], buf: &mut [u8; 32]) -> Option<usize> {
    let mut n = 0;
    for &b in k {
        if b == b'_' {
            continue;
        }
        *buf.get_mut(n)? = b.to_ascii_lowercase();
        n += 1;
    }
    Some(n)
}
