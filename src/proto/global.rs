//! The Global Stocks (US) feed's responses (docs/protocol.md §13): little-endian
//! binary packets behind an 11-byte header, several per WebSocket message,
//! decoded into `Copy` values. The requests are in [`super::global_encode`].
//!
//! Header (`<BiiBB`, as the official SDK 2.3.0 reads it):
//!
//! | bytes | field |
//! |---|---|
//! | `[0]` | exchange segment byte: `INX_EQ` is 14 ([`INX_EQ_CODE`]); any other byte is kept |
//! | `[1..5)` | security id |
//! | `[5..9)` | a second identifier (unexplained; kept) |
//! | `[9]` | packet length, header included; `0` means the code's default size |
//! | `[10]` | message code |
//!
//! Decoding never allocates and never panics. A packet longer than its kind is
//! decoded and its extra bytes skipped (a field Dhan adds breaks nothing); a
//! packet whose length cannot hold its fields is an error and, when its length
//! can still be trusted (at least a header, all present), the walk goes on
//! after it.

use super::disconnect::DisconnectCode;
use super::error::DecodeError;
use super::wire::{array, f32_at, u16_at, u32_at};

/// `INX_EQ`'s byte in the packet header: 14. The Ruby gem DhanHQ 3.4.0 gives it
/// (`Constants::GlobalStocks::EXCHANGE_SEGMENT_CODE`, citing Dhan's Global Stocks
/// docs); Dhan's annexure lists the Indian segments only, and the official
/// Python SDK passes the byte through without naming it.
pub const INX_EQ_CODE: u8 = 14;

/// Message codes (header byte 10).
pub mod code {
    /// Trade: last price, volume, last trade and last update time.
    pub const TRADE: u8 = 1;
    /// OHLC: open, close, high, low (that order on the wire).
    pub const OHLC: u8 = 3;
    /// Market status: a 3-byte market type and a status number.
    pub const MARKET_STATUS: u8 = 29;
    /// Previous close.
    pub const PREV_CLOSE: u8 = 32;
    /// Upper and lower circuit limits.
    pub const CIRCUIT_LIMITS: u8 = 33;
    /// 52-week high and low.
    pub const WEEK_52: u8 = 36;
    /// Error (805 to 809 as on the other feeds); the server closes after it.
    pub const ERROR: u8 = 50;
}

/// Packet sizes, header included.
pub mod size {
    /// The header of every packet.
    pub const HEADER: usize = 11;
    /// Trade.
    pub const TRADE: usize = 27;
    /// OHLC.
    pub const OHLC: usize = 27;
    /// Market status.
    pub const MARKET_STATUS: usize = 18;
    /// Previous close.
    pub const PREV_CLOSE: usize = 15;
    /// Circuit limits.
    pub const CIRCUIT_LIMITS: usize = 19;
    /// 52-week high and low.
    pub const WEEK_52: usize = 19;
    /// Error in the header form (SDK 2.3.0): the header and an int16 code.
    pub const ERROR: usize = 13;
    /// Error in the standalone form (the SDK's repository after 2.3.0): code 50
    /// first, `<BHBiH>`, a whole message of its own.
    pub const ERROR_STANDALONE: usize = 10;
}

/// The size a code's packets have (what a zero length byte stands for), or `None`
/// for a code this crate does not know.
pub const fn default_len(code: u8) -> Option<usize> {
    Some(match code {
        code::TRADE => size::TRADE,
        code::OHLC => size::OHLC,
        code::MARKET_STATUS => size::MARKET_STATUS,
        code::PREV_CLOSE => size::PREV_CLOSE,
        code::CIRCUIT_LIMITS => size::CIRCUIT_LIMITS,
        code::WEEK_52 => size::WEEK_52,
        code::ERROR => size::ERROR,
        _ => return None,
    })
}

/// One Global Stocks packet: the header's fields and what the code carries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlobalPacket {
    /// The exchange-segment byte as sent: [`INX_EQ_CODE`] for `INX_EQ` (see
    /// [`segment_name`](Self::segment_name)); another byte is kept as it arrived.
    pub segment: u8,
    /// Security id (Dhan's global instrument list).
    pub security_id: u32,
    /// The header's second identifier (the SDK unpacks and drops it).
    pub second_id: u32,
    /// The length byte as sent: `0` when the packet relied on its code's default
    /// size; `10` on an error in the standalone form.
    pub declared_len: u8,
    /// The code's fields.
    pub data: GlobalData,
}

