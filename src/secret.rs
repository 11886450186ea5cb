//! Credentials that must never be printed.

use std::fmt;

/// A credential (access token, client id, partner id or secret).
///
/// `Debug` and `Display` print `***`; the only way to the text is
/// [`Secret::expose`], which the encoders of the login message and of URLs call.
/// There is deliberately no `Serialize`, `Deref` or `AsRef<str>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself. Call only to put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the credential is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("eyJhbGciOiJIUzUxMiJ9.token");
        assert!(!format!("{s:?} {s} {s:#?}").contains("eyJ"));
        assert_eq!(s.expose(), "eyJhbGciOiJIUzUxMiJ9.token");
    }
}
