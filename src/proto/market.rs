//! Live market feed responses: the 8-byte header and every packet kind
//! (docs/protocol.md §3.1 to §3.4), decoded into `Copy` structs.
//!
//! One WebSocket message may carry several packets back to back; [`MarketPackets`]
//! walks them by the header's length. Decoding never allocates and never panics.

use super::disconnect::DisconnectCode;
use super::error::DecodeError;
use super::segment::{ExchangeSegment, InstrumentId};
use super::wire::{array, f32_at, u16_at, u32_at};

/// Response codes of the market feed (first header byte).
pub mod code {
    /// Seen on the live feed as a heartbeat or an acknowledgement (undocumented):
    /// decoded as an unknown packet of at least a header, never an error.
    pub const HEARTBEAT: u8 = 0;
    /// Index packet: annexure only, no documented layout (reported as unknown).
    pub const INDEX: u8 = 1;
    /// Ticker: LTP and last trade time.
    pub const TICKER: u8 = 2;
    /// v1 market depth: not part of v2 (reported as unknown).
    pub const MARKET_DEPTH_V1: u8 = 3;
    /// Quote.
    pub const QUOTE: u8 = 4;
    /// Open interest.
    pub const OI: u8 = 5;
    /// Previous close and previous OI.
    pub const PREV_CLOSE: u8 = 6;
    /// Market status (header only).
    pub const MARKET_STATUS: u8 = 7;
    /// Full packet with five depth levels.
    pub const FULL: u8 = 8;
    /// Feed disconnect with a reason code.
    pub const DISCONNECT: u8 = 50;
}

/// Packet sizes, header included.
pub mod size {
    /// The header common to every packet.
    pub const HEADER: usize = 8;
    /// Ticker packet.
    pub const TICKER: usize = 16;
    /// Quote packet.
    pub const QUOTE: usize = 50;
    /// OI packet.
    pub const OI: usize = 12;
    /// Previous-close packet.
    pub const PREV_CLOSE: usize = 16;
    /// Market-status packet as the encoder writes it (decoding accepts any length ≥ 8).
    pub const MARKET_STATUS: usize = 8;
    /// Full packet.
    pub const FULL: usize = 162;
    /// Feed-disconnect packet.
    pub const DISCONNECT: usize = 10;
    /// One of the five depth levels inside a full packet.
    pub const FULL_DEPTH_LEVEL: usize = 20;
}

/// Seconds between UTC and the IST wall clock that the feed encodes as an epoch.
pub const IST_OFFSET_SECS: i64 = 19_800;

/// A last-trade time exactly as on the wire.
///
/// Dhan documents it only as "EPOCH"; independent field measurements show it is the
/// **IST wall clock encoded as a Unix epoch**, i.e. the true UTC epoch + 19,800 s
/// (docs/protocol.md §3.2). The raw value is kept; [`Ltt::utc_epoch_secs`]
/// converts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ltt(pub u32);

impl Ltt {
    /// The raw wire value (IST wall-clock seconds since 1970-01-01 00:00 "IST").
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// The true Unix time in seconds (UTC): raw − 19,800.
    pub const fn utc_epoch_secs(self) -> i64 {
        self.0 as i64 - IST_OFFSET_SECS
    }

    /// Seconds since IST midnight (the time of day a trader reads on the screen).
    pub const fn ist_seconds_of_day(self) -> u32 {
        self.0 % 86_400
    }

    /// Builds the wire value from a true UTC epoch (the inverse of [`Self::utc_epoch_secs`]).
    /// Values outside the `u32` range saturate.
    pub const fn from_utc_epoch_secs(utc: i64) -> Self {
        let v = utc + IST_OFFSET_SECS;
        Self(if v < 0 {
            0
        } else if v > u32::MAX as i64 {
            u32::MAX
        } else {
            v as u32
        })
    }
}

/// Ticker packet (code 2, 16 bytes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ticker {
    /// Instrument.
    pub id: InstrumentId,
    /// Last traded price.
    pub ltp: f32,
    /// Last trade time.
    pub ltt: Ltt,
}

/// Quote packet (code 4, 50 bytes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quote {
    /// Instrument.
    pub id: InstrumentId,
    /// Last traded price.
    pub ltp: f32,
    /// Last traded quantity.
    pub ltq: u16,
    /// Last trade time.
    pub ltt: Ltt,
    /// Average traded price.
    pub atp: f32,
    /// Volume traded today.
    pub volume: u32,
    /// Total pending sell quantity.
    pub total_sell_qty: u32,
    /// Total pending buy quantity.
    pub total_buy_qty: u32,
    /// Day open.
    pub open: f32,
    /// Day close (see docs/protocol.md on its semantics).
    pub close: f32,
    /// Day high.
    pub high: f32,
    /// Day low.
    pub low: f32,
}

