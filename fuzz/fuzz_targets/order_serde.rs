//! Order-update frames against serde_json: a differential of
//! `OrderUpdateParser::parse_frame` (its fast path and simd-json's tape) against
//! serde_json and a small reference of the documented rules written here
//! (`proto::order`, `proto::order_update`, `proto::json`, docs/protocol.md §6.2).
//!
//! The frame is split by the documented rule (top-level objects or arrays,
//! found by strings, escapes and bracket depth alone); the split is checked
//! against serde_json's own `StreamDeserializer` as far as that accepts the
//! frame. Each value is then parsed by serde_json into an ordered tree (every
//! entry kept, duplicates too: the crate walks entries in order) and turned
//! into the expected calls of `parse_frame`: the update, the other message
//! kind, or the error with its category, object offset and field. An object
//! serde_json rejects must be a `Json` error at the object's offset.
//!
//! Deliberate differences from serde_json, each handled narrowly below and
//! marked `DIFFERENCE`. The defects it found are fixed and their inputs kept in
//! `fuzz/seeds/findings/order_serde-*`.
#![no_main]

use dhan_feed::internals::json::SplitError;
use dhan_feed::proto::OrderStatus;
use dhan_feed::proto::order::{OrderError, OrderMessageKind, OrderUpdate, OrderUpdateParser};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

// ---------------------------------------------------------------------------
// serde_json's view of a value: every object entry in document order.

