//! HTTP/1.1 requests and responses of the page server: a request head parsed by
//! `httparse` within a size limit, routed by path; responses written whole into the
//! connection's buffer (every response closes its connection, except the event
//! stream, which stays open).

/// What a request asks for, once its head is complete.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// `/`: the page.
    Page,
    /// `/app.js`, `/style.css`: the page's script and style.
    Asset(&'static str),
    /// `/events`: the server-sent event stream.
    Events,
    /// `/health`: the feeds' state; 503 when one is down or stale.
    Health,
    /// `/subscriptions`: every feed's instruments and mode.
    Subscriptions,
    /// `/snapshot`: the state the stream starts with, as one JSON document.
    Snapshot,
    /// `/favicon.ico`: nothing (204), so the browser does not log a 404.
    Favicon,
}

/// Why a request gets no route.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// 400: the head is not HTTP, or carries a body.
    BadRequest(&'static str),
    /// 431: the head is larger than the limit.
    TooLarge,
    /// 404: no such path.
    NotFound,
    /// 405: a method other than GET or HEAD.
    Method,
    /// 421: a `Host` that does not name this loopback server (a page of another
    /// site reaching it through DNS rebinding).
    Host,
}

/// The outcome of the bytes read so far.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Parsed {
    /// More bytes are needed.
    Partial,
    /// A complete request: its route, and whether it is a HEAD (no body sent).
    Request { route: Route, head_only: bool },
    /// A request that is answered with an error, then closed.
    Refused(Refusal),
}

/// Parses the request head at the start of `buf` (a head longer than `limit`
/// bytes is refused; bytes after a complete head are not looked at).
/// `loopback_only`: the `Host` header must name a loopback host.
pub(super) fn parse(buf: &[u8], limit: usize, loopback_only: bool) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        // The head's own length: bytes after it (a pipelined request) do not count.
        Ok(httparse::Status::Complete(n)) if n > limit => {
            return Parsed::Refused(Refusal::TooLarge);
        }
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) if buf.len() >= limit => {
            return Parsed::Refused(Refusal::TooLarge);
        }
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Refused(Refusal::TooLarge),
        Err(_) => return Parsed::Refused(Refusal::BadRequest("malformed request")),
    }
    let head_only = match req.method {
        Some("GET") => false,
        Some("HEAD") => true,
        _ => return Parsed::Refused(Refusal::Method),
    };
    let mut host = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("host") {
            if host.is_some() {
                return Parsed::Refused(Refusal::BadRequest("more than one Host header"));
            }
            host = Some(h.value);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && h.value.trim_ascii() != b"0")
        {
            return Parsed::Refused(Refusal::BadRequest("a GET carries no body"));
        }
    }
    if req.version == Some(1) && host.is_none() {
        return Parsed::Refused(Refusal::BadRequest("HTTP/1.1 without a Host header"));
    }
    if loopback_only && host.is_some_and(|h| !loopback_host(h)) {
        return Parsed::Refused(Refusal::Host);
    }
    let path = req.path.unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let route = match path {
        "/" | "/index.html" => Route::Page,
        "/app.js" => Route::Asset("app.js"),
        "/style.css" => Route::Asset("style.css"),
        "/events" => Route::Events,
        "/health" => Route::Health,
        "/subscriptions" => Route::Subscriptions,
        "/snapshot" => Route::Snapshot,
        "/favicon.ico" => Route::Favicon,
        _ => return Parsed::Refused(Refusal::NotFound),
    };
    Parsed::Request { route, head_only }
}

