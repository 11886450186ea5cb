//! JSON plumbing shared by the request, login and order-update codecs: a writer
//! that appends to a caller-owned buffer, a splitter for several JSON values in one
//! text frame, and a reusable simd-json tape parser.

use simd_json::{Buffers, Node, StaticNode, Tape};
use std::io::Write as _;
use std::ops::Range;

/// Appends `s` as a JSON string literal (quotes included), escaping as RFC 8259 requires.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends an unsigned integer in decimal.
pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends a signed integer in decimal.
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends a float in its shortest round-tripping decimal form; non-finite values
/// (which JSON cannot carry) are written as `null`.
pub fn push_f64(out: &mut Vec<u8>, v: f64) {
    push_float(out, v, v);
}

/// Appends an `f32` the same way as [`push_f64`] but with `f32`'s shortest form
/// (152.3, not 152.3000030517578).
pub fn push_f32(out: &mut Vec<u8>, v: f32) {
    push_float(out, v, f64::from(v));
}

fn push_float<T: std::fmt::Display + std::fmt::LowerExp>(out: &mut Vec<u8>, v: T, as_f64: f64) {
    if !as_f64.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    // Writing to a Vec cannot fail. Rust's plain form never uses an exponent (1e300
    // would be 301 digits), so extreme magnitudes use the exponent form.
    let a = as_f64.abs();
    if a == 0.0 && as_f64.is_sign_negative() {
        // Display writes "-0", which JSON reads as the integer 0: the sign
        // would be lost on the way back.
        out.extend_from_slice(b"-0.0");
        return;
    }
    if a != 0.0 && !(1e-6..1e16).contains(&a) {
        let _ = write!(out, "{v:e}");
    } else {
        let _ = write!(out, "{v}");
    }
}

/// Why a frame could not be split into JSON values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// A value starts with something other than `{` or `[`.
    #[error("expected a JSON object at byte {offset}")]
    NotAnObject {
        /// Offset of the unexpected byte.
        offset: usize,
    },
    /// The frame ends inside a value.
    #[error("JSON value starting at byte {offset} is not terminated")]
    Unterminated {
        /// Offset where the unterminated value starts.
        offset: usize,
    },
}

impl SplitError {
    /// Offset of the fault within the frame.
    pub fn offset(&self) -> usize {
        match self {
            Self::NotAnObject { offset } | Self::Unterminated { offset } => *offset,
        }
    }

    /// The same error with its offset moved by `base` (split from `base` on).
    pub(crate) fn shifted(mut self, base: usize) -> Self {
        match &mut self {
            Self::NotAnObject { offset } | Self::Unterminated { offset } => *offset += base,
        }
        self
    }
}

/// Iterator over the top-level JSON objects (or arrays) concatenated in one frame,
/// separated by optional whitespace: yields the byte range of each.
///
/// It tracks only strings, escapes and bracket depth; each value is validated
/// later by the real parser. After an error it ends.
#[derive(Clone, Debug)]
pub struct SplitValues<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

/// Splits `frame` into its top-level JSON values. See [`SplitValues`].
pub fn split_values(frame: &[u8]) -> SplitValues<'_> {
    SplitValues {
        buf: frame,
        pos: 0,
        done: false,
    }
}

