//! The engine end to end against the simulator, over TLS and plain: every mode,
//! many instruments (past 5,000: sharding), several consumers with overlapping
//! subscriptions, unsubscribe, stop and restart, a stalled consumer, shutdown.

use dhan_feed::SessionEvent;
use dhan_feed::config::{ClientConfig, Overflow};
use dhan_feed::event::{ConnectionEvent, FeedEvent};
use dhan_feed::proto::market::MarketPacket;
use dhan_feed::sim::Simulator;
use dhan_feed::{Client, ExchangeSegment, FeedMode, InstrumentId};
use std::collections::HashSet;
use std::time::{Duration, Instant};

mod common;
use common::{id, serial};

fn client_for(sim: &Simulator) -> Client {
    Client::new(sim.client_config()).unwrap()
}

/// A plain-ws simulator at `rate` packets/s without periodic order updates.
fn plain_sim(rate: f64) -> Simulator {
    Simulator::builder()
        .plain()
        .rate(rate)
        .order_interval(None)
        .start()
        .unwrap()
}

/// A plain simulator at 500 packets/s, a client, and a ticker feed of NIFTY
/// that has received its first packets (the client is returned to keep it up).
fn streaming_nifty() -> (Simulator, Client, dhan_feed::MarketFeed) {
    let sim = plain_sim(500.0);
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    assert!(collect(&mut feed, |ps| ps.len() >= 3).0.len() >= 3);
    (sim, client, feed)
}

/// Collects market packets until `pred` holds for the collection or 10 s pass.
fn collect(
    feed: &mut dhan_feed::MarketFeed,
    mut pred: impl FnMut(&[MarketPacket]) -> bool,
) -> (Vec<MarketPacket>, Vec<ConnectionEvent>) {
    let mut ps = Vec::new();
    let mut cs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && !pred(&ps) {
        match feed.recv_timeout(Duration::from_millis(20)) {
            Some(FeedEvent::Market(m)) => {
                assert!(m.publish_ns >= m.recv_ns);
                ps.push(m.packet);
            }
            Some(FeedEvent::Connection(c)) => cs.push(c),
            Some(_) | None => {}
        }
    }
    (ps, cs)
}

#[test]
fn every_mode_over_tls() {
    let _serial = serial();
    let sim = Simulator::builder()
        .rate(2000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client_for(&sim);
    for (mode, kinds) in [
        (FeedMode::Ticker, &["ticker"][..]),
        (FeedMode::Quote, &["quote", "oi"][..]),
        (FeedMode::Full, &["full"][..]),
    ] {
        let mut feed = client.market_feed(mode);
        feed.subscribe(&[id("NSE_EQ:2885")]).unwrap();
        let (ps, cs) = collect(&mut feed, |ps| ps.len() >= 30);
        assert!(ps.len() >= 30, "{mode:?}: {} packets", ps.len());
        assert!(cs.iter().any(|c| c.event == SessionEvent::Connected) || feed.connected());
        let seen: HashSet<&str> = ps.iter().map(|p| p.kind_name()).collect();
        for k in kinds {
            assert!(seen.contains(k), "{mode:?}: {seen:?}");
        }
        assert!(
            seen.iter().all(|k| kinds.contains(k) || *k == "prev_close"),
            "{mode:?}: {seen:?}"
        );
        assert!(feed.connected());
        feed.stop();
    }
}

#[test]
fn plain_ws_many_instruments_are_sharded_past_5000() {
    let _serial = serial();
    let sim = plain_sim(0.0);
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    let ids: Vec<InstrumentId> = (0..5_200)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 40_000 + i))
        .collect();
    feed.subscribe(&ids).unwrap();
    // Both connections stream: instruments from the first 5,000 and from the rest.
    // (Looking at each new packet once: a scan of everything collected, per
    // packet, slowed the consumer so much that the first connection's packets
    // filled every slot it freed and the second's were all dropped.)
    let (mut low, mut high) = (false, false);
    let (ps, _) = collect(&mut feed, |ps| {
        if let Some(p) = ps.last() {
            if p.id().security_id >= 45_000 {
                high = true;
            } else {
                low = true;
            }
        }
        low && high
    });
    assert!(ps.iter().any(|p| p.id().security_id >= 45_000));
    assert!(ps.iter().any(|p| p.id().security_id < 45_000));
    assert!(sim.handle().wait_live(
        dhan_feed::proto::endpoint::FeedKind::MarketFeed,
        2,
        Duration::from_secs(5)
    ));
    assert_eq!(feed.subscriptions().len(), 5_200);
}

