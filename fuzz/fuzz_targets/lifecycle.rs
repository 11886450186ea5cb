//! The connection lifecycle: arbitrary sequences of (time step, event) — connect
//! results, handshake results, frames, close codes, Dhan disconnect codes, user
//! commands — over four connections sharing one budget. After every step: the
//! budget holds, no attempt after a credential failure until new credentials,
//! delays within [0, cap], no busy loop, and live connections carry exactly the
//! desired subscriptions (see `dhan_feed::internals::check`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(v) = dhan_feed::internals::check::run(data) {
        panic!("invariant broken at step {}: {}", v.step, v.what);
    }
});
