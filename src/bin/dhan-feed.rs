//! The `dhan-feed` command-line tool.
fn main() {}
