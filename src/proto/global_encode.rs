//! Encoders for the Global Stocks feed: packets (the exact inverse of
//! [`super::global`]) and the JSON requests (camelCase keys, segment `INX_EQ`).

use super::global::{GlobalData, GlobalPacket, code, default_len, size};
use super::request::RequestError;
use super::wire::{put_f32, put_u16, put_u32};

/// The segment every Global Stocks request names.
pub const INX_EQ: &str = "INX_EQ";

/// Instruments per request message (the SDK batches by 100).
pub const MAX_GLOBAL_PER_MESSAGE: usize = 100;

/// What a Global Stocks subscription receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum GlobalMode {
    /// Trade packets (subscribe 15, unsubscribe 16).
    Trade,
    /// OHLC packets (subscribe 17, unsubscribe 18).
    Ohlc,
}

impl GlobalMode {
    /// Both modes.
    pub const ALL: [GlobalMode; 2] = [Self::Trade, Self::Ohlc];

    /// The subscribe request code.
    pub const fn subscribe_code(self) -> u8 {
        match self {
            Self::Trade => 15,
            Self::Ohlc => 17,
        }
    }

    /// The unsubscribe request code.
    pub const fn unsubscribe_code(self) -> u8 {
        self.subscribe_code() + 1
    }

    /// The mode and direction of a request code (`true` for subscribe).
    pub const fn from_request_code(code: u16) -> Option<(GlobalMode, bool)> {
        Some(match code {
            15 => (Self::Trade, true),
            16 => (Self::Trade, false),
            17 => (Self::Ohlc, true),
            18 => (Self::Ohlc, false),
            _ => return None,
        })
    }

    /// `trade` or `ohlc`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Trade => "trade",
            Self::Ohlc => "ohlc",
        }
    }
}

impl std::str::FromStr for GlobalMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "trade" => Ok(Self::Trade),
            "ohlc" => Ok(Self::Ohlc),
            _ => Err(format!("unknown global stocks mode {s:?}: trade or ohlc")),
        }
    }
}

/// The bytes `p` takes: its declared length, or its code's size when it declares 0.
pub fn global_encoded_len(p: &GlobalPacket) -> usize {
    if is_standalone(p) {
        return size::ERROR_STANDALONE;
    }
    let want = default_len(p.code()).unwrap_or(size::HEADER);
    match p.data {
        GlobalData::Unknown { len, .. } => usize::from(len).max(size::HEADER),
        _ if p.declared_len == 0 => want,
        _ => usize::from(p.declared_len).max(want),
    }
}

/// An error packet in the standalone form (see [`super::global::size::ERROR_STANDALONE`]).
fn is_standalone(p: &GlobalPacket) -> bool {
    matches!(p.data, GlobalData::Error { .. })
        && usize::from(p.declared_len) == size::ERROR_STANDALONE
}

/// Appends `p` to `out`. Bytes past the kind's fields (a declared length above its
/// size) are written as zeros.
pub fn encode_global_packet(p: &GlobalPacket, out: &mut Vec<u8>) {
    let start = out.len();
    let len = global_encoded_len(p);
    out.resize(start + len, 0);
    let b = &mut out[start..];
    if is_standalone(p) {
        b[0] = code::ERROR;
        put_u16(b, 1, size::ERROR_STANDALONE as u16);
        b[3] = p.segment;
        put_u32(b, 4, p.security_id);
        if let GlobalData::Error { code } = p.data {
            put_u16(b, 8, code.0);
        }
        return;
    }
    b[0] = p.segment;
    put_u32(b, 1, p.security_id);
    put_u32(b, 5, p.second_id);
    b[9] = p.declared_len;
    b[10] = p.code();
    match p.data {
        GlobalData::Trade {
            ltp,
            volume,
            ltt,
            lut,
        } => {
            put_f32(b, 11, ltp);
            put_u32(b, 15, volume);
            put_u32(b, 19, ltt);
            put_u32(b, 23, lut);
        }
        GlobalData::Ohlc {
            open,
            close,
            high,
            low,
        } => {
            put_f32(b, 11, open);
            put_f32(b, 15, close);
            put_f32(b, 19, high);
            put_f32(b, 23, low);
        }
        GlobalData::MarketStatus {
            market_type,
            status,
        } => {
            b[11..14].copy_from_slice(&market_type);
            put_u32(b, 14, status as u32);
        }
        GlobalData::PrevClose { prev_close } => put_f32(b, 11, prev_close),
        GlobalData::CircuitLimits { upper, lower } => {
            put_f32(b, 11, upper);
            put_f32(b, 15, lower);
        }
        GlobalData::Week52 { high, low } => {
            put_f32(b, 11, high);
            put_f32(b, 15, low);
        }
        GlobalData::Error { code } => put_u16(b, 11, code.0),
        GlobalData::Unknown { .. } => {}
    }
}