/// Open-interest packet (code 5, 12 bytes), sent with quote subscriptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInterest {
    /// Instrument.
    pub id: InstrumentId,
    /// Open interest.
    pub oi: u32,
}

/// Previous-close packet (code 6, 16 bytes), sent on subscribe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrevClose {
    /// Instrument.
    pub id: InstrumentId,
    /// Previous day's close.
    pub prev_close: f32,
    /// Previous day's open interest.
    pub prev_oi: u32,
}

/// Market-status packet (code 7). Dhan documents no payload; the declared length is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketStatus {
    /// Instrument fields of the header (usually zero).
    pub id: InstrumentId,
    /// Declared packet length (8 when header-only).
    pub len: u16,
}

/// One of the five depth levels of a full packet (20 bytes on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FullDepthLevel {
    /// Bid quantity.
    pub bid_qty: u32,
    /// Ask quantity.
    pub ask_qty: u32,
    /// Number of bid orders.
    pub bid_orders: u16,
    /// Number of ask orders.
    pub ask_orders: u16,
    /// Bid price.
    pub bid_price: f32,
    /// Ask price.
    pub ask_price: f32,
}

/// Full packet (code 8, 162 bytes): quote fields, OI and five depth levels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Full {
    /// Instrument.
    pub id: InstrumentId,
    /// Last traded price.
    pub ltp: f32,
    /// Last traded quantity.
    pub ltq: u16,
    /// Last trade time.
    pub ltt: Ltt,
    /// Average traded price.
    pub atp: f32,
    /// Volume traded today.
    pub volume: u32,
    /// Total pending sell quantity.
    pub total_sell_qty: u32,
    /// Total pending buy quantity.
    pub total_buy_qty: u32,
    /// Open interest.
    pub oi: u32,
    /// Day high of open interest (NSE_FNO only).
    pub oi_day_high: u32,
    /// Day low of open interest (NSE_FNO only).
    pub oi_day_low: u32,
    /// Day open.
    pub open: f32,
    /// Day close.
    pub close: f32,
    /// Day high.
    pub high: f32,
    /// Day low.
    pub low: f32,
    /// Five best bid/ask levels.
    pub depth: [FullDepthLevel; 5],
}

/// Feed-disconnect packet (code 50, 10 bytes): the server is closing the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disconnect {
    /// Instrument fields of the header (usually zero).
    pub id: InstrumentId,
    /// Why the server disconnects (u16 little-endian at `[8..10)`).
    pub reason: DisconnectCode,
}

/// A packet whose response code this crate does not decode (1, 3, or undocumented).
/// It is skipped by its declared length and reported, never treated as an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownPacket {
    /// Response code.
    pub code: u8,
    /// Instrument fields of the header.
    pub id: InstrumentId,
    /// Declared length (header included).
    pub len: u16,
}

/// One decoded market-feed packet.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum MarketPacket {
    /// Code 2.
    Ticker(Ticker),
    /// Code 4.
    Quote(Quote),
    /// Code 5.
    Oi(OpenInterest),
    /// Code 6.
    PrevClose(PrevClose),
    /// Code 7.
    MarketStatus(MarketStatus),
    /// Code 8.
    Full(Full),
    /// Code 50.
    Disconnect(Disconnect),
    /// Any other code, skipped by length.
    Unknown(UnknownPacket),
}

impl MarketPacket {
    /// The instrument of the packet's header.
    pub fn id(&self) -> InstrumentId {
        match self {
            Self::Ticker(p) => p.id,
            Self::Quote(p) => p.id,
            Self::Oi(p) => p.id,
            Self::PrevClose(p) => p.id,
            Self::MarketStatus(p) => p.id,
            Self::Full(p) => p.id,
            Self::Disconnect(p) => p.id,
            Self::Unknown(p) => p.id,
        }
    }

    /// The response code on the wire.
    pub fn code(&self) -> u8 {
        match self {
            Self::Ticker(_) => code::TICKER,
            Self::Quote(_) => code::QUOTE,
            Self::Oi(_) => code::OI,
            Self::PrevClose(_) => code::PREV_CLOSE,
            Self::MarketStatus(_) => code::MARKET_STATUS,
            Self::Full(_) => code::FULL,
            Self::Disconnect(_) => code::DISCONNECT,
            Self::Unknown(p) => p.code,
        }
    }

