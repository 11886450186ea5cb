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

    /// Reads a credential from a file: its text with surrounding whitespace
    /// (a trailing newline) removed. An empty file, or one that is not UTF-8,
    /// is an error that never contains the file's text.
    pub fn from_file(path: &std::path::Path) -> std::io::Result<Self> {
        let bytes = std::fs::read(path)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is not UTF-8 text",
            )
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is empty",
            ));
        }
        Ok(Self::new(token))
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
    fn from_file_trims_and_refuses_empty_or_binary_files_without_echoing_them() {
        let dir = std::env::temp_dir().join(format!("dhan-feed-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("token");
        std::fs::write(&p, "  tok-123\n").unwrap();
        assert_eq!(Secret::from_file(&p).unwrap().expose(), "tok-123");
        std::fs::write(&p, " \n").unwrap();
        let e = Secret::from_file(&p).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        std::fs::write(&p, [0xff, 0xfe, b's', b'e', b'c']).unwrap();
        let e = Secret::from_file(&p).unwrap_err().to_string();
        assert!(!e.contains("sec"), "{e}");
        assert_eq!(
            Secret::from_file(&dir.join("missing")).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("eyJhbGciOiJIUzUxMiJ9.token");
        assert!(!format!("{s:?} {s} {s:#?}").contains("eyJ"));
        assert_eq!(s.expose(), "eyJhbGciOiJIUzUxMiJ9.token");
    }
}
