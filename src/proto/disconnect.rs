//! Dhan's disconnect and data-API error codes (docs/protocol.md §7.2).

use std::fmt;

/// A disconnect reason code as sent in a feed-disconnect packet (code 50).
///
/// Every `u16` is representable; [`DisconnectCode::meaning`] gives the annexure text
/// for the documented ones. The classification methods say what a client should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DisconnectCode(pub u16);

impl DisconnectCode {
    /// 800: internal server error.
    pub const INTERNAL_SERVER_ERROR: Self = Self(800);
    /// 804: requested number of instruments exceeds the limit.
    pub const INSTRUMENTS_EXCEED_LIMIT: Self = Self(804);
    /// 805: too many requests or connections (also sent to the oldest socket when a sixth opens).
    pub const TOO_MANY_CONNECTIONS: Self = Self(805);
    /// 806: data APIs not subscribed.
    pub const DATA_APIS_NOT_SUBSCRIBED: Self = Self(806);
    /// 807: access token expired.
    pub const ACCESS_TOKEN_EXPIRED: Self = Self(807);
    /// 808: authentication failed (client id or access token invalid).
    pub const AUTHENTICATION_FAILED: Self = Self(808);
    /// 809: access token invalid.
    pub const ACCESS_TOKEN_INVALID: Self = Self(809);
    /// 810: client id invalid.
    pub const CLIENT_ID_INVALID: Self = Self(810);
    /// 811: invalid expiry date (REST).
    pub const INVALID_EXPIRY_DATE: Self = Self(811);
    /// 812: invalid date format (REST).
    pub const INVALID_DATE_FORMAT: Self = Self(812);
    /// 813: invalid security id.
    pub const INVALID_SECURITY_ID: Self = Self(813);
    /// 814: invalid request.
    pub const INVALID_REQUEST: Self = Self(814);

    /// The annexure meaning, or `None` for an undocumented code.
    pub const fn meaning(self) -> Option<&'static str> {
        Some(match self.0 {
            800 => "internal server error",
            804 => "requested number of instruments exceeds limit",
            805 => "too many requests or connections",
            806 => "data APIs not subscribed",
            807 => "access token is expired",
            808 => "authentication failed: client id or access token invalid",
            809 => "access token is invalid",
            810 => "client id is invalid",
            811 => "invalid expiry date",
            812 => "invalid date format",
            813 => "invalid security id",
            814 => "invalid request",
            _ => return None,
        })
    }

    /// Codes after which retrying with the same credentials cannot help
    /// (806 to 810): stop and wait for new credentials.
    pub const fn is_credential_failure(self) -> bool {
        matches!(self.0, 806..=810)
    }

    /// Codes that demand a cool-off before any new connection (805).
    pub const fn needs_cool_off(self) -> bool {
        self.0 == 805
    }
}

impl fmt::Display for DisconnectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.meaning() {
            Some(m) => write!(f, "{} ({m})", self.0),
            None => write!(f, "{} (undocumented code)", self.0),
        }
    }
}
