//! `dhan-feed watch --http ADDR`: the live web page beside whatever `watch` shows
//! (`dhan_feed::web`). The page always shows the order-update stream: a watch of
//! the market, depth or Global Stocks feed opens the order feed for it (the web
//! thread consumes that one); `watch --orders` forwards the events it prints.

use crate::stderr::note;
use crate::watch_args::{WatchArgs, WatchError};
use dhan_feed::web::{WebConfig, WebPage, WebServer};
use std::time::Duration;

/// The page `args` asks for, not started yet; `None` without `--http`.
pub fn page(args: &WatchArgs) -> Option<WebPage> {
    let addr = args.http?;
    Some(WebPage::new(WebConfig {
        addr,
        allow_remote: args.http_allow_remote,
        stale_after: Duration::from_secs_f64(args.http_stale),
        ..WebConfig::default()
    }))
}

/// Starts the page and says where it is (and warns when other hosts can reach it).
pub fn start(page: WebPage) -> Result<WebServer, WatchError> {
    let server = page.start()?;
    let addr = server.local_addr();
    note!(
        "dhan-feed watch: live page at {} (health: {}health)",
        server.url(),
        server.url()
    );
    if !addr.ip().is_loopback() {
        note!(
            "dhan-feed watch: warning: the page listens on {addr}, reachable from other hosts; it has no login, so whoever reaches it sees these prices and your order updates"
        );
    }
    Ok(server)
}
