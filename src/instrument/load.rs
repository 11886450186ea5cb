//! Reading a master CSV into rows: header mapping, sentinels, malformed rows.

use std::io::BufRead;

use super::arena::{Arena, Interner, Sym};
use super::columns::{Col, ColumnMap, MasterFormat};
use super::date::Date;
use super::error::{InstrumentError, RowError, RowProblem};
use super::fields::feed_segment;
use super::row::{N, NUMS, Row, S, SYMS};
use super::split::Fields;
use crate::proto::InstrumentId;

/// What to do with a malformed data row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnMalformed {
    /// Leave the row out, record it in [`LoadReport::skipped`] (and log a warning)
    /// and go on. The default: one bad row in Dhan's file should not stop trading.
    #[default]
    Skip,
    /// Fail the whole load with [`InstrumentError::Malformed`] on the first one.
    Reject,
}

/// Options of a load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// What to do with a malformed row.
    pub on_malformed: OnMalformed,
    /// Expected input size in bytes, to size buffers up front (set automatically
    /// when loading from a file).
    pub size_hint: Option<u64>,
}

impl LoadOptions {
    /// Options that fail the load on the first malformed row.
    pub fn strict() -> Self {
        Self {
            on_malformed: OnMalformed::Reject,
            ..Self::default()
        }
    }
}

/// A row whose (exchange, segment) pair maps to no feed segment (e.g. `NSE,M`): it
/// cannot be subscribed, so it is set aside rather than indexed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmappedRow {
    /// Line number in the file.
    pub line: u64,
    /// `EXCH_ID` as written.
    pub exchange: String,
    /// `SEGMENT` as written.
    pub segment: String,
    /// The row's security id.
    pub security_id: u32,
}

/// A second row with the same (segment, security id) as an earlier one. Both are
/// kept and searchable by symbol; [`super::InstrumentMaster::by_security_id`] returns
/// the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateId {
    /// Line number of the later row.
    pub line: u64,
    /// Line number of the row that keeps the id.
    pub first_line: u64,
    /// The shared id.
    pub id: InstrumentId,
}

/// What a load saw besides the rows it kept.
#[derive(Clone, Debug)]
pub struct LoadReport {
    /// Which CSV shape the header is.
    pub format: MasterFormat,
    /// Rows loaded and indexed.
    pub loaded: usize,
    /// Malformed rows left out (with [`OnMalformed::Skip`]).
    pub skipped: Vec<RowError>,
    /// Rows set aside because no feed segment covers them.
    pub unmapped: Vec<UnmappedRow>,
    /// Rows whose (segment, security id) repeats an earlier row.
    pub duplicate_ids: Vec<DuplicateId>,
    /// Optional columns the header lacks (their values read as absent), by their
    /// detailed-file name.
    pub missing_columns: Vec<&'static str>,
    /// Blank lines ignored.
    pub blank_lines: usize,
}

/// The raw result of reading: rows in file order, their text, and the report.
pub(crate) struct Loaded {
    pub(crate) rows: Vec<Row>,
    pub(crate) arena: Arena,
    pub(crate) report: LoadReport,
}

