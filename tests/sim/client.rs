//! A small blocking test client: tungstenite over rustls (or plain TCP).

use dhan_feed::Secret;
use dhan_feed::internals::tls::{client_config, root_store};
use dhan_feed::proto::endpoint::{FeedKind, request_target};
use dhan_feed::proto::market::{MarketPacket, packets};
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Simulator};
use rustls::{ClientConnection, StreamOwned};
use rustls_pki_types::ServerName;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(b),
            Self::Tls(s) => s.read(b),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(b),
            Self::Tls(s) => s.write(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }
}

pub type Ws = WebSocket<Stream>;

pub fn sim() -> Simulator {
    Simulator::builder()
        .rate(2000.0)
        .depth_rate(50.0)
        .order_interval(None)
        .start()
        .unwrap()
}

pub fn plain_sim() -> Simulator {
    Simulator::builder()
        .plain()
        .rate(2000.0)
        .order_interval(None)
        .start()
        .unwrap()
}

/// The target for a feed with the simulator's default credentials.
pub fn target(kind: FeedKind) -> String {
    request_target(
        kind,
        &Secret::new(DEFAULT_ACCESS_TOKEN),
        &Secret::new(DEFAULT_CLIENT_ID),
    )
}

pub fn try_connect(sim: &Simulator, target: &str) -> Result<Ws, tungstenite::Error> {
    let tcp = TcpStream::connect(sim.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let host = sim.addr().to_string();
    let stream = match sim.certificate() {
        Some(cert) => {
            let cfg = client_config(root_store(&[cert], false).unwrap()).unwrap();
            let name = ServerName::try_from("127.0.0.1").unwrap();
            let conn = ClientConnection::new(cfg, name).unwrap();
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
        }
        None => Stream::Plain(tcp),
    };
    let scheme = if sim.certificate().is_some() {
        "wss"
    } else {
        "ws"
    };
    let url = format!("{scheme}://{host}{target}");
    tungstenite::client(url, stream)
        .map(|(ws, _)| ws)
        .map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => e,
            tungstenite::HandshakeError::Interrupted(_) => {
                tungstenite::Error::Io(io::Error::other("handshake interrupted"))
            }
        })
}

pub fn connect(sim: &Simulator, kind: FeedKind) -> Ws {
    try_connect(sim, &target(kind)).unwrap()
}

pub fn send_text(ws: &mut Ws, text: &[u8]) {
    ws.send(Message::Text(
        String::from_utf8(text.to_vec()).unwrap().into(),
    ))
    .unwrap();
}

/// Next data message (binary or text); pings and pongs are skipped.
pub fn next_data(ws: &mut Ws) -> Result<Message, tungstenite::Error> {
    loop {
        if let m @ (Message::Binary(_) | Message::Text(_) | Message::Close(_)) = ws.read()? {
            return Ok(m);
        }
    }
}

/// Reads market messages until `n` packets are collected (or the deadline passes).
pub fn market_packets(ws: &mut Ws, n: usize) -> Vec<(MarketPacket, usize)> {
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < n && Instant::now() < deadline {
        if let Message::Binary(b) = next_data(ws).unwrap() {
            let ps: Vec<_> = packets(&b).collect::<Result<_, _>>().unwrap();
            let k = ps.len();
            got.extend(ps.into_iter().map(|p| (p, k)));
        }
    }
    got
}

/// Reads until the server closes; returns the binary messages seen last and the
/// close code, if a close frame came.
pub fn read_until_close(ws: &mut Ws) -> (Vec<Vec<u8>>, Option<u16>, Option<tungstenite::Error>) {
    let mut bins = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match ws.read() {
            Ok(Message::Binary(b)) => bins.push(b.to_vec()),
            Ok(Message::Close(f)) => return (bins, f.map(|f| u16::from(f.code)), None),
            Ok(_) => {}
            Err(e) => return (bins, None, Some(e)),
        }
    }
    panic!("server did not close within 5 s");
}
