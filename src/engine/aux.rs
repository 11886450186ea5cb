//! Depth (20- and 200-level), order-update and Global Stocks connections: one [`Link`] each,
//! created per handle, publishing into the handle's ring through an [`Outbox`]; the one
//! order-update connection a user may have is shared by every order handle
//! ([`OrderTap`]).

use super::dns::Dns;
use super::env::Env;
use super::global_conn::GlobalConn;
use super::link::Link;
use super::outbox::Outbox;
use super::port::OutboxShared;
use crate::cache::DepthCacheWriter;
use crate::config::ClientConfig;
use crate::event::{
    ConnectionEvent, DepthItem, DepthSideUpdate, GlobalItem, MessageCounts, OrderFeedError,
    OrderItem,
};
use crate::proto::depth::{DepthKind, DepthPacket, depth_packets};
use crate::proto::endpoint::FeedKind;
use crate::proto::login::{Login, encode_login};
use crate::proto::order::{OrderMessageKind, OrderUpdate, OrderUpdateParser};
use crate::proto::request::{encode_depth20_subscribe, encode_depth200_subscribe};
use crate::proto::segment::InstrumentId;
use crate::session::Budget;
use crate::session::Proto;
use crate::session::lifecycle::Cause;
use crate::ws::client::WsClient;
use mio::{Registry, Token};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long after the order feed's login a refusal can come: Dhan answers a bad
/// login at once (the simulator within milliseconds); a 1008 close later than
/// this on a quiet feed is not a verdict on the credentials.
const LOGIN_VERDICT: Duration = Duration::from_secs(3);

/// First token of the depth and order connections (market shards use 1 to 5).
pub(crate) const AUX_TOKEN_BASE: usize = 16;

/// A depth connection of `N` levels.
pub(crate) struct DepthConn<const N: usize> {
    pub instruments: Vec<InstrumentId>,
    out: Outbox<DepthItem<N>>,
    /// The item being filled (3.2 KB for 200 levels: not on the stack per packet).
    item: Box<DepthSideUpdate<N>>,
    scratch: Vec<u8>,
    /// Messages with a malformed packet.
    malformed: u64,
    /// Packets longer than their levels need.
    extended: u64,
    /// The handle's depth cache, when it has one.
    cache: Option<DepthCacheWriter>,
}

/// One order handle's way in: Dhan allows one order-update connection per
/// user, so every handle of the client shares it, each with its own ring.
pub(crate) struct OrderTap {
    /// The handle's id.
    pub id: usize,
    pub out: Outbox<OrderItem>,
    pub shared: Arc<OutboxShared>,
}

/// An order-update connection.
pub(crate) struct OrderConn {
    login: Login,
    /// An update arrived since the latest login (so the login was accepted).
    accepted: bool,
    /// The handles it publishes to (at least one while it exists).
    taps: Vec<OrderTap>,
    parser: OrderUpdateParser,
    slot: Box<OrderUpdate>,
    scratch: Vec<u8>,
    /// Messages of another `Type` and binary frames: skipped, counted.
    ignored: u64,
}

pub(crate) enum AuxKind {
    Depth20(DepthConn<20>),
    Depth200(DepthConn<200>),
    Orders(Box<OrderConn>),
    Global(GlobalConn),
}

/// One depth or order connection.
pub(crate) struct Aux {
    pub link: Link,
    pub kind: AuxKind,
    pub shared: Arc<OutboxShared>,
}

const fn depth_kind(n: usize) -> DepthKind {
    if n == 20 {
        DepthKind::Twenty
    } else {
        DepthKind::TwoHundred
    }
}

impl<const N: usize> DepthConn<N> {
    pub fn new(out: Outbox<DepthItem<N>>, cache: Option<DepthCacheWriter>) -> Self {
        Self {
            cache,
            instruments: Vec::new(),
            out,
            item: Box::new(DepthSideUpdate::EMPTY),
            scratch: Vec::with_capacity(4096),
            malformed: 0,
            extended: 0,
        }
    }
}

