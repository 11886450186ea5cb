//! One connection's protocol, `session::Driver`, driven as the engine drives it:
//! arbitrary sequences of server bytes (upgrade responses, frames, pings, close
//! frames with Dhan's codes, 804 disconnect packets, raw bytes, partial reads),
//! timeouts and user commands over three drivers sharing one budget, with a
//! model server reading what the client writes. After every step: nothing after
//! our close frame, a deadline while open, no busy loop, the budget holds, and
//! the server's subscriptions equal the desired set minus refusals (see
//! `dhan_feed::internals::check::driver`).
//!
//! `DHAN_FUZZ_STRICT=1` also reports the known pong after our close frame
//! (`seeds/findings/driver-pong-after-close` reproduces it).
#![no_main]

use dhan_feed::internals::check::driver;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("DHAN_FUZZ_STRICT").is_some_and(|v| v == "1"))
}

fuzz_target!(|data: &[u8]| {
    let result = if strict() {
        driver::run_strict(data)
    } else {
        driver::run(data)
    };
    if let Err(v) = result {
        panic!("invariant broken at step {}: {}", v.step, v.what);
    }
});
