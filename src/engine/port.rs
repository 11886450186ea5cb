//! The one door between the handles and the I/O thread: commands in (over a
//! channel plus the poll's `Waker`), and the shared state the I/O thread writes
//! for the handles to read (relaxed atomics, published once per engine turn).
//! Handles know nothing else of the engine; the engine knows nothing of them.

use crate::config::Overflow;
use crate::event::{DepthItem, EngineStop, FeedEvent, GlobalItem, OrderItem, ShardHealth};
use crate::proto::login::Login;
use crate::proto::request::FeedMode;
use crate::proto::segment::InstrumentId;
use crate::ring::Producer;
use crate::secret::Secret;
use crossbeam_channel::Sender;
use mio::Waker;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

/// The I/O thread no longer runs: a command could not be delivered (it becomes
/// [`crate::Error::Stopped`], or [`crate::Error::EngineFailed`] with the cause
/// and its detail when the thread died).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stopped(pub Option<(EngineStop, String)>);

/// A failure injected into the I/O thread, to test what handles see when it dies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Panic while handling the command.
    Panic,
    /// The next poll fails (as an `epoll_wait` error would).
    PollError,
}

/// Market-feed connections per user.
pub const MAX_SHARDS: usize = 5;

/// A new depth or order connection: its kind and the producer side of its
/// handle's ring.
pub(crate) enum NewConn {
    /// 20-level depth, with its cache if it has one.
    Depth20(
        Producer<DepthItem<20>>,
        Option<crate::cache::DepthCacheWriter>,
    ),
    /// 200-level depth, with its cache if it has one.
    Depth200(
        Producer<DepthItem<200>>,
        Option<crate::cache::DepthCacheWriter>,
    ),
    /// Global Stocks (US) feed.
    Global(Producer<GlobalItem>),
    /// Order updates, logging in with `login`.
    Orders {
        login: Login,
        producer: Producer<OrderItem>,
    },
}

/// A request to the I/O thread.
pub(crate) enum Command {
    AddConsumer {
        id: usize,
        mode: FeedMode,
        overflow: Overflow,
        producer: Producer<FeedEvent>,
        shared: Arc<ConsumerShared>,
        /// The consumer's last-value cache, when it has one.
        cache: Option<crate::cache::CacheWriter>,
    },
    Subscribe {
        id: usize,
        instruments: Vec<InstrumentId>,
    },
    Unsubscribe {
        id: usize,
        instruments: Vec<InstrumentId>,
    },
    RemoveConsumer {
        id: usize,
    },
    /// New access token: used by every later connection; connections stopped by a
    /// credential failure try again.
    SetAccessToken(Secret),
    /// A depth or order connection for a new handle.
    AddAux {
        id: usize,
        conn: NewConn,
        shared: Arc<OutboxShared>,
    },
    /// A depth handle's new instruments (the connection reconnects with them).
    SetDepthInstruments {
        id: usize,
        instruments: Vec<InstrumentId>,
    },
    /// A Global Stocks handle's instruments, per mode (asked for on the live
    /// connection at once).
    SetGlobalInstruments {
        id: usize,
        trade: Vec<u32>,
        ohlc: Vec<u32>,
    },
    /// A depth or order handle was dropped.
    RemoveAux {
        id: usize,
    },
    /// A resolver thread's answer to lookup `id` (see `engine::dns`).
    Resolved {
        id: u64,
        result: std::io::Result<Vec<std::net::SocketAddr>>,
    },
    /// Test hook (`internals::fault`): fail the way a bug or the OS might.
    Fault(Fault),
    /// A replay: start delivering the journal's records (the handles made
    /// before it are subscribed by then: commands are taken in order).
    #[cfg_attr(not(feature = "journal"), allow(dead_code))]
    ReplayStart,
    Stop,
}

/// Counters a consumer handle reads; written by the I/O thread.
#[derive(Debug, Default)]
pub(crate) struct ConsumerShared {
    pub published: AtomicU64,
    pub dropped: AtomicU64,
    pub rejected: AtomicU64,
    /// [`crate::time::now_ns`] of the latest publish (0: none yet).
    pub last_publish_ns: AtomicU64,
}

/// Counters the handle reads.
#[derive(Debug, Default)]
pub(crate) struct OutboxShared {
    pub published: AtomicU64,
    pub dropped: AtomicU64,
    /// Updates that waited in the spill for room in the ring.
    pub spilled: AtomicU64,
    /// State of the connection behind the handle, for `health()`.
    pub health: ShardHealth,
}

/// Engine-wide counters the handles read.
#[derive(Debug, Default)]
pub(crate) struct EngineStats {
    pub open: AtomicUsize,
    pub live: AtomicUsize,
    pub shards: [ShardHealth; MAX_SHARDS],
    /// Set once, when the I/O thread ends (after its last publish): why, and
    /// the detail of a failure (a panic's message, the poll error).
    pub stop: StopCell,
}

/// Why the I/O thread stopped, once it has. Every empty poll of every handle
/// reads it, so it sits alone in its cache lines: the counters beside it are
/// stored every engine turn, and sharing a line with them would make each
/// empty poll a cache miss (`ring→consumer` p50 rose by ~7 ns when it did).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct StopCell(OnceLock<(EngineStop, String)>);

impl StopCell {
    /// The record, once set.
    #[inline]
    pub fn get(&self) -> Option<&(EngineStop, String)> {
        self.0.get()
    }

    /// Records why (the first record stands).
    pub fn set(&self, stop: (EngineStop, String)) {
        let _ = self.0.set(stop);
    }
}

impl EngineStats {
    /// Why the I/O thread no longer runs, once it does not.
    #[inline]
    pub fn stopped(&self) -> Option<EngineStop> {
        self.stop.get().map(|s| s.0)
    }
}

/// The client's side of the I/O thread.
pub(crate) struct EngineHandle {
    /// The access token in use (as last sent to the engine), for REST calls
    /// made beside the feeds (the order book).
    pub token: std::sync::Mutex<Secret>,
    pub tx: Sender<Command>,
    pub waker: Arc<Waker>,
    pub stats: Arc<EngineStats>,
    pub(super) thread: Option<JoinHandle<()>>,
}

impl EngineHandle {
    /// Sends a command and wakes the I/O thread; [`Stopped`] when the I/O
    /// thread no longer runs (the command is dropped).
    pub fn send(&self, cmd: Command) -> Result<(), Stopped> {
        let gone = || Stopped(self.stats.stop.get().cloned());
        if self.stats.stop.get().is_some() {
            return Err(gone());
        }
        if let Command::SetAccessToken(t) = &cmd {
            *self.token.lock().unwrap_or_else(|p| p.into_inner()) = t.clone();
        }
        self.tx.send(cmd).map_err(|_| gone())?;
        // A failed wake means the poller is gone with the thread: the command
        // is then never read.
        self.waker.wake().map_err(|_| gone())
    }

    /// Why the I/O thread no longer runs, once it does not.
    #[inline]
    pub fn stopped(&self) -> Option<EngineStop> {
        self.stats.stopped()
    }

    /// Stops the I/O thread and joins it.
    pub fn stop(&mut self) {
        let _ = self.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.stop();
    }
}
