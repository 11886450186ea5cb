//! How often, and for how long, a thread spinning on each core loses it: one
//! spinner per core reads the clock in a tight loop and counts every gap over
//! 5 µs (timer ticks, interrupts, the hypervisor taking the vCPU).
//!
//! Why: the engine's messages cross two cores (the I/O thread's and the
//! consumer's), the raw floor's reader stays on one, and on a VM where each
//! core loses about 1 % of its time in 15-25 µs stalls that alone decides
//! whether `dhan-feed bench`'s p99 lands inside or outside the stall zone
//! (BENCHMARKS.md).
//!
//! Run: `cargo run --release --example core_stalls -- [SECONDS]` (default 3).

use std::time::{Duration, Instant};

/// Gaps at least this long count as a stall.
const STALL: Duration = Duration::from_micros(5);

/// One core's stalls: how many, their total, the longest, and a histogram in
/// 5 µs bins (the last bin holds everything from 100 µs up).
struct Stalls {
    count: u64,
    total: Duration,
    longest: Duration,
    bins: [u64; 21],
}

fn spin(core: usize, window: Duration) -> Stalls {
    let pinned = core_affinity::set_for_current(core_affinity::CoreId { id: core });
    if !pinned {
        eprintln!("core {core}: could not pin; measuring wherever the scheduler puts us");
    }
    let mut s = Stalls {
        count: 0,
        total: Duration::ZERO,
        longest: Duration::ZERO,
        bins: [0; 21],
    };
    let start = Instant::now();
    let mut prev = start;
    loop {
        let now = Instant::now();
        let gap = now - prev;
        prev = now;
        if gap >= STALL {
            s.count += 1;
            s.total += gap;
            s.longest = s.longest.max(gap);
            s.bins[(gap.as_micros() as usize / 5).min(20)] += 1;
        }
        if now - start >= window {
            return s;
        }
    }
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("SECONDS must be a number"))
        .unwrap_or(3.0);
    let window = Duration::from_secs_f64(secs);
    let cores = core_affinity::get_core_ids().map_or(1, |ids| ids.len());
    let results: Vec<Stalls> = std::thread::scope(|scope| {
        let spinners: Vec<_> = (0..cores)
            .map(|core| scope.spawn(move || spin(core, window)))
            .collect();
        spinners
            .into_iter()
            .map(|h| h.join().expect("spinner"))
            .collect()
    });
    for (core, s) in results.iter().enumerate() {
        println!(
            "core {core}: {} stalls of 5 µs or more ({:.0}/s), {:.2} % of the time, longest {} µs",
            s.count,
            s.count as f64 / secs,
            100.0 * s.total.as_secs_f64() / secs,
            s.longest.as_micros()
        );
        let bins: Vec<String> = s
            .bins
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| {
                if i == 20 {
                    format!("100+ µs: {n}")
                } else {
                    format!("{}-{} µs: {n}", i * 5, i * 5 + 5)
                }
            })
            .collect();
        println!("  {}", bins.join(", "));
    }
}
