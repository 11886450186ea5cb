//! Bulk byte copies that stay fast on AMD Zen.
//!
//! glibc (before 2.39) copies blocks above about 2 KiB with `rep movsb`. On AMD
//! Zen that instruction runs some 30 times slower when the destination lies less
//! than 64 bytes past the source modulo 4 KiB (page aliasing: glibc bug 30994).
//! Measured here: a 16 KiB copy took 7 µs at such a distance and 0.2 µs at any
//! other. TLS records are 16 KiB and land at arbitrary offsets, so the engine's
//! large copies go through these helpers. They copy in pieces small enough for
//! glibc's vector loop, which has no such case.

/// Largest piece handed to `memcpy` at once: below glibc's `rep movsb`
/// threshold on every x86 configuration (2,048 × vector width / 16, or 2,112
/// with FSRM).
const PIECE: usize = 2048;

/// Copies `src` into the start of `dst` (which must be at least as long).
#[inline]
pub fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    let dst = &mut dst[..src.len()];
    if src.len() <= PIECE {
        dst.copy_from_slice(src);
        return;
    }
    for (d, s) in dst.chunks_mut(PIECE).zip(src.chunks(PIECE)) {
        d.copy_from_slice(s);
    }
}

/// Moves `buf[from..to]` to the front of `buf` (`copy_within(from..to, 0)`).
#[inline]
pub fn move_to_front(buf: &mut [u8], from: usize, to: usize) {
    let len = to - from;
    if from == 0 || len == 0 {
        return;
    }
    if len <= PIECE {
        buf.copy_within(from..to, 0);
        return;
    }
    // Front to back: each piece is moved before anything later is overwritten.
    let mut done = 0;
    while done < len {
        let n = PIECE.min(len - done);
        buf.copy_within(from + done..from + done + n, done);
        done += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn copies_equal_the_source_at_every_size_around_a_piece() {
        for n in [0, 1, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 5, 16384] {
            let src = pattern(n);
            let mut dst = vec![0xAA; n + 3];
            copy_bytes(&mut dst, &src);
            assert_eq!(&dst[..n], &src[..]);
            assert_eq!(&dst[n..], &[0xAA; 3], "nothing past the copy is touched");
        }
    }

    #[test]
    fn moves_match_copy_within_including_overlapping_ones() {
        for (len, from) in [(10, 3), (5000, 1), (5000, 17), (16406, 4096), (20000, 2047)] {
            let mut a = pattern(from + len + 9);
            let mut b = a.clone();
            move_to_front(&mut a, from, from + len);
            b.copy_within(from..from + len, 0);
            assert_eq!(a, b, "len {len} from {from}");
        }
    }
}