#[test]
fn overlapping_consumers_each_get_their_mode_and_unsubscribe_is_per_consumer() {
    let _serial = serial();
    let sim = plain_sim(2000.0);
    let client = client_for(&sim);
    let mut ticker = client.market_feed(FeedMode::Ticker);
    let mut full = client.market_feed(FeedMode::Full);
    ticker
        .subscribe(&[id("IDX_I:13"), id("NSE_FNO:55796")])
        .unwrap();
    full.subscribe(&[id("NSE_FNO:55796")]).unwrap();
    let (tp, _) = collect(&mut ticker, |ps| {
        ps.iter().filter(|p| p.id() == id("NSE_FNO:55796")).count() >= 20
    });
    let (fp, _) = collect(&mut full, |ps| ps.len() >= 20);
    // The connection carries 55796 in full mode; the ticker consumer still gets tickers.
    assert!(
        tp.iter()
            .all(|p| matches!(p, MarketPacket::Ticker(_) | MarketPacket::PrevClose(_)))
    );
    assert!(fp.iter().all(|p| p.id() == id("NSE_FNO:55796")));
    assert!(fp.iter().any(|p| matches!(p, MarketPacket::Full(_))));
    // The full consumer leaves: the ticker consumer keeps 55796.
    drop(full);
    std::thread::sleep(Duration::from_millis(100));
    let (tp, _) = collect(&mut ticker, |ps| {
        ps.iter().filter(|p| p.id() == id("NSE_FNO:55796")).count() >= 10
    });
    assert!(tp.iter().filter(|p| p.id() == id("NSE_FNO:55796")).count() >= 10);
    // Unsubscribe: 13 stops arriving.
    ticker.unsubscribe(&[id("IDX_I:13")]).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    while ticker.try_recv().is_some() {}
    let (tp, _) = collect(&mut ticker, |ps| ps.len() >= 50);
    assert!(tp.iter().all(|p| p.id() != id("IDX_I:13")));
}

#[test]
fn stalled_consumer_drops_are_counted_others_unaffected_pongs_answered() {
    let _serial = serial();
    let sim = Simulator::builder()
        .plain()
        .rate(20_000.0)
        .keepalive(Duration::from_millis(50), Duration::from_millis(400))
        .order_interval(None)
        .start()
        .unwrap();
    let client = client_for(&sim);
    let mut slow = client
        .market_feed_with(FeedMode::Ticker, 64, Overflow::DropNewest)
        .unwrap();
    let mut fast = client.market_feed(FeedMode::Ticker);
    slow.subscribe(&[id("IDX_I:13")]).unwrap();
    fast.subscribe(&[id("IDX_I:13")]).unwrap();
    // `slow` never reads for 1 s: far longer than the 400 ms pong timeout.
    let start = Instant::now();
    let (ps, _) = collect(&mut fast, |_| start.elapsed() > Duration::from_secs(1));
    assert!(ps.len() > 100);
    let st = slow.stats();
    assert!(st.dropped > 0, "{st:?}");
    assert_eq!(st.lag, 64, "the ring is full, nothing more was forced in");
    assert!(fast.stats().dropped == 0);
    assert!(
        fast.connected(),
        "pongs were answered while a consumer stalled"
    );
    assert_eq!(
        sim.handle()
            .live(dhan_feed::proto::endpoint::FeedKind::MarketFeed),
        1
    );
}

#[test]
fn stop_and_restart() {
    let _serial = serial();
    let sim = plain_sim(2000.0);
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:25")]).unwrap();
    assert!(collect(&mut feed, |ps| ps.len() >= 5).0.len() >= 5);
    client.disconnect_all();
    drop(feed);
    drop(client);
    assert!(sim.handle().wait_live(
        dhan_feed::proto::endpoint::FeedKind::MarketFeed,
        0,
        Duration::from_secs(3)
    ));
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:25")]).unwrap();
    assert!(collect(&mut feed, |ps| ps.len() >= 5).0.len() >= 5);
}

