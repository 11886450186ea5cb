//! Depth and order-update handles end to end against the simulator: books
//! assembled from stacked bid/ask packets of several instruments (checked against
//! the simulator's own capture), 200-level books with fewer than 200 rows, a depth
//! reconnect on instrument change, refusals; every order lifecycle and event,
//! partner login, key and status case variants, tracker bounds, event filters.

use dhan_feed::config::{ClientConfig, OrderTrackerConfig};
use dhan_feed::feed::depth_book::DepthBook;
use dhan_feed::feed::{DepthFeed, DepthFeedEvent, GapReason, OrderEvent, OrderEventKinds};
use dhan_feed::proto::capture::CaptureReader;
use dhan_feed::proto::depth::{DepthKind, DepthLevel, DepthPacket, DepthSide, depth_packets};
use dhan_feed::proto::endpoint::FeedKind;
use dhan_feed::proto::login::UserType;
use dhan_feed::proto::order::{KeyCase, encode_order_update};
use dhan_feed::proto::{OrderStatus, OrderUpdate};
use dhan_feed::sim::{
    DEFAULT_ACCESS_TOKEN, DEFAULT_PARTNER_ID, DEFAULT_PARTNER_SECRET, Lifecycle, SimConfig,
    Simulator,
};
use dhan_feed::{BudgetConfig, SessionEvent};
use dhan_feed::{
    Cause, Client, Error, InstrumentId, OrderFeedError, Secret, SessionError, SubscribeError,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

mod common;
use common::{id, serial, temp_dir};

/// The simulator's client configuration, with connections opened 10 ms apart.
fn config(sim: &Simulator) -> ClientConfig {
    ClientConfig {
        budget: BudgetConfig {
            gap: Duration::from_millis(10),
            ..BudgetConfig::default()
        },
        ..sim.client_config()
    }
}

const RELIANCE: &str = "NSE_EQ:2885";
const TCS: &str = "NSE_EQ:11536";
const NIFTY_FUT: &str = "NSE_FNO:35001";

/// Reads depth events until every instrument of `ids` has had a snapshot.
fn until_snapshots<const N: usize>(
    feed: &mut DepthFeed<N>,
    ids: &[InstrumentId],
) -> Vec<DepthFeedEvent> {
    let mut evs = Vec::new();
    let mut done = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while done.len() < ids.len() && Instant::now() < deadline {
        if let Some(e) = feed.recv_timeout(Duration::from_millis(20)) {
            if let DepthFeedEvent::Snapshot { id, .. } = e {
                done.insert(id);
            }
            evs.push(e);
        }
    }
    assert_eq!(
        done.len(),
        ids.len(),
        "snapshots: {done:?}; events: {}",
        evs.len()
    );
    evs
}

/// Every bid and ask level list the simulator sent, by instrument and side.
fn captured(
    dir: &std::path::Path,
    kind: DepthKind,
) -> HashMap<(InstrumentId, DepthSide), Vec<Vec<DepthLevel>>> {
    let mut all: HashMap<_, Vec<Vec<DepthLevel>>> = HashMap::new();
    for f in std::fs::read_dir(dir).unwrap().flatten() {
        let bytes = std::fs::read(f.path()).unwrap();
        let mut r = CaptureReader::new(&bytes[..]);
        while let Ok(Some(rec)) = r.next_record() {
            for p in depth_packets(kind, rec.payload).flatten() {
                if let DepthPacket::Levels(l) = p {
                    all.entry((l.id, l.side))
                        .or_default()
                        .push(l.iter().collect());
                }
            }
        }
    }
    all
}

fn check_book<const N: usize>(
    book: &DepthBook<N>,
    sent: &HashMap<(InstrumentId, DepthSide), Vec<Vec<DepthLevel>>>,
) {
    for (side, rows) in [(DepthSide::Bid, book.bids()), (DepthSide::Ask, book.asks())] {
        let options = &sent[&(book.id(), side)];
        assert!(
            options.iter().any(|o| {
                let trimmed = o.iter().rposition(|l| l.qty > 0).map_or(0, |i| i + 1);
                &o[..trimmed.min(N)] == rows
            }),
            "{:?} {side:?}: {} rows not among the {} packets sent",
            book.id(),
            rows.len(),
            options.len()
        );
    }
    let (bid, ask) = (book.best_bid().unwrap(), book.best_ask().unwrap());
    assert!(bid.price < ask.price, "{bid:?} {ask:?}");
    assert_eq!(book.spread(), Some(ask.price - bid.price));
    assert!(book.bids().windows(2).all(|w| w[0].price >= w[1].price));
    assert!(book.asks().windows(2).all(|w| w[0].price <= w[1].price));
}

#[test]
fn depth20_books_of_several_instruments_match_what_was_sent() {
    let _s = serial();
    let dir = temp_dir("depth20");
    let sim = Simulator::start(SimConfig {
        capture_dir: Some(dir.clone()),
        order_interval: None,
        depth_rate: 50.0,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.depth20();
    let ids = [id(RELIANCE), id(TCS), id(NIFTY_FUT)];
    feed.subscribe_labelled(&[(ids[0], "RELIANCE"), (ids[1], "TCS"), (ids[2], "NIFTY FUT")])
        .unwrap();
    let evs = until_snapshots(&mut feed, &ids);
    // Update{Bid}, Update{Ask}, Snapshot per instrument, in that order.
    let first: Vec<&DepthFeedEvent> = evs
        .iter()
        .filter(|e| !matches!(e, DepthFeedEvent::Connection(_)))
        .take(3)
        .collect();
    assert!(
        matches!(
            first[0],
            DepthFeedEvent::Update {
                side: DepthSide::Bid,
                ..
            }
        ),
        "{first:?}"
    );
    assert!(
        matches!(
            first[1],
            DepthFeedEvent::Update {
                side: DepthSide::Ask,
                ..
            }
        ),
        "{first:?}"
    );
    assert!(
        matches!(first[2], DepthFeedEvent::Snapshot { .. }),
        "{first:?}"
    );
    let books: Vec<DepthBook<20>> = ids.iter().map(|i| feed.book(*i).unwrap().clone()).collect();
    assert_eq!(books[1].label().as_str(), "TCS");
    assert_eq!(feed.stats().dropped, 0);
    drop(feed);
    drop(client);
    sim.stop();
    let sent = captured(&dir, DepthKind::Twenty);
    for b in &books {
        assert_eq!(b.bids().len(), 20);
        check_book(b, &sent);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn depth200_books_have_the_rows_sent_fewer_than_200() {
    let _s = serial();
    let dir = temp_dir("depth200");
    let sim = Simulator::start(SimConfig {
        tls: false,
        capture_dir: Some(dir.clone()),
        order_interval: None,
        depth_rate: 50.0,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.depth200();
    refused_too_many(&mut feed, &[(id(RELIANCE), "A"), (id(TCS), "B")], 1);
    feed.subscribe_labelled(&[(id(RELIANCE), "RELIANCE")])
        .unwrap();
    until_snapshots(&mut feed, &[id(RELIANCE)]);
    let book = feed.book(id(RELIANCE)).unwrap().clone();
    assert!(
        (150..=200).contains(&book.bids().len()),
        "{}",
        book.bids().len()
    );
    drop(feed);
    drop(client);
    sim.stop();
    check_book(&book, &captured(&dir, DepthKind::TwoHundred));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn changing_depth_instruments_reconnects_with_the_new_set() {
    let _s = serial();
    let sim = plain_sim();
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.depth20();
    feed.subscribe_labelled(&[(id(RELIANCE), "RELIANCE")])
        .unwrap();
    until_snapshots(&mut feed, &[id(RELIANCE)]);
    assert_eq!(sim.handle().stats().accepted, 1);
    feed.subscribe_labelled(&[(id(TCS), "TCS")]).unwrap();
    let evs = until_snapshots(&mut feed, &[id(RELIANCE), id(TCS)]);
    assert!(
        evs.iter().any(|e| matches!(
            e,
            DepthFeedEvent::Connection(c) if matches!(c.event, SessionEvent::Reconnected { resubscribed: 2, .. })
        )),
        "{evs:?}"
    );
    assert_eq!(
        sim.handle().stats().accepted,
        2,
        "a new connection with both"
    );
    // The old one was told {"RequestCode":12} before its close (its server
    // thread may still be reading it).
    let deadline = Instant::now() + Duration::from_secs(3);
    while sim.handle().stats().disconnect_requests == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(sim.handle().stats().disconnect_requests, 1);
    assert!(
        sim.handle()
            .wait_live(FeedKind::Depth20, 1, Duration::from_secs(2))
    );
    feed.unsubscribe(&[id(RELIANCE)]).unwrap();
    feed.unsubscribe(&[id(TCS)]).unwrap();
    assert!(
        sim.handle()
            .wait_live(FeedKind::Depth20, 0, Duration::from_secs(3)),
        "closed when empty"
    );
}

#[test]
fn depth_refuses_other_segments_and_more_than_50() {
    let _s = serial();
    let sim = plain_sim();
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.depth20();
    let err = feed
        .subscribe_labelled(&[(id("BSE_EQ:500325"), "RELIANCE BSE")])
        .unwrap_err();
    assert!(
        matches!(err, Error::Subscribe(SubscribeError::DepthSegment(i)) if i == id("BSE_EQ:500325")),
        "{err:?}"
    );
    assert!(err.to_string().contains("NSE_EQ and NSE_FNO only"), "{err}");
    let many: Vec<(InstrumentId, &str)> = (0..51)
        .map(|i| {
            (
                InstrumentId::new(dhan_feed::ExchangeSegment::NseFno, 40_000 + i),
                "x",
            )
        })
        .collect();
    refused_too_many(&mut feed, &many, 50);
    assert!(feed.subscribe_labelled(&many[..50]).is_ok());
    assert_eq!(feed.subscriptions().len(), 50);
}

/// Subscribing `items` is refused as more than `max` instruments, all or none.
fn refused_too_many<const N: usize>(
    feed: &mut DepthFeed<N>,
    items: &[(InstrumentId, &str)],
    max: usize,
) {
    let err = feed.subscribe_labelled(items).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Subscribe(SubscribeError::TooMany { max: m, levels }) if m == max && levels == N
        ),
        "{err:?}"
    );
    assert!(feed.subscriptions().is_empty(), "all or none");
}

/// A plain-ws simulator with no periodic order updates.
fn plain_sim() -> Simulator {
    Simulator::start(SimConfig {
        tls: false,
        order_interval: None,
        ..SimConfig::default()
    })
    .unwrap()
}

fn order_sim(tls: bool) -> Simulator {
    Simulator::start(SimConfig {
        tls,
        order_interval: None,
        order_step: Duration::from_millis(5),
        ..SimConfig::default()
    })
    .unwrap()
}

/// Reads order events until `n` update events arrived (or 10 s).
fn updates(feed: &mut dhan_feed::feed::OrderFeed, n: usize) -> Vec<OrderEvent> {
    let mut evs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while evs
        .iter()
        .filter(|e| matches!(e, OrderEvent::Update(_)))
        .count()
        < n
        && Instant::now() < deadline
    {
        if let Some(e) = feed.recv_timeout(Duration::from_millis(20)) {
            evs.push(e);
        }
    }
    evs
}

fn names(evs: &[OrderEvent]) -> Vec<String> {
    evs.iter()
        .map(|e| match e {
            OrderEvent::Update(u) => format!("update:{}", u.status.as_str()),
            OrderEvent::StatusChange { previous, new, .. } => {
                format!("status:{}->{}", previous.as_str(), new.as_str())
            }
            OrderEvent::Execution {
                previous_traded_qty,
                new_traded_qty,
                execution_percentage,
                ..
            } => {
                format!("exec:{previous_traded_qty}->{new_traded_qty}@{execution_percentage}")
            }
            OrderEvent::Traded(_) => "traded".into(),
            OrderEvent::Rejected(_) => "rejected".into(),
            OrderEvent::Cancelled(_) => "cancelled".into(),
            OrderEvent::Expired(_) => "expired".into(),
            OrderEvent::Open => "open".into(),
            OrderEvent::Close { .. } => "close".into(),
            OrderEvent::Error(e) => format!("error:{e}"),
            _ => "other".into(),
        })
        .collect()
}

/// Reads order events until `done` holds for one (it is the last returned) or 5 s
/// pass.
fn order_events_until(
    feed: &mut dhan_feed::feed::OrderFeed,
    mut done: impl FnMut(&OrderEvent) -> bool,
) -> Vec<OrderEvent> {
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(e) = feed.recv_timeout(Duration::from_millis(20)) {
            let stop = done(&e);
            got.push(e);
            if stop {
                break;
            }
        }
    }
    got
}

fn is_error(e: &OrderEvent) -> bool {
    matches!(e, OrderEvent::Error(_))
}

/// An order feed that went live and then got the server's 807: the simulator,
/// the client, the handle, and the events up to the credential error.
fn order_feed_stopped_by_807() -> (
    Simulator,
    Client,
    dhan_feed::feed::OrderFeed,
    Vec<OrderEvent>,
) {
    let sim = order_sim(false);
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    sim.handle().inject_on(
        FeedKind::OrderUpdate,
        dhan_feed::sim::Fault::Disconnect(807),
    );
    let got = order_events_until(&mut feed, is_error);
    (sim, client, feed, got)
}

/// Waits for `Open` and for the simulator to have accepted the login (updates it
/// sends before that go to nobody, as on Dhan).
fn wait_open(feed: &mut dhan_feed::feed::OrderFeed, sim: &Simulator) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut open = false;
    while Instant::now() < deadline && !open {
        open = matches!(
            feed.recv_timeout(Duration::from_millis(20)),
            Some(OrderEvent::Open)
        );
    }
    assert!(open, "order feed never opened");
    while sim.handle().stats().logins == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(sim.handle().stats().logins, 1, "login accepted");
}

#[test]
fn every_order_lifecycle_yields_its_events_over_tls() {
    let _s = serial();
    let sim = order_sim(true);
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    let expect: [(Lifecycle, &[&str]); 4] = [
        (
            Lifecycle::Traded,
            &[
                "update:TRANSIT",
                "update:PENDING",
                "status:TRANSIT->PENDING",
                "update:PART_TRADED",
                "status:PENDING->PART_TRADED",
                "exec:0->40@40",
                "update:TRADED",
                "status:PART_TRADED->TRADED",
                "exec:40->100@100",
                "traded",
            ],
        ),
        (
            Lifecycle::Rejected,
            &[
                "update:TRANSIT",
                "update:REJECTED",
                "status:TRANSIT->REJECTED",
                "rejected",
            ],
        ),
        (
            Lifecycle::Cancelled,
            &[
                "update:TRANSIT",
                "update:PENDING",
                "status:TRANSIT->PENDING",
                "update:CANCELLED",
                "status:PENDING->CANCELLED",
                "cancelled",
            ],
        ),
        (
            Lifecycle::Expired,
            &[
                "update:TRANSIT",
                "update:PENDING",
                "status:TRANSIT->PENDING",
                "update:EXPIRED",
                "status:PENDING->EXPIRED",
                "expired",
            ],
        ),
    ];
    for (lc, want) in expect {
        sim.handle().start_lifecycle(lc);
        let n = lc.steps().len();
        let got = names(&updates(&mut feed, n));
        // The last update's events follow it immediately.
        let mut got = got;
        while got.len() < want.len() {
            match feed.recv_timeout(Duration::from_millis(200)) {
                Some(e) => got.extend(names(&[e])),
                None => break,
            }
        }
        assert_eq!(got, want, "{lc:?}");
    }
    assert_eq!(feed.tracker().len(), 4);
    assert_eq!(sim.handle().stats().logins, 1);
}

#[test]
fn partner_login_and_case_variants_of_keys_and_status() {
    let _s = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        user_type: UserType::Partner,
        partner_id: Some(Secret::new(DEFAULT_PARTNER_ID)),
        partner_secret: Some(Secret::new(DEFAULT_PARTNER_SECRET)),
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    assert_eq!(sim.handle().stats().logins, 1, "partner login accepted");
    let mut u = dhan_feed::internals::sample::order_update("777", OrderStatus::Pending, 0);
    let mut text = Vec::new();
    for (case, status) in [
        (KeyCase::Pascal, "PENDING"),
        (KeyCase::Lower, "pending"),
        (KeyCase::Camel, "Traded"),
        (KeyCase::Snake, "TRADED"),
    ] {
        u.status = OrderStatus::parse(status);
        u.traded_qty = if status.eq_ignore_ascii_case("traded") {
            100
        } else {
            0
        };
        encode_order_update(&u, case, &mut text);
        sim.handle().send_order_text(&text);
    }
    let mut got = names(&updates(&mut feed, 4));
    while let Some(e) = feed.recv_timeout(Duration::from_millis(200)) {
        got.extend(names(&[e]));
    }
    // Statuses are canonical once parsed; "pending" after "PENDING" and "TRADED"
    // after "Traded" are no change.
    assert_eq!(
        got,
        [
            "update:PENDING",
            "update:PENDING",
            "update:TRADED",
            "status:PENDING->TRADED",
            "exec:0->100@100",
            "traded",
            "update:TRADED"
        ]
    );
}

#[test]
fn tracker_is_bounded_and_filters_apply() {
    let _s = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        order_tracker: OrderTrackerConfig {
            max_orders: 3,
            ..OrderTrackerConfig::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    feed.only(OrderEventKinds::STATUS_CHANGE | OrderEventKinds::ERROR);
    let mut text = Vec::new();
    for n in 1..=5 {
        let u = dhan_feed::internals::sample::order_update(&n.to_string(), OrderStatus::Pending, 0);
        encode_order_update(&u, KeyCase::Pascal, &mut text);
        sim.handle().send_order_text(&text);
    }
    // Order 5 is tracked, order 1 was evicted: its next update is a first one.
    for n in [5, 1] {
        let u =
            dhan_feed::internals::sample::order_update(&n.to_string(), OrderStatus::Cancelled, 0);
        encode_order_update(&u, KeyCase::Pascal, &mut text);
        sim.handle().send_order_text(&text);
    }
    sim.handle()
        .send_order_text(b"{\"Type\":\"order_alert\",\"Data\":{\"OrderNo\":");
    let mut got = Vec::new();
    let mut last = None;
    while let Some(e) = feed.recv_timeout(Duration::from_millis(300)) {
        got.extend(names(&[e]));
        last = Some(e);
    }
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], "status:PENDING->CANCELLED");
    assert!(got[1].starts_with("error:"), "{got:?}");
    assert!(
        matches!(last, Some(OrderEvent::Error(OrderFeedError::Malformed(_)))),
        "typed: {last:?}"
    );
    assert_eq!(feed.tracker().len(), 3);
    assert_eq!(
        feed.tracker().evicted(),
        3,
        "orders 1, 2 and then 3 were evicted"
    );
    assert!(feed.tracker().get("5").is_some() && feed.tracker().get("2").is_none());
}

#[test]
fn an_order_feed_refused_with_807_closes_stops_and_resumes_with_a_new_token() {
    let _s = serial();
    let (sim, client, mut feed, got) = order_feed_stopped_by_807();
    assert!(
        got.iter().any(|e| matches!(
            e,
            OrderEvent::Close {
                code: Some(807),
                ..
            }
        )),
        "{:?}",
        names(&got)
    );
    let err = got.iter().find_map(|e| match e {
        OrderEvent::Error(e) => Some(*e),
        _ => None,
    });
    assert!(
        matches!(
            err,
            Some(OrderFeedError::Session(SessionError::Credentials(_)))
        ),
        "typed: {err:?}"
    );
    let err = err.map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|m| m.contains("credentials")),
        "{err:?}"
    );
    // Stopped: no new login while the token is unchanged.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sim.handle().stats().logins, 1);
    client.set_access_token(DEFAULT_ACCESS_TOKEN).unwrap();
    let reopened = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Open));
    assert!(
        matches!(reopened.last(), Some(OrderEvent::Open)),
        "the order feed came back with the new token"
    );
}

