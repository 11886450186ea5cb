//! What crosses shared memory: a consumer's request, the daemon's reply, and
//! one event of a consumer's stream, each a fixed-size `#[repr(C)]` value.

use crate::event::{FeedEvent, MarketEvent};
use crate::proto::market::{MarketPacket, packets};
use crate::proto::market_encode::write_packet;
use crate::proto::request::FeedMode;
use crate::proto::segment::{ExchangeSegment, InstrumentId};
use iceoryx2::identifiers::UniqueNodeId;
use iceoryx2::prelude::ZeroCopySend;

/// Bytes of a [`Sample`]'s body: the largest market packet (full, 162 bytes)
/// fits, and a connection event's description, cut at this length.
pub const BODY: usize = 168;

/// Instruments in one [`Request`]; a longer list goes in several.
pub const MAX_IDS: usize = 100;

/// One event of a consumer's stream.
#[derive(Debug, Clone, Copy, ZeroCopySend)]
#[type_name("DhanFeedSample")]
#[repr(C)]
pub struct Sample {
    /// Its place in the stream, from 1: a consumer that sees a number skipped
    /// knows how many it missed.
    pub seq: u64,
    /// When the daemon's I/O thread read the packet ([`crate::now_ns`] of the
    /// daemon's process; 0 for a non-packet event).
    pub recv_ns: u64,
    /// [`SampleKind`] as a byte.
    pub kind: u8,
    /// Bytes of `body` in use.
    pub len: u8,
    /// For [`SampleKind::Refused`]: the segment's code; then the id (LE).
    pub id_segment: u8,
    /// Unused.
    pub pad: u8,
    /// For [`SampleKind::Refused`]: the security id.
    pub id_security: u32,
    /// A packet as Dhan sent it, or a description.
    pub body: [u8; BODY],
}

/// What a [`Sample`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SampleKind {
    /// A market packet (its wire bytes).
    Packet = 0,
    /// A connection's state changed (a description).
    Connection = 1,
    /// An instrument was refused (the id, and why).
    Refused = 2,
    /// The daemon's client stopped (why).
    Stopped = 3,
}

/// One event of a consumer's stream, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum ViaEvent {
    /// A market packet, with the daemon's receive stamp.
    Market(MarketEvent),
    /// A connection of the daemon's changed state.
    Connection(String),
    /// An instrument was refused, and why.
    Refused(InstrumentId, String),
    /// The daemon's client stopped, and why.
    Stopped(String),
    /// `missed` events of this stream were overwritten before they were read
    /// (the consumer fell behind) or never published.
    Gap {
        /// How many.
        missed: u64,
    },
}

fn text(s: &str) -> ([u8; BODY], u8) {
    let mut body = [0u8; BODY];
    let mut n = s.len().min(BODY);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    body[..n].copy_from_slice(&s.as_bytes()[..n]);
    (body, n as u8)
}

/// `ev` as the `seq`th sample of a stream; `None` for an event that does not
/// travel (none today).
pub fn encode(ev: &FeedEvent, seq: u64) -> Option<Sample> {
    let mut s = Sample {
        seq,
        recv_ns: 0,
        kind: SampleKind::Packet as u8,
        len: 0,
        id_segment: 0,
        pad: 0,
        id_security: 0,
        body: [0; BODY],
    };
    match ev {
        FeedEvent::Market(m) => {
            s.recv_ns = m.recv_ns;
            s.len = write_packet(&m.packet, &mut s.body)? as u8;
        }
        FeedEvent::Connection(c) => {
            s.kind = SampleKind::Connection as u8;
            (s.body, s.len) = text(&c.to_string());
        }
        FeedEvent::Refused(r) => {
            s.kind = SampleKind::Refused as u8;
            s.id_segment = r.id.segment.as_u8();
            s.id_security = r.id.security_id;
            (s.body, s.len) = text(&r.reason.to_string());
        }
        FeedEvent::EngineStopped(why) => {
            s.kind = SampleKind::Stopped as u8;
            (s.body, s.len) = text(&why.to_string());
        }
        #[allow(unreachable_patterns)]
        _ => return None,
    }
    Some(s)
}

