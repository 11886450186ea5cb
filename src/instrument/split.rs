//! Splitting one CSV line into fields.
//!
//! The master never has a newline inside a field, so it is read line by line and
//! each line is split on its own: a stray quote can spoil only its own row, never
//! swallow the rows after it. Quoting follows RFC 4180 within the line (`"a, b"`,
//! `""` for a quote); a quote that does not open a field is an ordinary character.

/// The fields of one line, reusing their buffers from line to line.
#[derive(Debug, Default)]
pub struct Fields {
    buf: Vec<u8>,
    bounds: Vec<(usize, usize)>,
}

/// The line has a quoted field that is not closed.
#[derive(Debug, PartialEq, Eq)]
pub struct UnterminatedQuote;

impl Fields {
    /// Splits `line` (without its line terminator) into fields. Quotes are
    /// looked for with memchr; commas, a few bytes apart in Dhan's master, with a
    /// plain loop, which beat `memchr_iter` there by a third (BENCHMARKS.md,
    /// `cargo bench --bench instrument -- csv_split`).
    pub fn split(&mut self, line: &[u8]) -> Result<(), UnterminatedQuote> {
        self.buf.clear();
        self.bounds.clear();
        if memchr::memchr(b'"', line).is_none() {
            // The common case: fields are the text between commas, copied once.
            self.buf.extend_from_slice(line);
            let mut start = 0;
            for (i, &b) in line.iter().enumerate() {
                if b == b',' {
                    self.bounds.push((start, i));
                    start = i + 1;
                }
            }
            self.bounds.push((start, line.len()));
            return Ok(());
        }
        let n = line.len();
        let mut i = 0;
        loop {
            let start = self.buf.len();
            if line.get(i) == Some(&b'"') {
                i += 1;
                loop {
                    let Some(p) = memchr::memchr(b'"', &line[i..]) else {
                        return Err(UnterminatedQuote);
                    };
                    self.buf.extend_from_slice(&line[i..i + p]);
                    i += p + 1;
                    if line.get(i) == Some(&b'"') {
                        self.buf.push(b'"');
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            // The unquoted field, or (lenient) text between a closing quote and the comma.
            let end = memchr::memchr(b',', &line[i..]).map_or(n, |p| i + p);
            self.buf.extend_from_slice(&line[i..end]);
            i = end;
            self.bounds.push((start, self.buf.len()));
            if i >= n {
                return Ok(());
            }
            i += 1; // the comma; a trailing comma yields one more, empty, field
        }
    }

    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// The byte range of field `i` within [`Fields::all_bytes`] (empty past the end).
    #[inline]
    pub(crate) fn bounds(&self, i: usize) -> (usize, usize) {
        self.bounds.get(i).copied().unwrap_or((0, 0))
    }

    /// Whether the line had no field at all (never: an empty line is one empty
    /// field).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// Field `i` as bytes (empty past the end of a short row).
    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        let (start, end) = self.bounds(i);
        self.buf.get(start..end).unwrap_or(&[])
    }

    /// The bytes the fields are ranges of (for one UTF-8 check per line). Fields
    /// are split at ASCII bytes, so each range lies on char boundaries.
    #[inline]
    pub(crate) fn all_bytes(&self) -> &[u8] {
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, UnterminatedQuote> {
        let mut f = Fields::default();
        f.split(line.as_bytes())?;
        Ok((0..f.len())
            .map(|i| String::from_utf8(f.get(i).to_vec()).unwrap())
            .collect())
    }

    #[test]
    fn plain_trailing_comma_and_empty_fields() {
        assert_eq!(split("a,b,,c,").unwrap(), ["a", "b", "", "c", ""]);
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(split(",").unwrap(), ["", ""]);
    }

    #[test]
    fn quoted_fields() {
        assert_eq!(
            split(r#"1,"STATE BANK OF INDIA, LTD",x"#).unwrap(),
            ["1", "STATE BANK OF INDIA, LTD", "x"]
        );
        assert_eq!(split(r#""say ""hi""",2"#).unwrap(), [r#"say "hi""#, "2"]);
        assert_eq!(split(r#"5" PIPE,2"#).unwrap(), [r#"5" PIPE"#, "2"]);
        assert_eq!(split(r#""ab"c,d"#).unwrap(), ["abc", "d"]);
        assert_eq!(split(r#""","#).unwrap(), ["", ""]);
        assert_eq!(split(r#"a,"open, never closed"#), Err(UnterminatedQuote));
    }

    #[test]
    fn get_past_end_is_empty() {
        let mut f = Fields::default();
        f.split(b"a,b").unwrap();
        assert_eq!(f.get(5), b"");
        assert_eq!(f.all_bytes(), b"a,b");
        f.split(br#""a",b"#).unwrap();
        assert_eq!(f.all_bytes(), b"ab");
    }
}