#[test]
fn a_refused_partner_login_stops_instead_of_retrying() {
    let _s = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        user_type: UserType::Partner,
        partner_id: Some(Secret::new(DEFAULT_PARTNER_ID)),
        partner_secret: Some(Secret::new("not-the-partner-secret")),
        lifecycle: dhan_feed::LifecycleConfig {
            backoff_base: Duration::from_millis(10),
            ..Default::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    let got = order_events_until(&mut feed, is_error);
    let err = got.iter().find_map(|e| match e {
        OrderEvent::Error(e) => Some(*e),
        _ => None,
    });
    assert!(
        matches!(
            err,
            Some(OrderFeedError::Session(SessionError::Credentials(
                Cause::LoginRefused
            )))
        ),
        "typed: {err:?}"
    );
    let err = err.map(|e| e.to_string());
    assert!(
        err.as_deref().is_some_and(|m| m.contains("login refused")),
        "{:?}",
        names(&got)
    );
    // With a 10 ms backoff base a retry loop would show many upgrades.
    let accepted = sim.handle().stats().accepted;
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sim.handle().stats().accepted, accepted, "no retry");
    assert_eq!(accepted, 1);
    assert!(feed.health().halted.is_some());
}

#[test]
fn an_order_handle_made_after_a_token_rotation_logs_in_with_the_new_token() {
    let _s = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        access_token: Secret::new("an-old-token"),
        ..config(&sim)
    })
    .unwrap();
    client.set_access_token(DEFAULT_ACCESS_TOKEN).unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
}

