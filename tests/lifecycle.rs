//! The connection lifecycle against the simulator's fault scripts: each one ends
//! recovered with every subscription intact, or stopped with the right error and
//! no retry storm. Plus: credentials rotated without a restart, Dhan's 804, and a
//! trace-level log capture of a whole faulty session that must not contain a secret.

use dhan_feed::config::{ClientConfig, Overflow};
use dhan_feed::event::{ConnectionEvent, FeedEvent};
use dhan_feed::proto::disconnect::DisconnectCode;
use dhan_feed::proto::endpoint::FeedKind;
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Fault, SimConfig, Simulator};
use dhan_feed::{BudgetConfig, Cause, LifecycleConfig, SessionError, SessionEvent};
use dhan_feed::{Client, FeedMode, InstrumentId, MarketFeed, Secret};
use std::collections::HashSet;
use std::time::{Duration, Instant};

mod common;
use common::serial;

const COOL_OFF: Duration = Duration::from_millis(700);

fn lifecycle() -> LifecycleConfig {
    LifecycleConfig {
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(500),
        cool_off: COOL_OFF,
        stale_after: Duration::from_millis(800),
        handshake_timeout: Duration::from_secs(3),
        seed: Some(11),
        ..LifecycleConfig::default()
    }
}

/// The simulator's client configuration with these credentials, the fast
/// lifecycle above, and connections opened 20 ms apart.
fn config(sim: &Simulator, client_id: &str, token: &str) -> ClientConfig {
    ClientConfig {
        client_id: Secret::new(client_id),
        access_token: Secret::new(token),
        lifecycle: lifecycle(),
        budget: BudgetConfig {
            gap: Duration::from_millis(20),
            ..BudgetConfig::default()
        },
        ..sim.client_config()
    }
}

fn client(sim: &Simulator) -> Client {
    Client::new(config(sim, DEFAULT_CLIENT_ID, DEFAULT_ACCESS_TOKEN)).unwrap()
}

fn plain_sim(cfg: SimConfig) -> Simulator {
    Simulator::start(SimConfig {
        tls: false,
        rate: 3000.0,
        order_interval: None,
        ..cfg
    })
    .unwrap()
}

