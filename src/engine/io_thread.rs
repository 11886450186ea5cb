//! The one I/O thread: a mio poll over every socket, commands from any thread over
//! a channel plus a `Waker`, decode and publish into each consumer's ring. It never
//! waits on a consumer.

use super::aux::{self, Aux};
use super::budgets;
use super::dns::Dns;
use super::env::Env;
use super::fanout::{ConsumerSlot, Fanout, Route};
use super::port::{Command, EngineHandle, EngineStats, Fault, MAX_SHARDS};
use super::shard::{MAX_PER_SHARD, Shard};
use crate::config::{BaseUrl, ClientConfig};
use crate::event::{EngineStop, Refusal};
use crate::proto::endpoint::{FeedKind, request_target};
use crate::proto::segment::InstrumentId;
use crate::session::Budget;
use crate::transport::tls::{client_config, root_store};
use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Poll, Token, Waker};
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAKER: Token = Token(0);

/// Why the engine could not start (converted into [`crate::Error`] by the client).
#[derive(Debug, thiserror::Error)]
pub(crate) enum EngineError {
    /// The poller or thread could not be created.
    #[error("I/O thread: {0}")]
    Io(#[from] io::Error),
    /// The TLS configuration is unusable.
    #[error(transparent)]
    Tls(#[from] crate::transport::tls::TlsConfigError),
    /// The market-feed URL is not `ws://` or `wss://` (credentials in it are redacted).
    #[error("bad endpoint URL {0:?}")]
    BadUrl(String),
}

/// What to say when endpoints are plain `ws://`: the credentials in the request
/// target (and the order feed's login) would cross the network unencrypted.
/// Loopback (the simulator's plain mode) is not worth a warning.
fn plaintext_warning(bases: &[BaseUrl]) -> Option<String> {
    let plain: Vec<String> = bases
        .iter()
        .zip(FeedKind::ALL)
        .filter(|(b, _)| !b.tls && !is_loopback(&b.host))
        .map(|(b, k)| format!("{} ({})", k.label(), b.authority()))
        .collect();
    (!plain.is_empty()).then(|| {
        format!(
            "ws:// endpoint without TLS: the access token and client id travel in clear to {}; Dhan's endpoints are wss://",
            plain.join(", ")
        )
    })
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Starts the I/O thread.
pub(crate) fn spawn(
    cfg: ClientConfig,
    tap: Option<crate::tap::Tap>,
) -> Result<EngineHandle, EngineError> {
    let access_token = cfg.access_token.clone();
    // A URL may carry credentials if a user pasted Dhan's full one: redact it.
    let bases = FeedKind::ALL.map(|k| {
        let url = cfg.endpoints.of(k);
        BaseUrl::parse(url)
            .ok_or_else(|| EngineError::BadUrl(crate::proto::endpoint::redacted_target(url)))
    });
    let mut parsed = Vec::with_capacity(FeedKind::ALL.len());
    for b in bases {
        parsed.push(b?);
    }
    if let Some(w) = plaintext_warning(&parsed) {
        log::warn!("{w}");
    }
    let tls = if parsed.iter().any(|b| b.tls) {
        Some(client_config(root_store(
            &cfg.extra_roots,
            cfg.webpki_roots,
        )?)?)
    } else {
        None
    };
    let mut envs = parsed
        .into_iter()
        .zip(FeedKind::ALL)
        .map(|(base, kind)| Env {
            tls: if base.tls { tls.clone() } else { None },
            target: request_target(kind, &cfg.access_token, &cfg.client_id),
            base,
        });
    let envs: [Env; 5] = std::array::from_fn(|_| envs.next().expect("five endpoints"));
    let budget = budgets::for_user(&cfg.client_id, cfg.budget);
    let poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let (tx, rx) = crossbeam_channel::unbounded();
    let stats = Arc::new(EngineStats::default());
    let dns = Dns::new(cfg.resolver.clone(), tx.clone(), waker.clone());
    let engine = Engine {
        dns,
        cfg,
        envs,
        poll,
        rx,
        shards: Vec::new(),
        fan: Fanout::default(),
        stats: stats.clone(),
        budget,
        again: [false; MAX_SHARDS],
        aux: Vec::new(),
        aux_again: Vec::new(),
        fail_poll: false,
        tap,
    };
    let thread = std::thread::Builder::new()
        .name("dhan-feed-io".into())
        .spawn(move || run_to_the_end(engine))?;
    Ok(EngineHandle {
        token: std::sync::Mutex::new(access_token),
        tx,
        waker,
        stats,
        thread: Some(thread),
    })
}

struct Engine {
    /// Host lookups, off this thread.
    dns: Dns,
    cfg: ClientConfig,
    /// Per feed kind, in [`FeedKind::ALL`] order.
    envs: [Env; 5],
    poll: Poll,
    rx: Receiver<Command>,
    shards: Vec<Shard>,
    fan: Fanout,
    stats: Arc<EngineStats>,
    /// Shared with every client of the same user in this process.
    budget: Arc<Mutex<Budget>>,
    /// Shards that stopped reading with data left (see `Shard::on_ready`).
    again: [bool; MAX_SHARDS],
    /// Depth and order connections, by handle id (token `AUX_TOKEN_BASE + id`).
    aux: Vec<Option<aux::Aux>>,
    aux_again: Vec<bool>,
    /// Test hook ([`Fault::PollError`]): the next poll fails.
    fail_poll: bool,
    /// The recording tap every connection copies into, when recording.
    tap: Option<crate::tap::Tap>,
}

/// The I/O thread's body: runs the engine until it stops or dies, closes its
/// connections, and then records why in [`EngineStats::stop`], which every
/// handle reads: a panic or a poll error is never silent, and the process is
/// not aborted (unless it is built with `panic = "abort"`).
fn run_to_the_end(mut engine: Engine) {
    let stats = engine.stats.clone();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| engine.run()));
    let (stop, detail) = match outcome {
        Ok(Ok(())) => (EngineStop::Stopped, String::new()),
        Ok(Err(e)) => (
            EngineStop::PollFailed(e.kind()),
            format!("poll failed: {e}"),
        ),
        Err(panic) => (EngineStop::Panicked, panic_message(panic.as_ref())),
    };
    if stop.is_failure() {
        log::error!("the I/O thread died ({stop}): {detail}; every handle is told");
    }
    // Closing says goodbye on each socket and releases the budget's slots;
    // after a panic the engine's state may be inconsistent, so a second panic
    // here must not keep the handles from hearing of the first.
    let closed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(engine)));
    if closed.is_err() {
        log::error!("closing the connections after the I/O thread stopped panicked");
    }
    stats.live.store(0, Ordering::Relaxed);
    stats.stop.set((stop, detail));
}