#[derive(Debug)]
enum J {
    Null,
    Bool,
    I(i64),
    U(u64),
    F(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<J, E> {
        Ok(J::Bool)
    }
    fn visit_i64<E>(self, v: i64) -> Result<J, E> {
        Ok(J::I(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<J, E> {
        Ok(J::U(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<J, E> {
        Ok(J::F(v))
    }
    fn visit_str<E>(self, s: &str) -> Result<J, E> {
        Ok(J::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<J, E> {
        Ok(J::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = a.next_element()? {
            v.push(x);
        }
        Ok(J::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
        let mut v = Vec::new();
        while let Some((k, x)) = a.next_entry::<String, J>()? {
            v.push((k, x));
        }
        Ok(J::Obj(v))
    }
}

/// A JSON value as the order parser classifies it (`proto::json::Scalar`'s
/// documented kinds), from serde_json's value and the number's literal.
#[derive(Debug)]
enum V {
    Null,
    Bool,
    Int(i64),
    /// An integer above `i64::MAX` (at most `u64::MAX`).
    UInt(u64),
    Float(f64),
    Str(String),
    Arr,
    Obj(Vec<(String, V)>),
}

/// The literal text of every number in a valid JSON text, in document order.
fn number_literals(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let s = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                out.push(&b[s..i]);
            }
            _ => i += 1,
        }
    }
    out
}

/// serde_json's value as the order parser sees it; `None` when the crate must
/// reject the object although serde_json accepts it.
fn classify<'a>(j: J, lits: &mut impl Iterator<Item = &'a [u8]>) -> Option<V> {
    Some(match j {
        J::Null => V::Null,
        J::Bool => V::Bool,
        J::I(_) | J::U(_) | J::F(_) => {
            let lit = lits.next().expect("one literal per number");
            let integer = !lit.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
            match j {
                // DIFFERENCE (integer `-0`): serde_json reads the integer
                // literal `-0` as the float -0.0; simd-json (and the fast path,
                // which leaves `-0` to the tape for this reason) as the integer
                // 0. A text field then reads "0", a price +0.0.
                J::F(f) if integer && f == 0.0 => V::Int(0),
                // DIFFERENCE (integers out of range): serde_json turns an
                // integer literal beyond i64::MIN..=u64::MAX into a float;
                // simd-json (built without `big-int-as-float`) rejects it, so
                // the crate reports the object as `Json`.
                J::F(_) if integer => return None,
                J::F(f) => V::Float(f),
                J::I(i) => V::Int(i),
                J::U(u) => match i64::try_from(u) {
                    Ok(i) => V::Int(i),
                    Err(_) => V::UInt(u),
                },
                _ => unreachable!(),
            }
        }
        J::Str(s) => V::Str(s),
        J::Arr(items) => {
            // Numbers inside still take their literals, in order.
            for x in items {
                classify(x, lits)?;
            }
            V::Arr
        }
        J::Obj(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, x) in entries {
                out.push((k, classify(x, lits)?));
            }
            V::Obj(out)
        }
    })
}

// ---------------------------------------------------------------------------
// The fields of an update (docs/protocol.md §6.2), and snapshots to compare.

/// An update as plain values: text and cut flag per text field, integers,
/// float bits (so -0.0 and 0.0 differ), status text and whether it is unknown.
#[derive(Clone, Debug, PartialEq)]
struct Snap {
    texts: Vec<(String, bool)>,
    ints: Vec<i64>,
    floats: Vec<u64>,
    status: (String, bool),
}

macro_rules! fields {
    (
        text { $( $tf:ident : $tn:literal = $tk:literal, )* }
        int { $( $if_:ident = $ik:literal, )* }
        float { $( $ff:ident = $fk:literal, )* }
    ) => {
        /// (documented key, field name, capacity in bytes)
        const TEXT: &[(&str, &str, usize)] = &[ $( ($tk, stringify!($tf), $tn), )* ];
        const INT: &[(&str, &str)] = &[ $( ($ik, stringify!($if_)), )* ];
        const FLOAT: &[(&str, &str)] = &[ $( ($fk, stringify!($ff)), )* ];

        fn snap(u: &OrderUpdate) -> Snap {
            $( assert_eq!(u.$tf.capacity(), $tn, stringify!($tf)); )*
            assert!(!u.reconciled, "reconciled is never on the wire");
            Snap {
                texts: vec![ $( (u.$tf.as_str().to_owned(), u.$tf.is_truncated()), )* ],
                ints: vec![ $( u.$if_, )* ],
                floats: vec![ $( u.$ff.to_bits(), )* ],
                status: (
                    u.status.as_str().to_owned(),
                    matches!(u.status, OrderStatus::Unknown(_)),
                ),
            }
        }
    };
}

fields! {
    text {
        exchange: 8 = "Exchange",
        segment: 4 = "Segment",
        source: 4 = "Source",
        security_id: 16 = "SecurityId",
        client_id: 16 = "ClientId",
        exch_order_no: 32 = "ExchOrderNo",
        order_no: 32 = "OrderNo",
        product: 4 = "Product",
        txn_type: 4 = "TxnType",
        order_type: 8 = "OrderType",
        validity: 8 = "Validity",
        off_mkt_flag: 4 = "OffMktFlag",
        order_date_time: 24 = "OrderDateTime",
        exch_order_time: 24 = "ExchOrderTime",
        last_updated_time: 24 = "LastUpdatedTime",
        remarks: 64 = "Remarks",
        mkt_type: 4 = "MktType",
        reason_description: 160 = "ReasonDescription",
        instrument: 16 = "Instrument",
        symbol: 48 = "Symbol",
        product_name: 16 = "ProductName",
        display_name: 64 = "DisplayName",
        isin: 16 = "Isin",
        series: 8 = "Series",
        expiry_date: 24 = "ExpiryDate",
        opt_type: 4 = "OptType",
        good_till_days_date: 16 = "GoodTillDaysDate",
        algo_id: 16 = "AlgoId",
        correlation_id: 32 = "CorrelationId",
        algo_ord_no: 32 = "AlgoOrdNo",
    }
    int {
        disc_quantity = "DiscQuantity",
        disc_qty_rem = "DiscQtyRem",
        remaining_quantity = "RemainingQuantity",
        quantity = "Quantity",
        traded_qty = "TradedQty",
        lot_size = "LotSize",
        leg_no = "LegNo",
        multiplier = "Multiplier",
    }
    float {
        price = "Price",
        trigger_price = "TriggerPrice",
        traded_price = "TradedPrice",
        avg_traded_price = "AvgTradedPrice",
        ref_ltp = "RefLtp",
        tick_size = "TickSize",
        strike_price = "StrikePrice",
    }
}

// ---------------------------------------------------------------------------
// The reference: the documented rules, on serde_json's values.

/// One call of `parse_frame`'s callback.
#[derive(Clone, Debug, PartialEq)]
enum Ev {
    Update(Box<Snap>),
    /// Another `Type`: its text (cut to 32 bytes) and cut flag.
    Other(String, bool),
    MissingType(usize),
    MissingData(usize),
    BadField(usize, &'static str),
    Json(usize),
    NotAnObject(usize),
    Unterminated(usize),
}

/// `s` cut to at most `n` bytes at a character boundary, and whether it was cut.
fn cut(s: &str, n: usize) -> (String, bool) {
    let mut m = s.len().min(n);
    while !s.is_char_boundary(m) {
        m -= 1;
    }
    (s[..m].to_owned(), m < s.len())
}

/// A status: case, `_`, ` ` and `-` ignored; anything else kept as sent, cut
/// to 24 bytes with a trailing `…` when longer.
fn status_of(s: &str) -> (String, bool) {
    let norm: String = s
        .bytes()
        .filter(|b| !matches!(b, b'_' | b' ' | b'-'))
        .map(|b| b.to_ascii_uppercase() as char)
        .collect();
    let named = match norm.as_bytes() {
        b"" => "",
        b"TRANSIT" => "TRANSIT",
        b"PENDING" => "PENDING",
        b"REJECTED" => "REJECTED",
        b"CANCELLED" | b"CANCELED" => "CANCELLED",
        b"TRADED" => "TRADED",
        b"EXPIRED" => "EXPIRED",
        b"PARTTRADED" => "PART_TRADED",
        b"TRIGGERED" => "TRIGGERED",
        b"CLOSED" => "CLOSED",
        b"MODIFIED" => "MODIFIED",
        _ if s.len() <= 24 => return (s.to_owned(), true),
        _ => {
            let (kept, _) = cut(s, 24 - '…'.len_utf8());
            return (kept + "…", true);
        }
    };
    (named.to_owned(), false)
}

/// An integer field: integers, integral floats below 9e18, numeric strings
/// (trimmed; integer or integral float text), null and blank strings (0).
fn int_of(v: &V) -> Option<i64> {
    let integral = |f: f64| (f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64);
    match v {
        V::Null => Some(0),
        V::Int(i) => Some(*i),
        V::Float(f) => integral(*f),
        V::Str(s) if s.trim().is_empty() => Some(0),
        V::Str(s) => {
            let s = s.trim();
            s.parse().ok().or_else(|| integral(s.parse().ok()?))
        }
        V::UInt(_) | V::Bool | V::Arr | V::Obj(_) => None,
    }
}

/// A float field: any number, finite numeric strings (trimmed), null and
/// blank strings (0).
fn float_of(v: &V) -> Option<f64> {
    match v {
        V::Null => Some(0.0),
        V::Int(i) => Some(*i as f64),
        V::UInt(u) => Some(*u as f64),
        V::Float(f) => Some(*f),
        V::Str(s) if s.trim().is_empty() => Some(0.0),
        V::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        V::Bool | V::Arr | V::Obj(_) => None,
    }
}

/// A text field: strings, numbers as their decimal text, null (empty).
fn text_of(v: &V, cap: usize) -> Option<(String, bool)> {
    let num = match v {
        V::Str(s) => return Some(cut(s, cap)),
        V::Null => return Some((String::new(), false)),
        V::Int(i) => i.to_string(),
        V::UInt(u) => u.to_string(),
        // A float's whole decimal text, cut to the field like a string (the
        // crate once reported text longer than 40 bytes as a bad value:
        // `order_serde-long-float-text`).
        V::Float(f) => f.to_string(),
        V::Bool | V::Arr | V::Obj(_) => return None,
    };
    Some(cut(&num, cap))
}

/// Sets the field a `Data` key names (ASCII case ignored, `_` dropped; other
/// keys ignored). `Err(field)` on a value of the wrong type, the field unchanged.
fn set(s: &mut Snap, key: &str, v: &V) -> Result<(), &'static str> {
    let norm: String = key
        .chars()
        .filter(|&c| c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let is = |doc: &str| doc.to_ascii_lowercase() == norm;
    if let Some(i) = TEXT.iter().position(|(k, _, _)| is(k)) {
        s.texts[i] = text_of(v, TEXT[i].2).ok_or(TEXT[i].1)?;
    } else if let Some(i) = INT.iter().position(|(k, _)| is(k)) {
        s.ints[i] = int_of(v).ok_or(INT[i].1)?;
    } else if let Some(i) = FLOAT.iter().position(|(k, _)| is(k)) {
        s.floats[i] = float_of(v).ok_or(FLOAT[i].1)?.to_bits();
    } else if is("Status") {
        s.status = match v {
            V::Str(t) => status_of(t),
            V::Null => (String::new(), false),
            _ => return Err("status"),
        };
    }
    Ok(())
}

fn empty() -> Snap {
    Snap {
        texts: vec![(String::new(), false); TEXT.len()],
        ints: vec![0; INT.len()],
        floats: vec![0f64.to_bits(); FLOAT.len()],
        status: (String::new(), false),
    }
}

/// The calls one object (a value serde_json accepted) gives.
fn expect_object(v: &V, offset: usize) -> Vec<Ev> {
    let entries: &[(String, V)] = match v {
        V::Obj(e) => e,
        _ => &[], // a top-level array has no `Type`
    };
    // The last string `Type` counts (values of other types are ignored); the
    // last `Data`, whatever its value. Both keys match ignoring ASCII case.
    let mut kind: Option<Result<(), (String, bool)>> = None;
    let mut data = None;
    for (k, x) in entries {
        if k.eq_ignore_ascii_case("Type") {
            if let V::Str(t) = x {
                kind = Some(if t.eq_ignore_ascii_case("order_alert") {
                    Ok(())
                } else {
                    Err(cut(t, 32))
                });
            }
        } else if k.eq_ignore_ascii_case("Data") {
            data = Some(x);
        }
    }
    match kind {
        None => return vec![Ev::MissingType(offset)],
        Some(Err((t, cut))) => return vec![Ev::Other(t, cut)],
        Some(Ok(())) => {}
    }
    let Some(V::Obj(fields)) = data else {
        return vec![Ev::MissingData(offset)];
    };
    let mut s = empty();
    let mut bad = None;
    for (k, x) in fields {
        if let Err(f) = set(&mut s, k, x) {
            bad.get_or_insert(f);
        }
    }
    let update = Ev::Update(Box::new(s));
    match bad {
        // The first bad field, then the update with that field left as it was.
        Some(f) => vec![Ev::BadField(offset, f), update],
        None => vec![update],
    }
}

/// What the reference expects for one value of the frame.
#[derive(Debug)]
enum Expect {
    Calls(Vec<Ev>),
    /// Not compared (a documented difference); the crate's calls for the
    /// value are skipped.
    Skip,
}

fn is_json_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The top-level values of a frame by the documented rule: whitespace, then an
/// object or array found by strings, escapes and bracket depth alone; anything
/// else ends the frame. `Ok(range)` per value, then at most one `Err(call)`.
fn split(frame: &[u8]) -> Vec<Result<Range<usize>, Ev>> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        // JSON's whitespace only (the crate's splitter once skipped a form
        // feed too: `order_serde-form-feed`).
        while pos < frame.len() && is_json_ws(frame[pos]) {
            pos += 1;
        }
        if pos == frame.len() {
            return out;
        }
        if !matches!(frame[pos], b'{' | b'[') {
            out.push(Err(Ev::NotAnObject(pos)));
            return out;
        }
        let start = pos;
        let mut depth = 0usize;
        let mut end = None;
        let mut i = start;
        while i < frame.len() {
            match frame[i] {
                b'"' => {
                    i += 1;
                    while i < frame.len() && frame[i] != b'"' {
                        i += if frame[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        match end {
            Some(e) => {
                out.push(Ok(start..e));
                pos = e;
            }
            None => {
                out.push(Err(Ev::Unterminated(start)));
                return out;
            }
        }
    }
}

/// The expected calls for one value.
fn expect_value(frame: &[u8], r: Range<usize>) -> Expect {
    let text = &frame[r.clone()];
    let j: J = match serde_json::from_slice(text) {
        Ok(j) => j,
        Err(e) => {
            // DIFFERENCE (nesting depth): serde_json stops at 128 levels,
            // simd-json at 1024; between the two the crate may accept what
            // serde_json refuses. Nothing else is skipped.
            if e.to_string().starts_with("recursion limit exceeded") {
                return Expect::Skip;
            }
            return Expect::Calls(vec![Ev::Json(r.start)]);
        }
    };
    let mut lits = number_literals(text).into_iter();
    match classify(j, &mut lits) {
        Some(v) => {
            assert!(lits.next().is_none(), "one literal per number");
            Expect::Calls(expect_object(&v, r.start))
        }
        None => Expect::Calls(vec![Ev::Json(r.start)]),
    }
}

/// The split agrees with serde_json's `StreamDeserializer` (concatenated
/// values, whitespace between them optional) for as long as serde_json
/// accepts the frame: the same value ranges, and where serde_json fails the
/// split fails too (or the value there is one serde_json rejects alone).
fn check_split_against_stream(frame: &[u8], parts: &[Result<Range<usize>, Ev>]) {
    let mut stream = serde_json::Deserializer::from_slice(frame).into_iter::<J>();
    let mut prev = 0;
    let mut k = 0;
    while let Some(item) = stream.next() {
        let mut start = prev;
        while start < frame.len() && is_json_ws(frame[start]) {
            start += 1;
        }
        let part = parts.get(k);
        let is_value = matches!(frame.get(start), Some(b'{' | b'['));
        match item {
            Ok(_) if is_value => {
                let end = stream.byte_offset();
                assert_eq!(part, Some(&Ok(start..end)), "split differs from serde_json");
                k += 1;
                prev = end;
            }
            // A scalar (serde_json reads `1`, `"x"`, `null`), or a stream error.
            _ => {
                match part {
                    Some(Err(Ev::NotAnObject(o) | Ev::Unterminated(o))) => {
                        assert_eq!(*o, start, "split fails elsewhere than serde_json")
                    }
                    Some(Ok(r)) => {
                        assert!(
                            item.is_err(),
                            "serde_json read a value where the split sees {r:?}"
                        );
                        assert_eq!(r.start, start);
                        assert!(
                            serde_json::from_slice::<J>(&frame[r.clone()]).is_err(),
                            "serde_json's stream fails at a value it accepts alone"
                        );
                    }
                    other => panic!("serde_json fails at {start}, the split has {other:?}"),
                }
                return;
            }
        }
    }
    assert_eq!(
        k,
        parts.len(),
        "serde_json ended the frame before the split"
    );
}

// ---------------------------------------------------------------------------

fn ours(parser: &mut OrderUpdateParser, slot: &mut OrderUpdate, frame: &[u8]) -> Vec<Ev> {
    let mut calls = Vec::new();
    parser.parse_frame(frame, slot, |r| {
        calls.push(match r {
            Ok((OrderMessageKind::Update, u)) => Ev::Update(Box::new(snap(u))),
            Ok((OrderMessageKind::Other(t), _)) => {
                Ev::Other(t.as_str().to_owned(), t.is_truncated())
            }
            Err(OrderError::Json { offset, .. }) => Ev::Json(offset),
            Err(OrderError::MissingType { offset }) => Ev::MissingType(offset),
            Err(OrderError::MissingData { offset }) => Ev::MissingData(offset),
            Err(OrderError::BadField { offset, field }) => Ev::BadField(offset, field),
            Err(OrderError::Split(SplitError::NotAnObject { offset })) => Ev::NotAnObject(offset),
            Err(OrderError::Split(SplitError::Unterminated { offset })) => Ev::Unterminated(offset),
            Err(e) => panic!("an error of no known category: {e:?}"),
        })
    });
    calls
}

/// The two call lists; for two updates, only the fields that differ.
fn describe(want: &[Ev], have: &[Ev]) -> String {
    if let ([.., Ev::Update(a)], [.., Ev::Update(b)]) = (want, have) {
        let mut d = format!("reference calls: {}, ours: {}\n", want.len(), have.len());
        if want.len() == 2 {
            d += &format!("reference: {:?}\nours: {:?}\n", want[0], have[0]);
        }
        let names = TEXT.iter().map(|t| t.1);
        for ((n, x), y) in names.zip(&a.texts).zip(&b.texts) {
            if x != y {
                d += &format!("{n}: reference {x:?}, ours {y:?}\n");
            }
        }
        for ((n, x), y) in INT.iter().map(|t| t.1).zip(&a.ints).zip(&b.ints) {
            if x != y {
                d += &format!("{n}: reference {x}, ours {y}\n");
            }
        }
        for ((n, x), y) in FLOAT.iter().map(|t| t.1).zip(&a.floats).zip(&b.floats) {
            if x != y {
                let (x, y) = (f64::from_bits(*x), f64::from_bits(*y));
                d += &format!("{n}: reference {x:e}, ours {y:e}\n");
            }
        }
        if a.status != b.status {
            d += &format!("status: reference {:?}, ours {:?}\n", a.status, b.status);
        }
        return d;
    }
    format!("reference: {want:#?}\nours: {have:#?}")
}

thread_local! {
    /// One parser and slot for the whole run, as on a connection.
    static STATE: RefCell<(OrderUpdateParser, OrderUpdate)> =
        RefCell::new((OrderUpdateParser::new(), OrderUpdate::EMPTY));
}

fuzz_target!(|frame: &[u8]| {
    let parts = split(frame);
    check_split_against_stream(frame, &parts);
    let got = STATE.with(|s| {
        let (p, slot) = &mut *s.borrow_mut();
        ours(p, slot, frame)
    });
    let mut got = got.into_iter().peekable();
    for part in parts {
        let (range, expect) = match part {
            Ok(r) => (Some(r.clone()), expect_value(frame, r)),
            Err(ev) => (None, Expect::Calls(vec![ev])),
        };
        match expect {
            Expect::Calls(want) => {
                let have: Vec<Ev> = got.by_ref().take(want.len()).collect();
                if have != want {
                    let text = range.map(|r| String::from_utf8_lossy(&frame[r]).into_owned());
                    panic!(
                        "order parser and reference differ\nvalue: {text:?}\n{}",
                        describe(&want, &have)
                    );
                }
            }
            Expect::Skip => {
                // One call, or two for a bad field (the error, then the update).
                if matches!(got.next(), Some(Ev::BadField(..))) {
                    got.next();
                }
            }
        }
    }
    let rest: Vec<Ev> = got.collect();
    assert!(rest.is_empty(), "calls after the last value: {rest:#?}");
});
