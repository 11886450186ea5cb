//! Client → server JSON requests of the market feed and the depth feeds
//! (docs/protocol.md §2 and §5.2), written into a caller-owned buffer.
//!
//! Each `encode_*` function **replaces** the contents of `out` with one complete
//! message; reusing the same `Vec` means no allocation once it has grown.

use super::json::{push_str, push_u64};
use super::segment::{ExchangeSegment, InstrumentId};

/// Request codes (annexure).
pub mod code {
    /// Disconnect the feed.
    pub const DISCONNECT: u8 = 12;
    /// Subscribe ticker.
    pub const SUBSCRIBE_TICKER: u8 = 15;
    /// Unsubscribe ticker.
    pub const UNSUBSCRIBE_TICKER: u8 = 16;
    /// Subscribe quote.
    pub const SUBSCRIBE_QUOTE: u8 = 17;
    /// Unsubscribe quote.
    pub const UNSUBSCRIBE_QUOTE: u8 = 18;
    /// Subscribe full.
    pub const SUBSCRIBE_FULL: u8 = 21;
    /// Unsubscribe full.
    pub const UNSUBSCRIBE_FULL: u8 = 22;
    /// Subscribe full market depth (20- and 200-level).
    pub const SUBSCRIBE_DEPTH: u8 = 23;
    /// Unsubscribe full market depth, older annexure and the Python SDK.
    pub const UNSUBSCRIBE_DEPTH_OLD: u8 = 24;
    /// Unsubscribe full market depth, current annexure.
    pub const UNSUBSCRIBE_DEPTH: u8 = 25;
}

/// At most this many instruments go in one subscribe or unsubscribe message.
pub const MAX_INSTRUMENTS_PER_MESSAGE: usize = 100;
/// At most this many instruments per 20-level depth connection (and message).
pub const MAX_DEPTH20_INSTRUMENTS: usize = 50;

/// Market-feed subscription modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedMode {
    /// LTP and last trade time (code 2 packets).
    Ticker,
    /// Quote and OI packets (codes 4 and 5).
    Quote,
    /// Full packets with five depth levels (code 8).
    Full,
}

impl FeedMode {
    /// All modes, poorest first.
    pub const ALL: [FeedMode; 3] = [Self::Ticker, Self::Quote, Self::Full];

    /// The subscribe request code (15, 17, 21).
    pub const fn subscribe_code(self) -> u8 {
        match self {
            Self::Ticker => code::SUBSCRIBE_TICKER,
            Self::Quote => code::SUBSCRIBE_QUOTE,
            Self::Full => code::SUBSCRIBE_FULL,
        }
    }

    /// The unsubscribe request code (16, 18, 22).
    pub const fn unsubscribe_code(self) -> u8 {
        self.subscribe_code() + 1
    }

    /// The mode and direction of a market-feed request code: `(mode, subscribe?)`.
    pub const fn from_request_code(code: u8) -> Option<(FeedMode, bool)> {
        Some(match code {
            code::SUBSCRIBE_TICKER => (Self::Ticker, true),
            code::UNSUBSCRIBE_TICKER => (Self::Ticker, false),
            code::SUBSCRIBE_QUOTE => (Self::Quote, true),
            code::UNSUBSCRIBE_QUOTE => (Self::Quote, false),
            code::SUBSCRIBE_FULL => (Self::Full, true),
            code::UNSUBSCRIBE_FULL => (Self::Full, false),
            _ => return None,
        })
    }

    /// `"ticker"`, `"quote"` or `"full"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ticker => "ticker",
            Self::Quote => "quote",
            Self::Full => "full",
        }
    }
}

impl std::str::FromStr for FeedMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "ticker" => Ok(Self::Ticker),
            "quote" => Ok(Self::Quote),
            "full" => Ok(Self::Full),
            _ => Err(format!(
                "unknown mode {s:?}: expected ticker, quote or full"
            )),
        }
    }
}

/// Why a request could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// More instruments than one message may carry.
    #[error("{count} instruments in one request; at most {max} allowed")]
    TooMany {
        /// Instruments given.
        count: usize,
        /// The limit for this message kind.
        max: usize,
    },
    /// No instrument given.
    #[error("a subscription request needs at least one instrument")]
    Empty,
    /// The segment has no string name, so Dhan could not understand it.
    #[error("exchange segment {0} has no name on the wire")]
    UnknownSegment(u8),
}

fn push_instrument(out: &mut Vec<u8>, id: &InstrumentId) -> Result<(), RequestError> {
    let seg = id
        .segment
        .as_str()
        .ok_or(RequestError::UnknownSegment(id.segment.as_u8()))?;
    out.extend_from_slice(b"{\"ExchangeSegment\":");
    push_str(out, seg);
    out.extend_from_slice(b",\"SecurityId\":\"");
    push_u64(out, u64::from(id.security_id));
    out.extend_from_slice(b"\"}");
    Ok(())
}

