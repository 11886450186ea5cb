//! The TLS transport (rustls's unbuffered API under our own buffers) against a
//! rustls server on loopback: records that do not fit the caller's buffer wait,
//! writes while records wait keep the byte order, large writes go out in rounds,
//! both kinds of end of stream come after the data, and a corrupt record is an
//! error only after everything before it was delivered.

use dhan_feed::internals::tls;
use dhan_feed::internals::tls::MAX_RECORD_PLAINTEXT;
use dhan_feed::internals::tls::{ReadStatus, Transport};
use dhan_feed::sim::SimCert;
use rustls::{ServerConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

type Server = StreamOwned<ServerConnection, TcpStream>;

fn pattern(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

/// A client transport connected to a rustls server running `script` on its own thread.
fn connect(script: impl FnOnce(&mut Server) + Send + 'static) -> (Transport, JoinHandle<()>) {
    let cert = SimCert::generate().unwrap();
    let server_cfg = cert.server_config().unwrap();
    let roots = tls::root_store(std::slice::from_ref(&cert.der), false).unwrap();
    let client_cfg = tls::client_config(roots).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut s = StreamOwned::new(ServerConnection::new(server_cfg).unwrap(), sock);
        while s.conn.is_handshaking() {
            s.conn.complete_io(&mut s.sock).unwrap();
        }
        script(&mut s);
    });
    let sock = TcpStream::connect(addr).unwrap();
    sock.set_nonblocking(true).unwrap();
    sock.set_nodelay(true).unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::client::UnbufferedClientConnection::new(client_cfg, name).unwrap();
    let mut t = Transport::new(mio::net::TcpStream::from_std(sock), Some(conn));
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut scratch = vec![0u8; 64 * 1024];
    let mut end = 0;
    while t.is_handshaking() {
        assert!(Instant::now() < deadline, "handshake did not finish");
        t.flush().unwrap();
        t.read_into(&mut scratch, &mut end).unwrap();
        t.flush().unwrap();
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(end, 0, "no application data during the handshake");
    (t, server)
}

/// An application-data record whose ciphertext does not authenticate.
const BAD_RECORD: [u8; 5 + 0x40] = {
    let mut r = [0x5A; 5 + 0x40];
    (r[0], r[1], r[2], r[3], r[4]) = (0x17, 0x03, 0x03, 0x00, 0x40);
    r
};

/// Reads with room for one record only, until something arrives; the rest stays
/// unread (in the socket or the transport).
fn read_one_record(t: &mut Transport) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_RECORD_PLAINTEXT];
    let mut end = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while end == 0 {
        assert!(Instant::now() < deadline, "nothing arrived");
        t.read_into(&mut buf, &mut end).unwrap();
    }
    buf.truncate(end);
    buf
}

/// Reads to end of stream, keeping `room` bytes free at most and taking out at
/// most `take` bytes per read (like a framer that leaves a partial frame).
fn read_all(t: &mut Transport, room: usize, take: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; room];
    let mut end = 0;
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no end of stream");
        let status = t.read_into(&mut buf, &mut end)?;
        let n = end.min(take);
        got.extend_from_slice(&buf[..n]);
        buf.copy_within(n..end, 0);
        end -= n;
        match status {
            ReadStatus::Eof => {
                got.extend_from_slice(&buf[..end]);
                return Ok(got);
            }
            ReadStatus::WouldBlock => thread::sleep(Duration::from_millis(1)),
            ReadStatus::Data(_) => {}
        }
    }
}

#[test]
fn records_wait_when_the_buffer_is_short_and_every_byte_arrives_once_in_order() {
    let sent = pattern(1, 300_000);
    let expect = sent.clone();
    let (mut t, server) = connect(move |s| {
        s.write_all(&sent).unwrap();
        s.conn.send_close_notify();
        s.flush().unwrap();
        // Stay until the client has read everything.
        let _ = s.sock.read(&mut [0u8; 1]);
    });
    // Room for one record and a bit; the reader takes out 7,000 bytes a time, so
    // most calls find the next record too large for what is left.
    let got = read_all(&mut t, MAX_RECORD_PLAINTEXT + 3_000, 7_000).unwrap();
    assert_eq!(got.len(), expect.len());
    assert!(got == expect, "bytes differ");
    drop(t);
    server.join().unwrap();
}