fn ids() -> Vec<InstrumentId> {
    ["IDX_I:13", "NSE_EQ:2885", "NSE_FNO:40001", "BSE_EQ:500325"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect()
}

/// Reads events for up to `limit`, until `done` says so; returns the connection
/// events seen and the instruments with data after the last `Reconnected` (or
/// `Connected`, before any reconnect).
struct Seen {
    conn: Vec<ConnectionEvent>,
    since_live: HashSet<InstrumentId>,
    refused: Vec<dhan_feed::RefusedEvent>,
}

fn watch(feed: &mut MarketFeed, limit: Duration, mut done: impl FnMut(&Seen) -> bool) -> Seen {
    let mut seen = Seen {
        conn: Vec::new(),
        since_live: HashSet::new(),
        refused: Vec::new(),
    };
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline && !done(&seen) {
        match feed.recv_timeout(Duration::from_millis(10)) {
            Some(FeedEvent::Market(m)) => {
                seen.since_live.insert(m.packet.id());
            }
            Some(FeedEvent::Connection(c)) => {
                if matches!(
                    c.event,
                    SessionEvent::Connected | SessionEvent::Reconnected { .. }
                ) {
                    seen.since_live.clear();
                }
                seen.conn.push(c);
            }
            Some(FeedEvent::Refused(r)) => seen.refused.push(r),
            _ => {}
        }
    }
    seen
}

fn sorted(ids: impl IntoIterator<Item = InstrumentId>) -> Vec<InstrumentId> {
    let mut v: Vec<InstrumentId> = ids.into_iter().collect();
    v.sort_unstable();
    v
}

fn all_streaming(s: &Seen) -> bool {
    ids().iter().all(|i| s.since_live.contains(i))
}

fn reconnected(s: &Seen) -> bool {
    s.conn
        .iter()
        .any(|c| matches!(c.event, SessionEvent::Reconnected { .. }))
}

fn live_feed(client: &Client) -> MarketFeed {
    let mut feed = client.market_feed(FeedMode::Quote);
    feed.subscribe(&ids()).unwrap();
    let s = watch(&mut feed, Duration::from_secs(10), all_streaming);
    assert!(all_streaming(&s), "never streamed: {:?}", s.since_live);
    feed
}

/// Injects `fault`, then expects a drop for a reason `expect` accepts, a reconnect
/// with every instrument resent, and data for every instrument afterwards.
fn recovers(fault: Fault, extra: Option<Fault>, expect: impl Fn(&Cause) -> bool) -> Seen {
    let sim = plain_sim(SimConfig::default());
    let client = client(&sim);
    let mut feed = live_feed(&client);
    sim.handle().inject(fault);
    if let Some(f) = extra {
        sim.handle().inject(f);
    }
    let s = watch(&mut feed, Duration::from_secs(15), |s| {
        reconnected(s) && all_streaming(s)
    });
    let reasons: Vec<Cause> = s
        .conn
        .iter()
        .filter_map(|c| match c.event {
            SessionEvent::Disconnected { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert!(reasons.iter().any(&expect), "{fault}: {:?}", s.conn);
    let resent = s.conn.iter().find_map(|c| match c.event {
        SessionEvent::Reconnected { resubscribed, .. } => Some(resubscribed),
        _ => None,
    });
    assert_eq!(resent, Some(ids().len() as u32), "{fault}: {:?}", s.conn);
    assert!(
        all_streaming(&s),
        "{fault}: after reconnect only {:?}",
        s.since_live
    );
    let mut subs = feed.subscriptions();
    subs.sort();
    let mut want = ids();
    want.sort();
    assert_eq!(subs, want);
    let h = feed.health();
    assert!(h.reconnects >= 1 && h.connected_since.is_some(), "{h:?}");
    s
}

#[test]
fn reset_recovers_with_subscriptions_intact() {
    let _s = serial();
    recovers(Fault::Reset, None, |c| {
        matches!(c, Cause::Io(_) | Cause::Eof)
    });
}

#[test]
fn close_without_close_frame_recovers() {
    let _s = serial();
    recovers(Fault::CloseNoFrame, None, |c| {
        matches!(c, Cause::Eof | Cause::Io(_))
    });
}

#[test]
fn malformed_frame_recovers() {
    let _s = serial();
    recovers(Fault::MalformedFrame, None, |c| *c == Cause::Protocol);
}

#[test]
fn oversized_frame_recovers() {
    let _s = serial();
    recovers(Fault::OversizedFrame, None, |c| *c == Cause::Protocol);
}

#[test]
fn a_stalled_server_is_caught_by_the_stale_watchdog() {
    let _s = serial();
    recovers(Fault::Stall, None, |c| *c == Cause::Stale);
}

#[test]
fn code_805_cools_off_then_recovers() {
    let _s = serial();
    let s = recovers(Fault::Disconnect(805), None, |c| {
        *c == Cause::Dhan(DisconnectCode(805))
    });
    assert!(s.conn.iter().any(|c| matches!(
        c.event,
        SessionEvent::Reconnecting { delay, .. } if delay == COOL_OFF
    )));
}

#[test]
fn http_429_on_the_upgrade_cools_off_then_recovers() {
    let _s = serial();
    // Arm a 429 for the next handshake, then drop the connection.
    let s = recovers(Fault::Http429, Some(Fault::Reset), |c| {
        *c == Cause::Http(429)
    });
    assert!(s.conn.iter().any(|c| matches!(
        c.event,
        SessionEvent::Reconnecting { delay, .. } if delay == COOL_OFF
    )));
}

#[test]
fn a_server_that_stops_pinging_but_sends_data_is_not_dropped() {
    let _s = serial();
    let sim = plain_sim(SimConfig::default());
    let client = client(&sim);
    let mut feed = live_feed(&client);
    sim.handle().inject(Fault::NoPing);
    // Three stale periods of pings missing: data alone keeps the connection.
    let s = watch(&mut feed, Duration::from_millis(2400), |_| false);
    assert!(
        !s.conn
            .iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. })),
        "{:?}",
        s.conn
    );
    assert!(all_streaming(&s));
    assert_eq!(sim.handle().stats().accepted, 1);
}

#[test]
fn a_slow_consumer_does_not_cost_the_connection() {
    let _s = serial();
    let sim = plain_sim(SimConfig {
        ping_interval: Duration::from_millis(50),
        pong_timeout: Duration::from_millis(400),
        rate: 20_000.0,
        ..SimConfig::default()
    });
    let client = client(&sim);
    let mut slow = client
        .market_feed_with(FeedMode::Quote, 64, Overflow::DropNewest)
        .unwrap();
    slow.subscribe(&ids()).unwrap();
    // Never read for 1.5 s (the server closes after 400 ms without a pong).
    std::thread::sleep(Duration::from_millis(1500));
    let st = slow.stats();
    assert!(st.dropped > 0 && st.lag == 64, "{st:?}");
    let s = watch(&mut slow, Duration::from_secs(5), all_streaming);
    assert!(all_streaming(&s));
    assert!(
        !s.conn
            .iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. }))
    );
    assert_eq!(sim.handle().stats().accepted, 1, "never reconnected");
}

