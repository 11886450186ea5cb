//! The command-line tool's subcommands, as library code so they can be tested.
//! `src/bin/dhan-feed.rs` only parses arguments and calls these.

pub mod bench;
pub mod decode;
pub mod sample;
pub mod sim;
pub mod stderr;
pub mod watch;
pub mod watch_feeds;
