//! `dhan-feed soak`: a trading day compressed. The built-in simulator throws
//! every fault script in rotation, plus token renewals, at market, depth and
//! order feeds at once; a consumer reads them all; at the end the run checks
//! that every feed is live again, that the handle's orders agree with the
//! simulator's order book, that nothing was lost without a `Gap`, and that the
//! engine never stopped. It prints the figures and fails if a check does.

use crate::stderr::note;
use dhan_feed::feed::{DepthFeedEvent, GapReason, OrderEvent};
use dhan_feed::sim::{Fault, SimConfig, Simulator};
use dhan_feed::{
    BudgetConfig, Client, ClientConfig, FeedEvent, FeedMode, InstrumentId, LifecycleConfig,
    TokenSource,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `dhan-feed soak`.
#[derive(Clone, Debug, clap::Args)]
pub struct SoakArgs {
    /// How long to throw faults.
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f64,
    /// Seconds between two faults (or token renewals).
    #[arg(long, default_value_t = 2.0)]
    pub every: f64,
}

/// The rotation: every fault script the feeds recover from on their own, and a
/// token renewal (`None`).
const ROTATION: [Option<Fault>; 14] = [
    Some(Fault::Reset),
    Some(Fault::CloseNoFrame),
    Some(Fault::MalformedFrame),
    Some(Fault::OversizedFrame),
    Some(Fault::MalformedPacket),
    Some(Fault::LengthenedPacket),
    Some(Fault::Heartbeat),
    None,
    Some(Fault::Disconnect(805)),
    Some(Fault::Stall),
    Some(Fault::Http429),
    Some(Fault::Fragmented),
    Some(Fault::Stacked),
    Some(Fault::NoPing),
];

/// What the consumer saw.
#[derive(Debug, Default)]
struct Seen {
    market: u64,
    depth: u64,
    order_updates: u64,
    reconciled: u64,
    gaps_outage: u64,
    gaps_lost: u64,
    engine_stopped: bool,
    /// Latest market event per instrument.
    last_market: HashMap<InstrumentId, Instant>,
}

/// Runs the soak; `Ok(false)` when a check failed (the report says which).
pub fn run(args: &SoakArgs) -> Result<bool, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("dhan-feed-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (server_token, client_token) = (dir.join("server-token"), dir.join("client-token"));
    let mut generation = 1u32;
    let token = |g: u32| format!("soak-token-{g}");
    std::fs::write(&server_token, token(generation))?;
    std::fs::write(&client_token, token(generation))?;
    let result = soak(args, &server_token, &client_token, &mut generation, token);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn soak(
    args: &SoakArgs,
    server_token: &PathBuf,
    client_token: &PathBuf,
    generation: &mut u32,
    token: impl Fn(u32) -> String,
) -> Result<bool, Box<dyn std::error::Error>> {
    let sim = Simulator::start(SimConfig {
        tls: false,
        rate: 400.0,
        depth_rate: 20.0,
        order_interval: Some(Duration::from_millis(40)),
        order_step: Duration::from_millis(15),
        ping_interval: Duration::from_millis(500),
        pong_timeout: Duration::from_secs(3),
        access_token_file: Some(server_token.clone()),
        ..SimConfig::default()
    })?;
    let client = Client::new(ClientConfig {
        token_source: TokenSource::file(client_token),
        lifecycle: LifecycleConfig {
            backoff_base: Duration::from_millis(50),
            backoff_cap: Duration::from_secs(1),
            cool_off: Duration::from_secs(1),
            stale_after: Duration::from_secs(2),
            ping_after: Duration::from_millis(700),
            ..LifecycleConfig::default()
        },
        budget: BudgetConfig {
            gap: Duration::from_millis(20),
            ..BudgetConfig::default()
        },
        // The tracker holds the whole run's orders, so the check below is exact.
        order_tracker: dhan_feed::OrderTrackerConfig {
            max_orders: 1_000_000,
            ..Default::default()
        },
        ..sim.client_config()
    })?;
    let instruments: Vec<InstrumentId> =
        ["IDX_I:13", "NSE_EQ:2885", "NSE_FNO:40001", "BSE_EQ:500325"]
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?;
    let mut market = client.market_feed(FeedMode::Quote);
    market.subscribe(&instruments)?;
    let mut depth = client.depth20();
    depth.subscribe(&["NSE_EQ:2885".parse()?, "NSE_EQ:11536".parse()?])?;
    let mut orders = client.order_updates();

    let mut seen = Seen::default();
    let start = Instant::now();
    let every = Duration::from_secs_f64(args.every.max(0.2));
    let mut next = start + every;
    let mut faults = 0u64;
    let mut renewals = 0u64;
    let mut turn = 0usize;
    let mut client_token_due: Option<Instant> = None;
    while start.elapsed().as_secs_f64() < args.seconds && !seen.engine_stopped {
        if !read_all(&mut seen, &mut market, &mut depth, &mut orders) {
            std::thread::sleep(Duration::from_millis(1));
        }
        if client_token_due.is_some_and(|t| Instant::now() >= t) {
            std::fs::write(client_token, token(*generation))?;
            client_token_due = None;
        }
        if Instant::now() < next {
            continue;
        }
        next += every;
        match ROTATION[turn % ROTATION.len()] {
            Some(Fault::Http429) => {
                sim.handle().inject(Fault::Http429);
                sim.handle().inject(Fault::Reset);
                faults += 1;
            }
            Some(fault) => {
                sim.handle().inject(fault);
                faults += 1;
            }
            None => {
                // The login job renews the token: the server first (every
                // connection closed with 807), the client's file a moment later.
                *generation += 1;
                std::fs::write(server_token, token(*generation))?;
                client_token_due = Some(Instant::now() + Duration::from_millis(300));
                renewals += 1;
            }
        }
        turn += 1;
    }
    if client_token_due.take().is_some() {
        std::fs::write(client_token, token(*generation))?;
    }
    sim.handle().stop_orders();

    // Calm: no more faults and no new orders; wait for every feed to be live,
    // every instrument to stream, and every order to be final at the server.
    let calm = Instant::now();
    let settle_by = calm + Duration::from_secs(20);
    let (mut live_at, mut orders_at) = (None, None);
    while (live_at.is_none() || orders_at.is_none())
        && Instant::now() < settle_by
        && !seen.engine_stopped
    {
        read_all(&mut seen, &mut market, &mut depth, &mut orders);
        let live = market.connected() && depth.connected() && orders.connected();
        let streaming = instruments
            .iter()
            .all(|i| seen.last_market.get(i).is_some_and(|t| *t > calm));
        if live_at.is_none() && live && streaming {
            live_at = Some(Instant::now());
        }
        let book = sim.handle().order_book();
        let settled = book.iter().all(|u| u.status.is_terminal())
            && book.iter().all(|u| {
                orders
                    .tracker()
                    .get(u.order_no.as_str())
                    .is_some_and(|t| t.status == u.status && t.traded_qty == u.traded_qty)
            });
        if orders_at.is_none() && settled {
            orders_at = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }

    let book = sim.handle().order_book();
    let missing: Vec<&str> = book
        .iter()
        .filter(|u| {
            orders
                .tracker()
                .get(u.order_no.as_str())
                .is_none_or(|t| t.status != u.status || t.traded_qty != u.traded_qty)
        })
        .map(|u| u.order_no.as_str())
        .collect();
    let reconnects =
        market.health().reconnects + depth.health().reconnects + orders.health().reconnects;
    let dropped = market.stats().dropped + depth.stats().dropped;
    let order_dropped = orders.stats().dropped;
    let checks = [
        (
            "every feed live and every instrument streaming after the faults",
            live_at.is_some(),
        ),
        (
            "every order's final state at the handle equals the server's book",
            missing.is_empty(),
        ),
        (
            "no market or depth event dropped (the consumer kept up)",
            dropped == 0,
        ),
        (
            "no order update lost without a gap",
            order_dropped == 0 || seen.gaps_lost > 0,
        ),
        ("the engine never stopped", !seen.engine_stopped),
    ];
    note!(
        "dhan-feed soak: {:.0} s, {faults} faults and {renewals} token renewals survived; {reconnects} reconnects",
        args.seconds
    );
    note!(
        "dhan-feed soak: events: market {}, depth snapshots {}, order updates {} ({} reconciled); orders {} in the book",
        seen.market,
        seen.depth,
        seen.order_updates,
        seen.reconciled,
        book.len()
    );
    note!(
        "dhan-feed soak: gaps: {} outages, {} with lost updates; after the last fault: live again in {}, orders settled in {}",
        seen.gaps_outage,
        seen.gaps_lost,
        since(live_at, calm),
        since(orders_at, calm)
    );
    let mut ok = true;
    for (what, passed) in checks {
        note!(
            "dhan-feed soak: {} {what}",
            if passed { "ok  " } else { "FAIL" }
        );
        ok &= passed;
    }
    if !missing.is_empty() {
        note!(
            "dhan-feed soak: {} orders differ, first: {}",
            missing.len(),
            missing
                .iter()
                .take(10)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(ok)
}

/// Takes every waiting event of the three feeds; `true` if there was any.
fn read_all(
    seen: &mut Seen,
    market: &mut dhan_feed::MarketFeed,
    depth: &mut dhan_feed::Depth20Feed,
    orders: &mut dhan_feed::OrderFeed,
) -> bool {
    let mut any = false;
    while let Some(e) = market.try_recv() {
        any = true;
        match e {
            FeedEvent::Market(m) => {
                seen.market += 1;
                seen.last_market.insert(m.packet.id(), Instant::now());
            }
            FeedEvent::EngineStopped(_) => seen.engine_stopped = true,
            _ => {}
        }
        if seen.engine_stopped {
            break;
        }
    }
    while let Some(e) = depth.try_recv() {
        any = true;
        match e {
            DepthFeedEvent::Snapshot { .. } => seen.depth += 1,
            DepthFeedEvent::EngineStopped(_) => {
                seen.engine_stopped = true;
                break;
            }
            _ => {}
        }
    }
    while let Some(e) = orders.try_recv() {
        any = true;
        match e {
            OrderEvent::Update(u) => {
                seen.order_updates += 1;
                seen.reconciled += u64::from(u.reconciled);
            }
            OrderEvent::Gap {
                reason: GapReason::Outage,
                ..
            } => seen.gaps_outage += 1,
            OrderEvent::Gap { .. } => seen.gaps_lost += 1,
            OrderEvent::EngineStopped(_) => {
                seen.engine_stopped = true;
                break;
            }
            _ => {}
        }
    }
    any
}

/// Seconds from `calm` to `t`, or "never".
fn since(t: Option<Instant>, calm: Instant) -> String {
    t.map_or("never".to_owned(), |t| {
        format!("{:.1} s", (t - calm).as_secs_f64())
    })
}
