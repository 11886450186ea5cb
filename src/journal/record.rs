//! A journal's record, and what can go wrong with a journal.

use super::schema::JOURNAL_VERSION;
use crate::proto::endpoint::FeedKind;
use crate::tap::{EventTag, RecordKind};
use std::path::PathBuf;

/// One record of a journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// When the I/O thread read or sent it ([`crate::now_ns`] of the
    /// recording process).
    pub recv_mono_ns: u64,
    /// The same instant, Unix ns.
    pub recv_wall_ns: i64,
    /// The connection (market shard index, or the handle's id).
    pub conn: u16,
    /// The feed's code (see [`Record::feed_kind`]).
    pub feed: u8,
    /// What it is.
    pub kind: RecordKind,
    /// The bytes.
    pub payload: Vec<u8>,
}

/// One record of a journal, its payload borrowed from the batch it was read
/// in ([`JournalReader::next_ref`](super::JournalReader::next_ref)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// As [`Record::recv_mono_ns`].
    pub recv_mono_ns: u64,
    /// As [`Record::recv_wall_ns`].
    pub recv_wall_ns: i64,
    /// As [`Record::conn`].
    pub conn: u16,
    /// As [`Record::feed`].
    pub feed: u8,
    /// As [`Record::kind`].
    pub kind: RecordKind,
    /// The bytes.
    pub payload: &'a [u8],
}

impl<'a> RecordRef<'a> {
    /// An owned copy.
    pub fn to_record(&self) -> Record {
        Record {
            recv_mono_ns: self.recv_mono_ns,
            recv_wall_ns: self.recv_wall_ns,
            conn: self.conn,
            feed: self.feed,
            kind: self.kind,
            payload: self.payload.to_vec(),
        }
    }

    /// The feed it came from; `None` for a gap record (or an unknown code).
    pub fn feed_kind(&self) -> Option<FeedKind> {
        FeedKind::ALL.get(usize::from(self.feed)).copied()
    }

    /// For a gap record, how many records were missed.
    pub fn missed(&self) -> Option<u64> {
        (self.kind == RecordKind::Gap)
            .then(|| {
                self.payload
                    .get(..8)?
                    .try_into()
                    .ok()
                    .map(u64::from_le_bytes)
            })
            .flatten()
    }

    /// For a connection event, its tag and description.
    pub fn event(&self) -> Option<(EventTag, &'a str)> {
        if self.kind != RecordKind::Event {
            return None;
        }
        let (&tag, text) = self.payload.split_first()?;
        Some((EventTag::from_u8(tag)?, std::str::from_utf8(text).ok()?))
    }
}

impl Record {
    /// A borrowed view of it.
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            recv_mono_ns: self.recv_mono_ns,
            recv_wall_ns: self.recv_wall_ns,
            conn: self.conn,
            feed: self.feed,
            kind: self.kind,
            payload: &self.payload,
        }
    }

    /// The feed it came from; `None` for a gap record (or an unknown code).
    pub fn feed_kind(&self) -> Option<FeedKind> {
        self.as_ref().feed_kind()
    }

    /// For a gap record, how many records were missed.
    pub fn missed(&self) -> Option<u64> {
        self.as_ref().missed()
    }

    /// For a connection event, its tag and description.
    pub fn event(&self) -> Option<(EventTag, &str)> {
        self.as_ref().event()
    }
}

/// Why a journal cannot be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A file could not be created, opened or written.
    #[error("journal {file}: {source}", file = file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an Arrow IPC stream.
    #[error("{file} is not a dhan-feed journal: {reason}", file = file.display())]
    NotAJournal {
        /// The file.
        file: PathBuf,
        /// What the Arrow reader said.
        reason: String,
    },
    /// The file is a journal of another format version.
    #[error(
        "{file} is a dhan-feed journal of format version {found}; this dhan-feed reads version {JOURNAL_VERSION}",
        file = file.display()
    )]
    Version {
        /// The file.
        file: PathBuf,
        /// The version found (or what was there instead).
        found: String,
    },
    /// The recorder could not start.
    #[error("journal {0}")]
    Start(String),
    /// An export could not write its files.
    #[error("journal export: {0}")]
    Export(String),
}

impl From<JournalError> for crate::Error {
    fn from(e: JournalError) -> Self {
        crate::Error::Journal(Box::new(e))
    }
}