#[test]
fn busy_poll_serves_depth_and_order_feeds_whose_sockets_left_the_poll() {
    // In busy-poll mode a live socket leaves epoll and is read every turn: the
    // depth and order-update connections must stream as they do with a poll.
    let _s = serial();
    let sim = Simulator::start(SimConfig {
        order_interval: None,
        order_step: Duration::from_millis(5),
        depth_rate: 50.0,
        ..SimConfig::default()
    })
    .unwrap();
    let client = Client::new(ClientConfig {
        busy_poll: true,
        ..config(&sim)
    })
    .unwrap();
    let mut depth = client.depth20();
    let ids = [id(RELIANCE), id(TCS)];
    depth
        .subscribe_labelled(&[(ids[0], "RELIANCE"), (ids[1], "TCS")])
        .unwrap();
    until_snapshots(&mut depth, &ids);
    for i in ids {
        assert_eq!(depth.book(i).expect("a book").bids().len(), 20);
    }

    let mut orders = client.order_updates();
    wait_open(&mut orders, &sim);
    sim.handle().start_lifecycle(Lifecycle::Rejected);
    let mut evs = updates(&mut orders, 2);
    // The tracker's events follow the second update.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !names(&evs).contains(&"rejected".to_owned()) && Instant::now() < deadline {
        evs.extend(orders.recv_timeout(Duration::from_millis(20)));
    }
    let got = names(&evs);
    assert!(
        got.starts_with(&["update:TRANSIT".into(), "update:REJECTED".into()])
            && got.contains(&"rejected".to_owned()),
        "{got:?}"
    );
    assert_eq!(depth.stats().dropped, 0);
}

