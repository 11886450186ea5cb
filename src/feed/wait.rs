//! The waiting every handle's `recv_timeout` does, and the draining of their `drain`.

/// Calls `try_recv` until it yields or `timeout` passes: spinning briefly, then
/// yielding, then sleeping in 50 µs steps (the I/O thread never wakes consumers).
/// Every handle's `recv_timeout` is this.
pub(crate) fn wait_for<T>(
    timeout: std::time::Duration,
    mut try_recv: impl FnMut() -> Option<T>,
) -> Option<T> {
    // `Duration::MAX` waits for ever instead of overflowing.
    let deadline = crate::time::after(std::time::Instant::now(), timeout);
    let mut spins = 0u32;
    loop {
        if let Some(e) = try_recv() {
            return Some(e);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        spins += 1;
        if spins < 1_000 {
            std::hint::spin_loop();
        } else if spins < 1_100 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
    }
}

/// Fills `out` from `try_recv` until it is full or nothing waits; returns how many.
pub(crate) fn drain_with<T>(out: &mut [T], mut try_recv: impl FnMut() -> Option<T>) -> usize {
    let mut n = 0;
    for slot in out.iter_mut() {
        match try_recv() {
            Some(e) => {
                *slot = e;
                n += 1;
            }
            None => break,
        }
    }
    n
}
