//! One simulated connection: upgrade and routing, authentication, the connection
//! budget, keepalive, fault handling, and the feed's data. One thread each.

use super::depth::DepthLogic;
use super::fault::Fault;
use super::flow::Flow;
use super::global::GlobalLogic;
use super::market::MarketLogic;
use super::orders::OrderLogic;
use super::out::Out;
use super::shared::{Control, Entry, Shared, lock};
use super::stream::Stream;
use crate::proto::depth::DepthKind;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::endpoint::{FeedKind, Route, RouteError, route, route_global};
use crate::ws::frame::{MAX_HEADER_LEN, Opcode, write_header};
use rustls::{ServerConnection, StreamOwned};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Message, WebSocket};

enum Logic {
    Market(MarketLogic),
    Depth(DepthLogic),
    Orders(OrderLogic),
    Global(GlobalLogic),
}

/// How long an order socket may stay without a valid login.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest sleep of an idle connection loop (bounds reaction time to requests).
const IDLE_WAIT: Duration = Duration::from_millis(5);
/// Updates produced per loop iteration at most (one socket write each).
const BATCH: u64 = 4096;

fn http_error(status: u16, text: &str) -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(text.to_owned()));
    *r.status_mut() = tungstenite::http::StatusCode::from_u16(status)
        .unwrap_or(tungstenite::http::StatusCode::BAD_REQUEST);
    r
}

/// Serves one accepted TCP connection until it ends; `global`: it came in on
/// the Global Stocks listener.
pub(crate) fn serve(tcp: TcpStream, shared: Arc<Shared>, id: u64, global: bool) {
    match serve_inner(tcp, &shared, id, global) {
        Ok(()) => {}
        Err(e) => log::debug!("sim: connection {id} ended: {e}"),
    }
    shared.unregister(id);
    lock(&shared.sockets).retain(|(i, _)| *i != id);
}

#[allow(clippy::result_large_err)] // tungstenite's callback type fixes the error type
fn serve_inner(tcp: TcpStream, shared: &Arc<Shared>, id: u64, global: bool) -> io::Result<()> {
    let route: fn(&str) -> Result<Route, RouteError> = if global { route_global } else { route };
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let ctl = tcp.try_clone()?;
    let stream = match &shared.tls {
        Some(cfg) => {
            let conn = ServerConnection::new(cfg.clone()).map_err(io::Error::other)?;
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
        }
        None => Stream::Plain(tcp),
    };
    let armed = shared.take_armed();
    let target = RefCell::new(String::new());
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let t = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        *target.borrow_mut() = t;
        match armed {
            Some(Fault::Http429) => return Err(http_error(429, "Too Many Requests")),
            Some(Fault::Http(s)) => return Err(http_error(s, "refused by the simulator")),
            Some(Fault::SlowHandshake(d)) => std::thread::sleep(d),
            _ => {}
        }
        if route(&target.borrow()).is_err() {
            return Err(http_error(404, "Not Found"));
        }
        Ok(resp)
    };
    // A small read buffer: tungstenite zero-fills the whole buffer (128 KiB by
    // default) before every read, and the sender polls its client for requests
    // before every send, so the default cost a 128 KiB memset per send, on the
    // core the client's I/O thread shares in `dhan-feed bench` (perf: 17 % of
    // the sender's time). Requests are small; a large one takes several reads.
    let ws_cfg = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20));
    let ws = match tungstenite::accept_hdr_with_config(stream, callback, Some(ws_cfg)) {
        Ok(ws) => ws,
        Err(e) => {
            shared.counters.refused.fetch_add(1, Ordering::Relaxed);
            log::debug!("sim: upgrade refused on connection {id}: {e}");
            return Ok(());
        }
    };
    let target = target.into_inner();
    let Ok(route) = route(&target) else {
        return Ok(());
    };
    shared.counters.accepted.fetch_add(1, Ordering::Relaxed);
    Session::new(ws, ctl, shared.clone(), id, route).run()
}