/// The text of a panic's payload (`panic!` with a literal or a format).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

fn env_index(kind: FeedKind) -> usize {
    match kind {
        FeedKind::MarketFeed => 0,
        FeedKind::Depth20 => 1,
        FeedKind::Depth200 => 2,
        FeedKind::OrderUpdate => 3,
        FeedKind::GlobalStocks => 4,
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Also on a panic of the I/O thread: the process-wide budget must not keep
        // slots of connections that no longer exist.
        self.close_all();
    }
}

/// In busy-poll mode, one turn in this many asks epoll and does the
/// housekeeping; the others only read live sockets directly.
///
/// A message that arrives during a housekeeping turn waits for it to end, and
/// on the bench's loopback a message always arrives while the I/O thread is
/// off its core (the sender shares it), so it resumes at a random point of
/// its turn cycle: the share of the cycle spent housekeeping is a share of
/// messages delayed. Every 8th turn: median per-round gap over the raw floor
/// 1,316 / 1,052 / 1,024 ns; every 64th: 964 / 828 / 720 ns in the same three
/// alternating pairs; every 256th gained nothing more (BENCHMARKS.md).
/// At a few hundred ns a turn, commands and timers still run every 20-40 µs;
/// with one live connection, whose turn may retry empty reads ([`spin_reads`]),
/// about every 0.5 ms.
const EPOLL_EVERY: u32 = 64;

/// Empty reads a busy-polling engine's only live connection retries before its
/// turn ends (see [`spin_reads`]).
const SPIN_READS: u32 = 63;

