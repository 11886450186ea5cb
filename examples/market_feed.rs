//! NIFTY, BANKNIFTY, NIFTYIT and SENSEX in ticker mode: against Dhan when
//! `DHAN_CLIENT_ID` and `DHAN_ACCESS_TOKEN` are set, else against the built-in
//! simulator. Prints 20 events and the consumer's counters and health.
//!
//! Run: `cargo run --example market_feed`

use dhan_feed::sim::{Simulator, env_or_simulator};
use dhan_feed::{FeedEvent, FeedMode, InstrumentId};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (_sim, client) = env_or_simulator(Simulator::builder().rate(50.0))?;
    let mut feed = client.market_feed(FeedMode::Ticker);
    let indices: Vec<InstrumentId> = ["IDX_I:13", "IDX_I:25", "IDX_I:29", "IDX_I:51"]
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    feed.subscribe(&indices)?;
    let mut shown = 0;
    while shown < 20 {
        match feed.recv_timeout(Duration::from_secs(5)) {
            Some(FeedEvent::Market(m)) => {
                println!(
                    "{} {:?} ltp={:?}",
                    m.packet.id(),
                    m.packet.kind_name(),
                    m.packet.ltp()
                );
                shown += 1;
            }
            Some(FeedEvent::Connection(c)) => println!("{c}"),
            Some(other) => println!("{other:?}"),
            None => {
                println!("no event within 5 s");
                break;
            }
        }
    }
    println!("{:?}", feed.stats());
    println!("{:?}", feed.health());
    Ok(())
}
