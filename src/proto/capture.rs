//! Capture files: a sequence of records, each a u32 little-endian length followed by
//! one WebSocket message payload. `dhan-feed decode` reads them; tests, the
//! simulator and users write them.

use std::io::{self, Read, Write};

/// The largest record accepted (16 MiB): a length above it means a corrupt file.
pub const MAX_RECORD_LEN: usize = 16 << 20;

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file ends inside a record's length prefix or payload.
    #[error(
        "record {record} at byte {offset}: truncated ({needed} bytes needed, {available} present)"
    )]
    Truncated {
        /// Record number, from 1.
        record: u64,
        /// Byte offset of the record in the file.
        offset: u64,
        /// Bytes the record needs.
        needed: u64,
        /// Bytes that were present.
        available: u64,
    },
    /// A length prefix above [`MAX_RECORD_LEN`].
    #[error(
        "record {record} at byte {offset}: length {len} exceeds the {MAX_RECORD_LEN}-byte maximum"
    )]
    TooLong {
        /// Record number, from 1.
        record: u64,
        /// Byte offset of the record in the file.
        offset: u64,
        /// The declared length.
        len: u64,
    },
    /// Reading failed.
    #[error("reading the capture: {0}")]
    Io(#[from] io::Error),
}

/// Reads records one at a time into a reused buffer.
#[derive(Debug)]
pub struct CaptureReader<R> {
    inner: R,
    buf: Vec<u8>,
    record: u64,
    offset: u64,
}

/// One record borrowed from the reader.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Record number, from 1.
    pub number: u64,
    /// Byte offset of the record's length prefix in the file.
    pub offset: u64,
    /// The message payload.
    pub payload: &'a [u8],
}

impl Record<'_> {
    /// Byte offset of the payload's first byte in the file.
    pub fn payload_offset(&self) -> u64 {
        self.offset + 4
    }
}

impl<R: Read> CaptureReader<R> {
    /// Reads from `inner` (wrap it in a `BufReader` for files).
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            record: 0,
            offset: 0,
        }
    }

    /// The next record, `Ok(None)` at a clean end of file.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, CaptureError> {
        let number = self.record + 1;
        let offset = self.offset;
        let mut len = [0u8; 4];
        let got = read_full(&mut self.inner, &mut len)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 4 {
            return Err(CaptureError::Truncated {
                record: number,
                offset,
                needed: 4,
                available: got as u64,
            });
        }
        let n = u32::from_le_bytes(len) as usize;
        if n > MAX_RECORD_LEN {
            return Err(CaptureError::TooLong {
                record: number,
                offset,
                len: n as u64,
            });
        }
        self.buf.resize(n, 0);
        let got = read_full(&mut self.inner, &mut self.buf)?;
        if got < n {
            return Err(CaptureError::Truncated {
                record: number,
                offset,
                needed: 4 + n as u64,
                available: 4 + got as u64,
            });
        }
        self.record = number;
        self.offset += 4 + n as u64;
        Ok(Some(Record {
            number,
            offset,
            payload: &self.buf,
        }))
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Writes one record.
pub fn write_record(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n as usize <= MAX_RECORD_LEN)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record too long"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_truncation_is_located() {
        let mut file = Vec::new();
        write_record(&mut file, b"abc").unwrap();
        write_record(&mut file, b"").unwrap();
        write_record(&mut file, b"hello").unwrap();
        let mut r = CaptureReader::new(&file[..]);
        let a = r.next_record().unwrap().unwrap();
        assert_eq!((a.number, a.offset, a.payload), (1, 0, &b"abc"[..]));
        let b = r.next_record().unwrap().unwrap();
        assert_eq!((b.number, b.offset, b.payload), (2, 7, &b""[..]));
        let c = r.next_record().unwrap().unwrap();
        assert_eq!((c.number, c.offset, c.payload), (3, 11, &b"hello"[..]));
        assert!(r.next_record().unwrap().is_none());

        let cut = &file[..file.len() - 2];
        let mut r = CaptureReader::new(cut);
        r.next_record().unwrap();
        r.next_record().unwrap();
        match r.next_record() {
            Err(CaptureError::Truncated {
                record: 3,
                offset: 11,
                needed: 9,
                available: 7,
            }) => {}
            other => panic!("{other:?}"),
        }
        let mut r = CaptureReader::new(&[0xff, 0xff, 0xff, 0x7f][..]);
        assert!(matches!(
            r.next_record(),
            Err(CaptureError::TooLong { record: 1, .. })
        ));
    }
}
