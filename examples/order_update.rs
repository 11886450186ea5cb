//! Live order updates as events — `Update`, `StatusChange`, `Execution`, `Traded`,
//! `Rejected`, `Cancelled`, `Expired`, `Open`, `Close`, `Error` — against Dhan when
//! credentials are set (SELF, or PARTNER with `DHAN_WS_USER_TYPE=PARTNER`), else
//! against the simulator, which plays each order lifecycle in turn.
//!
//! Run: `cargo run --example order_update [SECONDS]`

use dhan_feed::feed::OrderEvent;
use dhan_feed::sim::{Simulator, env_or_simulator};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let (_sim, client) =
        env_or_simulator(Simulator::builder().order_interval(Some(Duration::from_millis(200))))?;
    let mut orders = client.order_updates();
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        let Some(ev) = orders.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        match ev {
            OrderEvent::Open => println!("connected to the order feed"),
            OrderEvent::Update(u) => println!(
                "update     #{} {} {} {} qty {} traded {} @ {}",
                u.order_no.as_str(),
                u.symbol.as_str(),
                u.txn_type.as_str(),
                u.status.as_str(),
                u.quantity,
                u.traded_qty,
                u.price
            ),
            OrderEvent::StatusChange {
                order_no,
                previous,
                new,
                ..
            } => println!(
                "status     #{} {} -> {}",
                order_no.as_str(),
                previous.as_str(),
                new.as_str()
            ),
            OrderEvent::Execution {
                order_no,
                previous_traded_qty,
                new_traded_qty,
                execution_percentage,
                ..
            } => println!(
                "execution  #{} {previous_traded_qty} -> {new_traded_qty} ({execution_percentage:.0}% filled)",
                order_no.as_str()
            ),
            OrderEvent::Traded(u) => println!(
                "TRADED     #{} avg {}",
                u.order_no.as_str(),
                u.avg_traded_price
            ),
            OrderEvent::Rejected(u) => println!(
                "REJECTED   #{}: {}",
                u.order_no.as_str(),
                u.reason_description.as_str()
            ),
            OrderEvent::Cancelled(u) => println!("CANCELLED  #{}", u.order_no.as_str()),
            OrderEvent::Expired(u) => println!("EXPIRED    #{}", u.order_no.as_str()),
            OrderEvent::Close { code, reason } => println!("closed: {code:?} {}", reason.as_str()),
            OrderEvent::Error(e) => println!("error: {e}"),
            other => println!("{other:?}"),
        }
    }
    println!(
        "tracked orders: {}, evicted: {}, {:?}",
        orders.tracker().len(),
        orders.tracker().evicted(),
        orders.stats()
    );
    Ok(())
}
