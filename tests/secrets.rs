//! Secrets never leave: a whole session with faults (reset, 805, a malformed frame,
//! an HTTP 429 upgrade), a credential failure, a token rotation and reconnects, the
//! order feed (SELF and PARTNER logins) and both depth feeds is run with every log
//! line captured at trace level (the simulator's own lines included); then the log,
//! every connection event, and the `Debug`/`Display` of the configs (the client's,
//! one with a pasted Dhan URL, the simulator's), clients, handles and errors are
//! searched for the access tokens, the client id and the partner secret.

use dhan_feed::config::{ClientConfig, Endpoints};
use dhan_feed::event::FeedEvent;
use dhan_feed::feed::{DepthFeedEvent, OrderEvent};
use dhan_feed::proto::login::UserType;
use dhan_feed::sim::{Fault, SimConfig, Simulator};
use dhan_feed::{BudgetConfig, LifecycleConfig, SessionEvent};
use dhan_feed::{Client, FeedMode, InstrumentId, Secret};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "7700000077";
const OLD_TOKEN: &str = "tok-EXPIRED-q8Zr1";
const TOKEN: &str = "tok-SECRET-m4Kx9";
const PARTNER_SECRET: &str = "psec-XYZ-w2Jn5";

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        let thread = std::thread::current().name().unwrap_or("?").to_owned();
        let line = format!("{} {} [{thread}] {}", r.level(), r.target(), r.args());
        LINES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture;

/// The secrets found in `text`, as text or inside a hex dump (the raw-frame
/// trace logs frames as hex).
fn leaks(text: &str) -> Vec<&'static str> {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    [CLIENT_ID, OLD_TOKEN, TOKEN, PARTNER_SECRET]
        .into_iter()
        .filter(|s| text.contains(s) || text.contains(&hex(s)))
        .collect()
}

/// Reads until `pred` holds for an event or 10 s pass; returns every event's text.
fn until(
    feed: &mut dhan_feed::MarketFeed,
    texts: &mut Vec<String>,
    mut pred: impl FnMut(&FeedEvent) -> bool,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(ev) = feed.recv_timeout(Duration::from_millis(10)) {
            if let FeedEvent::Connection(c) = &ev {
                texts.push(format!("{c} {c:?}"));
            }
            if pred(&ev) {
                return true;
            }
        }
    }
    false
}

/// How long each wait for an event blocks.
const TICK: Duration = Duration::from_millis(10);

/// Takes events from `next` until `seen` holds for one (true) or `deadline` passes.
fn seen_by<T>(
    deadline: Instant,
    mut next: impl FnMut() -> Option<T>,
    mut seen: impl FnMut(&T) -> bool,
) -> bool {
    while Instant::now() < deadline {
        if next().is_some_and(|e| seen(&e)) {
            return true;
        }
    }
    false
}

fn is(ev: &FeedEvent, f: impl Fn(&SessionEvent) -> bool) -> bool {
    matches!(ev, FeedEvent::Connection(c) if f(&c.event))
}