impl<const N: usize> DepthConn<N> {
    fn counts(&self) -> MessageCounts {
        MessageCounts {
            malformed: self.malformed,
            extended: self.extended,
            ..MessageCounts::default()
        }
    }
}

impl<const N: usize> Proto for DepthConn<N> {
    fn on_upgraded(&mut self, ws: &mut WsClient) -> u32 {
        let r = match depth_kind(N) {
            DepthKind::Twenty => encode_depth20_subscribe(&self.instruments, &mut self.scratch),
            DepthKind::TwoHundred => match self.instruments.first() {
                Some(&id) => encode_depth200_subscribe(id, &mut self.scratch),
                None => return 0,
            },
        };
        match r {
            Ok(()) => {
                ws.send_text(&self.scratch);
                self.instruments.len() as u32
            }
            Err(e) => {
                log::warn!("depth subscription not sent: {e}");
                0
            }
        }
    }

    fn on_binary(&mut self, msg: &[u8], recv_ns: u64) -> Option<Cause> {
        let mut end = None;
        let mut bad = None;
        let mut it = depth_packets(depth_kind(N), msg);
        for p in it.by_ref() {
            match p {
                Ok(DepthPacket::Levels(levels)) => {
                    if let Some(c) = &self.cache {
                        c.write(&levels, recv_ns);
                    }
                    let item = &mut *self.item;
                    item.id = levels.id;
                    item.side = levels.side;
                    item.rows = levels.len().min(u16::MAX as usize) as u16;
                    levels.copy_into(&mut item.levels);
                    item.recv_ns = recv_ns;
                    self.out.push_data(recv_ns, || DepthItem::Side(*item));
                }
                Ok(DepthPacket::Disconnect(d)) => end = Some(Cause::Dhan(d.reason)),
                Ok(other) => log::debug!("depth: skipped {} packet", other.kind_name()),
                // Skipped (the walk goes on when its length can be trusted).
                Err(e) => bad = Some(e),
            }
        }
        self.extended += u64::from(it.extended());
        if let Some(e) = bad {
            self.malformed += 1;
            let rest = if it.ended_early() {
                "the rest of the message is skipped"
            } else {
                "that packet is skipped"
            };
            log::warn!("depth: {e}; {rest}");
        }
        end
    }
}

impl OrderConn {
    pub fn new(login: Login, tap: OrderTap) -> Self {
        Self {
            login,
            accepted: false,
            taps: vec![tap],
            parser: OrderUpdateParser::new(),
            slot: Box::default(),
            scratch: Vec::with_capacity(512),
            ignored: 0,
        }
    }
}

impl Proto for OrderConn {
    /// A policy-violation close (1008) soon after the login, before any message:
    /// Dhan (and the simulator) refused the login; retrying the same credentials
    /// cannot help. Later, a quiet account (no orders today) has simply heard
    /// nothing: its login stood, and a 1008 then is a close to recover from.
    fn close_cause(&self, code: Option<u16>, live_for: Duration) -> Option<Cause> {
        (code == Some(1008) && self.unconfirmed() && live_for < LOGIN_VERDICT)
            .then_some(Cause::LoginRefused)
    }

    fn on_upgraded(&mut self, ws: &mut WsClient) -> u32 {
        self.accepted = false;
        encode_login(&self.login, &mut self.scratch);
        ws.send_text(&self.scratch);
        1
    }

    fn on_binary(&mut self, msg: &[u8], _recv_ns: u64) -> Option<Cause> {
        self.on_binary_frame(msg.len());
        None
    }

    fn on_text(&mut self, msg: &[u8], recv_ns: u64) -> Option<Cause> {
        self.accepted = true;
        let taps = &mut self.taps;
        let ignored = &mut self.ignored;
        self.parser.parse_frame(msg, &mut self.slot, |r| match r {
            Ok((OrderMessageKind::Update, u)) => {
                for t in taps.iter_mut() {
                    t.out.push_data(recv_ns, || OrderItem::Update {
                        update: *u,
                        recv_ns,
                    });
                }
            }
            Ok((OrderMessageKind::Other(t), _)) => {
                *ignored += 1;
                log::debug!("order feed: message of type {:?} ignored", t.as_str());
            }
            Err(e) => {
                log::warn!("order feed: {e}");
                let err = OrderFeedError::malformed(&e.to_string());
                for t in taps.iter_mut() {
                    t.out.push_event(OrderItem::Error(err));
                }
            }
        });
        None
    }
}