    /// The kind as `dhan-feed decode` names it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Ticker(_) => "ticker",
            Self::Quote(_) => "quote",
            Self::Oi(_) => "oi",
            Self::PrevClose(_) => "prev_close",
            Self::MarketStatus(_) => "market_status",
            Self::Full(_) => "full",
            Self::Disconnect(_) => "disconnect",
            Self::Unknown(_) => "unknown",
        }
    }

    /// Last traded price, for the kinds that carry one.
    pub fn ltp(&self) -> Option<f32> {
        match self {
            Self::Ticker(p) => Some(p.ltp),
            Self::Quote(p) => Some(p.ltp),
            Self::Full(p) => Some(p.ltp),
            _ => None,
        }
    }
}

/// The expected total length of a fixed-size packet kind, or `None` for the kinds
/// whose length is only bounded below (disconnect: at least 10; market status
/// and unknown codes: at least 8).
pub const fn fixed_len(code: u8) -> Option<usize> {
    match code {
        code::TICKER => Some(size::TICKER),
        code::QUOTE => Some(size::QUOTE),
        code::OI => Some(size::OI),
        code::PREV_CLOSE => Some(size::PREV_CLOSE),
        code::FULL => Some(size::FULL),
        _ => None,
    }
}

const fn expected_text(code: u8) -> &'static str {
    match code {
        code::TICKER | code::PREV_CLOSE => "16",
        code::QUOTE => "50",
        code::OI => "12",
        code::FULL => "162",
        code::DISCONNECT => "at least 10",
        _ => "at least 8",
    }
}

#[cold]
fn bad_length(offset: usize, code: u8, declared: usize) -> DecodeError {
    DecodeError::BadLength {
        offset,
        code,
        declared,
        expected: expected_text(code),
    }
}

#[cold]
fn truncated(offset: usize, needed: usize, available: usize) -> DecodeError {
    DecodeError::Truncated {
        offset,
        needed,
        available,
    }
}

#[inline(always)]
pub(crate) fn id_of<const N: usize>(b: &[u8; N]) -> InstrumentId {
    InstrumentId {
        segment: ExchangeSegment::from_u8(b[3]),
        security_id: u32_at(b, 4),
    }
}

/// Decodes the packet at the start of `buf`, which begins at `offset` within its
/// message (used only for error reports). Returns the packet and the bytes consumed
/// (its declared length). Bytes after the packet are not looked at.
///
/// This returns the packet by value (up to ~170 bytes for a full packet); on the
/// hot path prefer [`decode_packet_into`], which writes only the decoded variant's
/// fields into a preallocated slot.
#[inline]
pub fn decode_packet_at(buf: &[u8], offset: usize) -> Result<(MarketPacket, usize), DecodeError> {
    let mut p = MarketPacket::Unknown(UnknownPacket {
        code: 0,
        id: InstrumentId::new(ExchangeSegment::IdxI, 0),
        len: 0,
    });
    let n = decode_packet_into(buf, offset, &mut p)?;
    Ok((p, n))
}

/// Decodes the packet at the start of `buf` into `out` (a preallocated slot, e.g.
/// a ring entry) and returns the bytes consumed: its declared length. A packet
/// longer than its kind needs (Dhan added a field) decodes its known fields and
/// skips the rest; a shorter one is an error. On error `out` is unchanged.
#[inline]
pub fn decode_packet_into(
    buf: &[u8],
    offset: usize,
    out: &mut MarketPacket,
) -> Result<usize, DecodeError> {
    decode_exact(buf, offset, out).or_else(|e| decode_lengthened(buf, e, out))
}

/// A packet that declares more than its kind needs (`e` from [`decode_exact`]):
/// a field Dhan added. Its known fields are its kind's first bytes, decoded from
/// a copy whose length field says so; the rest is skipped. Returns the declared
/// length; any other error is returned as it was. Out of the hot path: an exact
/// packet never comes here.
#[cold]
#[inline(never)]
fn decode_lengthened(
    buf: &[u8],
    e: DecodeError,
    out: &mut MarketPacket,
) -> Result<usize, DecodeError> {
    let DecodeError::BadLength {
        offset,
        code,
        declared,
        ..
    } = e
    else {
        return Err(e);
    };
    let Some(n) = fixed_len(code).filter(|&n| declared > n) else {
        return Err(e);
    };
    if buf.len() < declared {
        return Err(truncated(offset, declared, buf.len()));
    }
    let mut exact = [0u8; size::FULL];
    exact[..n].copy_from_slice(&buf[..n]);
    exact[1..3].copy_from_slice(&(n as u16).to_le_bytes());
    decode_exact(&exact[..n], offset, out)?;
    Ok(declared)
}