/// What a Global Stocks packet carries. Prices are US dollars as `f32`; times are
/// seconds since the Unix epoch (UTC, as the SDK prints them).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum GlobalData {
    /// Code 1.
    Trade {
        /// Last traded price.
        ltp: f32,
        /// Volume traded today.
        volume: u32,
        /// Last trade time.
        ltt: u32,
        /// Last update time.
        lut: u32,
    },
    /// Code 3.
    Ohlc {
        /// Day open.
        open: f32,
        /// Close (the second field on the wire).
        close: f32,
        /// Day high.
        high: f32,
        /// Day low.
        low: f32,
    },
    /// Code 29.
    MarketStatus {
        /// The market type, three ASCII bytes as sent (NUL-padded).
        market_type: [u8; 3],
        /// The status number (its values are not documented).
        status: i32,
    },
    /// Code 32.
    PrevClose {
        /// Previous day's close.
        prev_close: f32,
    },
    /// Code 33.
    CircuitLimits {
        /// Upper circuit.
        upper: f32,
        /// Lower circuit.
        lower: f32,
    },
    /// Code 36.
    Week52 {
        /// 52-week high.
        high: f32,
        /// 52-week low.
        low: f32,
    },
    /// Code 50: why the server is about to close (805 to 809 as on the other feeds).
    Error {
        /// The code.
        code: DisconnectCode,
    },
    /// A code this crate does not know, kept with its length.
    Unknown {
        /// The message code.
        code: u8,
        /// The packet's length, header included.
        len: u8,
    },
}

impl GlobalPacket {
    /// The message code.
    pub const fn code(&self) -> u8 {
        match self.data {
            GlobalData::Trade { .. } => code::TRADE,
            GlobalData::Ohlc { .. } => code::OHLC,
            GlobalData::MarketStatus { .. } => code::MARKET_STATUS,
            GlobalData::PrevClose { .. } => code::PREV_CLOSE,
            GlobalData::CircuitLimits { .. } => code::CIRCUIT_LIMITS,
            GlobalData::Week52 { .. } => code::WEEK_52,
            GlobalData::Error { .. } => code::ERROR,
            GlobalData::Unknown { code, .. } => code,
        }
    }

    /// A short name of the kind: `trade`, `ohlc`, `market_status`, `prev_close`,
    /// `circuit_limits`, `week52`, `error`, `unknown`.
    pub const fn kind_name(&self) -> &'static str {
        match self.data {
            GlobalData::Trade { .. } => "trade",
            GlobalData::Ohlc { .. } => "ohlc",
            GlobalData::MarketStatus { .. } => "market_status",
            GlobalData::PrevClose { .. } => "prev_close",
            GlobalData::CircuitLimits { .. } => "circuit_limits",
            GlobalData::Week52 { .. } => "week52",
            GlobalData::Error { .. } => "error",
            GlobalData::Unknown { .. } => "unknown",
        }
    }

    /// `"INX_EQ"` for its byte, `None` for a byte this crate does not know.
    pub const fn segment_name(&self) -> Option<&'static str> {
        if self.segment == INX_EQ_CODE {
            Some("INX_EQ")
        } else {
            None
        }
    }

    /// The last traded price, for trade packets.
    pub const fn ltp(&self) -> Option<f32> {
        match self.data {
            GlobalData::Trade { ltp, .. } => Some(ltp),
            _ => None,
        }
    }
}

fn bad_len(offset: usize, code: u8, declared: usize) -> DecodeError {
    DecodeError::BadLength {
        offset,
        code,
        declared,
        expected: match code {
            code::TRADE | code::OHLC => "27",
            code::MARKET_STATUS => "18",
            code::PREV_CLOSE => "15",
            code::CIRCUIT_LIMITS | code::WEEK_52 => "19",
            code::ERROR => "13",
            _ => "at least 11",
        },
    }
}