#[test]
fn an_order_feed_that_cannot_connect_says_why_and_a_live_drop_is_one_close() {
    let _s = serial();
    // TLS without the simulator's certificate as a root: never opens.
    let sim = order_sim(true);
    let client = Client::new(ClientConfig {
        extra_roots: Vec::new(),
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    let mut seen = 0;
    let got = order_events_until(&mut feed, |_| {
        seen += 1;
        seen == 2
    });
    let n = names(&got);
    assert!(!feed.connected());
    assert_eq!(n.len(), 2, "{n:?}");
    for e in &n {
        assert!(
            e.starts_with("error:connect failed: TLS failure") && e.contains("not trusted"),
            "{n:?}"
        );
    }
    assert!(
        got.iter().all(|e| matches!(
            e,
            OrderEvent::Error(OrderFeedError::ConnectFailed(Cause::Tls(_)))
        )),
        "typed: {got:?}"
    );
    drop(feed);
    drop(client);
    // A live connection that drops reports one Close, then Open again: its
    // Reconnecting is not repeated as an Error.
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        lifecycle: dhan_feed::LifecycleConfig {
            backoff_base: Duration::from_millis(10),
            ..Default::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    // Health is published once per engine turn, just after the events.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !feed.connected() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(feed.connected());
    sim.handle().inject(dhan_feed::sim::Fault::Reset);
    let got = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Open));
    assert_eq!(names(&got), ["close", "open"]);
}

#[test]
fn a_malformed_depth_packet_is_counted_and_the_books_go_on() {
    let _s = serial();
    let sim = plain_sim();
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.depth20();
    feed.subscribe_labelled(&[(id(RELIANCE), "RELIANCE")])
        .unwrap();
    until_snapshots(&mut feed, &[id(RELIANCE)]);
    assert_eq!(feed.health().malformed, 0);
    sim.handle().inject(dhan_feed::sim::Fault::MalformedPacket);
    let deadline = Instant::now() + Duration::from_secs(5);
    while feed.health().malformed == 0 && Instant::now() < deadline {
        let _ = feed.recv_timeout(Duration::from_millis(10));
    }
    assert_eq!(feed.health().malformed, 1);
    // Snapshots go on, on the same connection.
    until_snapshots(&mut feed, &[id(RELIANCE)]);
    let h = feed.health();
    assert_eq!((h.reconnects, h.live), (0, 1), "{h:?}");
    assert!(feed.connected());
    assert_eq!(feed.subscriptions(), [id(RELIANCE)]);
    assert_eq!(sim.handle().stats().accepted, 1);
}

#[test]
fn after_a_credential_stop_a_failed_attempt_still_says_why() {
    let _s = serial();
    let (sim, client, mut feed, got) = order_feed_stopped_by_807();
    let n = names(&got);
    assert!(
        n.len() == 2 && n[0] == "close" && n[1].starts_with("error:credentials refused"),
        "{n:?}"
    );
    // The server is gone; the new token's first attempt is refused by the OS, and
    // that attempt (never opened, no Close before it) is reported.
    sim.stop();
    client.set_access_token(DEFAULT_ACCESS_TOKEN).unwrap();
    let later = order_events_until(&mut feed, |_| true);
    let n = names(&later);
    assert!(
        n.first()
            .is_some_and(|e| e.starts_with("error:connect failed: socket error")),
        "{n:?}"
    );
}

/// Messages of another `Type`, and binary frames, used to vanish without a trace
/// on the order feed; they are counted in `health().ignored` and the feed goes on.
#[test]
fn other_order_messages_and_binary_frames_are_counted_not_lost() {
    let _s = serial();
    let sim = order_sim(false);
    let client = Client::new(config(&sim)).unwrap();
    let mut feed = client.order_updates();
    order_events_until(&mut feed, |e| matches!(e, OrderEvent::Open));
    assert!(
        sim.handle()
            .wait_live(FeedKind::OrderUpdate, 1, Duration::from_secs(5))
    );
    sim.handle()
        .send_order_text(br#"{"Type":"heartbeat","Data":{}}{"Type":"order_ack"}"#);
    sim.handle().send_order_binary(&[1, 2, 3]);
    let u = dhan_feed::internals::sample::order_update("4242", OrderStatus::Pending, 0);
    sim.handle().send_order_update(&u);
    let got = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Update(_)));
    assert!(matches!(got.last(), Some(OrderEvent::Update(u)) if u.order_no == "4242"));
    assert!(!got.iter().any(is_error), "{:?}", names(&got));
    let deadline = Instant::now() + Duration::from_secs(2);
    while feed.health().ignored < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        feed.health().ignored,
        3,
        "two other types and one binary frame"
    );
}