/// Decodes a packet whose declared length is exactly its kind's (or, for the
/// kinds of variable length, within their bounds). Always inlined: the walker's
/// `advance` is the hot path's one call, with the decode inside it.
#[inline(always)]
fn decode_exact(buf: &[u8], offset: usize, out: &mut MarketPacket) -> Result<usize, DecodeError> {
    let Some(h) = array::<{ size::HEADER }>(buf) else {
        return Err(DecodeError::Truncated {
            offset,
            needed: size::HEADER,
            available: buf.len(),
        });
    };
    let code = h[0];
    let declared = u16_at(h, 1) as usize;
    // The three subscription modes' packets first, with plain compares (a
    // `match` over every code compiles to a jump table: a load from a `.rodata`
    // line, cold when a message arrives after a quiet spell, and an indirect
    // jump that waits for it). The rest are decoded out of line.
    match code {
        code::TICKER => {
            let b = fixed::<{ size::TICKER }>(buf, offset, code, declared)?;
            *out = MarketPacket::Ticker(Ticker {
                id: id_of(b),
                ltp: f32_at(b, 8),
                ltt: Ltt(u32_at(b, 12)),
            });
        }
        code::QUOTE => {
            let b = fixed::<{ size::QUOTE }>(buf, offset, code, declared)?;
            *out = MarketPacket::Quote(Quote {
                id: id_of(b),
                ltp: f32_at(b, 8),
                ltq: u16_at(b, 12),
                ltt: Ltt(u32_at(b, 14)),
                atp: f32_at(b, 18),
                volume: u32_at(b, 22),
                total_sell_qty: u32_at(b, 26),
                total_buy_qty: u32_at(b, 30),
                open: f32_at(b, 34),
                close: f32_at(b, 38),
                high: f32_at(b, 42),
                low: f32_at(b, 46),
            });
        }
        code::FULL => {
            let b = fixed::<{ size::FULL }>(buf, offset, code, declared)?;
            *out = MarketPacket::Full(decode_full(b));
        }
        _ => return decode_other(buf, h, offset, out),
    }
    Ok(declared)
}

/// Each arm of the decoders: checks the declared length against the packet's
/// kind, then borrows exactly that many bytes (which checks they are present).
#[inline(always)]
fn fixed<const N: usize>(
    buf: &[u8],
    offset: usize,
    code: u8,
    declared: usize,
) -> Result<&[u8; N], DecodeError> {
    if declared != N {
        return Err(bad_length(offset, code, declared));
    }
    array::<N>(buf).ok_or_else(|| truncated(offset, declared, buf.len()))
}

/// [`decode_packet_into`] for the packets other than ticker, quote and full.
#[inline(never)]
fn decode_other(
    buf: &[u8],
    h: &[u8; size::HEADER],
    offset: usize,
    out: &mut MarketPacket,
) -> Result<usize, DecodeError> {
    let code = h[0];
    let declared = u16_at(h, 1) as usize;
    match code {
        code::OI => {
            let b = fixed::<{ size::OI }>(buf, offset, code, declared)?;
            *out = MarketPacket::Oi(OpenInterest {
                id: id_of(b),
                oi: u32_at(b, 8),
            });
        }
        code::PREV_CLOSE => {
            let b = fixed::<{ size::PREV_CLOSE }>(buf, offset, code, declared)?;
            *out = MarketPacket::PrevClose(PrevClose {
                id: id_of(b),
                prev_close: f32_at(b, 8),
                prev_oi: u32_at(b, 12),
            });
        }
        code::DISCONNECT => {
            // At least 10 bytes, the reason at [8..10); a longer packet's extra
            // bytes are skipped, as the Python SDK does, so the reason (and 805's
            // cool-off) is never lost to a length change.
            if declared < size::DISCONNECT {
                return Err(bad_length(offset, code, declared));
            }
            if buf.len() < declared {
                return Err(truncated(offset, declared, buf.len()));
            }
            let b = array::<{ size::DISCONNECT }>(buf)
                .ok_or_else(|| truncated(offset, declared, buf.len()))?;
            *out = MarketPacket::Disconnect(Disconnect {
                id: id_of(b),
                reason: DisconnectCode(u16_at(b, 8)),
            });
        }
        code::HEARTBEAT if declared < size::HEADER => {
            // A bare header (its length may be 0): the next packet follows it.
            *out = MarketPacket::Unknown(UnknownPacket {
                code,
                id: id_of(h),
                len: size::HEADER as u16,
            });
            return Ok(size::HEADER);
        }
        other => {
            if declared < size::HEADER {
                return Err(bad_length(offset, code, declared));
            }
            if buf.len() < declared {
                return Err(truncated(offset, declared, buf.len()));
            }
            let id = id_of(h);
            let len = declared as u16;
            *out = if other == code::MARKET_STATUS {
                MarketPacket::MarketStatus(MarketStatus { id, len })
            } else {
                MarketPacket::Unknown(UnknownPacket {
                    code: other,
                    id,
                    len,
                })
            };
        }
    }
    Ok(declared)
}

