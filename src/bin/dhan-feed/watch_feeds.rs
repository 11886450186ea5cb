//! `dhan-feed watch --orders` and `dhan-feed watch --depth 20|200`: the order-update
//! and depth feeds, printed as they arrive (table or JSON lines), then a summary.

use crate::stderr::note;
use crate::watch_args::{Summary, WatchArgs, WatchError, refused};
use dhan_feed::Client;
use dhan_feed::SessionEvent;
use dhan_feed::feed::depth::DepthFeed;
use dhan_feed::feed::{DepthFeedEvent, OrderEvent};
use dhan_feed::jsonl;
use dhan_feed::proto::segment::InstrumentId;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// RELIANCE and TCS on NSE: the seed guide's depth example.
pub const DEFAULT_DEPTH_INSTRUMENTS: [(&str, &str); 2] =
    [("NSE_EQ:2885", "RELIANCE"), ("NSE_EQ:11536", "TCS")];

fn done(args: &WatchArgs, summary: &Summary, start: Instant, stop: &AtomicBool) -> bool {
    stop.load(Ordering::Relaxed)
        || args.count.is_some_and(|c| summary.events >= c)
        || args
            .seconds
            .is_some_and(|s| start.elapsed().as_secs_f64() >= s)
}

fn print_summary(summary: &Summary) {
    note!(
        "summary: events={} drops={} reconnects={} malformed={}",
        summary.events,
        summary.drops,
        summary.reconnects,
        summary.malformed
    );
}

/// `watch --orders`: every order event, then a summary.
pub fn orders(
    args: &WatchArgs,
    client: &Client,
    out: &mut impl Write,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    let mut feed = client.order_updates();
    let sinks = crate::watch_sink::start(args, || {
        Ok(dhan_feed::sink::SinkFeeds::new().orders(client.order_updates()))
    })?;
    let mut web = None;
    let mut to_page = None;
    if let Some(mut page) = crate::watch_http::page(args) {
        to_page = Some(page.order_sender(feed.health_probe()));
        web = Some(crate::watch_http::start(page)?);
    }
    crate::watch_args::subscribed();
    let mut summary = Summary::default();
    let start = Instant::now();
    let mut line = Vec::with_capacity(2048);
    // A refused login or token stops the connection until new credentials, which
    // `watch` cannot supply. Health is published just after the events, so it is
    // checked after a `Close` or `Error` and whenever the ring is empty.
    let renewable = args.token_file.is_some();
    let halted = |feed: &dhan_feed::feed::OrderFeed| {
        if renewable {
            return Ok(());
        }
        feed.health().halted.map_or(Ok(()), |cause| {
            Err(WatchError::CredentialsRefused(
                dhan_feed::SessionError::Credentials(cause),
            ))
        })
    };
    while !done(args, &summary, start, &stop) {
        let Some(ev) = feed.recv_timeout(Duration::from_millis(100)) else {
            halted(&feed)?;
            continue;
        };
        if let OrderEvent::EngineStopped(stop) = ev {
            if stop == dhan_feed::EngineStop::ReplayEnded {
                break;
            }
            return Err(WatchError::EngineStopped(stop));
        }
        if let Some(tx) = &to_page {
            tx.send(&ev);
        }
        line.clear();
        if args.json {
            jsonl::order_event(&ev, &mut line);
        } else {
            match &ev {
                OrderEvent::Update(u) => writeln!(
                    line,
                    "update         {:>18} {:<12} {:<4} qty={} traded={} price={}",
                    u.order_no.as_str(),
                    u.status.as_str(),
                    u.txn_type.as_str(),
                    u.quantity,
                    u.traded_qty,
                    u.price
                )?,
                OrderEvent::StatusChange {
                    order_no,
                    previous,
                    new,
                    ..
                } => writeln!(
                    line,
                    "status         {:>18} {} -> {}",
                    order_no.as_str(),
                    previous.as_str(),
                    new.as_str()
                )?,
                OrderEvent::Execution {
                    order_no,
                    previous_traded_qty,
                    new_traded_qty,
                    execution_percentage,
                    ..
                } => writeln!(
                    line,
                    "execution      {:>18} {previous_traded_qty} -> {new_traded_qty} ({execution_percentage:.1}%)",
                    order_no.as_str()
                )?,
                OrderEvent::Traded(u)
                | OrderEvent::Rejected(u)
                | OrderEvent::Cancelled(u)
                | OrderEvent::Expired(u) => writeln!(
                    line,
                    "{:<14} {:>18} {}",
                    u.status.as_str().to_ascii_lowercase(),
                    u.order_no.as_str(),
                    u.reason_description.as_str()
                )?,
                OrderEvent::Open => writeln!(line, "open")?,
                OrderEvent::Close { code, reason } => {
                    writeln!(line, "close          code={code:?} {}", reason.as_str())?
                }
                OrderEvent::Error(e) => writeln!(line, "error          {e}")?,
                other => writeln!(line, "{other:?}")?,
            }
        }
        if matches!(ev, OrderEvent::Open) && summary.events > 0 {
            summary.reconnects += 1;
        }
        summary.events += 1;
        out.write_all(&line)?;
        if matches!(ev, OrderEvent::Error(_) | OrderEvent::Close { .. }) {
            out.flush()?;
            halted(&feed)?;
        }
    }
    out.flush()?;
    drop(web);
    let stored = crate::watch_sink::stop(sinks);
    summary.drops = feed.stats().dropped;
    print_summary(&summary);
    stored?;
    Ok(summary)
}

