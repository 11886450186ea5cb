//! Name resolution as configuration: which function turns an endpoint's host
//! into addresses. The engine calls it on its resolver threads, never on the I/O
//! thread (see `engine::dns`), so a slow lookup delays only the connection that
//! waits for it.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

/// A name-resolution function: `(host, port)` to the addresses to try, in order.
type LookupFn = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// How endpoint host names become addresses ([`crate::ClientConfig::resolver`]).
///
/// The default is the operating system's resolver (`getaddrinfo`, through
/// [`ToSocketAddrs`]). A custom one serves fixed addresses, a DNS-over-HTTPS
/// client, or a test's slow or failing lookups. Lookups run on the engine's
/// resolver threads (at most four at a time), never on the I/O thread, and are
/// bounded by [`crate::LifecycleConfig::resolve_timeout`]; an IP-address host
/// is never looked up. Every address returned is tried in turn.
#[derive(Clone, Default)]
pub struct Resolver {
    custom: Option<Arc<LookupFn>>,
}

impl Resolver {
    /// The operating system's resolver (the default).
    pub fn system() -> Self {
        Self::default()
    }

    /// A resolver that calls `f(host, port)` (on a resolver thread: it may block).
    pub fn custom(
        f: impl Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            custom: Some(Arc::new(f)),
        }
    }

    /// Resolves `host` (blocking: call it off the I/O thread).
    pub fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        match &self.custom {
            Some(f) => f(host, port),
            None => Ok((host, port).to_socket_addrs()?.collect()),
        }
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.custom {
            Some(_) => "Resolver(custom)",
            None => "Resolver(system)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_resolver_finds_loopback_and_a_custom_one_is_called() {
        let addrs = Resolver::system().lookup("127.0.0.1", 443).unwrap();
        assert_eq!(addrs, ["127.0.0.1:443".parse::<SocketAddr>().unwrap()]);
        let r = Resolver::custom(|host, port| {
            if host == "feed.test" {
                Ok(vec![SocketAddr::from(([10, 0, 0, 1], port))])
            } else {
                Err(io::Error::new(io::ErrorKind::NotFound, "no such host"))
            }
        });
        assert_eq!(
            r.lookup("feed.test", 8443).unwrap(),
            [SocketAddr::from(([10, 0, 0, 1], 8443))]
        );
        assert_eq!(
            r.lookup("other.test", 1).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(format!("{r:?}"), "Resolver(custom)");
        assert_eq!(format!("{:?}", Resolver::default()), "Resolver(system)");
    }
}