/// Reads a whole master from `input`.
pub(crate) fn read<R: BufRead>(
    mut input: R,
    opts: &LoadOptions,
) -> Result<Loaded, InstrumentError> {
    let hint = opts.size_hint.unwrap_or(0).min(1 << 32) as usize;
    let mut rows: Vec<Row> = Vec::with_capacity(hint / 150);
    let mut arena = Arena::with_capacity(hint / 4);
    let mut interner = Interner::default();
    let mut line = Vec::with_capacity(512);
    let mut fields = Fields::default();
    let mut line_no: u64 = 0;
    let mut blank_lines = 0;

    // The header: the first non-blank line.
    let map = loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Err(InstrumentError::Empty);
        }
        line_no += 1;
        let text = trim_eol(&line);
        if text.trim_ascii().is_empty() {
            blank_lines += 1;
            continue;
        }
        let text = String::from_utf8_lossy(text);
        if fields.split(text.as_bytes()).is_err() {
            return Err(InstrumentError::Malformed(RowError::new(
                line_no,
                None,
                &text,
                RowProblem::UnterminatedQuote,
            )));
        }
        let names: Vec<String> = (0..fields.len())
            .map(|i| String::from_utf8_lossy(fields.get(i)).into_owned())
            .collect();
        break ColumnMap::from_header(names.iter().map(String::as_str))?;
    };

    let mut report = LoadReport {
        format: map.format,
        loaded: 0,
        skipped: Vec::new(),
        unmapped: Vec::new(),
        duplicate_ids: Vec::new(),
        missing_columns: map.missing_optional(),
        blank_lines: 0,
    };
    let mut ctx = RowCtx {
        map: &map,
        arena: &mut arena,
        interner: &mut interner,
        last: [Sym::EMPTY; SYMS],
    };

    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        line_no += 1;
        let text = trim_eol(&line);
        if text.trim_ascii().is_empty() {
            blank_lines += 1;
            continue;
        }
        match ctx.parse(text, line_no, &mut fields) {
            Ok(Parsed::Row(row)) => {
                if rows.len() == u32::MAX as usize {
                    return Err(InstrumentError::TooLarge);
                }
                rows.push(row);
            }
            Ok(Parsed::Unmapped(u)) => report.unmapped.push(u),
            Err(Fail::Fatal(e)) => return Err(e),
            Err(Fail::Row(e)) => match opts.on_malformed {
                OnMalformed::Reject => return Err(InstrumentError::Malformed(e)),
                OnMalformed::Skip => {
                    if report.skipped.len() < 10 {
                        log::warn!("instrument master: skipping {e}");
                    }
                    report.skipped.push(e);
                }
            },
        }
    }
    if report.skipped.len() > 10 {
        log::warn!(
            "instrument master: {} malformed rows skipped in all",
            report.skipped.len()
        );
    }
    if !report.unmapped.is_empty() {
        log::info!(
            "instrument master: {} rows with no feed segment set aside",
            report.unmapped.len()
        );
    }
    report.loaded = rows.len();
    report.blank_lines = blank_lines;
    rows.shrink_to_fit();
    arena.shrink();
    Ok(Loaded {
        rows,
        arena,
        report,
    })
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Why a line produced no row.
enum Fail {
    /// The row is malformed.
    Row(RowError),
    /// The load cannot go on (the text arena is full).
    Fatal(InstrumentError),
}

impl From<RowError> for Fail {
    fn from(e: RowError) -> Self {
        Self::Row(e)
    }
}

impl From<InstrumentError> for Fail {
    fn from(e: InstrumentError) -> Self {
        Self::Fatal(e)
    }
}

/// Parses a plain decimal (`-12.3400`) of at most 15 significant digits exactly as
/// `str::parse::<f64>` would, but faster: the digits form an integer below 2^53,
/// which is exact in `f64`, and one division by an exact power of ten rounds
/// correctly (Clinger's fast path). `None` for anything else (the caller then uses
/// `str::parse`).
fn parse_decimal_fast(v: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (neg, digits) = match v.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let (mut mantissa, mut count, mut frac, mut dot) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                frac += usize::from(dot);
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
        if count > 15 {
            return None;
        }
    }
    if count == 0 {
        return None;
    }
    // mantissa < 10^15 < 2^53: exact.
    let x = mantissa as f64 / POW10[frac];
    Some(if neg { -x } else { x })
}

enum Parsed {
    Row(Row),
    Unmapped(UnmappedRow),
}

struct RowCtx<'m> {
    map: &'m ColumnMap,
    arena: &'m mut Arena,
    interner: &'m mut Interner,
    /// The previous row's symbol per slot: neighbouring rows mostly repeat their
    /// codes, and comparing with it is cheaper than hashing.
    last: [Sym; SYMS],
}

