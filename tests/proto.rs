//! Protocol-core tests: golden vectors from the reference, round trips (proptest),
//! every truncation, and random input.

#[path = "proto/depth.rs"]
mod depth;
#[path = "proto/json_msgs.rs"]
mod json_msgs;
#[path = "proto/market.rs"]
mod market;
#[path = "proto/strategies.rs"]
mod strategies;