impl OrderConn {
    /// A binary frame: the order feed speaks JSON text only.
    fn on_binary_frame(&mut self, len: usize) {
        self.accepted = true;
        self.ignored += 1;
        log::debug!("order feed: binary frame of {len} bytes ignored");
    }

    /// Every handle's outbox gets `item`.
    fn push_event(&mut self, item: OrderItem) {
        for t in &mut self.taps {
            t.out.push_event(item);
        }
    }

    /// Whether the connection is still waiting to see its login accepted.
    fn unconfirmed(&self) -> bool {
        !self.accepted
    }
}

impl Aux {
    pub fn new(kind: AuxKind, shared: Arc<OutboxShared>, id: usize, cfg: &ClientConfig) -> Self {
        let feed = match &kind {
            AuxKind::Depth20(_) => FeedKind::Depth20,
            AuxKind::Depth200(_) => FeedKind::Depth200,
            AuxKind::Orders(_) => FeedKind::OrderUpdate,
            AuxKind::Global(_) => FeedKind::GlobalStocks,
        };
        let mut aux = Self {
            link: Link::new(
                feed,
                id,
                Token(AUX_TOKEN_BASE + id),
                &cfg.lifecycle,
                cfg.limits,
                cfg.busy_poll,
            ),
            kind,
            shared,
        };
        aux.link.trace_for(cfg);
        aux
    }

    pub fn feed_kind(&self) -> FeedKind {
        self.link.driver.lc.kind()
    }

    fn wanted(&self) -> bool {
        match &self.kind {
            AuxKind::Depth20(d) => !d.instruments.is_empty(),
            AuxKind::Depth200(d) => !d.instruments.is_empty(),
            AuxKind::Orders(_) => true,
            AuxKind::Global(g) => g.wanted(),
        }
    }

    pub fn on_timer(
        &mut self,
        now: Instant,
        env: &Env,
        registry: &Registry,
        budget: &Mutex<Budget>,
        dns: &mut Dns,
    ) {
        let wanted = self.wanted();
        self.link.on_timer(now, wanted, env, registry, budget, dns);
        self.emit_events();
    }

    /// The answer to a lookup; `false` if it was not this connection's.
    pub fn on_resolved(
        &mut self,
        id: u64,
        result: &mut Option<io::Result<Vec<SocketAddr>>>,
        env: &Env,
        registry: &Registry,
        budget: &Mutex<Budget>,
    ) -> bool {
        if !self.link.waits_for(id) {
            return false;
        }
        if let Some(r) = result.take() {
            self.link.on_resolved(id, r, env, registry, budget);
        }
        self.emit_events();
        true
    }

    pub fn on_ready(&mut self, env: &Env, registry: &Registry, budget: &Mutex<Budget>) -> bool {
        let r = match &mut self.kind {
            AuxKind::Depth20(d) => self.link.on_ready(env, registry, budget, d),
            AuxKind::Depth200(d) => self.link.on_ready(env, registry, budget, d),
            AuxKind::Orders(o) => self.link.on_ready(env, registry, budget, &mut **o),
            AuxKind::Global(g) => self.link.on_ready(env, registry, budget, g),
        };
        self.emit_events();
        r.more
    }

    /// New instruments for a depth connection: reconnect with them (Dhan does not
    /// reliably honour depth unsubscribe).
    pub fn set_instruments(
        &mut self,
        ids: Vec<InstrumentId>,
        registry: &Registry,
        budget: &Mutex<Budget>,
    ) {
        match &mut self.kind {
            AuxKind::Depth20(d) => d.instruments = ids,
            AuxKind::Depth200(d) => d.instruments = ids,
            AuxKind::Orders(_) | AuxKind::Global(_) => return,
        }
        self.link.restart(registry, budget);
        self.emit_events();
    }

