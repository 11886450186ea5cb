//! [`Stamped`]: a cached value with its receive stamp and update count.

/// A value with when it arrived and how many of its kind came before it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamped<T> {
    /// The packet.
    pub value: T,
    /// When its message was read from the socket ([`crate::now_ns`]).
    pub recv_ns: u64,
    /// Packets of this kind kept for the instrument so far, this one included.
    pub updates: u64,
}

impl<T> Stamped<T> {
    pub(crate) fn new(value: T, recv_ns: u64, updates: u64) -> Self {
        Self {
            value,
            recv_ns,
            updates,
        }
    }
}
