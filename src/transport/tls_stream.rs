//! The client side of TLS over a non-blocking socket, on rustls's unbuffered API.
//!
//! Why not `rustls::ClientConnection`: its reader grows its record buffer 4 KiB
//! per socket read (five `recv` calls and several reallocations per 16 KiB
//! record), and always decrypts a record at the same offset. On AMD Zen the
//! following copy then hits glibc's slow `rep movsb` case on every record (see
//! [`super::copy`]). Here, ciphertext is read in large blocks into our own buffer
//! and records are decrypted where they land; plaintext goes straight into the
//! caller's buffer. rustls 0.23 still copies each decrypted record once
//! (`AppDataRecord` borrows a per-record `Vec`).
//!
//! Writing needs rustls's `WriteTraffic` state, which it only reaches once every
//! complete incoming record has been handed out; records that arrive while we
//! write are kept in a stash, which the next read returns first (order is kept).

use super::copy::{copy_bytes, move_to_front};
use super::read_status::ReadStatus;
use rustls::client::UnbufferedClientConnection;
use rustls::unbuffered::{ConnectionState, EncodeError, EncryptError, UnbufferedStatus};
use std::io::{self, Read, Write};

/// Ciphertext read per socket read at most (about 16 TLS records).
const IN_CAPACITY: usize = 256 * 1024;
/// Largest plaintext of one TLS record.
pub const MAX_RECORD_PLAINTEXT: usize = 16 * 1024;
/// Encrypted output held before [`TlsStream::write_plain`] says "later".
const OUT_LIMIT: usize = 64 * 1024;

/// Where decrypted application data goes.
enum Sink<'a> {
    /// The caller's read buffer (stop when the next record does not fit).
    Buf {
        buf: &'a mut [u8],
        end: &'a mut usize,
    },
    /// Our stash (while writing).
    Stash,
}

/// Why [`TlsStream::process`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Every complete record is handled; more ciphertext is needed.
    NeedData,
    /// A record is ready but the caller's buffer has no room for it.
    Full,
    /// Both sides have closed.
    Closed,
}

/// A TLS client stream over caller-supplied socket reads and writes.
pub struct TlsStream {
    conn: UnbufferedClientConnection,
    inb: Vec<u8>,
    in_start: usize,
    in_end: usize,
    outb: Vec<u8>,
    out_start: usize,
    out_end: usize,
    stash: Vec<u8>,
    stash_start: usize,
    /// The server sent close_notify.
    peer_closed: bool,
    /// The socket reported end of stream.
    sock_eof: bool,
    /// An error met while writing (a corrupt record among those set aside):
    /// reported by the read after the stash, so nothing before it is lost.
    failed: Option<io::Error>,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("handshaking", &self.is_handshaking())
            .field("ciphertext_pending", &(self.in_end - self.in_start))
            .field("output_pending", &(self.out_end - self.out_start))
            .field("stashed", &self.stashed())
            .finish()
    }
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::other(e)
}

impl TlsStream {
    /// Wraps a new client connection (nothing is sent until the first read or flush).
    pub fn new(conn: UnbufferedClientConnection) -> Self {
        Self {
            conn,
            inb: crate::buffer::committed(IN_CAPACITY),
            in_start: 0,
            in_end: 0,
            outb: crate::buffer::committed(16 * 1024),
            out_start: 0,
            out_end: 0,
            stash: Vec::new(),
            stash_start: 0,
            peer_closed: false,
            sock_eof: false,
            failed: None,
        }
    }

    /// Whether the handshake is still in progress.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Decrypted bytes kept aside because they arrived while we were writing
    /// (the next read returns them first).
    pub fn stashed(&self) -> usize {
        self.stash.len() - self.stash_start
    }

    /// Whether a read would return something without touching the socket
    /// (records set aside while writing, or an error met then): the caller must
    /// read again even if no readiness event comes.
    pub fn has_buffered_input(&self) -> bool {
        self.stashed() > 0 || self.failed.is_some()
    }

    /// Whether encrypted output waits for the socket.
    pub fn wants_write(&self) -> bool {
        self.out_end > self.out_start
    }

