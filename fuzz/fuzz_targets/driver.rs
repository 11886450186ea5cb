//! One connection's protocol, `session::Driver`, driven as the engine drives it:
//! arbitrary sequences of server bytes (upgrade responses, frames, pings, close
//! frames with Dhan's codes, 804 disconnect packets, raw bytes, partial reads),
//! timeouts and user commands over three drivers sharing one budget, with a
//! model server reading what the client writes. After every step: nothing after
//! our close frame (a pong included: `seeds/findings/driver-pong-after-close`
//! is the input that found one), a deadline while open, no busy loop, the budget
//! holds, and the server's subscriptions equal the desired set minus refusals
//! (see `dhan_feed::internals::check::driver`).
#![no_main]

use dhan_feed::internals::check::driver;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(v) = driver::run(data) {
        panic!("invariant broken at step {}: {}", v.step, v.what);
    }
});
