//! Request parsing (the simulator's side): never a panic; whatever parses as a
//! market-feed subscription re-encodes and parses back to the same instruments,
//! and so does whatever parses as a Global Stocks subscription.
#![no_main]

use dhan_feed::internals::json::TapeParser;
use dhan_feed::internals::json::{parse_global_request, parse_request};
use dhan_feed::proto::global_encode::{GlobalMode, encode_global_request};
use dhan_feed::proto::request::{FeedMode, encode_subscription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut p = TapeParser::new();
    global(&mut p, data);
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

fn global(p: &mut TapeParser, data: &[u8]) {
    let Ok(r) = parse_global_request(p, data) else {
        return;
    };
    let Some((mode, sub)) = GlobalMode::from_request_code(r.code) else {
        return;
    };
    if r.ids.is_empty() || r.ids.len() > 100 {
        return;
    }
    let mut out = Vec::new();
    encode_global_request(mode, sub, &r.ids, &mut out).unwrap();
    let back = parse_global_request(p, &out).unwrap();
    assert_eq!(back.ids, r.ids);
    assert_eq!(back.code, r.code);
}