/// Reads until the connection reports an error (or 5 s) and asserts it is the
/// credential failure `code`.
fn until_credential_error(feed: &mut MarketFeed, code: u16) -> Seen {
    let s = watch(feed, Duration::from_secs(5), |s| {
        s.conn
            .iter()
            .any(|c| matches!(c.event, SessionEvent::Error { .. }))
    });
    let want = SessionEvent::Error {
        error: SessionError::Credentials(Cause::Dhan(DisconnectCode(code))),
    };
    assert!(s.conn.iter().any(|c| c.event == want), "{:?}", s.conn);
    s
}

/// Waits `d` and returns how many upgrades the simulator accepted meanwhile.
fn attempts_during(sim: &Simulator, d: Duration) -> u64 {
    let before = sim.handle().stats().accepted;
    std::thread::sleep(d);
    sim.handle().stats().accepted - before
}

#[test]
fn code_807_stops_without_a_retry_storm_until_a_new_token() {
    let _s = serial();
    let sim = plain_sim(SimConfig::default());
    let client = client(&sim);
    let mut feed = live_feed(&client);
    sim.handle().inject(Fault::Disconnect(807));
    until_credential_error(&mut feed, 807);
    // With a 20 ms backoff base a storm would show dozens of attempts.
    assert_eq!(attempts_during(&sim, Duration::from_millis(800)), 0);
    assert_eq!(feed.health().halted, Some(Cause::Dhan(DisconnectCode(807))));
    client.set_access_token(DEFAULT_ACCESS_TOKEN).unwrap();
    let s = watch(&mut feed, Duration::from_secs(10), |s| {
        reconnected(s) && all_streaming(s)
    });
    assert!(reconnected(&s) && all_streaming(&s), "{:?}", s.conn);
    assert_eq!(feed.health().halted, None);
}

/// HTTP 401 and 403 on the upgrade (Dhan's answer to a bad or expired token)
/// stop the connection with the status, without a retry storm, until a new
/// token; then it recovers with every subscription.
#[test]
fn http_401_and_403_on_the_upgrade_stop_until_a_new_token() {
    let _s = serial();
    for status in [401, 403] {
        let sim = plain_sim(SimConfig::default());
        let client = client(&sim);
        let mut feed = live_feed(&client);
        sim.handle().inject(Fault::Http(status));
        sim.handle().inject(Fault::Reset);
        let want = SessionEvent::Error {
            error: SessionError::Credentials(Cause::Http(status)),
        };
        let s = watch(&mut feed, Duration::from_secs(5), |s| {
            s.conn.iter().any(|c| c.event == want)
        });
        assert!(s.conn.iter().any(|c| c.event == want), "{:?}", s.conn);
        assert_eq!(attempts_during(&sim, Duration::from_millis(800)), 0);
        assert_eq!(feed.health().halted, Some(Cause::Http(status)));
        assert!(!feed.connected());
        client.set_access_token(DEFAULT_ACCESS_TOKEN).unwrap();
        let s = watch(&mut feed, Duration::from_secs(10), |s| {
            reconnected(s) && all_streaming(s)
        });
        assert!(
            reconnected(&s) && all_streaming(&s),
            "{status}: {:?}",
            s.conn
        );
        assert_eq!(feed.health().halted, None);
    }
}

