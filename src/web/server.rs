//! The web thread: one mio poll over the listening socket and every client, a
//! tick at the push interval that reads the feeds' state and sends each stream
//! its update. Nothing here blocks: a client that does not read has its bytes
//! queued up to a bound, then is dropped.

use super::config::WebConfig;
use super::conn::{Conn, Phase, ReadOutcome};
use super::http::{self, Parsed, Refusal, Route};
use super::state::PageState;
use super::stats::Shared;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const LISTENER: Token = Token(0);
pub(super) const WAKER: Token = Token(1);
/// Client `i` is `Token(FIRST + i)`.
const FIRST: usize = 2;

/// How long a refused or answered connection may keep sending before it is closed.
const DRAIN_FOR: Duration = Duration::from_secs(1);

const PAGE: &[u8] = include_bytes!("assets/index.html");
const APP_JS: &[u8] = include_bytes!("assets/app.js");
const STYLE: &[u8] = include_bytes!("assets/style.css");

pub(super) struct Server {
    pub poll: Poll,
    pub listener: TcpListener,
    pub cfg: WebConfig,
    pub page: PageState,
    pub shared: Arc<Shared>,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// This tick's update, framed as an event.
    frame: Vec<u8>,
    scratch: Vec<u8>,
    /// Connections refused with 503, read and dropped until they close (at most
    /// `REFUSING` at once; past that they are closed at once).
    refusing: Vec<(TcpStream, Instant)>,
}

/// The most refused connections kept until they close.
const REFUSING: usize = 256;

