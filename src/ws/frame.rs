//! WebSocket frame headers (RFC 6455 §5.2): parse in place, write into a caller's
//! buffer, and apply the client mask.

/// Frame opcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: continuation of a fragmented message.
    Continuation,
    /// 0x1: text (UTF-8) data.
    Text,
    /// 0x2: binary data.
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// Any reserved opcode (3–7, 0xB–0xF): a protocol error on receipt.
    Reserved(u8),
}

impl Opcode {
    /// Maps the low nibble of the first header byte.
    ///
    /// The data opcodes are tested first, with plain compares: a `match` over
    /// all of them compiles to a jump table, a load from a `.rodata` line that is
    /// cold whenever a message arrives after a quiet spell, and an indirect jump
    /// that waits for it.
    #[inline(always)]
    pub const fn from_nibble(n: u8) -> Self {
        match n & 0x0f {
            0x2 => Self::Binary,
            0x1 => Self::Text,
            other => Self::from_other_nibble(other),
        }
    }

    /// [`Self::from_nibble`] for the opcodes other than binary and text.
    #[cold]
    #[inline(never)]
    const fn from_other_nibble(n: u8) -> Self {
        match n {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            other => Self::Reserved(other),
        }
    }

    /// The nibble on the wire.
    pub const fn nibble(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
            Self::Reserved(n) => n & 0x0f,
        }
    }

    /// Whether this is a control frame (close, ping, pong).
    pub const fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// The largest header: 2 bytes + 8-byte length + 4-byte mask.
pub const MAX_HEADER_LEN: usize = 14;

/// Writes a frame header into `out` (at least [`MAX_HEADER_LEN`] bytes) and returns
/// its length. `mask` is `Some` for client frames; the payload must then be masked
/// with `apply_mask`.
pub fn write_header(
    fin: bool,
    opcode: Opcode,
    payload_len: u64,
    mask: Option<[u8; 4]>,
    out: &mut [u8],
) -> usize {
    out[0] = (u8::from(fin) << 7) | opcode.nibble();
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut n = if payload_len < 126 {
        out[1] = mask_bit | payload_len as u8;
        2
    } else if payload_len <= u64::from(u16::MAX) {
        out[1] = mask_bit | 126;
        out[2..4].copy_from_slice(&(payload_len as u16).to_be_bytes());
        4
    } else {
        out[1] = mask_bit | 127;
        out[2..10].copy_from_slice(&payload_len.to_be_bytes());
        10
    };
    if let Some(m) = mask {
        out[n..n + 4].copy_from_slice(&m);
        n += 4;
    }
    n
}

/// Appends a whole unmasked (server) frame carrying `payload` to `out`.
pub fn push_server_frame(fin: bool, opcode: Opcode, payload: &[u8], out: &mut Vec<u8>) {
    let mut h = [0u8; MAX_HEADER_LEN];
    let n = write_header(fin, opcode, payload.len() as u64, None, &mut h);
    out.extend_from_slice(&h[..n]);
    out.extend_from_slice(payload);
}

/// A parsed frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Final fragment of a message.
    pub fin: bool,
    /// The three RSV bits (must be 0 without extensions).
    pub rsv: u8,
    /// Opcode.
    pub opcode: Opcode,
    /// Masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub payload_len: u64,
    /// Header length in bytes.
    pub header_len: usize,
}

/// Parses the frame header at the start of `buf`: `Ok(None)` when more bytes are
/// needed (nothing is consumed), otherwise the header. Never reads past `buf`.
#[inline(always)]
pub fn parse_header(buf: &[u8]) -> Result<Option<FrameHeader>, FrameError> {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let rsv = (b0 >> 4) & 0x7;
    let opcode = Opcode::from_nibble(b0);
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut n) = match b1 & 0x7f {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                let len = u64::from_be_bytes(a);
                if len >> 63 != 0 {
                    return Err(FrameError::BadLength);
                }
                (len, 10)
            }
            None => return Ok(None),
        },
        l => (u64::from(l), 2),
    };
    let mask = if masked {
        match buf.get(n..n + 4) {
            Some(m) => {
                n += 4;
                Some([m[0], m[1], m[2], m[3]])
            }
            None => return Ok(None),
        }
    } else {
        None
    };
    // A data frame with no reserved bits set, tested with one branch.
    let plain_data = (b0 & 0x70 == 0) & ((b0 & 0x0f).wrapping_sub(1) < 2);
    if !plain_data {
        check_header(b0, opcode, payload_len)?;
    }
    Ok(Some(FrameHeader {
        fin,
        rsv,
        opcode,
        mask,
        payload_len,
        header_len: n,
    }))
}

/// The checks of [`parse_header`] for a frame other than a plain data frame.
#[cold]
#[inline(never)]
fn check_header(b0: u8, opcode: Opcode, payload_len: u64) -> Result<(), FrameError> {
    let rsv = (b0 >> 4) & 0x7;
    if rsv != 0 {
        return Err(FrameError::ReservedBits(rsv));
    }
    if let Opcode::Reserved(op) = opcode {
        return Err(FrameError::ReservedOpcode(op));
    }
    if opcode.is_control() && (b0 & 0x80 == 0 || payload_len > 125) {
        return Err(FrameError::BadControlFrame);
    }
    Ok(())
}

