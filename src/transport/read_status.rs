//! What one read pass over a transport found.

/// What a read pass found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadStatus {
    /// Plaintext bytes were appended (and the socket may have more later).
    Data(usize),
    /// Nothing available now.
    WouldBlock,
    /// The peer closed the stream (after any bytes reported earlier).
    Eof,
}

impl ReadStatus {
    /// `Data(appended)` when a read appended bytes, else `otherwise` (`Eof` or
    /// `WouldBlock`, which the caller then sees on its next read).
    pub(crate) fn data_or(appended: usize, otherwise: ReadStatus) -> ReadStatus {
        if appended > 0 {
            ReadStatus::Data(appended)
        } else {
            otherwise
        }
    }
}
