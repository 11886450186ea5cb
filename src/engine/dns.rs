//! Host-name lookups off the I/O thread: the I/O thread hands a host to a pool of
//! resolver threads (started on demand, at most [`MAX_RESOLVERS`], each blocking
//! in the configured [`Resolver`]); the answer comes back as a
//! [`Command::Resolved`] on the command channel, and the `Waker` wakes the poll.
//! The I/O thread never waits for a lookup and holds no lock across one; the
//! lifecycle's `resolve_timeout` bounds how long a connection waits for its
//! answer (a late answer is dropped: its id no longer matches).

use super::port::Command;
use crate::resolve::Resolver;
use crossbeam_channel::{Receiver, Sender};
use mio::Waker;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Resolver threads at most: every connection of a client (5 market, depth,
/// order) can wait for a lookup at the same time without queueing behind a slow
/// one in most set-ups; more than that queue.
pub(crate) const MAX_RESOLVERS: usize = 4;

struct Request {
    id: u64,
    host: String,
    port: u16,
}

/// The I/O thread's side of the resolver pool.
pub(crate) struct Dns {
    resolver: Resolver,
    requests: Sender<Request>,
    /// Cloned into each new resolver thread.
    queue: Receiver<Request>,
    answers: Sender<Command>,
    waker: Arc<Waker>,
    /// Lookups asked for and not yet answered.
    busy: Arc<AtomicUsize>,
    threads: usize,
    next_id: u64,
}

impl Dns {
    /// A pool that resolves with `resolver` and answers on `answers`, waking `waker`.
    pub fn new(resolver: Resolver, answers: Sender<Command>, waker: Arc<Waker>) -> Self {
        let (requests, queue) = crossbeam_channel::unbounded();
        Self {
            resolver,
            requests,
            queue,
            answers,
            waker,
            busy: Arc::new(AtomicUsize::new(0)),
            threads: 0,
            next_id: 0,
        }
    }

    /// Asks for `host`'s addresses; returns the id its [`Command::Resolved`] will
    /// carry. Fails only if no resolver thread exists and none could be started.
    pub fn lookup(&mut self, host: &str, port: u16) -> io::Result<u64> {
        let busy = self.busy.fetch_add(1, Ordering::AcqRel) + 1;
        if busy > self.threads
            && self.threads < MAX_RESOLVERS
            && let Err(e) = self.start_thread()
            && self.threads == 0
        {
            self.busy.fetch_sub(1, Ordering::AcqRel);
            return Err(e);
        }
        self.next_id += 1;
        let id = self.next_id;
        let req = Request {
            id,
            host: host.to_owned(),
            port,
        };
        // The receiving side lives in `self.queue`: sending cannot fail.
        let _ = self.requests.send(req);
        Ok(id)
    }

    fn start_thread(&mut self) -> io::Result<()> {
        let queue = self.queue.clone();
        let resolver = self.resolver.clone();
        let answers = self.answers.clone();
        let waker = self.waker.clone();
        let busy = self.busy.clone();
        std::thread::Builder::new()
            .name("dhan-feed-dns".into())
            .spawn(move || {
                // Ends when the engine (holding `requests`) is gone.
                while let Ok(req) = queue.recv() {
                    let result = resolver.lookup(&req.host, req.port);
                    busy.fetch_sub(1, Ordering::AcqRel);
                    // A stopped engine no longer reads answers: nothing to do.
                    if answers
                        .send(Command::Resolved { id: req.id, result })
                        .is_ok()
                    {
                        let _ = waker.wake();
                    }
                }
            })?;
        self.threads += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mio::{Events, Poll, Token};
    use std::net::SocketAddr;
    use std::sync::{Condvar, Mutex};
    use std::time::Duration;

    fn answer(rx: &crossbeam_channel::Receiver<Command>) -> (u64, io::Result<Vec<SocketAddr>>) {
        match rx.recv_timeout(Duration::from_secs(10)).expect("an answer") {
            Command::Resolved { id, result } => (id, result),
            _ => panic!("not an answer"),
        }
    }

    #[test]
    fn lookups_run_on_resolver_threads_and_answer_through_the_channel_and_waker() {
        // A resolver that blocks "slow.test" until released.
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let g = gate.clone();
        let resolver = Resolver::custom(move |host, port| {
            if host == "slow.test" {
                let (open, cv) = &*g;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = cv.wait(open).unwrap();
                }
            }
            if host == "bad.test" {
                return Err(io::Error::new(io::ErrorKind::NotFound, "no such host"));
            }
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
        });
        let mut poll = Poll::new().unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), Token(0)).unwrap());
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut dns = Dns::new(resolver, tx, waker);
        // The slow lookup takes one thread; the next lookups get their own and
        // are answered meanwhile, in the order they finish.
        let slow = dns.lookup("slow.test", 1).unwrap();
        let fast = dns.lookup("fast.test", 2).unwrap();
        let (id, result) = answer(&rx);
        assert_eq!(id, fast);
        assert_eq!(result.unwrap(), [SocketAddr::from(([127, 0, 0, 1], 2))]);
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        assert!(events.iter().any(|e| e.token() == Token(0)), "woken");
        let bad = dns.lookup("bad.test", 3).unwrap();
        let (id, result) = answer(&rx);
        assert_eq!(id, bad);
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(dns.threads >= 2 && dns.threads <= MAX_RESOLVERS);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        let (id, result) = answer(&rx);
        assert_eq!(id, slow);
        assert!(result.is_ok());
        assert_eq!(dns.busy.load(Ordering::Acquire), 0);
    }

    #[test]
    fn no_more_than_the_maximum_of_threads_and_extra_lookups_queue() {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let g = gate.clone();
        let resolver = Resolver::custom(move |_, port| {
            let (open, cv) = &*g;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
        });
        let poll = Poll::new().unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), Token(0)).unwrap());
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut dns = Dns::new(resolver, tx, waker);
        let ids: Vec<u64> = (0..7).map(|p| dns.lookup("h.test", p).unwrap()).collect();
        assert_eq!(dns.threads, MAX_RESOLVERS);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        let mut got: Vec<u64> = (0..7).map(|_| answer(&rx).0).collect();
        got.sort();
        assert_eq!(got, ids, "every queued lookup answered once");
    }
}
