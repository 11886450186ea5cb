//! A non-blocking TCP connection, optionally wrapped in TLS: the only place that
//! moves bytes between a socket and the WebSocket layer.

pub use super::read_status::ReadStatus;
use super::tls_stream::{MAX_RECORD_PLAINTEXT, TlsStream};
use mio::net::TcpStream;
use rustls::client::UnbufferedClientConnection;
use std::io::{self, Read, Write};

/// A client byte stream: plain TCP or TLS over TCP.
#[derive(Debug)]
pub struct Transport {
    sock: TcpStream,
    tls: Option<Box<TlsStream>>,
    /// An error met after bytes were appended in the same read: reported by the
    /// next read, so the caller handles those bytes first.
    deferred: Option<io::Error>,
}

impl Transport {
    /// Wraps a connecting socket; `tls` is `Some` for `wss://`.
    pub fn new(sock: TcpStream, tls: Option<UnbufferedClientConnection>) -> Self {
        Self {
            sock,
            tls: tls.map(|c| Box::new(TlsStream::new(c))),
            deferred: None,
        }
    }

    /// The socket, for registration with the poller.
    pub fn socket(&mut self) -> &mut TcpStream {
        &mut self.sock
    }

    /// Whether a TLS handshake is still in progress (`false` for plain TCP).
    pub fn is_handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.is_handshaking())
    }

    /// Decrypted bytes set aside because they arrived while we were writing
    /// (0 for plain TCP); the next read returns them first.
    pub fn stashed(&self) -> usize {
        self.tls.as_ref().map_or(0, |t| t.stashed())
    }

    /// Whether a read would return something without touching the socket (TLS
    /// records set aside while writing, or a deferred error): read again even if
    /// no readiness event comes.
    pub fn has_buffered_input(&self) -> bool {
        self.deferred.is_some() || self.tls.as_ref().is_some_and(|t| t.has_buffered_input())
    }

    /// Whether TLS output waits for the socket.
    pub fn wants_write(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Free space [`Self::read_into`] needs in its buffer to make progress: one
    /// TLS record's plaintext (records are decrypted whole), or a byte.
    pub fn min_room(&self) -> usize {
        if self.tls.is_some() {
            MAX_RECORD_PLAINTEXT
        } else {
            1
        }
    }

    /// Reads what the socket has and appends the plaintext to `buf[*end..]`,
    /// advancing `*end`. Call again until `WouldBlock` (readiness is
    /// edge-triggered). Plain TCP returns after a read that did not fill what it
    /// asked for (the socket is then most likely empty), so the caller handles
    /// those bytes before the read that confirms it; TLS reads on to `WouldBlock`
    /// (returning early cost it ~10 % throughput in A/B runs). Stops early when
    /// `buf` has less than [`Self::min_room`] left. An error (a reset, a corrupt TLS record) that
    /// follows bytes read in the same call is returned by the next call, so that
    /// nothing received before it is lost.
    pub fn read_into(&mut self, buf: &mut [u8], end: &mut usize) -> io::Result<ReadStatus> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        let start = *end;
        let r = match &mut self.tls {
            Some(tls) => tls.read_into(&mut self.sock, buf, end),
            None => self.read_plain(buf, end),
        };
        match r {
            Err(e) if *end > start => {
                self.deferred = Some(e);
                Ok(ReadStatus::Data(*end - start))
            }
            r => r,
        }
    }

    fn read_plain(&mut self, buf: &mut [u8], end: &mut usize) -> io::Result<ReadStatus> {
        let start = *end;
        loop {
            if *end == buf.len() {
                return Ok(ReadStatus::Data(*end - start));
            }
            match self.sock.read(&mut buf[*end..]) {
                Ok(0) => return Ok(ReadStatus::data_or(*end - start, ReadStatus::Eof)),
                Ok(n) => {
                    let asked = buf.len() - *end;
                    *end += n;
                    if n < asked {
                        // The socket is most likely empty: hand the bytes over now;
                        // the caller's next read confirms it (WouldBlock).
                        return Ok(ReadStatus::Data(*end - start));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(ReadStatus::data_or(*end - start, ReadStatus::WouldBlock));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes plaintext; returns how much was taken (0: come back when the socket
    /// is writable). With TLS, up to 64 KiB of records wait in our buffer and
    /// [`Self::flush`] moves them to the socket, which makes room again: a large
    /// burst (5,000 instruments resubscribed) goes out in several rounds.
    pub fn write_plain(&mut self, data: &[u8]) -> io::Result<usize> {
        let r = match &mut self.tls {
            None => self.sock.write(data),
            Some(tls) => tls.write_plain(data),
        };
        match r {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Sends buffered TLS records until the socket would block.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.tls {
            Some(tls) => tls.flush(&mut self.sock),
            None => Ok(()),
        }
    }
}