/// `watch --depth 20|200`: a line per book snapshot, then a summary.
pub fn depth(
    args: &WatchArgs,
    two_hundred: bool,
    client: &Client,
    out: &mut impl Write,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    let names = crate::watch_names::Names::load(args, &args.instruments)?;
    let mut items: Vec<(InstrumentId, String)> =
        args.instruments.iter().map(|&i| (i, names.of(i))).collect();
    if items.is_empty() {
        items = DEFAULT_DEPTH_INSTRUMENTS
            .iter()
            .filter_map(|(i, l)| Some((i.parse().ok()?, (*l).to_owned())))
            .collect();
    }
    // With `--http` each feed also keeps a depth cache, which the page reads.
    let http = args.http.is_some();
    let label = |id: InstrumentId| {
        items
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| id.to_string(), |(_, l)| l.clone())
    };
    let ids: Vec<InstrumentId> = items.iter().map(|(i, _)| *i).collect();
    if two_hundred {
        // One instrument per 200-level connection: a sink's handles are
        // connections of their own, within Dhan's five.
        let wanted = ids.len() * (1 + args.sink.len());
        let allowed = client.config().budget.per_kind;
        if !args.sink.is_empty() && wanted > allowed {
            return Err(WatchError::Sink(format!(
                "--depth 200 with {} instruments and {} sinks needs {wanted} 200-level connections (one an instrument for watch, and as many for each sink); Dhan allows {allowed}",
                ids.len(),
                args.sink.len(),
            )));
        }
        let sinks = crate::watch_sink::start(args, || {
            let mut feeds = dhan_feed::sink::SinkFeeds::new().orders(client.order_updates());
            for id in &ids {
                let mut d = client.depth200();
                d.subscribe(&[*id])?;
                feeds = feeds.depth200(d);
            }
            Ok(feeds)
        })?;
        // One instrument per 200-level connection: one handle each.
        let mut feeds = Vec::new();
        let mut caches = Vec::new();
        for (id, label) in &items {
            let mut f = if http {
                let (f, c) = client.depth200_with_cache(PAGE_LEVELS);
                caches.push(c);
                f
            } else {
                client.depth200()
            };
            f.subscribe_labelled(&[(*id, label)])
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            feeds.push(f);
        }
        let _web = depth_page(args, client, &feeds, caches, label)?;
        let r = run_depth(args, &mut feeds, out, &stop);
        let stored = crate::watch_sink::stop(sinks);
        r.and_then(|s| stored.map(|()| s))
    } else {
        // A sink's 20-level handle is a connection of its own.
        let sinks = crate::watch_sink::start(args, || {
            let mut d = client.depth20();
            d.subscribe(&ids)?;
            Ok(dhan_feed::sink::SinkFeeds::new()
                .depth20(d)
                .orders(client.order_updates()))
        })?;
        let (mut f, caches) = if http {
            let (f, c) = client.depth20_with_cache(items.len(), PAGE_LEVELS);
            (f, vec![c])
        } else {
            (client.depth20(), Vec::new())
        };
        let refs: Vec<(InstrumentId, &str)> = items.iter().map(|(i, l)| (*i, l.as_str())).collect();
        f.subscribe_labelled(&refs)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let mut feeds = [f];
        let _web = depth_page(args, client, &feeds, caches, label)?;
        let r = run_depth(args, &mut feeds, out, &stop);
        let stored = crate::watch_sink::stop(sinks);
        r.and_then(|s| stored.map(|()| s))
    }
}

