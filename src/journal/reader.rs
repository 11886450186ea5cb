//! Reading a journal back: every record of every file (`PATH`, `PATH.1`, …) in
//! order, up to the first damage, which is reported with where it was.

use super::config::nth_file;
use super::record::{JournalError, Record, RecordRef};
use super::schema::{COLUMNS, JOURNAL_VERSION, VERSION_KEY};
use crate::tap::RecordKind;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, UInt8Type, UInt16Type, UInt64Type};
use arrow_array::{BinaryArray, Int64Array, RecordBatch, UInt8Array, UInt16Array, UInt64Array};
use arrow_ipc::reader::StreamReader;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Where reading stopped short of a clean end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// The file.
    pub file: PathBuf,
    /// Complete batches read from it before the damage.
    pub batches: u64,
    /// Records read from the whole journal before the damage.
    pub records: u64,
    /// What was wrong.
    pub reason: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} after {} complete batches ({} records read in all)",
            self.file.display(),
            self.reason,
            self.batches,
            self.records
        )
    }
}

/// The records of a journal, in the order they were recorded.
pub struct JournalReader {
    path: PathBuf,
    file_no: u32,
    stream: Option<StreamReader<BufReader<Box<dyn Read + Send>>>>,
    batch: Option<Columns>,
    row: usize,
    batches: u64,
    records: u64,
    damage: Option<Damage>,
    /// Files that ended without the end-of-stream marker (their recorder did
    /// not finish: killed, or still writing).
    unfinished: Vec<PathBuf>,
}

impl std::fmt::Debug for JournalReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalReader")
            .field("path", &self.path)
            .field("file_no", &self.file_no)
            .field("records", &self.records)
            .field("damage", &self.damage)
            .finish_non_exhaustive()
    }
}

/// Checks a stream's schema: the columns this build reads, a version it knows.
fn check_schema(schema: &arrow_schema::Schema, file: &Path) -> Result<(), JournalError> {
    let version = schema.metadata().get(VERSION_KEY);
    match version.map(|v| v.parse::<u32>()) {
        Some(Ok(v)) if v == JOURNAL_VERSION => {}
        Some(Ok(v)) => {
            return Err(JournalError::Version {
                file: file.to_path_buf(),
                found: v.to_string(),
            });
        }
        Some(Err(_)) | None => {
            return Err(JournalError::Version {
                file: file.to_path_buf(),
                found: version.cloned().unwrap_or_else(|| "none".into()),
            });
        }
    }
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    if names != COLUMNS || schema.fields() != super::schema::schema().fields() {
        return Err(JournalError::Version {
            file: file.to_path_buf(),
            found: format!("version {JOURNAL_VERSION} with other columns ({names:?})"),
        });
    }
    Ok(())
}

