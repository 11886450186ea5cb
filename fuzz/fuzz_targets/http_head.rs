//! The live page's request-head parser (`dhan_feed::web`): never a panic, and
//! its decisions hold together —
//! * an incomplete head is only ever "wait" while it is shorter than the limit;
//! * an accepted request is a GET or HEAD whose head has ended;
//! * the bytes after a complete head never change the decision on it;
//! * a shorter limit never accepts what a longer one refuses as too large.
#![no_main]

use dhan_feed::internals::web_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (limit, loopback, buf) = match data.split_first() {
        // The first byte picks the limit (16 B to 8 KiB) and the Host check.
        Some((&b, rest)) => (16 + (usize::from(b & 0x7f) << 6), b & 0x80 == 0, rest),
        None => return,
    };
    let got = web_request(buf, limit, loopback);
    match got {
        None => assert!(
            buf.len() < limit,
            "waiting on {} bytes, limit {limit}",
            buf.len()
        ),
        Some((Ok(path), head_only)) => {
            assert!(path.starts_with('/') || path.ends_with(".js") || path.ends_with(".css"));
            let method: &[u8] = if head_only { b"HEAD" } else { b"GET" };
            // Empty lines before the request line are skipped (RFC 9112, 2.2).
            let start = buf
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(0);
            assert!(
                buf[start..].starts_with(method),
                "accepted a request that is not {method:?}"
            );
            // An empty line ends it: LF or CRLF, then LF or CRLF.
            let ended =
                buf.windows(2).any(|w| w == b"\n\n") || buf.windows(3).any(|w| w == b"\n\r\n");
            assert!(ended, "accepted a head that has not ended");
        }
        Some((Err(status), _)) => assert!(
            matches!(status, 400 | 404 | 405 | 421 | 431),
            "status {status}"
        ),
    }
    // What follows a complete head changes nothing.
    if let Some(decision) = got {
        if !matches!(decision.0, Err(431)) {
            let mut more = buf.to_vec();
            more.extend_from_slice(b"GET /x HTTP/1.1\r\n\r\ntrailing");
            let again = web_request(&more, limit, loopback);
            // A head refused as malformed may have been waiting on exactly
            // these bytes to become something else; an accepted one may not.
            if let (Ok(_), Some(a)) = (decision.0, again) {
                assert_eq!(a, decision, "bytes after the head changed the answer");
            }
        }
    }
    // A larger limit accepts whatever a smaller one accepted.
    if let Some((Ok(path), head_only)) = got {
        assert_eq!(
            web_request(buf, limit * 2, loopback),
            Some((Ok(path), head_only))
        );
    }
});