/// The fields of one line as text.
struct Line<'f> {
    text: &'f str,
    ends: &'f Fields,
    map: &'f ColumnMap,
    line: u64,
}

impl<'f> Line<'f> {
    /// The trimmed value of a column ("" when the header or the row lacks it).
    fn get(&self, col: Col) -> &'f str {
        let Some(i) = self.map.pos(col) else {
            return "";
        };
        let (start, end) = self.ends.bounds(i);
        // Fields split at ASCII bytes, so these are char boundaries of `text`.
        self.text.get(start..end).unwrap_or("").trim_ascii()
    }

    fn err(&self, col: Col, value: &str, problem: RowProblem) -> RowError {
        RowError::new(self.line, Some(self.map.name(col)), value, problem)
    }

    /// A number, `None` when empty or `NA`.
    fn num(&self, col: Col) -> Result<f64, RowError> {
        let v = self.get(col);
        if v.is_empty() || v == "NA" {
            return Ok(f64::NAN);
        }
        if let Some(x) = parse_decimal_fast(v) {
            return Ok(x);
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(self.err(col, v, RowProblem::BadNumber)),
        }
    }

    /// Text with `NA` (and the given extra sentinels) read as absent.
    fn text(&self, col: Col, sentinels: &[&str]) -> &'f str {
        let v = self.get(col);
        if v == "NA" || sentinels.contains(&v) {
            ""
        } else {
            v
        }
    }
}

