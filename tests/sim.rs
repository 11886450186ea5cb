//! The simulator against a client built from the protocol core and tungstenite:
//! every endpoint, every limit, every fault script. Loopback only, port 0, every
//! read bounded by a timeout.

#[path = "sim/client.rs"]
mod client;
#[path = "common/mod.rs"]
mod common;
#[path = "sim/endpoints.rs"]
mod endpoints;
#[path = "sim/faults.rs"]
mod faults;
#[path = "sim/limits.rs"]
mod limits;

/// Orders go on while no order socket is connected (their updates lost, as
/// Dhan's are), the book keeps every order's latest state with its own
/// exchange order number, and `order_count` stops creating orders.
#[test]
fn orders_go_on_without_a_socket_and_the_book_keeps_their_final_states() {
    use dhan_feed::sim::{SimConfig, Simulator};
    use std::time::{Duration, Instant};
    let sim = Simulator::start(SimConfig {
        tls: false,
        order_interval: Some(Duration::from_millis(5)),
        order_step: Duration::from_millis(1),
        order_count: Some(12),
        ..SimConfig::default()
    })
    .unwrap();
    let h = sim.handle();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.orders_by_status().values().sum::<u64>() < 12 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let the last one finish, and give the generator time to (not) make more.
    std::thread::sleep(Duration::from_millis(300));
    let book = h.order_book();
    assert_eq!(book.len(), 12, "order_count stops creating orders");
    assert_eq!(h.stats().orders, 12);
    assert_eq!(h.stats().order_updates, 0, "no socket: nothing sent");
    let mut exch: Vec<&str> = book.iter().map(|u| u.exch_order_no.as_str()).collect();
    exch.sort_unstable();
    exch.dedup();
    assert_eq!(exch.len(), 12, "each order its own exchange order number");
    // Every lifecycle ran to its end: only final states remain.
    let finals = ["TRADED", "CANCELLED", "REJECTED", "EXPIRED"];
    for (status, n) in h.orders_by_status() {
        assert!(finals.contains(&status.as_str()), "{status}: {n}");
    }
}
