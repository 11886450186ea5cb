//! Where the connections of one feed kind connect, and how.

use crate::config::BaseUrl;
use std::sync::Arc;

/// What every shard shares: where to connect and how.
pub(crate) struct Env {
    pub base: BaseUrl,
    pub target: String,
    pub tls: Option<Arc<rustls::ClientConfig>>,
}