/// Whether a `Host` header names a loopback host (any port): `127.x.x.x`,
/// `localhost`, `[::1]`.
fn loopback_host(host: &[u8]) -> bool {
    let Ok(host) = std::str::from_utf8(host) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Refusal {
    /// The status line's code and reason.
    pub(super) fn status(&self) -> (u16, &'static str) {
        match self {
            Refusal::BadRequest(_) => (400, "Bad Request"),
            Refusal::TooLarge => (431, "Request Header Fields Too Large"),
            Refusal::NotFound => (404, "Not Found"),
            Refusal::Method => (405, "Method Not Allowed"),
            Refusal::Host => (421, "Misdirected Request"),
        }
    }

    /// The plain-text body that says why.
    pub(super) fn message(&self) -> &'static str {
        match self {
            Refusal::BadRequest(why) => why,
            Refusal::TooLarge => "request head too large",
            Refusal::NotFound => "no such page",
            Refusal::Method => "only GET and HEAD",
            Refusal::Host => "this server answers only to a loopback Host",
        }
    }
}

/// Appends a whole response that closes the connection: status, headers, body
/// (left out for HEAD, its length still stated).
pub(super) fn respond(
    out: &mut Vec<u8>,
    (code, reason): (u16, &str),
    content_type: &str,
    body: &[u8],
    head_only: bool,
) {
    use std::io::Write;
    let _ = write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'self'; img-src 'self' data:\r\n\
         {}Connection: close\r\n\r\n",
        body.len(),
        if code == 405 {
            "Allow: GET, HEAD\r\n"
        } else {
            ""
        },
    );
    if !head_only {
        out.extend_from_slice(body);
    }
}

/// The head of the event stream (the body stays open; the browser reconnects
/// after a second if it closes).
pub(super) const STREAM_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Accel-Buffering: no\r\n\
Connection: keep-alive\r\n\r\nretry: 1000\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> Parsed {
        parse(s.as_bytes(), 8192, true)
    }

    #[test]
    fn routes_by_path_ignoring_the_query() {
        assert_eq!(
            req("GET /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n"),
            Parsed::Request {
                route: Route::Health,
                head_only: false
            }
        );
        assert_eq!(
            req("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
            Parsed::Request {
                route: Route::Page,
                head_only: true
            }
        );
        assert_eq!(
            req("GET /nope HTTP/1.1\r\nHost: [::1]:9\r\n\r\n"),
            Parsed::Refused(Refusal::NotFound)
        );
        assert_eq!(req("GET / HTTP/1.1\r\nHost: local"), Parsed::Partial);
    }

    #[test]
    fn refuses_what_it_does_not_serve() {
        assert_eq!(
            req("POST / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
            Parsed::Refused(Refusal::Method)
        );
        assert!(matches!(
            req("GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"),
            Parsed::Refused(Refusal::BadRequest(_))
        ));
        assert!(matches!(
            req("GET / HTTP/1.1\r\n\r\n"),
            Parsed::Refused(Refusal::BadRequest(_))
        ));
        assert!(matches!(
            req("\x16\x03\x01garbage\r\n\r\n"),
            Parsed::Refused(Refusal::BadRequest(_))
        ));
        assert_eq!(
            req("GET / HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n"),
            Parsed::Refused(Refusal::Host)
        );
        // Not loopback-only: any host is served.
        assert!(matches!(
            parse(
                b"GET / HTTP/1.1\r\nHost: feed.lan:8080\r\n\r\n",
                8192,
                false
            ),
            Parsed::Request { .. }
        ));
    }

    #[test]
    fn a_head_past_the_limit_is_refused_even_while_incomplete() {
        let mut big = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: ".to_vec();
        big.resize(9000, b'a');
        assert_eq!(parse(&big, 8192, true), Parsed::Refused(Refusal::TooLarge));
        let mut many = b"GET / HTTP/1.1\r\nHost: localhost\r\n".to_vec();
        for i in 0..40 {
            many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(parse(&many, 8192, true), Parsed::Refused(Refusal::TooLarge));
        // A small head followed by more than the limit (a pipelined request):
        // the head decides.
        let mut small = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
        small.resize(9000, b'x');
        assert!(matches!(parse(&small, 8192, true), Parsed::Request { .. }));
    }
}
