//! Server-side parsing of the JSON requests (the simulator's half of
//! [`super::request`]). Tolerant where real clients differ: `SecurityId` as a string
//! or a number, `ExchangeSegment` as a name or a number, any key casing, any spacing.

use super::json::{Scalar, TapeParser, array_items, object_entries, scalar};
use super::segment::{ExchangeSegment, InstrumentId};

/// A parsed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `RequestCode`.
    pub code: u16,
    /// `InstrumentCount`, when present.
    pub instrument_count: Option<i64>,
    /// The instruments: from `InstrumentList`, or the one of the flat form.
    pub instruments: Vec<InstrumentId>,
    /// Whether the flat form (`ExchangeSegment`/`SecurityId` at top level) was used.
    pub flat: bool,
}

/// Why a request could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestParseError {
    /// Not valid JSON.
    #[error("request is not valid JSON: {0}")]
    Json(String),
    /// Valid JSON, but not an object.
    #[error("request is not a JSON object")]
    NotAnObject,
    /// No integer `RequestCode`.
    #[error("request has no integer RequestCode")]
    MissingCode,
    /// An instrument entry is unusable.
    #[error("instrument {index} of the request is invalid: {reason}")]
    BadInstrument {
        /// Position in the list (0 for the flat form).
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

fn key_is(key: &str, want: &str) -> bool {
    key.eq_ignore_ascii_case(want)
}

fn segment_of(v: Scalar<'_>) -> Option<ExchangeSegment> {
    match v {
        Scalar::Str(s) => ExchangeSegment::from_name(s.trim()),
        other => other
            .as_i64()
            .and_then(|n| u8::try_from(n).ok())
            .map(ExchangeSegment::from_u8),
    }
}

fn security_id_of(v: Scalar<'_>) -> Option<u32> {
    v.as_i64().and_then(|n| u32::try_from(n).ok())
}

/// Parses one request message.
pub fn parse_request(parser: &mut TapeParser, json: &[u8]) -> Result<Request, RequestParseError> {
    parser
        .parse(json, |nodes| {
            if !matches!(nodes.first(), Some(simd_json::Node::Object { .. })) {
                return Err(RequestParseError::NotAnObject);
            }
            let mut code = None;
            let mut count = None;
            let mut list = None;
            let mut flat_seg = None;
            let mut flat_id = None;
            let mut flat = false;
            for (k, v) in object_entries(nodes) {
                if key_is(k, "RequestCode") {
                    code = scalar(v).as_i64().and_then(|c| u16::try_from(c).ok());
                } else if key_is(k, "InstrumentCount") {
                    count = scalar(v).as_i64();
                } else if key_is(k, "InstrumentList") {
                    let mut out = Vec::new();
                    for (index, item) in array_items(v).enumerate() {
                        let mut seg = None;
                        let mut id = None;
                        for (ik, iv) in object_entries(item) {
                            if key_is(ik, "ExchangeSegment") {
                                seg = Some(segment_of(scalar(iv)));
                            } else if key_is(ik, "SecurityId") {
                                id = Some(security_id_of(scalar(iv)));
                            }
                        }
                        let bad = |reason| RequestParseError::BadInstrument { index, reason };
                        let segment = seg
                            .ok_or(bad("no ExchangeSegment"))?
                            .ok_or(bad("unknown ExchangeSegment"))?;
                        let security_id = id
                            .ok_or(bad("no SecurityId"))?
                            .ok_or(bad("SecurityId is not a non-negative integer"))?;
                        out.push(InstrumentId {
                            segment,
                            security_id,
                        });
                    }
                    list = Some(out);
                } else if key_is(k, "ExchangeSegment") {
                    flat = true;
                    flat_seg = Some(segment_of(scalar(v)));
                } else if key_is(k, "SecurityId") {
                    flat = true;
                    flat_id = Some(security_id_of(scalar(v)));
                }
            }
            let code = code.ok_or(RequestParseError::MissingCode)?;
            let mut instruments = list.unwrap_or_default();
            if flat {
                let bad = |reason| RequestParseError::BadInstrument { index: 0, reason };
                let segment = flat_seg
                    .ok_or(bad("no ExchangeSegment"))?
                    .ok_or(bad("unknown ExchangeSegment"))?;
                let security_id = flat_id
                    .ok_or(bad("no SecurityId"))?
                    .ok_or(bad("SecurityId is not a non-negative integer"))?;
                instruments.push(InstrumentId {
                    segment,
                    security_id,
                });
            }
            Ok(Request {
                code,
                instrument_count: count,
                instruments,
                flat,
            })
        })
        .map_err(|e| RequestParseError::Json(e.to_string()))?
}

/// A parsed Global Stocks request: `requestCode` and the security ids of
/// `instrumentList` (every `exchangeSegment` must be `INX_EQ`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalRequest {
    /// `requestCode`.
    pub code: u16,
    /// `instrumentCount`, when present.
    pub instrument_count: Option<i64>,
    /// The security ids, in order.
    pub ids: Vec<u32>,
}

