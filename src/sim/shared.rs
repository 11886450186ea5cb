//! State shared by the simulator's threads: live connections (for the connection
//! budget and fault injection), armed handshake faults, counters.

use super::config::SimConfig;
use super::fault::Fault;
use crate::proto::endpoint::FeedKind;
use crossbeam_channel::Sender;
use std::collections::VecDeque;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// A message from the control side to one connection thread.
#[derive(Debug, Clone)]
pub(crate) enum Control {
    Fault(Fault),
    /// An order-update JSON message to send (order feed only).
    Order(Arc<Vec<u8>>),
    /// A binary message to send on the order feed (which Dhan never does).
    OrderBinary(Arc<Vec<u8>>),
}

pub(crate) struct Entry {
    pub id: u64,
    pub kind: FeedKind,
    pub user: String,
    /// The access token it was opened with (none for a PARTNER login).
    pub token: Option<crate::Secret>,
    pub opened: Instant,
    pub mailbox: Sender<Control>,
}

/// Counters the simulator keeps.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub accepted: AtomicU64,
    pub refused: AtomicU64,
    pub messages: AtomicU64,
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    pub evicted: AtomicU64,
}

pub(crate) struct Shared {
    pub cfg: SimConfig,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub stopping: AtomicBool,
    pub conns: Mutex<Vec<Entry>>,
    /// Every accepted socket (registered or not), so `stop` can shut them down.
    pub sockets: Mutex<Vec<(u64, TcpStream)>>,
    pub armed: Mutex<VecDeque<Fault>>,
    pub next_id: AtomicU64,
    pub counters: Counters,
    pub orders_seen: AtomicU64,
    pub disconnect_requests: AtomicU64,
    /// Instruments a market connection opened from now on may carry (starts
    /// at `cfg.max_instruments_per_connection`).
    pub instrument_limit: std::sync::atomic::AtomicUsize,
    /// The access token accepted now (`cfg.access_token`, or the token file's).
    pub token: Mutex<crate::Secret>,
    /// Tokens renewed away (the latest 16): presenting one is 807, expired.
    pub retired: Mutex<VecDeque<crate::Secret>>,
    /// Every order's latest state, by order number: what `GET /v2/orders`
    /// serves. Orders change whether or not an order socket is connected.
    pub order_book: Mutex<std::collections::BTreeMap<u64, crate::proto::order::OrderUpdate>>,
    /// Order updates written to order sockets (one per socket reached).
    pub order_updates_sent: AtomicU64,
    /// `GET /v2/orders` requests answered with the book.
    pub order_book_requests: AtomicU64,
    /// No new periodic order lifecycles (those in flight finish).
    pub orders_stopped: AtomicBool,
}

/// Locks a mutex, recovering the data if a connection thread panicked while
/// holding it (the registry stays usable; the panicking connection is gone).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(cfg: SimConfig, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        Self {
            token: Mutex::new(cfg.access_token.clone()),
            retired: Mutex::new(VecDeque::new()),
            order_book: Mutex::new(std::collections::BTreeMap::new()),
            order_updates_sent: AtomicU64::new(0),
            order_book_requests: AtomicU64::new(0),
            orders_stopped: AtomicBool::new(false),
            instrument_limit: std::sync::atomic::AtomicUsize::new(
                cfg.max_instruments_per_connection,
            ),
            cfg,
            tls,
            stopping: AtomicBool::new(false),
            conns: Mutex::new(Vec::new()),
            sockets: Mutex::new(Vec::new()),
            armed: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
            counters: Counters::default(),
            orders_seen: AtomicU64::new(0),
            disconnect_requests: AtomicU64::new(0),
        }
    }

    /// Whether `token` was valid once and has been renewed away.
    pub fn is_retired(&self, token: &str) -> bool {
        lock(&self.retired).iter().any(|t| t.expose() == token)
    }

    /// The access token accepted now.
    pub fn valid_token(&self) -> crate::Secret {
        lock(&self.token).clone()
    }

    /// A new valid token: connections opened with another one are closed with
    /// 807 (token expired). Returns how many.
    pub fn renew_token(&self, token: crate::Secret) -> usize {
        let old = std::mem::replace(&mut *lock(&self.token), token.clone());
        let mut retired = lock(&self.retired);
        retired.retain(|t| *t != token);
        if retired.len() == 16 {
            retired.pop_front();
        }
        retired.push_back(old);
        drop(retired);
        let conns = lock(&self.conns);
        conns
            .iter()
            .filter(|e| e.token.as_ref().is_some_and(|t| *t != token))
            .filter(|e| {
                e.mailbox
                    .send(Control::Fault(Fault::Disconnect(
                        crate::proto::disconnect::DisconnectCode::ACCESS_TOKEN_EXPIRED.0,
                    )))
                    .is_ok()
            })
            .count()
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Registers a live connection; if the user now has more than the budget of
    /// this kind, the oldest is told to disconnect with 805.
    pub fn register(&self, entry: Entry) {
        let mut conns = lock(&self.conns);
        let (kind, user) = (entry.kind, entry.user.clone());
        conns.push(entry);
        let same: Vec<usize> = conns
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == kind && e.user == user)
            .map(|(i, _)| i)
            .collect();
        if same.len() > self.cfg.max_connections_per_feed
            && let Some(&oldest) = same.iter().min_by_key(|&&i| (conns[i].opened, conns[i].id))
        {
            let victim = conns.remove(oldest);
            self.counters.evicted.fetch_add(1, Ordering::Relaxed);
            log::info!(
                "sim: {} connection {} evicted with 805 (a sixth opened)",
                kind,
                victim.id
            );
            let _ = victim.mailbox.send(Control::Fault(Fault::Disconnect(805)));
        }
    }

    pub fn unregister(&self, id: u64) {
        lock(&self.conns).retain(|e| e.id != id);
    }

    pub fn take_armed(&self) -> Option<Fault> {
        lock(&self.armed).pop_front()
    }

    /// Injects `fault` into live connections of `kind` (all kinds if `None`), or
    /// arms it for the next handshake. Returns how many connections it reached.
    pub fn inject(&self, kind: Option<FeedKind>, fault: Fault) -> usize {
        if fault.is_handshake() {
            lock(&self.armed).push_back(fault);
            return 0;
        }
        let conns = lock(&self.conns);
        conns
            .iter()
            .filter(|e| kind.is_none_or(|k| k == e.kind))
            .filter(|e| e.mailbox.send(Control::Fault(fault)).is_ok())
            .count()
    }

    /// Sends an order-update message to every logged-in order socket.
    pub fn broadcast_order(&self, json: Vec<u8>) -> usize {
        let msg = Arc::new(json);
        self.to_order_sockets(|| Control::Order(msg.clone()))
    }

    /// Sends `bytes` as a binary message to every order socket.
    pub fn broadcast_order_binary(&self, bytes: Vec<u8>) -> usize {
        let msg = Arc::new(bytes);
        self.to_order_sockets(|| Control::OrderBinary(msg.clone()))
    }

    fn to_order_sockets(&self, control: impl Fn() -> Control) -> usize {
        let conns = lock(&self.conns);
        conns
            .iter()
            .filter(|e| e.kind == FeedKind::OrderUpdate)
            .filter(|e| e.mailbox.send(control()).is_ok())
            .count()
    }

    pub fn live(&self, kind: FeedKind) -> usize {
        lock(&self.conns).iter().filter(|e| e.kind == kind).count()
    }
}