/// How many empty reads a live connection retries in one turn: [`SPIN_READS`]
/// when the engine busy-polls and this is its only live connection, else none.
///
/// Why: after a message arrives the I/O thread resumes wherever it was, and the
/// engine loop around the read (every shard, every auxiliary feed, the poll's
/// events) is a longer path to the next read than a spinning reader's, with
/// more branches to mispredict after another thread had the core. Retrying in
/// place brought the socket read closer to the raw floor reader's: its lag
/// behind the floor (wire→socket read p50 over raw TCP p50) fell from a median
/// of 166-188 to 104-108 ns, and the gap over the floor from 486-532 to 426-438
/// ns, over twelve alternating `dhan-feed bench` pairs (six of them of a first,
/// inline version; BENCHMARKS.md). With several live connections
/// each keeps one read per turn, so none waits for another's spin. The cost: a
/// turn spins once (at its first empty read), so it takes up to
/// `READS_PER_TURN` plus 63 reads (about 7 µs when no message comes), and
/// housekeeping (commands, timers, backlogs) runs every 64 turns, about every
/// 0.5 ms, instead of every 20-40 µs.
fn spin_reads(busy_poll: bool, live: usize) -> u32 {
    if busy_poll && live == 1 {
        SPIN_READS
    } else {
        0
    }
}

impl Engine {
    fn close_all(&mut self) {
        for s in &mut self.shards {
            s.close(self.poll.registry(), &self.budget);
        }
        for a in self.aux.iter_mut().flatten() {
            a.link.close(self.poll.registry(), &self.budget);
        }
    }

    /// After [`close_all`](Self::close_all) on a stop: the handles' health and
    /// counters say what is now true (nothing live, so `connected()` is false).
    fn publish_stopped(&mut self) {
        for a in self.aux.iter_mut().flatten() {
            a.sync();
        }
        for c in self.fan.consumers.iter_mut().flatten() {
            c.sync();
        }
        self.stats.live.store(0, Ordering::Relaxed);
        for (s, h) in self.shards.iter().zip(&self.stats.shards) {
            s.sync_health(h);
        }
    }

