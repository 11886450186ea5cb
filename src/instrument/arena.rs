//! Compact string storage: every text of the master lives in one `String`, rows hold
//! 8-byte spans into it, and repetitive texts (segment codes, flags, underlying
//! symbols) are interned once and referred to by a 4-byte [`Sym`].

use std::collections::HashMap;

use super::error::InstrumentError;
use super::hash::{BuildIdentity, hash_bytes};

/// A range of the arena: `start..start + len`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

/// An interned text: an index into [`Arena::syms`]. `Sym(0)` is the empty text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sym(u32);

impl Sym {
    /// The empty text, which stands for an absent value.
    pub(crate) const EMPTY: Sym = Sym(0);
}

/// The text arena plus the interned-text table.
#[derive(Debug)]
pub(crate) struct Arena {
    buf: String,
    syms: Vec<Span>,
}

impl Arena {
    /// An arena with room for `bytes` of text.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self {
            buf: String::with_capacity(bytes),
            syms: vec![Span::default()],
        }
    }

    /// Appends `s` and returns its span (the empty span for an empty `s`).
    pub(crate) fn push(&mut self, s: &str) -> Result<Span, InstrumentError> {
        if s.is_empty() {
            return Ok(Span::default());
        }
        let start = u32::try_from(self.buf.len()).map_err(|_| InstrumentError::TooLarge)?;
        let len = u32::try_from(s.len()).map_err(|_| InstrumentError::TooLarge)?;
        start.checked_add(len).ok_or(InstrumentError::TooLarge)?;
        self.buf.push_str(s);
        Ok(Span { start, len })
    }

    /// The text of a span; spans only come from [`Arena::push`] on this arena, so
    /// the range is in bounds and on char boundaries (the empty text otherwise).
    #[inline]
    pub(crate) fn get(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.buf.get(start..start + span.len as usize).unwrap_or("")
    }

    /// The text of an interned symbol (the empty text for an unknown one).
    #[inline]
    pub(crate) fn sym(&self, sym: Sym) -> &str {
        match self.syms.get(sym.0 as usize) {
            Some(&span) => self.get(span),
            None => "",
        }
    }

    /// Bytes of text held (for sizing reports).
    pub(crate) fn text_bytes(&self) -> usize {
        self.buf.len()
    }

    /// Releases spare capacity once loading is done.
    pub(crate) fn shrink(&mut self) {
        self.buf.shrink_to_fit();
        self.syms.shrink_to_fit();
    }
}

/// Deduplicates texts while loading; dropped once the master is built.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    by_hash: HashMap<u64, Sym, BuildIdentity>,
    /// Texts whose 64-bit hash collided with a different text (practically never).
    collided: HashMap<String, Sym>,
}

impl Interner {
    /// The symbol for `s`, adding it to `arena` the first time it is seen.
    pub(crate) fn intern(&mut self, arena: &mut Arena, s: &str) -> Result<Sym, InstrumentError> {
        if s.is_empty() {
            return Ok(Sym::EMPTY);
        }
        let h = hash_bytes(0, s.as_bytes(), false);
        if let Some(&sym) = self.by_hash.get(&h) {
            if arena.sym(sym) == s {
                return Ok(sym);
            }
            if let Some(&sym) = self.collided.get(s) {
                return Ok(sym);
            }
            let sym = Self::add(arena, s)?;
            self.collided.insert(s.to_owned(), sym);
            return Ok(sym);
        }
        let sym = Self::add(arena, s)?;
        self.by_hash.insert(h, sym);
        Ok(sym)
    }

    fn add(arena: &mut Arena, s: &str) -> Result<Sym, InstrumentError> {
        let span = arena.push(s)?;
        let id = u32::try_from(arena.syms.len()).map_err(|_| InstrumentError::TooLarge)?;
        arena.syms.push(span);
        Ok(Sym(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_intern_round_trip_and_dedupe() {
        let mut arena = Arena::with_capacity(16);
        let mut interner = Interner::default();
        let a = arena.push("RELIANCE").unwrap();
        let e = arena.push("").unwrap();
        assert_eq!(e, Span::default());
        assert_eq!(arena.get(a), "RELIANCE");
        assert_eq!(arena.get(e), "");
        let s1 = interner.intern(&mut arena, "NSE").unwrap();
        let s2 = interner.intern(&mut arena, "BSE").unwrap();
        let s3 = interner.intern(&mut arena, "NSE").unwrap();
        assert_eq!(s1, s3);
        assert_ne!(s1, s2);
        assert_eq!(arena.sym(s1), "NSE");
        assert_eq!(arena.sym(s2), "BSE");
        assert_eq!(interner.intern(&mut arena, "").unwrap(), Sym::EMPTY);
        assert_eq!(arena.sym(Sym::EMPTY), "");
        assert_eq!(arena.text_bytes(), "RELIANCENSEBSE".len());
    }
}