    /// Runs rustls over the ciphertext we hold: decrypted data goes to `sink`,
    /// handshake and control records to our output; with `plain`, encrypts as
    /// much of it as the output limit allows once rustls can send (`*taken`).
    fn process(
        &mut self,
        mut sink: Sink<'_>,
        mut plain: Option<(&[u8], &mut usize)>,
    ) -> io::Result<Stop> {
        if self.out_start > 0 {
            // Partly sent output: keep the buffer at what is pending, not at the
            // whole burst.
            move_to_front(&mut self.outb, self.out_start, self.out_end);
            self.out_end -= self.out_start;
            self.out_start = 0;
        }
        loop {
            let UnbufferedStatus { mut discard, state } = self
                .conn
                .process_tls_records(&mut self.inb[self.in_start..self.in_end]);
            let stop = match state.map_err(tls_error)? {
                ConnectionState::ReadTraffic(mut records) => {
                    let mut stop = None;
                    loop {
                        // (An empty record has no length to peek: it always fits.)
                        let len = records.peek_len().map_or(0, |l| l.get());
                        if let Sink::Buf { buf, end } = &sink
                            && buf.len() - **end < len
                        {
                            stop = Some(Stop::Full);
                            break;
                        }
                        let Some(record) = records.next_record() else {
                            break;
                        };
                        let record = record.map_err(tls_error)?;
                        discard += record.discard;
                        match &mut sink {
                            Sink::Buf { buf, end } => {
                                copy_bytes(&mut buf[**end..], record.payload);
                                **end += record.payload.len();
                            }
                            Sink::Stash => self.stash.extend_from_slice(record.payload),
                        }
                    }
                    stop
                }
                ConnectionState::EncodeTlsData(mut encode) => {
                    loop {
                        match encode.encode(&mut self.outb[self.out_end..]) {
                            Ok(n) => {
                                self.out_end += n;
                                break;
                            }
                            Err(EncodeError::InsufficientSize(s)) => {
                                self.outb.resize(self.out_end + s.required_size, 0);
                            }
                            Err(EncodeError::AlreadyEncoded) => break,
                        }
                    }
                    None
                }
                // The records are in our output buffer, which `flush` sends in order.
                ConnectionState::TransmitTlsData(t) => {
                    t.done();
                    None
                }
                ConnectionState::BlockedHandshake => Some(Stop::NeedData),
                ConnectionState::WriteTraffic(mut w) => {
                    if let Some((data, taken)) = plain.take() {
                        while *taken < data.len() && self.out_end - self.out_start < OUT_LIMIT {
                            let piece =
                                &data[*taken..][..(data.len() - *taken).min(MAX_RECORD_PLAINTEXT)];
                            match w.encrypt(piece, &mut self.outb[self.out_end..]) {
                                Ok(n) => {
                                    self.out_end += n;
                                    *taken += piece.len();
                                }
                                Err(EncryptError::InsufficientSize(s)) => {
                                    self.outb.resize(self.out_end + s.required_size, 0);
                                }
                                Err(EncryptError::EncryptExhausted) => {
                                    return Err(io::Error::other("TLS: encryption limit reached"));
                                }
                            }
                        }
                    }
                    Some(Stop::NeedData)
                }
                ConnectionState::PeerClosed => {
                    self.peer_closed = true;
                    None
                }
                ConnectionState::Closed => Some(Stop::Closed),
                _ => return Err(io::Error::other("TLS: unexpected connection state")),
            };
            self.in_start += discard;
            if let Some(stop) = stop {
                return Ok(stop);
            }
        }
    }

    /// Reads what the socket has (to `WouldBlock`), decrypts it and appends the
    /// plaintext to `buf[*end..]`, advancing `*end`. Stops early when the next
    /// record does not fit: keep at least [`MAX_RECORD_PLAINTEXT`] bytes free.
    pub fn read_into(
        &mut self,
        sock: &mut impl Read,
        buf: &mut [u8],
        end: &mut usize,
    ) -> io::Result<ReadStatus> {
        let start = *end;
        if self.stash_start < self.stash.len() {
            let n = (self.stash.len() - self.stash_start).min(buf.len() - *end);
            copy_bytes(&mut buf[*end..], &self.stash[self.stash_start..][..n]);
            *end += n;
            self.stash_start += n;
            if self.stash_start < self.stash.len() {
                return Ok(ReadStatus::Data(n));
            }
            self.stash.clear();
            self.stash_start = 0;
        }
        if let Some(e) = self.failed.take() {
            return if *end > start {
                self.failed = Some(e);
                Ok(ReadStatus::Data(*end - start))
            } else {
                Err(e)
            };
        }
        loop {
            match self.process(
                Sink::Buf {
                    buf: &mut *buf,
                    end: &mut *end,
                },
                None,
            )? {
                Stop::Full => return Ok(ReadStatus::Data(*end - start)),
                Stop::Closed => return Ok(ReadStatus::data_or(*end - start, ReadStatus::Eof)),
                Stop::NeedData => {}
            }
            if self.peer_closed || self.sock_eof {
                return Ok(ReadStatus::data_or(*end - start, ReadStatus::Eof));
            }
            if self.in_start == self.in_end {
                self.in_start = 0;
                self.in_end = 0;
            } else if self.inb.len() - self.in_end < 2 * MAX_RECORD_PLAINTEXT {
                move_to_front(&mut self.inb, self.in_start, self.in_end);
                self.in_end -= self.in_start;
                self.in_start = 0;
            }
            if self.in_end == self.inb.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "TLS: a record larger than the read buffer",
                ));
            }
            match sock.read(&mut self.inb[self.in_end..]) {
                // Processed once more above, then reported.
                Ok(0) => self.sock_eof = true,
                Ok(n) => self.in_end += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(ReadStatus::data_or(*end - start, ReadStatus::WouldBlock));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Encrypts plaintext into our output; returns how much was taken (0 while
    /// the handshake runs or while earlier output waits for the socket).
    pub fn write_plain(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty()
            || self.failed.is_some()
            || self.is_handshaking()
            || self.out_end - self.out_start >= OUT_LIMIT
        {
            return Ok(0);
        }
        let mut taken = 0;
        if let Err(e) = self.process(Sink::Stash, Some((data, &mut taken))) {
            // Records set aside before the bad one are still to be read.
            self.failed = Some(e);
        }
        Ok(taken)
    }

    /// Sends encrypted output until the socket would block.
    pub fn flush(&mut self, sock: &mut impl Write) -> io::Result<()> {
        if self.is_handshaking() {
            // Produce the first handshake flight if nothing has yet.
            self.process(Sink::Stash, None)?;
        }
        while self.out_start < self.out_end {
            match sock.write(&self.outb[self.out_start..self.out_end]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_start += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out_start = 0;
        self.out_end = 0;
        Ok(())
    }
}
