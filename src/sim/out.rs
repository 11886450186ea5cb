//! Outgoing data of one simulated connection, framed by hand into one buffer so a
//! batch of messages costs one socket write.

use crate::proto::capture::write_record;
use crate::proto::market::MarketPacket;
use crate::proto::market_encode::{encoded_len, write_packet};
use crate::ws::frame::{MAX_HEADER_LEN, Opcode, push_server_frame, write_header};

/// Framed output waiting to be written, with the connection's output modes.
#[derive(Default)]
pub(crate) struct Out {
    pub buf: Vec<u8>,
    /// Split each message into several frames (the `fragmented` fault).
    pub fragmented: bool,
    /// Put several packets in one message (the `stacked` fault).
    pub stacked: bool,
    pub messages: u64,
    pub packets: u64,
    /// Capture records of what was sent, when capturing.
    pub capture: Option<Vec<u8>>,
}

impl Out {
    fn message(&mut self, opcode: Opcode, payload: &[u8]) {
        self.messages += 1;
        if let Some(cap) = self.capture.as_mut() {
            let _ = write_record(cap, payload);
        }
        if self.fragmented && payload.len() >= 3 {
            let a = payload.len() / 3;
            let b = 2 * payload.len() / 3;
            push_server_frame(false, opcode, &payload[..a], &mut self.buf);
            push_server_frame(false, Opcode::Continuation, &payload[a..b], &mut self.buf);
            push_server_frame(true, Opcode::Continuation, &payload[b..], &mut self.buf);
        } else {
            push_server_frame(true, opcode, payload, &mut self.buf);
        }
    }

    /// Queues one binary message.
    pub fn binary(&mut self, payload: &[u8], packets: u64) {
        self.packets += packets;
        self.message(Opcode::Binary, payload);
    }

    /// Queues one market packet as its own binary message, encoded straight into
    /// the output buffer (the simulator's hot path: no intermediate copy).
    pub fn market_packet(&mut self, p: &MarketPacket) {
        if self.fragmented || self.capture.is_some() {
            let mut tmp = [0u8; 256];
            let n = write_packet(p, &mut tmp).unwrap_or(0);
            self.binary(&tmp[..n], 1);
            return;
        }
        let len = encoded_len(p);
        let mut h = [0u8; MAX_HEADER_LEN];
        let hn = write_header(true, Opcode::Binary, len as u64, None, &mut h);
        self.buf.extend_from_slice(&h[..hn]);
        let start = self.buf.len();
        self.buf.resize(start + len, 0);
        let _ = write_packet(p, &mut self.buf[start..]);
        self.messages += 1;
        self.packets += 1;
    }

    /// Queues one text message.
    pub fn text(&mut self, payload: &[u8]) {
        self.packets += 1;
        self.message(Opcode::Text, payload);
    }
}
