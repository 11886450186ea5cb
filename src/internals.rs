//! **Not part of the API**: no semver promise, hidden from the docs. The pieces of
//! the crate's inside that its own binary (the bench driver's baselines), tests,
//! benches, examples and fuzz targets drive directly. A program that trades has
//! no use for them; what it needs is re-exported at the crate root.

/// The SPSC ring each consumer owns (benchmarked against rtrb and crossbeam,
/// model-checked with loom).
pub mod ring {
    pub use crate::ring::{Consumer, Producer, ring};
}

/// TCP and TLS glue (rustls's unbuffered API).
pub mod tls {
    pub use crate::transport::conn::{ReadStatus, Transport};
    pub use crate::transport::tls::{client_config, install_default_provider, root_store};
    pub use crate::transport::tls_stream::MAX_RECORD_PLAINTEXT;
}

/// The RFC 6455 client framer.
pub mod ws {
    pub use crate::ws::client::{WsClient, WsEvent, WsLimits};
    pub use crate::ws::frame::{
        FrameError, FrameHeader, MAX_HEADER_LEN, Opcode, parse_header, push_server_frame,
        write_header,
    };
}

/// A property checker of the pure connection state machines (reconnect,
/// backoff, budget) driven by a byte string of operations: the fuzz target's and
/// the proptest's engine.
pub mod check {
    pub use crate::session::check::{SEEDS, Totals, Violation, run};
}

/// Deterministic sample messages and captures (the files under `samples/`).
pub mod sample {
    pub use crate::proto::sample::*;
}

/// Synthetic instrument masters of any size, in both of Dhan's shapes.
pub mod synthetic {
    pub use crate::instrument::synthetic::*;
}

/// The JSON tape parser under the order-update and request parsers, and the
/// simulator's request parser.
pub mod json {
    pub use crate::proto::json::TapeParser;
    pub use crate::proto::request_parse::parse_request;
}
