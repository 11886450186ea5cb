//! One Dhan login shared by many processes on one host (`ipc` feature): a
//! [`Daemon`] owns the client and its connections and publishes each
//! consumer's market events over iceoryx2 shared memory; a consumer ([`Via`])
//! asks it for instruments and reads its own streams.
//!
//! # Services
//!
//! All iceoryx2 `ipc::Service`s, named after the daemon's `NAME`:
//!
//! | service | pattern | what |
//! |---|---|---|
//! | `dhan-feed/NAME/requests` | request-response, [`Request`] → [`Reply`] | a consumer's subscribe and unsubscribe |
//! | `dhan-feed/NAME/market/NODE/MODE` | publish-subscribe, [`Sample`] | that consumer node's events in that mode, numbered from 1 |
//!
//! The daemon keeps one market-feed handle per consumer stream, in the
//! stream's mode, so the engine does what it does for handles in one process:
//! each instrument is subscribed once upstream, in the richest mode asked,
//! within Dhan's limits, and released when its last handle goes. A consumer's
//! handles go when iceoryx2's node registry says its node is dead (the daemon
//! also cleans up the dead node's resources) or gone, checked every 250 ms.
//! A consumer's stream exists before it asks for anything, so nothing published
//! for it is lost; a consumer that falls behind has its oldest samples
//! overwritten and sees [`ViaEvent::Gap`] with the count.
//!
//! Every process must use the same iceoryx2 release: this build pins
//! [`ICEORYX2_VERSION`].

mod daemon;
mod services;
mod via;
mod wire;

/// The iceoryx2 crate this build uses (its `Config` sets a daemon's root
/// path and prefix); depend on it through here to match the pinned release.
pub use iceoryx2;

pub use daemon::{Daemon, DaemonStats};
pub use services::{ICEORYX2_VERSION, IpcError, STREAM_BUFFER};
pub use via::Via;
pub use wire::{MAX_IDS, Reply, Request, Sample, SampleKind, ViaEvent, WireId};