    fn run(&mut self) -> io::Result<()> {
        thread_start(&self.cfg);
        let mut events = Events::with_capacity(256);
        let mut turn: u32 = 0;
        loop {
            turn = turn.wrapping_add(1);
            // A busy-poll turn that only reads (no poll, no housekeeping).
            let read_only = self.cfg.busy_poll && !turn.is_multiple_of(EPOLL_EVERY);
            if self.cfg.busy_poll {
                // Busy-poll: every turn tries every live socket directly, as a
                // spinning reader would (live sockets have left the poll: see
                // `Link::flush_out`). Every EPOLL_EVERY-th turn also polls, for
                // the rest: connects, handshakes, the waker.
                for (i, s) in self.shards.iter().enumerate() {
                    self.again[i] |= s.is_live();
                }
                for (i, a) in self.aux.iter().enumerate() {
                    if let Some(a) = a {
                        self.aux_again[i] |= a.link.is_live();
                    }
                }
            }
            if read_only {
                events.clear();
            } else {
                let again = self.again.iter().chain(&self.aux_again).any(|&a| a);
                let timeout = if self.cfg.busy_poll || again {
                    Some(Duration::ZERO)
                } else {
                    let now = Instant::now();
                    let next = self
                        .shards
                        .iter()
                        .filter_map(Shard::deadline)
                        .chain(self.aux.iter().flatten().filter_map(|a| a.link.deadline()))
                        .min();
                    Some(next.map_or(Duration::from_millis(250), |t| {
                        t.saturating_duration_since(now)
                            .min(Duration::from_millis(250))
                    }))
                };
                let polled = if self.fail_poll {
                    Err(io::Error::other("injected poll failure"))
                } else {
                    self.poll.poll(&mut events, timeout)
                };
                if let Err(e) = polled
                    && e.kind() != io::ErrorKind::Interrupted
                {
                    return Err(e);
                }
            }
            for ev in events.iter() {
                let t = ev.token();
                if t == WAKER {
                    continue;
                }
                if t.0 >= aux::AUX_TOKEN_BASE {
                    let i = t.0 - aux::AUX_TOKEN_BASE;
                    if let Some(Some(a)) = self.aux.get_mut(i) {
                        let env = &self.envs[env_index(a.feed_kind())];
                        self.aux_again[i] = a.on_ready(env, self.poll.registry(), &self.budget);
                    }
                } else if let Some(s) = self.shards.get_mut(t.0 - 1) {
                    self.again[s.index] = s.on_ready(
                        &self.envs[0],
                        self.poll.registry(),
                        &mut self.fan,
                        &self.budget,
                    );
                }
            }
            for (i, a) in self.aux.iter_mut().enumerate() {
                if let Some(a) = a
                    && self.aux_again[i]
                    && !events
                        .iter()
                        .any(|e| e.token().0 == aux::AUX_TOKEN_BASE + i)
                {
                    let env = &self.envs[env_index(a.feed_kind())];
                    self.aux_again[i] = a.on_ready(env, self.poll.registry(), &self.budget);
                }
            }
            // Sockets left readable last turn (read budget used up), if no event
            // came for them this turn.
            for (i, s) in self.shards.iter_mut().enumerate() {
                if self.again[i] && !events.iter().any(|e| e.token().0 == i + 1) {
                    self.again[i] = s.on_ready(
                        &self.envs[0],
                        self.poll.registry(),
                        &mut self.fan,
                        &self.budget,
                    );
                }
            }
            if read_only {
                // Busy-poll: the rest (commands, timers, subscriptions, backlogs,
                // stats) runs on the polling turns only, keeping the other turns
                // short: a message that arrives mid-turn waits for the turn to end.
                // Reads answer pings themselves (`Link::on_ready` writes what it
                // queued), so a pong waits at most for its own turn to end.
                continue;
            }
            if !self.commands() {
                self.close_all();
                self.publish_stopped();
                return Ok(());
            }
            let now = Instant::now();
            for (i, s) in self.shards.iter_mut().enumerate() {
                s.on_timer(
                    now,
                    &self.envs[0],
                    self.poll.registry(),
                    &mut self.fan,
                    &self.budget,
                    &mut self.dns,
                );
                s.send_subscriptions(&mut self.fan);
                if let Err(e) = s.flush_out(self.poll.registry()) {
                    log::warn!("market feed connection {}: write failed: {e}", s.index);
                }
                // A TLS write may have set incoming records aside: read them next turn.
                self.again[i] |= s.has_buffered_input();
            }
            for (i, a) in self.aux.iter_mut().enumerate() {
                let Some(a) = a else { continue };
                let env = &self.envs[env_index(a.feed_kind())];
                a.on_timer(now, env, self.poll.registry(), &self.budget, &mut self.dns);
                if let Err(e) = a.link.flush_out(self.poll.registry()) {
                    log::warn!(
                        "{} connection {}: write failed: {e}",
                        a.link.name,
                        a.link.index
                    );
                }
                self.aux_again[i] |= a.link.has_buffered_input();
                a.sync();
            }
            for c in self.fan.consumers.iter_mut().flatten() {
                if c.has_pending() {
                    c.flush_pending();
                }
                c.sync();
            }
            self.stats.open.store(
                self.shards.iter().filter(|s| s.count > 0).count(),
                Ordering::Relaxed,
            );
            self.stats.live.store(
                self.shards.iter().filter(|s| s.is_live()).count(),
                Ordering::Relaxed,
            );
            for (s, h) in self.shards.iter().zip(&self.stats.shards) {
                s.sync_health(h);
            }
            let live = self.shards.iter().filter(|s| s.is_live()).count()
                + self
                    .aux
                    .iter()
                    .flatten()
                    .filter(|a| a.link.is_live())
                    .count();
            let spin = spin_reads(self.cfg.busy_poll, live);
            for link in self
                .shards
                .iter_mut()
                .map(|s| &mut s.link)
                .chain(self.aux.iter_mut().flatten().map(|a| &mut a.link))
            {
                link.spin_reads = if link.is_live() { spin } else { 0 };
            }
        }
    }