fn check_feed_auth(
    route: &Route,
    shared: &Shared,
    valid: &crate::Secret,
) -> Option<DisconnectCode> {
    let cfg = &shared.cfg;
    let token = route.token.as_ref().map(|t| t.expose());
    if token == Some(cfg.expired_token.expose()) || token.is_some_and(|t| shared.is_retired(t)) {
        return Some(DisconnectCode::ACCESS_TOKEN_EXPIRED);
    }
    if token != Some(valid.expose()) {
        return Some(DisconnectCode::ACCESS_TOKEN_INVALID);
    }
    if route.client_id.as_ref().map(|c| c.expose()) != Some(cfg.client_id.expose()) {
        // The Python SDK prints 808 as "Invalid Client ID"; DhanHQ-py #23 saw it so.
        return Some(DisconnectCode::AUTHENTICATION_FAILED);
    }
    None
}

struct Session {
    ws: WebSocket<Stream>,
    ctl: TcpStream,
    shared: Arc<Shared>,
    id: u64,
    route: Route,
    kind: FeedKind,
    logic: Logic,
    out: Out,
    capture: Option<BufWriter<File>>,
    mailbox: crossbeam_channel::Receiver<Control>,
    mailbox_tx: Option<crossbeam_channel::Sender<Control>>,
    start: Instant,
    last_pong: Instant,
    next_ping: Instant,
    no_ping: bool,
    pace_start: Option<Instant>,
    emitted: u64,
    /// Replay mode: the framed batch and its message count.
    replay: Option<(Vec<u8>, u64)>,
}

