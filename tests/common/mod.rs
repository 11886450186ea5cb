//! Helpers the integration tests share (each test binary compiles this module
//! and uses its own subset of it).
#![allow(dead_code)]

use dhan_feed::InstrumentId;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs the tests of one binary one at a time: they count threads and
/// connections, and on two cores parallel simulators only make each other slow.
/// A test that failed while holding it does not poison the others.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// An instrument from `SEGMENT:ID` text.
pub fn id(s: &str) -> InstrumentId {
    s.parse().unwrap()
}

/// A fresh, empty directory under the system's temporary directory, named for
/// this process and `name` (removed first if a previous run left it).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dhan-feed-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every market packet `feed` delivers for `ms` milliseconds, in order, into `out`.
pub fn market_packets(
    feed: &mut dhan_feed::MarketFeed,
    ms: u64,
    out: &mut Vec<dhan_feed::proto::market::MarketPacket>,
) {
    let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    while std::time::Instant::now() < until {
        if let Some(dhan_feed::FeedEvent::Market(m)) =
            feed.recv_timeout(std::time::Duration::from_millis(5))
        {
            out.push(m.packet);
        }
    }
}