impl Server {
    pub(super) fn new(
        poll: Poll,
        listener: TcpListener,
        cfg: WebConfig,
        page: PageState,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            poll,
            listener,
            cfg,
            page,
            shared,
            conns: Vec::new(),
            free: Vec::new(),
            frame: Vec::with_capacity(16 * 1024),
            scratch: Vec::with_capacity(16 * 1024),
            refusing: Vec::new(),
        }
    }

    /// Serves until the handle asks it to stop.
    pub(super) fn run(mut self) {
        let mut events = Events::with_capacity(256);
        let mut next_tick = Instant::now();
        while !self.shared.stop.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= next_tick {
                self.tick(now);
                next_tick = now + self.cfg.push_interval;
                self.expire(now);
            }
            let wait = next_tick.saturating_duration_since(Instant::now());
            if let Err(e) = self.poll.poll(&mut events, Some(wait)) {
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                log::error!("dhan-feed web: poll failed ({e}); the page stops");
                break;
            }
            for ev in events.iter() {
                match ev.token() {
                    LISTENER => self.accept(),
                    WAKER => {}
                    Token(t) => self.on_client(t - FIRST, ev.is_readable(), ev.is_writable()),
                }
            }
        }
    }

    /// Takes every waiting connection; past `max_clients`, answers 503 and closes.
    fn accept(&mut self) {
        loop {
            let (sock, _) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of descriptors, or a connection gone before it was taken:
                    // the ones already served go on.
                    log::warn!("dhan-feed web: accept failed: {e}");
                    return;
                }
            };
            let open = self.shared.connections.load(Ordering::Relaxed);
            if open >= self.cfg.max_clients {
                self.shared.refused.fetch_add(1, Ordering::Relaxed);
                let mut sock = sock;
                refuse_busy(&mut sock);
                if self.refusing.len() < REFUSING {
                    self.refusing.push((sock, Instant::now() + DRAIN_FOR));
                }
                continue;
            }
            let i = self.free.pop().unwrap_or_else(|| {
                self.conns.push(None);
                self.conns.len() - 1
            });
            let mut conn = Conn::new(sock, Instant::now());
            if self
                .poll
                .registry()
                .register(
                    &mut conn.sock,
                    Token(FIRST + i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_err()
            {
                self.free.push(i);
                continue;
            }
            self.conns[i] = Some(conn);
            self.shared.connections.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn on_client(&mut self, i: usize, readable: bool, writable: bool) {
        let Some(Some(conn)) = self.conns.get_mut(i) else {
            return;
        };
        if readable {
            if let ReadOutcome::Closed = conn.read(self.cfg.max_request) {
                return self.close(i);
            }
            if conn.phase == Phase::Reading {
                let parsed = http::parse(&conn.head, self.cfg.max_request, !self.cfg.allow_remote);
                self.answer(i, parsed);
            }
        }
        let Some(Some(conn)) = self.conns.get_mut(i) else {
            return;
        };
        if (writable || conn.queued() > 0) && matches!(conn.flush(), ReadOutcome::Closed) {
            return self.close(i);
        }
        if matches!(conn.phase, Phase::Draining { .. }) && conn.queued() == 0 && readable {
            // The response is out and the client may have closed: a read says.
            if let ReadOutcome::Closed = conn.read(0) {
                self.close(i);
            }
        }
    }

    /// Queues the answer to a parsed head.
    fn answer(&mut self, i: usize, parsed: Parsed) {
        let now = Instant::now();
        let Some(Some(conn)) = self.conns.get_mut(i) else {
            return;
        };
        let draining = Phase::Draining {
            deadline: now + DRAIN_FOR,
        };
        match parsed {
            Parsed::Partial => {}
            Parsed::Refused(r) => {
                if !matches!(r, Refusal::NotFound) {
                    self.shared.bad_requests.fetch_add(1, Ordering::Relaxed);
                }
                conn.phase = draining;
                http::respond(
                    conn.out(),
                    r.status(),
                    "text/plain; charset=utf-8",
                    r.message().as_bytes(),
                    false,
                );
            }
            Parsed::Request { route, head_only } => {
                self.shared.served.fetch_add(1, Ordering::Relaxed);
                conn.phase = draining;
                let ok = (200, "OK");
                let json = "application/json";
                match route {
                    Route::Page => {
                        http::respond(conn.out(), ok, "text/html; charset=utf-8", PAGE, head_only)
                    }
                    Route::Asset(name) => {
                        let (ty, body) = match name {
                            "app.js" => ("text/javascript; charset=utf-8", APP_JS),
                            _ => ("text/css; charset=utf-8", STYLE),
                        };
                        http::respond(conn.out(), ok, ty, body, head_only)
                    }
                    Route::Favicon => {
                        http::respond(conn.out(), (204, "No Content"), "image/x-icon", b"", true)
                    }
                    Route::Health => {
                        self.scratch.clear();
                        let healthy = self.page.healthy(now);
                        self.scratch.extend_from_slice(if healthy {
                            b"{\"status\":\"ok\",\"feeds\":"
                        } else {
                            b"{\"status\":\"unavailable\",\"feeds\":"
                        });
                        self.page.feeds_json(now, &mut self.scratch);
                        self.shared.page_json(&mut self.scratch);
                        self.scratch.push(b'}');
                        let status = if healthy {
                            ok
                        } else {
                            (503, "Service Unavailable")
                        };
                        http::respond(conn.out(), status, json, &self.scratch, head_only)
                    }
                    Route::Subscriptions => {
                        self.scratch.clear();
                        self.page.subscriptions_json(&mut self.scratch);
                        http::respond(conn.out(), ok, json, &self.scratch, head_only)
                    }
                    Route::Snapshot => {
                        self.scratch.clear();
                        self.page.snapshot(now, &mut self.scratch);
                        http::respond(conn.out(), ok, json, &self.scratch, head_only)
                    }
                    Route::Events if head_only => {
                        http::respond(conn.out(), ok, "text/event-stream", b"", true)
                    }
                    Route::Events => {
                        conn.phase = Phase::Streaming;
                        conn.head = Vec::new();
                        self.shared.streams.fetch_add(1, Ordering::Relaxed);
                        self.scratch.clear();
                        self.scratch.extend_from_slice(http::STREAM_HEAD);
                        self.scratch.extend_from_slice(b"event: snapshot\ndata: ");
                        self.page.snapshot(now, &mut self.scratch);
                        self.scratch.extend_from_slice(b"\n\n");
                        conn.queue(&self.scratch);
                    }
                }
            }
        }
    }

    /// Reads the feeds' state and sends every stream its update; a stream whose
    /// queue would pass `client_buffer` is dropped.
    fn tick(&mut self, now: Instant) {
        self.scratch.clear();
        self.page.tick(now, &mut self.scratch);
        self.frame.clear();
        self.frame.extend_from_slice(b"event: update\ndata: ");
        self.frame.extend_from_slice(&self.scratch);
        self.frame.extend_from_slice(b"\n\n");
        for i in 0..self.conns.len() {
            let Some(conn) = self.conns[i].as_mut() else {
                continue;
            };
            if conn.phase != Phase::Streaming {
                continue;
            }
            if conn.queued() + self.frame.len() > self.cfg.client_buffer {
                self.shared.dropped_slow.fetch_add(1, Ordering::Relaxed);
                log::info!(
                    "dhan-feed web: dropped a client that stopped reading ({} bytes waiting)",
                    conn.queued()
                );
                self.close(i);
                continue;
            }
            conn.queue(&self.frame);
            if let ReadOutcome::Closed = conn.flush() {
                self.close(i);
            }
        }
    }

    /// Closes what waited too long: a head not complete within `request_timeout`
    /// (408), a drain past its deadline.
    fn expire(&mut self, now: Instant) {
        self.refusing
            .retain_mut(|(sock, deadline)| now < *deadline && !drained(sock));
        for i in 0..self.conns.len() {
            let Some(conn) = self.conns[i].as_mut() else {
                continue;
            };
            match conn.phase {
                Phase::Reading if now.duration_since(conn.opened) >= self.cfg.request_timeout => {
                    self.shared.bad_requests.fetch_add(1, Ordering::Relaxed);
                    conn.phase = Phase::Draining {
                        deadline: now + DRAIN_FOR,
                    };
                    http::respond(
                        conn.out(),
                        (408, "Request Timeout"),
                        "text/plain; charset=utf-8",
                        b"no complete request in time",
                        false,
                    );
                    if let ReadOutcome::Closed = conn.flush() {
                        self.close(i);
                    }
                }
                Phase::Draining { deadline } if now >= deadline => self.close(i),
                _ => {}
            }
        }
    }

    fn close(&mut self, i: usize) {
        if let Some(mut conn) = self.conns[i].take() {
            let _ = self.poll.registry().deregister(&mut conn.sock);
            if conn.phase == Phase::Streaming {
                self.shared.streams.fetch_sub(1, Ordering::Relaxed);
            }
            self.shared.connections.fetch_sub(1, Ordering::Relaxed);
            self.free.push(i);
        }
    }
}

/// Tells a client past the connection limit why, as far as its socket takes it
/// at once, and closes.
fn refuse_busy(sock: &mut TcpStream) {
    drained(sock);
    let mut out = Vec::with_capacity(512);
    http::respond(
        &mut out,
        (503, "Service Unavailable"),
        "text/plain; charset=utf-8",
        b"too many clients of this page; try again later",
        false,
    );
    let _ = sock.write(&out);
    let _ = sock.shutdown(std::net::Shutdown::Write);
}

/// Reads and drops what a socket holds; whether the client closed (or failed).
fn drained(sock: &mut TcpStream) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 4096];
    loop {
        match sock.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}