#[test]
fn reconnects_and_resubscribes_after_a_reset() {
    let _serial = serial();
    let sim = plain_sim(2000.0);
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Quote);
    feed.subscribe(&[id("IDX_I:13"), id("NSE_EQ:2885")])
        .unwrap();
    collect(&mut feed, |ps| ps.len() >= 10);
    sim.handle().inject(dhan_feed::sim::Fault::Reset);
    let (ps, cs) = collect(&mut feed, |ps| {
        ps.iter().filter(|p| p.id() == id("IDX_I:13")).count() > 20
            && ps.iter().filter(|p| p.id() == id("NSE_EQ:2885")).count() > 20
    });
    assert!(
        cs.iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. })),
        "{cs:?}"
    );
    assert!(
        cs.iter()
            .any(|c| matches!(c.event, SessionEvent::Reconnected { .. })),
        "{cs:?}"
    );
    assert!(
        ps.iter().any(|p| p.id() == id("IDX_I:13"))
            && ps.iter().any(|p| p.id() == id("NSE_EQ:2885"))
    );
}

#[test]
fn clean_shutdown_leaves_no_thread_or_socket() {
    let _serial = serial();
    let sim = plain_sim(500.0);
    assert_eq!(io_threads(), 0);
    {
        let client = client_for(&sim);
        let mut feed = client.market_feed(FeedMode::Ticker);
        feed.subscribe(&[id("IDX_I:13")]).unwrap();
        collect(&mut feed, |ps| ps.len() >= 3);
    }
    assert!(sim.handle().wait_live(
        dhan_feed::proto::endpoint::FeedKind::MarketFeed,
        0,
        Duration::from_secs(3)
    ));
    assert_io_threads_gone();
}

/// Waits up to 3 s for every I/O thread of this process to end.
fn assert_io_threads_gone() {
    let deadline = Instant::now() + Duration::from_secs(3);
    while io_threads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(io_threads(), 0, "I/O thread joined");
}

/// Live I/O threads in this process, by name (the harness's own threads come and
/// go as tests start, so a plain thread count is not a measure).
fn io_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.flatten()
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|c| c.trim() == "dhan-feed-io")
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn tls_subscription_of_5000_instruments_is_written_in_rounds() {
    // 50 request messages (~190 KB) exceed rustls's 64 KiB outgoing buffer: the
    // engine must send them as the socket drains instead of failing the write.
    let _serial = serial();
    let sim = Simulator::builder()
        .rate(200_000.0)
        .order_interval(None)
        .start()
        .unwrap();
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    let ids: Vec<InstrumentId> = (0..5_000)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 60_000 + i))
        .collect();
    feed.subscribe(&ids).unwrap();
    let mut seen = HashSet::new();
    let mut cs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.len() < 5_000 && Instant::now() < deadline {
        match feed.recv_timeout(Duration::from_millis(20)) {
            Some(FeedEvent::Market(m)) => {
                seen.insert(m.packet.id());
            }
            Some(FeedEvent::Connection(c)) => cs.push(c),
            _ => {}
        }
    }
    assert!(
        !cs.iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. })),
        "{cs:?}"
    );
    assert_eq!(seen.len(), 5_000);
}

