//! The recording tap: the I/O thread's copy of every WebSocket message it reads,
//! every request it sends and every connection event, into one preallocated
//! byte ring ([`rtrb`]) that a recorder thread drains (the journal, `journal`
//! feature). Copying never blocks and never allocates after warm-up: a record
//! that does not fit is counted, and the next record that fits is preceded by a
//! gap record with that count. Text (order updates, requests, the order feed's
//! login) is written with every credential masked (`*`, same length).
//!
//! A record in the ring: a 24-byte header — payload length (u32), kind (u8),
//! feed (u8), connection (u16), receive time (monotonic ns, u64; see
//! [`crate::now_ns`]), wall-clock offset at the tap's creation (i64 ns, added to
//! the monotonic time gives Unix ns) — then the payload. All little-endian.

// The reading side is the journal's (`journal` feature).
#![cfg_attr(not(feature = "journal"), allow(dead_code))]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes of a record's header in the ring (and in a port's stage).
pub const HEADER: usize = 24;

/// The feed code of a gap record (a gap counts records of every connection).
pub const GAP_FEED: u8 = u8::MAX;
/// The connection of a gap record.
pub const GAP_CONN: u16 = u16::MAX;

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordKind {
    /// A binary message received.
    Binary = 0,
    /// A text message received (credentials masked).
    Text = 1,
    /// A text message sent: subscriptions, the order feed's login (credentials
    /// masked), the goodbye.
    Sent = 2,
    /// A connection event: its tag byte ([`EventTag`]), then its description.
    Event = 3,
    /// Records the ring could not take, of every connection: the payload is
    /// their count (u64); feed 255, connection 65535.
    Gap = 4,
}

impl RecordKind {
    /// The kind of a stored code.
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Binary,
            1 => Self::Text,
            2 => Self::Sent,
            3 => Self::Event,
            4 => Self::Gap,
            _ => return None,
        })
    }
}

/// The first byte of an [`RecordKind::Event`] payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EventTag {
    /// The connection went live.
    Connected = 0,
    /// It went live again after a drop.
    Reconnected = 1,
    /// It closed.
    Disconnected = 2,
    /// A new attempt is scheduled.
    Reconnecting = 3,
    /// An error the connection does not recover from by itself.
    Error = 4,
}

impl EventTag {
    /// The tag of a stored code.
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::Connected,
            1 => Self::Reconnected,
            2 => Self::Disconnected,
            3 => Self::Reconnecting,
            4 => Self::Error,
            _ => return None,
        })
    }
}

/// What the ring holds and what it missed, shared by the ports and the recorder.
struct Writer {
    producer: rtrb::Producer<u8>,
    /// Records missed since the last gap record.
    pending_gap: u64,
}

/// The tap's shared side.
struct Shared {
    writer: Mutex<Writer>,
    /// Wall-clock minus monotonic ns, at the tap's creation.
    wall_offset_ns: i64,
    /// Records the ring could not take, in all.
    missed: AtomicU64,
    /// Records written, in all (gap records included).
    written: AtomicU64,
    /// Credentials masked in text (a rotated token is added, the old one kept).
    secrets: Mutex<Vec<Vec<u8>>>,
}

/// The recorder's side: the ring's consumer and the counters.
pub struct TapReader {
    consumer: rtrb::Consumer<u8>,
    shared: Arc<Shared>,
    /// A record's payload that straddles the ring's end, put together.
    joined: Vec<u8>,
}

/// A tap: make ports from it for each connection ([`Tap::port`]).
#[derive(Clone)]
pub struct Tap {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap")
            .field("written", &self.shared.written.load(Ordering::Relaxed))
            .field("missed", &self.shared.missed.load(Ordering::Relaxed))
            .field("masks", &self.shared.secrets().len())
            .finish()
    }
}

/// Bytes a port stages before it flushes on its own.
const STAGE: usize = 256 * 1024;

/// One connection's way into the tap. Received messages are staged and go
/// into the ring together at [`TapPort::flush`] (the driver flushes after
/// each read: one lock and one ring commit a read, not a message); requests
/// sent and events go in at once.
pub struct TapPort {
    shared: Arc<Shared>,
    feed: u8,
    conn: u16,
    /// Records waiting for the next flush (made with room for [`STAGE`]
    /// bytes; grows only for a message larger than that).
    stage: Vec<u8>,
    staged: u64,
}

impl Clone for TapPort {
    /// A port of the same connection with an empty stage of its own, which
    /// grows when first used (the WebSocket's, for requests sent: a few).
    fn clone(&self) -> Self {
        Self::new(self.shared.clone(), self.feed, self.conn, 0)
    }
}

