//! What goes wrong on the order-update feed, typed: [`OrderFeedError`].

use crate::proto::text::Text;
use crate::session::{Cause, SessionError};

/// An error of the order-update feed, delivered in order with its events as
/// [`crate::OrderEvent::Error`]. `Copy` and fixed size, so it travels through the
/// handle's ring. None of them ends the feed on its own: what happens next is
/// what the connection's events say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderFeedError {
    /// An object of a message could not be parsed (invalid JSON, no `Type`, a
    /// field of the wrong type); the objects around it still arrive, and an update
    /// with one bad field arrives after this error with that field empty. The
    /// parser's message, cut to 128 bytes.
    #[error("{0}")]
    Malformed(Text<128>),
    /// An attempt failed before the connection opened (refused, timed out, TLS);
    /// the feed retries after its backoff.
    #[error("connect failed: {0}")]
    ConnectFailed(Cause),
    /// The session stopped: refused credentials (806-810, HTTP 401/403, a refused
    /// login) wait for `Client::set_access_token`; see [`SessionError`].
    #[error(transparent)]
    Session(SessionError),
    /// The order book could not be had to reconcile after a gap (the source's
    /// message, cut to 128 bytes): the gap stands.
    #[error("reconcile failed: {0}")]
    Reconcile(Text<128>),
}

impl OrderFeedError {
    /// A [`OrderFeedError::Malformed`] from the parser's message.
    pub fn malformed(message: &str) -> Self {
        Self::Malformed(Text::new(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_before_and_long_ones_are_cut() {
        let refused = Cause::Io(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            OrderFeedError::ConnectFailed(refused).to_string(),
            "connect failed: socket error (connection refused)"
        );
        let long = "x".repeat(300);
        let OrderFeedError::Malformed(t) = OrderFeedError::malformed(&long) else {
            unreachable!()
        };
        assert_eq!(t.as_str().len(), 128);
    }
}