/// Levels a side the page shows.
const PAGE_LEVELS: usize = 5;

/// With `--http`: the page, showing each depth feed's ladders (from its cache) and
/// health, and the order updates.
fn depth_page<const N: usize>(
    args: &WatchArgs,
    client: &Client,
    feeds: &[DepthFeed<N>],
    caches: Vec<dhan_feed::DepthCache>,
    label: impl Fn(InstrumentId) -> String,
) -> Result<Option<dhan_feed::web::WebServer>, WatchError> {
    let Some(mut page) = crate::watch_http::page(args) else {
        return Ok(None);
    };
    for (f, cache) in feeds.iter().zip(caches) {
        page = page.depth(f, cache, &label);
    }
    crate::watch_http::start(page.order_feed(client.order_updates())).map(Some)
}

fn run_depth<const N: usize>(
    args: &WatchArgs,
    feeds: &mut [DepthFeed<N>],
    out: &mut impl Write,
    stop: &AtomicBool,
) -> Result<Summary, WatchError> {
    crate::watch_args::subscribed();
    let mut summary = Summary::default();
    let start = Instant::now();
    let mut line = Vec::with_capacity(512);
    // A replay's end (every handle says so).
    let mut ended = false;
    while !ended && !done(args, &summary, start, stop) {
        let mut idle = true;
        for f in feeds.iter_mut() {
            let Some(ev) = f.try_recv() else { continue };
            idle = false;
            line.clear();
            match ev {
                DepthFeedEvent::Snapshot { id, .. } => {
                    let Some(b) = f.book(id) else { continue };
                    if args.json {
                        jsonl::depth_book(b, &mut line);
                    } else {
                        let price = |l: Option<dhan_feed::proto::depth::DepthLevel>| {
                            l.map_or("-".to_owned(), |l| format!("{:.2}x{}", l.price, l.qty))
                        };
                        writeln!(
                            line,
                            "{:<16} {:<12} bid {:>16} ask {:>16} spread {:>8} rows {}/{}",
                            id.to_string(),
                            b.label().as_str(),
                            price(b.best_bid()),
                            price(b.best_ask()),
                            b.spread().map_or("-".to_owned(), |s| format!("{s:.2}")),
                            b.bids().len(),
                            b.asks().len()
                        )?;
                    }
                    summary.events += 1;
                }
                DepthFeedEvent::Connection(c) => {
                    note!("dhan-feed watch: {c}");
                    if matches!(c.event, SessionEvent::Reconnected { .. }) {
                        summary.reconnects += 1;
                    }
                    refused(&c.event, args.token_file.is_some())?;
                }
                DepthFeedEvent::EngineStopped(dhan_feed::EngineStop::ReplayEnded) => {
                    ended = true;
                }
                DepthFeedEvent::EngineStopped(stop) => {
                    return Err(WatchError::EngineStopped(stop));
                }
                _ => {}
            }
            out.write_all(&line)?;
        }
        if idle {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    out.flush()?;
    summary.drops = feeds.iter_mut().map(|f| f.stats().dropped).sum();
    summary.malformed = feeds.iter().map(|f| f.health().malformed).sum();
    print_summary(&summary);
    Ok(summary)
}
