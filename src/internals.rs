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

/// The same-run baselines of the benchmarks: byte-by-byte versions of the scans
/// that use memchr (`cargo bench --bench decode -- split_values`, `cargo bench
/// --bench instrument -- csv_split`, also the reference the property tests
/// compare the memchr versions with), a naive market-packet decoder and the
/// ticker's load-only floor (`cargo bench --bench decode -- market_decode`,
/// `examples/market_decode.rs`).
pub mod baseline {
    use std::ops::Range;

    /// The baseline: what a straightforward decoder does — slice and convert each field
    /// separately, every access bounds-checked, errors via `?`.
    pub mod naive {
        fn u16le(b: &[u8], o: usize) -> Option<u16> {
            Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
        }
        fn u32le(b: &[u8], o: usize) -> Option<u32> {
            Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
        }
        fn f32le(b: &[u8], o: usize) -> Option<f32> {
            Some(f32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
        }
        /// Every field a market packet can carry, in plain arrays.
        #[derive(Default)]
        pub struct Pkt {
            /// Response code.
            pub code: u8,
            /// Declared length.
            pub len: u16,
            /// Segment byte.
            pub seg: u8,
            /// Security id.
            pub id: u32,
            /// Float fields in wire order.
            pub f: [f32; 9],
            /// Integer fields in wire order.
            pub u: [u32; 9],
            /// Five depth levels.
            pub depth: [(u32, u32, u16, u16, f32, f32); 5],
        }
        /// Decodes into a reused slot, like the real decoder's hot path.
        #[inline(never)]
        pub fn decode(b: &[u8], p: &mut Pkt) -> Option<()> {
            p.code = *b.first()?;
            p.len = u16le(b, 1)?;
            p.seg = *b.get(3)?;
            p.id = u32le(b, 4)?;
            if b.len() < p.len as usize {
                return None;
            }
            match p.code {
                2 => {
                    p.f[0] = f32le(b, 8)?;
                    p.u[0] = u32le(b, 12)?;
                }
                4 => {
                    p.f[0] = f32le(b, 8)?;
                    p.u[0] = u32::from(u16le(b, 12)?);
                    p.u[1] = u32le(b, 14)?;
                    p.f[1] = f32le(b, 18)?;
                    p.u[2] = u32le(b, 22)?;
                    p.u[3] = u32le(b, 26)?;
                    p.u[4] = u32le(b, 30)?;
                    for i in 0..4 {
                        p.f[2 + i] = f32le(b, 34 + 4 * i)?;
                    }
                }
                8 => {
                    p.f[0] = f32le(b, 8)?;
                    p.u[0] = u32::from(u16le(b, 12)?);
                    p.u[1] = u32le(b, 14)?;
                    p.f[1] = f32le(b, 18)?;
                    for i in 0..6 {
                        p.u[2 + i] = u32le(b, 22 + 4 * i)?;
                    }
                    for i in 0..4 {
                        p.f[2 + i] = f32le(b, 46 + 4 * i)?;
                    }
                    for (i, d) in p.depth.iter_mut().enumerate() {
                        let o = 62 + 20 * i;
                        *d = (
                            u32le(b, o)?,
                            u32le(b, o + 4)?,
                            u16le(b, o + 8)?,
                            u16le(b, o + 10)?,
                            f32le(b, o + 12)?,
                            f32le(b, o + 16)?,
                        );
                    }
                }
                _ => {}
            }
            Some(())
        }
    }

    /// The machine's floor for a ticker: the three fields loaded from a packet
    /// known to be a ticker, with no header, length or kind checked. Not a
    /// decoder: what any decoder must at least do.
    #[inline(never)]
    pub fn ticker_loads_only(b: &[u8; 16], out: &mut (u32, f32, u32)) {
        let w = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        *out = (w(4), f32::from_bits(w(8)), w(12));
    }

