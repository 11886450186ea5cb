//! The client side of a WebSocket connection, pure: frames are parsed in place
//! from the caller's read buffer, client frames are masked into an output buffer.
//! Fragmented messages are reassembled (the only copy); pings are answered by
//! queueing a pong at once; the close handshake is answered.

use super::frame::{FrameError, MAX_HEADER_LEN, Opcode, apply_mask, parse_header, write_header};

/// Limits of a client connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsLimits {
    /// Largest frame payload accepted. Default 1 MiB (Dhan's largest message, a
    /// 50-instrument depth-20 message, is 33 KiB).
    pub max_frame: usize,
    /// Largest reassembled message. Default 4 MiB.
    pub max_message: usize,
    /// Most bytes waiting to be written to the socket (requests, pongs, the
    /// close). A server that stops reading fills it; the connection is then
    /// dropped and reconnected rather than left to grow. Default 4 MiB (5,000
    /// instruments of subscriptions take about 300 KiB).
    pub max_output: usize,
}

impl Default for WsLimits {
    fn default() -> Self {
        Self {
            max_frame: 1 << 20,
            max_message: 4 << 20,
            max_output: 4 << 20,
        }
    }
}

/// One thing the server sent.
#[derive(Debug, PartialEq, Eq)]
pub enum WsEvent<'a> {
    /// A complete text message.
    Text(&'a [u8]),
    /// A complete binary message.
    Binary(&'a [u8]),
    /// A ping (a pong has been queued already).
    Ping,
    /// A pong.
    Pong,
    /// Fragments of a message were absorbed into the reassembly buffer but the
    /// message is not complete yet: advance by the bytes consumed, read more.
    Partial,
    /// The server closed (a reply close frame has been queued if we had not sent one).
    Close {
        /// Close code, if the frame carried one.
        code: Option<u16>,
        /// Close reason bytes.
        reason: &'a [u8],
    },
}

/// A protocol violation by the server; the connection must be dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WsError {
    /// The frame header is invalid.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A frame is larger than the configured maximum.
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    FrameTooLarge {
        /// Announced payload length.
        len: u64,
        /// Limit.
        max: usize,
    },
    /// A reassembled message is larger than the configured maximum.
    #[error("message exceeds the {max}-byte limit")]
    MessageTooLarge {
        /// Limit.
        max: usize,
    },
    /// The server masked a frame (servers must not).
    #[error("server sent a masked frame")]
    MaskedFrame,
    /// A continuation without a message to continue, or a new message inside a
    /// fragmented one.
    #[error("bad fragmentation sequence")]
    BadFragment,
}

/// A client connection's protocol state.
#[derive(Debug)]
pub struct WsClient {
    limits: WsLimits,
    frag: Vec<u8>,
    frag_opcode: Option<Opcode>,
    out: Vec<u8>,
    mask_state: u64,
    close_sent: bool,
    close_received: bool,
    /// Where in `out` the latest pong not yet written ends (0: none waits).
    pong_until: usize,
    /// A frame did not fit within `max_output`: the connection must go.
    overflowed: bool,
    /// The recording tap: text messages sent are copied there.
    tap: Option<Box<crate::tap::TapPort>>,
}

impl WsClient {
    /// A new connection (after the HTTP upgrade).
    pub fn new(limits: WsLimits) -> Self {
        let seed = crate::random::os_seed();
        Self {
            limits,
            frag: Vec::new(),
            frag_opcode: None,
            out: Vec::with_capacity(16 * 1024),
            mask_state: seed | 1,
            close_sent: false,
            close_received: false,
            pong_until: 0,
            overflowed: false,
            tap: None,
        }
    }

    /// Copies every text message sent from now on into `tap` (or stops, `None`).
    pub fn set_tap(&mut self, tap: Option<crate::tap::TapPort>) {
        self.tap = tap.map(Box::new);
    }

    /// Whether a frame was refused because [`WsLimits::max_output`] bytes were
    /// already waiting (the server stopped reading): the connection must be
    /// dropped.
    pub fn output_overflowed(&self) -> bool {
        self.overflowed
    }

    /// Whether we have sent a close frame.
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// Whether the server has sent a close frame.
    pub fn close_received(&self) -> bool {
        self.close_received
    }