/// Decodes the packet at the start of `buf` (`offset` is its position in the
/// message, for errors) and returns it with the bytes it spans.
pub fn decode_global_packet_at(
    buf: &[u8],
    offset: usize,
) -> Result<(GlobalPacket, usize), DecodeError> {
    let Some(h) = array::<{ size::HEADER }>(buf) else {
        return Err(DecodeError::Truncated {
            offset,
            needed: size::HEADER,
            available: buf.len(),
        });
    };
    let code = h[10];
    let want = default_len(code).unwrap_or(size::HEADER);
    let declared_len = h[9];
    let len = if declared_len == 0 {
        want
    } else {
        usize::from(declared_len)
    };
    if len < want {
        return Err(bad_len(offset, code, len));
    }
    if buf.len() < len {
        return Err(DecodeError::Truncated {
            offset,
            needed: len,
            available: buf.len(),
        });
    }
    let data = match code {
        code::TRADE | code::OHLC => {
            // Both are 27 bytes: the checks above leave at least that.
            let b = array::<{ size::TRADE }>(buf).ok_or(bad_len(offset, code, len))?;
            if code == code::TRADE {
                GlobalData::Trade {
                    ltp: f32_at(b, 11),
                    volume: u32_at(b, 15),
                    ltt: u32_at(b, 19),
                    lut: u32_at(b, 23),
                }
            } else {
                GlobalData::Ohlc {
                    open: f32_at(b, 11),
                    close: f32_at(b, 15),
                    high: f32_at(b, 19),
                    low: f32_at(b, 23),
                }
            }
        }
        code::MARKET_STATUS => {
            let b = array::<{ size::MARKET_STATUS }>(buf).ok_or(bad_len(offset, code, len))?;
            GlobalData::MarketStatus {
                market_type: [b[11], b[12], b[13]],
                status: u32_at(b, 14) as i32,
            }
        }
        code::PREV_CLOSE => {
            let b = array::<{ size::PREV_CLOSE }>(buf).ok_or(bad_len(offset, code, len))?;
            GlobalData::PrevClose {
                prev_close: f32_at(b, 11),
            }
        }
        code::CIRCUIT_LIMITS | code::WEEK_52 => {
            let b = array::<{ size::WEEK_52 }>(buf).ok_or(bad_len(offset, code, len))?;
            let (a, z) = (f32_at(b, 11), f32_at(b, 15));
            if code == code::CIRCUIT_LIMITS {
                GlobalData::CircuitLimits { upper: a, lower: z }
            } else {
                GlobalData::Week52 { high: a, low: z }
            }
        }
        code::ERROR => {
            let b = array::<{ size::ERROR }>(buf).ok_or(bad_len(offset, code, len))?;
            GlobalData::Error {
                code: DisconnectCode(u16_at(b, 11)),
            }
        }
        other => GlobalData::Unknown {
            code: other,
            len: len as u8,
        },
    };
    let p = GlobalPacket {
        segment: h[0],
        security_id: u32_at(h, 1),
        second_id: u32_at(h, 5),
        declared_len,
        data,
    };
    Ok((p, len))
}

/// The standalone error form (`<BHBiH>`: code 50, a u16 length, the segment, the
/// security id, the u16 error code), which is a whole 10-byte message: it is
/// shorter than a header, so it cannot be mistaken for a packet. Its length
/// field is not read (the SDK does not read it either).
fn standalone_error(msg: &[u8]) -> Option<GlobalPacket> {
    let b = array::<{ size::ERROR_STANDALONE }>(msg)?;
    (msg.len() == size::ERROR_STANDALONE && b[0] == code::ERROR).then(|| GlobalPacket {
        segment: b[3],
        security_id: u32_at(b, 4),
        second_id: 0,
        declared_len: size::ERROR_STANDALONE as u8,
        data: GlobalData::Error {
            code: DisconnectCode(u16_at(b, 8)),
        },
    })
}

/// Iterator over every packet of one Global Stocks message. A malformed packet
/// yields an `Err` with its offset; when its length can be trusted (at least a
/// header, and that many bytes present) the walk goes on after it, otherwise it
/// ends there. Earlier packets always stand; bytes left over that cannot hold a
/// header are an error too (the SDK drops them silently).
#[derive(Clone, Debug)]
pub struct GlobalPackets<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
    extended: u32,
}

impl<'a> GlobalPackets<'a> {
    /// Starts walking `message`.
    pub fn new(message: &'a [u8]) -> Self {
        Self {
            buf: message,
            pos: 0,
            failed: false,
            extended: 0,
        }
    }

    /// Bytes consumed by the packets yielded (and skipped) so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// Packets of a known code longer than their kind (decoded, the extra bytes
    /// skipped).
    pub fn extended(&self) -> u32 {
        self.extended
    }

