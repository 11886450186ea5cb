//! One browser's (or poller's) connection: its request bytes, the bytes queued
//! for it, and where it is in its life. Every socket call is non-blocking.

use mio::net::TcpStream;
use std::io::{ErrorKind, Read, Write};
use std::time::Instant;

/// Where a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Reading the request head (since `opened`).
    Reading,
    /// Receiving the event stream.
    Streaming,
    /// Its response is queued; once sent, the write side is shut and what the
    /// client still sends is read and dropped until it closes or `deadline`
    /// (closing with unread bytes would reset the connection and could lose
    /// the response).
    Draining { deadline: Instant },
}

/// What a read found.
pub(super) enum ReadOutcome {
    /// The socket has nothing more now.
    Open,
    /// The client closed, or the connection failed.
    Closed,
}

pub(super) struct Conn {
    pub sock: TcpStream,
    pub phase: Phase,
    pub opened: Instant,
    /// The request head read so far (Reading only).
    pub head: Vec<u8>,
    /// Bytes queued for the client; `out[sent..]` is still to go.
    out: Vec<u8>,
    sent: usize,
    /// The write side is shut (the response went out).
    shut: bool,
}

impl Conn {
    pub(super) fn new(sock: TcpStream, now: Instant) -> Self {
        Self {
            sock,
            phase: Phase::Reading,
            opened: now,
            head: Vec::new(),
            out: Vec::new(),
            sent: 0,
            shut: false,
        }
    }

    /// Bytes queued and not yet taken by the kernel.
    pub(super) fn queued(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Queues bytes (`flush` sends them).
    pub(super) fn queue(&mut self, bytes: &[u8]) {
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        } else if self.sent > self.out.len() / 2 {
            self.out.drain(..self.sent);
            self.sent = 0;
        }
        self.out.extend_from_slice(bytes);
    }

    /// The buffer a response is written into (after what is queued).
    pub(super) fn out(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// Reads what waits. While Reading, appends to `head` up to `limit + 1`
    /// bytes (more is left unread: the head is refused then); otherwise reads
    /// and drops.
    pub(super) fn read(&mut self, limit: usize) -> ReadOutcome {
        let mut buf = [0u8; 4096];
        loop {
            let room = if self.phase == Phase::Reading {
                (limit + 1).saturating_sub(self.head.len())
            } else {
                buf.len()
            };
            if room == 0 {
                return ReadOutcome::Open;
            }
            let want = room.min(buf.len());
            match self.sock.read(&mut buf[..want]) {
                Ok(0) => return ReadOutcome::Closed,
                Ok(n) => {
                    if self.phase == Phase::Reading {
                        self.head.extend_from_slice(&buf[..n]);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return ReadOutcome::Open,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return ReadOutcome::Closed,
            }
        }
    }

    /// Sends what is queued, as far as the socket takes it. `Closed` when the
    /// connection failed. A Draining connection whose response is out has its
    /// write side shut.
    pub(super) fn flush(&mut self) -> ReadOutcome {
        while self.sent < self.out.len() {
            match self.sock.write(&self.out[self.sent..]) {
                Ok(0) => return ReadOutcome::Closed,
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return ReadOutcome::Open,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return ReadOutcome::Closed,
            }
        }
        if matches!(self.phase, Phase::Draining { .. }) && !self.shut {
            self.shut = true;
            let _ = self.sock.shutdown(std::net::Shutdown::Write);
        }
        ReadOutcome::Open
    }
}
