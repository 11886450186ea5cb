//! How a journal is recorded, what its recorder counts, and its files' names.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a journal is recorded.
#[derive(Clone, Debug)]
pub struct JournalConfig {
    /// The first file (rotated files add `.1`, `.2`, …).
    pub path: PathBuf,
    /// The ring between the I/O thread and the recorder. Default 64 MiB (a
    /// few seconds of a saturated feed; minutes of a real one).
    pub ring_bytes: usize,
    /// Records per batch. Default 8,192.
    pub batch_rows: usize,
    /// A batch is written at least this often while records wait. Default 100 ms.
    pub flush_every: Duration,
    /// Start the next file once this many bytes are in the current one (0:
    /// never). Default 0.
    pub rotate_bytes: u64,
    /// Start the next file once the current one is this old. Default never.
    pub rotate_every: Option<Duration>,
}

impl JournalConfig {
    /// Defaults, recording into `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            ring_bytes: 64 << 20,
            batch_rows: 8192,
            flush_every: Duration::from_millis(100),
            rotate_bytes: 0,
            rotate_every: None,
        }
    }
}

/// A recorder's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Records written to files (gap records included).
    pub records: u64,
    /// Batches written.
    pub batches: u64,
    /// Payload bytes written (plus 24 a record).
    pub bytes: u64,
    /// Files opened.
    pub files: u32,
    /// Records the ring could not take (the recorder was behind); each
    /// stretch is a gap record in the journal.
    pub missed: u64,
    /// Records taken from the ring whose batch could not be written (disk
    /// full, file removed).
    pub lost: u64,
    /// The latest write failure.
    pub last_error: Option<String>,
}

/// The `n`th file of a journal at `path`: `path` itself, then `path.1`, `path.2`….
pub(crate) fn nth_file(path: &Path, n: u32) -> PathBuf {
    if n == 0 {
        return path.to_path_buf();
    }
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}
