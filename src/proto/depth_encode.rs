//! Encoders for depth packets: the exact inverse of [`super::depth`].

use super::depth::{
    DISCONNECT_LEN, DepthKind, DepthLevel, DepthSide, HEADER_LEN, LEVEL_LEN, MAX_ROWS_200, code,
};
use super::disconnect::DisconnectCode;
use super::segment::InstrumentId;
use super::wire::{put_f64, put_u16, put_u32};

fn header(out: &mut Vec<u8>, len: usize, code: u8, id: InstrumentId, field: u32) -> usize {
    let start = out.len();
    out.resize(start + len, 0);
    let o = &mut out[start..];
    put_u16(o, 0, len as u16);
    o[2] = code;
    o[3] = id.segment.as_u8();
    put_u32(o, 4, id.security_id);
    put_u32(o, 8, field);
    start
}

/// Appends a bid or ask packet.
///
/// * 20-level: always 20 levels are written; missing ones are zero and extra ones
///   are ignored; `seq` goes in the header's u32.
/// * 200-level: `levels.len()` rows (at most 200; extra ones are ignored); the row
///   count goes in the header's u32 and `seq` is unused.
///
/// Returns the bytes appended.
pub fn encode_levels(
    kind: DepthKind,
    side: DepthSide,
    id: InstrumentId,
    seq: u32,
    levels: &[DepthLevel],
    out: &mut Vec<u8>,
) -> usize {
    let (rows, field) = match kind {
        DepthKind::Twenty => (20, seq),
        DepthKind::TwoHundred => {
            let rows = levels.len().min(MAX_ROWS_200);
            (rows, rows as u32)
        }
    };
    let len = HEADER_LEN + rows * LEVEL_LEN;
    let start = header(out, len, side.code(), id, field);
    for (i, l) in levels.iter().take(rows).enumerate() {
        let o = &mut out[start + HEADER_LEN + i * LEVEL_LEN..];
        put_f64(o, 0, l.price);
        put_u32(o, 8, l.qty);
        put_u32(o, 12, l.orders);
    }
    len
}

/// Appends a 14-byte depth disconnect packet. The reason is written both as the
/// i16 at `[12..14)` (the docs) and as the u32 at `[8..12)` (what the Python SDK
/// reads), so both kinds of client see it.
pub fn encode_disconnect(id: InstrumentId, reason: DisconnectCode, out: &mut Vec<u8>) -> usize {
    let start = header(
        out,
        DISCONNECT_LEN,
        code::DISCONNECT,
        id,
        u32::from(reason.0),
    );
    put_u16(&mut out[start..], 12, reason.0);
    DISCONNECT_LEN
}

/// Appends a packet with an arbitrary code and a zero payload of `len - 12` bytes
/// (`len` is raised to 12 if smaller). For tests of unknown-code handling.
pub fn encode_unknown(code: u8, id: InstrumentId, len: u16, out: &mut Vec<u8>) -> usize {
    let len = (len as usize).max(HEADER_LEN);
    header(out, len, code, id, 0);
    len
}
