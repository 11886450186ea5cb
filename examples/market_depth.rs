//! 20-level market depth of RELIANCE and TCS: books assembled from the bid and ask
//! packets, printed with best bid/ask and spread after each complete snapshot.
//! Against Dhan when credentials are set, else against the simulator.
//!
//! Run: `cargo run --example market_depth [SNAPSHOTS]`

use dhan_feed::feed::DepthFeedEvent;
use dhan_feed::sim::{Simulator, env_or_simulator};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let wanted: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let (_sim, client) = env_or_simulator(Simulator::builder().depth_rate(5.0))?;
    let mut depth = client.depth20();
    depth.subscribe_labelled(&[
        ("NSE_EQ:2885".parse()?, "RELIANCE"),
        ("NSE_EQ:11536".parse()?, "TCS"),
    ])?;
    let mut shown = 0;
    while shown < wanted {
        match depth.recv_timeout(Duration::from_secs(10)) {
            Some(DepthFeedEvent::Snapshot { id, .. }) => {
                let Some(book) = depth.book(id) else { continue };
                let (bid, ask) = (book.best_bid(), book.best_ask());
                println!(
                    "{:<9} bid {:>9.2} x {:<6} ask {:>9.2} x {:<6} spread {:.2}  ({} levels a side)",
                    book.label().as_str(),
                    bid.map_or(0.0, |l| l.price),
                    bid.map_or(0, |l| l.qty),
                    ask.map_or(0.0, |l| l.price),
                    ask.map_or(0, |l| l.qty),
                    book.spread().unwrap_or(0.0),
                    book.bids().len()
                );
                shown += 1;
            }
            Some(DepthFeedEvent::Connection(c)) => println!("{c}"),
            Some(_) => {}
            None => {
                println!("no depth within 10 s");
                break;
            }
        }
    }
    println!("{:?}", depth.stats());
    Ok(())
}
