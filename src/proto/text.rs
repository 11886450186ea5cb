//! Fixed-capacity inline text: strings of the order-update feed without a heap
//! allocation per message.

use std::fmt;

/// UTF-8 text of at most `N` bytes stored inline (`N` ≤ 255).
///
/// Longer input is cut at the last character boundary that fits and flagged
/// ([`Text::is_truncated`]), so a cut is never silent.
///
/// Equality and hashing look at the text and the cut flag only, never at bytes
/// left behind by an earlier, longer value.
#[derive(Clone, Copy)]
pub struct Text<const N: usize> {
    len: u8,
    truncated: bool,
    buf: [u8; N],
}

impl<const N: usize> PartialEq for Text<N> {
    fn eq(&self, other: &Self) -> bool {
        self.truncated == other.truncated && self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for Text<N> {}

impl<const N: usize> std::hash::Hash for Text<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
        self.truncated.hash(state);
    }
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> Text<N> {
    /// The empty text.
    pub const EMPTY: Self = {
        assert!(N <= 255, "Text capacity is at most 255 bytes");
        Self {
            len: 0,
            truncated: false,
            buf: [0; N],
        }
    };

    /// Text holding `s` (cut to `N` bytes at a character boundary if longer).
    pub fn new(s: &str) -> Self {
        let mut t = Self::EMPTY;
        t.set(s);
        t
    }

    /// Replaces the contents with `s`; returns `false` if it had to be cut.
    #[inline(always)]
    pub fn set(&mut self, s: &str) -> bool {
        let b = s.as_bytes();
        if b.len() <= N {
            copy_short(&mut self.buf[..b.len()], b);
            self.len = b.len() as u8;
            self.truncated = false;
            return true;
        }
        self.set_cut(s)
    }

    /// [`Text::set`] of text longer than `N`.
    #[cold]
    fn set_cut(&mut self, s: &str) -> bool {
        let mut n = s.len().min(N);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[..n].copy_from_slice(&s.as_bytes()[..n]);
        self.len = n as u8;
        self.truncated = n < s.len();
        !self.truncated
    }

    /// Empties the text.
    pub fn clear(&mut self) {
        self.len = 0;
        self.truncated = false;
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only whole characters of a `&str` are ever copied in, so this cannot fail.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or_default()
    }

    /// The bytes of the text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// Whether the last [`Text::set`] had to cut its input.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The capacity in bytes.
    pub const fn capacity(&self) -> usize {
        N
    }
}

/// `dst.copy_from_slice(src)` (same lengths) for the short strings of an order
/// update: two overlapping fixed-size moves instead of a library call.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n >= 32 || n != dst.len() {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        copy_at::<16>(dst, src, 0);
        copy_at::<16>(dst, src, n - 16);
    } else if n >= 8 {
        copy_at::<8>(dst, src, 0);
        copy_at::<8>(dst, src, n - 8);
    } else if n >= 4 {
        copy_at::<4>(dst, src, 0);
        copy_at::<4>(dst, src, n - 4);
    } else if n > 0 {
        // First, middle and last: every byte of one to three (a loop here
        // compiles to a library call).
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

/// The `K` bytes at `at` of `src` into `dst` (one move of a known size).
#[inline(always)]
fn copy_at<const K: usize>(dst: &mut [u8], src: &[u8], at: usize) {
    let mut w = [0u8; K];
    w.copy_from_slice(&src[at..at + K]);
    dst[at..at + K].copy_from_slice(&w);
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)?;
        if self.truncated {
            f.write_str("(truncated)")?;
        }
        Ok(())
    }
}

impl<const N: usize> fmt::Display for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> PartialEq<str> for Text<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for Text<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_char_boundary_and_flags_it() {
        let t = Text::<4>::new("abcdé");
        assert_eq!(t.as_str(), "abcd");
        assert!(t.is_truncated());
        let t = Text::<4>::new("abé");
        assert_eq!(t.as_str(), "abé");
        assert!(!t.is_truncated());
        let t = Text::<4>::new("abcé");
        assert_eq!(t.as_str(), "abc");
        assert!(t.is_truncated());
        let mut t = Text::<8>::new("x");
        assert!(t.set("12345678"));
        assert_eq!(t, "12345678");
    }

    #[test]
    fn set_copies_every_length_exactly() {
        let src: String = ('a'..='z').chain('A'..='Z').collect();
        for n in 0..=48 {
            let mut t = Text::<48>::new(&"#".repeat(48));
            assert!(t.set(&src[..n]));
            assert_eq!(t.as_str(), &src[..n], "length {n}");
            let mut short = Text::<5>::EMPTY;
            assert_eq!(short.set(&src[..n]), n <= 5);
            assert_eq!(short.as_str(), &src[..n.min(5)], "length {n} into 5");
        }
    }

    #[test]
    fn equality_and_hash_ignore_bytes_left_by_a_longer_value() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let h = |t: &Text<8>| {
            let mut s = DefaultHasher::new();
            t.hash(&mut s);
            s.finish()
        };
        let mut t = Text::<8>::new("12345");
        t.set("1");
        assert_eq!(t, Text::new("1"));
        assert_eq!(h(&t), h(&Text::new("1")));
        t.clear();
        assert_eq!(t, Text::EMPTY);
        assert_ne!(
            Text::<4>::new("abcdé"),
            Text::<4>::new("abcd"),
            "a cut is not equal"
        );
    }
}
