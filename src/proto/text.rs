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
    pub fn set(&mut self, s: &str) -> bool {
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
