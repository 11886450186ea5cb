//! The Global Stocks (US) feed: trades of two stocks and OHLC of one, on one
//! connection, with the reference packets Dhan sends on subscribe. Against Dhan
//! when credentials are set, else against the simulator.
//!
//! Run: `cargo run --example global_stocks [SECURITY_ID…]` (default: the official
//! SDK example's 1234 and 5678).

use dhan_feed::sim::{Simulator, env_or_simulator};
use dhan_feed::{GlobalData, GlobalFeedEvent, GlobalMode};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut ids: Vec<u32> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        ids = vec![1234, 5678];
    }
    let (_sim, client) = env_or_simulator(Simulator::builder().rate(20.0))?;
    let mut feed = client.global_stocks_feed(GlobalMode::Trade);
    feed.subscribe(&ids)?;
    feed.subscribe_in(GlobalMode::Ohlc, &ids[..1])?;
    let mut shown = 0;
    while shown < 30 {
        match feed.recv_timeout(Duration::from_secs(10)) {
            Some(GlobalFeedEvent::Packet { packet: p, .. }) => {
                let id = p.security_id;
                match p.data {
                    GlobalData::Trade { ltp, volume, .. } => {
                        println!("{id:>6} trade  ${ltp:.2}  volume {volume}")
                    }
                    GlobalData::Ohlc {
                        open,
                        high,
                        low,
                        close,
                    } => println!("{id:>6} ohlc   o {open:.2} h {high:.2} l {low:.2} c {close:.2}"),
                    GlobalData::PrevClose { prev_close } => {
                        println!("{id:>6} previous close ${prev_close:.2}")
                    }
                    _ => println!("{id:>6} {}", p.kind_name()),
                }
                shown += 1;
            }
            Some(GlobalFeedEvent::Connection(c)) => println!("{c}"),
            Some(_) => {}
            None => {
                println!("nothing within 10 s");
                break;
            }
        }
    }
    println!("{:?}", feed.stats());
    Ok(())
}
