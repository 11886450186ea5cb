//! All three WebSockets at once on one client (one I/O thread), within Dhan's
//! connection budget: the market feed (indices, quote mode), 20-level depth of
//! RELIANCE and TCS, 200-level depth of RELIANCE, and order updates. Each consumer
//! runs on its own thread; after a few seconds each consumer prints what it
//! received, and the market feed its counters and health. Against Dhan when credentials are set, else against the simulator.
//!
//! Run: `cargo run --example comprehensive [SECONDS]`

use dhan_feed::feed::{DepthFeedEvent, OrderEvent};
use dhan_feed::sim::{Simulator, env_or_simulator};
use dhan_feed::{FeedEvent, FeedMode, InstrumentId};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let (_sim, client) = env_or_simulator(
        Simulator::builder()
            .rate(200.0)
            .depth_rate(5.0)
            .order_interval(Some(Duration::from_millis(300))),
    )?;
    let end = Instant::now() + Duration::from_secs(seconds);
    let reliance: InstrumentId = "NSE_EQ:2885".parse()?;
    let tcs: InstrumentId = "NSE_EQ:11536".parse()?;

    let mut market = client.market_feed(FeedMode::Quote);
    let indices: Vec<InstrumentId> = ["IDX_I:13", "IDX_I:25", "IDX_I:29", "IDX_I:51"]
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    market.subscribe(&indices)?;
    let mut depth20 = client.depth20();
    depth20.subscribe_labelled(&[(reliance, "RELIANCE"), (tcs, "TCS")])?;
    let mut depth200 = client.depth200();
    depth200.subscribe_labelled(&[(reliance, "RELIANCE")])?;
    let mut orders = client.order_updates();

    std::thread::scope(|s| {
        s.spawn(|| {
            let mut n = 0u64;
            while Instant::now() < end {
                if let Some(FeedEvent::Market(_)) = market.recv_timeout(Duration::from_millis(50)) {
                    n += 1;
                }
            }
            println!("market feed: {n} events, {:?}", market.health());
        });
        s.spawn(|| {
            let mut n = 0u64;
            while Instant::now() < end {
                if let Some(DepthFeedEvent::Snapshot { .. }) =
                    depth20.recv_timeout(Duration::from_millis(50))
                {
                    n += 1;
                }
            }
            let spread = depth20.book(reliance).and_then(|b| b.spread());
            println!("20-level depth: {n} snapshots, RELIANCE spread {spread:?}");
        });
        s.spawn(|| {
            let mut n = 0u64;
            while Instant::now() < end {
                if let Some(DepthFeedEvent::Snapshot { .. }) =
                    depth200.recv_timeout(Duration::from_millis(50))
                {
                    n += 1;
                }
            }
            let rows = depth200.book(reliance).map(|b| b.bids().len());
            println!("200-level depth: {n} snapshots, RELIANCE bid rows {rows:?}");
        });
        s.spawn(|| {
            let (mut updates, mut fills) = (0u64, 0u64);
            while Instant::now() < end {
                match orders.recv_timeout(Duration::from_millis(50)) {
                    Some(OrderEvent::Update(_)) => updates += 1,
                    Some(OrderEvent::Execution { .. }) => fills += 1,
                    _ => {}
                }
            }
            println!(
                "order updates: {updates} updates, {fills} executions, {} orders tracked",
                orders.tracker().len()
            );
        });
    });
    Ok(())
}