/// How a session ends.
enum End {
    /// Send a close frame with this code and reason, then wait briefly for the reply.
    Close(u16, &'static str),
    /// Send Dhan's disconnect code (a packet, or a close frame on the order feed), then close.
    Disconnect(DisconnectCode),
    /// Drop the socket as it is (abrupt faults, or the peer is gone).
    Drop,
}

impl Session {
    fn new(
        ws: WebSocket<Stream>,
        ctl: TcpStream,
        shared: Arc<Shared>,
        id: u64,
        route: Route,
    ) -> Self {
        let cfg = &shared.cfg;
        let logic = match route.kind {
            FeedKind::MarketFeed => Logic::Market(MarketLogic::new(
                cfg.seed,
                shared
                    .instrument_limit
                    .load(std::sync::atomic::Ordering::Relaxed),
                cfg.universe.clone(),
                cfg.stamp,
            )),
            FeedKind::Depth20 => Logic::Depth(DepthLogic::new(DepthKind::Twenty, cfg.seed)),
            FeedKind::Depth200 => Logic::Depth(DepthLogic::new(DepthKind::TwoHundred, cfg.seed)),
            FeedKind::OrderUpdate => Logic::Orders(OrderLogic::new()),
            FeedKind::GlobalStocks => Logic::Global(GlobalLogic::new(cfg.seed)),
        };
        let capture = cfg.capture_dir.as_ref().and_then(|dir| {
            let path = dir.join(format!("{id}-{}.cap", route.kind.name()));
            File::create(&path)
                .map_err(|e| log::warn!("sim: cannot create {}: {e}", path.display()))
                .ok()
                .map(BufWriter::new)
        });
        let mut out = Out::default();
        if capture.is_some() {
            out.capture = Some(Vec::new());
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let now = Instant::now();
        Self {
            ws,
            ctl,
            id,
            kind: route.kind,
            route,
            logic,
            out,
            capture,
            mailbox: rx,
            mailbox_tx: Some(tx),
            start: now,
            last_pong: now,
            next_ping: now + shared.cfg.ping_interval,
            no_ping: false,
            pace_start: None,
            emitted: 0,
            replay: None,
            shared,
        }
    }

    fn register(&mut self, user: String, token: Option<crate::Secret>) {
        if let Some(tx) = self.mailbox_tx.take() {
            self.shared.register(Entry {
                id: self.id,
                kind: self.kind,
                user,
                token,
                opened: Instant::now(),
                mailbox: tx,
            });
        }
    }

    fn run(mut self) -> io::Result<()> {
        if self.kind != FeedKind::OrderUpdate {
            let valid = self.shared.valid_token();
            if let Some(code) = check_feed_auth(&self.route, &self.shared, &valid) {
                log::info!("sim: {} connection {} refused: {code}", self.kind, self.id);
                return self.finish(End::Disconnect(code));
            }
            let user = self.shared.cfg.client_id.expose().to_owned();
            self.register(user, Some(valid));
        }
        let end = match self.serve_loop() {
            Ok(end) => end,
            Err(e) => {
                log::debug!("sim: connection {} I/O ended: {e}", self.id);
                End::Drop
            }
        };
        self.finish(end)
    }

    fn serve_loop(&mut self) -> io::Result<End> {
        loop {
            if self.shared.stopping() {
                return Ok(End::Close(1001, "simulator stopping"));
            }
            if let Some(end) = self.handle_mailbox()? {
                return Ok(end);
            }
            if !self.no_ping
                && let Some(end) = self.read_client()?
            {
                return Ok(end);
            }
            let now = Instant::now();
            if let Logic::Orders(o) = &self.logic
                && o.logged_in.is_none()
                && now - self.start > LOGIN_TIMEOUT
            {
                return Ok(End::Close(1008, "no login message"));
            }
            if !self.no_ping {
                if now >= self.next_ping {
                    self.ws
                        .send(Message::Ping(Vec::new().into()))
                        .map_err(ws_io)?;
                    self.next_ping = now + self.shared.cfg.ping_interval;
                }
                if now - self.last_pong > self.shared.cfg.pong_timeout {
                    return Ok(End::Close(1011, "no pong within the keepalive timeout"));
                }
            }
            self.produce(now);
            if let Err(e) = self.write_out() {
                // A client that closed while we were writing may have said goodbye
                // first: read what it sent (a reset leaves it readable) before ending.
                let _ = self.read_available();
                return Err(e);
            }
            self.wait(Instant::now());
        }
    }

    fn rate(&self) -> Option<f64> {
        match &self.logic {
            Logic::Market(m) if m.has_work() => Some(self.shared.cfg.rate),
            Logic::Depth(d) if d.has_work() => Some(self.shared.cfg.depth_rate),
            Logic::Global(g) if g.has_work() => Some(self.shared.cfg.rate),
            _ => None,
        }
    }

    fn produce(&mut self, now: Instant) {
        let Some(rate) = self.rate() else {
            self.pace_start = None;
            return;
        };
        let start = *self.pace_start.get_or_insert_with(|| {
            self.emitted = 0;
            now
        });
        let due = if rate <= 0.0 {
            BATCH
        } else {
            let total = ((now - start).as_secs_f64() * rate) as u64;
            total.saturating_sub(self.emitted).min(BATCH)
        };
        if due == 0 {
            return;
        }
        // Replay mode: one generated batch, resent as is (the sender costs a copy).
        if rate <= 0.0 && self.shared.cfg.replay && matches!(self.logic, Logic::Market(_)) {
            if let Some((bytes, msgs)) = &self.replay {
                self.out.buf.extend_from_slice(bytes);
                self.out.messages += msgs;
                self.out.packets += msgs;
                self.emitted += msgs;
                return;
            }
            if let Logic::Market(m) = &mut self.logic {
                let before = self.out.buf.len();
                let made = m.produce(due, &mut self.out);
                if made == due {
                    self.replay = Some((self.out.buf[before..].to_vec(), made));
                }
                self.emitted += made;
            }
            return;
        }
        let made = match &mut self.logic {
            Logic::Market(m) => m.produce(due, &mut self.out),
            Logic::Depth(d) => (0..due).map(|_| d.produce(&mut self.out)).sum(),
            Logic::Global(g) => g.produce(due, &mut self.out),
            Logic::Orders(_) => 0,
        };
        self.emitted += made;
    }

    fn wait(&self, now: Instant) {
        let mut until = (now + IDLE_WAIT).min(self.next_ping);
        if let (Some(rate), Some(start)) = (self.rate(), self.pace_start) {
            if rate <= 0.0 {
                return;
            }
            let due = start + Duration::from_secs_f64((self.emitted + 1) as f64 / rate);
            until = until.min(due);
        }
        if until > now {
            std::thread::sleep(until - now);
        }
    }

    fn write_out(&mut self) -> io::Result<()> {
        if self.out.buf.is_empty() {
            return Ok(());
        }
        self.ws.flush().map_err(ws_io)?;
        let sock = self.ws.get_mut();
        sock.write_all(&self.out.buf)?;
        sock.flush()?;
        let c = &self.shared.counters;
        c.bytes
            .fetch_add(self.out.buf.len() as u64, Ordering::Relaxed);
        c.messages.fetch_add(self.out.messages, Ordering::Relaxed);
        c.packets.fetch_add(self.out.packets, Ordering::Relaxed);
        self.out.buf.clear();
        self.out.messages = 0;
        self.out.packets = 0;
        if let (Some(cap), Some(file)) = (self.out.capture.as_mut(), self.capture.as_mut()) {
            file.write_all(cap)?;
            file.flush()?;
            cap.clear();
        }
        Ok(())
    }

    fn handle_mailbox(&mut self) -> io::Result<Option<End>> {
        while let Ok(c) = self.mailbox.try_recv() {
            let fault = match c {
                Control::Order(msg) => {
                    self.out.text(&msg);
                    continue;
                }
                Control::OrderBinary(msg) => {
                    self.out.binary(&msg, 0);
                    continue;
                }
                Control::Fault(f) => f,
            };
            log::info!("sim: fault {fault} on {} connection {}", self.kind, self.id);
            match fault {
                Fault::Reset => {
                    let _ = socket2::SockRef::from(&self.ctl).set_linger(Some(Duration::ZERO));
                    return Ok(Some(End::Drop));
                }
                Fault::CloseNoFrame => {
                    self.write_out()?;
                    let _ = self.ctl.shutdown(Shutdown::Both);
                    return Ok(Some(End::Drop));
                }
                Fault::Stall => {
                    self.write_out()?;
                    self.stall();
                    return Ok(Some(End::Drop));
                }
                Fault::Disconnect(n) => return Ok(Some(End::Disconnect(DisconnectCode(n)))),
                Fault::Close(code) => return Ok(Some(End::Close(code, "closed by the server"))),
                Fault::MalformedFrame => {
                    self.write_out()?;
                    // A final frame with the reserved opcode 0x3: a protocol error.
                    self.raw(&[0x83, 0x02, 0xde, 0xad])?;
                    return Ok(Some(End::Drop));
                }
                Fault::OversizedFrame => {
                    self.write_out()?;
                    let mut h = [0u8; MAX_HEADER_LEN];
                    let n = write_header(true, Opcode::Binary, 1 << 40, None, &mut h);
                    self.raw(&h[..n])?;
                    self.raw(&[0u8; 64])?;
                    return Ok(Some(End::Drop));
                }
                Fault::Fragmented => self.out.fragmented = true,
                Fault::Stacked => self.out.stacked = true,
                Fault::NoPing => self.no_ping = true,
                Fault::MalformedPacket => self.malformed_packet(),
                Fault::LengthenedPacket => self.lengthened_packet(),
                Fault::Heartbeat => self.heartbeat(),
                Fault::Http429 | Fault::Http(_) | Fault::SlowHandshake(_) => {}
            }
        }
        Ok(None)
    }

    /// Queues one well-framed message with a damaged payload (see
    /// [`Fault::MalformedPacket`]).
    fn malformed_packet(&mut self) {
        match self.kind {
            FeedKind::MarketFeed => {
                let good = crate::proto::market_encode::ticker(
                    crate::proto::InstrumentId::new(crate::proto::ExchangeSegment::IdxI, 13),
                    100.0,
                    crate::proto::Ltt(0),
                );
                let good = crate::proto::market_encode::packet_bytes(&good);
                let mut msg = good.clone();
                let mut bad = good.clone();
                bad[1] = 12; // a ticker is 16 bytes: 12 cannot hold its fields
                bad.truncate(12);
                msg.extend_from_slice(&bad);
                // The packet after it still arrives: the bad one is skipped by
                // its (present) length.
                msg.extend_from_slice(&good);
                self.out.binary(&msg, 2);
            }
            FeedKind::Depth20 | FeedKind::Depth200 => {
                // Header: length 100 (a 20-level packet is 332), bid, NSE_EQ 2885.
                let mut msg = vec![0u8; 100];
                msg[..2].copy_from_slice(&100u16.to_le_bytes());
                msg[2] = 41;
                msg[3] = 1;
                msg[4..8].copy_from_slice(&2885u32.to_le_bytes());
                self.out.binary(&msg, 0);
            }
            FeedKind::OrderUpdate => self.out.text(br#"{"Type":"order_alert","Data":{"#),
            FeedKind::GlobalStocks => {
                use crate::proto::global::{GlobalData, GlobalPacket};
                let good = crate::proto::global_encode::global_packet_bytes(&GlobalPacket {
                    segment: super::global::SIM_GLOBAL_SEGMENT,
                    security_id: 1,
                    second_id: 0,
                    declared_len: 27,
                    data: GlobalData::Trade {
                        ltp: 100.0,
                        volume: 1,
                        ltt: 0,
                        lut: 0,
                    },
                });
                let mut msg = good.clone();
                let mut bad = good.clone();
                bad[9] = 15; // a trade is 27 bytes: 15 cannot hold its fields
                bad.truncate(15);
                msg.extend_from_slice(&bad);
                msg.extend_from_slice(&good);
                self.out.binary(&msg, 2);
            }
        }
    }

    /// A ticker of `IDX_I:13` at 101.0 that declares 4 bytes more than a ticker
    /// has (a field Dhan might add), on the market feed.
    fn lengthened_packet(&mut self) {
        if self.kind != FeedKind::MarketFeed {
            return;
        }
        let t = crate::proto::market_encode::ticker(
            crate::proto::InstrumentId::new(crate::proto::ExchangeSegment::IdxI, 13),
            101.0,
            crate::proto::Ltt(0),
        );
        let mut msg = crate::proto::market_encode::packet_bytes(&t);
        msg[1] = 20;
        msg.extend_from_slice(&[0xEE; 4]);
        self.out.binary(&msg, 1);
    }

    /// Code-0 packets on the market feed (see [`Fault::Heartbeat`]).
    fn heartbeat(&mut self) {
        if self.kind != FeedKind::MarketFeed {
            return;
        }
        let t = crate::proto::market_encode::ticker(
            crate::proto::InstrumentId::new(crate::proto::ExchangeSegment::IdxI, 13),
            102.0,
            crate::proto::Ltt(0),
        );
        let mut msg = vec![0u8; 8];
        msg.extend_from_slice(&crate::proto::market_encode::packet_bytes(&t));
        self.out.binary(&msg, 2);
        let mut alone = [0u8; 8];
        alone[1] = 8;
        self.out.binary(&alone, 0);
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.ws.flush().map_err(ws_io)?;
        let s = self.ws.get_mut();
        s.write_all(bytes)?;
        s.flush()
    }

    /// Keeps the socket open and silent until the peer leaves or the simulator stops.
    fn stall(&mut self) {
        let _ = self.ctl.set_read_timeout(Some(Duration::from_millis(50)));
        let mut sink = [0u8; 4096];
        while !self.shared.stopping() {
            match self.ctl.read(&mut sink) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return,
            }
        }
    }

    /// Reads every client message available now, without blocking.
    fn read_client(&mut self) -> io::Result<Option<End>> {
        self.ctl.set_nonblocking(true)?;
        let r = self.read_available();
        self.ctl.set_nonblocking(false)?;
        r
    }

    fn read_available(&mut self) -> io::Result<Option<End>> {
        loop {
            let msg = match self.ws.read() {
                Ok(m) => m,
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(None);
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Ok(Some(End::Drop));
                }
                Err(e) => {
                    log::debug!("sim: connection {} read error: {e}", self.id);
                    return Ok(Some(End::Drop));
                }
            };
            let flow = match msg {
                Message::Text(t) => match &mut self.logic {
                    Logic::Market(m) => m.on_text(t.as_bytes(), &mut self.out),
                    Logic::Depth(d) => d.on_text(t.as_bytes()),
                    Logic::Global(g) => g.on_text(t.as_bytes(), &mut self.out),
                    Logic::Orders(o) => {
                        o.on_text(t.as_bytes(), &self.shared.cfg, &self.shared.valid_token())
                    }
                },
                Message::Pong(_) => {
                    self.last_pong = Instant::now();
                    Flow::Continue
                }
                // Client binary frames (e.g. the Python SDK's legacy 83-byte
                // disconnect header) are ignored; pings are answered by tungstenite.
                Message::Binary(_) | Message::Ping(_) | Message::Frame(_) => Flow::Continue,
                Message::Close(_) => Flow::Continue,
            };
            match flow {
                Flow::Continue => {}
                Flow::LoggedIn => {
                    let (user, token) = match &self.logic {
                        Logic::Orders(o) => {
                            (o.logged_in.clone().unwrap_or_default(), o.token.clone())
                        }
                        _ => (String::new(), None),
                    };
                    self.shared.orders_seen.fetch_add(1, Ordering::Relaxed);
                    self.register(user, token);
                }
                Flow::Goodbye => {
                    self.shared
                        .disconnect_requests
                        .fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(End::Close(1000, "client requested disconnect")));
                }
                Flow::Disconnect(code) => return Ok(Some(End::Disconnect(code))),
                Flow::Refuse(reason) => return Ok(Some(End::Close(1008, reason))),
            }
        }
    }

