//! The daemon: one client (one login's connections), a market-feed handle per
//! consumer stream, each stream published over iceoryx2.

use super::services::{Iox, IpcError, market_service, requests_service};
use super::wire::{self, Reply, Request, Sample};
use crate::Client;
use crate::feed::MarketFeed;
use crate::proto::request::FeedMode;
use iceoryx2::identifiers::UniqueNodeId;
use iceoryx2::node::NodeState;
use iceoryx2::port::publisher::Publisher;
use iceoryx2::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the daemon asks iceoryx2's registry whether its consumers' nodes
/// still live.
const LIVENESS_EVERY: Duration = Duration::from_millis(250);

/// Events a stream takes from its handle per turn before the next stream's.
const PER_TURN: usize = 4096;

/// A running daemon; [`Daemon::stop`] ends it.
pub struct Daemon {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    name: String,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("name", &self.name)
            .field("streams", &self.streams())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    streams: AtomicUsize,
    published: AtomicU64,
    released: AtomicU64,
}

/// A daemon's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DaemonStats {
    /// Consumer streams open now.
    pub streams: usize,
    /// Samples published over all streams.
    pub published: u64,
    /// Streams closed because their consumer's node was dead or gone.
    pub released: u64,
}

/// One consumer stream: a node's events in one mode.
struct Stream {
    node: UniqueNodeId,
    mode: FeedMode,
    feed: MarketFeed,
    publisher: Publisher<Iox, Sample, ()>,
    seq: u64,
}

