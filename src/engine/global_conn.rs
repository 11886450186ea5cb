//! A Global Stocks (US) connection's meaning of messages: the subscriptions it
//! asks for (JSON, per mode, at most 100 per message) and the packets it
//! publishes into its handle's ring.

use super::outbox::Outbox;
use crate::event::{GlobalItem, MessageCounts};
use crate::proto::global::{GlobalData, global_packets};
use crate::proto::global_encode::{GlobalMode, MAX_GLOBAL_PER_MESSAGE, encode_global_request};
use crate::session::Proto;
use crate::session::lifecycle::Cause;
use crate::ws::client::WsClient;

/// One Global Stocks connection.
pub(crate) struct GlobalConn {
    /// What the handle wants, per mode ([`GlobalMode::ALL`] order), sorted.
    want: [Vec<u32>; 2],
    /// What the live connection has been asked for (empty while down).
    sent: [Vec<u32>; 2],
    pub(super) out: Outbox<GlobalItem>,
    scratch: Vec<u8>,
    /// Messages with a malformed packet.
    malformed: u64,
    /// Packets longer than their kind.
    extended: u64,
}

fn mode_index(mode: GlobalMode) -> usize {
    match mode {
        GlobalMode::Trade => 0,
        GlobalMode::Ohlc => 1,
    }
}

impl GlobalConn {
    pub fn new(out: Outbox<GlobalItem>) -> Self {
        Self {
            want: [Vec::new(), Vec::new()],
            sent: [Vec::new(), Vec::new()],
            out,
            scratch: Vec::with_capacity(4096),
            malformed: 0,
            extended: 0,
        }
    }

    /// Whether any instrument is wanted (the connection opens only then).
    pub fn wanted(&self) -> bool {
        self.want.iter().any(|w| !w.is_empty())
    }

    pub fn counts(&self) -> MessageCounts {
        MessageCounts {
            malformed: self.malformed,
            extended: self.extended,
            ..MessageCounts::default()
        }
    }

    /// The handle's new wishes; on a live connection the differences are asked
    /// for at once (unsubscribes first), otherwise everything goes with the
    /// next upgrade.
    pub fn set(&mut self, trade: Vec<u32>, ohlc: Vec<u32>, ws: Option<&mut WsClient>) {
        let mut want = [trade, ohlc];
        for w in &mut want {
            w.sort_unstable();
            w.dedup();
        }
        self.want = want;
        let Some(ws) = ws else {
            return;
        };
        for mode in GlobalMode::ALL {
            let i = mode_index(mode);
            let gone: Vec<u32> = self.sent[i]
                .iter()
                .copied()
                .filter(|id| self.want[i].binary_search(id).is_err())
                .collect();
            self.send(ws, mode, false, &gone);
        }
        for mode in GlobalMode::ALL {
            let i = mode_index(mode);
            let new: Vec<u32> = self.want[i]
                .iter()
                .copied()
                .filter(|id| self.sent[i].binary_search(id).is_err())
                .collect();
            self.send(ws, mode, true, &new);
            self.sent[i].clone_from(&self.want[i]);
        }
    }

    fn send(&mut self, ws: &mut WsClient, mode: GlobalMode, subscribe: bool, ids: &[u32]) {
        for chunk in ids.chunks(MAX_GLOBAL_PER_MESSAGE) {
            // Chunks are 1 to 100 ids: encoding cannot fail.
            if encode_global_request(mode, subscribe, chunk, &mut self.scratch).is_ok() {
                ws.send_text(&self.scratch);
            }
        }
    }
}

impl Proto for GlobalConn {
    fn on_upgraded(&mut self, ws: &mut WsClient) -> u32 {
        let mut n = 0;
        for mode in GlobalMode::ALL {
            let i = mode_index(mode);
            let ids = std::mem::take(&mut self.want[i]);
            self.send(ws, mode, true, &ids);
            n += ids.len();
            self.sent[i].clone_from(&ids);
            self.want[i] = ids;
        }
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn on_binary(&mut self, msg: &[u8], recv_ns: u64) -> Option<Cause> {
        let mut end = None;
        let mut bad = None;
        let mut it = global_packets(msg);
        for p in it.by_ref() {
            match p {
                Ok(packet) => {
                    if let GlobalData::Error { code } = packet.data {
                        end = Some(Cause::Dhan(code));
                    }
                    self.out
                        .push_data(recv_ns, || GlobalItem::Packet { packet, recv_ns });
                }
                Err(e) => bad = Some(e),
            }
        }
        self.extended += u64::from(it.extended());
        if let Some(e) = bad {
            self.malformed += 1;
            let rest = if it.ended_early() {
                "the rest of the message is skipped"
            } else {
                "that packet is skipped"
            };
            log::warn!("global stocks feed: {e}; {rest}");
        }
        end
    }
}
