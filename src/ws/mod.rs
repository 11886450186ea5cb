//! RFC 6455 WebSocket framing, pure: frame headers, masking. No sockets here.

pub mod frame;