/// A server whose accept queue is full never completes the TCP handshake: the
/// attempt times out after `connect_timeout`, is reported with that cause, and
/// is retried on the backoff schedule.
#[test]
fn a_connect_that_never_completes_times_out_and_is_retried() {
    use socket2::{Domain, Socket, Type};
    let _s = serial();
    // A listener with a backlog of 0 that never accepts, its queue filled.
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let fillers: Vec<Socket> = (0..3)
        .map(|_| {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            s.set_nonblocking(true).unwrap();
            let _ = s.connect(&addr.into());
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let cfg = ClientConfig {
        endpoints: dhan_feed::Endpoints::all(&format!("ws://{addr}")),
        lifecycle: LifecycleConfig {
            connect_timeout: Duration::from_millis(300),
            ..lifecycle()
        },
        ..ClientConfig::default()
    };
    let client = Client::new(cfg).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids()).unwrap();
    let s = watch(&mut feed, Duration::from_secs(10), |s| s.conn.len() >= 2);
    let causes: Vec<(u32, Cause)> = s
        .conn
        .iter()
        .filter_map(|c| match c.event {
            SessionEvent::Reconnecting { attempt, cause, .. } => Some((attempt, cause)),
            _ => None,
        })
        .collect();
    assert_eq!(
        causes,
        [(1, Cause::ConnectTimeout), (2, Cause::ConnectTimeout)],
        "{:?}",
        s.conn
    );
    assert!(!feed.connected());
    drop(fillers);
}

#[test]
fn code_808_wrong_client_id_stops_with_the_reason() {
    let _s = serial();
    let sim = plain_sim(SimConfig::default());
    let client = Client::new(config(&sim, "1999999999", DEFAULT_ACCESS_TOKEN)).unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids()).unwrap();
    until_credential_error(&mut feed, 808);
    assert_eq!(attempts_during(&sim, Duration::from_millis(800)), 0);
    assert_eq!(sim.handle().stats().accepted, 1, "one attempt, no storm");
    assert_eq!(feed.health().halted, Some(Cause::Dhan(DisconnectCode(808))));
}

