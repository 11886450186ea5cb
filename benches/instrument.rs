//! Instrument master benchmarks (placeholder until the loader lands).
fn main() {}
