//! Live order updates (docs/protocol.md §6.2): parsing
//! `{"Data":{…},"Type":"order_alert"}` into a preallocated [`OrderUpdate`], and the
//! inverse encoder.
//!
//! Keys match case-insensitively and ignore `_` (PascalCase, camelCase, lower case
//! and snake_case all work); numbers are accepted as JSON numbers or numeric
//! strings; several JSON objects in one text frame are all parsed; messages of
//! another `Type` are reported, not dropped. Text lives inline ([`Text`]), so
//! parsing performs no heap allocation once the parser's buffers have grown.

use super::json::{Scalar, TapeParser, object_entries, scalar, split_values};
use super::order_update::normalise_key;
pub use super::order_update::{
    FieldValue, KeyCase, ORDER_ALERT, OrderError, OrderMessageKind, OrderUpdate,
};
use super::text::Text;

/// Parser for the order-update feed; reuse one per connection.
#[derive(Debug, Default)]
pub struct OrderUpdateParser {
    tape: TapeParser,
    keys: super::order_fast::KeyOrder,
}

impl OrderUpdateParser {
    /// A parser with buffers for typical messages.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one JSON object (at `offset` in its frame, for error reports) into
    /// `out`, which is reset first. A field of the wrong type (`"Quantity":true`,
    /// `"Price":"n/a"`) is reported as `BadField` (the first such field), but
    /// every other field is still set in `out` and the bad one left empty, so the
    /// caller can still deliver the order number and status (as
    /// [`parse_frame`](Self::parse_frame) does).
    ///
    /// An object in the shape Dhan sends takes a one-pass fast path
    /// (`proto::order_fast`); anything else goes through simd-json's tape. Both
    /// give the same result for every input.
    pub fn parse_object(
        &mut self,
        json: &[u8],
        offset: usize,
        out: &mut OrderUpdate,
    ) -> Result<OrderMessageKind, OrderError> {
        if let Some(r) = super::order_fast::parse_object_fast(json, offset, out, &mut self.keys) {
            return r;
        }
        self.parse_object_tape(json, offset, out)
    }

    /// [`parse_object`](Self::parse_object) through simd-json's tape always
    /// (the fast path's reference, for tests, benchmarks and fuzzing).
    #[doc(hidden)]
    pub fn parse_object_tape(
        &mut self,
        json: &[u8],
        offset: usize,
        out: &mut OrderUpdate,
    ) -> Result<OrderMessageKind, OrderError> {
        *out = OrderUpdate::EMPTY;
        let r = self.tape.parse(json, |nodes| {
            let mut kind: Option<OrderMessageKind> = None;
            let mut data = None;
            for (k, v) in object_entries(nodes) {
                if k.eq_ignore_ascii_case("Type") {
                    if let Scalar::Str(t) = scalar(v) {
                        kind = Some(if t.eq_ignore_ascii_case(ORDER_ALERT) {
                            OrderMessageKind::Update
                        } else {
                            OrderMessageKind::Other(Text::new(t))
                        });
                    }
                } else if k.eq_ignore_ascii_case("Data") {
                    data = Some(v);
                }
            }
            let kind = kind.ok_or(OrderError::MissingType { offset })?;
            if kind != OrderMessageKind::Update {
                return Ok(kind);
            }
            let data = data
                .filter(|d| matches!(d.first(), Some(simd_json::Node::Object { .. })))
                .ok_or(OrderError::MissingData { offset })?;
            let mut kbuf = [0u8; 32];
            let mut bad = None;
            for (k, v) in object_entries(data) {
                let Some(n) = normalise_key(k, &mut kbuf) else {
                    continue;
                };
                if let Err(field) = out.set_field(&kbuf[..n], scalar(v)) {
                    bad.get_or_insert(field);
                }
            }
            match bad {
                Some(field) => Err(OrderError::BadField { offset, field }),
                None => Ok(kind),
            }
        });
        match r {
            Ok(inner) => inner,
            Err(e) => Err(OrderError::Json {
                offset,
                message: e.to_string(),
            }),
        }
    }

    /// Parses every JSON object of one text frame, calling `f` with each result in
    /// order. An error in one object does not stop the objects after it (only a
    /// frame that cannot be split further ends the walk, after reporting it). An
    /// `order_alert` with a field of the wrong type yields two calls: the
    /// `BadField` error, then the update with that field empty, so that its order
    /// number and status are not lost. `slot` is the caller's preallocated update,
    /// filled for each `order_alert`.
    ///
    /// Objects in the shape Dhan sends are parsed in one pass over the frame
    /// (`proto::order_fast`); from the first that is not, the frame is split into
    /// its values and each goes through [`parse_object`](Self::parse_object).
    pub fn parse_frame(
        &mut self,
        frame: &[u8],
        slot: &mut OrderUpdate,
        mut f: impl FnMut(Result<(OrderMessageKind, &OrderUpdate), OrderError>),
    ) {
        let mut pos = 0;
        if let Some(text) = super::order_fast::frame_text(frame) {
            loop {
                // No byte below 0x20 in the frame: spaces are its only whitespace.
                while frame.get(pos) == Some(&b' ') {
                    pos += 1;
                }
                if pos == frame.len() {
                    return;
                }
                match super::order_fast::parse_object_at(text, pos, pos, slot, &mut self.keys) {
                    Some((res, end)) => {
                        deliver(res, slot, &mut f);
                        pos = end;
                    }
                    None => break,
                }
            }
        }
        for range in split_values(&frame[pos..]) {
            match range {
                Ok(r) => {
                    let r = r.start + pos..r.end + pos;
                    let res = self.parse_object(&frame[r.clone()], r.start, slot);
                    deliver(res, slot, &mut f);
                }
                Err(e) => f(Err(OrderError::Split(e.shifted(pos)))),
            }
        }
    }
}

/// Hands one object's result to `f`; an `order_alert` with a field of the wrong
/// type also as the update with that field empty.
fn deliver(
    res: Result<OrderMessageKind, OrderError>,
    slot: &OrderUpdate,
    f: &mut impl FnMut(Result<(OrderMessageKind, &OrderUpdate), OrderError>),
) {
    let partial = matches!(res, Err(OrderError::BadField { .. }));
    f(res.map(|k| (k, slot)));
    if partial {
        f(Ok((OrderMessageKind::Update, slot)));
    }
}

/// Writes `{"Data":{…},"Type":"order_alert"}` for `u` with keys in `case`,
/// replacing the contents of `out`.
pub fn encode_order_update(u: &OrderUpdate, case: KeyCase, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"{\"Data\":{");
    u.write_fields(case, out);
    out.extend_from_slice(b"},\"Type\":\"order_alert\"}");
}
