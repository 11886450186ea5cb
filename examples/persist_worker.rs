//! The consumer hands events to a worker thread that persists them — the Rust
//! counterpart of the seed's "enqueue a background job from the callback" pattern.
//!
//! The I/O thread never waits: it publishes into the consumer's ring (a full ring
//! drops and counts). The consumer thread moves each order event and each market
//! tick into a bounded channel; the worker appends them as JSON lines to a file and
//! flushes in batches. If the worker falls behind, the channel fills and the
//! consumer (not the I/O thread) waits; the ring absorbs the burst meanwhile.
//!
//! Run: `cargo run --example persist_worker [SECONDS] [FILE]`

use dhan_feed::feed::OrderEvent;
use dhan_feed::sim::{Simulator, env_or_simulator};
use dhan_feed::{FeedEvent, FeedMode};
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

/// What the worker persists.
enum Job {
    Order(Box<OrderEvent>),
    Tick(dhan_feed::event::MarketEvent),
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let path = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("dhan-feed-events.jsonl"));
    let (_sim, client) = env_or_simulator(
        Simulator::builder()
            .rate(100.0)
            .order_interval(Some(Duration::from_millis(200))),
    )?;
    let mut orders = client.order_updates();
    let mut market = client.market_feed(FeedMode::Ticker);
    market.subscribe(&["IDX_I:13".parse()?, "IDX_I:25".parse()?])?;

    let (tx, rx) = crossbeam_channel::bounded::<Job>(4096);
    let file = std::fs::File::create(&path)?;
    let worker = std::thread::spawn(move || -> std::io::Result<u64> {
        let mut out = BufWriter::new(file);
        let mut line = Vec::with_capacity(2048);
        let mut written = 0u64;
        for job in rx {
            line.clear();
            match job {
                Job::Order(ev) => dhan_feed::jsonl::order_event(&ev, &mut line),
                Job::Tick(m) => dhan_feed::jsonl::market_packet(&m.packet, &mut line),
            }
            out.write_all(&line)?;
            written += 1;
        }
        out.flush()?;
        Ok(written)
    });

    let end = Instant::now() + Duration::from_secs(seconds);
    let mut handed = 0u64;
    while Instant::now() < end {
        let mut idle = true;
        if let Some(ev) = orders.try_recv() {
            idle = false;
            tx.send(Job::Order(Box::new(ev)))?;
            handed += 1;
        }
        if let Some(FeedEvent::Market(m)) = market.try_recv() {
            idle = false;
            tx.send(Job::Tick(m))?;
            handed += 1;
        }
        if idle {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    drop(tx);
    let written = worker.join().map_err(|_| "worker panicked")??;
    println!(
        "handed {handed} events to the worker; it wrote {written} lines to {}",
        path.display()
    );
    println!(
        "order feed {:?}; market feed {:?}",
        orders.stats(),
        market.stats()
    );
    Ok(())
}
