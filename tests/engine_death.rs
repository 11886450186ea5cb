//! A dead I/O thread is loud: a panic or a failed poll reaches every handle as
//! its `EngineStopped` event after whatever its ring still held; receive calls
//! then return at once, `connected()` is false, `health().stopped` says why,
//! requests fail with the cause, and the process goes on.

use dhan_feed::event::EngineStop;
use dhan_feed::internals::fault::{Fault, inject};
use dhan_feed::sim::Simulator;
use dhan_feed::{Client, DepthFeedEvent, Error, FeedEvent, FeedMode, OrderEvent};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;
use common::{id, serial};

fn plain_sim() -> Simulator {
    Simulator::builder()
        .plain()
        .rate(500.0)
        .order_interval(Some(Duration::from_millis(50)))
        .start()
        .unwrap()
}

/// Calls `f` with `handle` on another thread and returns what it returned, or
/// panics if it has not returned within 30 s (a receive call that waits out
/// its ten-minute timeout instead of returning at once).
fn returns_promptly<H: Send + 'static, T: Send + 'static>(
    mut handle: H,
    f: impl FnOnce(&mut H) -> T + Send + 'static,
) -> (H, T) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let t = f(&mut handle);
        let _ = tx.send((handle, t));
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the receive call returned at once")
}

const LONG: Duration = Duration::from_secs(600);

/// Every handle of a client with live market, depth and order feeds, and the
/// market events its ring holds when `fault` strikes.
fn kill_with(fault: Fault) -> (EngineStop, String) {
    let sim = plain_sim();
    let client = Client::new(sim.client_config()).unwrap();
    let mut market = client.market_feed(FeedMode::Ticker);
    market.subscribe(&[id("IDX_I:13")]).unwrap();
    let mut depth = client.depth20();
    depth.subscribe(&[id("NSE_EQ:2885")]).unwrap();
    let orders = client.order_updates();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && !(market.connected() && depth.connected() && orders.connected())
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(market.connected() && depth.connected() && orders.connected());
    // Not consumed for a while: the rings hold what arrived.
    std::thread::sleep(Duration::from_millis(300));
    let waiting = market.stats().lag;
    assert!(waiting > 0, "market events waiting in the ring");
    inject(&client, fault).unwrap();

    // Everything that was waiting comes first, then the terminal event.
    let (market, (market_events, stop)) = returns_promptly(market, |m| {
        let mut n = 0u64;
        loop {
            match m.recv_timeout(LONG) {
                Some(FeedEvent::EngineStopped(s)) => return (n, s),
                Some(_) => n += 1,
                None => panic!("a receive call timed out on a dead engine"),
            }
        }
    });
    assert!(market_events >= waiting, "{market_events} < {waiting}");
    // And again, at once, on every later call (and from drain).
    let (mut market, again) = returns_promptly(market, |m| m.recv_timeout(LONG));
    assert_eq!(again, Some(FeedEvent::EngineStopped(stop)));
    let mut out = [FeedEvent::EngineStopped(EngineStop::Stopped); 4];
    assert_eq!(market.drain(&mut out), 1);
    assert_eq!(out[0], FeedEvent::EngineStopped(stop));

    let (mut depth, depth_stop) = returns_promptly(depth, |d| {
        loop {
            match d.recv_timeout(LONG) {
                Some(DepthFeedEvent::EngineStopped(s)) => return s,
                Some(_) => {}
                None => panic!("a depth receive call timed out on a dead engine"),
            }
        }
    });
    let (orders, order_stop) = returns_promptly(orders, |o| {
        loop {
            match o.recv_timeout(LONG) {
                Some(OrderEvent::EngineStopped(s)) => return s,
                Some(_) => {}
                None => panic!("an order receive call timed out on a dead engine"),
            }
        }
    });
    assert_eq!((depth_stop, order_stop), (stop, stop));

    // Nothing reports a live connection any more, and health says why.
    assert!(!market.connected() && !depth.connected() && !orders.connected());
    for h in [market.health(), depth.health(), orders.health()] {
        assert_eq!(h.stopped, Some(stop));
        assert_eq!(h.live, 0);
        assert_eq!(h.connected_since, None);
    }
    // Requests fail with the cause; the subscriptions are unchanged.
    let err = market.subscribe(&[id("NSE_EQ:1333")]).unwrap_err();
    let detail = match err {
        Error::EngineFailed { cause, detail } => {
            assert_eq!(cause, stop);
            detail
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(market.subscriptions(), [id("IDX_I:13")]);
    assert!(matches!(
        depth.subscribe(&[id("NSE_EQ:1333")]),
        Err(Error::EngineFailed { .. })
    ));
    assert!(matches!(
        client.set_access_token("new-token"),
        Err(Error::EngineFailed { .. })
    ));
    (stop, detail)
}

#[test]
fn a_panic_on_the_io_thread_reaches_every_handle_and_the_process_goes_on() {
    let _serial = serial();
    let (stop, detail) = kill_with(Fault::Panic);
    assert_eq!(stop, EngineStop::Panicked);
    assert!(detail.contains("injected fault"), "{detail}");
    // The process goes on: a new client works.
    let sim = plain_sim();
    let client = Client::new(sim.client_config()).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = false;
    while Instant::now() < deadline && !got {
        got = matches!(
            feed.recv_timeout(Duration::from_millis(50)),
            Some(FeedEvent::Market(_))
        );
    }
    assert!(got, "a new client after the panic receives data");
}

#[test]
fn a_failed_poll_reaches_every_handle() {
    let _serial = serial();
    let (stop, detail) = kill_with(Fault::PollError);
    assert_eq!(stop, EngineStop::PollFailed(std::io::ErrorKind::Other));
    assert!(detail.contains("injected poll failure"), "{detail}");
}

#[test]
fn after_disconnect_all_receive_calls_return_at_once_with_stopped() {
    let _serial = serial();
    let sim = plain_sim();
    let client = Client::new(sim.client_config()).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !feed.connected() {
        std::thread::sleep(Duration::from_millis(10));
    }
    client.disconnect_all();
    let (feed, stop) = returns_promptly(feed, |f| {
        loop {
            if let Some(FeedEvent::EngineStopped(s)) = f.recv_timeout(LONG) {
                return s;
            }
        }
    });
    assert_eq!(stop, EngineStop::Stopped);
    assert!(!stop.is_failure());
    assert_eq!(feed.health().stopped, Some(EngineStop::Stopped));
    assert!(matches!(client.set_access_token("t"), Err(Error::Stopped)));
}