    /// The top-level JSON values of `frame` as [`super::json::split_values`]
    /// finds them (ranges, or the offset of the value that does not split),
    /// scanning every byte.
    pub fn split_values_bytewise(frame: &[u8]) -> Vec<Result<Range<usize>, usize>> {
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            while pos < frame.len() && matches!(frame[pos], b' ' | b'\t' | b'\n' | b'\r') {
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

/// A last-value cache and its writer, as the I/O thread holds it: for the loom
/// model of its seqlock (`tests/cache_loom.rs`) and the read benchmark.
pub fn last_value_cache(instruments: usize) -> (crate::LastValueCache, CacheWriter) {
    let (cache, w) = crate::LastValueCache::new(instruments);
    (cache, CacheWriter(w))
}

/// The writing side of [`last_value_cache`].
pub struct CacheWriter(crate::cache::CacheWriter);

impl CacheWriter {
    /// Keeps one packet given as its wire bytes.
    #[inline]
    pub fn write(&self, raw: &[u8], recv_ns: u64) {
        self.0.write(raw, recv_ns);
    }

    /// [`write`](Self::write) with the per-instrument slot memo the I/O thread
    /// keeps (`u32::MAX` at first).
    #[inline]
    pub fn write_hinted(&self, raw: &[u8], recv_ns: u64, hint: &mut u32) {
        self.0.write_hinted(raw, recv_ns, hint);
    }
}

/// A depth cache keeping `levels` levels a side and its writer, as the I/O
/// thread holds it: for the read benchmark.
pub fn depth_cache(instruments: usize, levels: usize) -> (crate::DepthCache, DepthCacheWriter) {
    let (cache, w) = crate::DepthCache::new(instruments, levels);
    (cache, DepthCacheWriter(w))
}

/// The writing side of [`depth_cache`].
pub struct DepthCacheWriter(crate::cache::DepthCacheWriter);

impl DepthCacheWriter {
    /// Keeps a bid or ask packet's first levels.
    pub fn write(&self, p: &crate::proto::depth::DepthLevels<'_>, recv_ns: u64) {
        self.0.write(p, recv_ns);
    }
}

/// A two-word seqlock, the cache's primitive, for its loom model
/// (`tests/cache_loom.rs`): one writer, any readers.
pub struct SeqLockPair(crate::cache::SeqLock<2>);

impl Default for SeqLockPair {
    fn default() -> Self {
        Self(crate::cache::SeqLock::new())
    }
}

impl SeqLockPair {
    /// Stores both words in one write.
    pub fn write(&self, a: u64, b: u64) {
        self.0.write(|w| {
            w[0].store(a, std::sync::atomic::Ordering::Relaxed);
            w[1].store(b, std::sync::atomic::Ordering::Relaxed);
        });
    }

    /// Both words, as one write left them.
    pub fn read(&self) -> (u64, u64) {
        let mut out = [0; 2];
        self.0.read(&mut out);
        (out[0], out[1])
    }
}

/// The live page's request-head parser, for its fuzz target (`web` feature):
/// `None` while the head is incomplete; else the path it routes to (`Ok`) or
/// the status it is refused with (`Err`), and whether it was a HEAD.
#[cfg(feature = "web")]
pub fn web_request(
    buf: &[u8],
    limit: usize,
    loopback_only: bool,
) -> Option<(Result<&'static str, u16>, bool)> {
    crate::web::parse_for_fuzz(buf, limit, loopback_only)
}

/// The SQLite sink's writer alone, for its benchmark (`sqlite` feature): opens
/// (or creates) the file and writes `events` as one batch, as the sink thread does.
#[cfg(feature = "sqlite")]
pub fn sqlite_write(
    path: &std::path::Path,
    events: &[crate::event::MarketEvent],
) -> Result<(), Box<dyn std::error::Error>> {
    crate::sink::bench_write(path, events)
}

/// The PostgreSQL sink's writer alone, for its benchmark (`postgres` feature):
/// connects to `url` (creating the schema if missing) and writes `events` as
/// one batch, as the sink thread does.
#[cfg(feature = "postgres")]
pub fn postgres_write(
    url: &str,
    events: &[crate::event::MarketEvent],
) -> Result<(), Box<dyn std::error::Error>> {
    crate::sink::bench_write_pg(url, events)
}

/// `records` as a journal's bytes, in batches of `batch_rows` (`journal`
/// feature), as a recorder writes them: for the reader's fuzz target.
#[cfg(feature = "journal")]
pub fn journal_bytes(records: &[crate::journal::Record], batch_rows: usize) -> Vec<u8> {
    crate::journal::to_bytes(records, batch_rows)
}
