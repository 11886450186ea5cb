//! 20- and 200-level market depth responses (docs/protocol.md §5.3).
//!
//! Each packet has a 12-byte header — **length first**, then the response code
//! (41 bid, 51 ask, 50 disconnect), segment, security id and a u32 that is a
//! sequence number on 20-level and the row count on 200-level — followed by 16-byte
//! levels (f64 price, u32 quantity, u32 orders). Several packets are stacked in one
//! message (instrument 1 bid, instrument 1 ask, instrument 2 bid, …).
//! Levels are read lazily from the borrowed message: decoding copies nothing.

use super::disconnect::DisconnectCode;
use super::error::DecodeError;
use super::segment::{ExchangeSegment, InstrumentId};
use super::wire::{array, f64_at, u16_at, u32_at};

/// Response codes of the depth feeds.
pub mod code {
    /// Bid (buy) side levels.
    pub const BID: u8 = 41;
    /// Ask (sell) side levels.
    pub const ASK: u8 = 51;
    /// Feed disconnect.
    pub const DISCONNECT: u8 = 50;
}

/// Bytes of the depth header.
pub const HEADER_LEN: usize = 12;
/// Bytes of one level.
pub const LEVEL_LEN: usize = 16;
/// Bytes of a 20-level packet (12 + 20 × 16).
pub const DEPTH20_PACKET_LEN: usize = HEADER_LEN + 20 * LEVEL_LEN;
/// The most rows a 200-level packet carries.
pub const MAX_ROWS_200: usize = 200;
/// Bytes of a depth disconnect packet per the docs (reason i16 at `[12..14)`).
pub const DISCONNECT_LEN: usize = 14;

/// Which depth feed a message came from; it decides how the header's last field
/// and the packet length are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DepthKind {
    /// 20-level depth: always 20 levels; the u32 is a sequence number.
    Twenty,
    /// 200-level depth: `rows` levels; the u32 is the row count.
    TwoHundred,
}

impl DepthKind {
    /// Levels per side this feed can carry.
    pub const fn max_levels(self) -> usize {
        match self {
            Self::Twenty => 20,
            Self::TwoHundred => MAX_ROWS_200,
        }
    }
}

/// The side a levels packet describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DepthSide {
    /// Code 41: bid (buy) side.
    Bid,
    /// Code 51: ask (sell) side.
    Ask,
}

impl DepthSide {
    /// The response code of this side.
    pub const fn code(self) -> u8 {
        match self {
            Self::Bid => code::BID,
            Self::Ask => code::ASK,
        }
    }

    /// `"bid"` or `"ask"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Bid => "bid",
            Self::Ask => "ask",
        }
    }
}

/// One price level: 16 bytes on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DepthLevel {
    /// Price (f64 on this feed).
    pub price: f64,
    /// Quantity at this price.
    pub qty: u32,
    /// Number of orders at this price.
    pub orders: u32,
}

/// A bid or ask packet: its header fields and a borrowed view of its levels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthLevels<'a> {
    /// Bid or ask.
    pub side: DepthSide,
    /// Instrument.
    pub id: InstrumentId,
    /// The header's u32: sequence number (20-level, to be ignored) or row count (200-level).
    pub seq_or_rows: u32,
    raw: &'a [u8],
}

impl<'a> DepthLevels<'a> {
    /// Number of levels in this packet.
    pub fn len(&self) -> usize {
        self.raw.len() / LEVEL_LEN
    }

    /// Whether the packet carries no level (a 200-level packet with 0 rows).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Level `i` (0 is the best price), or `None` past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<DepthLevel> {
        let l = self.raw.get(i * LEVEL_LEN..(i + 1) * LEVEL_LEN)?;
        let a = array::<LEVEL_LEN>(l)?;
        Some(DepthLevel {
            price: f64_at(a, 0),
            qty: u32_at(a, 8),
            orders: u32_at(a, 12),
        })
    }

    /// All levels, best first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = DepthLevel> + 'a {
        self.raw.chunks_exact(LEVEL_LEN).map(|l| DepthLevel {
            price: f64_at(l, 0),
            qty: u32::from_le_bytes([l[8], l[9], l[10], l[11]]),
            orders: u32::from_le_bytes([l[12], l[13], l[14], l[15]]),
        })
    }

    /// Copies the levels into `out` (up to its length) and returns how many were written.
    pub fn copy_into(&self, out: &mut [DepthLevel]) -> usize {
        let mut n = 0;
        for (slot, level) in out.iter_mut().zip(self.iter()) {
            *slot = level;
            n += 1;
        }
        n
    }
}

/// A depth disconnect packet (code 50).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthDisconnect {
    /// Instrument fields of the header.
    pub id: InstrumentId,
    /// The reason: i16 at `[12..14)` per the docs; for a 12-byte packet, the u32 at
    /// `[8..12)` that the Python SDK reads (docs/protocol.md §12).
    pub reason: DisconnectCode,
}

/// A depth packet with a code this crate does not decode; skipped by its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthUnknown {
    /// Response code.
    pub code: u8,
    /// Instrument fields of the header.
    pub id: InstrumentId,
    /// Declared length.
    pub len: u16,
}

/// One decoded depth packet.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum DepthPacket<'a> {
    /// Bid or ask levels.
    Levels(DepthLevels<'a>),
    /// The server is disconnecting.
    Disconnect(DepthDisconnect),
    /// Unknown code, skipped by length.
    Unknown(DepthUnknown),
}