impl JournalReader {
    /// Opens the journal at `path` (its first file must exist and start with a
    /// journal schema of this version).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| JournalError::Io {
            file: path.clone(),
            source: e,
        })?;
        let stream = Self::stream(Box::new(file), &path)?;
        Ok(Self::new(path, 0, stream))
    }

    /// Reads a journal from any byte source (one file's worth; no rotation).
    pub fn from_reader(src: impl Read + Send + 'static) -> Result<Self, JournalError> {
        let path = PathBuf::from("<reader>");
        let stream = Self::stream(Box::new(src), &path)?;
        Ok(Self::new(path, u32::MAX, stream))
    }

    /// A reader at the start of `stream`, file `file_no` of `path`
    /// (`u32::MAX`: a byte source, no rotated files after it).
    fn new(
        path: PathBuf,
        file_no: u32,
        stream: StreamReader<BufReader<Box<dyn Read + Send>>>,
    ) -> Self {
        Self {
            path,
            file_no,
            stream: Some(stream),
            batch: None,
            row: 0,
            batches: 0,
            records: 0,
            damage: None,
            unfinished: Vec::new(),
        }
    }

    fn stream(
        src: Box<dyn Read + Send>,
        file: &Path,
    ) -> Result<StreamReader<BufReader<Box<dyn Read + Send>>>, JournalError> {
        let s = StreamReader::try_new(BufReader::new(src), None).map_err(|e| {
            JournalError::NotAJournal {
                file: file.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
        check_schema(&s.schema(), file)?;
        Ok(s)
    }

    /// The next record; `None` at the end of the journal or at the first
    /// damage ([`JournalReader::damage`] then says where).
    pub fn next_record(&mut self) -> Option<Record> {
        self.next_ref().map(|r| r.to_record())
    }

    /// The next record, its payload borrowed from the batch it was read in (no
    /// copy: the fastest way through a journal); `None` as in
    /// [`next_record`](Self::next_record).
    pub fn next_ref(&mut self) -> Option<RecordRef<'_>> {
        loop {
            if self.batch.as_ref().is_some_and(|b| self.row < b.rows) {
                break;
            }
            self.batch = None;
            if !self.next_batch() {
                return None;
            }
        }
        let (b, i) = (self.batch.as_ref()?, self.row);
        self.row += 1;
        self.records += 1;
        Some(b.row(i))
    }

    /// Loads the next batch (from this file or the next); `false` at the end.
    fn next_batch(&mut self) -> bool {
        loop {
            let Some(s) = self.stream.as_mut() else {
                return false;
            };
            match s.next() {
                Some(Ok(b)) => {
                    if let Err(reason) = valid(&b) {
                        self.fail(reason);
                        return false;
                    }
                    self.batches += 1;
                    self.batch = Some(Columns::of(&b));
                    self.row = 0;
                    return true;
                }
                Some(Err(e)) => {
                    self.fail(e.to_string());
                    return false;
                }
                None => {
                    self.stream = None;
                    if self.file_no == u32::MAX {
                        return false;
                    }
                    let file = self.current_file();
                    if !ends_with_eos(&file) {
                        self.unfinished.push(file);
                    }
                    // The next rotated file, if there is one.
                    let next = nth_file(&self.path, self.file_no + 1);
                    let Ok(f) = File::open(&next) else {
                        return false;
                    };
                    self.file_no += 1;
                    self.batches = 0;
                    match Self::stream(Box::new(f), &next) {
                        Ok(s) => self.stream = Some(s),
                        Err(e) => {
                            self.fail(e.to_string());
                            return false;
                        }
                    }
                }
            }
        }
    }

    fn current_file(&self) -> PathBuf {
        if self.file_no == u32::MAX {
            return self.path.clone();
        }
        nth_file(&self.path, self.file_no)
    }

    fn fail(&mut self, reason: String) {
        self.stream = None;
        self.damage = Some(Damage {
            file: self.current_file(),
            batches: self.batches,
            records: self.records,
            reason,
        });
    }

    /// Where reading stopped short, if it did.
    pub fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    /// Files that ended without the end-of-stream marker: their recorder was
    /// killed or is still writing (every complete batch was read).
    pub fn unfinished(&self) -> &[PathBuf] {
        &self.unfinished
    }

    /// Records returned so far.
    pub fn records(&self) -> u64 {
        self.records
    }
}

impl Iterator for JournalReader {
    type Item = Record;
    fn next(&mut self) -> Option<Record> {
        self.next_record()
    }
}

/// A batch whose columns are what the schema says (the stream reader checks
/// types; a record kind this build does not know is damage too).
fn valid(b: &RecordBatch) -> Result<(), String> {
    let kinds = b.column(4).as_primitive::<UInt8Type>();
    if let Some(k) = kinds
        .values()
        .iter()
        .find(|k| RecordKind::from_u8(**k).is_none())
    {
        return Err(format!("unknown record kind {k}"));
    }
    Ok(())
}

/// Whether `file` ends with the IPC end-of-stream marker (the reader stops at
/// the end of the bytes alike with or without it).
fn ends_with_eos(file: &Path) -> bool {
    use std::io::{Seek, SeekFrom};
    const EOS: [u8; 8] = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    let mut tail = [0u8; 8];
    File::open(file)
        .and_then(|mut f| {
            f.seek(SeekFrom::End(-8))?;
            f.read_exact(&mut tail)
        })
        .is_ok_and(|()| tail == EOS)
}

/// A batch's columns, each cast to its type once when the batch is read.
struct Columns {
    rows: usize,
    mono: UInt64Array,
    wall: Int64Array,
    conn: UInt16Array,
    feed: UInt8Array,
    kind: UInt8Array,
    payload: BinaryArray,
}

impl Columns {
    /// `b`'s columns (its schema was checked when its stream was opened).
    fn of(b: &RecordBatch) -> Self {
        Self {
            rows: b.num_rows(),
            mono: b.column(0).as_primitive::<UInt64Type>().clone(),
            wall: b.column(1).as_primitive::<Int64Type>().clone(),
            conn: b.column(2).as_primitive::<UInt16Type>().clone(),
            feed: b.column(3).as_primitive::<UInt8Type>().clone(),
            kind: b.column(4).as_primitive::<UInt8Type>().clone(),
            payload: b.column(5).as_binary::<i32>().clone(),
        }
    }

    fn row(&self, i: usize) -> RecordRef<'_> {
        RecordRef {
            recv_mono_ns: self.mono.values()[i],
            recv_wall_ns: self.wall.values()[i],
            conn: self.conn.values()[i],
            feed: self.feed.values()[i],
            kind: RecordKind::from_u8(self.kind.values()[i]).unwrap_or(RecordKind::Gap),
            payload: self.payload.value(i),
        }
    }
}
