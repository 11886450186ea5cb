//! The 20- and 200-level depth endpoints: code-23 subscriptions (list or flat
//! form), stacked bid and ask packets per message.

use super::flow::Flow;
use super::out::Out;
use super::walk::Walk;
use crate::proto::depth::{DepthKind, DepthLevel, DepthSide, MAX_ROWS_200};
use crate::proto::depth_encode::encode_levels;
use crate::proto::disconnect::DisconnectCode;
use crate::proto::json::TapeParser;
use crate::proto::request::{MAX_DEPTH20_INSTRUMENTS, code, depth_segment_allowed};
use crate::proto::request_parse::parse_request;
use crate::proto::segment::InstrumentId;

pub(crate) struct DepthLogic {
    kind: DepthKind,
    seed: u64,
    subs: Vec<Walk>,
    parser: TapeParser,
    msg: Vec<u8>,
    levels: Vec<DepthLevel>,
    seq: u32,
}

impl DepthLogic {
    pub fn new(kind: DepthKind, seed: u64) -> Self {
        Self {
            kind,
            seed,
            subs: Vec::new(),
            parser: TapeParser::new(),
            msg: Vec::with_capacity(64 * 1024),
            levels: Vec::with_capacity(MAX_ROWS_200),
            seq: 0,
        }
    }

    pub fn has_work(&self) -> bool {
        !self.subs.is_empty()
    }

    fn limit(&self) -> usize {
        match self.kind {
            DepthKind::Twenty => MAX_DEPTH20_INSTRUMENTS,
            DepthKind::TwoHundred => 1,
        }
    }

    pub fn on_text(&mut self, text: &[u8]) -> Flow {
        let req = match parse_request(&mut self.parser, text) {
            Ok(r) => r,
            Err(e) => {
                log::debug!("sim depth: ignoring bad request: {e}");
                return Flow::Continue;
            }
        };
        let c = u8::try_from(req.code).unwrap_or(0);
        match c {
            code::DISCONNECT => return Flow::Goodbye,
            code::SUBSCRIBE_DEPTH => {
                for id in req.instruments {
                    if !depth_segment_allowed(id.segment) {
                        log::debug!("sim depth: {id} is not NSE_EQ/NSE_FNO; ignored");
                        continue;
                    }
                    if self.subs.iter().any(|w| w.id() == id) {
                        continue;
                    }
                    if self.subs.len() >= self.limit() {
                        return Flow::Disconnect(DisconnectCode::INSTRUMENTS_EXCEED_LIMIT);
                    }
                    self.subs.push(Walk::new(self.seed, id));
                }
            }
            code::UNSUBSCRIBE_DEPTH | code::UNSUBSCRIBE_DEPTH_OLD => {
                let gone: Vec<InstrumentId> = req.instruments;
                self.subs.retain(|w| !gone.contains(&w.id()));
            }
            other => log::debug!("sim depth: ignoring request code {other}"),
        }
        Flow::Continue
    }

    /// One message: bid and ask of every subscribed instrument, stacked.
    pub fn produce(&mut self, out: &mut Out) -> u64 {
        if self.subs.is_empty() {
            return 0;
        }
        self.msg.clear();
        self.seq = self.seq.wrapping_add(1);
        let mut n = 0;
        for w in &mut self.subs {
            w.step();
            let rows = match self.kind {
                DepthKind::Twenty => 20,
                // Thin books: fewer rows than 200, as real packets often carry.
                DepthKind::TwoHundred => 150 + (w.step() as usize % 51),
            };
            for side in [DepthSide::Bid, DepthSide::Ask] {
                w.depth_levels(side, rows, &mut self.levels);
                encode_levels(
                    self.kind,
                    side,
                    w.id(),
                    self.seq,
                    &self.levels,
                    &mut self.msg,
                );
                n += 1;
            }
        }
        out.binary(&self.msg, n);
        1
    }

    pub fn disconnect_packet(code: DisconnectCode, out: &mut Vec<u8>) {
        crate::proto::depth_encode::encode_disconnect(
            InstrumentId::new(crate::proto::ExchangeSegment::IdxI, 0),
            code,
            out,
        );
    }
}
