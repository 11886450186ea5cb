//! The replay thread: a journal's records delivered to the same handles the I/O
//! thread serves, through the same decoders and publish paths (market packets
//! through the fan-out, depth sides and order updates through each handle's
//! outbox), stamped with their recorded receive times, paced as recorded, N
//! times faster, or as fast as the handles take them. No socket: the
//! subscriptions decide who gets which instrument, as on a live feed.

use super::aux::{self, Aux};
use super::fanout::{ConsumerSlot, Fanout, Route};
use super::io_thread::EngineError;
use super::port::{Command, EngineHandle, EngineStats};
use crate::config::ClientConfig;
use crate::event::{ConnectionEvent, EngineStop};
use crate::proto::endpoint::FeedKind;
use crate::proto::market::{MarketPacket, Ticker};
use crate::session::SessionEvent;
use crate::session::lifecycle::Cause;
use crate::tap::{EventTag, RecordKind, TapRecord};
use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Poll, Token, Waker};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A journal's records, in order, each with its payload.
pub(crate) type Records = Box<dyn RecordSource>;

/// Where a replay's records come from (a journal's reader).
pub(crate) trait RecordSource: Send {
    /// The next record, its payload copied into `payload` (cleared first: no
    /// allocation once it is large enough); `None` at the end.
    fn next_into(&mut self, payload: &mut Vec<u8>) -> Option<TapRecord>;
}

/// How fast a replay goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    /// As recorded: each record when its recorded time comes round again.
    Original,
    /// `n` times as fast as recorded (an `n` that is not a positive finite
    /// number means [`Pacing::Max`]).
    Speed(f64),
    /// As fast as the handles take the records (a full ring waits: nothing is
    /// dropped for speed).
    Max,
}

impl Pacing {
    /// How many times as fast as recorded; `None` for as fast as possible
    /// (a speed that is not a positive finite number is that too).
    fn speed(self) -> Option<f64> {
        match self {
            Pacing::Original => Some(1.0),
            Pacing::Speed(n) if n > 0.0 && n.is_finite() => Some(n),
            _ => None,
        }
    }
}

const WAKER: Token = Token(0);

/// What the replay thread owns.
struct Replay {
    cfg: ClientConfig,
    rx: Receiver<Command>,
    poll: Poll,
    fan: Fanout,
    slot: MarketPacket,
    /// Depth, order and Global handles by id (their connections never open).
    aux: Vec<Option<Aux>>,
    stats: Arc<EngineStats>,
    records: Records,
    pacing: Pacing,
    started: bool,
    /// Records delivered, and gap records met (what the recording missed).
    delivered: u64,
    gaps: u64,
}

/// Starts the replay thread of `records`; the handles made from the client it
/// serves get nothing until [`Command::ReplayStart`].
pub(crate) fn spawn_replay(
    cfg: ClientConfig,
    records: Records,
    pacing: Pacing,
) -> Result<EngineHandle, EngineError> {
    let poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let (tx, rx) = crossbeam_channel::unbounded();
    let stats = Arc::new(EngineStats::default());
    let token = std::sync::Mutex::new(cfg.access_token.clone());
    let r = Replay {
        cfg,
        rx,
        poll,
        fan: Fanout::default(),
        slot: MarketPacket::Ticker(Ticker {
            id: crate::proto::segment::InstrumentId::new(
                crate::proto::segment::ExchangeSegment::NseEq,
                0,
            ),
            ltp: 0.0,
            ltt: crate::proto::market::Ltt(0),
        }),
        aux: Vec::new(),
        stats: stats.clone(),
        records,
        pacing: if pacing.speed().is_some() {
            pacing
        } else {
            Pacing::Max
        },
        started: false,
        delivered: 0,
        gaps: 0,
    };
    let thread = std::thread::Builder::new()
        .name("dhan-feed-replay".into())
        .spawn(move || run(r))?;
    Ok(EngineHandle {
        token,
        tx,
        waker,
        stats,
        thread: Some(thread),
    })
}