    /// Bytes waiting to be written to the socket.
    pub fn output(&self) -> &[u8] {
        &self.out
    }

    /// Whether output is waiting.
    pub fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    /// Marks `n` bytes of [`Self::output`] as written.
    pub fn consume_output(&mut self, n: usize) {
        let n = n.min(self.out.len());
        self.pong_until = self.pong_until.saturating_sub(n);
        if n == self.out.len() {
            self.out.clear();
        } else {
            self.out.drain(..n);
        }
    }

    fn next_mask(&mut self) -> [u8; 4] {
        // xorshift64: masks need to be unpredictable to intermediaries, not secret.
        let mut x = self.mask_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.mask_state = x;
        (x as u32).to_ne_bytes()
    }

    fn send(&mut self, opcode: Opcode, payload: &[u8]) {
        // Once a frame was refused nothing more is queued, not even a smaller
        // frame that would fit: the messages after a hole would reach the server
        // out of their order (a subscription change without the one before it).
        // The connection is dropped for it (`Cause::OutputFull`).
        if self.overflowed
            || self.out.len() + MAX_HEADER_LEN + payload.len() > self.limits.max_output
        {
            self.overflowed = true;
            return;
        }
        if opcode == Opcode::Text
            && let Some(t) = &mut self.tap
        {
            t.sent(payload);
        }
        let mask = self.next_mask();
        let mut h = [0u8; MAX_HEADER_LEN];
        let n = write_header(true, opcode, payload.len() as u64, Some(mask), &mut h);
        self.out.extend_from_slice(&h[..n]);
        let start = self.out.len();
        self.out.extend_from_slice(payload);
        apply_mask(&mut self.out[start..], mask, 0);
    }

    /// Queues a text message.
    pub fn send_text(&mut self, payload: &[u8]) {
        self.send(Opcode::Text, payload);
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, payload: &[u8]) {
        self.send(Opcode::Binary, payload);
    }

    /// Queues raw bytes (the HTTP upgrade request) ahead of any frame.
    pub fn queue_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Queues a ping.
    pub fn send_ping(&mut self, payload: &[u8]) {
        self.send(Opcode::Ping, &payload[..payload.len().min(125)]);
    }

    /// Queues a close frame (once).
    pub fn send_close(&mut self, code: u16, reason: &str) {
        if self.close_sent {
            return;
        }
        self.close_sent = true;
        let mut p = [0u8; 125];
        p[..2].copy_from_slice(&code.to_be_bytes());
        let r = &reason.as_bytes()[..reason.len().min(123)];
        p[2..2 + r.len()].copy_from_slice(r);
        self.send(Opcode::Close, &p[..2 + r.len()]);
    }