#[test]
fn an_expired_token_is_rotated_without_a_restart_over_tls() {
    let _s = serial();
    let sim = Simulator::start(SimConfig {
        expired_token: "yesterdays-token".into(),
        order_interval: None,
        rate: 3000.0,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(config(&sim, DEFAULT_CLIENT_ID, "yesterdays-token")).unwrap();
    let mut feed = client.market_feed(FeedMode::Full);
    feed.subscribe(&ids()).unwrap();
    let s = until_credential_error(&mut feed, 807);
    assert!(s.since_live.is_empty());
    client
        .set_access_token(Secret::new(DEFAULT_ACCESS_TOKEN))
        .unwrap();
    let s = watch(&mut feed, Duration::from_secs(10), all_streaming);
    assert!(all_streaming(&s), "{:?}", s.conn);
    assert!(feed.connected());
}

#[test]
fn code_804_drops_the_instruments_over_the_limit_and_keeps_the_rest() {
    let _s = serial();
    let sim = plain_sim(SimConfig {
        max_instruments_per_connection: 4,
        ..SimConfig::default()
    });
    let client = client(&sim);
    let mut feed = live_feed(&client);
    let extra: Vec<InstrumentId> = (0..3)
        .map(|i| format!("NSE_EQ:{}", 11_000 + i).parse().unwrap())
        .collect();
    feed.subscribe(&extra).unwrap();
    let s = watch(&mut feed, Duration::from_secs(10), |s| {
        reconnected(s) && all_streaming(s)
    });
    assert!(
        s.conn.iter().any(|c| c.event
            == SessionEvent::Error {
                error: SessionError::InstrumentLimit { dropped: 3 }
            }),
        "{:?}",
        s.conn
    );
    assert!(all_streaming(&s));
    assert!(extra.iter().all(|i| !s.since_live.contains(i)));
    assert_eq!(feed.stats().rejected, 3);
    // The handle heard which, and they left its subscriptions.
    let refused = sorted(s.refused.iter().map(|r| r.id));
    assert_eq!(refused, extra);
    assert!(
        s.refused
            .iter()
            .all(|r| r.reason == dhan_feed::Refusal::InstrumentLimit)
    );
    assert_eq!(sorted(feed.subscriptions()), sorted(ids()));
    // Stays up afterwards: no 804 loop.
    let s = watch(&mut feed, Duration::from_millis(600), |_| false);
    assert!(
        !s.conn
            .iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. }))
    );
    // They can be asked for again (and are refused again by this server).
    feed.subscribe(&extra).unwrap();
    let s = watch(&mut feed, Duration::from_secs(10), |s| s.refused.len() >= 3);
    assert_eq!(s.refused.len(), 3, "{:?}", s.conn);
    assert_eq!(feed.stats().rejected, 6);
}

/// The server's limit falls below what a connection carries (no new
/// instrument in the burst the 804 answers): the tail of what was resent is
/// refused, at most a message's worth (100) per 804, so repeated 804s converge
/// and the rest stays subscribed and live.
#[test]
fn code_804_after_the_limit_fell_refuses_the_resent_tail_and_converges() {
    let _s = serial();
    let sim = plain_sim(SimConfig::default());
    let client = client(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    let many: Vec<InstrumentId> = (0..150)
        .map(|i| format!("NSE_EQ:{}", 20_000 + i).parse().unwrap())
        .collect();
    feed.subscribe(&many).unwrap();
    // Data flowing: the server's session (and its limit, read when the session
    // starts, just after the upgrade) exists.
    let s = watch(&mut feed, Duration::from_secs(10), |s| {
        !s.since_live.is_empty()
    });
    assert!(s.conn.iter().any(|c| c.event == SessionEvent::Connected));
    assert!(!s.since_live.is_empty());
    sim.handle().set_instrument_limit(120);
    sim.handle().inject(Fault::Reset);
    let s = watch(&mut feed, Duration::from_secs(10), |s| {
        s.refused.len() >= 100 && reconnected(s)
    });
    assert!(
        s.conn.iter().any(|c| c.event
            == SessionEvent::Error {
                error: SessionError::InstrumentLimit { dropped: 100 }
            }),
        "{:?}",
        s.conn
    );
    assert_eq!(s.refused.len(), 100);
    assert_eq!(feed.subscriptions().len(), 50);
    assert_eq!(feed.stats().rejected, 100);
    // The rest is live and stays so: no 804 loop.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !feed.connected() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(feed.connected());
    let s = watch(&mut feed, Duration::from_millis(800), |_| false);
    assert!(
        !s.conn
            .iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. })),
        "{:?}",
        s.conn
    );
}

