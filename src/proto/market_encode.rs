//! Encoders for market-feed packets: the exact inverse of [`super::market`].
//!
//! The simulator, tests, benchmarks and fuzz seeds are built on these.

use super::market::{FullDepthLevel, Ltt, MarketPacket, code, size};
use super::segment::InstrumentId;
use super::wire::{put_f32, put_u16, put_u32};

/// Total encoded length of `p` (its declared length).
pub fn encoded_len(p: &MarketPacket) -> usize {
    match p {
        MarketPacket::Ticker(_) => size::TICKER,
        MarketPacket::Quote(_) => size::QUOTE,
        MarketPacket::Oi(_) => size::OI,
        MarketPacket::PrevClose(_) => size::PREV_CLOSE,
        MarketPacket::Full(_) => size::FULL,
        MarketPacket::Disconnect(_) => size::DISCONNECT,
        MarketPacket::MarketStatus(s) => (s.len as usize).max(size::HEADER),
        MarketPacket::Unknown(u) => (u.len as usize).max(size::HEADER),
    }
}

fn header(out: &mut [u8], code: u8, len: usize, id: InstrumentId) {
    out[0] = code;
    put_u16(out, 1, len as u16);
    out[3] = id.segment.as_u8();
    put_u32(out, 4, id.security_id);
}

/// Writes `p` at the start of `out` and returns the bytes written, or `None` when
/// `out` is too short. Payload bytes of header-only kinds (market status, unknown
/// codes with a declared length above 8) are written as zeros.
pub fn write_packet(p: &MarketPacket, out: &mut [u8]) -> Option<usize> {
    let len = encoded_len(p);
    let out = out.get_mut(..len)?;
    match p {
        MarketPacket::Ticker(t) => {
            header(out, code::TICKER, len, t.id);
            put_f32(out, 8, t.ltp);
            put_u32(out, 12, t.ltt.raw());
        }
        MarketPacket::Quote(q) => {
            header(out, code::QUOTE, len, q.id);
            put_f32(out, 8, q.ltp);
            put_u16(out, 12, q.ltq);
            put_u32(out, 14, q.ltt.raw());
            put_f32(out, 18, q.atp);
            put_u32(out, 22, q.volume);
            put_u32(out, 26, q.total_sell_qty);
            put_u32(out, 30, q.total_buy_qty);
            put_f32(out, 34, q.open);
            put_f32(out, 38, q.close);
            put_f32(out, 42, q.high);
            put_f32(out, 46, q.low);
        }
        MarketPacket::Oi(o) => {
            header(out, code::OI, len, o.id);
            put_u32(out, 8, o.oi);
        }
        MarketPacket::PrevClose(pc) => {
            header(out, code::PREV_CLOSE, len, pc.id);
            put_f32(out, 8, pc.prev_close);
            put_u32(out, 12, pc.prev_oi);
        }
        MarketPacket::Full(f) => {
            header(out, code::FULL, len, f.id);
            put_f32(out, 8, f.ltp);
            put_u16(out, 12, f.ltq);
            put_u32(out, 14, f.ltt.raw());
            put_f32(out, 18, f.atp);
            put_u32(out, 22, f.volume);
            put_u32(out, 26, f.total_sell_qty);
            put_u32(out, 30, f.total_buy_qty);
            put_u32(out, 34, f.oi);
            put_u32(out, 38, f.oi_day_high);
            put_u32(out, 42, f.oi_day_low);
            put_f32(out, 46, f.open);
            put_f32(out, 50, f.close);
            put_f32(out, 54, f.high);
            put_f32(out, 58, f.low);
            for (i, l) in f.depth.iter().enumerate() {
                write_full_level(&mut out[62 + size::FULL_DEPTH_LEVEL * i..], l);
            }
        }
        MarketPacket::Disconnect(d) => {
            header(out, code::DISCONNECT, len, d.id);
            put_u16(out, 8, d.reason.0);
        }
        MarketPacket::MarketStatus(s) => {
            header(out, code::MARKET_STATUS, len, s.id);
            out[size::HEADER..].fill(0);
        }
        MarketPacket::Unknown(u) => {
            header(out, u.code, len, u.id);
            out[size::HEADER..].fill(0);
        }
    }
    Some(len)
}

fn write_full_level(out: &mut [u8], l: &FullDepthLevel) {
    put_u32(out, 0, l.bid_qty);
    put_u32(out, 4, l.ask_qty);
    put_u16(out, 8, l.bid_orders);
    put_u16(out, 10, l.ask_orders);
    put_f32(out, 12, l.bid_price);
    put_f32(out, 16, l.ask_price);
}

/// Appends the encoding of `p` to `out`.
pub fn encode_packet(p: &MarketPacket, out: &mut Vec<u8>) {
    let start = out.len();
    let len = encoded_len(p);
    out.resize(start + len, 0);
    // `out` was just resized to hold exactly `len` more bytes.
    let written = write_packet(p, &mut out[start..]);
    debug_assert_eq!(written, Some(len));
}

/// The encoding of `p` as a new vector (convenience for tests and tools).
pub fn packet_bytes(p: &MarketPacket) -> Vec<u8> {
    let mut v = Vec::with_capacity(encoded_len(p));
    encode_packet(p, &mut v);
    v
}

/// A ticker packet for `id` (shorthand used by the simulator and tests).
pub fn ticker(id: InstrumentId, ltp: f32, ltt: Ltt) -> MarketPacket {
    MarketPacket::Ticker(super::market::Ticker { id, ltp, ltt })
}
