//! The simulator's self-signed certificate (rcgen) and rustls server config.

use crate::transport::tls::provider;
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// A generated certificate for `localhost` and `127.0.0.1`.
pub struct SimCert {
    /// DER form, to add as a trust root.
    pub der: CertificateDer<'static>,
    /// PEM form, for other clients (`--cert-out`, `SSL_CERT_FILE`).
    pub pem: String,
    key: PrivatePkcs8KeyDer<'static>,
}

impl SimCert {
    /// Generates a fresh key pair and self-signed certificate.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let ck = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])?;
        Ok(Self {
            der: ck.cert.der().clone(),
            pem: ck.cert.pem(),
            key: PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()),
        })
    }

    /// A rustls server config presenting this certificate.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, rustls::Error> {
        let cfg = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.der.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )?;
        Ok(Arc::new(cfg))
    }
}
