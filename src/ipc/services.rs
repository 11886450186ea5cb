//! The iceoryx2 services a daemon and its consumers share, named and shaped
//! in one place, and what can go wrong with them.

use super::wire::{Reply, Request, Sample};
use crate::proto::request::FeedMode;
use iceoryx2::identifiers::UniqueNodeId;
use iceoryx2::prelude::*;

/// The iceoryx2 release every process sharing a daemon must be built with.
pub const ICEORYX2_VERSION: &str = "0.10.0";

/// Samples a consumer stream holds before the oldest are overwritten.
pub const STREAM_BUFFER: usize = 16_384;

/// The iceoryx2 service kind used (inter-process).
pub(crate) type Iox = ipc::Service;

/// Why sharing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpcError {
    /// iceoryx2 refused (a service of another shape, no shared memory, …).
    #[error("iceoryx2: {0}")]
    Iceoryx(String),
    /// The daemon did not answer a request in time (none serves the name?).
    #[error("the daemon did not answer within {0:?}")]
    NoAnswer(std::time::Duration),
    /// The daemon refused a request.
    #[error("the daemon refused: {0}")]
    Refused(String),
}

impl IpcError {
    pub(crate) fn iox(e: impl std::fmt::Debug) -> Self {
        Self::Iceoryx(format!("{e:?}"))
    }
}

fn service_name(s: &str) -> Result<ServiceName, IpcError> {
    ServiceName::new(s).map_err(IpcError::iox)
}

/// The daemon's request-response service.
pub(crate) fn requests_service(
    node: &Node<Iox>,
    name: &str,
) -> Result<
    iceoryx2::service::port_factory::request_response::PortFactory<Iox, Request, (), Reply, ()>,
    IpcError,
> {
    node.service_builder(&service_name(&format!("dhan-feed/{name}/requests"))?)
        .request_response::<Request, Reply>()
        .open_or_create()
        .map_err(IpcError::iox)
}

/// One consumer stream's publish-subscribe service (the same settings from
/// either side: whichever comes first creates it).
pub(crate) fn market_service(
    node: &Node<Iox>,
    name: &str,
    consumer: &UniqueNodeId,
    mode: FeedMode,
) -> Result<
    iceoryx2::service::port_factory::publish_subscribe::PortFactory<Iox, Sample, ()>,
    IpcError,
> {
    let mode = match mode {
        FeedMode::Ticker => "ticker",
        FeedMode::Quote => "quote",
        FeedMode::Full => "full",
    };
    node.service_builder(&service_name(&format!(
        "dhan-feed/{name}/market/{consumer}/{mode}"
    ))?)
    .publish_subscribe::<Sample>()
    .max_publishers(1)
    .max_subscribers(1)
    .history_size(0)
    .subscriber_max_buffer_size(STREAM_BUFFER)
    .enable_safe_overflow(true)
    .open_or_create()
    .map_err(IpcError::iox)
}
