//! Decodes a stream of one-packet ticker (or quote) messages many times, the
//! way `cargo bench --bench decode -- market_decode` does: with the crate's
//! walker, with the naive baseline, or (ticker only) with nothing but the loads
//! of its three fields. A steady loop for `valgrind --tool=callgrind`, whose
//! instruction counts repeat where wall-clock time does not: run it with N and
//! with 0 rounds and divide the difference by N × 1,024 packets.
//!
//! Run: `cargo run --release --example market_decode -- [ours|naive|loads|empty] [ticker|quote] [N]`

use dhan_feed::internals::baseline::{naive, ticker_loads_only};
use dhan_feed::internals::sample;
use dhan_feed::proto::market::{Step, packets};
use dhan_feed::proto::market_encode::packet_bytes;
use std::hint::black_box;

const BATCH: usize = 1024;

fn main() {
    let mut args = std::env::args().skip(1);
    let how = args.next().unwrap_or_else(|| "ours".into());
    let kind = args.next().unwrap_or_else(|| "ticker".into());
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let code = match kind.as_str() {
        "ticker" => 2,
        "quote" => 4,
        other => panic!("kind {other}: ticker or quote"),
    };
    let all = sample::market_packets();
    let one = packet_bytes(all.iter().find(|p| p.code() == code).expect("sample"));
    let len = one.len();
    let stream: Vec<u8> = one.iter().copied().cycle().take(len * BATCH).collect();
    let mut slot = all[0];
    let mut np = naive::Pkt::default();
    let mut loads = (0u32, 0f32, 0u32);
    let mut n = 0usize;
    // One loop per way, so that the choice is not made per message; `empty`
    // is the harness alone (the loop and its `black_box`), to subtract.
    match how.as_str() {
        "ours" => {
            for _ in 0..rounds {
                for msg in black_box(&stream[..]).chunks_exact(len) {
                    let mut it = packets(msg);
                    while it.advance(&mut slot) == Step::Packet {
                        black_box(&slot);
                        n += 1;
                    }
                }
            }
        }
        "naive" => {
            for _ in 0..rounds {
                for msg in black_box(&stream[..]).chunks_exact(len) {
                    n += usize::from(naive::decode(msg, &mut np).is_some());
                    black_box(&np);
                }
            }
        }
        "loads" => {
            for _ in 0..rounds {
                for msg in black_box(&stream[..]).chunks_exact(16) {
                    let b: &[u8; 16] = msg.try_into().expect("16 bytes");
                    ticker_loads_only(b, &mut loads);
                    black_box(&loads);
                    n += 1;
                }
            }
        }
        "empty" => {
            for _ in 0..rounds {
                for msg in black_box(&stream[..]).chunks_exact(len) {
                    black_box(msg);
                    n += 1;
                }
            }
        }
        other => panic!("{other}: ours, naive, loads or empty"),
    }
    println!("{n} {kind} packets decoded ({how}), {} per round", BATCH);
}