    /// Parses the next event from `input`. Returns `Ok(None)` when more bytes are
    /// needed (nothing consumed), or the event and the bytes consumed (possibly
    /// several frames, for a fragmented message). Message payloads borrow `input`
    /// in place, or the reassembly buffer.
    #[inline]
    pub fn poll_event<'a>(
        &'a mut self,
        input: &'a [u8],
    ) -> Result<Option<(WsEvent<'a>, usize)>, WsError> {
        // The market feed's every frame: one whole binary message (first byte
        // 0x82: FIN, no reserved bits, binary), unmasked and within the limit.
        // Decided here, inlined in the caller's read loop, on the byte: the
        // general path's `match` on the opcode compiles to a jump table, whose
        // indirect jump stalls whenever its `.rodata` line has gone cold
        // between messages, and its result comes back through memory. Anything
        // else, including a frame not yet complete, takes the general path.
        if input.first() == Some(&0x82)
            && self.frag_opcode.is_none()
            && let Ok(Some(h)) = parse_header(input)
            && h.mask.is_none()
            && h.payload_len <= self.limits.max_frame as u64
        {
            let total = h.header_len + h.payload_len as usize;
            if let Some(payload) = input.get(h.header_len..total) {
                return Ok(Some((WsEvent::Binary(payload), total)));
            }
        }
        self.poll_event_general(input)
    }

    /// [`Self::poll_event`] for every other case.
    #[inline(never)]
    fn poll_event_general<'a>(
        &'a mut self,
        input: &'a [u8],
    ) -> Result<Option<(WsEvent<'a>, usize)>, WsError> {
        let mut consumed = 0;
        loop {
            let rest = &input[consumed..];
            // Fragments already absorbed must be reported as consumed, or the
            // caller would hand them to us again.
            let more = |consumed: usize| Ok((consumed > 0).then_some((WsEvent::Partial, consumed)));
            let Some(h) = parse_header(rest)? else {
                return more(consumed);
            };
            if h.mask.is_some() {
                return Err(WsError::MaskedFrame);
            }
            if h.payload_len > self.limits.max_frame as u64 {
                return Err(WsError::FrameTooLarge {
                    len: h.payload_len,
                    max: self.limits.max_frame,
                });
            }
            let total = h.header_len + h.payload_len as usize;
            let Some(payload) = rest.get(h.header_len..total) else {
                return more(consumed);
            };
            let end = consumed + total;
            match h.opcode {
                Opcode::Text | Opcode::Binary => {
                    if self.frag_opcode.is_some() {
                        return Err(WsError::BadFragment);
                    }
                    if h.fin {
                        let ev = if h.opcode == Opcode::Text {
                            WsEvent::Text(payload)
                        } else {
                            WsEvent::Binary(payload)
                        };
                        return Ok(Some((ev, end)));
                    }
                    self.frag.clear();
                    self.frag.extend_from_slice(payload);
                    self.frag_opcode = Some(h.opcode);
                    consumed = end;
                }
                Opcode::Continuation => {
                    let Some(op) = self.frag_opcode else {
                        return Err(WsError::BadFragment);
                    };
                    if self.frag.len() + payload.len() > self.limits.max_message {
                        return Err(WsError::MessageTooLarge {
                            max: self.limits.max_message,
                        });
                    }
                    self.frag.extend_from_slice(payload);
                    consumed = end;
                    if h.fin {
                        self.frag_opcode = None;
                        let ev = if op == Opcode::Text {
                            WsEvent::Text(&self.frag)
                        } else {
                            WsEvent::Binary(&self.frag)
                        };
                        return Ok(Some((ev, end)));
                    }
                }
                Opcode::Ping => {
                    // While a pong still waits to be written, later pings get
                    // none of their own (RFC 6455 5.5.3 allows answering only
                    // the latest): a server pinging a connection it does not
                    // read from cannot grow the output.
                    // Nothing follows our close frame (RFC 6455 5.5.1), a pong
                    // included: the connection is ending anyway.
                    if self.pong_until == 0 && !self.close_sent {
                        let mut p = [0u8; 125];
                        p[..payload.len()].copy_from_slice(payload);
                        self.send(Opcode::Pong, &p[..payload.len()]);
                        self.pong_until = self.out.len();
                    }
                    return Ok(Some((WsEvent::Ping, end)));
                }
                Opcode::Pong => return Ok(Some((WsEvent::Pong, end))),
                Opcode::Close => {
                    self.close_received = true;
                    let code = payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                    if !self.close_sent {
                        // Echo the server's code when it may be sent; a reserved
                        // one (1005, 1006, 1015) or one outside the protocol's
                        // range (Dhan's 800-899) is answered with 1000.
                        let reply = code
                            .filter(|c| {
                                (1000..=4999).contains(c) && !matches!(c, 1004..=1006 | 1015)
                            })
                            .unwrap_or(1000);
                        self.send_close(reply, "");
                    }
                    let reason = payload.get(2..).unwrap_or(&[]);
                    return Ok(Some((WsEvent::Close { code, reason }, end)));
                }
                Opcode::Reserved(op) => return Err(FrameError::ReservedOpcode(op).into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::frame::push_server_frame;

    fn unmask_client_frames(mut out: &[u8]) -> Vec<(Opcode, Vec<u8>)> {
        let mut v = Vec::new();
        while let Some(h) = parse_header(out).unwrap() {
            let mut p = out[h.header_len..h.header_len + h.payload_len as usize].to_vec();
            apply_mask(&mut p, h.mask.expect("client frames are masked"), 0);
            v.push((h.opcode, p));
            out = &out[h.header_len + h.payload_len as usize..];
        }
        v
    }

    /// A server that pings a connection whose output it does not read gets one
    /// pong until that pong is written; the output stays bounded.
    #[test]
    fn pings_while_a_pong_waits_get_no_pong_of_their_own() {
        let mut c = WsClient::new(WsLimits::default());
        let mut input = Vec::new();
        for p in [b"1", b"2", b"3"] {
            push_server_frame(true, Opcode::Ping, p, &mut input);
        }
        let mut pos = 0;
        while let Some((ev, n)) = c.poll_event(&input[pos..]).unwrap() {
            assert_eq!(ev, WsEvent::Ping);
            pos += n;
        }
        assert_eq!(
            unmask_client_frames(c.output()),
            [(Opcode::Pong, b"1".to_vec())]
        );
        // A request queued behind it: the pong is still unwritten after a
        // partial write, so the next ping is still not answered.
        c.send_text(b"{}");
        c.consume_output(2);
        let mut ping = Vec::new();
        push_server_frame(true, Opcode::Ping, b"4", &mut ping);
        c.poll_event(&ping).unwrap();
        let n = c.output().len();
        c.consume_output(n);
        // Written: the next ping is answered.
        c.poll_event(&ping).unwrap();
        assert_eq!(
            unmask_client_frames(c.output()),
            [(Opcode::Pong, b"4".to_vec())]
        );
    }

    /// Found by the driver fuzz target: a ping after our close frame was
    /// answered, so a frame followed the close.
    #[test]
    fn nothing_follows_our_close_frame_not_even_a_pong() {
        let mut c = WsClient::new(WsLimits::default());
        c.send_close(1000, "bye");
        let n = c.output().len();
        let mut ping = Vec::new();
        push_server_frame(true, Opcode::Ping, b"x", &mut ping);
        assert_eq!(c.poll_event(&ping).unwrap().unwrap().0, WsEvent::Ping);
        assert_eq!(c.output().len(), n, "no pong queued after the close");
        assert_eq!(unmask_client_frames(c.output()).len(), 1);
    }

    /// Found by the driver fuzz target: the client echoed close codes that must
    /// not be sent (1005, Dhan's 807).
    #[test]
    fn a_close_is_answered_with_a_code_that_may_be_sent() {
        for (theirs, ours) in [(1001u16, 1001u16), (1005, 1000), (807, 1000), (4000, 4000)] {
            let mut c = WsClient::new(WsLimits::default());
            let mut input = Vec::new();
            push_server_frame(true, Opcode::Close, &theirs.to_be_bytes(), &mut input);
            c.poll_event(&input).unwrap();
            let frames = unmask_client_frames(c.output());
            assert_eq!(frames[0].0, Opcode::Close);
            assert_eq!(&frames[0].1[..2], &ours.to_be_bytes(), "{theirs}");
        }
    }

    #[test]
    fn output_past_the_limit_is_refused_and_flagged() {
        let mut c = WsClient::new(WsLimits {
            max_output: 100,
            ..WsLimits::default()
        });
        c.send_text(&[b'x'; 60]);
        assert!(!c.output_overflowed());
        let before = c.output().len();
        c.send_text(&[b'y'; 60]);
        assert!(c.output_overflowed(), "the second frame does not fit");
        assert_eq!(c.output().len(), before, "nothing partial was queued");
        c.send_text(b"z");
        assert_eq!(c.output().len(), before, "nothing after the hole either");
    }

    #[test]
    fn messages_in_place_fragments_reassembled_pings_answered() {
        let mut input = Vec::new();
        push_server_frame(true, Opcode::Binary, b"abc", &mut input);
        push_server_frame(false, Opcode::Binary, b"12", &mut input);
        push_server_frame(true, Opcode::Ping, b"hi", &mut input); // control inside a fragmented message
        push_server_frame(true, Opcode::Continuation, b"34", &mut input);
        push_server_frame(true, Opcode::Text, b"{}", &mut input);
        let mut c = WsClient::new(WsLimits::default());
        let mut pos = 0;
        let mut got = Vec::new();
        while let Some((ev, n)) = c.poll_event(&input[pos..]).unwrap() {
            got.push(format!("{ev:?}"));
            pos += n;
        }
        assert_eq!(pos, input.len());
        assert_eq!(
            got,
            vec![
                "Binary([97, 98, 99])",
                "Ping",
                "Binary([49, 50, 51, 52])",
                "Text([123, 125])"
            ]
        );
        assert_eq!(
            unmask_client_frames(c.output()),
            vec![(Opcode::Pong, b"hi".to_vec())]
        );
    }

    #[test]
    fn a_fragmented_message_split_across_reads() {
        let mut input = Vec::new();
        push_server_frame(false, Opcode::Binary, b"ab", &mut input);
        push_server_frame(false, Opcode::Continuation, b"cd", &mut input);
        push_server_frame(true, Opcode::Continuation, b"ef", &mut input);
        for cut in 1..input.len() {
            let mut c = WsClient::new(WsLimits::default());
            let mut buf = input[..cut].to_vec();
            let mut got = Vec::new();
            let mut pos = 0;
            for more in [&[][..], &input[cut..]] {
                buf.extend_from_slice(more);
                while let Some((ev, n)) = c.poll_event(&buf[pos..]).unwrap() {
                    if let WsEvent::Binary(b) = ev {
                        got.push(b.to_vec());
                    }
                    pos += n;
                }
            }
            assert_eq!(got, vec![b"abcdef".to_vec()], "cut {cut}");
            assert_eq!(pos, input.len());
        }
    }

    #[test]
    fn partial_input_consumes_nothing() {
        let mut input = Vec::new();
        push_server_frame(true, Opcode::Binary, &[7u8; 300], &mut input);
        let mut c = WsClient::new(WsLimits::default());
        for cut in 0..input.len() {
            assert_eq!(c.poll_event(&input[..cut]).unwrap(), None, "cut {cut}");
        }
        let (ev, n) = c.poll_event(&input).unwrap().unwrap();
        assert_eq!((ev, n), (WsEvent::Binary(&[7u8; 300]), input.len()));
    }

    #[test]
    fn violations_are_errors() {
        let mut c = WsClient::new(WsLimits {
            max_frame: 10,
            max_message: 15,
            ..WsLimits::default()
        });
        let mut big = Vec::new();
        push_server_frame(true, Opcode::Binary, &[0; 11], &mut big);
        assert!(matches!(
            c.poll_event(&big),
            Err(WsError::FrameTooLarge { len: 11, max: 10 })
        ));
        let mut cont = Vec::new();
        push_server_frame(true, Opcode::Continuation, b"x", &mut cont);
        assert_eq!(c.poll_event(&cont), Err(WsError::BadFragment));
        let mut long = Vec::new();
        push_server_frame(false, Opcode::Binary, &[0; 10], &mut long);
        push_server_frame(true, Opcode::Continuation, &[0; 10], &mut long);
        assert_eq!(
            c.poll_event(&long),
            Err(WsError::MessageTooLarge { max: 15 })
        );
        let mut c = WsClient::new(WsLimits::default());
        assert_eq!(
            c.poll_event(&[0x82, 0x81, 1, 2, 3, 4, 5]),
            Err(WsError::MaskedFrame)
        );
        // A whole binary frame (the fast path's kind) inside a fragmented
        // message is a violation too.
        let mut c = WsClient::new(WsLimits::default());
        let mut first = Vec::new();
        push_server_frame(false, Opcode::Binary, b"ab", &mut first);
        assert_eq!(c.poll_event(&first), Ok(Some((WsEvent::Partial, 4))));
        let mut whole = Vec::new();
        push_server_frame(true, Opcode::Binary, b"cd", &mut whole);
        assert_eq!(c.poll_event(&whole), Err(WsError::BadFragment));
    }

    #[test]
    fn close_is_answered_once() {
        let mut input = Vec::new();
        push_server_frame(
            true,
            Opcode::Close,
            &[0x03, 0xe8, b'b', b'y', b'e'],
            &mut input,
        );
        let mut c = WsClient::new(WsLimits::default());
        let (ev, _) = c.poll_event(&input).unwrap().unwrap();
        assert_eq!(
            ev,
            WsEvent::Close {
                code: Some(1000),
                reason: b"bye"
            }
        );
        let frames = unmask_client_frames(c.output());
        assert_eq!(frames, vec![(Opcode::Close, vec![0x03, 0xe8])]);
        c.send_close(1000, "again");
        assert_eq!(unmask_client_frames(c.output()).len(), 1);
    }
}
