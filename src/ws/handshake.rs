//! The client's HTTP/1.1 upgrade: request text and response validation, pure.

/// The client's upgrade request for `target` on `host`, with key `key`.
pub fn request(host: &str, target: &str, key: &str, user_agent: &str) -> Vec<u8> {
    format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: {user_agent}\r\n\r\n"
    )
    .into_bytes()
}

/// A fresh random `Sec-WebSocket-Key`.
pub fn new_key() -> String {
    tungstenite::handshake::client::generate_key()
}

/// Why the upgrade failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The response is not valid HTTP.
    #[error("invalid HTTP response to the upgrade: {0}")]
    Http(String),
    /// The server answered with another status (429: too many requests).
    #[error("upgrade refused with HTTP status {0}")]
    Status(u16),
    /// A required header is missing or wrong.
    #[error("upgrade response header {0} is missing or wrong")]
    Header(&'static str),
    /// The response head is larger than any sane server sends.
    #[error("upgrade response head exceeds 16 KiB")]
    TooLarge,
}

/// Parses the upgrade response in `buf`. `Ok(None)`: incomplete, read more.
/// `Ok(Some(n))`: upgraded; the first `n` bytes were the response head and any
/// bytes after it are already WebSocket frames.
pub fn parse_response(buf: &[u8], key: &str) -> Result<Option<usize>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    let n = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > 16 * 1024 => {
            return Err(HandshakeError::TooLarge);
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HandshakeError::Http(e.to_string())),
    };
    let code = resp.code.unwrap_or(0);
    if code != 101 {
        return Err(HandshakeError::Status(code));
    }
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
    };
    if !header("Upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        return Err(HandshakeError::Header("Upgrade"));
    }
    if !header("Connection").is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    }) {
        return Err(HandshakeError::Header("Connection"));
    }
    let want = tungstenite::handshake::derive_accept_key(key.as_bytes());
    if header("Sec-WebSocket-Accept").as_deref() != Some(want.as_str()) {
        return Err(HandshakeError::Header("Sec-WebSocket-Accept"));
    }
    Ok(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_example_key_and_statuses() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let ok = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x82\x00";
        assert_eq!(parse_response(ok, key), Ok(Some(ok.len() - 2)));
        for cut in 0..ok.len() - 2 {
            assert_eq!(parse_response(&ok[..cut], key), Ok(None));
        }
        let bad = String::from_utf8_lossy(ok).replace("s3pP", "xxxx");
        assert_eq!(
            parse_response(bad.as_bytes(), key),
            Err(HandshakeError::Header("Sec-WebSocket-Accept"))
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 429 Too Many Requests\r\n\r\n", key),
            Err(HandshakeError::Status(429))
        );
        let req = String::from_utf8(request("h:1", "/?version=2", key, "t")).unwrap();
        assert!(req.starts_with("GET /?version=2 HTTP/1.1\r\nHost: h:1\r\n"));
    }
}