impl std::fmt::Debug for TapPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapPort")
            .field("feed", &self.feed)
            .field("conn", &self.conn)
            .field("staged", &self.staged)
            .finish_non_exhaustive()
    }
}

/// A tap with a ring of `bytes` (at least 4 KiB), masking `secrets` (empty ones
/// are skipped) in text; and the reader for the recorder thread.
pub fn tap(bytes: usize, secrets: impl IntoIterator<Item = Vec<u8>>) -> (Tap, TapReader) {
    let bytes = bytes.max(4096);
    let (mut producer, consumer) = rtrb::RingBuffer::new(bytes);
    // Every page written once now (and nothing committed), so that the I/O
    // thread's first lap round the ring takes no page faults.
    if let Ok(chunk) = producer.write_chunk(bytes) {
        drop(chunk);
    }
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let shared = Arc::new(Shared {
        writer: Mutex::new(Writer {
            producer,
            pending_gap: 0,
        }),
        wall_offset_ns: wall - crate::time::now_ns() as i64,
        missed: AtomicU64::new(0),
        written: AtomicU64::new(0),
        secrets: Mutex::new(secrets.into_iter().filter(|s| !s.is_empty()).collect()),
    });
    (
        Tap {
            shared: shared.clone(),
        },
        TapReader {
            consumer,
            shared,
            joined: Vec::new(),
        },
    )
}

impl Tap {
    /// Masks `secret` too from now on (a new access token).
    pub fn add_secret(&self, secret: &[u8]) {
        if !secret.is_empty() {
            self.shared.secrets().push(secret.to_vec());
        }
    }

    /// A port for connection `conn` of feed `feed` (the code the journal stores).
    pub fn port(&self, feed: u8, conn: u16) -> TapPort {
        TapPort::new(self.shared.clone(), feed, conn, STAGE)
    }
}

impl TapPort {
    fn new(shared: Arc<Shared>, feed: u8, conn: u16, stage: usize) -> Self {
        Self {
            shared,
            feed,
            conn,
            stage: Vec::with_capacity(stage),
            staged: 0,
        }
    }

    /// A binary message received at `recv_ns` (staged).
    #[inline]
    pub fn binary(&mut self, recv_ns: u64, msg: &[u8]) {
        self.stage_record(RecordKind::Binary, recv_ns, msg.len());
        self.stage.extend_from_slice(msg);
    }

    /// A text message received at `recv_ns`, credentials masked (staged).
    pub fn text(&mut self, recv_ns: u64, msg: &[u8]) {
        self.stage_record(RecordKind::Text, recv_ns, msg.len());
        let at = self.stage.len();
        self.stage.extend_from_slice(msg);
        mask(&mut self.stage[at..], &self.shared.secrets());
    }

    /// A text message sent, credentials masked (into the ring at once).
    pub fn sent(&mut self, msg: &[u8]) {
        self.stage_record(RecordKind::Sent, crate::time::now_ns(), msg.len());
        let at = self.stage.len();
        self.stage.extend_from_slice(msg);
        mask(&mut self.stage[at..], &self.shared.secrets());
        self.flush();
    }

    /// A connection event with its tag and description (into the ring at once).
    pub fn event(&mut self, tag: EventTag, what: std::fmt::Arguments<'_>) {
        use std::io::Write;
        let head = self.stage.len();
        self.stage_record(RecordKind::Event, crate::time::now_ns(), 0);
        let at = self.stage.len();
        self.stage.push(tag as u8);
        let _ = self.stage.write_fmt(what);
        let len = (self.stage.len() - at) as u32;
        self.stage[head..head + 4].copy_from_slice(&len.to_le_bytes());
        self.flush();
    }

    /// Appends a record's header (payload of `len` bytes to follow), after
    /// flushing when the stage would pass its size.
    #[inline]
    fn stage_record(&mut self, kind: RecordKind, recv_ns: u64, len: usize) {
        if self.stage.len() + HEADER + len > STAGE && self.staged > 0 {
            self.flush();
        }
        let mut head = [0u8; HEADER];
        head[0..4].copy_from_slice(&(len.min(u32::MAX as usize) as u32).to_le_bytes());
        head[4] = kind as u8;
        head[5] = self.feed;
        head[6..8].copy_from_slice(&self.conn.to_le_bytes());
        head[8..16].copy_from_slice(&recv_ns.to_le_bytes());
        head[16..24].copy_from_slice(&self.shared.wall_offset_ns.to_le_bytes());
        self.stage.extend_from_slice(&head);
        self.staged += 1;
    }