/// An 804 after a reconnect used to drop every instrument of the connection (all
/// were resent, so all counted as the latest burst), and the handle kept listing
/// them, so they could never come back.
#[test]
fn code_804_after_a_reconnect_drops_only_the_new_instruments() {
    let _s = serial();
    let sim = plain_sim(SimConfig {
        max_instruments_per_connection: 5,
        ..SimConfig::default()
    });
    let client = client(&sim);
    let mut feed = live_feed(&client);
    // Down (805: a cool-off) while the strategy asks for three more.
    sim.handle().inject(Fault::Disconnect(805));
    let s = watch(&mut feed, Duration::from_secs(5), |s| {
        s.conn
            .iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. }))
    });
    assert!(!s.conn.is_empty(), "the 805 was seen");
    let extra: Vec<InstrumentId> = (0..3)
        .map(|i| format!("NSE_EQ:{}", 12_000 + i).parse().unwrap())
        .collect();
    feed.subscribe(&extra).unwrap();
    // The reconnect resends 4 + 3 in one burst: 804; only the 3 new ones go.
    let s = watch(&mut feed, Duration::from_secs(15), |s| {
        s.refused.len() >= 3 && all_streaming(s)
    });
    let refused = sorted(s.refused.iter().map(|r| r.id));
    assert_eq!(refused, extra, "{:?}", s.conn);
    assert!(
        all_streaming(&s),
        "the old instruments stream: {:?}",
        s.since_live
    );
    assert_eq!(sorted(feed.subscriptions()), sorted(ids()));
    assert_eq!(feed.stats().rejected, 3);
}

#[test]
fn two_clients_of_one_user_never_hold_more_than_five_market_connections() {
    let _s = serial();
    let sim = plain_sim(SimConfig {
        rate: 200.0,
        ..SimConfig::default()
    });
    let many = |base: u32| -> Vec<InstrumentId> {
        (0..15_000)
            .map(|i| InstrumentId::new(dhan_feed::ExchangeSegment::NseFno, base + i))
            .collect()
    };
    // Each client wants three connections; together six, one over Dhan's limit.
    let a = client(&sim);
    let mut fa = a.market_feed(FeedMode::Ticker);
    fa.subscribe(&many(100_000)).unwrap();
    let b = client(&sim);
    let mut fb = b.market_feed(FeedMode::Ticker);
    fb.subscribe(&many(200_000)).unwrap();
    assert!(
        sim.handle()
            .wait_live(FeedKind::MarketFeed, 5, Duration::from_secs(10))
    );
    // The sixth waits for a slot instead of evicting the oldest with 805.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(sim.handle().live(FeedKind::MarketFeed), 5);
    assert_eq!(sim.handle().stats().evicted, 0);
    let (ha, hb) = (fa.health(), fb.health());
    assert_eq!(ha.connections + hb.connections, 6);
    assert_eq!(ha.live + hb.live, 5, "{ha:?} {hb:?}");
    // When one client goes, the other's waiting connection gets its slot.
    drop(fa);
    drop(a);
    let deadline = Instant::now() + Duration::from_secs(10);
    while fb.health().live < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(fb.health().live, 3);
    assert_eq!(sim.handle().stats().evicted, 0);
}

#[test]
fn a_slow_handshake_times_out_and_the_next_attempt_recovers() {
    let _s = serial();
    let sim = plain_sim(SimConfig::default());
    let mut cfg = config(&sim, DEFAULT_CLIENT_ID, DEFAULT_ACCESS_TOKEN);
    cfg.lifecycle.handshake_timeout = Duration::from_millis(400);
    let client = Client::new(cfg).unwrap();
    let mut feed = live_feed(&client);
    // The next upgrade is answered after 3 s: far past the 400 ms limit.
    sim.handle()
        .inject(Fault::SlowHandshake(Duration::from_secs(3)));
    sim.handle().inject(Fault::Reset);
    let s = watch(&mut feed, Duration::from_secs(15), |s| {
        reconnected(s) && all_streaming(s)
    });
    assert!(
        s.conn.iter().any(|c| matches!(
            c.event,
            SessionEvent::Reconnecting { attempt, .. } if attempt >= 2
        )),
        "the timed-out attempt was followed by another: {:?}",
        s.conn
    );
    assert!(reconnected(&s) && all_streaming(&s), "{:?}", s.conn);
}