impl RowCtx<'_> {
    fn parse(&mut self, raw: &[u8], line: u64, fields: &mut Fields) -> Result<Parsed, Fail> {
        let lossy = || String::from_utf8_lossy(raw).into_owned();
        if fields.split(raw).is_err() {
            return Err(RowError::new(line, None, &lossy(), RowProblem::UnterminatedQuote).into());
        }
        let Ok(text) = std::str::from_utf8(fields.all_bytes()) else {
            return Err(RowError::new(line, None, &lossy(), RowProblem::NotUtf8).into());
        };
        let l = Line {
            text,
            ends: fields,
            map: self.map,
            line,
        };
        if let Some(extra) =
            (self.map.width..fields.len()).find(|&i| !fields.get(i).trim_ascii().is_empty())
        {
            let value = String::from_utf8_lossy(fields.get(extra)).into_owned();
            return Err(RowError::new(line, None, &value, RowProblem::TooManyFields).into());
        }

        let exchange = l.get(Col::Exchange);
        let segment = l.get(Col::Segment);
        if exchange.is_empty() {
            return Err(l.err(Col::Exchange, "", RowProblem::Missing).into());
        }
        if segment.is_empty() {
            return Err(l.err(Col::Segment, "", RowProblem::Missing).into());
        }
        let sid = l.get(Col::SecurityId);
        if sid.is_empty() {
            return Err(l.err(Col::SecurityId, "", RowProblem::Missing).into());
        }
        let security_id: u32 = sid
            .parse()
            .map_err(|_| l.err(Col::SecurityId, sid, RowProblem::BadSecurityId))?;
        let Some(feed) = feed_segment(exchange, segment) else {
            return Ok(Parsed::Unmapped(UnmappedRow {
                line,
                exchange: exchange.to_owned(),
                segment: segment.to_owned(),
                security_id,
            }));
        };

        let underlying_security_id = match l.get(Col::UnderlyingSecurityId) {
            "" | "NA" => None,
            v => Some(
                v.parse::<u32>()
                    .map_err(|_| l.err(Col::UnderlyingSecurityId, v, RowProblem::BadNumber))?,
            ),
        };
        let expiry = match l.get(Col::ExpiryDate) {
            "" | "NA" => 0,
            v => match Date::parse_prefix(v) {
                Some(d) if (d.year(), d.month(), d.day()) == (1, 1, 1) => 0,
                Some(d) => d.pack(),
                None => return Err(l.err(Col::ExpiryDate, v, RowProblem::BadDate).into()),
            },
        };
        let mut nums = [f64::NAN; NUMS];
        let num_cols = [
            (N::LotSize, Col::LotSize),
            (N::TickSize, Col::TickSize),
            (N::StrikePrice, Col::StrikePrice),
            (N::BuyCoMinMarginPer, Col::BuyCoMinMarginPer),
            (N::SellCoMinMarginPer, Col::SellCoMinMarginPer),
            (N::MtfLeverage, Col::MtfLeverage),
            (N::UpperLimit, Col::UpperLimit),
            (N::LowerLimit, Col::LowerLimit),
            (N::FreezeQty, Col::FreezeQty),
        ];
        for (n, col) in num_cols {
            nums[n as usize] = l.num(col)?;
        }
        // No strike is zero or negative: -0.01 (futures) and 0 (commodities) mean none.
        if nums[N::StrikePrice as usize] <= 0.0 {
            nums[N::StrikePrice as usize] = f64::NAN;
        }

        let mut syms = [Sym::EMPTY; SYMS];
        let sym_cols: [(S, &str); SYMS] = [
            (S::Exchange, exchange),
            (S::Segment, segment),
            (S::UnderlyingSymbol, l.text(Col::UnderlyingSymbol, &[])),
            (S::Instrument, l.text(Col::Instrument, &[])),
            (S::InstrumentType, l.text(Col::InstrumentType, &[])),
            (S::Series, l.text(Col::Series, &[])),
            (S::OptionType, l.text(Col::OptionType, &["XX"])),
            (S::ExpiryFlag, l.text(Col::ExpiryFlag, &[])),
            (S::BracketFlag, l.text(Col::BracketFlag, &[])),
            (S::CoverFlag, l.text(Col::CoverFlag, &[])),
            (S::AsmGsmFlag, l.text(Col::AsmGsmFlag, &[])),
            (S::AsmGsmCategory, l.text(Col::AsmGsmCategory, &[])),
            (S::BuySellIndicator, l.text(Col::BuySellIndicator, &[])),
        ];
        for (s, v) in sym_cols {
            let slot = s as usize;
            if self.arena.sym(self.last[slot]) != v {
                self.last[slot] = self.interner.intern(self.arena, v)?;
            }
            syms[slot] = self.last[slot];
        }
        let symbol_name = self.arena.push(l.get(Col::SymbolName))?;
        let display_name = self.arena.push(l.text(Col::DisplayName, &[]))?;
        let isin = self.arena.push(l.text(Col::Isin, &[]))?;

        Ok(Parsed::Row(Row {
            security_id,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            underlying_security_id,
            expiry,
            segment: feed,
            symbol_name,
            display_name,
            isin,
            syms,
            nums,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_decimal_fast;

    #[test]
    fn fast_decimals_equal_std_parse() {
        let samples = [
            "0",
            "1.0",
            "-0.01000",
            "4.545455",
            "18950.00000",
            "0.0500",
            "1543.2000",
            "65.0",
            "6.666667",
            "0.1",
            "0.3",
            "123456789012345",
            "12345678.9012345",
            "9007199254740.99",
            "-7",
            ".5",
            "5.",
            "0.00000000000001",
        ];
        for s in samples {
            assert_eq!(
                parse_decimal_fast(s),
                Some(s.parse::<f64>().unwrap()),
                "{s}"
            );
        }
        for s in [
            "",
            "-",
            ".",
            "1e5",
            "1.2.3",
            "+1",
            "inf",
            "NaN",
            "1234567890123456",
            "0.000000000000001",
            "1,0",
            " 1",
        ] {
            assert_eq!(parse_decimal_fast(s), None, "{s}");
        }
        // Exhaustively for short decimals: every value 0.0000..=99.9999.
        for n in 0..1_000_000u32 {
            let s = format!("{}.{:04}", n / 10_000, n % 10_000);
            assert_eq!(
                parse_decimal_fast(&s),
                Some(s.parse::<f64>().unwrap()),
                "{s}"
            );
        }
    }
}