    /// Applies every queued command; `false` on Stop (or when every handle is gone).
    fn commands(&mut self) -> bool {
        loop {
            let cmd = match self.rx.try_recv() {
                Ok(c) => c,
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            };
            match cmd {
                Command::Stop => return false,
                Command::Resolved { id, result } => self.resolved(id, result),
                Command::Fault(Fault::Panic) => panic!("injected fault: a panic on the I/O thread"),
                Command::Fault(Fault::PollError) => self.fail_poll = true,
                Command::ReplayStart => {}
                Command::SetAccessToken(token) => {
                    self.cfg.access_token = token;
                    for (env, kind) in self.envs.iter_mut().zip(FeedKind::ALL) {
                        env.target =
                            request_target(kind, &self.cfg.access_token, &self.cfg.client_id);
                    }
                    if let Some(t) = &self.tap {
                        t.add_secret(self.cfg.access_token.expose().as_bytes());
                    }
                    log::info!("access token replaced; stopped connections retry");
                    let now = Instant::now();
                    for s in &mut self.shards {
                        s.link.trace_for(&self.cfg);
                        s.link.driver.lc.on_new_credentials(now);
                    }
                    for a in self.aux.iter_mut().flatten() {
                        a.set_token(&self.cfg.access_token);
                        a.link.trace_for(&self.cfg);
                        a.link.driver.lc.on_new_credentials(now);
                    }
                }
                Command::AddAux { id, conn, shared } => {
                    let Some(kind) = aux::new_kind(&mut self.aux, id, conn, &shared, &self.cfg)
                    else {
                        continue;
                    };
                    let mut aux = Aux::new(kind, shared, id, &self.cfg);
                    aux.link.set_tap(self.tap.as_ref());
                    if self.aux.len() <= id {
                        self.aux.resize_with(id + 1, || None);
                        self.aux_again.resize(id + 1, false);
                    }
                    // The handle was built from the client's first configuration;
                    // the token may have been rotated since.
                    aux.set_token(&self.cfg.access_token);
                    self.aux[id] = Some(aux);
                }
                Command::SetDepthInstruments { id, instruments } => {
                    if let Some(Some(a)) = self.aux.get_mut(id) {
                        a.set_instruments(instruments, self.poll.registry(), &self.budget);
                    }
                }
                Command::SetGlobalInstruments { id, trade, ohlc } => {
                    if let Some(Some(a)) = self.aux.get_mut(id) {
                        a.set_global(trade, ohlc, self.poll.registry(), &self.budget);
                    }
                }
                Command::RemoveAux { id } => {
                    if let Some((i, mut a)) = aux::release(&mut self.aux, id) {
                        a.link.close(self.poll.registry(), &self.budget);
                        self.aux_again[i] = false;
                    }
                }
                Command::AddConsumer {
                    id,
                    mode,
                    overflow,
                    producer,
                    shared,
                    cache,
                } => {
                    let mut slot = ConsumerSlot::new(producer, mode, overflow, shared);
                    slot.cache = cache;
                    self.fan.add_consumer(id, slot);
                }
                Command::Subscribe { id, instruments } => self.subscribe(id, &instruments),
                Command::Unsubscribe { id, instruments } => self.unsubscribe(id, &instruments),
                Command::RemoveConsumer { id } => {
                    let all = self.fan.wanted_by(id);
                    self.unsubscribe(id, &all);
                    if let Some(slot) = self.fan.consumers.get_mut(id) {
                        *slot = None;
                    }
                }
            }
        }
    }

    /// Hands a lookup's answer to the connection that asked for it (none, if it
    /// gave up waiting or is gone).
    fn resolved(&mut self, id: u64, result: io::Result<Vec<std::net::SocketAddr>>) {
        let mut result = Some(result);
        let registry = self.poll.registry();
        for s in &mut self.shards {
            if s.on_resolved(
                id,
                &mut result,
                &self.envs[0],
                registry,
                &mut self.fan,
                &self.budget,
            ) {
                return;
            }
        }
        for a in self.aux.iter_mut().flatten() {
            let env = &self.envs[env_index(a.feed_kind())];
            if a.on_resolved(id, &mut result, env, registry, &self.budget) {
                return;
            }
        }
    }

    fn subscribe(&mut self, id: usize, instruments: &[InstrumentId]) {
        let Some(Some(consumer)) = self.fan.consumers.get(id) else {
            return;
        };
        let mode = consumer.mode;
        for &inst in instruments {
            if !inst.segment.is_known() {
                // Dhan's requests name the segment; a number without a name cannot be sent.
                log::warn!("{inst}: unknown exchange segment; not subscribed");
                self.refuse(id, inst, Refusal::UnknownSegment);
                continue;
            }
            if let Some(r) = self.fan.routes.get_mut(&inst) {
                match r.want.iter_mut().find(|(c, _)| *c == id) {
                    Some(w) => w.1 = mode,
                    None => r.want.push((id, mode)),
                }
                let shard = r.shard;
                self.shards[shard].mark_dirty(inst);
                continue;
            }
            let Some(shard) = self.shard_with_room() else {
                log::warn!(
                    "{inst}: every market-feed connection is full (5 x 5,000); not subscribed"
                );
                self.refuse(id, inst, Refusal::NoRoom);
                continue;
            };
            self.shards[shard].count += 1;
            self.shards[shard].mark_dirty(inst);
            self.fan.routes.insert(
                inst,
                Route {
                    shard,
                    want: vec![(id, mode)],
                    wire: None,
                    sent_before: false,
                    cache_hint: u32::MAX,
                },
            );
        }
    }