    /// Puts the staged records into the ring (all, or, when it has no room,
    /// none: they are counted missed and a gap record will say so).
    #[inline]
    pub fn flush(&mut self) {
        if self.staged == 0 {
            return;
        }
        self.shared.put(&self.stage, self.staged);
        self.stage.clear();
        self.staged = 0;
    }
}

impl Drop for TapPort {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Replaces every occurrence of each secret in `buf` with `*`s.
fn mask(buf: &mut [u8], secrets: &[Vec<u8>]) {
    for s in secrets {
        let mut from = 0;
        while let Some(i) = memchr::memmem::find(&buf[from..], s) {
            let at = from + i;
            buf[at..at + s.len()].fill(b'*');
            from = at + s.len();
        }
    }
}

impl Shared {
    fn secrets(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.secrets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `records` records (their bytes, headers included) in one ring
    /// commit, after a gap record when records were missed; when the ring has
    /// no room for them all, counts them missed instead.
    fn put(&self, bytes: &[u8], records: u64) {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let w = &mut *guard;
        let pending = w.pending_gap;
        let gap = if pending > 0 { HEADER + 8 } else { 0 };
        let Ok(mut chunk) = w.producer.write_chunk(gap + bytes.len()) else {
            w.pending_gap += records;
            self.missed.fetch_add(records, Ordering::Relaxed);
            return;
        };
        let (a, b) = chunk.as_mut_slices();
        let mut out = Split { a, b, at: 0 };
        let mut written = records;
        if gap > 0 {
            let mut head = [0u8; HEADER];
            head[0..4].copy_from_slice(&8u32.to_le_bytes());
            head[4] = RecordKind::Gap as u8;
            head[5] = GAP_FEED;
            head[6..8].copy_from_slice(&GAP_CONN.to_le_bytes());
            // Stamped as the first record after it.
            head[8..16].copy_from_slice(bytes.get(8..16).unwrap_or(&[0; 8]));
            head[16..24].copy_from_slice(&self.wall_offset_ns.to_le_bytes());
            out.put(&head);
            out.put(&pending.to_le_bytes());
            written += 1;
        }
        out.put(bytes);
        chunk.commit_all();
        w.pending_gap = 0;
        self.written.fetch_add(written, Ordering::Relaxed);
    }
}

/// The two slices of a ring chunk, written as one.
struct Split<'a> {
    a: &'a mut [u8],
    b: &'a mut [u8],
    at: usize,
}

impl Split<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let mut bytes = bytes;
        if self.at < self.a.len() {
            let n = bytes.len().min(self.a.len() - self.at);
            self.a[self.at..self.at + n].copy_from_slice(&bytes[..n]);
            self.at += n;
            bytes = &bytes[n..];
        }
        if !bytes.is_empty() {
            let off = self.at - self.a.len();
            self.b[off..off + bytes.len()].copy_from_slice(bytes);
            self.at += bytes.len();
        }
    }
}

/// One record read back from the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TapRecord {
    /// What it is.
    pub kind: RecordKind,
    /// Feed code (the journal's `feed` column).
    pub feed: u8,
    /// Connection index within its feed.
    pub conn: u16,
    /// Receive (or send) time, monotonic ns ([`crate::now_ns`]).
    pub recv_mono_ns: u64,
    /// The same instant as Unix ns.
    pub recv_wall_ns: i64,
}

impl TapReader {
    /// Takes every record the ring holds now (at most `max_bytes` of them, but
    /// at least one), calling `f` with each and its payload; returns how many.
    /// One ring commit for them all.
    pub fn drain(&mut self, max_bytes: usize, mut f: impl FnMut(&TapRecord, &[u8])) -> usize {
        let c = &mut self.consumer;
        let avail = c.slots();
        if avail < HEADER {
            return 0;
        }
        let Ok(chunk) = c.read_chunk(avail) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        let at = |i: usize| if i < a.len() { a[i] } else { b[i - a.len()] };
        let mut pos = 0;
        let mut n = 0;
        while pos + HEADER <= avail && (n == 0 || pos < max_bytes) {
            let mut head = [0u8; HEADER];
            for (k, h) in head.iter_mut().enumerate() {
                *h = at(pos + k);
            }
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            if pos + HEADER + len > avail {
                break;
            }
            let start = pos + HEADER;
            let end = start + len;
            // The payload: borrowed from the ring, or put together when it
            // straddles the ring's end.
            let payload: &[u8] = if end <= a.len() {
                &a[start..end]
            } else if start >= a.len() {
                &b[start - a.len()..end - a.len()]
            } else {
                self.joined.clear();
                self.joined.extend_from_slice(&a[start..]);
                self.joined.extend_from_slice(&b[..end - a.len()]);
                &self.joined
            };
            let mono = u64::from_le_bytes(head[8..16].try_into().unwrap_or([0; 8]));
            let offset = i64::from_le_bytes(head[16..24].try_into().unwrap_or([0; 8]));
            let rec = TapRecord {
                kind: RecordKind::from_u8(head[4]).unwrap_or(RecordKind::Gap),
                feed: head[5],
                conn: u16::from_le_bytes([head[6], head[7]]),
                recv_mono_ns: mono,
                recv_wall_ns: (mono as i64).wrapping_add(offset),
            };
            f(&rec, payload);
            pos = end;
            n += 1;
        }
        chunk.commit(pos);
        n
    }

