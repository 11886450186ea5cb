//! [`InstrumentMaster`]: the loaded, indexed master and its lookups.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::arena::Arena;
use super::columns::MasterFormat;
use super::error::InstrumentError;
use super::hash::BuildIdentity;
use super::index::{Postings, id_key, text_key};
use super::load::{self, DuplicateId, LoadOptions, LoadReport};
use super::row::{Row, S};
use super::view::Instrument;
use crate::proto::{ExchangeSegment, InstrumentId};

/// How [`InstrumentMaster::find`] compares the searched symbol.
///
/// The default (both `false`) is the Ruby gem's: case-insensitive, and falling back
/// to a substring search when nothing matches exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FindOptions {
    /// Only whole-symbol matches (no substring fallback).
    pub exact_match: bool,
    /// Compare case-sensitively (otherwise ASCII case is ignored).
    pub case_sensitive: bool,
}

impl FindOptions {
    /// The default options: case-insensitive, substring fallback.
    pub const fn new() -> Self {
        Self {
            exact_match: false,
            case_sensitive: false,
        }
    }

    /// These options with whole-symbol matching only.
    pub const fn exact(mut self) -> Self {
        self.exact_match = true;
        self
    }

    /// These options with case-sensitive comparison.
    pub const fn case_sensitive(mut self) -> Self {
        self.case_sensitive = true;
        self
    }
}

/// The order [`InstrumentMaster::find_anywhere`] tries segments in when given none:
/// cash equity first, then indices, then derivatives, currency and commodity.
pub const SEARCH_ORDER: [ExchangeSegment; 8] = [
    ExchangeSegment::NseEq,
    ExchangeSegment::BseEq,
    ExchangeSegment::IdxI,
    ExchangeSegment::NseFno,
    ExchangeSegment::BseFno,
    ExchangeSegment::NseCurrency,
    ExchangeSegment::BseCurrency,
    ExchangeSegment::McxComm,
];

/// Dhan's instrument master, loaded once and indexed for lookups.
///
/// Rows are kept in file order in a compact form (one text arena, interned codes);
/// [`Instrument`] is a cheap `Copy` view of one row. Lookups by (segment, symbol)
/// and (segment, security id) are hash lookups on indexes built at load time.
///
/// Symbol matching, best first (what [`find`](Self::find) returns and the order of
/// [`find_all`](Self::find_all)):
/// 1. the underlying symbol equals the query (`RELIANCE` finds
///    `RELIANCE INDUSTRIES LTD`; `NIFTY` in `NSE_FNO` finds NIFTY contracts);
/// 2. the symbol name equals the query;
/// 3. unless [`FindOptions::exact_match`]: the underlying symbol contains the query,
///    then the symbol name, then the display name.
///
/// Within one rank, file order decides. Case is ignored (ASCII only) unless
/// [`FindOptions::case_sensitive`]. Ranks 1 and 2 are hash lookups; rank 3 scans the
/// segment, so it costs milliseconds on the derivative segments.
#[derive(Debug)]
pub struct InstrumentMaster {
    rows: Vec<Row>,
    arena: Arena,
    by_underlying: Postings,
    by_symbol: Postings,
    by_id: HashMap<u64, u32, BuildIdentity>,
    by_segment: Vec<(ExchangeSegment, Vec<u32>)>,
    report: LoadReport,
}

