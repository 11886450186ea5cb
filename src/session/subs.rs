//! Subscription planning, pure: given what the server has been asked for (`wire`)
//! and what consumers want, the requests that move one to the other, unsubscribes
//! first, at most 100 instruments per message.

use crate::proto::request::{FeedMode, MAX_INSTRUMENTS_PER_MESSAGE, RequestError, encode_list};
use crate::proto::segment::InstrumentId;

/// Pending changes, grouped by direction and mode. Reused: [`Plan::send`] empties
/// the lists and keeps their capacity.
#[derive(Debug, Default)]
pub struct Plan {
    /// `[unsubscribe, subscribe][mode]`.
    lists: [[Vec<InstrumentId>; 3]; 2],
}

fn mode_index(m: FeedMode) -> usize {
    match m {
        FeedMode::Ticker => 0,
        FeedMode::Quote => 1,
        FeedMode::Full => 2,
    }
}

/// What moving one instrument from `wire` to `want` takes: an unsubscribe of the
/// old mode (when it goes away or gets poorer), then a subscribe of the new one.
/// A richer mode is a plain subscribe (the server upgrades the instrument).
pub fn change(
    wire: Option<FeedMode>,
    want: Option<FeedMode>,
) -> (Option<FeedMode>, Option<FeedMode>) {
    if wire == want {
        return (None, None);
    }
    let unsub = wire.filter(|&w| want.is_none_or(|n| n < w));
    (unsub, want)
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the change of `id` from `wire` to `want`; returns whether anything
    /// must be sent.
    pub fn push(
        &mut self,
        id: InstrumentId,
        wire: Option<FeedMode>,
        want: Option<FeedMode>,
    ) -> bool {
        let (unsub, sub) = change(wire, want);
        if let Some(m) = unsub {
            self.lists[0][mode_index(m)].push(id);
        }
        if let Some(m) = sub {
            self.lists[1][mode_index(m)].push(id);
        }
        unsub.is_some() || sub.is_some()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.lists.iter().flatten().all(Vec::is_empty)
    }

    /// Instruments to be subscribed (any mode).
    pub fn subscribes(&self) -> usize {
        self.lists[1].iter().map(Vec::len).sum()
    }

    /// Encodes every pending request into `scratch` and hands each message to
    /// `send`: all unsubscribes before any subscribe (a downgrade full → ticker is
    /// "unsubscribe full, subscribe ticker"; the reverse order would lose the
    /// instrument). Empties the plan. Only an instrument of an unnamed segment can
    /// fail to encode; its batch is skipped and the first such error returned after
    /// everything else was sent.
    pub fn send(
        &mut self,
        scratch: &mut Vec<u8>,
        mut send: impl FnMut(&[u8]),
    ) -> Result<(), RequestError> {
        let mut first_err = None;
        for (dir, per_mode) in self.lists.iter_mut().enumerate() {
            for (mi, ids) in per_mode.iter_mut().enumerate() {
                let mode = FeedMode::ALL[mi];
                let code = if dir == 0 {
                    mode.unsubscribe_code()
                } else {
                    mode.subscribe_code()
                };
                for chunk in ids.chunks(MAX_INSTRUMENTS_PER_MESSAGE) {
                    match encode_list(code, chunk, MAX_INSTRUMENTS_PER_MESSAGE, scratch) {
                        Ok(()) => send(scratch),
                        Err(e) => {
                            first_err.get_or_insert(e);
                        }
                    }
                }
                ids.clear();
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::json::TapeParser;
    use crate::proto::request_parse::parse_request;
    use crate::proto::segment::ExchangeSegment;

    #[test]
    fn changes_follow_the_mode_order() {
        use FeedMode::*;
        assert_eq!(change(None, Some(Quote)), (None, Some(Quote)));
        assert_eq!(change(Some(Quote), None), (Some(Quote), None));
        assert_eq!(change(Some(Ticker), Some(Full)), (None, Some(Full)));
        assert_eq!(change(Some(Full), Some(Ticker)), (Some(Full), Some(Ticker)));
        assert_eq!(change(Some(Full), Some(Full)), (None, None));
    }

    #[test]
    fn requests_are_batched_by_100_with_unsubscribes_first() {
        let mut plan = Plan::new();
        for i in 0..250u32 {
            plan.push(
                InstrumentId::new(ExchangeSegment::NseEq, i),
                None,
                Some(FeedMode::Quote),
            );
        }
        let gone = InstrumentId::new(ExchangeSegment::NseEq, 9999);
        plan.push(gone, Some(FeedMode::Full), None);
        assert_eq!(plan.subscribes(), 250);
        let mut parser = TapeParser::new();
        let mut got = Vec::new();
        let mut scratch = Vec::new();
        plan.send(&mut scratch, |m| {
            got.push(parse_request(&mut parser, m).expect("our own request parses"))
        })
        .expect("all named segments");
        assert!(plan.is_empty());
        let codes: Vec<u16> = got.iter().map(|r| r.code).collect();
        assert_eq!(codes, [22, 17, 17, 17]);
        assert_eq!(got[0].instruments, [gone]);
        let sizes: Vec<usize> = got[1..].iter().map(|r| r.instruments.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
    }
}
