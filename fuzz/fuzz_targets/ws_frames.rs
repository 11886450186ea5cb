//! Our in-place WebSocket client against tungstenite on the same server byte
//! stream: the messages both deliver agree, and a stream tungstenite reads to the
//! end without a protocol error yields the same number of messages from ours.
#![no_main]

use dhan_feed::internals::ws::{WsClient, WsEvent, WsLimits};
use libfuzzer_sys::fuzz_target;
use std::io::{self, Read, Write};
use tungstenite::protocol::{Role, WebSocketConfig};

const MAX: usize = 1 << 16;

struct Input<'a>(&'a [u8]);
impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}
impl Write for Input<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn ours(data: &[u8]) -> (Vec<(bool, Vec<u8>)>, bool) {
    let mut c = WsClient::new(WsLimits {
        max_frame: MAX,
        max_message: MAX,
        ..WsLimits::default()
    });
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        match c.poll_event(&data[pos..]) {
            Ok(Some((ev, n))) => {
                assert!(n > 0 && pos + n <= data.len(), "consumed within the input");
                match ev {
                    WsEvent::Text(t) => out.push((true, t.to_vec())),
                    WsEvent::Binary(b) => out.push((false, b.to_vec())),
                    WsEvent::Close { .. } => return (out, true),
                    _ => {}
                }
                pos += n;
            }
            Ok(None) => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

fn theirs(data: &[u8]) -> (Vec<(bool, Vec<u8>)>, bool) {
    let cfg = WebSocketConfig::default()
        .max_frame_size(Some(MAX))
        .max_message_size(Some(MAX));
    let mut ws = tungstenite::WebSocket::from_raw_socket(Input(data), Role::Client, Some(cfg));
    let mut out = Vec::new();
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => out.push((true, t.as_bytes().to_vec())),
            Ok(tungstenite::Message::Binary(b)) => out.push((false, b.to_vec())),
            Ok(tungstenite::Message::Close(_)) => return (out, true),
            Ok(_) => {}
            Err(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            ))
            | Err(tungstenite::Error::ConnectionClosed)
            | Err(tungstenite::Error::AlreadyClosed) => return (out, true),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return (out, true);
            }
            // Text that is not UTF-8: tungstenite refuses it, we deliver the bytes
            // (simd-json validates later); stop comparing there.
            Err(tungstenite::Error::Utf8(_)) => return (out, false),
            Err(_) => return (out, false),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (a, a_ok) = ours(data);
    let (b, b_ok) = theirs(data);
    let n = a.len().min(b.len());
    assert_eq!(a[..n], b[..n], "the messages both deliver agree");
    if a_ok && b_ok {
        assert_eq!(a.len(), b.len(), "a clean stream yields the same messages");
    }
});