#[test]
fn a_write_while_records_wait_stashes_them_and_keeps_the_order() {
    let first = pattern(2, 120_000);
    let second = pattern(3, 40_000);
    let (a, b) = (first.clone(), second.clone());
    let (mut t, server) = connect(move |s| {
        s.write_all(&a).unwrap();
        s.flush().unwrap();
        let mut hello = [0u8; 5];
        s.read_exact(&mut hello).unwrap();
        s.write_all(b"ACK:").unwrap();
        s.write_all(&hello).unwrap();
        s.write_all(&b).unwrap();
        s.conn.send_close_notify();
        s.flush().unwrap();
        let _ = s.sock.read(&mut [0u8; 1]);
    });
    // Let the first 120 KB reach our socket, then read one record's worth only.
    thread::sleep(Duration::from_millis(100));
    let mut got = read_one_record(&mut t);
    // Records still wait: writing has to set them aside.
    let mut taken = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while taken < 5 {
        assert!(Instant::now() < deadline, "write did not finish");
        taken += t.write_plain(&b"hello"[taken..]).unwrap();
        t.flush().unwrap();
    }
    assert!(
        t.stashed() > 0,
        "records that arrived before the write were set aside"
    );
    assert!(
        t.has_buffered_input(),
        "the caller is told to read again without waiting for the socket"
    );
    while t.wants_write() {
        t.flush().unwrap();
    }
    got.extend(read_all(&mut t, 64 * 1024, usize::MAX).unwrap());
    let mut expect = first;
    expect.extend_from_slice(b"ACK:hello");
    expect.extend_from_slice(&second);
    assert_eq!(got.len(), expect.len());
    assert!(got == expect, "bytes differ");
    drop(t);
    server.join().unwrap();
}

#[test]
fn a_write_larger_than_the_output_buffer_goes_out_in_rounds() {
    let big = pattern(4, 500_000);
    let expect = big.clone();
    let (mut t, server) = connect(move |s| {
        // Read slowly at first, so the client's socket fills and writes return 0.
        thread::sleep(Duration::from_millis(100));
        let mut got = vec![0u8; expect.len()];
        s.read_exact(&mut got).unwrap();
        assert!(got == expect, "server received different bytes");
        s.write_all(b"done").unwrap();
        s.conn.send_close_notify();
        s.flush().unwrap();
    });
    let mut off = 0;
    let mut rounds = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while off < big.len() || t.wants_write() {
        assert!(Instant::now() < deadline, "write did not finish");
        let n = t.write_plain(&big[off..]).unwrap();
        assert!(
            n <= 64 * 1024 + MAX_RECORD_PLAINTEXT,
            "one call takes a bounded amount"
        );
        off += n;
        rounds += 1;
        t.flush().unwrap();
        if n == 0 {
            thread::sleep(Duration::from_millis(1));
        }
    }
    assert!(rounds > 5, "500 KB went out in {rounds} rounds");
    assert_eq!(read_all(&mut t, 64 * 1024, usize::MAX).unwrap(), b"done");
    server.join().unwrap();
}

#[test]
fn a_tcp_close_without_close_notify_is_eof_after_the_data() {
    let sent = pattern(5, 50_000);
    let expect = sent.clone();
    let (mut t, server) = connect(move |s| {
        s.write_all(&sent).unwrap();
        s.flush().unwrap();
        s.sock.shutdown(std::net::Shutdown::Write).unwrap();
        let _ = s.sock.read(&mut [0u8; 1]);
    });
    let got = read_all(&mut t, 64 * 1024, usize::MAX).unwrap();
    assert!(got == expect, "{} of {} bytes", got.len(), expect.len());
    drop(t);
    server.join().unwrap();
}

