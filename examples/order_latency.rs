//! Order-update latency on plain loopback: from a server writing an `order_alert`
//! frame to the consumer holding the tracked `Update` event, for dhan-feed (I/O
//! thread, ring, tracker on the consumer) and, in the same run against the same
//! server, a blocking tungstenite client doing the same parse (the baseline).
//! The server is a minimal tungstenite WebSocket server in this process that
//! stamps each frame just before writing it; one update per millisecond.
//!
//! `cargo run --release --example order_latency -- [SAMPLES]`

use dhan_feed::config::{ClientConfig, Endpoints};
use dhan_feed::feed::OrderEvent;
use dhan_feed::now_ns;
use dhan_feed::proto::OrderStatus;
use dhan_feed::proto::order::{KeyCase, OrderUpdate, OrderUpdateParser, encode_order_update};
use dhan_feed::{Client, Secret};
use hdrhistogram::Histogram;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WARM: u64 = 100;

/// Accepts one client, reads its login, then writes `n` updates 1 ms apart,
/// recording when each was handed to the socket.
fn serve(
    listener: &TcpListener,
    n: u64,
    stamps: Arc<Mutex<Vec<u64>>>,
) -> std::thread::JoinHandle<()> {
    let listener = listener.try_clone().expect("listener");
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream.set_nodelay(true).expect("nodelay");
        let mut ws = tungstenite::accept(stream).expect("upgrade");
        let _login = ws.read().expect("login");
        let mut text = Vec::new();
        for i in 0..n {
            std::thread::sleep(Duration::from_millis(1));
            let u =
                dhan_feed::internals::sample::order_update(&i.to_string(), OrderStatus::Pending, 0);
            encode_order_update(&u, KeyCase::Pascal, &mut text);
            let msg =
                tungstenite::Message::Text(String::from_utf8(text.clone()).expect("utf-8").into());
            // Stored before the write: the client may hold the event before `send`
            // returns.
            stamps.lock().expect("stamps").push(now_ns());
            ws.send(msg).expect("send");
        }
        std::thread::sleep(Duration::from_millis(100));
    })
}

fn record(h: &mut Histogram<u64>, stamps: &Mutex<Vec<u64>>, i: u64, t1: u64) {
    let t0 = stamps.lock().expect("stamps")[i as usize];
    if i >= WARM {
        h.record(t1.saturating_sub(t0)).expect("in range");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let samples: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let n = samples + WARM;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("ws://{}", listener.local_addr()?);

    // dhan-feed.
    let mut ours = Histogram::<u64>::new(3)?;
    let stamps = Arc::new(Mutex::new(Vec::new()));
    let server = serve(&listener, n, stamps.clone());
    {
        let client = Client::new(ClientConfig {
            client_id: Secret::new("1000000001"),
            access_token: Secret::new("token"),
            endpoints: Endpoints::all(&url),
            ..ClientConfig::default()
        })?;
        let mut feed = client.order_updates();
        let mut i = 0;
        while i < n {
            if let Some(OrderEvent::Update(u)) = feed.try_recv() {
                let t1 = now_ns();
                let k: u64 = u.order_no.as_str().parse()?;
                record(&mut ours, &stamps, k, t1);
                i += 1;
            }
        }
    }
    server.join().map_err(|_| "server panicked")?;

    // Baseline: a blocking tungstenite client, the same parse into a reused slot.
    let mut theirs = Histogram::<u64>::new(3)?;
    let stamps = Arc::new(Mutex::new(Vec::new()));
    let server = serve(&listener, n, stamps.clone());
    {
        let stream = std::net::TcpStream::connect(listener.local_addr()?)?;
        stream.set_nodelay(true)?;
        let (mut ws, _) =
            tungstenite::client(format!("{url}/"), stream).map_err(|e| e.to_string())?;
        ws.send(tungstenite::Message::Text("{\"LoginReq\":{}}".into()))?;
        let mut parser = OrderUpdateParser::new();
        let mut slot = OrderUpdate::default();
        let mut i = 0;
        while i < n {
            if let tungstenite::Message::Text(t) = ws.read()? {
                let mut k = None;
                parser.parse_frame(t.as_bytes(), &mut slot, |r| {
                    if let Ok((_, u)) = r {
                        k = u.order_no.as_str().parse::<u64>().ok();
                    }
                });
                let t1 = now_ns();
                if let Some(k) = k {
                    record(&mut theirs, &stamps, k, t1);
                    i += 1;
                }
            }
        }
    }
    server.join().map_err(|_| "server panicked")?;

    let show = |name: &str, h: &Histogram<u64>| {
        println!(
            "{name:<40} p50 {:>6.1} µs  p99 {:>6.1} µs  p99.9 {:>6.1} µs  max {:>7.1} µs",
            h.value_at_quantile(0.5) as f64 / 1e3,
            h.value_at_quantile(0.99) as f64 / 1e3,
            h.value_at_quantile(0.999) as f64 / 1e3,
            h.max() as f64 / 1e3
        );
    };
    println!(
        "{samples} order updates (~1 KB JSON), 1 per ms, plain loopback, server write -> consumer:"
    );
    show("dhan-feed (I/O thread, ring, tracker)", &ours);
    show("tungstenite blocking client + same parse", &theirs);
    println!(
        "RESULT order_p50_ns={} order_p99_ns={} tungstenite_p50_ns={} tungstenite_p99_ns={}",
        ours.value_at_quantile(0.5),
        ours.value_at_quantile(0.99),
        theirs.value_at_quantile(0.5),
        theirs.value_at_quantile(0.99)
    );
    Ok(())
}