#[inline(always)]
fn decode_full(b: &[u8; size::FULL]) -> Full {
    let mut depth = [FullDepthLevel::default(); 5];
    for (i, level) in depth.iter_mut().enumerate() {
        let o = 62 + size::FULL_DEPTH_LEVEL * i;
        *level = FullDepthLevel {
            bid_qty: u32_at(b, o),
            ask_qty: u32_at(b, o + 4),
            bid_orders: u16_at(b, o + 8),
            ask_orders: u16_at(b, o + 10),
            bid_price: f32_at(b, o + 12),
            ask_price: f32_at(b, o + 16),
        };
    }
    Full {
        id: id_of(b),
        ltp: f32_at(b, 8),
        ltq: u16_at(b, 12),
        ltt: Ltt(u32_at(b, 14)),
        atp: f32_at(b, 18),
        volume: u32_at(b, 22),
        total_sell_qty: u32_at(b, 26),
        total_buy_qty: u32_at(b, 30),
        oi: u32_at(b, 34),
        oi_day_high: u32_at(b, 38),
        oi_day_low: u32_at(b, 42),
        open: f32_at(b, 46),
        close: f32_at(b, 50),
        high: f32_at(b, 54),
        low: f32_at(b, 58),
        depth,
    }
}

/// Decodes the packet at the start of `buf` (offset 0 for error reports).
#[inline]
pub fn decode_packet(buf: &[u8]) -> Result<(MarketPacket, usize), DecodeError> {
    decode_packet_at(buf, 0)
}

/// Iterator over every packet of one market-feed WebSocket message.
///
/// Yields `Ok(packet)` for each packet, walking by the declared lengths. A packet
/// longer than its kind needs yields its known fields (counted in
/// [`extended`](Self::extended)). A malformed packet yields an `Err` carrying its
/// byte offset; if its declared length can still be trusted (at least a header,
/// and that many bytes present) the walk goes on after it, otherwise (a length
/// below the header, or past the end) the walk ends there. Packets before an
/// error always stand.
#[derive(Clone, Debug)]
pub struct MarketPackets<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
    error: Option<DecodeError>,
    extended: u32,
    skipped: u32,
}

/// What [`MarketPackets::advance`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The slot now holds the next packet.
    Packet,
    /// No packet left.
    End,
    /// A malformed packet: [`MarketPackets::error`] says why; the walk goes on
    /// after it when its length could be trusted (see [`MarketPackets`]).
    Error,
}

impl<'a> MarketPackets<'a> {
    /// Starts walking `message`.
    pub fn new(message: &'a [u8]) -> Self {
        Self {
            buf: message,
            pos: 0,
            failed: false,
            error: None,
            extended: 0,
            skipped: 0,
        }
    }

    /// The latest malformed packet's error, if there was one.
    pub fn error(&self) -> Option<&DecodeError> {
        self.error.as_ref()
    }

    /// Packets longer than their kind needs (decoded, their extra bytes skipped).
    pub fn extended(&self) -> u32 {
        self.extended
    }

    /// Malformed packets skipped by their declared length (the walk went on).
    pub fn skipped(&self) -> u32 {
        self.skipped
    }

    /// Whether a malformed packet ended the walk early.
    pub fn ended_early(&self) -> bool {
        self.failed
    }