#[test]
fn a_corrupt_record_is_a_tls_error_after_everything_before_it() {
    let sent = pattern(6, 30_000);
    let expect = sent.clone();
    let (mut t, server) = connect(move |s| {
        s.write_all(&sent).unwrap();
        s.flush().unwrap();
        s.sock.write_all(&BAD_RECORD).unwrap();
        let _ = s.sock.read(&mut [0u8; 1]);
    });
    thread::sleep(Duration::from_millis(50)); // both arrive before the first read
    let mut buf = vec![0u8; 64 * 1024];
    let mut end = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    let err = loop {
        assert!(Instant::now() < deadline, "no error");
        let before = end;
        match t.read_into(&mut buf, &mut end) {
            Ok(ReadStatus::Eof) => panic!("EOF instead of an error"),
            Ok(_) => thread::sleep(Duration::from_millis(1)),
            Err(e) => {
                // The caller drops the connection on an error without looking at
                // the buffer: the call that fails must not have appended anything.
                assert_eq!(end, before, "bytes appended by the failing call");
                break e;
            }
        }
    };
    assert_eq!(
        end,
        expect.len(),
        "everything before the bad record arrived"
    );
    assert!(buf[..end] == expect[..]);
    let inner = err.get_ref().expect("an error with a source");
    assert!(
        inner.downcast_ref::<rustls::Error>().is_some(),
        "a rustls error: {err}"
    );
    drop(t);
    server.join().unwrap();
}

#[test]
fn a_corrupt_record_met_while_writing_is_reported_after_the_records_before_it() {
    let sent = pattern(7, 100_000);
    let expect = sent.clone();
    let (mut t, server) = connect(move |s| {
        s.write_all(&sent).unwrap();
        s.flush().unwrap();
        s.sock.write_all(&BAD_RECORD).unwrap();
        let _ = s.sock.read(&mut [0u8; 1]);
    });
    thread::sleep(Duration::from_millis(100));
    // One record's room: the rest (and the bad record) stay unread.
    let mut got = read_one_record(&mut t);
    // The write meets the bad record while setting the others aside: it takes
    // nothing, and the error waits behind them.
    assert_eq!(t.write_plain(b"hello").unwrap(), 0);
    assert!(t.has_buffered_input());
    let mut big = vec![0u8; 256 * 1024];
    let deadline = Instant::now() + Duration::from_secs(10);
    let err = loop {
        assert!(Instant::now() < deadline, "no error");
        let mut end = 0;
        match t.read_into(&mut big, &mut end) {
            Ok(ReadStatus::Eof) => panic!("EOF instead of an error"),
            Ok(_) => got.extend_from_slice(&big[..end]),
            Err(e) => {
                assert_eq!(end, 0, "bytes appended by the failing call");
                break e;
            }
        }
    };
    assert_eq!(got.len(), expect.len(), "everything before the bad record");
    assert!(got == expect);
    assert!(
        err.get_ref()
            .is_some_and(|e| e.downcast_ref::<rustls::Error>().is_some())
    );
    drop(t);
    server.join().unwrap();
}

#[test]
fn a_server_key_update_is_answered_and_both_directions_keep_working() {
    let first = pattern(8, 50_000);
    let second = pattern(9, 50_000);
    let (a, b) = (first.clone(), second.clone());
    let (mut t, server) = connect(move |s| {
        s.write_all(&a).unwrap();
        // A TLS 1.3 key_update asking the client to update its keys too.
        s.conn.refresh_traffic_keys().unwrap();
        s.write_all(&b).unwrap();
        s.flush().unwrap();
        let mut hello = [0u8; 5];
        s.read_exact(&mut hello).unwrap();
        s.write_all(b"ACK:").unwrap();
        s.write_all(&hello).unwrap();
        s.conn.send_close_notify();
        s.flush().unwrap();
        let _ = s.sock.read(&mut [0u8; 1]);
    });
    let mut buf = vec![0u8; 256 * 1024];
    let mut end = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while end < first.len() + second.len() {
        assert!(Instant::now() < deadline, "{end} bytes only");
        if t.read_into(&mut buf, &mut end).unwrap() == ReadStatus::WouldBlock {
            thread::sleep(Duration::from_millis(1));
        }
        // Our key_update answer goes out with the flush.
        t.flush().unwrap();
    }
    let mut got = buf[..end].to_vec();
    let mut taken = 0;
    while taken < 5 || t.wants_write() {
        assert!(Instant::now() < deadline, "write did not finish");
        taken += t.write_plain(&b"hello"[taken..]).unwrap();
        t.flush().unwrap();
    }
    got.extend(read_all(&mut t, 64 * 1024, usize::MAX).unwrap());
    let mut expect = first;
    expect.extend_from_slice(&second);
    expect.extend_from_slice(b"ACK:hello");
    assert!(got == expect, "{} of {} bytes", got.len(), expect.len());
    drop(t);
    server.join().unwrap();
}
