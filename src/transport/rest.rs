//! Dhan's REST host, for what the feeds cannot tell: the order book
//! (`GET /v2/orders`), fetched with a blocking HTTP client (ureq over rustls
//! with the ring provider) on a helper thread, never the I/O thread.

use crate::proto::order::OrderUpdate;
use crate::proto::order_book::parse_order_book;
use crate::secret::Secret;
use rustls_pki_types::CertificateDer;
use std::io;
use std::time::Duration;

/// The largest order book read (a day's orders are far fewer).
const MAX_BOOK_BYTES: u64 = 64 << 20;

/// Fetches `{base}/v2/orders` with `token`; `roots`: trust these instead of
/// Mozilla's roots when not empty (a simulator's certificate). Errors never
/// contain the token.
pub(crate) fn fetch_order_book(
    base: &str,
    token: &Secret,
    roots: &[CertificateDer<'static>],
) -> io::Result<Vec<OrderUpdate>> {
    let url = format!("{}/v2/orders", base.trim_end_matches('/'));
    // What errors name: the URL with any credentials in it hidden.
    let shown = crate::proto::endpoint::redacted_target(&url);
    let timeout = Duration::from_secs(10);
    let mut config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("dhan-feed/", env!("CARGO_PKG_VERSION")));
    if !roots.is_empty() {
        let certs: Vec<ureq::tls::Certificate<'static>> = roots
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build(),
        );
    }
    let loopback = [
        "http://127.0.0.1",
        "https://127.0.0.1",
        "http://localhost",
        "https://localhost",
    ]
    .iter()
    .any(|p| base.starts_with(p));
    if loopback {
        config = config.proxy(None);
    }
    let agent: ureq::Agent = config.build().into();
    let response = agent
        .get(&url)
        .header("access-token", token.expose())
        .header("Accept", "application/json")
        .call()
        .map_err(|e| io::Error::other(format!("GET {shown}: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .with_config()
        .limit(MAX_BOOK_BYTES)
        .read_to_vec()
        .map_err(|e| io::Error::other(format!("GET {shown}: {e}")))?;
    if status != 200 {
        let kind = if matches!(status, 401 | 403) {
            io::ErrorKind::PermissionDenied
        } else {
            io::ErrorKind::Other
        };
        return Err(io::Error::new(kind, format!("GET {shown}: HTTP {status}")));
    }
    parse_order_book(&body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