    fn refuse(&mut self, consumer: usize, inst: InstrumentId, reason: Refusal) {
        if let Some(Some(c)) = self.fan.consumers.get_mut(consumer) {
            c.publish_refusal(inst, reason);
        }
    }

    fn shard_with_room(&mut self) -> Option<usize> {
        if let Some(s) = self.shards.iter().position(|s| s.count < MAX_PER_SHARD) {
            return Some(s);
        }
        if self.shards.len() < MAX_SHARDS {
            let mut shard = Shard::new(self.shards.len(), &self.cfg);
            shard.link.set_tap(self.tap.as_ref());
            self.shards.push(shard);
            return Some(self.shards.len() - 1);
        }
        None
    }

    fn unsubscribe(&mut self, id: usize, instruments: &[InstrumentId]) {
        for &inst in instruments {
            let Some(r) = self.fan.routes.get_mut(&inst) else {
                continue;
            };
            r.want.retain(|&(c, _)| c != id);
            let shard = r.shard;
            if r.want.is_empty() {
                let wire = r.wire;
                self.fan.routes.remove(&inst);
                self.shards[shard].count -= 1;
                if let Some(w) = wire {
                    self.shards[shard].unsubscribe_gone(w, inst);
                }
            } else {
                self.shards[shard].mark_dirty(inst);
            }
        }
    }
}

/// What the thread that plays the I/O thread's part (live or replaying) does
/// first: the embedder's hook, then the pin, if asked (a failed pin is logged
/// and harmless).
pub(crate) fn thread_start(cfg: &ClientConfig) {
    if let Some(hook) = cfg.on_io_thread_start {
        hook();
    }
    if let Some(core) = cfg.pin_core {
        // A CoreId is built directly: get_core_ids() lists only the cores the
        // current mask allows, which a pinned parent thread would have narrowed.
        let pinned = core_affinity::set_for_current(core_affinity::CoreId { id: core });
        if !pinned {
            log::warn!("could not pin the I/O thread to core {core}; running unpinned");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Endpoints;

    #[test]
    fn only_a_busy_engines_one_live_connection_spins_on_empty_reads() {
        assert_eq!(spin_reads(true, 1), SPIN_READS);
        // Several live connections: each keeps one read per turn, so none waits
        // for another's spin.
        assert_eq!(spin_reads(true, 2), 0);
        assert_eq!(spin_reads(true, 6), 0);
        assert_eq!(spin_reads(true, 0), 0);
        // A blocking-poll engine waits in epoll, never on a socket.
        assert_eq!(spin_reads(false, 1), 0);
    }

    #[test]
    fn plain_ws_to_a_remote_host_is_warned_about_and_loopback_is_not() {
        let b = |u: &str| BaseUrl::parse(u).unwrap();
        let tls: [BaseUrl; 5] = std::array::from_fn(|_| b("wss://api-feed.dhan.co"));
        assert_eq!(plaintext_warning(&tls), None);
        let local = [
            b("ws://127.0.0.1:9000"),
            b("ws://localhost:9000"),
            b("ws://[::1]:9000"),
            b("wss://x"),
        ];
        assert_eq!(plaintext_warning(&local), None);
        let mut remote = tls.clone();
        remote[3] = b("ws://orders.example.com");
        let w = plaintext_warning(&remote).expect("a warning");
        assert!(w.contains("order updates (orders.example.com:80)"), "{w}");
        assert!(w.contains("in clear"), "{w}");
    }

    #[test]
    fn a_bad_url_error_does_not_echo_credentials() {
        let cfg = ClientConfig {
            endpoints: Endpoints::all(
                "wss://api-feed.dhan.co:badport?version=2&token=SECRET-T&clientId=1000000009",
            ),
            ..ClientConfig::default()
        };
        let err = spawn(cfg, None).err().expect("bad URL refused").to_string();
        assert!(err.contains("bad endpoint URL"), "{err}");
        assert!(
            !err.contains("SECRET-T") && !err.contains("1000000009"),
            "{err}"
        );
    }
}
