//! The simulator's REST host: `GET /v2/orders` (Dhan's order book, with the
//! `access-token` header checked like the feeds' tokens), on a listener of its
//! own, as Dhan's REST API is a host of its own (`api.dhan.co`). Plain or TLS
//! like the feeds. One request per connection (`Connection: close`).

use super::shared::{Shared, lock};
use super::stream::Stream;
use crate::proto::order_book::encode_order_book;
use rustls::{ServerConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Serves requests until the simulator stops.
pub(crate) fn serve(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let Ok(tcp) = conn else { continue };
        if let Err(e) = answer(tcp, &shared) {
            log::debug!("sim rest: {e}");
        }
    }
}

fn answer(tcp: TcpStream, shared: &Shared) -> io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut stream = match &shared.tls {
        Some(cfg) => {
            let conn = ServerConnection::new(cfg.clone()).map_err(io::Error::other)?;
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
        }
        None => Stream::Plain(tcp),
    };
    // The request head (no request of ours has a body).
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    if req.parse(&head).is_err() {
        return respond(&mut stream, 400, br#"{"errorMessage":"bad request"}"#);
    }
    let token = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("access-token"))
        .and_then(|h| std::str::from_utf8(h.value).ok());
    let path = req.path.unwrap_or("/").split('?').next().unwrap_or("/");
    match (req.method, path) {
        (Some("GET"), "/v2/orders" | "/orders") => {}
        _ => return respond(&mut stream, 404, br#"{"errorMessage":"not found"}"#),
    }
    if token != Some(shared.valid_token().expose()) {
        return respond(
            &mut stream,
            401,
            br#"{"errorType":"Invalid_Authentication","errorCode":"DH-901","errorMessage":"Client ID or user generated access token is invalid or expired."}"#,
        );
    }
    shared.order_book_requests.fetch_add(1, Ordering::Relaxed);
    let book: Vec<_> = lock(&shared.order_book).values().copied().collect();
    let mut body = Vec::with_capacity(256 + 700 * book.len());
    encode_order_book(&book, &mut body);
    respond(&mut stream, 200, &body)
}

fn respond(stream: &mut Stream, status: u16, body: &[u8]) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}