impl Iterator for SplitValues<'_> {
    type Item = Result<Range<usize>, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let buf = self.buf;
        // JSON's whitespace (RFC 8259): not `is_ascii_whitespace`, which also
        // skips a form feed.
        while self.pos < buf.len() && matches!(buf[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        if self.pos >= buf.len() {
            self.done = true;
            return None;
        }
        let start = self.pos;
        if buf[start] != b'{' && buf[start] != b'[' {
            self.done = true;
            return Some(Err(SplitError::NotAnObject { offset: start }));
        }
        let mut depth = 0usize;
        let mut i = start;
        while i < buf.len() {
            match buf[i] {
                b'"' => {
                    // Inside a string only a quote or a backslash matters: jump
                    // to the next one (memchr; most of an order update is string
                    // values). An escape skips the byte after its backslash.
                    i += 1;
                    loop {
                        match memchr::memchr2(b'"', b'\\', &buf[i.min(buf.len())..]) {
                            Some(p) if buf[i + p] == b'"' => {
                                i += p;
                                break;
                            }
                            Some(p) => i += p + 2,
                            None => {
                                i = buf.len();
                                break;
                            }
                        }
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        return Some(Ok(start..i + 1));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.done = true;
        Some(Err(SplitError::Unterminated { offset: start }))
    }
}

/// A reusable simd-json parser: the input copy, simd-json's buffers and the tape are
/// kept between calls, so parsing performs no heap allocation once they have grown
/// to the largest message seen.
pub struct TapeParser {
    scratch: Vec<u8>,
    buffers: Buffers,
    tape: Option<Tape<'static>>,
}

impl Default for TapeParser {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TapeParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapeParser")
            .field("capacity", &self.scratch.capacity())
            .finish_non_exhaustive()
    }
}

impl TapeParser {
    /// A parser with buffers sized for typical order-update messages (4 KiB).
    pub fn new() -> Self {
        Self::with_capacity(4096)
    }

    /// A parser with buffers sized for `len`-byte documents.
    pub fn with_capacity(len: usize) -> Self {
        Self {
            scratch: Vec::with_capacity(len),
            buffers: Buffers::new(len),
            tape: Some(Tape::null().reset()),
        }
    }

    /// Parses one JSON document and hands its tape nodes to `f`.
    ///
    /// # Errors
    /// simd-json's error when `json` is not one valid JSON document.
    pub fn parse<R>(
        &mut self,
        json: &[u8],
        f: impl FnOnce(&[Node<'_>]) -> R,
    ) -> Result<R, simd_json::Error> {
        self.scratch.clear();
        self.scratch.extend_from_slice(json);
        let mut tape: Tape<'_> = self.tape.take().unwrap_or_else(Tape::null).reset();
        let result = simd_json::fill_tape(&mut self.scratch, &mut self.buffers, &mut tape)
            .map(|()| f(&tape.0));
        self.tape = Some(tape.reset());
        result
    }
}

/// Number of tape nodes the value starting at `nodes[0]` occupies.
#[inline]
pub fn node_span(node: &Node<'_>) -> usize {
    match node {
        Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
        _ => 1,
    }
}

/// Iterates the `(key, value nodes)` pairs of the object at `nodes[0]`;
/// empty when `nodes[0]` is not an object.
pub fn object_entries<'t, 'i>(
    nodes: &'t [Node<'i>],
) -> impl Iterator<Item = (&'i str, &'t [Node<'i>])> + 't {
    let len = match nodes.first() {
        Some(Node::Object { len, .. }) => *len,
        _ => 0,
    };
    let mut idx = 1;
    (0..len).map_while(move |_| {
        let key = match nodes.get(idx)? {
            Node::String(s) => *s,
            _ => return None,
        };
        let vstart = idx + 1;
        let span = node_span(nodes.get(vstart)?);
        idx = vstart + span;
        Some((key, nodes.get(vstart..vstart + span)?))
    })
}

/// Iterates the element values of the array at `nodes[0]`; empty when not an array.
pub fn array_items<'t, 'i>(nodes: &'t [Node<'i>]) -> impl Iterator<Item = &'t [Node<'i>]> + 't {
    let len = match nodes.first() {
        Some(Node::Array { len, .. }) => *len,
        _ => 0,
    };
    let mut idx = 1;
    (0..len).map_while(move |_| {
        let span = node_span(nodes.get(idx)?);
        let v = nodes.get(idx..idx + span)?;
        idx += span;
        Some(v)
    })
}

/// A scalar read from a tape value, with numbers given as JSON numbers or as
/// numeric strings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'i> {
    /// A string.
    Str(&'i str),
    /// An integer.
    Int(i64),
    /// An integer too large for `i64`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object or array.
    Composite,
}

/// The scalar at `nodes[0]`.
pub fn scalar<'i>(nodes: &[Node<'i>]) -> Scalar<'i> {
    match nodes.first() {
        Some(Node::String(s)) => Scalar::Str(s),
        Some(Node::Static(StaticNode::I64(v))) => Scalar::Int(*v),
        Some(Node::Static(StaticNode::U64(v))) => match i64::try_from(*v) {
            Ok(v) => Scalar::Int(v),
            Err(_) => Scalar::UInt(*v),
        },
        Some(Node::Static(StaticNode::F64(v))) => Scalar::Float(*v),
        Some(Node::Static(StaticNode::Bool(b))) => Scalar::Bool(*b),
        Some(Node::Static(StaticNode::Null)) | None => Scalar::Null,
        Some(_) => Scalar::Composite,
    }
}