/// A sample decoded; `None` for one this build does not know or a packet
/// that does not decode.
pub fn decode(s: &Sample) -> Option<ViaEvent> {
    let body = s.body.get(..usize::from(s.len))?;
    let text = || String::from_utf8_lossy(body).into_owned();
    Some(match s.kind {
        0 => {
            let packet: MarketPacket = packets(body).next()?.ok()?;
            ViaEvent::Market(MarketEvent::new(packet, s.recv_ns, s.recv_ns))
        }
        1 => ViaEvent::Connection(text()),
        2 => ViaEvent::Refused(
            InstrumentId::new(ExchangeSegment::from_u8(s.id_segment), s.id_security),
            text(),
        ),
        3 => ViaEvent::Stopped(text()),
        _ => return None,
    })
}

/// One instrument of a [`Request`].
#[derive(Debug, Clone, Copy, Default, ZeroCopySend)]
#[type_name("DhanFeedWireId")]
#[repr(C)]
pub struct WireId {
    /// The segment's code.
    pub segment: u8,
    /// Unused.
    pub pad: [u8; 3],
    /// The security id.
    pub security_id: u32,
}

/// A consumer's request to the daemon.
#[derive(Debug, Clone, Copy, ZeroCopySend)]
#[type_name("DhanFeedRequest")]
#[repr(C)]
pub struct Request {
    /// The consumer's node: its stream is named after it, and the daemon
    /// releases its instruments when the node is dead or gone.
    pub node: UniqueNodeId,
    /// 1 subscribe, 2 unsubscribe.
    pub op: u8,
    /// The mode: 0 ticker, 1 quote, 2 full.
    pub mode: u8,
    /// Entries of `ids` in use.
    pub count: u16,
    /// Unused.
    pub pad: u32,
    /// The instruments.
    pub ids: [WireId; MAX_IDS],
}

/// The daemon's answer.
#[derive(Debug, Clone, Copy, ZeroCopySend)]
#[type_name("DhanFeedReply")]
#[repr(C)]
pub struct Reply {
    /// 1 done, 0 refused (see `error`).
    pub ok: u8,
    /// Bytes of `error` in use.
    pub error_len: u8,
    /// Unused.
    pub pad: [u8; 2],
    /// Why it was refused.
    pub error: [u8; BODY],
}

impl Reply {
    /// Done.
    pub fn ok() -> Self {
        Self {
            ok: 1,
            error_len: 0,
            pad: [0; 2],
            error: [0; BODY],
        }
    }

    /// Refused, with why.
    pub fn refused(why: &str) -> Self {
        let (error, error_len) = text(why);
        Self {
            ok: 0,
            error_len,
            pad: [0; 2],
            error,
        }
    }

    /// Why it was refused, if it was.
    pub fn error(&self) -> Option<String> {
        (self.ok == 0).then(|| {
            String::from_utf8_lossy(&self.error[..usize::from(self.error_len).min(BODY)])
                .into_owned()
        })
    }
}

/// A mode's code in a [`Request`].
pub fn mode_code(m: FeedMode) -> u8 {
    match m {
        FeedMode::Ticker => 0,
        FeedMode::Quote => 1,
        FeedMode::Full => 2,
    }
}

/// The mode of a code; `None` for an unknown one.
pub fn mode_of(code: u8) -> Option<FeedMode> {
    Some(match code {
        0 => FeedMode::Ticker,
        1 => FeedMode::Quote,
        2 => FeedMode::Full,
        _ => return None,
    })
}

/// An instrument of a request.
pub fn wire_id(id: InstrumentId) -> WireId {
    WireId {
        segment: id.segment.as_u8(),
        pad: [0; 3],
        security_id: id.security_id,
    }
}

/// The instruments of a request.
pub fn ids_of(r: &Request) -> Vec<InstrumentId> {
    r.ids[..usize::from(r.count).min(MAX_IDS)]
        .iter()
        .map(|w| InstrumentId::new(ExchangeSegment::from_u8(w.segment), w.security_id))
        .collect()
}