#[test]
fn no_secret_in_logs_events_errors_or_debug_output() {
    log::set_logger(&LOGGER).expect("the only logger of this binary");
    log::set_max_level(log::LevelFilter::Trace);
    let sim = Simulator::start(SimConfig {
        client_id: CLIENT_ID.into(),
        access_token: TOKEN.into(),
        expired_token: OLD_TOKEN.into(),
        partner_secret: PARTNER_SECRET.into(),
        rate: 2000.0,
        order_interval: None,
        ..SimConfig::default()
    })
    .unwrap();
    let cfg = ClientConfig {
        client_id: Secret::new(CLIENT_ID),
        access_token: Secret::new(OLD_TOKEN),
        partner_secret: Some(Secret::new(PARTNER_SECRET)),
        endpoints: Endpoints {
            global: sim.global_url(),
            ..Endpoints::all(&sim.url())
        },
        extra_roots: sim.certificate().into_iter().collect(),
        webpki_roots: false,
        // Every inbound frame traced as hex: order updates carry the client id.
        trace_frames: true,
        lifecycle: LifecycleConfig {
            backoff_base: Duration::from_millis(20),
            cool_off: Duration::from_millis(300),
            seed: Some(5),
            ..LifecycleConfig::default()
        },
        budget: BudgetConfig {
            gap: Duration::from_millis(20),
            ..BudgetConfig::default()
        },
        ..ClientConfig::default()
    };
    let mut texts = vec![format!("{cfg:?}")];
    let client = Client::new(cfg.clone()).unwrap();
    texts.push(format!("{client:?}"));
    let mut feed = client.market_feed(FeedMode::Full);
    feed.subscribe(&[
        "IDX_I:13".parse::<InstrumentId>().unwrap(),
        "NSE_EQ:2885".parse().unwrap(),
    ])
    .unwrap();
    // The expired token is refused (807) ...
    assert!(until(&mut feed, &mut texts, |e| is(e, |s| matches!(
        s,
        SessionEvent::Error { .. }
    ))));
    texts.push(format!("{:?}", feed.health()));
    // ... the rotated one works; then a reset, an 805 and a malformed frame.
    client.set_access_token(TOKEN).unwrap();
    // (The last: a reset whose reconnect is refused with HTTP 429, a cool-off.)
    for faults in [
        &[Fault::Reset][..],
        &[Fault::Disconnect(805)],
        &[Fault::MalformedFrame],
        &[Fault::Http429, Fault::Reset],
    ] {
        assert!(until(&mut feed, &mut texts, |e| matches!(
            e,
            FeedEvent::Market(_)
        )));
        for &fault in faults {
            sim.handle().inject(fault);
        }
        assert!(
            until(&mut feed, &mut texts, |e| is(e, |s| matches!(
                s,
                SessionEvent::Reconnected { .. }
            ))),
            "{faults:?} recovered"
        );
    }
    texts.push(format!("{feed:?} {:?}", feed.stats()));
    // The order feed (credentials travel in its login message) and a depth feed
    // (credentials in its URL), through an injected 807 and back.
    let mut orders = client.order_updates();
    // 200-level depth: its own connection, credentials in its URL.
    let mut deep = client.depth200();
    deep.subscribe_labelled(&[("NSE_EQ:2885".parse().unwrap(), "RELIANCE")])
        .unwrap();
    let mut depth = client.depth20();
    depth
        .subscribe_labelled(&[("NSE_EQ:2885".parse().unwrap(), "RELIANCE")])
        .unwrap();
    // The Global Stocks feed: credentials in its URL, in the SDK's order.
    let mut global = client.global_stocks_feed(dhan_feed::GlobalMode::Trade);
    global.subscribe(&[1234]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let open = |e: &OrderEvent| matches!(e, OrderEvent::Open);
    assert!(
        seen_by(
            deadline,
            || global.recv_timeout(TICK),
            |e| matches!(e, dhan_feed::GlobalFeedEvent::Packet { .. })
        ),
        "a global stocks packet"
    );
    let snapshot = |e: &DepthFeedEvent| matches!(e, DepthFeedEvent::Snapshot { .. });
    assert!(
        seen_by(deadline, || orders.recv_timeout(TICK), open),
        "order feed opened"
    );
    assert!(
        seen_by(deadline, || depth.recv_timeout(TICK), snapshot),
        "depth snapshot"
    );
    assert!(
        seen_by(deadline, || deep.recv_timeout(TICK), snapshot),
        "200-level depth snapshot"
    );
    sim.handle().inject(Fault::Disconnect(807));
    std::thread::sleep(Duration::from_millis(300));
    client.set_access_token(TOKEN).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // An order update once the login is accepted: it carries the client id,
    // which the frame trace must mask.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.handle().stats().logins == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let u =
        dhan_feed::sim::lifecycle_update(52_260_001, dhan_feed::OrderStatus::Pending, 0, CLIENT_ID);
    assert_eq!(sim.handle().send_order_update(&u), 1);
    assert!(
        seen_by(
            deadline,
            || orders.recv_timeout(TICK),
            |e| matches!(e, OrderEvent::Update(_))
        ),
        "an order update with the client id arrived"
    );
    while let Some(e) = orders.try_recv() {
        texts.push(format!("{e:?}"));
    }
    while let Some(e) = depth.try_recv() {
        texts.push(format!("{e:?}"));
    }
    while let Some(e) = deep.try_recv() {
        texts.push(format!("{e:?}"));
    }
    while let Some(e) = global.try_recv() {
        texts.push(format!("{e:?}"));
    }
    texts.push(format!("{global:?} {:?}", global.health()));
    texts.push(format!(
        "{orders:?} {depth:?} {deep:?} {:?} {:?} {:?}",
        orders.health(),
        depth.health(),
        deep.health()
    ));
    drop(orders);
    drop(depth);
    drop(deep);
    drop(global);
    // An error that carries a URL: a pasted Dhan URL with the credentials in it.
    let bad = ClientConfig {
        endpoints: Endpoints::all(&format!(
            "wss://api-feed.dhan.co:x?version=2&token={TOKEN}&clientId={CLIENT_ID}&authType=2"
        )),
        ..cfg.clone()
    };
    let err = Client::new(bad).expect_err("bad URL");
    texts.push(format!("{err} {err:?}"));
    // Credentials as user information in the authority: refused, and redacted in
    // the error and in Debug.
    let userinfo = ClientConfig {
        endpoints: Endpoints::all(&format!("wss://{CLIENT_ID}:{TOKEN}@127.0.0.1:1/")),
        ..cfg.clone()
    };
    texts.push(format!("{userinfo:?}"));
    let err = Client::new(userinfo).expect_err("user information refused");
    assert!(err.to_string().contains("***@127.0.0.1:1"), "{err}");
    texts.push(format!("{err} {err:?}"));
    // A pasted Dhan URL that parses (its query is ignored): the config's and the
    // client's Debug show it redacted.
    let pasted = ClientConfig {
        endpoints: Endpoints::all(&format!(
            "wss://api-feed.dhan.co?version=2&token={TOKEN}&clientId={CLIENT_ID}&authType=2"
        )),
        ..cfg.clone()
    };
    texts.push(format!("{pasted:?}"));
    // A PARTNER login on the order feed (the partner secret travels in its login
    // message) ...
    let partner = Client::new(ClientConfig {
        user_type: UserType::Partner,
        partner_id: Some(Secret::new(dhan_feed::sim::DEFAULT_PARTNER_ID)),
        access_token: Secret::new(TOKEN),
        ..cfg.clone()
    })
    .unwrap();
    texts.push(format!("{partner:?}"));
    let mut porders = partner.order_updates();
    let deadline = Instant::now() + Duration::from_secs(10);
    let opened = seen_by(
        deadline,
        || porders.recv_timeout(TICK),
        |e| {
            texts.push(format!("{e:?}"));
            open(e)
        },
    );
    assert!(opened, "the PARTNER login was accepted");
    texts.push(format!("{porders:?} {:?}", porders.health()));
    drop(porders);
    drop(partner);
    // ... and one without a partner secret is refused up front, saying why.
    let err = Client::new(ClientConfig {
        user_type: UserType::Partner,
        partner_secret: None,
        ..cfg.clone()
    })
    .expect_err("a PARTNER client needs a partner secret");
    assert!(err.to_string().contains("partner secret"), "{err}");
    // The simulator's own credentials-bearing config.
    texts.push(format!("{:?}", sim.config()));
    drop(feed);
    drop(client);
    sim.stop();

    let lines = LINES.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(lines.len() > 20, "the session logged: {}", lines.len());
    assert!(
        lines
            .iter()
            .any(|l| l.contains("807") || l.contains("expired")),
        "the credential failure is logged"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TRACE") || l.starts_with("DEBUG"))
    );
    // The frame trace ran, order updates (with their client id) included.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TRACE dhan_feed::frames") && l.contains("order updates text")),
        "frames were traced"
    );
    // One exception, outside the client: tungstenite, which the *simulator* uses as
    // its server, traces every frame it receives at TRACE level, logins included.
    // Everything the client does, and the simulator's own lines, are checked.
    let server_trace = |l: &str| l.starts_with("TRACE tungstenite") && l.contains("[sim-");
    assert!(
        lines
            .iter()
            .any(|l| server_trace(l) && !leaks(l).is_empty()),
        "the exception is real (else drop it)"
    );
    for l in lines.iter().filter(|l| !server_trace(l)).chain(&texts) {
        assert!(leaks(l).is_empty(), "secret {:?} in: {l}", leaks(l));
    }
}
