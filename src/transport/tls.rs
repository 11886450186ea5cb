//! rustls configuration with one crypto provider (ring), chosen explicitly.
//!
//! Every config in this crate is built with [`provider`] through
//! `builder_with_provider`, so nothing depends on a process-wide default; the CLI
//! also installs ring as the default at start-up ([`install_default_provider`]) for
//! any other rustls user in the process.

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;

/// The ring crypto provider.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs ring as the process-wide default provider; a no-op if one is installed.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// A PEM file or text had no usable certificate.
    #[error("no certificate found in {0}")]
    NoCertificate(String),
    /// A certificate was rejected as a root.
    #[error("certificate rejected as a trust root: {0}")]
    BadRoot(String),
}

/// Trust roots: Mozilla's (webpki-roots) plus any extra certificates (the
/// simulator's, or a private CA).
pub fn root_store(
    extra: &[CertificateDer<'static>],
    with_webpki: bool,
) -> Result<RootCertStore, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    if with_webpki {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for c in extra {
        roots
            .add(c.clone())
            .map_err(|e| TlsConfigError::BadRoot(e.to_string()))?;
    }
    Ok(roots)
}

/// A client config verifying certificates against `roots` (verification is always on).
pub fn client_config(roots: RootCertStore) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let cfg = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// Parses every certificate in PEM text.
pub fn certs_from_pem(
    pem: &[u8],
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate(what.to_owned()));
    }
    Ok(certs)
}
