//! Errors of the binary decoders.

/// Why a binary packet (market feed or depth) could not be decoded.
///
/// Every variant carries the byte offset of the offending packet within the
/// WebSocket message, so a caller can report exactly where the stream went wrong.
/// Packets decoded before the error stand; the decoders never panic on any input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes remain than the header needs, or than the header declares.
    #[error("truncated packet at byte {offset}: needs {needed} bytes, {available} present")]
    Truncated {
        /// Offset of the packet within the message.
        offset: usize,
        /// Bytes the header (or the declared length) requires.
        needed: usize,
        /// Bytes present from `offset` to the end of the message.
        available: usize,
    },
    /// The declared length does not fit the packet kind (or is smaller than a header).
    #[error(
        "packet code {code} at byte {offset} declares {declared} bytes; its kind needs {expected}"
    )]
    BadLength {
        /// Offset of the packet within the message.
        offset: usize,
        /// Response code of the packet.
        code: u8,
        /// The length the header declares.
        declared: usize,
        /// What the kind requires, in words (`"16"`, `"at least 8"`, `"12 + 16 x rows"`).
        expected: &'static str,
    },
    /// A 200-level depth packet declares more rows than its bytes hold or than 200.
    #[error("depth packet at byte {offset} declares {rows} rows but carries room for {room}")]
    BadRowCount {
        /// Offset of the packet within the message.
        offset: usize,
        /// The declared row count.
        rows: u32,
        /// Rows the declared length (and the 200-row maximum) allows.
        room: usize,
    },
}

impl DecodeError {
    /// Offset of the offending packet within the message.
    pub fn offset(&self) -> usize {
        match *self {
            Self::Truncated { offset, .. }
            | Self::BadLength { offset, .. }
            | Self::BadRowCount { offset, .. } => offset,
        }
    }

    /// The same error with its offset moved by `base` (for nesting in larger buffers).
    pub fn shifted(mut self, base: usize) -> Self {
        match &mut self {
            Self::Truncated { offset, .. }
            | Self::BadLength { offset, .. }
            | Self::BadRowCount { offset, .. } => *offset += base,
        }
        self
    }
}