    /// Whether a malformed packet ended the walk early.
    pub fn ended_early(&self) -> bool {
        self.failed
    }
}

impl Iterator for GlobalPackets<'_> {
    type Item = Result<GlobalPacket, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        if self.pos == 0
            && let Some(p) = standalone_error(self.buf)
        {
            self.pos = self.buf.len();
            return Some(Ok(p));
        }
        let rest = &self.buf[self.pos..];
        match decode_global_packet_at(rest, self.pos) {
            Ok((p, n)) => {
                self.pos += n;
                let known = default_len(p.code());
                self.extended += u32::from(known.is_some_and(|k| n > k));
                Some(Ok(p))
            }
            Err(e) => {
                let declared = rest.get(9).map_or(0, |&b| usize::from(b));
                if declared >= size::HEADER && declared <= rest.len() {
                    self.pos += declared;
                } else {
                    self.failed = true;
                }
                Some(Err(e))
            }
        }
    }
}

/// Walks every packet of a Global Stocks message. See [`GlobalPackets`].
pub fn global_packets(message: &[u8]) -> GlobalPackets<'_> {
    GlobalPackets::new(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::global_encode::{encode_global_packet, global_packet_bytes};

    fn trade(id: u32, ltp: f32) -> GlobalPacket {
        GlobalPacket {
            segment: 0,
            security_id: id,
            second_id: 0,
            declared_len: size::TRADE as u8,
            data: GlobalData::Trade {
                ltp,
                volume: 1_200,
                ltt: 1_765_000_000,
                lut: 1_765_000_001,
            },
        }
    }

    /// The SDK's own byte layout, written by hand (`<BiiBB` + `<fiii`).
    #[test]
    fn trade_matches_the_sdk_layout() {
        let mut b = vec![7u8];
        b.extend_from_slice(&1234i32.to_le_bytes());
        b.extend_from_slice(&99i32.to_le_bytes());
        b.extend_from_slice(&[27, 1]);
        b.extend_from_slice(&187.25f32.to_le_bytes());
        b.extend_from_slice(&5000i32.to_le_bytes());
        b.extend_from_slice(&1_765_000_000i32.to_le_bytes());
        b.extend_from_slice(&1_765_000_005i32.to_le_bytes());
        let ps: Vec<_> = global_packets(&b).collect();
        assert_eq!(
            ps,
            vec![Ok(GlobalPacket {
                segment: 7,
                security_id: 1234,
                second_id: 99,
                declared_len: 27,
                data: GlobalData::Trade {
                    ltp: 187.25,
                    volume: 5000,
                    ltt: 1_765_000_000,
                    lut: 1_765_000_005
                }
            })]
        );
        assert_eq!(global_packet_bytes(&ps[0].unwrap()), b);
    }

    #[test]
    fn ohlc_fields_are_open_close_high_low() {
        let mut b = global_packet_bytes(&trade(5, 1.0));
        b[10] = code::OHLC;
        b[11..15].copy_from_slice(&10.0f32.to_le_bytes());
        b[15..19].copy_from_slice(&11.0f32.to_le_bytes());
        b[19..23].copy_from_slice(&12.0f32.to_le_bytes());
        b[23..27].copy_from_slice(&9.0f32.to_le_bytes());
        let p = global_packets(&b).next().unwrap().unwrap();
        assert_eq!(
            p.data,
            GlobalData::Ohlc {
                open: 10.0,
                close: 11.0,
                high: 12.0,
                low: 9.0
            }
        );
    }

    #[test]
    fn zero_length_byte_means_the_default_size_and_packets_stack() {
        let mut msg = Vec::new();
        let mut a = trade(1, 10.5);
        a.declared_len = 0;
        encode_global_packet(&a, &mut msg);
        let status = GlobalPacket {
            segment: 0,
            security_id: 2,
            second_id: 0,
            declared_len: 0,
            data: GlobalData::MarketStatus {
                market_type: *b"US\0",
                status: 1,
            },
        };
        encode_global_packet(&status, &mut msg);
        encode_global_packet(&trade(3, 11.5), &mut msg);
        assert_eq!(msg.len(), 27 + 18 + 27);
        let ps: Vec<_> = global_packets(&msg).map(Result::unwrap).collect();
        assert_eq!(ps, vec![a, status, trade(3, 11.5)]);
    }

    #[test]
    fn a_longer_packet_is_decoded_and_the_next_one_kept() {
        let mut msg = global_packet_bytes(&trade(1, 10.0));
        msg[9] = 31;
        msg.extend_from_slice(&[0xEE; 4]);
        msg.extend_from_slice(&global_packet_bytes(&trade(2, 20.0)));
        let mut it = global_packets(&msg);
        assert_eq!(it.next().unwrap().unwrap().ltp(), Some(10.0));
        assert_eq!(it.next().unwrap().unwrap().security_id, 2);
        assert!(it.next().is_none());
        assert_eq!(it.extended(), 1);
    }

    #[test]
    fn a_short_packet_is_an_error_and_the_walk_goes_on_when_it_can() {
        let mut msg = global_packet_bytes(&trade(1, 10.0));
        let mut bad = global_packet_bytes(&trade(2, 20.0));
        bad[9] = 15; // a trade needs 27
        bad.truncate(15);
        msg.extend_from_slice(&bad);
        msg.extend_from_slice(&global_packet_bytes(&trade(3, 30.0)));
        let got: Vec<_> = global_packets(&msg).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].unwrap().security_id, 1);
        assert_eq!(
            got[1],
            Err(DecodeError::BadLength {
                offset: 27,
                code: 1,
                declared: 15,
                expected: "27"
            })
        );
        assert_eq!(got[2].unwrap().security_id, 3);
    }

    #[test]
    fn a_length_below_a_header_ends_the_walk_and_keeps_what_came_before() {
        let mut msg = global_packet_bytes(&trade(1, 10.0));
        let mut bad = global_packet_bytes(&trade(2, 20.0));
        bad[9] = 5;
        msg.extend_from_slice(&bad);
        let mut it = global_packets(&msg);
        assert!(it.next().unwrap().is_ok());
        assert!(matches!(
            it.next(),
            Some(Err(DecodeError::BadLength { .. }))
        ));
        assert!(it.next().is_none());
        assert!(it.ended_early());
    }

    #[test]
    fn truncation_and_leftovers_are_errors() {
        let msg = global_packet_bytes(&trade(1, 10.0));
        let mut it = global_packets(&msg[..20]);
        assert_eq!(
            it.next(),
            Some(Err(DecodeError::Truncated {
                offset: 0,
                needed: 27,
                available: 20
            }))
        );
        assert!(it.next().is_none());
        let mut two = msg.clone();
        two.extend_from_slice(&[1, 2, 3]);
        let got: Vec<_> = global_packets(&two).collect();
        assert!(got[0].is_ok());
        assert_eq!(
            got[1],
            Err(DecodeError::Truncated {
                offset: 27,
                needed: 11,
                available: 3
            })
        );
    }

    #[test]
    fn unknown_codes_are_kept_with_their_length() {
        let mut b = global_packet_bytes(&trade(9, 1.0));
        b[10] = 77;
        b[9] = 0; // unknown code, default size: the header alone
        let mut it = global_packets(&b[..11]);
        let p = it.next().unwrap().unwrap();
        assert_eq!(p.data, GlobalData::Unknown { code: 77, len: 11 });
        assert_eq!(p.security_id, 9);
        b[9] = 27;
        let p = global_packets(&b).next().unwrap().unwrap();
        assert_eq!(p.data, GlobalData::Unknown { code: 77, len: 27 });
    }

    #[test]
    fn both_error_forms() {
        // SDK 2.3.0: the header and an int16 code.
        let e = GlobalPacket {
            segment: 0,
            security_id: 0,
            second_id: 0,
            declared_len: 13,
            data: GlobalData::Error {
                code: DisconnectCode(807),
            },
        };
        let b = global_packet_bytes(&e);
        assert_eq!(b.len(), 13);
        assert_eq!(global_packets(&b).next(), Some(Ok(e)));
        // The SDK repository's later form: `<BHBiH>`, 10 bytes, code first.
        let mut s = vec![50u8];
        s.extend_from_slice(&10u16.to_le_bytes());
        s.push(4);
        s.extend_from_slice(&77u32.to_le_bytes());
        s.extend_from_slice(&805u16.to_le_bytes());
        let p = global_packets(&s).next().unwrap().unwrap();
        assert_eq!(
            p.data,
            GlobalData::Error {
                code: DisconnectCode(805)
            }
        );
        assert_eq!((p.segment, p.security_id, p.declared_len), (4, 77, 10));
        assert_eq!(global_packet_bytes(&p), s);
    }
}