#[test]
fn an_untrusted_certificate_is_named_in_each_reconnecting_event() {
    let _g = serial();
    let sim = Simulator::start(SimConfig {
        order_interval: None,
        ..SimConfig::default()
    })
    .unwrap();
    // The simulator's certificate is not added as a root: every attempt fails in
    // the TLS handshake and never goes live.
    let client = Client::new(ClientConfig {
        extra_roots: Vec::new(),
        ..config(&sim, DEFAULT_CLIENT_ID, DEFAULT_ACCESS_TOKEN)
    })
    .unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids()).unwrap();
    let s = watch(&mut feed, Duration::from_secs(10), |s| s.conn.len() >= 2);
    let untrusted = Cause::Tls(dhan_feed::TlsFailure::UntrustedCertificate);
    assert!(s.conn.len() >= 2, "{:?}", s.conn);
    for c in &s.conn {
        assert!(
            matches!(c.event, SessionEvent::Reconnecting { cause, .. } if cause == untrusted),
            "{c:?}"
        );
        assert!(c.to_string().contains("not trusted"), "{c}");
    }
    assert!(!feed.connected());
}

/// `Duration::MAX` timers used to overflow on the I/O thread at the first live
/// frame, killing it silently; `recv_timeout(Duration::MAX)` panicked.
#[test]
fn duration_max_in_the_config_is_never_not_a_dead_engine() {
    let _g = serial();
    let sim = plain_sim(SimConfig::default());
    let client = Client::new(ClientConfig {
        lifecycle: LifecycleConfig {
            stale_after: Duration::MAX,
            connect_timeout: Duration::MAX,
            handshake_timeout: Duration::MAX,
            cool_off: Duration::MAX,
            backoff_cap: Duration::MAX,
            stable_after: Duration::MAX,
            ..lifecycle()
        },
        ..config(&sim, DEFAULT_CLIENT_ID, DEFAULT_ACCESS_TOKEN)
    })
    .unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids()).unwrap();
    let first = feed.recv_timeout(Duration::MAX);
    assert!(first.is_some(), "an event, without a panic");
    // Still flowing well after the first frames: the I/O thread lives.
    std::thread::sleep(Duration::from_millis(300));
    while feed.try_recv().is_some() {}
    let s = watch(&mut feed, Duration::from_secs(5), all_streaming);
    assert!(
        all_streaming(&s),
        "every instrument streams after the pause"
    );
    assert!(feed.connected());
}

/// The watchdog assumed the server pings. The client now pings a quiet
/// connection itself, so one whose server never pings stays up, and one whose
/// server stops answering is reconnected.
#[test]
fn a_quiet_server_that_never_pings_is_kept_alive_by_client_pings() {
    let _g = serial();
    // A packet an hour (0 would be flat out): a quiet feed.
    let sim = Simulator::start(SimConfig {
        tls: false,
        rate: 1.0 / 3600.0,
        ping_interval: Duration::from_secs(3600),
        order_interval: None,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(ClientConfig {
        lifecycle: LifecycleConfig {
            ping_after: Duration::from_millis(100),
            stale_after: Duration::from_millis(600),
            ..lifecycle()
        },
        ..config(&sim, DEFAULT_CLIENT_ID, DEFAULT_ACCESS_TOKEN)
    })
    .unwrap();
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&ids()).unwrap();
    let s = watch(&mut feed, Duration::from_secs(5), |s| !s.conn.is_empty());
    assert!(
        matches!(
            s.conn.first().map(|c| c.event),
            Some(SessionEvent::Connected)
        ),
        "{:?}",
        s.conn
    );
    // Well past `stale_after` with no data and no server ping: still up.
    let s = watch(&mut feed, Duration::from_millis(2_000), |_| false);
    assert!(s.conn.is_empty(), "no drop: {:?}", s.conn);
    assert!(feed.connected());
    assert_eq!(feed.health().reconnects, 0);
    // A server that stops answering pings too: the watchdog reconnects.
    assert_eq!(sim.handle().inject(Fault::NoPing), 1);
    let s = watch(&mut feed, Duration::from_secs(5), reconnected);
    assert!(
        s.conn.iter().any(|c| matches!(
            c.event,
            SessionEvent::Disconnected {
                reason: Cause::Stale,
                ..
            }
        )),
        "{:?}",
        s.conn
    );
}
