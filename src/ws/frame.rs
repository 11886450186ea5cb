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
    pub const fn from_nibble(n: u8) -> Self {
        match n & 0x0f {
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
/// with [`apply_mask`].
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
