//! Byte buffers committed up front: the I/O thread's read and TLS buffers.
//!
//! `vec![0; n]` asks the allocator for zeroed memory, which for a large `n` is a
//! fresh `mmap` whose pages the kernel maps only when first touched. A read
//! buffer is touched further in only when a burst arrives, so those first
//! touches would land on the hot path, one page fault per 4 KiB, at the moment
//! latency matters most. [`committed`] touches every page once, when the buffer
//! is made. (The ring's slots get the same treatment in `ring::ring`.)

use std::hint::black_box;

/// Bytes between the writes that commit memory (here and in `ring::ring`): the
/// smallest page size of the targets we run on.
pub(crate) const PAGE: usize = 4096;

/// A zeroed buffer of `len` bytes whose pages are all mapped now.
pub(crate) fn committed(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    // The stored value is opaque to the compiler, so the stores cannot be
    // dropped as writing zeros over memory known to be zero.
    let zero = black_box(0u8);
    for i in (0..len).step_by(PAGE).chain(len.checked_sub(1)) {
        buf[i] = zero;
    }
    black_box(buf.as_mut_ptr());
    buf
}

/// Minor page faults taken by the calling thread so far (for tests).
#[cfg(all(test, target_os = "linux"))]
pub(crate) fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
    // Fields after the parenthesised command name; minflt is the 10th field.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    rest.split(' ')
        .nth(7)
        .and_then(|f| f.parse().ok())
        .expect("minflt")
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn filling_a_committed_buffer_takes_no_page_faults() {
        let len = 4 << 20;
        let mut buf = committed(len);
        let before = minor_faults();
        buf.fill(0xA5);
        let faults = minor_faults() - before;
        assert!(faults < 16, "{faults} page faults filling 1,024 pages");
        assert!(buf.iter().all(|&b| b == 0xA5));
        assert_eq!(committed(3), vec![0; 3]);
        assert!(committed(0).is_empty());
    }
}
