//! The last-value cache against the simulator: what a market feed's ring
//! delivers and what its cache keeps agree, packet for packet; readers on other
//! threads never see a torn value while the I/O thread writes.

use dhan_feed::proto::market::MarketPacket;
use dhan_feed::proto::{ExchangeSegment, InstrumentId};
use dhan_feed::sim::Simulator;
use dhan_feed::{Client, FeedEvent, FeedMode};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn client(sim: &Simulator) -> Client {
    Client::new(sim.client_config()).unwrap()
}

fn ids(n: u32) -> Vec<InstrumentId> {
    (0..n)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 40_000 + i))
        .collect()
}

/// After the feed stops (unsubscribed), the last packet of each kind the ring
/// delivered is the cache's, and the cache counted every packet the ring did.
#[test]
fn the_cache_holds_the_last_packet_the_ring_delivered() {
    let sim = Simulator::builder()
        .plain()
        .rate(20_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let (mut feed, cache) = client.market_feed_with_cache(FeedMode::Quote, 64);
    let ids = ids(8);
    assert!(ids.iter().all(|&i| cache.latest(i).is_none()));
    feed.subscribe(&ids).unwrap();
    let mut last: HashMap<(InstrumentId, u8), MarketPacket> = HashMap::new();
    let mut count: HashMap<(InstrumentId, u8), u64> = HashMap::new();
    let take = |feed: &mut dhan_feed::MarketFeed,
                until: Instant,
                last: &mut HashMap<_, _>,
                count: &mut HashMap<_, u64>| {
        while Instant::now() < until {
            if let Some(FeedEvent::Market(m)) = feed.recv_timeout(Duration::from_millis(10)) {
                let key = (m.packet.id(), m.packet.code());
                last.insert(key, m.packet);
                *count.entry(key).or_default() += 1;
            }
        }
    };
    let soon = |ms| Instant::now() + Duration::from_millis(ms);
    take(&mut feed, soon(600), &mut last, &mut count);
    assert!(last.len() >= ids.len(), "quotes for every instrument");
    feed.unsubscribe(&ids).unwrap();
    // What was in flight arrives; then nothing more for these instruments.
    take(&mut feed, soon(600), &mut last, &mut count);
    assert_eq!(feed.stats().dropped, 0);
    for &id in &ids {
        let l = cache.latest(id).expect("kept");
        let quote = l.quote.expect("a quote");
        let key = (id, dhan_feed::proto::market::code::QUOTE);
        assert_eq!(Some(&MarketPacket::Quote(quote.value)), last.get(&key));
        assert_eq!(quote.updates, count[&key], "{id:?}: every quote counted");
        assert!(quote.recv_ns > 0);
        if let Some(oi) = l.oi {
            let key = (id, dhan_feed::proto::market::code::OI);
            assert_eq!(Some(&MarketPacket::Oi(oi.value)), last.get(&key));
            assert_eq!(oi.updates, count[&key]);
        }
        assert_eq!(l.ltp(), Some(quote.value.ltp));
    }
    assert_eq!(cache.instruments(), ids.len());
    assert_eq!(cache.refused(), 0);
    assert!(
        cache
            .latest(InstrumentId::new(ExchangeSegment::NseEq, 1))
            .is_none()
    );
}

/// Readers on two threads while the I/O thread writes: every full packet they
/// copy decodes, names the instrument asked for, and its update count never
/// goes back (a torn copy would fail one of these).
#[test]
fn readers_on_other_threads_see_whole_values_that_only_move_forward() {
    let sim = Simulator::builder()
        .plain()
        .rate(50_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let (mut feed, cache) = client.market_feed_with_cache(FeedMode::Full, 16);
    let ids = ids(4);
    feed.subscribe(&ids).unwrap();
    let deadline = Instant::now() + Duration::from_millis(800);
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let cache = cache.clone();
            let ids = ids.clone();
            std::thread::spawn(move || {
                let mut seen = HashMap::new();
                let mut reads = 0u64;
                while Instant::now() < deadline {
                    for &id in &ids {
                        if let Some(full) = cache.latest(id).and_then(|l| l.full) {
                            assert_eq!(full.value.id, id);
                            let before = seen.insert(id, full.updates).unwrap_or(0);
                            assert!(full.updates >= before, "went back");
                            reads += 1;
                        }
                    }
                }
                reads
            })
        })
        .collect();
    // The ring is drained meanwhile, as a strategy would.
    while Instant::now() < deadline {
        let _ = feed.recv_timeout(Duration::from_millis(5));
    }
    for r in readers {
        assert!(r.join().unwrap() > 0, "the readers saw values");
    }
    assert!(
        ids.iter()
            .all(|&i| cache.latest(i).and_then(|l| l.full).is_some())
    );
}

/// A 20-level depth feed with a depth cache: once the feed is quiet, each
/// side's cached top levels are the first levels of the book the handle
/// assembled from the same packets, and every side packet was counted.
#[test]
fn the_depth_cache_holds_the_top_of_the_book_the_feed_built() {
    let sim = Simulator::builder()
        .plain()
        .depth_rate(400.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client(&sim);
    let (mut feed, cache) = client.depth20_with_cache(4, 5);
    assert_eq!(cache.levels(), 5);
    let ids: Vec<InstrumentId> = ["NSE_EQ:2885", "NSE_EQ:11536"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    feed.subscribe(&ids).unwrap();
    let mut sides: HashMap<(InstrumentId, bool), u64> = HashMap::new();
    let take = |feed: &mut dhan_feed::Depth20Feed,
                ms: u64,
                sides: &mut HashMap<(InstrumentId, bool), u64>| {
        let until = Instant::now() + Duration::from_millis(ms);
        while Instant::now() < until {
            if let Some(dhan_feed::DepthFeedEvent::Update { id, side, .. }) =
                feed.recv_timeout(Duration::from_millis(10))
            {
                *sides
                    .entry((id, side == dhan_feed::proto::depth::DepthSide::Bid))
                    .or_default() += 1;
            }
        }
    };
    take(&mut feed, 1_500, &mut sides);
    assert_eq!(sides.len(), 4, "both sides of both instruments: {sides:?}");
    // The server goes away: what was in flight arrives, then nothing more (the
    // handle keeps its books; unsubscribing would drop them).
    sim.stop();
    take(&mut feed, 600, &mut sides);
    assert_eq!(feed.stats().dropped, 0);
    for &id in &ids {
        let book = feed.book(id).expect("a book");
        let top = cache.top(id).expect("cached");
        let (bids, asks) = (top.bids.expect("bids"), top.asks.expect("asks"));
        assert_eq!(bids.value.levels(), &book.bids()[..5], "{id}");
        assert_eq!(asks.value.levels(), &book.asks()[..5], "{id}");
        assert_eq!(
            bids.updates,
            sides[&(id, true)],
            "{id}: every bid packet counted"
        );
        assert_eq!(
            asks.updates,
            sides[&(id, false)],
            "{id}: every ask packet counted"
        );
        assert_eq!(top.spread(), book.spread());
    }
    assert_eq!(cache.instruments(), 2);
}
