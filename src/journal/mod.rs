//! The journal (`journal` feature): every WebSocket message a client receives,
//! every request it sends and every connection event, recorded byte for byte
//! with its receive time into Arrow IPC stream files, off the hot path.
//!
//! The I/O thread copies each record into a preallocated byte ring (it never
//! blocks and allocates nothing for it); a recorder thread writes the ring out
//! in batches of [`JournalConfig::batch_rows`], at least every
//! [`JournalConfig::flush_every`], each handed to the OS as it is written: a
//! recorder killed with SIGKILL leaves a file that reads back up to its last
//! complete batch. When the recorder falls behind and the ring is full, what it
//! could not take is counted and a gap record says how many records were
//! missed. Credentials (client id, access token — a rotated one too —, partner
//! id and secret) are masked with `*` wherever they appear in text: the order
//! feed's login is recorded with them masked.
//!
//! # Format
//!
//! An Arrow IPC stream (`arrow_ipc::reader::StreamReader`, pyarrow's
//! `pa.ipc.open_stream`, polars' `read_ipc_stream`), one row per record:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `recv_mono_ns` | u64 | when the I/O thread read (or sent) it: the client's monotonic clock, [`crate::now_ns`] |
//! | `recv_wall_ns` | i64 | the same instant as Unix ns |
//! | `conn` | u16 | the connection: market shard 0–4, or the depth/order/Global handle's id |
//! | `feed` | u8 | 0 market feed, 1 depth 20, 2 depth 200, 3 order updates, 4 Global Stocks; 255 a gap |
//! | `kind` | u8 | [`RecordKind`]: 0 binary received, 1 text received, 2 text sent, 3 connection event, 4 gap |
//! | `payload` | binary | the message; for an event a tag byte ([`EventTag`]) then its description; for a gap the count missed (u64 LE) |
//!
//! The schema's metadata holds `dhan_feed.journal.version` (this build writes
//! and reads [`JOURNAL_VERSION`]; another version is refused with
//! [`JournalError::Version`]). Files rotate by size or age: `PATH`, `PATH.1`,
//! `PATH.2`, …; [`JournalReader`] reads them in turn.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use dhan_feed::journal::{self, JournalConfig, JournalReader};
//! let (client, recorder) = journal::record(
//!     dhan_feed::ClientConfig::from_env()?,
//!     JournalConfig::new("today.arrows"),
//! )?;
//! let mut feed = client.market_feed(dhan_feed::FeedMode::Full);
//! feed.subscribe(&["NSE_EQ:2885".parse()?])?;
//! // … the strategy runs …
//! drop(feed);
//! drop(client); // the I/O thread stops; the recorder then writes what is left
//! let stats = recorder.stop();
//! println!("{} records, {} missed", stats.records, stats.missed);
//! for r in JournalReader::open("today.arrows")? {
//!     println!("{} {:?} {} bytes", r.recv_wall_ns, r.kind, r.payload.len());
//! }
//! # Ok(()) }
//! ```

mod config;
#[cfg(feature = "parquet")]
mod export;
mod reader;
mod record;
mod schema;
mod writer;

pub use crate::engine::Pacing;
pub use crate::tap::{EventTag, RecordKind};
pub use config::{JournalConfig, JournalStats};
#[cfg(feature = "parquet")]
pub use export::{ExportStats, export_parquet};
pub use reader::{Damage, JournalReader};
pub use record::{JournalError, Record, RecordRef};
pub use schema::JOURNAL_VERSION;
pub(crate) use writer::to_bytes;

use crate::Client;
use crate::config::ClientConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

