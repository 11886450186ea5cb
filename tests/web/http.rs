//! A plain HTTP/1.1 and server-sent-events client for the page's tests: raw
//! bytes over a `TcpStream`, so every status, header and close is seen as sent.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A whole response, read until the server closed.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// Sends `raw` and reads the response until the server closes (which it must,
/// within 5 s).
pub fn exchange(addr: SocketAddr, raw: &[u8]) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(raw).unwrap();
    read_response(&mut s)
}

/// Reads a response until EOF.
pub fn read_response(s: &mut TcpStream) -> Response {
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !all.is_empty() => break,
            Err(e) => panic!(
                "the server neither closed nor answered in time ({e}); got {:?}",
                String::from_utf8_lossy(&all)
            ),
        }
    }
    parse(&all)
}

fn parse(all: &[u8]) -> Response {
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(all)));
    let head = String::from_utf8_lossy(&all[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    Response {
        status,
        head,
        body: all[end + 4..].to_vec(),
    }
}

/// `GET path` with a loopback `Host`.
pub fn get(addr: SocketAddr, path: &str) -> Response {
    exchange(
        addr,
        format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            addr.port()
        )
        .as_bytes(),
    )
}

/// An open event stream.
pub struct Stream {
    pub sock: TcpStream,
    buf: Vec<u8>,
    head_seen: bool,
}

/// One server-sent event.
#[derive(Debug)]
pub struct Event {
    pub name: String,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.data))
    }
}

impl Stream {
    /// Opens `/events`.
    pub fn open(addr: SocketAddr) -> Stream {
        let mut sock = TcpStream::connect(addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        sock.write_all(
            format!(
                "GET /events HTTP/1.1\r\nHost: localhost:{}\r\nAccept: text/event-stream\r\n\r\n",
                addr.port()
            )
            .as_bytes(),
        )
        .unwrap();
        Stream {
            sock,
            buf: Vec::new(),
            head_seen: false,
        }
    }

    /// The next event, waiting up to `timeout`; `Err` with what was read when the
    /// server closed.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<Event>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if !self.head_seen
                && let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n")
            {
                let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                assert!(head.starts_with("HTTP/1.1 200"), "stream refused: {head}");
                assert!(head.contains("text/event-stream"), "{head}");
                self.buf.drain(..end + 4);
                self.head_seen = true;
            }
            if self.head_seen
                && let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n")
            {
                let block = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                let mut ev = Event {
                    name: String::new(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        ev.name = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        ev.data.push_str(v);
                    }
                }
                if ev.name.is_empty() {
                    continue; // `retry:` and comments
                }
                return Ok(Some(ev));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            let mut b = [0u8; 16384];
            match self.sock.read(&mut b) {
                Ok(0) => return Err(String::from_utf8_lossy(&self.buf).into_owned()),
                Ok(n) => self.buf.extend_from_slice(&b[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// The next event named `name` within `timeout` (others skipped).
    pub fn expect(&mut self, name: &str, timeout: Duration) -> Event {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Ok(Some(ev)) if ev.name == name => return ev,
                Ok(Some(_)) => {}
                Ok(None) => panic!("no {name} event within {timeout:?}"),
                Err(rest) => panic!("the stream closed before a {name} event: {rest:?}"),
            }
        }
    }
}
