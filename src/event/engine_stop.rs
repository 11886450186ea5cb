//! Why the I/O thread no longer runs: what every handle reports once it is gone.

use std::fmt;

/// Why a client's I/O thread stopped. Once it has, every handle's receive
/// calls return their `EngineStopped` event at once (after whatever was still
/// waiting in the handle's ring), `connected()` is false, `health().stopped`
/// holds it, and requests fail ([`crate::Error::Stopped`] after
/// [`crate::Client::disconnect_all`], [`crate::Error::EngineFailed`] otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineStop {
    /// [`crate::Client::disconnect_all`] stopped it.
    Stopped,
    /// The I/O thread panicked: a bug. The panic message is logged at `error`
    /// and carried by [`crate::Error::EngineFailed`].
    Panicked,
    /// The poller failed with an error of this kind (logged at `error`).
    PollFailed(std::io::ErrorKind),
    /// A journal's replay delivered its last record (`dhan_feed::journal`).
    ReplayEnded,
}

impl EngineStop {
    /// Whether the engine died (a panic or a fatal error) rather than being stopped.
    pub fn is_failure(&self) -> bool {
        !matches!(self, Self::Stopped | Self::ReplayEnded)
    }
}

impl fmt::Display for EngineStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stopped => f.write_str("the client was stopped"),
            Self::Panicked => f.write_str("the I/O thread panicked"),
            Self::PollFailed(k) => write!(f, "the I/O thread's poll failed ({k})"),
            Self::ReplayEnded => f.write_str("the journal's replay reached its end"),
        }
    }
}