/// A running recorder; [`Recorder::stop`] writes what is left and ends it.
pub struct Recorder {
    shared: Arc<writer::Shared>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Its counters now.
    pub fn stats(&self) -> JournalStats {
        self.shared
            .stats
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The journal's first file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes what the ring holds and ends the journal's file with its
    /// end-of-stream marker; the final counters. Stop it after the client
    /// (dropping the client ends the I/O thread; the recorder then drains
    /// everything it recorded).
    pub fn stop(mut self) -> JournalStats {
        self.halt();
        self.stats()
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.halt();
    }
}

/// A client (as [`Client::new`]) whose every connection is recorded into the
/// journal `jcfg` describes, and its recorder. The journal's first file is
/// created here: a path that cannot be written fails now.
pub fn record(cfg: ClientConfig, jcfg: JournalConfig) -> Result<(Client, Recorder), crate::Error> {
    let first = writer::first(&jcfg).map_err(JournalError::Start)?;
    let (tap, reader) = crate::tap::tap(jcfg.ring_bytes, []);
    let shared = Arc::new(writer::Shared::default());
    shared.stats.lock().unwrap_or_else(|e| e.into_inner()).files = 1;
    let client = Client::with_tap(cfg, Some(tap))?;
    let s = shared.clone();
    let path = jcfg.path.clone();
    let thread = std::thread::Builder::new()
        .name("dhan-feed-journal".into())
        .spawn(move || writer::run(reader, jcfg, Some(first), &s))
        .map_err(|e| JournalError::Start(format!("the recorder thread: {e}")))?;
    Ok((
        client,
        Recorder {
            shared,
            thread: Some(thread),
            path,
        },
    ))
}

/// A journal being replayed: a [`Client`] whose handles — market, depth,
/// order feeds, the same types as live — receive the recorded messages,
/// decoded and published as they were, with their recorded receive times.
/// Make the handles and subscribe, then [`Replay::start`].
///
/// What differs from live: there is no socket (a handle's health shows no live
/// connection; subscribing never fails for want of room), connection events
/// are the recorded ones with their details left out, and a depth or Global
/// handle receives every recorded side of its feed kind (its books keep the
/// instruments it subscribed). The order tracker and the depth books rebuild
/// exactly, being built from the same messages. At the end every handle
/// returns its `EngineStopped` event with [`crate::event::EngineStop::ReplayEnded`].
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use dhan_feed::journal::{self, Pacing};
/// use dhan_feed::{FeedEvent, FeedMode};
/// let replay = journal::replay("today.arrows", Pacing::Max)?;
/// let mut feed = replay.client().market_feed(FeedMode::Quote);
/// feed.subscribe(&["NSE_EQ:2885".parse()?])?;
/// replay.start()?;
/// while let Some(ev) = feed.recv_timeout(std::time::Duration::from_secs(5)) {
///     match ev {
///         FeedEvent::Market(m) => println!("{:?} read at {}", m.packet, m.recv_ns),
///         FeedEvent::EngineStopped(_) => break,
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Replay {
    client: Client,
}

impl Replay {
    /// The client to make handles from (as a live one).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Starts the records flowing to the handles made so far.
    pub fn start(&self) -> Result<(), crate::Error> {
        self.client.replay_start()
    }
}

/// Replays the journal at `path` (its rotated files too), paced by `pacing`,
/// with default handle settings.
pub fn replay(path: impl AsRef<Path>, pacing: Pacing) -> Result<Replay, crate::Error> {
    replay_with(path, pacing, ClientConfig::default())
}

/// As [`replay`], with `cfg`'s ring capacities, overflow policy and order
/// tracker settings (its endpoints and credentials are not used; the order
/// book is never fetched).
pub fn replay_with(
    path: impl AsRef<Path>,
    pacing: Pacing,
    cfg: ClientConfig,
) -> Result<Replay, crate::Error> {
    let reader = JournalReader::open(path)?;
    let cfg = ClientConfig {
        order_book: crate::config::OrderBookSource::None,
        ..cfg
    };
    let client = Client::replaying(cfg, Box::new(Records(reader)), pacing)?;
    Ok(Replay { client })
}

/// A reader's records as the replay thread takes them; damage is logged
/// where it ends the replay early.
struct Records(JournalReader);

impl crate::engine::RecordSource for Records {
    fn next_into(&mut self, payload: &mut Vec<u8>) -> Option<crate::tap::TapRecord> {
        let Some(r) = self.0.next_ref() else {
            if let Some(d) = self.0.damage() {
                log::warn!("replay: the journal is damaged; it ends here: {d}");
            }
            return None;
        };
        payload.clear();
        payload.extend_from_slice(r.payload);
        Some(crate::tap::TapRecord {
            kind: r.kind,
            feed: r.feed,
            conn: r.conn,
            recv_mono_ns: r.recv_mono_ns,
            recv_wall_ns: r.recv_wall_ns,
        })
    }
}
