//! NIFTY, BANKNIFTY, NIFTYIT and SENSEX in ticker mode: against Dhan when
//! `DHAN_CLIENT_ID` and `DHAN_ACCESS_TOKEN` are set, else against the built-in
//! simulator. Prints 20 events and the consumer's counters.
//!
//! Run: `cargo run --example market_feed`

use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Simulator};
use dhan_feed::{Client, ClientConfig, Endpoints, FeedEvent, FeedMode, InstrumentId, Secret};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _sim = None;
    let client = if ClientConfig::env_has_credentials() {
        Client::from_env()?
    } else {
        let sim = Simulator::builder().rate(50.0).start()?;
        println!(
            "no Dhan credentials in the environment: using the simulator at {}",
            sim.url()
        );
        let cfg = ClientConfig {
            client_id: Secret::new(DEFAULT_CLIENT_ID),
            access_token: Secret::new(DEFAULT_ACCESS_TOKEN),
            endpoints: Endpoints::all(&sim.url()),
            extra_roots: sim.certificate().into_iter().collect(),
            ..ClientConfig::default()
        };
        _sim = Some(sim);
        Client::new(cfg)?
    };
    let mut feed = client.market_feed(FeedMode::Ticker);
    let indices: Vec<InstrumentId> = ["IDX_I:13", "IDX_I:25", "IDX_I:29", "IDX_I:51"]
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    feed.subscribe_many(&indices);
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
            Some(other) => println!("{other:?}"),
            None => {
                println!("no event within 5 s");
                break;
            }
        }
    }
    println!("{:?}", feed.stats());
    Ok(())
}