/// Parses one Global Stocks request (any key casing, ids as strings or numbers).
pub fn parse_global_request(
    parser: &mut TapeParser,
    json: &[u8],
) -> Result<GlobalRequest, RequestParseError> {
    parser
        .parse(json, |nodes| {
            if !matches!(nodes.first(), Some(simd_json::Node::Object { .. })) {
                return Err(RequestParseError::NotAnObject);
            }
            let mut code = None;
            let mut count = None;
            let mut ids = Vec::new();
            for (k, v) in object_entries(nodes) {
                if key_is(k, "requestCode") {
                    code = scalar(v).as_i64().and_then(|c| u16::try_from(c).ok());
                } else if key_is(k, "instrumentCount") {
                    count = scalar(v).as_i64();
                } else if key_is(k, "instrumentList") {
                    for (index, item) in array_items(v).enumerate() {
                        let bad = |reason| RequestParseError::BadInstrument { index, reason };
                        let mut seg = None;
                        let mut id = None;
                        for (ik, iv) in object_entries(item) {
                            if key_is(ik, "exchangeSegment") {
                                seg = Some(
                                    matches!(scalar(iv), Scalar::Str(s) if s.trim() == "INX_EQ"),
                                );
                            } else if key_is(ik, "securityId") {
                                id = Some(security_id_of(scalar(iv)));
                            }
                        }
                        match seg {
                            None => return Err(bad("no exchangeSegment")),
                            Some(false) => return Err(bad("exchangeSegment is not INX_EQ")),
                            Some(true) => {}
                        }
                        ids.push(
                            id.ok_or(bad("no securityId"))?
                                .ok_or(bad("securityId is not a non-negative integer"))?,
                        );
                    }
                }
            }
            Ok(GlobalRequest {
                code: code.ok_or(RequestParseError::MissingCode)?,
                instrument_count: count,
                ids,
            })
        })
        .map_err(|e| RequestParseError::Json(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::request::*;

    #[test]
    fn python_sdk_spacing_and_numeric_ids() {
        let mut p = TapeParser::new();
        let r = parse_request(
            &mut p,
            br#"{"RequestCode": 15, "InstrumentCount": 2, "InstrumentList": [{"ExchangeSegment": "NSE_EQ", "SecurityId": "1333"}, {"ExchangeSegment": "BSE_EQ", "SecurityId": 532540}]}"#,
        )
        .unwrap();
        assert_eq!(r.code, 15);
        assert_eq!(r.instrument_count, Some(2));
        assert_eq!(
            r.instruments,
            vec![
                InstrumentId::new(ExchangeSegment::NseEq, 1333),
                InstrumentId::new(ExchangeSegment::BseEq, 532540)
            ]
        );
    }

    #[test]
    fn flat_depth200_form_round_trips() {
        let mut out = Vec::new();
        let id = InstrumentId::new(ExchangeSegment::NseFno, 49081);
        encode_depth200_subscribe(id, &mut out).unwrap();
        assert_eq!(
            out,
            br#"{"RequestCode":23,"ExchangeSegment":"NSE_FNO","SecurityId":"49081"}"#
        );
        let r = parse_request(&mut TapeParser::new(), &out).unwrap();
        assert!(r.flat);
        assert_eq!(r.code, 23);
        assert_eq!(r.instruments, vec![id]);
    }

    #[test]
    fn global_requests_round_trip_and_name_inx_eq() {
        use crate::proto::global_encode::{GlobalMode, encode_global_request};
        let mut out = Vec::new();
        encode_global_request(GlobalMode::Ohlc, true, &[1234, 7], &mut out).unwrap();
        let mut p = TapeParser::new();
        assert_eq!(
            parse_global_request(&mut p, &out).unwrap(),
            GlobalRequest {
                code: 17,
                instrument_count: Some(2),
                ids: vec![1234, 7]
            }
        );
        // The SDK's spacing (json.dumps) and its disconnect.
        let sdk = br#"{"requestCode": 15, "instrumentCount": 1, "instrumentList": [{"exchangeSegment": "INX_EQ", "securityId": "55"}]}"#;
        assert_eq!(parse_global_request(&mut p, sdk).unwrap().ids, vec![55]);
        assert_eq!(
            parse_global_request(&mut p, br#"{"requestCode": 12}"#)
                .unwrap()
                .code,
            12
        );
        assert_eq!(
            parse_global_request(
                &mut p,
                br#"{"requestCode":15,"instrumentList":[{"exchangeSegment":"NSE_EQ","securityId":"1"}]}"#
            ),
            Err(RequestParseError::BadInstrument {
                index: 0,
                reason: "exchangeSegment is not INX_EQ"
            })
        );
        assert!(matches!(
            parse_global_request(&mut p, b"{\"requestCode\""),
            Err(RequestParseError::Json(_))
        ));
    }

    #[test]
    fn bad_requests_are_errors() {
        let mut p = TapeParser::new();
        assert!(matches!(
            parse_request(&mut p, b"{\"RequestCode\":"),
            Err(RequestParseError::Json(_))
        ));
        assert_eq!(
            parse_request(&mut p, b"[1]"),
            Err(RequestParseError::NotAnObject)
        );
        assert_eq!(
            parse_request(&mut p, br#"{"InstrumentList":[]}"#),
            Err(RequestParseError::MissingCode)
        );
        assert_eq!(
            parse_request(
                &mut p,
                br#"{"RequestCode":15,"InstrumentList":[{"ExchangeSegment":"NSE_EQ","SecurityId":"-4"}]}"#
            ),
            Err(RequestParseError::BadInstrument {
                index: 0,
                reason: "SecurityId is not a non-negative integer"
            })
        );
    }
}
