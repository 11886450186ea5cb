//! **Not part of the API**: no semver promise, hidden from the docs. The pieces of
//! the crate's inside that its own binary (the bench driver's baselines), tests,
//! benches, examples and fuzz targets drive directly. A program that trades has
//! no use for them; what it needs is re-exported at the crate root.

/// The SPSC ring each consumer owns (benchmarked against rtrb and crossbeam,
/// model-checked with loom).
pub mod ring {
    pub use crate::ring::{Consumer, Producer, ring};
}

/// TCP and TLS glue (rustls's unbuffered API).
pub mod tls {
    pub use crate::transport::conn::{ReadStatus, Transport};
    pub use crate::transport::tls::{client_config, install_default_provider, root_store};
    pub use crate::transport::tls_stream::MAX_RECORD_PLAINTEXT;
}

/// The RFC 6455 client framer.
pub mod ws {
    pub use crate::ws::client::{WsClient, WsEvent, WsLimits};
    pub use crate::ws::frame::{
        FrameError, FrameHeader, MAX_HEADER_LEN, Opcode, parse_header, push_server_frame,
        write_header,
    };
}

/// A property checker of the pure connection state machines (reconnect,
/// backoff, budget) driven by a byte string of operations: the fuzz target's and
/// the proptest's engine.
pub mod check {
    pub use crate::session::check::{SEEDS, Totals, Violation, run};
    pub use crate::session::driver_check as driver;
}

/// Deterministic sample messages and captures (the files under `samples/`).
pub mod sample {
    pub use crate::proto::sample::*;
}

/// Synthetic instrument masters of any size, in both of Dhan's shapes.
pub mod synthetic {
    pub use crate::instrument::synthetic::*;
}

/// The JSON tape parser under the order-update and request parsers, and the
/// simulator's request parser.
pub mod json {
    pub use crate::proto::json::{SplitError, SplitValues, TapeParser, split_values};
    pub use crate::proto::request_parse::{GlobalRequest, parse_global_request, parse_request};
}

/// Whether the order parser's fast path takes `json` (one object) rather than
/// handing it to simd-json's tape.
pub fn order_fast_path_takes(json: &[u8]) -> bool {
    let mut out = crate::proto::order::OrderUpdate::EMPTY;
    let mut keys = crate::proto::order_fast::KeyOrder::default();
    crate::proto::order_fast::parse_object_fast(json, 0, &mut out, &mut keys).is_some()
}

/// The instrument loader's CSV line splitter.
pub mod csv {
    pub use crate::instrument::split::{Fields, UnterminatedQuote};
}

/// Byte-by-byte versions of the scans that use memchr: the same-run baselines
/// of `cargo bench --bench decode -- split_values` and `cargo bench --bench
/// instrument -- csv_split`, and the reference the property tests compare the
/// memchr versions with.
pub mod baseline {
    use std::ops::Range;

    /// The top-level JSON values of `frame` as [`super::json::split_values`]
    /// finds them (ranges, or the offset of the value that does not split),
    /// scanning every byte.
    pub fn split_values_bytewise(frame: &[u8]) -> Vec<Result<Range<usize>, usize>> {
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            while pos < frame.len() && frame[pos].is_ascii_whitespace() {
                pos += 1;
            }
            if pos >= frame.len() {
                return out;
            }
            let start = pos;
            if frame[start] != b'{' && frame[start] != b'[' {
                out.push(Err(start));
                return out;
            }
            let (mut depth, mut in_str, mut i) = (0usize, false, start);
            let mut end = None;
            while i < frame.len() {
                let b = frame[i];
                if in_str {
                    match b {
                        b'\\' => i += 1,
                        b'"' => in_str = false,
                        _ => {}
                    }
                } else {
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(i + 1);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            match end {
                Some(e) => {
                    out.push(Ok(start..e));
                    pos = e;
                }
                None => {
                    out.push(Err(start));
                    return out;
                }
            }
        }
    }

    /// The field bounds of an unquoted CSV line (`None` if it has a quote, which
    /// this baseline does not handle), scanning every byte into `bounds` after
    /// copying the line into `buf` (as the loader's splitter does).
    pub fn split_csv_bytewise(
        line: &[u8],
        buf: &mut Vec<u8>,
        bounds: &mut Vec<(usize, usize)>,
    ) -> Option<usize> {
        buf.clear();
        bounds.clear();
        if line.contains(&b'"') {
            return None;
        }
        buf.extend_from_slice(line);
        let mut start = 0;
        for (i, &b) in line.iter().enumerate() {
            if b == b',' {
                bounds.push((start, i));
                start = i + 1;
            }
        }
        bounds.push((start, line.len()));
        Some(bounds.len())
    }
}

/// Failures injected into a client's I/O thread, to test what its handles see
/// when it dies (a panic, a failed poll).
pub mod fault {
    pub use crate::engine::port::Fault;

    /// Injects `fault` into `client`'s I/O thread.
    pub fn inject(client: &crate::Client, fault: Fault) -> Result<(), crate::Error> {
        client.inject(fault)
    }
}
