//! The last-value cache's write, alone, for callgrind: COUNT ticker packets of
//! 100 instruments written round robin, as the I/O thread writes them (`hinted`:
//! each instrument's slot index remembered, as the engine keeps it on the
//! route) or found by the table's probe every time (`probe`).
//!
//! Run: `valgrind --tool=callgrind target/release/examples/cache_cost hinted
//! 100000`, minus the same with COUNT 0, divided by COUNT: instructions per
//! write (with the loop's own few).

use dhan_feed::proto::market::{Ltt, MarketPacket, Ticker};
use dhan_feed::proto::market_encode::packet_bytes;
use dhan_feed::proto::{ExchangeSegment, InstrumentId};

fn main() {
    let mut args = std::env::args().skip(1);
    let hinted = match args.next().as_deref() {
        Some("hinted") => true,
        Some("probe") => false,
        _ => {
            eprintln!("usage: cache_cost hinted|probe COUNT");
            std::process::exit(2);
        }
    };
    let count: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let (cache, writer) = dhan_feed::internals::last_value_cache(128);
    let packets: Vec<Vec<u8>> = (0..100)
        .map(|i| {
            packet_bytes(&MarketPacket::Ticker(Ticker {
                id: InstrumentId::new(ExchangeSegment::NseEq, 1_000 + i),
                ltp: 100.0,
                ltt: Ltt(33_300),
            }))
        })
        .collect();
    let mut hints = vec![u32::MAX; packets.len()];
    for n in 0..count {
        let k = (n % packets.len() as u64) as usize;
        let raw = std::hint::black_box(&packets[k]);
        if hinted {
            writer.write_hinted(raw, n, &mut hints[k]);
        } else {
            writer.write(raw, n);
        }
    }
    println!("{} instruments kept", cache.instruments());
}