    /// A Global Stocks handle's new instruments: asked for on the live
    /// connection, or with the next upgrade; with none left, the connection
    /// closes (with the goodbye) and stays closed until there are some.
    pub fn set_global(
        &mut self,
        trade: Vec<u32>,
        ohlc: Vec<u32>,
        registry: &Registry,
        budget: &Mutex<Budget>,
    ) {
        let AuxKind::Global(g) = &mut self.kind else {
            return;
        };
        g.set(trade, ohlc, self.link.live_ws());
        if !g.wanted() {
            self.link.restart(registry, budget);
            self.emit_events();
        }
    }

    /// Another order handle of this client joins this order connection (Dhan
    /// allows one per user); it gets every update from now on and, when the
    /// connection is up, an `Open` first.
    pub fn add_order_tap(&mut self, mut tap: OrderTap) {
        let AuxKind::Orders(o) = &mut self.kind else {
            return;
        };
        if self.link.is_live() {
            tap.out.push_event(OrderItem::Connection(ConnectionEvent {
                feed: FeedKind::OrderUpdate,
                connection: self.link.index.min(255) as u8,
                event: crate::session::SessionEvent::Connected,
            }));
        }
        o.taps.push(tap);
    }

    /// Whether a ring of this connection's handles has little room left.
    #[cfg(feature = "journal")]
    pub fn backed_up(&mut self) -> bool {
        const LOW: usize = 16;
        match &mut self.kind {
            AuxKind::Depth20(d) => !d.out.has_room_for(LOW),
            AuxKind::Depth200(d) => !d.out.has_room_for(LOW),
            AuxKind::Global(g) => !g.out.has_room_for(LOW),
            AuxKind::Orders(o) => o.taps.iter_mut().any(|t| !t.out.has_room_for(LOW)),
        }
    }

    /// Whether handle `id` is one of this order connection's.
    pub fn has_order_tap(&self, id: usize) -> bool {
        matches!(&self.kind, AuxKind::Orders(o) if o.taps.iter().any(|t| t.id == id))
    }

    /// Handle `id` is gone: `true` when no handle is left on this connection
    /// (it should close).
    pub fn release(&mut self, id: usize) -> bool {
        match &mut self.kind {
            AuxKind::Orders(o) => {
                o.taps.retain(|t| t.id != id);
                o.taps.is_empty()
            }
            _ => true,
        }
    }

    /// Whether this is the order-update connection.
    pub fn is_orders(&self) -> bool {
        matches!(self.kind, AuxKind::Orders(_))
    }

    /// A new access token for the order feed's SELF login.
    pub fn set_token(&mut self, token: &crate::secret::Secret) {
        if let AuxKind::Orders(o) = &mut self.kind
            && let Login::SelfUser { token: t, .. } = &mut o.login
        {
            *t = token.clone();
        }
    }

    /// Forwards lifecycle events into the handle's ring; publishes counters.
    fn emit_events(&mut self) {
        while let Some(event) = self.link.driver.lc.poll_event() {
            self.link.on_event(&event);
            let ev = ConnectionEvent {
                feed: self.link.driver.lc.kind(),
                connection: self.link.index.min(255) as u8,
                event,
            };
            self.push_event(ev);
        }
    }

    /// A replayed message of this connection's feed (a journal's record), as
    /// if it had just been read, stamped `recv_ns`.
    #[cfg(feature = "journal")]
    pub fn replay_message(&mut self, kind: crate::tap::RecordKind, msg: &[u8], recv_ns: u64) {
        use crate::tap::RecordKind as K;
        let _ = match (&mut self.kind, kind) {
            (AuxKind::Depth20(d), K::Binary) => d.on_binary(msg, recv_ns),
            (AuxKind::Depth200(d), K::Binary) => d.on_binary(msg, recv_ns),
            (AuxKind::Orders(o), K::Text) => o.on_text(msg, recv_ns),
            (AuxKind::Orders(o), K::Binary) => o.on_binary(msg, recv_ns),
            (AuxKind::Global(g), K::Binary) => g.on_binary(msg, recv_ns),
            (AuxKind::Global(g), K::Text) => g.on_text(msg, recv_ns),
            _ => None,
        };
    }

