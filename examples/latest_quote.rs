//! Two ways to follow prices, side by side: a strategy loop that reads the
//! last-value cache for its instruments at its own pace (every 200 ms), and a
//! thread that consumes the feed's ring, event by event.
//!
//! The ring delivers every packet, in order, once: right for anything that must
//! see each trade (candles, a recorder, an order trigger on a crossing). The
//! cache keeps only the latest packet of each kind per instrument, readable from
//! any thread at any time without a lock: right for a loop that asks "what is the
//! price now?" and may skip what happened in between. Both come from one feed;
//! the I/O thread fills both.
//!
//! Against Dhan when `DHAN_CLIENT_ID` and `DHAN_ACCESS_TOKEN` are set, else
//! against the built-in simulator.
//!
//! Run: `cargo run --example latest_quote`

use dhan_feed::sim::{Simulator, env_or_simulator};
use dhan_feed::{FeedEvent, FeedMode, InstrumentId};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (_sim, client) = env_or_simulator(Simulator::builder().rate(2_000.0))?;
    // RELIANCE, HDFCBANK, INFY, NIFTY.
    let ids: Vec<InstrumentId> = ["NSE_EQ:2885", "NSE_EQ:1333", "NSE_EQ:1594", "IDX_I:13"]
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let (mut feed, cache) = client.market_feed_with_cache(FeedMode::Quote, ids.len());
    feed.subscribe(&ids)?;

    // The ring's consumer: every event, counted.
    let done = AtomicBool::new(false);
    let events = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if let Some(FeedEvent::Market(_)) = feed.recv_timeout(Duration::from_millis(50)) {
                    events.fetch_add(1, Ordering::Relaxed);
                }
            }
        });

        // The strategy: the latest values, five times a second.
        for round in 0..10 {
            std::thread::sleep(Duration::from_millis(200));
            let mut line = format!("{:>4} ms", (round + 1) * 200);
            for &id in &ids {
                // Quotes for the stocks; an index sends tickers in any mode.
                let ltp = cache.latest(id).and_then(|l| l.ltp());
                let updates = cache.latest(id).map_or(0, |l| {
                    l.quote.map_or(0, |q| q.updates) + l.ticker.map_or(0, |t| t.updates)
                });
                match ltp {
                    Some(p) => line += &format!("  {id} {p:>9.2} ({updates:>4} updates)"),
                    None => line += &format!("  {id}         -"),
                }
            }
            println!("{line}");
        }
        done.store(true, Ordering::Relaxed);
    });
    println!(
        "the ring delivered {} market events; the cache holds {} instruments ({} packets refused)",
        events.load(Ordering::Relaxed),
        cache.instruments(),
        cache.refused()
    );
    Ok(())
}
