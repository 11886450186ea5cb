//! The consumer side: asks the daemon for instruments and reads its own
//! streams (one per mode it asked in).

use super::services::{Iox, IpcError, market_service, requests_service};
use super::wire::{self, MAX_IDS, Reply, Request, Sample, ViaEvent, WireId};
use crate::proto::request::FeedMode;
use crate::proto::segment::InstrumentId;
use iceoryx2::port::client::Client as IoxClient;
use iceoryx2::port::subscriber::Subscriber;
use iceoryx2::prelude::*;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A consumer of a daemon's market feed: what it subscribes, it receives, in
/// order per mode, with every sample numbered so that a loss is reported
/// ([`ViaEvent::Gap`]) and never silent.
pub struct Via {
    node: Node<Iox>,
    name: String,
    client: IoxClient<Iox, Request, (), Reply, ()>,
    streams: Vec<ViaStream>,
    /// A sample decoded and not yet handed out (the one after a gap).
    ready: VecDeque<ViaEvent>,
    next: usize,
}

impl std::fmt::Debug for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Via")
            .field("name", &self.name)
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

struct ViaStream {
    mode: FeedMode,
    subscriber: Subscriber<Iox, Sample, ()>,
    /// The sequence number the next sample should carry.
    expect: u64,
}

impl Via {
    /// Connects to the daemon serving `name` (iceoryx2 settings `config`, as
    /// the daemon's). Fails when no daemon serves it.
    pub fn connect(name: &str, config: &Config) -> Result<Self, IpcError> {
        let node = NodeBuilder::new()
            .config(config)
            .create::<Iox>()
            .map_err(IpcError::iox)?;
        let client = requests_service(&node, name)?
            .client_builder()
            .create()
            .map_err(IpcError::iox)?;
        Ok(Self {
            node,
            name: name.to_owned(),
            client,
            streams: Vec::new(),
            ready: VecDeque::new(),
            next: 0,
        })
    }

    /// Subscribes `ids` in `mode`, waiting up to `timeout` for the daemon's
    /// answer. The stream exists before the request is sent, so nothing the
    /// daemon publishes for it is lost.
    pub fn subscribe(
        &mut self,
        mode: FeedMode,
        ids: &[InstrumentId],
        timeout: Duration,
    ) -> Result<(), IpcError> {
        if !self.streams.iter().any(|s| s.mode == mode) {
            let subscriber = market_service(&self.node, &self.name, self.node.id(), mode)?
                .subscriber_builder()
                .create()
                .map_err(IpcError::iox)?;
            self.streams.push(ViaStream {
                mode,
                subscriber,
                expect: 1,
            });
        }
        self.request(1, mode, ids, timeout)
    }

    /// Unsubscribes `ids` in `mode`.
    pub fn unsubscribe(
        &mut self,
        mode: FeedMode,
        ids: &[InstrumentId],
        timeout: Duration,
    ) -> Result<(), IpcError> {
        self.request(2, mode, ids, timeout)
    }

    fn request(
        &mut self,
        op: u8,
        mode: FeedMode,
        ids: &[InstrumentId],
        timeout: Duration,
    ) -> Result<(), IpcError> {
        for chunk in ids.chunks(MAX_IDS) {
            let mut req = Request {
                node: *self.node.id(),
                op,
                mode: wire::mode_code(mode),
                count: chunk.len() as u16,
                pad: 0,
                ids: [WireId::default(); MAX_IDS],
            };
            for (w, id) in req.ids.iter_mut().zip(chunk) {
                *w = wire::wire_id(*id);
            }
            let pending = self.client.send_copy(req).map_err(IpcError::iox)?;
            let deadline = Instant::now() + timeout;
            let reply = loop {
                if let Some(r) = pending.receive().map_err(IpcError::iox)? {
                    break *r.payload();
                }
                if Instant::now() >= deadline {
                    return Err(IpcError::NoAnswer(timeout));
                }
                std::thread::sleep(Duration::from_micros(200));
            };
            if let Some(why) = reply.error() {
                return Err(IpcError::Refused(why));
            }
        }
        Ok(())
    }

    /// The next event of any of its streams, without waiting.
    pub fn try_recv(&mut self) -> Option<ViaEvent> {
        if let Some(e) = self.ready.pop_front() {
            return Some(e);
        }
        let n = self.streams.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let s = &mut self.streams[i];
            let Ok(Some(sample)) = s.subscriber.receive() else {
                continue;
            };
            self.next = (i + 1) % n;
            let sample = *sample.payload();
            let missed = sample.seq.saturating_sub(s.expect);
            s.expect = sample.seq + 1;
            let ev = wire::decode(&sample);
            if missed == 0 {
                match ev {
                    Some(ev) => return Some(ev),
                    None => continue,
                }
            }
            // The gap first, then the sample after it.
            self.ready.extend(ev);
            return Some(ViaEvent::Gap { missed });
        }
        None
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<ViaEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.try_recv() {
                return Some(e);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}