/// A frame that violates RFC 6455.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// RSV bits set without a negotiated extension.
    #[error("frame has reserved bits {0:#x} set")]
    ReservedBits(u8),
    /// A reserved opcode.
    #[error("frame has reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A 64-bit length with the top bit set.
    #[error("frame length has the most significant bit set")]
    BadLength,
    /// A fragmented or over-long control frame.
    #[error("control frame is fragmented or longer than 125 bytes")]
    BadControlFrame,
}

/// XORs `data` with the 4-byte `key`, as if `data` started at byte `offset` of the
/// payload (so a payload can be unmasked in pieces).
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[(offset + i) & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lengths_at_the_boundaries() {
        let mut h = [0u8; MAX_HEADER_LEN];
        assert_eq!(write_header(true, Opcode::Binary, 125, None, &mut h), 2);
        assert_eq!(&h[..2], &[0x82, 125]);
        assert_eq!(write_header(true, Opcode::Binary, 126, None, &mut h), 4);
        assert_eq!(&h[..4], &[0x82, 126, 0, 126]);
        assert_eq!(write_header(false, Opcode::Text, 65_536, None, &mut h), 10);
        assert_eq!(&h[..10], &[0x01, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(
            write_header(true, Opcode::Pong, 0, Some([1, 2, 3, 4]), &mut h),
            6
        );
        assert_eq!(&h[..6], &[0x8a, 0x80, 1, 2, 3, 4]);
    }

    #[test]
    fn parse_inverts_write_and_needs_whole_headers() {
        let mut h = [0u8; MAX_HEADER_LEN];
        for (fin, op, len, mask) in [
            (true, Opcode::Binary, 0u64, None),
            (false, Opcode::Text, 125, Some([1, 2, 3, 4])),
            (true, Opcode::Continuation, 126, None),
            (true, Opcode::Binary, 65_535, Some([9, 9, 9, 9])),
            (true, Opcode::Binary, 65_536, None),
            (true, Opcode::Ping, 125, None),
        ] {
            let n = write_header(fin, op, len, mask, &mut h);
            for cut in 0..n {
                assert_eq!(parse_header(&h[..cut]), Ok(None), "cut {cut}");
            }
            let got = parse_header(&h[..n]).unwrap().unwrap();
            assert_eq!(
                (
                    got.fin,
                    got.opcode,
                    got.payload_len,
                    got.mask,
                    got.header_len
                ),
                (fin, op, len, mask, n)
            );
        }
        assert_eq!(parse_header(&[0x83, 0]), Err(FrameError::ReservedOpcode(3)));
        assert_eq!(parse_header(&[0xc2, 0]), Err(FrameError::ReservedBits(4)));
        assert_eq!(parse_header(&[0x09, 0]), Err(FrameError::BadControlFrame));
        assert_eq!(
            parse_header(&[0x89, 126, 0, 126]),
            Err(FrameError::BadControlFrame)
        );
    }

    /// The one-branch test for plain data frames, checked against the rules
    /// written out for every first byte, with short and over-long payloads.
    #[test]
    fn every_first_byte_meets_the_rules() {
        for b0 in 0..=255u8 {
            let nibble = b0 & 0x0f;
            let opcode = Opcode::from_nibble(b0);
            assert_eq!(opcode.nibble(), nibble, "{b0:#x}");
            for frame in [[b0, 5, 0, 0], [b0, 126, 0, 126]] {
                let rsv = (b0 >> 4) & 0x7;
                let expect = if rsv != 0 {
                    Err(FrameError::ReservedBits(rsv))
                } else if !matches!(nibble, 0..=2 | 8..=10) {
                    Err(FrameError::ReservedOpcode(nibble))
                } else if nibble >= 8 && (b0 & 0x80 == 0 || frame[1] == 126) {
                    Err(FrameError::BadControlFrame)
                } else {
                    Ok(())
                };
                let got = parse_header(&frame).map(|h| {
                    let h = h.expect("a whole header");
                    assert_eq!((h.fin, h.opcode), (b0 & 0x80 != 0, opcode));
                });
                assert_eq!(got, expect, "{frame:?}");
            }
        }
    }

    #[test]
    fn mask_in_pieces_equals_mask_at_once() {
        let key = [0xde, 0xad, 0xbe, 0xef];
        let mut a: Vec<u8> = (0..37).collect();
        let mut b = a.clone();
        apply_mask(&mut a, key, 0);
        let (x, y) = b.split_at_mut(11);
        apply_mask(x, key, 0);
        apply_mask(y, key, 11);
        assert_eq!(a, b);
        apply_mask(&mut a, key, 0);
        assert_eq!(a, (0..37).collect::<Vec<u8>>());
    }
}
