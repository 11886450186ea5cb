//! Tokens that renew themselves: a client following a token file (or a callback)
//! picks up the renewed token on every feed kind after the server expired the
//! old one (807), never retries a refused token while it is unchanged, keeps
//! going when the file is unreadable or empty, and refuses to start without a
//! readable token.

use dhan_feed::config::{ClientConfig, ConfigError};
use dhan_feed::sim::{SimConfig, Simulator};
use dhan_feed::{
    Cause, Client, DisconnectCode, Error, FeedEvent, FeedMode, LifecycleConfig, OrderEvent, Secret,
    SessionError, SessionEvent, TokenSource,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{id, serial, temp_dir};

/// A plain simulator that reads its valid token from `file`.
fn sim_with_token_file(file: &Path) -> Simulator {
    Simulator::start(SimConfig {
        tls: false,
        order_interval: None,
        access_token_file: Some(file.to_owned()),
        ..SimConfig::default()
    })
    .unwrap()
}

fn config(sim: &Simulator, source: TokenSource) -> ClientConfig {
    ClientConfig {
        access_token: Secret::default(),
        token_source: source,
        lifecycle: LifecycleConfig {
            backoff_base: Duration::from_millis(20),
            backoff_cap: Duration::from_millis(200),
            seed: Some(5),
            ..LifecycleConfig::default()
        },
        ..sim.client_config()
    }
}

/// Polls `cond` for up to 10 s.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn write(path: &PathBuf, text: &str) {
    std::fs::write(path, text).unwrap();
}

const EXPIRED: Cause = Cause::Dhan(DisconnectCode(807));

#[test]
fn a_renewed_token_file_brings_every_feed_kind_back_after_807() {
    let _s = serial();
    let dir = temp_dir("token-renew");
    let (server_file, client_file) = (dir.join("server"), dir.join("client"));
    write(&server_file, "tok-monday\n");
    write(&client_file, "tok-monday\n");
    let sim = sim_with_token_file(&server_file);
    let client = Client::new(config(&sim, TokenSource::file(&client_file))).unwrap();
    let mut market = client.market_feed(FeedMode::Ticker);
    market.subscribe(&[id("IDX_I:13")]).unwrap();
    let mut depth = client.depth20();
    depth.subscribe(&[id("NSE_EQ:2885")]).unwrap();
    let mut orders = client.order_updates();
    eventually("all live", || {
        market.connected() && depth.connected() && orders.connected()
    });

    // The server renews the token: every connection is closed with 807 and
    // stays stopped (no retry with the refused token).
    write(&server_file, "tok-tuesday\n");
    eventually("all stopped for 807", || {
        [market.health(), depth.health(), orders.health()]
            .iter()
            .all(|h| h.halted == Some(EXPIRED))
    });
    let accepted = sim.handle().stats().accepted;
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(sim.handle().stats().accepted, accepted, "no retry storm");
    // The handle was told why.
    let mut told = false;
    while let Some(ev) = market.try_recv() {
        told |= matches!(
            ev,
            FeedEvent::Connection(c) if c.event == SessionEvent::Error {
                error: SessionError::Credentials(EXPIRED)
            }
        );
    }
    assert!(told, "the market handle heard of the expired token");

    // The login job writes the new token: every feed comes back by itself.
    write(&client_file, "tok-tuesday\n");
    eventually("all live again", || {
        market.connected() && depth.connected() && orders.connected()
    });
    for h in [market.health(), depth.health(), orders.health()] {
        assert_eq!(h.halted, None);
    }
    let mut reopened = false;
    while let Some(ev) = orders.try_recv() {
        reopened |= matches!(ev, OrderEvent::Open);
    }
    assert!(reopened, "the order feed logged in again");
}

#[test]
fn an_unreadable_or_empty_token_file_keeps_the_token_and_the_connection() {
    let _s = serial();
    let dir = temp_dir("token-unreadable");
    let (server_file, client_file) = (dir.join("server"), dir.join("client"));
    write(&server_file, "tok-a");
    write(&client_file, "tok-a");
    let sim = sim_with_token_file(&server_file);
    let client = Client::new(config(&sim, TokenSource::file(&client_file))).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    eventually("live", || feed.connected());
    let accepted = sim.handle().stats().accepted;
    write(&client_file, "  \n");
    std::thread::sleep(Duration::from_millis(1200));
    std::fs::remove_file(&client_file).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    assert!(feed.connected(), "nothing changed for the connection");
    assert_eq!(sim.handle().stats().accepted, accepted, "no reconnect");
    // The watcher is still there: a renewal after the errors is followed.
    write(&server_file, "tok-b");
    eventually("stopped for 807", || feed.health().halted == Some(EXPIRED));
    write(&client_file, "tok-b");
    eventually("live again", || feed.connected());
}

#[test]
fn a_token_callback_is_asked_again_on_its_schedule() {
    let _s = serial();
    let dir = temp_dir("token-callback");
    let server_file = dir.join("server");
    write(&server_file, "cb-1");
    let sim = sim_with_token_file(&server_file);
    let current = Arc::new(Mutex::new("cb-1".to_owned()));
    let c = current.clone();
    let source = TokenSource::callback(move || Ok(Secret::new(c.lock().unwrap().clone())));
    let client = Client::new(ClientConfig {
        token_refresh: Duration::from_millis(100),
        ..config(&sim, source)
    })
    .unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    eventually("live", || feed.connected());
    write(&server_file, "cb-2");
    eventually("stopped for 807", || feed.health().halted == Some(EXPIRED));
    *current.lock().unwrap() = "cb-2".to_owned();
    eventually("live again", || feed.connected());
}

#[test]
fn a_token_source_that_cannot_be_read_at_start_is_a_clear_error() {
    let dir = temp_dir("token-missing");
    let missing = dir.join("no-such-token");
    let cfg = ClientConfig {
        access_token: Secret::new("tok-never-shown"),
        token_source: TokenSource::file(&missing),
        ..ClientConfig::default()
    };
    let err = Client::new(cfg).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Config(ConfigError::TokenSource { .. })),
        "{err:?}"
    );
    assert!(text.contains("no-such-token"), "{text}");
    assert!(!text.contains("tok-never-shown"), "{text}");
    // A callback that fails says so.
    let cfg = ClientConfig {
        token_source: TokenSource::callback(|| Err(std::io::Error::other("vault sealed"))),
        ..ClientConfig::default()
    };
    let text = Client::new(cfg).unwrap_err().to_string();
    assert!(
        text.contains("token callback") && text.contains("vault sealed"),
        "{text}"
    );
}