#[test]
fn busy_poll_over_tls_streams_takes_commands_recovers_and_stops() {
    // Busy-poll reads live sockets directly and asks epoll one turn in 64:
    // connecting, the TLS handshake, commands while spinning, a reset and the
    // shutdown all have to work in that mode too.
    let _serial = serial();
    // Pings every 50 ms, and no pong within 300 ms ends the connection: a live
    // socket has left the poll in this mode, so only the engine's own reads
    // see the pings.
    let sim = Simulator::builder()
        .rate(2000.0)
        .order_interval(None)
        .keepalive(Duration::from_millis(50), Duration::from_millis(300))
        .start()
        .unwrap();
    assert!(sim.certificate().is_some(), "a TLS simulator");
    let client = Client::new(ClientConfig {
        busy_poll: true,
        ..sim.client_config()
    })
    .unwrap();
    let mut feed = client.market_feed(FeedMode::Quote);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let (ps, _) = collect(&mut feed, |ps| ps.len() >= 10);
    assert!(ps.len() >= 10 && ps.iter().all(|p| p.id() == id("IDX_I:13")));

    // A command reaches the spinning thread: the new instrument streams.
    feed.subscribe(&[id("NSE_EQ:2885")]).unwrap();
    let (ps, _) = collect(&mut feed, |ps| {
        ps.iter().filter(|p| p.id() == id("NSE_EQ:2885")).count() >= 10
    });
    assert!(ps.iter().filter(|p| p.id() == id("NSE_EQ:2885")).count() >= 10);

    // A second of streaming: every ping answered, so no disconnect.
    let t0 = Instant::now();
    let (_, cs) = collect(&mut feed, |_| t0.elapsed() > Duration::from_secs(1));
    assert!(
        !cs.iter()
            .any(|c| matches!(c.event, SessionEvent::Disconnected { .. })),
        "{cs:?}"
    );

    // A close without a frame (a FIN): the read sees the end, and the engine
    // reconnects.
    sim.handle().inject(dhan_feed::sim::Fault::CloseNoFrame);
    let (ps, cs) = collect(&mut feed, |ps| {
        ps.iter().filter(|p| p.id() == id("IDX_I:13")).count() > 20
    });
    assert!(
        cs.iter()
            .any(|c| matches!(c.event, SessionEvent::Reconnected { .. })),
        "{cs:?}"
    );
    assert!(ps.iter().filter(|p| p.id() == id("IDX_I:13")).count() > 20);

    // A reset: reconnected, both instruments stream again.
    sim.handle().inject(dhan_feed::sim::Fault::Reset);
    let (ps, cs) = collect(&mut feed, |ps| {
        ps.iter().filter(|p| p.id() == id("IDX_I:13")).count() > 20
            && ps.iter().filter(|p| p.id() == id("NSE_EQ:2885")).count() > 20
    });
    assert!(
        cs.iter()
            .any(|c| matches!(c.event, SessionEvent::Reconnected { .. })),
        "{cs:?}"
    );
    assert!(ps.iter().filter(|p| p.id() == id("IDX_I:13")).count() > 20);
    assert!(ps.iter().filter(|p| p.id() == id("NSE_EQ:2885")).count() > 20);

    // Stop: the spinning thread leaves and the server sees the connection go.
    drop(feed);
    drop(client);
    assert!(sim.handle().wait_live(
        dhan_feed::proto::endpoint::FeedKind::MarketFeed,
        0,
        Duration::from_secs(3)
    ));
    assert_io_threads_gone();
}

#[test]
fn a_malformed_packet_is_counted_the_packets_before_it_stand_and_the_connection_stays() {
    let _serial = serial();
    let (sim, _client, mut feed) = streaming_nifty();
    assert_eq!(feed.health().malformed, 0);
    sim.handle().inject(dhan_feed::sim::Fault::MalformedPacket);
    // The fault's message: a ticker of IDX_I:13 at 100.0, then a broken packet.
    let is_fault_ticker = |p: &MarketPacket| matches!(p, MarketPacket::Ticker(t) if t.ltp == 100.0);
    let (ps, cs) = collect(&mut feed, |ps| {
        ps.iter()
            .position(is_fault_ticker)
            .is_some_and(|i| ps.len() >= i + 5)
    });
    let at = ps
        .iter()
        .position(is_fault_ticker)
        .expect("the packet before the bad one");
    assert!(
        ps.len() >= at + 5,
        "data continues after it: {}",
        ps.len() - at
    );
    assert!(cs.is_empty(), "no reconnect: {cs:?}");
    // Health is published once per engine turn, after the events of that turn.
    let deadline = Instant::now() + Duration::from_secs(2);
    while feed.health().malformed == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let h = feed.health();
    assert_eq!((h.malformed, h.reconnects, h.live), (1, 0, 1), "{h:?}");
    // The good ticker after the bad packet, in the same message, arrived too.
    assert!(
        ps[at + 1..].iter().any(is_fault_ticker),
        "the walk went on past the bad packet"
    );
}

/// A packet longer than its kind (a field Dhan adds) used to end its message's
/// walk as malformed; it is decoded, counted as extended, and nothing is lost.
#[test]
fn a_lengthened_packet_is_decoded_and_counted_not_malformed() {
    let _serial = serial();
    let (sim, _client, mut feed) = streaming_nifty();
    sim.handle().inject(dhan_feed::sim::Fault::LengthenedPacket);
    let is_it = |p: &MarketPacket| matches!(p, MarketPacket::Ticker(t) if t.ltp == 101.0);
    let (ps, cs) = collect(&mut feed, |ps| ps.iter().any(is_it));
    assert!(ps.iter().any(is_it), "the lengthened ticker arrived");
    assert!(cs.is_empty(), "no reconnect: {cs:?}");
    let deadline = Instant::now() + Duration::from_secs(2);
    while feed.health().extended == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let h = feed.health();
    assert_eq!((h.extended, h.malformed), (1, 0), "{h:?}");
}