impl DepthPacket<'_> {
    /// Instrument of the packet's header.
    pub fn id(&self) -> InstrumentId {
        match self {
            Self::Levels(l) => l.id,
            Self::Disconnect(d) => d.id,
            Self::Unknown(u) => u.id,
        }
    }

    /// The kind as `dhan-feed decode` names it: `bid`, `ask`, `disconnect` or `unknown`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Levels(l) => l.side.name(),
            Self::Disconnect(_) => "disconnect",
            Self::Unknown(_) => "unknown",
        }
    }
}

/// Decodes the depth packet at the start of `buf` (at `offset` within its message,
/// for error reports) and returns it with the bytes consumed (its declared
/// length). A bid or ask packet longer than its levels need (a field Dhan added)
/// yields its levels and skips the rest; a shorter one is an error.
pub fn decode_depth_packet_at(
    kind: DepthKind,
    buf: &[u8],
    offset: usize,
) -> Result<(DepthPacket<'_>, usize), DecodeError> {
    let Some(h) = array::<HEADER_LEN>(buf) else {
        return Err(DecodeError::Truncated {
            offset,
            needed: HEADER_LEN,
            available: buf.len(),
        });
    };
    let declared = u16_at(h, 0) as usize;
    let code = h[2];
    let id = InstrumentId {
        segment: ExchangeSegment::from_u8(h[3]),
        security_id: u32_at(h, 4),
    };
    let field = u32_at(h, 8);
    let bad_len = |expected| DecodeError::BadLength {
        offset,
        code,
        declared,
        expected,
    };
    match code {
        code::BID | code::ASK => match kind {
            DepthKind::Twenty if declared < DEPTH20_PACKET_LEN => {
                return Err(bad_len("332 (or more)"));
            }
            DepthKind::TwoHundred if declared < HEADER_LEN => {
                return Err(bad_len("12 + 16 x rows, rows <= 200"));
            }
            _ => {}
        },
        code::DISCONNECT if declared != DISCONNECT_LEN && declared != HEADER_LEN => {
            return Err(bad_len("14 (or 12)"));
        }
        _ if declared < HEADER_LEN => return Err(bad_len("at least 12")),
        _ => {}
    }
    let Some(packet) = buf.get(..declared) else {
        return Err(DecodeError::Truncated {
            offset,
            needed: declared,
            available: buf.len(),
        });
    };
    let decoded = match code {
        code::BID | code::ASK => {
            let room = ((declared - HEADER_LEN) / LEVEL_LEN).min(match kind {
                DepthKind::Twenty => 20,
                DepthKind::TwoHundred => MAX_ROWS_200,
            });
            let levels = match kind {
                DepthKind::Twenty => room,
                DepthKind::TwoHundred => {
                    if field as usize > room {
                        return Err(DecodeError::BadRowCount {
                            offset,
                            rows: field,
                            room,
                        });
                    }
                    field as usize
                }
            };
            DepthPacket::Levels(DepthLevels {
                side: if code == code::BID {
                    DepthSide::Bid
                } else {
                    DepthSide::Ask
                },
                id,
                seq_or_rows: field,
                raw: &packet[HEADER_LEN..HEADER_LEN + levels * LEVEL_LEN],
            })
        }
        code::DISCONNECT => {
            let reason = match packet.get(12..14) {
                Some(r) => u16::from_le_bytes([r[0], r[1]]),
                None => u16::try_from(field).unwrap_or(u16::MAX),
            };
            DepthPacket::Disconnect(DepthDisconnect {
                id,
                reason: DisconnectCode(reason),
            })
        }
        other => DepthPacket::Unknown(DepthUnknown {
            code: other,
            id,
            len: declared as u16,
        }),
    };
    Ok((decoded, declared))
}

/// Decodes the depth packet at the start of `buf` (offset 0 for error reports).
pub fn decode_depth_packet(
    kind: DepthKind,
    buf: &[u8],
) -> Result<(DepthPacket<'_>, usize), DecodeError> {
    decode_depth_packet_at(kind, buf, 0)
}

/// Iterator over every stacked packet of one depth message. A malformed packet
/// yields an `Err` with its offset; when its declared length can be trusted (at
/// least a header, and that many bytes present) the walk goes on after it,
/// otherwise it ends there. Earlier packets always stand.
#[derive(Clone, Debug)]
pub struct DepthPackets<'a> {
    kind: DepthKind,
    buf: &'a [u8],
    pos: usize,
    failed: bool,
    extended: u32,
}

impl<'a> DepthPackets<'a> {
    /// Starts walking `message` of the given feed.
    pub fn new(kind: DepthKind, message: &'a [u8]) -> Self {
        Self {
            kind,
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

    /// Bid and ask packets longer than their levels need (decoded, the extra
    /// bytes skipped).
    pub fn extended(&self) -> u32 {
        self.extended
    }

    /// Whether a malformed packet ended the walk early.
    pub fn ended_early(&self) -> bool {
        self.failed
    }
}

impl<'a> Iterator for DepthPackets<'a> {
    type Item = Result<DepthPacket<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let rest: &'a [u8] = &self.buf[self.pos..];
        match decode_depth_packet_at(self.kind, rest, self.pos) {
            Ok((p, n)) => {
                self.pos += n;
                if let DepthPacket::Levels(l) = &p {
                    self.extended += u32::from(n > HEADER_LEN + l.raw.len());
                }
                Some(Ok(p))
            }
            Err(e) => {
                // Skipped by its declared length when that can be trusted.
                let declared = rest
                    .get(..2)
                    .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])));
                if declared >= HEADER_LEN && declared <= rest.len() {
                    self.pos += declared;
                } else {
                    self.failed = true;
                }
                Some(Err(e))
            }
        }
    }
}

/// Walks every packet of a depth message. See [`DepthPackets`].
pub fn depth_packets(kind: DepthKind, message: &[u8]) -> DepthPackets<'_> {
    DepthPackets::new(kind, message)
}
