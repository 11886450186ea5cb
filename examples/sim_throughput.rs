//! How many market packets per second the simulator pushes over plain loopback
//! from one connection thread, against a raw-TCP baseline in the same run that
//! writes the same framed bytes with no simulation at all.
//!
//! Run: `cargo run --release --example sim_throughput -- [SECONDS] [INSTRUMENTS]`

use dhan_feed::Secret;
use dhan_feed::internals::ws::{Opcode, push_server_frame};
use dhan_feed::proto::endpoint::{FeedKind, request_target};
use dhan_feed::proto::market::Ltt;
use dhan_feed::proto::market_encode::{encode_packet, ticker};
use dhan_feed::proto::request::{FeedMode, encode_subscription};
use dhan_feed::proto::{ExchangeSegment, InstrumentId};
use dhan_feed::sim::{DEFAULT_ACCESS_TOKEN, DEFAULT_CLIENT_ID, Simulator};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Reads and discards until EOF; returns bytes read.
fn drain(mut s: TcpStream) -> u64 {
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return n,
            Ok(k) => n += k as u64,
        }
    }
}

fn baseline(secs: f64) -> f64 {
    // The same bytes the simulator writes for ticker packets: 18-byte frames.
    let mut pkt = Vec::new();
    encode_packet(
        &ticker(InstrumentId::new(ExchangeSegment::IdxI, 13), 1.0, Ltt(1)),
        &mut pkt,
    );
    let mut batch = Vec::new();
    for _ in 0..4096 {
        push_server_frame(true, Opcode::Binary, &pkt, &mut batch);
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let reader = std::thread::spawn(move || drain(TcpStream::connect(addr).unwrap()));
    let (mut w, _) = l.accept().unwrap();
    w.set_nodelay(true).unwrap();
    let start = Instant::now();
    let mut frames = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        w.write_all(&batch).unwrap();
        frames += 4096;
    }
    let el = start.elapsed().as_secs_f64();
    drop(w);
    reader.join().unwrap();
    frames as f64 / el
}

fn simulator(secs: f64, instruments: u32) -> f64 {
    let sim = Simulator::builder()
        .plain()
        .rate(0.0)
        .order_interval(None)
        .start()
        .unwrap();
    let mut tcp = TcpStream::connect(sim.addr()).unwrap();
    let target = request_target(
        FeedKind::MarketFeed,
        &Secret::new(DEFAULT_ACCESS_TOKEN),
        &Secret::new(DEFAULT_CLIENT_ID),
    );
    // A minimal client: upgrade, one subscribe, then read raw bytes as fast as possible.
    let req = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        sim.addr()
    );
    tcp.write_all(req.as_bytes()).unwrap();
    let mut resp = [0u8; 1024];
    let n = tcp.read(&mut resp).unwrap();
    assert!(resp[..n].starts_with(b"HTTP/1.1 101"));
    let ids: Vec<InstrumentId> = (0..instruments)
        .map(|i| InstrumentId::new(ExchangeSegment::NseFno, 40_000 + i))
        .collect();
    let mut msg = Vec::new();
    for chunk in ids.chunks(100) {
        encode_subscription(FeedMode::Ticker, true, chunk, &mut msg).unwrap();
        // Client frames are masked; a zero mask keeps the payload as is.
        let mut frame = vec![0x81u8];
        if msg.len() < 126 {
            frame.push(0x80 | msg.len() as u8);
        } else {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        }
        frame.extend_from_slice(&[0, 0, 0, 0]);
        frame.extend_from_slice(&msg);
        tcp.write_all(&frame).unwrap();
    }
    let h = sim.handle();
    let reader = std::thread::spawn(move || drain(tcp));
    std::thread::sleep(Duration::from_millis(300));
    let p0 = h.stats().packets;
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let p1 = h.stats().packets;
    let el = t0.elapsed().as_secs_f64();
    sim.stop();
    let _ = reader.join();
    (p1 - p0) as f64 / el
}

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3.0);
    let instruments: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let base = baseline(secs);
    let sim = simulator(secs, instruments);
    println!(
        "raw TCP loopback, same 18-byte frames : {:>6.2} M frames/s",
        base / 1e6
    );
    println!(
        "simulator, ticker, {instruments} instruments    : {:>6.2} M packets/s",
        sim / 1e6
    );
    println!(
        "ratio simulator / raw                  : {:>6.2}",
        sim / base
    );
    println!("RESULT sim_packets_per_s={sim:.0} raw_frames_per_s={base:.0}");
}