/// Code-0 packets (a heartbeat on the live feed) are counted, never malformed,
/// and the ticker stacked after one in the same message arrives.
#[test]
fn code_zero_packets_are_counted_as_heartbeats_not_errors() {
    let _serial = serial();
    let (sim, _client, mut feed) = streaming_nifty();
    sim.handle().inject(dhan_feed::sim::Fault::Heartbeat);
    let is_it = |p: &MarketPacket| matches!(p, MarketPacket::Ticker(t) if t.ltp == 102.0);
    let (ps, cs) = collect(&mut feed, |ps| ps.iter().any(is_it));
    assert!(
        ps.iter().any(is_it),
        "the ticker after the heartbeat arrived"
    );
    assert!(cs.is_empty(), "no reconnect: {cs:?}");
    let deadline = Instant::now() + Duration::from_secs(2);
    while feed.health().heartbeats < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let h = feed.health();
    assert_eq!((h.heartbeats, h.malformed), (2, 0), "{h:?}");
}

#[test]
fn disconnect_all_says_goodbye_on_each_feed_and_no_handle_stays_connected() {
    let _serial = serial();
    // A slow feed: the client's goodbye is not raced by unread data (a close with
    // unread bytes makes the kernel send a reset, which may discard it).
    let sim = plain_sim(20.0);
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let mut depth = client.depth20();
    depth
        .subscribe_labelled(&[(id("NSE_EQ:2885"), "RELIANCE")])
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(feed.connected() && depth.connected()) && Instant::now() < deadline {
        let _ = feed.try_recv();
        let _ = depth.recv_timeout(Duration::from_millis(5));
    }
    assert!(feed.connected() && depth.connected());
    client.disconnect_all();
    let deadline = Instant::now() + Duration::from_secs(3);
    while (feed.connected() || depth.connected()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!feed.connected() && !depth.connected());
    assert_eq!(depth.health().live, 0);
    for kind in [
        dhan_feed::proto::endpoint::FeedKind::MarketFeed,
        dhan_feed::proto::endpoint::FeedKind::Depth20,
    ] {
        assert!(sim.handle().wait_live(kind, 0, Duration::from_secs(3)));
    }
    // Each said goodbye as the SDKs do: {"RequestCode":12}, then a close frame.
    assert_eq!(sim.handle().stats().disconnect_requests, 2);
}

#[test]
fn a_busy_connection_still_says_goodbye() {
    let _serial = serial();
    // A simulator sending as fast as the socket takes: unread bytes at close would
    // make the kernel reset the connection, discarding the goodbye before the
    // server reads it (4 of 6 runs lost it before the client drained its socket
    // before closing; 16 of 16 kept it after).
    let sim = plain_sim(0.0);
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13"), id("IDX_I:25"), id("NSE_EQ:2885")])
        .unwrap();
    assert!(collect(&mut feed, |ps| ps.len() >= 200).0.len() >= 200);
    client.disconnect_all();
    assert!(sim.handle().wait_live(
        dhan_feed::proto::endpoint::FeedKind::MarketFeed,
        0,
        Duration::from_secs(3)
    ));
    assert_eq!(sim.handle().stats().disconnect_requests, 1);
}

