//! RFC 6455 WebSocket client, pure: frame headers, masking, the upgrade handshake
//! and the connection's protocol state. No sockets here.

pub mod client;
pub mod frame;
pub mod handshake;