impl Scalar<'_> {
    /// As an integer: a JSON integer, an integral float, or a numeric string
    /// (surrounding spaces allowed). `None` otherwise.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Scalar::Int(v) => Some(v),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
            Scalar::Str(s) => {
                let s = s.trim();
                s.parse::<i64>().ok().or_else(|| {
                    let f: f64 = s.parse().ok()?;
                    (f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
                })
            }
            _ => None,
        }
    }

    /// As a float: any JSON number or a numeric string. `None` otherwise.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            Scalar::Int(v) => Some(v as f64),
            Scalar::UInt(v) => Some(v as f64),
            Scalar::Float(f) => Some(f),
            Scalar::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip_through_simd_json() {
        let s = "a\"b\\c\nd\u{1}e\u{7f}é";
        let mut out = Vec::new();
        push_str(&mut out, s);
        let mut p = TapeParser::new();
        let got = p
            .parse(&out, |n| match n.first() {
                Some(Node::String(t)) => t.to_string(),
                _ => String::new(),
            })
            .unwrap();
        assert_eq!(got, s);
    }

    /// Negative zero keeps its sign through a round trip (Display writes "-0",
    /// an integer to JSON: the `order_json` target's finding).
    #[test]
    fn negative_zero_stays_negative() {
        let mut out = Vec::new();
        push_f64(&mut out, -0.0);
        assert_eq!(out, b"-0.0");
        let mut p = TapeParser::new();
        let back = p.parse(&out, |n| scalar(n).as_f64()).unwrap().unwrap();
        assert!(back == 0.0 && back.is_sign_negative());
        out.clear();
        push_f64(&mut out, 0.0);
        push_f32(&mut out, -0.0);
        assert_eq!(out, b"0-0.0");
    }

    #[test]
    fn integers() {
        let mut out = Vec::new();
        push_u64(&mut out, 0);
        out.push(b' ');
        push_i64(&mut out, i64::MIN);
        out.push(b' ');
        push_u64(&mut out, u64::MAX);
        assert_eq!(out, b"0 -9223372036854775808 18446744073709551615");
    }

    #[test]
    fn splits_concatenated_objects() {
        let f = br#" {"a":"}{"} {"b":[1,{"c":2}]}{"d":"\"}"}"#;
        let parts: Vec<_> = split_values(f).collect::<Result<_, _>>().unwrap();
        let texts: Vec<&[u8]> = parts.iter().map(|r| &f[r.clone()]).collect();
        assert_eq!(
            texts,
            vec![
                &br#"{"a":"}{"}"#[..],
                &br#"{"b":[1,{"c":2}]}"#[..],
                &br#"{"d":"\"}"}"#[..]
            ]
        );
    }

    /// Found by the `order_serde` fuzz target: only JSON's four whitespace
    /// bytes separate values; a form feed is not one of them.
    #[test]
    fn split_skips_json_whitespace_only() {
        let frame = b" \t\r\n{\"Type\":\"x\"}\x0c{\"Type\":\"y\"}";
        let got: Vec<_> = split_values(frame).collect();
        assert_eq!(got[0], Ok(4..16));
        assert_eq!(got[1], Err(SplitError::NotAnObject { offset: 16 }));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn split_reports_garbage_after_good_values() {
        let f = br#"{"a":1} x"#;
        let mut it = split_values(f);
        assert_eq!(it.next(), Some(Ok(0..7)));
        assert_eq!(it.next(), Some(Err(SplitError::NotAnObject { offset: 8 })));
        assert_eq!(it.next(), None);
        let f = br#"{"a":1}{"b":"#;
        let mut it = split_values(f);
        assert_eq!(it.next(), Some(Ok(0..7)));
        assert_eq!(it.next(), Some(Err(SplitError::Unterminated { offset: 7 })));
    }

    #[test]
    fn scalars_accept_numeric_strings() {
        assert_eq!(Scalar::Str(" 25 ").as_i64(), Some(25));
        assert_eq!(Scalar::Str("25.0").as_i64(), Some(25));
        assert_eq!(Scalar::Str("2.5").as_i64(), None);
        assert_eq!(Scalar::Str("x").as_f64(), None);
        assert_eq!(Scalar::Str("NaN").as_f64(), None);
        assert_eq!(Scalar::Float(2.0).as_i64(), Some(2));
        assert_eq!(Scalar::Int(7).as_f64(), Some(7.0));
    }

    #[test]
    fn object_walk_skips_nested_values() {
        let mut p = TapeParser::new();
        let keys = p
            .parse(br#"{"a":{"x":[1,2,{"y":3}]},"b":[],"c":"s"}"#, |n| {
                object_entries(n)
                    .map(|(k, v)| (k.to_string(), v.len()))
                    .collect::<Vec<_>>()
            })
            .unwrap();
        assert_eq!(
            keys,
            vec![("a".into(), 8), ("b".into(), 1), ("c".into(), 1)]
        );
    }
}
