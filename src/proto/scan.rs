//! Byte scans of the order parser's fast path (a whole frame, a string's end):
//! SSE2 on x86_64 (part of every x86_64 target, so no runtime detection), a
//! portable loop elsewhere. The crate's only `unsafe` outside `ring/`: the
//! intrinsics and their unaligned loads, each block with its `// SAFETY:` line.
#![allow(unsafe_code)]

/// Whether every byte of `b` is printable ASCII or DEL (0x20..=0x7f).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn printable_ascii(b: &[u8]) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_setzero_si128,
    };
    let mut chunks = b.chunks_exact(64);
    // Signed: bytes of 0x80 and above are negative, so one compare flags both.
    // SAFETY: SSE2 is part of every x86_64 target; each load reads 16 bytes
    // inside one chunk (a quarter of a 64-byte one, or a whole 16-byte one),
    // with no alignment required.
    let flagged = unsafe {
        let space = _mm_set1_epi8(0x20);
        let mut any = _mm_setzero_si128();
        for c in &mut chunks {
            let p = c.as_ptr().cast::<__m128i>();
            let a = _mm_cmplt_epi8(_mm_loadu_si128(p), space);
            let b = _mm_cmplt_epi8(_mm_loadu_si128(p.add(1)), space);
            let c = _mm_cmplt_epi8(_mm_loadu_si128(p.add(2)), space);
            let d = _mm_cmplt_epi8(_mm_loadu_si128(p.add(3)), space);
            any = _mm_or_si128(any, _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d)));
        }
        let mut rest = chunks.remainder().chunks_exact(16);
        for c in &mut rest {
            let v = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
            any = _mm_or_si128(any, _mm_cmplt_epi8(v, space));
        }
        _mm_movemask_epi8(any) != 0 || !rest.remainder().iter().all(|&c| (0x20..0x80).contains(&c))
    };
    !flagged
}

/// Whether every byte of `b` is printable ASCII or DEL (0x20..=0x7f).
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(crate) fn printable_ascii(b: &[u8]) -> bool {
    b.iter().all(|&c| (0x20..0x80).contains(&c))
}

/// The first `"` or `\` at or after `from` in `b`: sixteen bytes at a time
/// (most strings of an order update are shorter), bytes at the end.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn quote_or_backslash(b: &[u8], mut from: usize) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    while let Some(chunk) = b.get(from..from + 16) {
        // SAFETY: SSE2 is part of every x86_64 target; the load reads the 16
        // bytes of `chunk`, with no alignment required.
        let hits = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let s = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_or_si128(q, s))
        };
        if hits != 0 {
            return Some(from + hits.trailing_zeros() as usize);
        }
        from += 16;
    }
    b.get(from..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| from + p)
}

/// The first `"` or `\` at or after `from` in `b`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    memchr::memchr2(b'"', b'\\', b.get(from..)?).map(|p| from + p)
}

/// The text of `s` from `start` to `end` when the bytes just before `start`
/// and at `end` are `"`: both ends sit beside an ASCII byte, so they are
/// character boundaries and need no further check. `None` otherwise.
#[inline(always)]
pub(crate) fn between_quotes(s: &str, start: usize, end: usize) -> Option<&str> {
    let b = s.as_bytes();
    if start == 0 || start > end || *b.get(end)? != b'"' || b[start - 1] != b'"' {
        return None;
    }
    // SAFETY: `start - 1 < start <= end < s.len()`; the bytes at `start - 1`
    // and at `end` are ASCII, and in UTF-8 the byte after an ASCII byte and
    // an ASCII byte itself both begin a character: the range lies on
    // character boundaries of `s`.
    Some(unsafe { s.get_unchecked(start..end) })
}

/// `b` as text when [`printable_ascii`] holds (every byte 0x20..=0x7f).
#[inline]
pub(crate) fn ascii_str(b: &[u8]) -> Option<&str> {
    if !printable_ascii(b) {
        return None;
    }
    // SAFETY: every byte is below 0x80, and ASCII is valid UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(b) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_or_backslash_finds_the_first_at_any_distance() {
        for len in [0, 1, 15, 16, 17, 40, 70] {
            for at in 0..len {
                for c in [b'"', b'\\'] {
                    let mut t = vec![b'x'; len];
                    t[at] = c;
                    if at + 3 < len {
                        t[at + 3] = b'"';
                    }
                    for from in 0..=at {
                        assert_eq!(quote_or_backslash(&t, from), Some(at), "{len} {at} {from}");
                    }
                    assert_eq!(quote_or_backslash(&t, len), None);
                }
            }
            assert_eq!(quote_or_backslash(&vec![b'y'; len], 0), None);
        }
        assert_eq!(quote_or_backslash(b"ab", 5), None);
    }

    #[test]
    fn between_quotes_needs_a_quote_at_both_ends() {
        let s = r#"{"ab":"ü"}"#;
        assert_eq!(between_quotes(s, 2, 4), Some("ab"));
        assert_eq!(between_quotes(s, 7, 9), Some("ü"));
        assert_eq!(between_quotes(s, 7, 7), None, "no quote at the end");
        assert_eq!(between_quotes(s, 8, 9), None, "no quote before the start");
        assert_eq!(between_quotes(s, 0, 1), None);
        assert_eq!(between_quotes(s, 5, 4), None);
        assert_eq!(between_quotes(s, 2, 40), None);
        assert_eq!(between_quotes(r#""""#, 1, 1), Some(""));
    }

    #[test]
    fn printable_ascii_refuses_control_and_high_bytes_anywhere() {
        let text = vec![b'x'; 100];
        assert!(printable_ascii(&text));
        assert!(printable_ascii(b"\x7f ~"));
        for at in [0, 15, 16, 63, 96, 99] {
            for bad in [0x00, 0x1f, 0x80, 0xc3, 0xff] {
                let mut t = text.clone();
                t[at] = bad;
                assert!(!printable_ascii(&t), "byte {bad:#x} at {at}");
                assert!(ascii_str(&t).is_none());
            }
        }
        assert_eq!(ascii_str(b"{\"a\":1}"), Some("{\"a\":1}"));
    }
}