/// A quiet order feed (no orders today) used to be taken for a refused login when
/// the server closed it with 1008, and halted for good.
#[test]
fn a_quiet_order_feed_closed_with_1008_later_reconnects_instead_of_halting() {
    let _s = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        lifecycle: dhan_feed::LifecycleConfig {
            backoff_base: Duration::from_millis(10),
            ..Default::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    let opened = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Open));
    assert!(
        matches!(opened.last(), Some(OrderEvent::Open)),
        "{:?}",
        names(&opened)
    );
    // Nothing arrives for longer than a refusal takes; then a policy close.
    std::thread::sleep(Duration::from_millis(3_300));
    assert_eq!(
        sim.handle()
            .inject_on(FeedKind::OrderUpdate, dhan_feed::sim::Fault::Close(1008)),
        1
    );
    let got = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Open));
    // `code` is Dhan's disconnect code (none here); the reason names the close.
    assert!(
        matches!(got.first(), Some(OrderEvent::Close { code: None, reason }) if reason.as_str().contains("1008")),
        "{:?}",
        got.first()
    );
    assert!(
        matches!(got.last(), Some(OrderEvent::Open)),
        "{:?}",
        names(&got)
    );
    assert!(!got.iter().any(is_error), "{:?}", names(&got));
    assert!(feed.health().halted.is_none());
    let deadline = Instant::now() + Duration::from_secs(3);
    while sim.handle().stats().logins < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(sim.handle().stats().logins, 2, "logged in again");
}

/// A simulator that pings every 50 ms and drops a client that has not answered
/// within 400 ms, sending depth and order updates fast.
fn busy_keepalive_sim() -> Simulator {
    Simulator::start(SimConfig {
        tls: false,
        depth_rate: 2000.0,
        ping_interval: Duration::from_millis(50),
        pong_timeout: Duration::from_millis(400),
        order_interval: Some(Duration::from_millis(2)),
        order_step: Duration::from_millis(1),
        ..SimConfig::default()
    })
    .unwrap()
}

