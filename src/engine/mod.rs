//! The one I/O thread: a mio poll over every socket, commands from any thread over
//! a channel plus a `Waker`, decode and publish into each consumer's ring. It never
//! waits on a consumer. Handles reach it only through [`port`].

mod aux;
mod budgets;
mod dns;
mod env;
mod fanout;
mod global_conn;
mod io_thread;
mod link;
mod outbox;
pub(crate) mod port;
#[cfg(feature = "journal")]
mod replay;
mod shard;

pub(crate) use io_thread::EngineError;
pub(crate) use io_thread::spawn;
pub use link::EVENT_LOG_TARGET;
pub use port::MAX_SHARDS;
#[cfg(feature = "journal")]
pub use replay::Pacing;
#[cfg(feature = "journal")]
pub(crate) use replay::{RecordSource, Records, spawn_replay};
