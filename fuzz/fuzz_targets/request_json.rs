//! Request parsing (the simulator's side): never a panic; whatever parses as a
//! market-feed subscription re-encodes and parses back to the same instruments.
#![no_main]

use dhan_feed::internals::json::TapeParser;
use dhan_feed::internals::json::parse_request;
use dhan_feed::proto::request::{FeedMode, encode_subscription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = TapeParser::new();
    let Ok(r) = parse_request(&mut p, data) else {
        return;
    };
    let Some((mode, sub)) = u8::try_from(r.code)
        .ok()
        .and_then(FeedMode::from_request_code)
    else {
        return;
    };
    if r.instruments.is_empty()
        || r.instruments.len() > 100
        || r.instruments.iter().any(|i| !i.segment.is_known())
    {
        return;
    }
    let mut out = Vec::new();
    encode_subscription(mode, sub, &r.instruments, &mut out).unwrap();
    let back = parse_request(&mut p, &out).unwrap();
    assert_eq!(back.instruments, r.instruments);
    assert_eq!(back.code, r.code);
});