    /// The hot-path walker: decodes the next packet into `slot` and says what
    /// happened in one byte (the error, if any, is kept in the walker).
    #[inline]
    pub fn advance(&mut self, slot: &mut MarketPacket) -> Step {
        if self.failed || self.pos >= self.buf.len() {
            return Step::End;
        }
        match decode_exact(&self.buf[self.pos..], self.pos, slot) {
            Ok(n) => {
                self.pos += n;
                Step::Packet
            }
            Err(e) => self.not_exact(e, slot),
        }
    }

    /// A packet that did not decode as exactly its kind: a lengthened one is
    /// decoded from its known fields and counted; anything else is malformed.
    /// The work is done out of line by [`not_exact_step`], which takes the
    /// walker's fields by value: were `self` passed out of line, the walker
    /// would live in memory, and every opaque call or barrier after a packet
    /// (a consumer's, a ring's) would reload its position.
    #[inline(always)]
    fn not_exact(&mut self, e: DecodeError, slot: &mut MarketPacket) -> Step {
        let o = not_exact_step(self.buf, self.pos, e, slot);
        self.pos += o.advance;
        self.extended += u32::from(o.extended);
        self.skipped += u32::from(o.skipped);
        self.failed |= o.failed;
        if o.error.is_some() {
            self.error = o.error;
        }
        o.step
    }

    /// The code and instrument of the next packet's header, without consuming
    /// it; `None` at the end, after an error, or if less than a header remains
    /// (then [`advance`](Self::advance) reports what is wrong).
    #[inline]
    pub fn peek(&self) -> Option<(u8, InstrumentId)> {
        if self.failed {
            return None;
        }
        let h = array::<{ size::HEADER }>(self.buf.get(self.pos..)?)?;
        Some((h[0], id_of(h)))
    }

    /// Bytes consumed by the packets yielded so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }
}

impl Iterator for MarketPackets<'_> {
    type Item = Result<MarketPacket, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let mut p = MarketPacket::Unknown(UnknownPacket {
            code: 0,
            id: InstrumentId::new(ExchangeSegment::IdxI, 0),
            len: 0,
        });
        match decode_exact(&self.buf[self.pos..], self.pos, &mut p) {
            Ok(n) => {
                self.pos += n;
                Some(Ok(p))
            }
            // `not_exact` decodes a lengthened packet, or records the error (and
            // skips the packet or ends the walk).
            Err(e) => match self.not_exact(e, &mut p) {
                Step::Packet => Some(Ok(p)),
                _ => self.error.map(Err),
            },
        }
    }
}

impl MarketPackets<'_> {
    /// The next packet decoded into `slot` (no move of the packet value): `Some(Ok(()))`
    /// when `slot` now holds it, `Some(Err(_))` once on a malformed packet, then `None`.
    #[inline]
    pub fn next_into(&mut self, slot: &mut MarketPacket) -> Option<Result<(), DecodeError>> {
        match self.advance(slot) {
            Step::Packet => Some(Ok(())),
            Step::End => None,
            Step::Error => self.error.map(Err),
        }
    }
}

/// What [`not_exact_step`] did, for the walker to apply.
struct NotExact {
    step: Step,
    advance: usize,
    extended: bool,
    skipped: bool,
    failed: bool,
    error: Option<DecodeError>,
}

/// The packet at `pos` of `buf` that did not decode as exactly its kind: a
/// lengthened one decoded from its known fields; a malformed one skipped by its
/// declared length when that can be trusted, else the end of the walk.
#[cold]
#[inline(never)]
fn not_exact_step(buf: &[u8], pos: usize, e: DecodeError, slot: &mut MarketPacket) -> NotExact {
    let mut o = NotExact {
        step: Step::Packet,
        advance: 0,
        extended: false,
        skipped: false,
        failed: false,
        error: None,
    };
    match decode_lengthened(&buf[pos..], e, slot) {
        Ok(n) => {
            o.advance = n;
            o.extended = true;
        }
        Err(e) => {
            o.step = Step::Error;
            o.error = Some(e);
            let rest = buf.len() - pos;
            match e {
                DecodeError::BadLength { declared, .. }
                    if declared >= size::HEADER && declared <= rest =>
                {
                    o.advance = declared;
                    o.skipped = true;
                }
                _ => o.failed = true,
            }
        }
    }
    o
}

/// Walks every packet of a market-feed message. See [`MarketPackets`].
#[inline]
pub fn packets(message: &[u8]) -> MarketPackets<'_> {
    MarketPackets::new(message)
}