impl Daemon {
    /// Serves `client`'s market feed as `name` (iceoryx2 settings `config`:
    /// its root path and prefix isolate one set of daemons from another).
    /// Dead consumers' nodes are cleaned up first. Fails when the services
    /// cannot be created (another daemon serves `name`: a service holds one
    /// server).
    pub fn start(client: Client, name: &str, config: &Config) -> Result<Self, IpcError> {
        let shared = Arc::new(Shared::default());
        let (ready_tx, ready_rx) = crossbeam_channel::bounded(1);
        let (n, cfg, sh) = (name.to_owned(), config.clone(), shared.clone());
        let thread = std::thread::Builder::new()
            .name("dhan-feed-ipc".into())
            .spawn(move || {
                let mut d = match Serving::new(client, &n, &cfg, sh) {
                    Ok(d) => {
                        let _ = ready_tx.send(Ok(()));
                        d
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                d.run();
            })
            .map_err(|e| IpcError::Iceoryx(format!("daemon thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                shared,
                thread: Some(thread),
                name: name.to_owned(),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(IpcError::Iceoryx("the daemon thread ended at start".into())),
        }
    }

    /// Consumer streams open now.
    pub fn streams(&self) -> usize {
        self.shared.streams.load(Ordering::Relaxed)
    }

    /// Its counters now.
    pub fn stats(&self) -> DaemonStats {
        DaemonStats {
            streams: self.streams(),
            published: self.shared.published.load(Ordering::Relaxed),
            released: self.shared.released.load(Ordering::Relaxed),
        }
    }

    /// Stops serving (the client and its connections close); the final counters.
    pub fn stop(mut self) -> DaemonStats {
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

impl Drop for Daemon {
    fn drop(&mut self) {
        self.halt();
    }
}

/// What the daemon's thread owns.
struct Serving {
    client: Client,
    node: Node<Iox>,
    name: String,
    server: iceoryx2::port::server::Server<Iox, Request, (), Reply, ()>,
    streams: Vec<Stream>,
    shared: Arc<Shared>,
}

impl Serving {
    fn new(
        client: Client,
        name: &str,
        cfg: &Config,
        shared: Arc<Shared>,
    ) -> Result<Self, IpcError> {
        let node = NodeBuilder::new()
            .config(cfg)
            .create::<Iox>()
            .map_err(IpcError::iox)?;
        let _ = node.try_cleanup_dead_nodes();
        let server = requests_service(&node, name)?
            .server_builder()
            .create()
            .map_err(IpcError::iox)?;
        Ok(Self {
            client,
            node,
            name: name.to_owned(),
            server,
            streams: Vec::new(),
            shared,
        })
    }

    fn run(&mut self) {
        let mut checked = Instant::now();
        while !self.shared.stop.load(Ordering::Acquire) {
            let mut busy = self.requests();
            busy |= self.publish();
            if checked.elapsed() >= LIVENESS_EVERY {
                self.release_the_dead();
                checked = Instant::now();
            }
            if !busy {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
        self.client.disconnect_all();
    }

    /// Answers every waiting request; whether there was one.
    fn requests(&mut self) -> bool {
        let mut any = false;
        while let Ok(Some(active)) = self.server.receive() {
            any = true;
            let req = *active.payload();
            let reply = match self.apply(&req) {
                Ok(()) => Reply::ok(),
                Err(why) => Reply::refused(&why),
            };
            if let Err(e) = active.send_copy(reply) {
                log::warn!("ipc {}: a reply could not be sent: {e:?}", self.name);
            }
        }
        any
    }

    fn apply(&mut self, req: &Request) -> Result<(), String> {
        let mode = wire::mode_of(req.mode).ok_or_else(|| format!("unknown mode {}", req.mode))?;
        let ids = wire::ids_of(req);
        let i = match self
            .streams
            .iter()
            .position(|s| s.node == req.node && s.mode == mode)
        {
            Some(i) => i,
            None => {
                let service = market_service(&self.node, &self.name, &req.node, mode)
                    .map_err(|e| e.to_string())?;
                let publisher = service
                    .publisher_builder()
                    .create()
                    .map_err(|e| format!("{e:?}"))?;
                self.streams.push(Stream {
                    node: req.node,
                    mode,
                    feed: self.client.market_feed(mode),
                    publisher,
                    seq: 0,
                });
                self.shared
                    .streams
                    .store(self.streams.len(), Ordering::Relaxed);
                self.streams.len() - 1
            }
        };
        let feed = &mut self.streams[i].feed;
        match req.op {
            1 => feed.subscribe(&ids),
            2 => feed.unsubscribe(&ids),
            op => return Err(format!("unknown operation {op}")),
        }
        .map_err(|e| e.to_string())
    }

    /// Moves each stream's waiting events into its service; whether any moved.
    fn publish(&mut self) -> bool {
        let mut any = false;
        for s in &mut self.streams {
            for _ in 0..PER_TURN {
                let Some(ev) = s.feed.try_recv() else {
                    break;
                };
                s.seq += 1;
                let Some(sample) = wire::encode(&ev, s.seq) else {
                    s.seq -= 1;
                    continue;
                };
                // A subscriber that fell behind loses its oldest samples (the
                // consumer sees the skipped numbers); a send fails only when
                // the service is broken.
                if let Err(e) = s.publisher.send_copy(sample) {
                    log::warn!("ipc {}: a sample could not be published: {e:?}", self.name);
                }
                self.shared.published.fetch_add(1, Ordering::Relaxed);
                any = true;
            }
        }
        any
    }

    /// Closes the streams of consumer nodes that are dead or gone (their
    /// handles go, and with the last one an instrument is unsubscribed
    /// upstream); cleans up a dead node's resources.
    fn release_the_dead(&mut self) {
        let cfg = self.node.config().clone();
        let before = self.streams.len();
        self.streams.retain(|s| {
            match Node::<Iox>::state_of(&cfg, s.node) {
                Ok(Some(NodeState::Alive(_))) => true,
                Ok(Some(NodeState::Dead(view))) => {
                    let _ = view.try_remove_stale_resources();
                    false
                }
                Ok(None) => false,
                // Unknown (permissions, a registry being written): kept.
                _ => true,
            }
        });
        let gone = before - self.streams.len();
        if gone > 0 {
            self.shared
                .released
                .fetch_add(gone as u64, Ordering::Relaxed);
            self.shared
                .streams
                .store(self.streams.len(), Ordering::Relaxed);
        }
    }
}
