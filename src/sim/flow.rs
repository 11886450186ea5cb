//! What a simulated feed's logic asks of its connection after a message.

use crate::proto::disconnect::DisconnectCode;

/// What a feed's logic wants after handling a message.
pub(crate) enum Flow {
    Continue,
    /// The order socket's login succeeded.
    LoggedIn,
    /// The client sent `{"RequestCode":12}`: counted, then closed normally.
    Goodbye,
    /// Send Dhan's disconnect code, then close.
    Disconnect(DisconnectCode),
    /// Refuse (close frame 1008), e.g. a bad login.
    Refuse(&'static str),
}
