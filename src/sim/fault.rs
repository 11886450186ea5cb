//! Fault scripts: named misbehaviours the simulator performs on purpose.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A misbehaviour of the simulator. Connection faults hit the live connections they
/// are injected into; handshake faults ([`Fault::Http429`], [`Fault::SlowHandshake`])
/// arm the next incoming handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `reset`: abrupt TCP reset (RST, no close frame).
    Reset,
    /// `close-no-frame`: TCP close without a WebSocket close frame.
    CloseNoFrame,
    /// `stall`: the socket stays open and nothing more is sent (no data, no pings).
    Stall,
    /// `disconnect-N`: send Dhan's disconnect code N (market/depth: a code-50
    /// packet; orders: a close frame), then close.
    Disconnect(u16),
    /// `close-N`: close with WebSocket close code N (reason "closed by the
    /// server"), e.g. `close-1008` for a policy close.
    Close(u16),
    /// `http-429`: refuse the next upgrade with HTTP 429.
    Http429,
    /// `http-N`: refuse the next upgrade with HTTP status N (e.g. `http-401`,
    /// `http-403`: what Dhan answers to a bad or expired token).
    Http(u16),
    /// `slow-handshake`: answer the next upgrade only after a delay (default 3 s).
    SlowHandshake(Duration),
    /// `malformed-frame`: send a frame with a reserved opcode, then close.
    MalformedFrame,
    /// `oversized-frame`: send a frame header announcing a 1 TiB payload, then close.
    OversizedFrame,
    /// `fragmented`: from now on send each message as several frames (valid).
    Fragmented,
    /// `stacked`: from now on put several packets in one binary message (valid).
    Stacked,
    /// `no-ping`: stop pinging and stop answering pings (data continues).
    NoPing,
    /// `malformed-packet`: one valid message whose payload is damaged, the
    /// connection kept: on the market feed a ticker of `IDX_I:13` at 100.0, a
    /// ticker that declares (and carries) only 12 bytes, and the good ticker
    /// again; on depth a bid packet of RELIANCE
    /// (`NSE_EQ:2885`) that declares 100 bytes; on the order feed an unterminated
    /// JSON object.
    MalformedPacket,
    /// `lengthened-packet`: on the market feed, a ticker of `IDX_I:13` at 101.0
    /// that declares 4 bytes more than a ticker has (a field Dhan might add).
    LengthenedPacket,
    /// `heartbeat`: on the market feed, a code-0 packet as the live feed sends
    /// them (a bare header declaring length 0) followed in the same message by a
    /// ticker of `IDX_I:13` at 102.0, then an 8-byte code-0 packet of its own.
    Heartbeat,
}

impl Fault {
    /// Whether the fault arms the next handshake rather than hitting live connections.
    pub fn is_handshake(&self) -> bool {
        matches!(self, Self::Http429 | Self::Http(_) | Self::SlowHandshake(_))
    }

    /// Every fault name accepted by `--scenario`, for help texts.
    pub const NAMES: &'static str = "reset, close-no-frame, stall, disconnect-N, close-N, http-429, http-N, slow-handshake, malformed-frame, oversized-frame, fragmented, stacked, no-ping, malformed-packet, lengthened-packet, heartbeat";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reset => f.write_str("reset"),
            Self::CloseNoFrame => f.write_str("close-no-frame"),
            Self::Stall => f.write_str("stall"),
            Self::Disconnect(n) => write!(f, "disconnect-{n}"),
            Self::Close(n) => write!(f, "close-{n}"),
            Self::Http429 => f.write_str("http-429"),
            Self::Http(n) => write!(f, "http-{n}"),
            Self::SlowHandshake(_) => f.write_str("slow-handshake"),
            Self::MalformedFrame => f.write_str("malformed-frame"),
            Self::OversizedFrame => f.write_str("oversized-frame"),
            Self::Fragmented => f.write_str("fragmented"),
            Self::Stacked => f.write_str("stacked"),
            Self::NoPing => f.write_str("no-ping"),
            Self::MalformedPacket => f.write_str("malformed-packet"),
            Self::LengthenedPacket => f.write_str("lengthened-packet"),
            Self::Heartbeat => f.write_str("heartbeat"),
        }
    }
}

/// The error of parsing a fault name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario {0:?}; known: {names}", names = Fault::NAMES)]
pub struct ParseFaultError(pub String);

impl FromStr for Fault {
    type Err = ParseFaultError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "reset" => Self::Reset,
            "close-no-frame" => Self::CloseNoFrame,
            "stall" => Self::Stall,
            "http-429" => Self::Http429,
            "slow-handshake" => Self::SlowHandshake(Duration::from_secs(3)),
            "malformed-frame" => Self::MalformedFrame,
            "oversized-frame" => Self::OversizedFrame,
            "fragmented" => Self::Fragmented,
            "stacked" => Self::Stacked,
            "no-ping" => Self::NoPing,
            "malformed-packet" => Self::MalformedPacket,
            "lengthened-packet" => Self::LengthenedPacket,
            "heartbeat" => Self::Heartbeat,
            other => {
                let n = |prefix: &str| other.strip_prefix(prefix).map(str::parse::<u16>);
                match (n("disconnect-"), n("close-"), n("http-")) {
                    (Some(Ok(n)), _, _) => Self::Disconnect(n),
                    (_, Some(Ok(n)), _) => Self::Close(n),
                    (_, _, Some(Ok(n))) if (100..600).contains(&n) => Self::Http(n),
                    _ => return Err(ParseFaultError(s.to_owned())),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in Fault::NAMES.split(", ") {
            let name = match name {
                "http-N" => "http-401".to_owned(),
                n => n.replace('N', "807"),
            };
            let f: Fault = name.parse().unwrap();
            assert_eq!(f.to_string(), name);
        }
        assert!("disconnect-x".parse::<Fault>().is_err());
        assert!("nope".parse::<Fault>().is_err());
        assert!("http-42".parse::<Fault>().is_err(), "not an HTTP status");
        assert_eq!("http-403".parse::<Fault>(), Ok(Fault::Http(403)));
    }
}
