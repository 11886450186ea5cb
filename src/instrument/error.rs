//! Errors of loading, downloading and searching the instrument master.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::proto::ExchangeSegment;

/// What went wrong with the instrument master.
///
/// Everything here is fatal for the operation that returned it, and none of it
/// leaves partial state behind: a failed load returns no master, a failed download
/// leaves the previous cache file untouched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstrumentError {
    /// Reading the CSV failed. Retry, or check the source.
    #[error("reading the instrument master: {0}")]
    Io(#[from] io::Error),
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The input has no header row (it is empty or blank).
    #[error("the instrument master is empty: no header row")]
    Empty,
    /// A column every row needs is not in the header.
    #[error("the header has no {column} column (accepted names: {})", accepted.join(", "))]
    MissingColumn {
        /// The logical column.
        column: &'static str,
        /// The header names accepted for it.
        accepted: &'static [&'static str],
    },
    /// A row is malformed and [`super::OnMalformed::Reject`] was asked for.
    #[error("malformed instrument master: {0}")]
    Malformed(RowError),
    /// The master does not fit the compact representation (over 4 GiB of text or
    /// 4 billion rows).
    #[error("the instrument master is too large (over 4 GiB of text or 2^32 rows)")]
    TooLarge,
    /// The HTTP download failed (connection, status or body). A previous cache
    /// file, if any, is still there.
    #[error("downloading {url}: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// No cache directory was given and none could be derived from the environment.
    #[error("no cache directory: set XDG_CACHE_HOME or HOME, or pass one explicitly")]
    NoCacheDir,
    /// A search found nothing (used by the command line to exit non-zero).
    #[error("no instrument matches {symbol:?}{}", in_segments(segments))]
    NotFound {
        /// The searched symbol.
        symbol: String,
        /// The searched segments, if any were given (else all were searched).
        segments: Vec<ExchangeSegment>,
    },
}

/// `" in NSE_EQ, BSE_EQ"`, or nothing for no segments.
fn in_segments(segments: &[ExchangeSegment]) -> String {
    if segments.is_empty() {
        return String::new();
    }
    let names: Vec<String> = segments.iter().map(ToString::to_string).collect();
    format!(" in {}", names.join(", "))
}

/// A malformed data row: where it is, which column, what was there and why it was
/// refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The header name of the offending column, if the problem is in one column.
    pub column: Option<String>,
    /// The offending value (truncated to 80 bytes).
    pub value: String,
    /// What is wrong.
    pub problem: RowProblem,
}

/// The kind of problem of a [`RowError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowProblem {
    /// A required value (exchange, segment, security id, symbol name) is empty or
    /// the row is too short to have it.
    Missing,
    /// The security id is not a non-negative integer below 2^32.
    BadSecurityId,
    /// A numeric column holds something that is not a finite decimal number.
    BadNumber,
    /// A date column holds something that is not `YYYY-MM-DD` (optionally followed
    /// by a time).
    BadDate,
    /// The line is not valid UTF-8.
    NotUtf8,
    /// A quoted field is not closed on its line.
    UnterminatedQuote,
    /// The row has more non-empty fields than the header has columns (typically an
    /// unquoted comma inside a name, which shifts every later column).
    TooManyFields,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "required value missing",
            Self::BadSecurityId => "bad security id",
            Self::BadNumber => "not a number",
            Self::BadDate => "not a date",
            Self::NotUtf8 => "not UTF-8",
            Self::UnterminatedQuote => "unterminated quoted field",
            Self::TooManyFields => "more fields than the header",
        })
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        if let Some(column) = &self.column {
            write!(f, "column {column}: ")?;
        }
        write!(f, "{}", self.problem)?;
        if !self.value.is_empty() {
            write!(f, " ({:?})", self.value)?;
        }
        Ok(())
    }
}

impl std::error::Error for RowError {}

impl RowError {
    /// Builds a row error, truncating the value to 80 bytes on a char boundary.
    pub(crate) fn new(line: u64, column: Option<&str>, value: &str, problem: RowProblem) -> Self {
        let mut end = value.len().min(80);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            line,
            column: column.map(str::to_owned),
            value: value[..end].to_owned(),
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_error_names_line_column_and_value() {
        let e = RowError::new(7, Some("SECURITY_ID"), "12x", RowProblem::BadSecurityId);
        assert_eq!(
            e.to_string(),
            r#"line 7: column SECURITY_ID: bad security id ("12x")"#
        );
        let long = "é".repeat(100);
        let e = RowError::new(2, None, &long, RowProblem::NotUtf8);
        assert_eq!(e.value.len(), 80);
        let e = InstrumentError::NotFound {
            symbol: "X".into(),
            segments: vec![ExchangeSegment::NseEq],
        };
        assert_eq!(e.to_string(), r#"no instrument matches "X" in NSE_EQ"#);
        let e = InstrumentError::NotFound {
            symbol: "X".into(),
            segments: vec![ExchangeSegment::NseEq, ExchangeSegment::BseEq],
        };
        assert_eq!(
            e.to_string(),
            r#"no instrument matches "X" in NSE_EQ, BSE_EQ"#
        );
        let e = InstrumentError::NotFound {
            symbol: "X".into(),
            segments: Vec::new(),
        };
        assert_eq!(e.to_string(), r#"no instrument matches "X""#);
    }
}