    /// Takes the next record, its payload copied into `payload` (cleared
    /// first); `None` when the ring is empty.
    #[cfg(test)]
    pub fn next(&mut self, payload: &mut Vec<u8>) -> Option<TapRecord> {
        let mut got = None;
        self.drain(0, |r, p| {
            payload.clear();
            payload.extend_from_slice(p);
            got = Some(r.clone());
        });
        got
    }

    /// Records the ring could not take, in all.
    pub fn missed(&self) -> u64 {
        self.shared.missed.load(Ordering::Relaxed)
    }

    /// Records written into the ring, in all (gap records included).
    #[cfg(test)]
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Whether every port is gone (the I/O thread has stopped).
    pub fn abandoned(&self) -> bool {
        self.consumer.is_abandoned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_across_the_ring_end_with_secrets_masked() {
        let (tap, mut r) = tap(4096, [b"SECRET-TOKEN".to_vec(), Vec::new()]);
        let mut port = tap.port(3, 1);
        let mut payload = Vec::new();
        // Enough rounds that records straddle the end of the ring.
        for round in 0..200u64 {
            let body = vec![round as u8; (round as usize * 7) % 300];
            port.binary(round, &body);
            port.text(round, b"{\"Token\":\"SECRET-TOKEN\",\"x\":1}");
            // The event flushes what was staged before it, in order.
            port.event(EventTag::Disconnected, format_args!("closed"));
            let a = r.next(&mut payload).unwrap();
            assert_eq!(
                (a.kind, a.feed, a.conn, a.recv_mono_ns),
                (RecordKind::Binary, 3, 1, round)
            );
            assert_eq!(payload, body);
            let b = r.next(&mut payload).unwrap();
            assert_eq!(b.kind, RecordKind::Text);
            assert_eq!(payload, b"{\"Token\":\"************\",\"x\":1}");
            let c = r.next(&mut payload).unwrap();
            assert_eq!(c.kind, RecordKind::Event);
            assert_eq!(payload[0], EventTag::Disconnected as u8);
            assert_eq!(&payload[1..], b"closed");
            assert!(r.next(&mut payload).is_none());
        }
        assert_eq!(r.missed(), 0);
        assert_eq!(r.written(), 600);
    }

    #[test]
    fn a_full_ring_counts_what_it_missed_and_says_so_in_a_gap_record() {
        let (tap, mut r) = tap(4096, []);
        let mut port = tap.port(0, 0);
        let big = vec![7u8; 1100];
        // Three fit (3 × 1,124 bytes of 4,096); the next five do not.
        for i in 0..8 {
            port.binary(i, &big);
            port.flush();
        }
        assert_eq!(r.missed(), 5);
        let mut payload = Vec::new();
        for _ in 0..3 {
            assert_eq!(r.next(&mut payload).unwrap().kind, RecordKind::Binary);
        }
        assert!(r.next(&mut payload).is_none());
        port.binary(9, b"after");
        port.flush();
        let g = r.next(&mut payload).unwrap();
        assert_eq!(g.kind, RecordKind::Gap);
        assert_eq!(u64::from_le_bytes(payload[..8].try_into().unwrap()), 5);
        let n = r.next(&mut payload).unwrap();
        assert_eq!((n.kind, n.recv_mono_ns), (RecordKind::Binary, 9));
        assert_eq!(payload, b"after");
    }

    #[test]
    fn wall_time_is_the_monotonic_time_plus_the_offset() {
        let (tap, mut r) = tap(4096, []);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        let mut port = tap.port(0, 0);
        port.binary(crate::time::now_ns(), b"x");
        port.flush();
        let rec = r.next(&mut Vec::new()).unwrap();
        assert!(
            (rec.recv_wall_ns - now).abs() < 1_000_000_000,
            "{rec:?} {now}"
        );
    }
}
