//! Little-endian field readers and writers over fixed-size arrays.
//!
//! Decoders first turn the packet slice into a `&[u8; N]` (one length check), then
//! read every field at a constant offset: the compiler proves each access in bounds,
//! so the hot path has no per-field checks and no `unsafe`.

#[inline(always)]
pub(crate) fn u16_at<const N: usize>(b: &[u8; N], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

#[inline(always)]
pub(crate) fn u32_at<const N: usize>(b: &[u8; N], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

#[inline(always)]
pub(crate) fn f32_at<const N: usize>(b: &[u8; N], off: usize) -> f32 {
    f32::from_bits(u32_at(b, off))
}

#[inline(always)]
pub(crate) fn f64_at(b: &[u8], off: usize) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    f64::from_le_bytes(a)
}

/// Borrows the first `N` bytes of `buf` as an array.
#[inline(always)]
pub(crate) fn array<const N: usize>(buf: &[u8]) -> Option<&[u8; N]> {
    buf.get(..N).and_then(|s| s.try_into().ok())
}

#[inline(always)]
pub(crate) fn put_u16(out: &mut [u8], off: usize, v: u16) {
    out[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

#[inline(always)]
pub(crate) fn put_u32(out: &mut [u8], off: usize, v: u32) {
    out[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

#[inline(always)]
pub(crate) fn put_f32(out: &mut [u8], off: usize, v: f32) {
    put_u32(out, off, v.to_bits());
}

#[inline(always)]
pub(crate) fn put_f64(out: &mut [u8], off: usize, v: f64) {
    out[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