    fn finish(mut self, end: End) -> io::Result<()> {
        self.shared.unregister(self.id);
        match end {
            End::Drop => Ok(()),
            End::Disconnect(code) => {
                let mut pkt = Vec::with_capacity(16);
                match self.kind {
                    FeedKind::MarketFeed => MarketLogic::disconnect_packet(code, &mut pkt),
                    FeedKind::Depth20 | FeedKind::Depth200 => {
                        DepthLogic::disconnect_packet(code, &mut pkt)
                    }
                    FeedKind::GlobalStocks => GlobalLogic::disconnect_packet(code, &mut pkt),
                    FeedKind::OrderUpdate => {}
                }
                if !pkt.is_empty() {
                    self.out.binary(&pkt, 1);
                    self.write_out()?;
                }
                self.close(1000, &format!("disconnect {}", code.0))
            }
            End::Close(code, reason) => self.close(code, reason),
        }
    }

    /// Sends a close frame and waits (briefly) for the peer's reply.
    fn close(&mut self, code: u16, reason: &str) -> io::Result<()> {
        let _ = self.write_out();
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_owned().into(),
        };
        if self.ws.close(Some(frame)).is_err() {
            return Ok(());
        }
        let _ = self.ws.flush();
        let _ = self.ctl.set_read_timeout(Some(Duration::from_millis(200)));
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline && !self.shared.stopping() {
            match self.ws.read() {
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        Ok(())
    }
}

fn ws_io(e: tungstenite::Error) -> io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}