#[test]
fn requests_after_disconnect_all_fail_with_stopped_and_change_nothing() {
    let _serial = serial();
    let sim = plain_sim(200.0);
    let client = client_for(&sim);
    let mut feed = client.market_feed(FeedMode::Ticker);
    feed.subscribe(&[id("IDX_I:13")]).unwrap();
    let (ps, _) = collect(&mut feed, |ps| !ps.is_empty());
    assert!(!ps.is_empty(), "data before the stop");
    client.disconnect_all();
    // The I/O thread ends after it has read the stop; until then requests still
    // reach it. A token rotation is a harmless probe.
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.set_access_token("probe").is_ok() {
        assert!(Instant::now() < deadline, "the I/O thread did not stop");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(matches!(
        client.set_access_token("again"),
        Err(dhan_feed::Error::Stopped)
    ));
    let err = feed.subscribe(&[id("IDX_I:25")]).unwrap_err();
    assert!(matches!(err, dhan_feed::Error::Stopped), "{err:?}");
    assert!(err.to_string().contains("stopped"), "{err}");
    assert_eq!(feed.subscriptions(), [id("IDX_I:13")], "unchanged");
    let err = feed.unsubscribe(&[id("IDX_I:13")]).unwrap_err();
    assert!(matches!(err, dhan_feed::Error::Stopped), "{err:?}");
    assert_eq!(feed.subscriptions(), [id("IDX_I:13")], "unchanged");
    let mut depth = client.depth20();
    let err = depth.subscribe(&[id("NSE_EQ:2885")]).unwrap_err();
    assert!(matches!(err, dhan_feed::Error::Stopped), "{err:?}");
    assert!(depth.subscriptions().is_empty(), "unchanged");
    assert!(!feed.connected() && !depth.connected());
}

#[test]
fn drain_fills_a_slice_on_every_handle() {
    let _serial = serial();
    let sim = Simulator::builder()
        .plain()
        .rate(500.0)
        .depth_rate(50.0)
        .order_interval(Some(Duration::from_millis(20)))
        .start()
        .unwrap();
    let client = client_for(&sim);
    let mut market = client.market_feed(FeedMode::Ticker);
    market.subscribe(&[id("IDX_I:13"), id("IDX_I:25")]).unwrap();
    let mut depth = client.depth20();
    depth.subscribe(&[id("NSE_EQ:2885")]).unwrap();
    let mut orders = client.order_updates();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut m, mut d, mut o) = (0, 0, 0);
    // Events are `#[non_exhaustive]`: the buffer starts as copies of a received one.
    let first = market
        .recv_timeout(Duration::from_secs(5))
        .expect("a first market event");
    let mut mbuf = [first; 8];
    let mut dbuf = [dhan_feed::DepthFeedEvent::Snapshot {
        id: id("NSE_EQ:1"),
        recv_ns: 0,
    }; 8];
    let mut obuf: Vec<dhan_feed::OrderEvent> = vec![dhan_feed::OrderEvent::Open; 8];
    while (m < 20 || d < 4 || o < 4) && Instant::now() < deadline {
        let n = market.drain(&mut mbuf);
        assert!(n <= mbuf.len());
        m += n;
        let n = depth.drain(&mut dbuf);
        d += n;
        o += orders.drain(&mut obuf);
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        m >= 20 && d >= 4 && o >= 4,
        "market {m}, depth {d}, orders {o}"
    );
    assert_eq!(market.drain(&mut []), 0, "an empty slice takes nothing");
    assert!(
        depth.subscriptions() == [id("NSE_EQ:2885")]
            && depth
                .book(id("NSE_EQ:2885"))
                .is_some_and(|b| b.label().as_str() == "NSE_EQ:2885"),
        "labelled by its SEGMENT:ID"
    );
}

#[test]
fn ring_capacities_past_the_limit_are_refused_with_a_clear_error() {
    let _serial = serial();
    let sim = plain_sim(10.0);
    for (name, cfg) in [
        (
            "ring_capacity",
            ClientConfig {
                ring_capacity: usize::MAX,
                ..sim.client_config()
            },
        ),
        (
            "depth_ring_capacity",
            ClientConfig {
                depth_ring_capacity: (1 << 22) + 1,
                ..sim.client_config()
            },
        ),
        (
            "order_ring_capacity",
            ClientConfig {
                order_ring_capacity: 1 << 40,
                ..sim.client_config()
            },
        ),
    ] {
        let err = Client::new(cfg).unwrap_err();
        assert!(
            matches!(
                err,
                dhan_feed::Error::Config(dhan_feed::ConfigError::RingCapacity { field, .. }) if field == name
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(name), "{err}");
    }
    let client = client_for(&sim);
    let err = client
        .market_feed_with(FeedMode::Ticker, usize::MAX, Overflow::DropNewest)
        .unwrap_err();
    assert!(
        err.to_string().contains("exceeds the most a ring holds"),
        "{err}"
    );
    // The same client still makes rings within the limit.
    let mut ok = client
        .market_feed_with(FeedMode::Ticker, 16, Overflow::DropNewest)
        .unwrap();
    ok.subscribe(&[id("IDX_I:13")]).unwrap();
}
