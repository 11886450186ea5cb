//! Parses one ~1 KB `order_alert` (the benchmarks' message) many times, on the
//! fast path or through simd-json's tape only: a steady loop for
//! `valgrind --tool=callgrind`, whose instruction counts repeat where wall-clock
//! time does not.
//!
//! Run: `cargo run --release --example order_parse [fast|tape] [N]`

use dhan_feed::internals::sample;
use dhan_feed::proto::OrderStatus;
use dhan_feed::proto::order::{KeyCase, OrderUpdate, OrderUpdateParser, encode_order_update};

fn main() {
    let mut args = std::env::args().skip(1);
    let tape = args.next().as_deref() == Some("tape");
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let u = sample::order_update("52260111", OrderStatus::PartTraded, 40);
    let mut msg = Vec::new();
    encode_order_update(&u, KeyCase::Pascal, &mut msg);
    let mut parser = OrderUpdateParser::new();
    let mut slot = OrderUpdate::EMPTY;
    let mut ok = 0u32;
    for _ in 0..n {
        let json = std::hint::black_box(&msg[..]);
        let r = if tape {
            parser.parse_object_tape(json, 0, &mut slot)
        } else {
            parser.parse_object(json, 0, &mut slot)
        };
        ok += u32::from(r.is_ok());
    }
    assert!(
        n == 0 || slot == u,
        "the parsed update differs from the encoded one"
    );
    println!(
        "{ok} of {n} parsed ({} bytes each, {})",
        msg.len(),
        if tape { "tape" } else { "fast path" }
    );
}