fn run(mut r: Replay) {
    let stats = r.stats.clone();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.run()));
    let stop = match outcome {
        Ok(true) => (EngineStop::ReplayEnded, String::new()),
        Ok(false) => (EngineStop::Stopped, String::new()),
        Err(_) => (
            EngineStop::Panicked,
            "the replay thread panicked".to_owned(),
        ),
    };
    if stop.0 == EngineStop::ReplayEnded {
        log::info!(
            "replay: {} records delivered, {} gap records in the journal",
            r.delivered,
            r.gaps
        );
    }
    stats.stop.set(stop);
}

impl Replay {
    /// Until the records end (`true`) or the client stops (`false`).
    fn run(&mut self) -> bool {
        super::io_thread::thread_start(&self.cfg);
        let mut events = Events::with_capacity(8);
        let mut next = None;
        let mut payload = Vec::new();
        // The replay's clock: the first record's time maps to the start.
        let mut origin: Option<(Instant, u64)> = None;
        // Commands are looked at after every wait and every 64 records between.
        let mut turn: u32 = 0;
        loop {
            if turn.is_multiple_of(64) && !self.commands() {
                return false;
            }
            turn = turn.wrapping_add(1);
            if !self.started {
                let _ = self.poll.poll(&mut events, Some(Duration::from_millis(50)));
                turn = 0;
                continue;
            }
            if next.is_none() {
                next = self.records.next_into(&mut payload);
            }
            let Some(rec) = next.take() else {
                self.sync();
                return true;
            };
            if let Some(speed) = self.pacing.speed() {
                let (t0, mono0) = *origin.get_or_insert_with(|| (Instant::now(), rec.recv_mono_ns));
                let since = Duration::from_nanos(rec.recv_mono_ns.saturating_sub(mono0));
                let due = t0 + since.div_f64(speed);
                let now = Instant::now();
                if now < due {
                    self.sync();
                    let wait = (due - now).min(Duration::from_millis(50));
                    let _ = self.poll.poll(&mut events, Some(wait));
                    next = Some(rec);
                    turn = 0;
                    continue;
                }
            }
            // As fast as the handles take them: wait while a ring is full.
            while self.pacing == Pacing::Max && self.backed_up() {
                self.sync();
                if !self.commands() {
                    return false;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            self.deliver(&rec, &payload);
            self.delivered += 1;
            if self.delivered.is_multiple_of(64) {
                self.sync();
            }
        }
    }

    /// Whether a handle's ring is nearly full (at `Pacing::Max`, the replay
    /// waits instead of dropping).
    fn backed_up(&mut self) -> bool {
        self.fan
            .consumers
            .iter_mut()
            .flatten()
            .any(|c| !c.producer.has_room_for(1024))
            || self.aux.iter_mut().flatten().any(Aux::backed_up)
    }

    /// One record to whoever wants it.
    fn deliver(&mut self, rec: &TapRecord, payload: &[u8]) {
        let feed = FeedKind::ALL.get(usize::from(rec.feed)).copied();
        match (rec.kind, feed) {
            (RecordKind::Binary, Some(FeedKind::MarketFeed)) => {
                // Paced, each record is a read of its own; as fast as
                // possible, the records run together like one long read
                // (stamped every `STAMP_EVERY` packets).
                if self.pacing != Pacing::Max {
                    self.fan.new_read();
                }
                let _ = self
                    .fan
                    .publish_message(payload, &mut self.slot, rec.recv_mono_ns);
            }
            (RecordKind::Binary | RecordKind::Text, Some(kind)) => {
                for a in self.aux.iter_mut().flatten() {
                    if a.feed_kind() == kind {
                        a.replay_message(rec.kind, payload, rec.recv_mono_ns);
                    }
                }
            }
            (RecordKind::Event, Some(kind)) => {
                let Some(event) = payload
                    .first()
                    .and_then(|&t| EventTag::from_u8(t))
                    .and_then(session_event)
                else {
                    return;
                };
                let ev = ConnectionEvent {
                    feed: kind,
                    connection: rec.conn.min(255) as u8,
                    event,
                };
                if kind == FeedKind::MarketFeed {
                    self.fan.connection_event(0, ev);
                } else {
                    for a in self.aux.iter_mut().flatten() {
                        if a.feed_kind() == kind {
                            a.push_event(ev);
                        }
                    }
                }
            }
            (RecordKind::Gap, _) => {
                self.gaps += 1;
                log::warn!(
                    "replay: the recording missed {} records here (its ring was full)",
                    payload
                        .get(..8)
                        .and_then(|b| b.try_into().ok())
                        .map_or(0, u64::from_le_bytes)
                );
            }
            _ => {}
        }
    }

    /// Publishes what waits and every handle's counters.
    fn sync(&mut self) {
        for c in self.fan.consumers.iter_mut().flatten() {
            if c.has_pending() {
                c.flush_pending();
            }
            c.sync();
        }
        for a in self.aux.iter_mut().flatten() {
            a.sync();
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
                Command::ReplayStart => self.started = true,
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
                Command::Subscribe { id, instruments } => {
                    let Some(Some(c)) = self.fan.consumers.get(id) else {
                        continue;
                    };
                    let mode = c.mode;
                    for inst in instruments {
                        let r = self.fan.routes.entry(inst).or_insert_with(|| Route {
                            shard: 0,
                            want: Vec::new(),
                            wire: Some(mode),
                            sent_before: true,
                            cache_hint: u32::MAX,
                        });
                        match r.want.iter_mut().find(|(c, _)| *c == id) {
                            Some(w) => w.1 = mode,
                            None => r.want.push((id, mode)),
                        }
                    }
                }
                Command::Unsubscribe { id, instruments } => self.unsubscribe(id, &instruments),
                Command::RemoveConsumer { id } => {
                    let all = self.fan.wanted_by(id);
                    self.unsubscribe(id, &all);
                    if let Some(slot) = self.fan.consumers.get_mut(id) {
                        *slot = None;
                    }
                }
                Command::AddAux { id, conn, shared } => {
                    let Some(kind) = aux::new_kind(&mut self.aux, id, conn, &shared, &self.cfg)
                    else {
                        continue;
                    };
                    if self.aux.len() <= id {
                        self.aux.resize_with(id + 1, || None);
                    }
                    self.aux[id] = Some(Aux::new(kind, shared, id, &self.cfg));
                }
                Command::RemoveAux { id } => {
                    let _ = aux::release(&mut self.aux, id);
                }
                // What a replay has no use for: no socket, no token, no lookup;
                // a depth or Global handle gets the sides of every instrument
                // recorded and keeps those it subscribed (its books filter).
                Command::SetAccessToken(_)
                | Command::SetDepthInstruments { .. }
                | Command::SetGlobalInstruments { .. }
                | Command::Resolved { .. }
                | Command::Fault(_) => {}
            }
        }
    }

    fn unsubscribe(&mut self, id: usize, instruments: &[crate::proto::segment::InstrumentId]) {
        for inst in instruments {
            if let Some(r) = self.fan.routes.get_mut(inst) {
                r.want.retain(|&(c, _)| c != id);
                if r.want.is_empty() {
                    self.fan.routes.remove(inst);
                }
            }
        }
    }
}

/// The connection event a recorded tag stands for (its details were not
/// recorded as values: the description is in the journal).
fn session_event(tag: EventTag) -> Option<SessionEvent> {
    Some(match tag {
        EventTag::Connected => SessionEvent::Connected,
        EventTag::Reconnected => SessionEvent::Reconnected {
            resubscribed: 0,
            downtime: Duration::ZERO,
        },
        EventTag::Disconnected => SessionEvent::Disconnected {
            code: None,
            reason: Cause::Eof,
        },
        EventTag::Reconnecting => SessionEvent::Reconnecting {
            attempt: 1,
            delay: Duration::ZERO,
            cause: Cause::Eof,
        },
        EventTag::Error => return None,
    })
}