/// `p` encoded on its own.
pub fn global_packet_bytes(p: &GlobalPacket) -> Vec<u8> {
    let mut out = Vec::with_capacity(global_encoded_len(p));
    encode_global_packet(p, &mut out);
    out
}

/// Writes one subscribe (`subscribe = true`) or unsubscribe request for at most
/// 100 security ids, as the SDK does:
/// `{"requestCode":15,"instrumentCount":1,"instrumentList":[{"exchangeSegment":"INX_EQ","securityId":"1234"}]}`.
/// On error `out` is left empty.
pub fn encode_global_request(
    mode: GlobalMode,
    subscribe: bool,
    ids: &[u32],
    out: &mut Vec<u8>,
) -> Result<(), RequestError> {
    out.clear();
    if ids.is_empty() {
        return Err(RequestError::Empty);
    }
    if ids.len() > MAX_GLOBAL_PER_MESSAGE {
        return Err(RequestError::TooMany {
            count: ids.len(),
            max: MAX_GLOBAL_PER_MESSAGE,
        });
    }
    let code = if subscribe {
        mode.subscribe_code()
    } else {
        mode.unsubscribe_code()
    };
    use std::io::Write;
    let _ = write!(
        out,
        "{{\"requestCode\":{code},\"instrumentCount\":{},\"instrumentList\":[",
        ids.len()
    );
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(
            out,
            "{{\"exchangeSegment\":\"{INX_EQ}\",\"securityId\":\"{id}\"}}"
        );
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// The Global Stocks disconnect request, `{"requestCode":12}` (camelCase, as the SDK
/// sends it).
pub const GLOBAL_DISCONNECT_REQUEST: &[u8] = b"{\"requestCode\":12}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_the_sdks() {
        let mut out = Vec::new();
        encode_global_request(GlobalMode::Trade, true, &[1234, 5678], &mut out).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"requestCode":15,"instrumentCount":2,"instrumentList":[{"exchangeSegment":"INX_EQ","securityId":"1234"},{"exchangeSegment":"INX_EQ","securityId":"5678"}]}"#
        );
        encode_global_request(GlobalMode::Ohlc, false, &[1], &mut out).unwrap();
        assert!(out.starts_with(br#"{"requestCode":18,"#));
        assert_eq!(
            encode_global_request(GlobalMode::Trade, true, &[], &mut out),
            Err(RequestError::Empty)
        );
        let many: Vec<u32> = (0..101).collect();
        assert_eq!(
            encode_global_request(GlobalMode::Trade, true, &many, &mut out),
            Err(RequestError::TooMany {
                count: 101,
                max: 100
            })
        );
        assert!(out.is_empty());
        for m in GlobalMode::ALL {
            assert_eq!(
                GlobalMode::from_request_code(u16::from(m.subscribe_code())),
                Some((m, true))
            );
            assert_eq!(
                GlobalMode::from_request_code(u16::from(m.unsubscribe_code())),
                Some((m, false))
            );
            assert_eq!(m.name().parse::<GlobalMode>(), Ok(m));
        }
    }
}
