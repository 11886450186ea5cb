//! A non-blocking TCP connection, optionally wrapped in rustls: the only place
//! that moves bytes between a socket and the WebSocket layer.

use mio::net::TcpStream;
use rustls::ClientConnection;
use std::io::{self, Read, Write};

/// What a read pass found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadStatus {
    /// Plaintext bytes were appended (and the socket may have more later).
    Data(usize),
    /// Nothing available now.
    WouldBlock,
    /// The peer closed the stream (after any bytes reported earlier).
    Eof,
}

/// A client byte stream: plain TCP or TLS over TCP.
#[derive(Debug)]
pub struct Transport {
    sock: TcpStream,
    tls: Option<Box<ClientConnection>>,
}

impl Transport {
    /// Wraps a connecting socket; `tls` is `Some` for `wss://`.
    pub fn new(sock: TcpStream, tls: Option<ClientConnection>) -> Self {
        Self {
            sock,
            tls: tls.map(Box::new),
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

    /// Whether rustls has records to send.
    pub fn wants_write(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Reads what the socket has (to `WouldBlock`) and appends the plaintext to
    /// `buf[*end..]`, advancing `*end`. Stops early when `buf` is full.
    pub fn read_into(&mut self, buf: &mut [u8], end: &mut usize) -> io::Result<ReadStatus> {
        let start = *end;
        match &mut self.tls {
            None => loop {
                if *end == buf.len() {
                    return Ok(ReadStatus::Data(*end - start));
                }
                match self.sock.read(&mut buf[*end..]) {
                    Ok(0) => return Ok(eof_or_data(start, *end)),
                    Ok(n) => *end += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        return Ok(data_or_block(start, *end));
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            },
            Some(tls) => {
                let mut eof = false;
                loop {
                    // Hand rustls's buffered plaintext over first.
                    loop {
                        if *end == buf.len() {
                            return Ok(ReadStatus::Data(*end - start));
                        }
                        match tls.reader().read(&mut buf[*end..]) {
                            Ok(0) => {
                                eof = true;
                                break;
                            }
                            Ok(n) => *end += n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            // A peer that drops TCP without close_notify: EOF.
                            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                                eof = true;
                                break;
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    if eof {
                        return Ok(eof_or_data(start, *end));
                    }
                    match tls.read_tls(&mut self.sock) {
                        Ok(0) => {
                            eof = true;
                            // Process what is left, then report.
                            tls.process_new_packets().map_err(io::Error::other)?;
                            continue;
                        }
                        Ok(_) => {
                            tls.process_new_packets().map_err(io::Error::other)?;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            // Drain plaintext once more, then stop.
                            let before = *end;
                            while *end < buf.len() {
                                match tls.reader().read(&mut buf[*end..]) {
                                    Ok(0) => return Ok(eof_or_data(start, *end)),
                                    Ok(n) => *end += n,
                                    Err(_) => break,
                                }
                            }
                            let _ = before;
                            return Ok(data_or_block(start, *end));
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    /// Writes plaintext; returns how much was taken (0: come back when the socket
    /// is writable). With TLS, rustls takes what fits its outgoing buffer (64 KiB
    /// by default) and [`Self::flush`] moves records to the socket, which makes
    /// room again: a large burst (5,000 instruments resubscribed) goes out in
    /// several rounds instead of failing.
    pub fn write_plain(&mut self, data: &[u8]) -> io::Result<usize> {
        let r = match &mut self.tls {
            None => self.sock.write(data),
            Some(tls) => tls.writer().write(data),
        };
        match r {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Sends buffered TLS records until the socket would block.
    pub fn flush(&mut self) -> io::Result<()> {
        if let Some(tls) = &mut self.tls {
            while tls.wants_write() {
                match tls.write_tls(&mut self.sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }
}

fn eof_or_data(start: usize, end: usize) -> ReadStatus {
    if end > start {
        // Report the data now; the next read reports EOF again.
        ReadStatus::Data(end - start)
    } else {
        ReadStatus::Eof
    }
}

fn data_or_block(start: usize, end: usize) -> ReadStatus {
    if end > start {
        ReadStatus::Data(end - start)
    } else {
        ReadStatus::WouldBlock
    }
}