    /// A connection event into the handle's ring (every order handle's).
    pub fn push_event(&mut self, ev: ConnectionEvent) {
        let event = ev.event;
        {
            match &mut self.kind {
                AuxKind::Depth20(d) => d.out.push_event(DepthItem::Connection(ev)),
                AuxKind::Depth200(d) => d.out.push_event(DepthItem::Connection(ev)),
                AuxKind::Global(g) => g.out.push_event(GlobalItem::Connection(ev)),
                AuxKind::Orders(o) => {
                    o.push_event(OrderItem::Connection(ev));
                    if let crate::session::SessionEvent::Reconnected { downtime, .. } = event {
                        let to_ns = crate::time::now_ns();
                        let down = u64::try_from(downtime.as_nanos()).unwrap_or(u64::MAX);
                        o.push_event(OrderItem::Outage {
                            from_ns: to_ns.saturating_sub(down),
                            to_ns,
                        });
                    }
                }
            }
        }
    }

    /// Once per engine turn: waiting events into the ring, counters, health.
    pub fn sync(&mut self) {
        match &mut self.kind {
            AuxKind::Depth20(d) => d.out.flush(&self.shared),
            AuxKind::Depth200(d) => d.out.flush(&self.shared),
            AuxKind::Orders(o) => {
                let wanted = true;
                let counts = MessageCounts {
                    ignored: o.ignored,
                    ..MessageCounts::default()
                };
                // Unparsable order messages arrive as `OrderEvent::Error`s.
                for t in &mut o.taps {
                    t.out.flush(&t.shared);
                    t.shared.health.store(&self.link.driver.lc, wanted, counts);
                }
                return;
            }
            AuxKind::Global(g) => g.out.flush(&self.shared),
        }
        let counts = match &self.kind {
            AuxKind::Depth20(d) => d.counts(),
            AuxKind::Depth200(d) => d.counts(),
            AuxKind::Global(g) => g.counts(),
            AuxKind::Orders(_) => return,
        };
        self.shared
            .health
            .store(&self.link.driver.lc, self.wanted(), counts);
    }
}

/// What a new depth, Global or order handle needs: its connection's kind, or
/// `None` when an order handle joined the order connection already there
/// (Dhan allows one a user).
pub(crate) fn new_kind(
    aux: &mut [Option<Aux>],
    id: usize,
    conn: super::port::NewConn,
    shared: &Arc<OutboxShared>,
    cfg: &ClientConfig,
) -> Option<AuxKind> {
    use super::port::NewConn;
    Some(match conn {
        NewConn::Depth20(p, cache) => AuxKind::Depth20(DepthConn::new(Outbox::new(p), cache)),
        NewConn::Depth200(p, cache) => AuxKind::Depth200(DepthConn::new(Outbox::new(p), cache)),
        NewConn::Global(p) => AuxKind::Global(GlobalConn::new(Outbox::new(p))),
        NewConn::Orders { login, producer } => {
            let spill = cfg.order_spill_bytes / std::mem::size_of::<OrderItem>();
            let tap = OrderTap {
                id,
                out: Outbox::with_spill(producer, spill),
                shared: shared.clone(),
            };
            if let Some(a) = aux.iter_mut().flatten().find(|a| a.is_orders()) {
                a.add_order_tap(tap);
                return None;
            }
            AuxKind::Orders(Box::new(OrderConn::new(login, tap)))
        }
    })
}

/// Handle `id` is gone: the connection it was on, taken out of `aux` with its
/// slot's index when no handle is left on it (the caller closes it). An order
/// handle may be on a connection another handle opened.
pub(crate) fn release(aux: &mut [Option<Aux>], id: usize) -> Option<(usize, Aux)> {
    let i = aux
        .iter()
        .position(|a| a.as_ref().is_some_and(|a| a.has_order_tap(id)))
        .unwrap_or(id);
    let slot = aux.get_mut(i)?;
    if slot.as_mut()?.release(id) {
        return slot.take().map(|a| (i, a));
    }
    None
}
