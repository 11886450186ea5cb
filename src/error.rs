//! The one error type of the library's calls: [`Error`], with a sub-enum per
//! category ([`ConfigError`], [`SubscribeError`], and the decoder's, the TLS
//! set-up's and the instrument master's own). Every fallible public call returns
//! it, or an error that converts into it with `?`.

pub use crate::config::ConfigError;
use crate::engine::EngineError;
use crate::engine::port::Stopped;
use crate::instrument::InstrumentError;
use crate::proto::capture::CaptureError;
use crate::proto::error::DecodeError;
use crate::proto::segment::{InstrumentId, ParseInstrumentError, ParseSegmentError};
pub use crate::transport::tls::TlsConfigError;

/// What went wrong, by category. Each variant says whether trying again can help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot work (a missing credential, a bad endpoint URL, a
    /// PARTNER login without its secret). Fix it; retrying cannot help.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The TLS configuration could not be built (a PEM file without a certificate,
    /// a certificate refused as a trust root). Fix the certificates.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// A subscription was refused before it reached the I/O thread (the handle's
    /// subscriptions are unchanged). Change the request.
    #[error(transparent)]
    Subscribe(#[from] SubscribeError),
    /// The client's I/O thread has stopped ([`crate::Client::disconnect_all`], or
    /// every handle and clone is gone): the request was not delivered. Build a new
    /// [`crate::Client`].
    #[error("the client has stopped: its I/O thread no longer runs")]
    Stopped,
    /// The client's I/O thread died (a panic: a bug; or a fatal poll error):
    /// the request was not delivered and no handle of this client receives
    /// anything more. Build a new [`crate::Client`].
    #[error("the client's I/O thread died ({cause}): {detail}")]
    EngineFailed {
        /// How it died.
        cause: crate::event::EngineStop,
        /// The panic's message or the poll error.
        detail: String,
    },
    /// The operating system refused a resource (the poller, the I/O thread, a
    /// file). It may succeed later.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Bytes that are not a valid Dhan message (the decoders' error).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A capture file that cannot be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Text that is not an instrument (`SEGMENT:ID`).
    #[error(transparent)]
    ParseInstrument(#[from] ParseInstrumentError),
    /// Text that is not an exchange segment.
    #[error(transparent)]
    ParseSegment(#[from] ParseSegmentError),
    /// The instrument master: loading, finding or downloading.
    #[error(transparent)]
    Instrument(#[from] InstrumentError),
    /// The simulator could not start (the `sim` feature).
    #[error(transparent)]
    Simulator(Box<dyn std::error::Error + Send + Sync>),
    /// A database sink could not open its database, or stopped with rows it could
    /// not commit (`dhan_feed::sink`: `SqliteError`, `PostgresError`,
    /// `Uncommitted`, which convert into this).
    #[error(transparent)]
    Sink(Box<dyn std::error::Error + Send + Sync>),
    /// A journal could not be written or read (`dhan_feed::journal`:
    /// `JournalError`, which converts into this).
    #[error(transparent)]
    Journal(Box<dyn std::error::Error + Send + Sync>),
    /// The live web page could not start (the `web` feature). Change its address.
    #[error(transparent)]
    Web(#[from] WebError),
}

/// Why the live web page (`dhan_feed::web`) could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// Its address is not a loopback address and serving other hosts was not
    /// asked for (`WebConfig::allow_remote`, `--http-allow-remote`).
    #[error(
        "the web page would listen on {0}, which other hosts can reach; allow it explicitly (WebConfig::allow_remote, --http-allow-remote) or use 127.0.0.1"
    )]
    NotLoopback(std::net::SocketAddr),
    /// Listening failed (the port is taken, the address is not this host's).
    #[error("the web page cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The web thread could not be started.
    #[error("the web thread could not start: {0}")]
    Thread(#[source] std::io::Error),
}

/// Why instruments cannot go on a feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    /// Dhan serves full depth for NSE equities and derivatives only.
    #[error("{0}: full market depth is available for NSE_EQ and NSE_FNO only")]
    DepthSegment(InstrumentId),
    /// More instruments than one depth connection carries (50 for 20-level, 1 for
    /// 200-level).
    #[error("at most {max} instruments per {levels}-level depth connection")]
    TooMany {
        /// The limit.
        max: usize,
        /// 20 or 200.
        levels: usize,
    },
    /// More subscriptions (trade and OHLC counted apart) than one Global Stocks
    /// connection carries.
    #[error("at most {max} subscriptions per Global Stocks connection")]
    GlobalTooMany {
        /// The limit.
        max: usize,
    },
}

impl From<Stopped> for Error {
    fn from(s: Stopped) -> Self {
        match s.0 {
            Some((cause, detail)) if cause.is_failure() => Error::EngineFailed { cause, detail },
            _ => Error::Stopped,
        }
    }
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Io(e) => Error::Io(e),
            EngineError::Tls(e) => Error::Tls(e),
            EngineError::BadUrl(url) => Error::Config(ConfigError::BadUrl(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_error_keeps_its_category_and_message() {
        let e = Error::from(EngineError::BadUrl("wss://x?token=***".into()));
        assert!(matches!(e, Error::Config(ConfigError::BadUrl(_))), "{e:?}");
        assert_eq!(e.to_string(), r#"bad endpoint URL "wss://x?token=***""#);
        let io = Error::from(EngineError::Io(std::io::ErrorKind::OutOfMemory.into()));
        assert!(matches!(io, Error::Io(_)), "{io:?}");
    }

    #[test]
    fn sub_errors_convert_with_question_mark() {
        fn parse(s: &str) -> Result<InstrumentId, Error> {
            Ok(s.parse::<InstrumentId>()?)
        }
        let e = parse("NSE_EQ").unwrap_err();
        assert!(matches!(e, Error::ParseInstrument(_)), "{e:?}");
        assert!(
            e.to_string().contains("expected SEGMENT:SECURITY_ID"),
            "{e}"
        );
    }
}