/// A depth consumer that stops reading for 2 s: its ring fills, what does not
/// fit is dropped and counted, the connection stays up (pongs answered, far
/// past the server's 400 ms pong timeout), and its books go on afterwards.
#[test]
fn a_full_depth_ring_held_for_seconds_costs_counted_drops_not_the_connection() {
    let _serial = serial();
    let sim = busy_keepalive_sim();
    let client = Client::new(ClientConfig {
        depth_ring_capacity: 16,
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.depth20();
    feed.subscribe(&[id(RELIANCE)]).unwrap();
    until_snapshots(&mut feed, &[id(RELIANCE)]);
    std::thread::sleep(Duration::from_secs(2));
    let st = feed.stats();
    assert!(st.dropped > 0, "{st:?}");
    assert_eq!(st.lag, 16, "the ring is full, nothing more was forced in");
    assert!(
        feed.connected(),
        "pongs were answered while the ring was full"
    );
    assert_eq!(sim.handle().live(FeedKind::Depth20), 1);
    assert_eq!(feed.health().reconnects, 0);
    // Reading again: what waited, then fresh snapshots.
    while feed.try_recv().is_some() {}
    until_snapshots(&mut feed, &[id(RELIANCE)]);
}

/// The order feed: a ring of 16 updates held full for 2 s while updates keep
/// coming. Nothing is lost: what does not fit waits in the spill, in order,
/// and the connection stays (pongs answered past the server's timeout).
#[test]
fn a_full_order_ring_held_for_seconds_spills_and_loses_nothing() {
    let _serial = serial();
    let sim = busy_keepalive_sim();
    let client = Client::new(ClientConfig {
        order_ring_capacity: 16,
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    assert!(!updates(&mut feed, 1).is_empty());
    std::thread::sleep(Duration::from_secs(2));
    let st = feed.stats();
    assert_eq!(st.dropped, 0, "{st:?}");
    assert!(st.spilled > 0, "{st:?}");
    assert_eq!(st.lag, 16, "the ring is full; the rest waits in the spill");
    assert!(
        feed.connected(),
        "pongs were answered while the ring was full"
    );
    assert_eq!(sim.handle().live(FeedKind::OrderUpdate), 1);
    assert_eq!(feed.health().reconnects, 0);
    let more = updates(&mut feed, 3);
    assert!(
        more.iter()
            .filter(|e| matches!(e, OrderEvent::Update(_)))
            .count()
            >= 3,
        "{:?}",
        names(&more)
    );
}

/// Sends `n` order updates numbered `from..from + n` (one message each).
fn send_numbered(sim: &Simulator, from: u32, n: u32) {
    let mut text = Vec::new();
    for k in from..from + n {
        let u = dhan_feed::internals::sample::order_update(&k.to_string(), OrderStatus::Pending, 0);
        text.clear();
        encode_order_update(&u, KeyCase::Pascal, &mut text);
        sim.handle().send_order_text(&text);
    }
}

/// The order numbers of the updates (and gaps, as `None`) read until quiet.
fn read_numbered(feed: &mut dhan_feed::feed::OrderFeed) -> Vec<Option<u32>> {
    let mut got = Vec::new();
    while let Some(e) = feed.recv_timeout(Duration::from_millis(500)) {
        match e {
            OrderEvent::Update(u) => got.push(Some(u.order_no.as_str().parse().unwrap())),
            OrderEvent::Gap { .. } => got.push(None),
            _ => {}
        }
    }
    got
}

/// 300 updates into a ring of 16 that is not read: every one arrives, in
/// order, once the consumer reads.
#[test]
fn order_updates_past_a_full_ring_arrive_all_and_in_order() {
    let _serial = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        order_ring_capacity: 16,
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    feed.only(OrderEventKinds::UPDATE);
    send_numbered(&sim, 1, 300);
    let deadline = Instant::now() + Duration::from_secs(10);
    while feed.stats().spilled < 300 - 16 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let got = read_numbered(&mut feed);
    let want: Vec<Option<u32>> = (1..=300).map(Some).collect();
    assert_eq!(got, want);
    assert_eq!(feed.stats().dropped, 0);
}

/// Past the spill: the updates that fit arrive in order, then one `Gap` with
/// how many were lost and when, then what came after.
#[test]
fn past_the_spill_one_gap_says_how_many_updates_were_lost() {
    let _serial = serial();
    let sim = order_sim(false);
    let item = std::mem::size_of::<dhan_feed::event::OrderItem>();
    let client = Client::new(ClientConfig {
        order_ring_capacity: 16,
        order_spill_bytes: 10 * item,
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    send_numbered(&sim, 1, 100);
    let deadline = Instant::now() + Duration::from_secs(10);
    while feed.stats().dropped < 74 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut events = Vec::new();
    while let Some(e) = feed.recv_timeout(Duration::from_millis(300)) {
        events.push(e);
    }
    let gaps: Vec<&OrderEvent> = events
        .iter()
        .filter(|e| matches!(e, OrderEvent::Gap { .. }))
        .collect();
    assert_eq!(gaps.len(), 1, "{:?}", names(&events));
    let OrderEvent::Gap {
        reason: GapReason::SpillFull { missed },
        from_ns,
        to_ns,
    } = *gaps[0]
    else {
        panic!("{:?}", gaps[0])
    };
    assert_eq!(missed, 74);
    assert!(from_ns > 0 && to_ns >= from_ns);
    // 16 in the ring and 10 in the spill, in order, then the gap.
    let numbered: Vec<Option<u32>> = events
        .iter()
        .filter_map(|e| match e {
            OrderEvent::Update(u) => Some(Some(u.order_no.as_str().parse().unwrap())),
            OrderEvent::Gap { .. } => Some(None),
            _ => None,
        })
        .collect();
    let mut want: Vec<Option<u32>> = (1..=26).map(Some).collect();
    want.push(None);
    assert_eq!(numbered, want);
    // Updates after the gap flow again.
    send_numbered(&sim, 101, 3);
    assert_eq!(read_numbered(&mut feed), [Some(101), Some(102), Some(103)]);
    assert_eq!(feed.stats().dropped, 74);
}

/// After the order socket was down, the handle hears of the hole: a `Gap`
/// with the outage's start and end, right after the connection came back.
#[test]
fn an_order_socket_outage_is_a_gap_with_its_start_and_end() {
    let _serial = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        lifecycle: dhan_feed::LifecycleConfig {
            backoff_base: Duration::from_millis(50),
            ..Default::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    let before = dhan_feed::now_ns();
    sim.handle()
        .inject_on(FeedKind::OrderUpdate, dhan_feed::sim::Fault::Reset);
    let evs = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Gap { .. }));
    let after = dhan_feed::now_ns();
    let Some(&OrderEvent::Gap {
        reason: GapReason::Outage,
        from_ns,
        to_ns,
    }) = evs.last()
    else {
        panic!("{:?}", names(&evs))
    };
    assert!(
        before <= from_ns && from_ns < to_ns && to_ns <= after,
        "{before} {from_ns} {to_ns} {after}"
    );
    // It follows the reopening.
    assert!(
        evs.iter().any(|e| matches!(e, OrderEvent::Open)),
        "{:?}",
        names(&evs)
    );
}

/// The order socket drops in the middle of order lifecycles and stays down a
/// while (a 429 on the next upgrade, then a cool-off): the updates sent
/// meanwhile are lost, as Dhan's are. The handle hears of the gap, fetches the
/// order book, and the orders that moved on unseen arrive as events marked
/// `reconciled`; in the end every order's state at the handle is the book's.
#[test]
fn an_outage_in_the_middle_of_order_lifecycles_is_reconciled_from_the_order_book() {
    let _serial = serial();
    reconciles_an_outage(false, true);
}

/// The same with the default source: Dhan's REST order book (`GET /v2/orders`
/// with the current token), here the simulator's REST host over TLS.
#[cfg(feature = "download")]
#[test]
fn the_default_source_reconciles_from_the_rest_order_book() {
    let _serial = serial();
    let requests = reconciles_an_outage(true, false);
    assert!(requests >= 1, "the order book was fetched over REST");
}

/// Runs the scenario; `custom`: the order book from the simulator's handle
/// instead of its REST host. Returns the REST requests the simulator answered.
fn reconciles_an_outage(tls: bool, custom: bool) -> u64 {
    let sim = Simulator::start(SimConfig {
        tls,
        order_interval: Some(Duration::from_millis(20)),
        order_step: Duration::from_millis(10),
        order_count: Some(60),
        ..SimConfig::default()
    })
    .unwrap();
    let h = sim.handle();
    let order_book = if custom {
        dhan_feed::OrderBookSource::custom(move || Ok(h.order_book()))
    } else {
        dhan_feed::OrderBookSource::default()
    };
    let client = Client::new(ClientConfig {
        order_book,
        lifecycle: dhan_feed::LifecycleConfig {
            backoff_base: Duration::from_millis(20),
            cool_off: Duration::from_millis(600),
            ..Default::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    let mut events = Vec::new();
    std::thread::sleep(Duration::from_millis(200));
    sim.handle().inject(dhan_feed::sim::Fault::Http429);
    sim.handle()
        .inject_on(FeedKind::OrderUpdate, dhan_feed::sim::Fault::Reset);
    // Read until every order is final in the book and the handle is quiet.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        while let Some(e) = feed.recv_timeout(Duration::from_millis(50)) {
            events.push(e);
        }
        let done = sim.handle().stats().orders == 60
            && sim
                .handle()
                .order_book()
                .iter()
                .all(|u| u.status.is_terminal());
        if done
            && events
                .iter()
                .any(|e| matches!(e, OrderEvent::Reconciled { .. }))
        {
            while let Some(e) = feed.recv_timeout(Duration::from_millis(300)) {
                events.push(e);
            }
            break;
        }
        assert!(Instant::now() < deadline, "{:?}", names(&events));
    }
    let gap = events
        .iter()
        .position(|e| {
            matches!(
                e,
                OrderEvent::Gap {
                    reason: GapReason::Outage,
                    ..
                }
            )
        })
        .expect("a gap for the outage");
    let reconciled = events
        .iter()
        .position(|e| matches!(e, OrderEvent::Reconciled { .. }))
        .expect("reconciled");
    assert!(gap < reconciled);
    let OrderEvent::Reconciled { orders, changed } = events[reconciled] else {
        unreachable!()
    };
    assert!(
        changed > 0 && changed <= orders,
        "{orders} {changed}: {:?}",
        names(&events)
    );
    let marked = events[gap..reconciled]
        .iter()
        .filter(|e| matches!(e, OrderEvent::Update(u) if u.reconciled))
        .count();
    assert_eq!(
        marked as u32, changed,
        "one reconciled update per changed order"
    );
    assert!(
        !events[..gap].iter().any(|e| matches!(
            e,
            OrderEvent::Update(OrderUpdate {
                reconciled: true,
                ..
            }) | OrderEvent::StatusChange {
                reconciled: true,
                ..
            } | OrderEvent::Execution {
                reconciled: true,
                ..
            }
        )),
        "nothing before the gap is reconciled"
    );
    // A reconciled update's status change and fill carry the mark too.
    for w in events[gap..reconciled].windows(2) {
        if let (OrderEvent::Update(u), OrderEvent::StatusChange { reconciled, .. }) = (&w[0], &w[1])
        {
            assert_eq!(u.reconciled, *reconciled);
        }
    }
    // Every order's final state at the handle is the book's.
    let book = sim.handle().order_book();
    assert_eq!(book.len(), 60);
    for u in &book {
        let t = feed
            .tracker()
            .get(u.order_no.as_str())
            .unwrap_or_else(|| panic!("order {} unknown to the handle", u.order_no.as_str()));
        assert_eq!(t.status, u.status, "order {}", u.order_no.as_str());
        assert_eq!(t.traded_qty, u.traded_qty, "order {}", u.order_no.as_str());
    }
    sim.handle().stats().order_book_requests
}

/// An order book that cannot be had (a failing source) is an error event after
/// the gap, and the tracker is left as it was.
#[test]
fn a_failing_order_book_is_an_error_and_changes_nothing() {
    let _serial = serial();
    let sim = order_sim(false);
    let client = Client::new(ClientConfig {
        order_book: dhan_feed::OrderBookSource::custom(|| {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "order book: expected an array at byte 0",
            ))
        }),
        lifecycle: dhan_feed::LifecycleConfig {
            backoff_base: Duration::from_millis(20),
            ..Default::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    send_numbered(&sim, 1, 3);
    assert_eq!(read_numbered(&mut feed).len(), 3);
    let tracked = feed.tracker().len();
    sim.handle()
        .inject_on(FeedKind::OrderUpdate, dhan_feed::sim::Fault::Reset);
    let evs = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Gap { .. }));
    assert!(
        matches!(evs.last(), Some(OrderEvent::Gap { .. })),
        "{:?}",
        names(&evs)
    );
    // The fetch starts with the next update (the login proven accepted).
    let deadline = Instant::now() + Duration::from_secs(5);
    while sim.handle().stats().logins < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    send_numbered(&sim, 4, 1);
    let evs = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Error(_)));
    let Some(OrderEvent::Error(e)) = evs.last() else {
        panic!("{:?}", names(&evs))
    };
    let text = e.to_string();
    assert!(
        text.contains("reconcile failed") && text.contains("byte 0"),
        "{text}"
    );
    assert_eq!(
        feed.tracker().len(),
        tracked + 1,
        "only the live update was tracked"
    );
    assert!(
        !evs.iter()
            .any(|e| matches!(e, OrderEvent::Reconciled { .. }))
    );
}

/// A day with more orders than the tracker holds: orders whose final state was
/// delivered and then evicted from the tracker are not delivered again by a
/// reconciliation.
#[test]
fn a_reconciliation_does_not_repeat_final_states_already_delivered() {
    let _serial = serial();
    let sim = order_sim(false);
    let h = sim.handle();
    let book: std::sync::Arc<std::sync::Mutex<Vec<OrderUpdate>>> = Default::default();
    let b = book.clone();
    let client = Client::new(ClientConfig {
        order_tracker: OrderTrackerConfig {
            max_orders: 3,
            ..OrderTrackerConfig::default()
        },
        order_book: dhan_feed::OrderBookSource::custom(move || Ok(b.lock().unwrap().clone())),
        lifecycle: dhan_feed::LifecycleConfig {
            backoff_base: Duration::from_millis(20),
            ..Default::default()
        },
        ..config(&sim)
    })
    .unwrap();
    let mut feed = client.order_updates();
    wait_open(&mut feed, &sim);
    // Ten orders traded, their final states delivered; the tracker keeps three.
    let mut text = Vec::new();
    for n in 1..=10u32 {
        let u =
            dhan_feed::internals::sample::order_update(&n.to_string(), OrderStatus::Traded, 100);
        encode_order_update(&u, KeyCase::Pascal, &mut text);
        h.send_order_text(&text);
        book.lock().unwrap().push(u);
    }
    let evs = order_events_until(
        &mut feed,
        |e| matches!(e, OrderEvent::Traded(u) if u.order_no.as_str() == "10"),
    );
    assert_eq!(
        evs.iter()
            .filter(|e| matches!(e, OrderEvent::Traded(_)))
            .count(),
        10
    );
    assert_eq!(feed.tracker().len(), 3);
    // An outage, and the book says the same: nothing to deliver again.
    h.inject_on(FeedKind::OrderUpdate, dhan_feed::sim::Fault::Reset);
    let evs = order_events_until(&mut feed, |e| matches!(e, OrderEvent::Reconciled { .. }));
    assert!(
        matches!(
            evs.last(),
            Some(OrderEvent::Reconciled {
                orders: 10,
                changed: 0
            })
        ),
        "{:?}",
        names(&evs)
    );
    assert!(!evs.iter().any(|e| matches!(e, OrderEvent::Traded(_))));
}

/// Dhan allows one order-update connection per user: a second handle shares it
/// (one login), each handle gets every update from when it was made, and the
/// connection lives until its last handle is dropped.
#[test]
fn order_handles_share_the_one_connection_and_each_gets_every_update() {
    let _s = serial();
    let sim = order_sim(false);
    let client = Client::new(config(&sim)).unwrap();
    let mut first = client.order_updates();
    wait_open(&mut first, &sim);
    // Joining a live connection: `Open` at once, no second login.
    let mut second = client.order_updates();
    assert!(matches!(
        second.recv_timeout(Duration::from_secs(5)),
        Some(OrderEvent::Open)
    ));
    let send = |no: &str| {
        let u = dhan_feed::internals::sample::order_update(no, OrderStatus::Pending, 0);
        assert_eq!(
            sim.handle().send_order_update(&u),
            1,
            "one order connection"
        );
    };
    for no in ["1", "2", "3"] {
        send(no);
    }
    let order_nos = |feed: &mut dhan_feed::feed::OrderFeed, n: usize| -> Vec<String> {
        updates(feed, n)
            .iter()
            .filter_map(|e| match e {
                OrderEvent::Update(u) => Some(u.order_no.as_str().to_owned()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(order_nos(&mut first, 3), ["1", "2", "3"]);
    assert_eq!(order_nos(&mut second, 3), ["1", "2", "3"]);
    assert_eq!(sim.handle().stats().logins, 1);
    assert_eq!(second.health().live, 1);
    // The handle that opened the connection goes; the other keeps it.
    drop(first);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sim.handle().live(FeedKind::OrderUpdate), 1);
    send("4");
    assert_eq!(order_nos(&mut second, 1), ["4"]);
    assert_eq!(sim.handle().stats().logins, 1);
    // The last handle gone, the connection closes.
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(5);
    while sim.handle().live(FeedKind::OrderUpdate) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(sim.handle().live(FeedKind::OrderUpdate), 0);
    // A new handle opens it again.
    let mut third = client.order_updates();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.handle().stats().logins < 2 && Instant::now() < deadline {
        let _ = third.recv_timeout(Duration::from_millis(20));
    }
    assert_eq!(sim.handle().stats().logins, 2);
}