impl InstrumentMaster {
    /// Loads a compact or detailed master from a CSV file.
    pub fn from_path(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Self, InstrumentError> {
        let path = path.as_ref();
        let file_err = |source| InstrumentError::File {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(file_err)?;
        let mut opts = opts.clone();
        if opts.size_hint.is_none() {
            opts.size_hint = file.metadata().ok().map(|m| m.len());
        }
        let reader = BufReader::with_capacity(256 * 1024, file);
        let loaded = load::read(reader, &opts).map_err(|e| match e {
            InstrumentError::Io(source) => file_err(source),
            other => other,
        })?;
        Ok(Self::build(loaded))
    }

    /// Loads a compact or detailed master from any reader (buffered internally).
    pub fn from_reader(reader: impl Read, opts: &LoadOptions) -> Result<Self, InstrumentError> {
        let loaded = load::read(BufReader::with_capacity(256 * 1024, reader), opts)?;
        Ok(Self::build(loaded))
    }

    fn build(loaded: load::Loaded) -> Self {
        let load::Loaded {
            rows,
            arena,
            mut report,
        } = loaded;
        let mut under = Vec::with_capacity(rows.len());
        let mut symbol = Vec::with_capacity(rows.len());
        let mut by_id: HashMap<u64, u32, BuildIdentity> =
            HashMap::with_capacity_and_hasher(rows.len(), BuildIdentity::default());
        let mut by_segment: Vec<(ExchangeSegment, Vec<u32>)> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            // The loader caps the row count below 2^32.
            let i = i as u32;
            let u = arena.sym(row.sym(S::UnderlyingSymbol));
            if !u.is_empty() {
                under.push((text_key(row.segment, u), i));
            }
            let s = arena.get(row.symbol_name);
            if !s.is_empty() {
                symbol.push((text_key(row.segment, s), i));
            }
            match by_id.entry(id_key(row.segment, row.security_id)) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(i);
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    report.duplicate_ids.push(DuplicateId {
                        line: u64::from(row.line),
                        first_line: rows.get(*o.get() as usize).map_or(0, |r| u64::from(r.line)),
                        id: InstrumentId::new(row.segment, row.security_id),
                    });
                }
            }
            match by_segment.iter_mut().find(|(s, _)| *s == row.segment) {
                Some((_, list)) => list.push(i),
                None => by_segment.push((row.segment, vec![i])),
            }
        }
        by_segment.sort_by_key(|(s, _)| SEARCH_ORDER.iter().position(|o| o == s));
        for (_, list) in &mut by_segment {
            list.shrink_to_fit();
        }
        Self {
            by_underlying: Postings::build(under),
            by_symbol: Postings::build(symbol),
            by_id,
            by_segment,
            rows,
            arena,
            report,
        }
    }

    /// Number of instruments loaded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no instrument was loaded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Which CSV shape was loaded.
    pub fn format(&self) -> MasterFormat {
        self.report.format
    }

    /// What the load skipped, set aside or noticed.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// All instruments in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Instrument<'_>> + '_ {
        self.rows
            .iter()
            .map(move |row| Instrument::new(&self.arena, row))
    }

    /// The segments present, in [`SEARCH_ORDER`].
    pub fn segments(&self) -> impl Iterator<Item = ExchangeSegment> + '_ {
        self.by_segment.iter().map(|(s, _)| *s)
    }

    /// All instruments of a segment, in file order (the Ruby `by_segment`).
    pub fn by_segment(
        &self,
        segment: ExchangeSegment,
    ) -> impl Iterator<Item = Instrument<'_>> + '_ {
        self.segment_rows(segment)
            .iter()
            .filter_map(move |&i| self.at(i))
    }

    /// The instrument with this security id in this segment.
    pub fn by_security_id(
        &self,
        segment: ExchangeSegment,
        security_id: u32,
    ) -> Option<Instrument<'_>> {
        let &i = self.by_id.get(&id_key(segment, security_id))?;
        let inst = self.at(i)?;
        (inst.row().segment == segment && inst.row().security_id == security_id).then_some(inst)
    }

    /// The instrument a feed id refers to (same as [`by_security_id`](Self::by_security_id)).
    pub fn get(&self, id: InstrumentId) -> Option<Instrument<'_>> {
        self.by_security_id(id.segment, id.security_id)
    }

    /// The best match for `symbol` in `segment` (ranking in the type's docs), e.g.
    /// `find(ExchangeSegment::NseEq, "RELIANCE", FindOptions::new())` → security id 2885.
    pub fn find(
        &self,
        segment: ExchangeSegment,
        symbol: &str,
        opts: FindOptions,
    ) -> Option<Instrument<'_>> {
        // Trimmed like the file's values are.
        let q = symbol.trim_ascii();
        if q.is_empty() {
            return None;
        }
        let key = text_key(segment, q);
        let cs = opts.case_sensitive;
        let exact = |field: &str| {
            if cs {
                field == q
            } else {
                field.eq_ignore_ascii_case(q)
            }
        };
        let hit = |postings: &Postings, field: for<'i> fn(&'i Instrument<'i>) -> &'i str| {
            postings
                .get(key)
                .iter()
                .filter_map(|&i| self.at(i))
                .find(|inst| inst.row().segment == segment && exact(field(inst)))
        };
        if let Some(inst) = hit(&self.by_underlying, |i| i.underlying_text()) {
            return Some(inst);
        }
        if let Some(inst) = hit(&self.by_symbol, |i| i.symbol_name()) {
            return Some(inst);
        }
        if opts.exact_match {
            return None;
        }
        self.scan(segment, q, cs)
            .min()
            .and_then(|(_, i)| self.at(i))
    }

    /// Every match for `symbol` in `segment`, best first (ranking in the type's docs).
    pub fn find_all(
        &self,
        segment: ExchangeSegment,
        symbol: &str,
        opts: FindOptions,
    ) -> Vec<Instrument<'_>> {
        let q = symbol.trim_ascii();
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, u32)> = self
            .scan(segment, q, opts.case_sensitive)
            .filter(|&(rank, _)| !opts.exact_match || rank <= 2)
            .collect();
        hits.sort_unstable();
        hits.into_iter().filter_map(|(_, i)| self.at(i)).collect()
    }

    /// The best match for `symbol` across `segments` (all of [`SEARCH_ORDER`] when
    /// empty), tried in the given order: an exact match in any segment wins over a
    /// substring match in an earlier one.
    pub fn find_anywhere(
        &self,
        symbol: &str,
        segments: &[ExchangeSegment],
        opts: FindOptions,
    ) -> Option<Instrument<'_>> {
        let segments = if segments.is_empty() {
            &SEARCH_ORDER[..]
        } else {
            segments
        };
        let exact = opts.exact();
        segments
            .iter()
            .find_map(|&s| self.find(s, symbol, exact))
            .or_else(|| {
                if opts.exact_match {
                    None
                } else {
                    segments.iter().find_map(|&s| self.find(s, symbol, opts))
                }
            })
    }

    /// (rank, row) of every row of `segment` matching `q` by any rule.
    fn scan<'s>(
        &'s self,
        segment: ExchangeSegment,
        q: &'s str,
        cs: bool,
    ) -> impl Iterator<Item = (u8, u32)> + 's {
        self.segment_rows(segment).iter().filter_map(move |&i| {
            let inst = self.at(i)?;
            let u = inst.underlying_text();
            let s = inst.symbol_name();
            let rank = if eq(u, q, cs) {
                1
            } else if eq(s, q, cs) {
                2
            } else if contains(u, q, cs) {
                3
            } else if contains(s, q, cs) {
                4
            } else if contains(inst.display_name().unwrap_or(""), q, cs) {
                5
            } else {
                return None;
            };
            Some((rank, i))
        })
    }

    fn segment_rows(&self, segment: ExchangeSegment) -> &[u32] {
        self.by_segment
            .iter()
            .find(|(s, _)| *s == segment)
            .map_or(&[], |(_, rows)| rows.as_slice())
    }

    /// The view of row `i` (always `Some` for indexes from this master's own
    /// indexes, which are built from `rows`).
    #[inline]
    fn at(&self, i: u32) -> Option<Instrument<'_>> {
        self.rows
            .get(i as usize)
            .map(|row| Instrument::new(&self.arena, row))
    }

    /// Approximate heap bytes held (rows, text and indexes), for sizing reports.
    pub fn heap_bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Row>()
            + self.arena.text_bytes()
            + self.by_underlying.heap_bytes()
            + self.by_symbol.heap_bytes()
            + self.by_id.capacity() * 13
            + self
                .by_segment
                .iter()
                .map(|(_, l)| l.capacity() * 4)
                .sum::<usize>()
    }
}

#[inline]
fn eq(field: &str, q: &str, cs: bool) -> bool {
    if cs {
        field == q
    } else {
        field.eq_ignore_ascii_case(q)
    }
}

/// Substring test, ignoring ASCII case unless `cs`.
fn contains(field: &str, q: &str, cs: bool) -> bool {
    if cs {
        return field.contains(q);
    }
    let (f, q) = (field.as_bytes(), q.as_bytes());
    q.is_empty() || (q.len() <= f.len() && f.windows(q.len()).any(|w| w.eq_ignore_ascii_case(q)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_ignores_ascii_case() {
        assert!(contains("RELIANCE INDUSTRIES LTD", "industries", false));
        assert!(!contains("RELIANCE INDUSTRIES LTD", "industries", true));
        assert!(contains("abc", "", false));
        assert!(!contains("ab", "abc", false));
    }

    #[test]
    fn find_options_builders() {
        assert_eq!(FindOptions::new(), FindOptions::default());
        let o = FindOptions::new().exact().case_sensitive();
        assert!(o.exact_match && o.case_sensitive);
    }
}