/// Writes a list-form request:
/// `{"RequestCode":C,"InstrumentCount":N,"InstrumentList":[{"ExchangeSegment":"NSE_EQ","SecurityId":"1333"},…]}`.
///
/// `max` is the per-message limit for this code (100 for the market feed, 50 for
/// 20-level depth). On error `out` is left empty.
pub fn encode_list(
    request_code: u8,
    instruments: &[InstrumentId],
    max: usize,
    out: &mut Vec<u8>,
) -> Result<(), RequestError> {
    out.clear();
    if instruments.is_empty() {
        return Err(RequestError::Empty);
    }
    if instruments.len() > max {
        return Err(RequestError::TooMany {
            count: instruments.len(),
            max,
        });
    }
    out.extend_from_slice(b"{\"RequestCode\":");
    push_u64(out, u64::from(request_code));
    out.extend_from_slice(b",\"InstrumentCount\":");
    push_u64(out, instruments.len() as u64);
    out.extend_from_slice(b",\"InstrumentList\":[");
    for (i, id) in instruments.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Err(e) = push_instrument(out, id) {
            out.clear();
            return Err(e);
        }
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// Writes one market-feed subscribe (`subscribe = true`) or unsubscribe message for
/// at most 100 instruments.
pub fn encode_subscription(
    mode: FeedMode,
    subscribe: bool,
    instruments: &[InstrumentId],
    out: &mut Vec<u8>,
) -> Result<(), RequestError> {
    let code = if subscribe {
        mode.subscribe_code()
    } else {
        mode.unsubscribe_code()
    };
    encode_list(code, instruments, MAX_INSTRUMENTS_PER_MESSAGE, out)
}

/// Splits `instruments` into messages of at most `max`, writes each into `out` and
/// hands it to `send`. Stops at the first error (of encoding or of `send`).
pub fn for_each_batch<E>(
    request_code: u8,
    instruments: &[InstrumentId],
    max: usize,
    out: &mut Vec<u8>,
    mut send: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), BatchError<E>> {
    for chunk in instruments.chunks(max.max(1)) {
        encode_list(request_code, chunk, max, out).map_err(BatchError::Encode)?;
        send(out).map_err(BatchError::Send)?;
    }
    Ok(())
}

/// The error of [`for_each_batch`].
#[derive(Debug, thiserror::Error)]
pub enum BatchError<E> {
    /// A batch could not be encoded.
    #[error(transparent)]
    Encode(RequestError),
    /// The caller's `send` failed.
    #[error("sending a request failed")]
    Send(E),
}

/// Writes a 20-level depth subscribe message (code 23, list form, ≤ 50 instruments).
pub fn encode_depth20_subscribe(
    instruments: &[InstrumentId],
    out: &mut Vec<u8>,
) -> Result<(), RequestError> {
    encode_list(
        code::SUBSCRIBE_DEPTH,
        instruments,
        MAX_DEPTH20_INSTRUMENTS,
        out,
    )
}

/// Writes a 200-level depth subscribe message (code 23, flat form, one instrument):
/// `{"RequestCode":23,"ExchangeSegment":"NSE_EQ","SecurityId":"1333"}`.
pub fn encode_depth200_subscribe(id: InstrumentId, out: &mut Vec<u8>) -> Result<(), RequestError> {
    out.clear();
    let seg = id
        .segment
        .as_str()
        .ok_or(RequestError::UnknownSegment(id.segment.as_u8()))?;
    out.extend_from_slice(b"{\"RequestCode\":");
    push_u64(out, u64::from(code::SUBSCRIBE_DEPTH));
    out.extend_from_slice(b",\"ExchangeSegment\":");
    push_str(out, seg);
    out.extend_from_slice(b",\"SecurityId\":\"");
    push_u64(out, u64::from(id.security_id));
    out.extend_from_slice(b"\"}");
    Ok(())
}

/// The disconnect request, `{"RequestCode":12}`.
pub const DISCONNECT_REQUEST: &[u8] = b"{\"RequestCode\":12}";

/// Writes the disconnect request [`DISCONNECT_REQUEST`].
pub fn encode_disconnect(out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(DISCONNECT_REQUEST);
}

/// Whether `seg` may be subscribed on the depth feeds (NSE_EQ and NSE_FNO only).
pub const fn depth_segment_allowed(seg: ExchangeSegment) -> bool {
    matches!(seg, ExchangeSegment::NseEq | ExchangeSegment::NseFno)
}
