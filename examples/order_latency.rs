//! Order-update latency on plain loopback: from a server writing an `order_alert`
//! frame to the consumer holding the tracked `Update` event, for dhan-feed (I/O
//! thread, ring, tracker on a spinning consumer) and, in the same run against the
//! same server, a blocking tungstenite client doing the same parse (the
//! baseline). Two floors come after them, same server, same 1 KB message on raw
//! TCP without WebSocket or parse: a blocking reader (the kernel's loopback and
//! one thread wake-up) and a spinning non-blocking reader (the loopback alone).
//! Their difference is the wake-up cost by itself.
//!
//! The server writes one update per millisecond and stamps it just before the
//! write, into the message itself (a fixed-width `Remarks`), so it can run in
//! this process or in another one (`--server-process`: the example starts itself
//! again as the server). `--pin` pins the server (and with it dhan-feed's I/O
//! thread) to core 0 and every consumer to core 1.
//!
//! `cargo run --release --example order_latency -- [SAMPLES] [--server-process] [--pin]`

use dhan_feed::config::{ClientConfig, Endpoints};
use dhan_feed::feed::OrderEvent;
use dhan_feed::proto::OrderStatus;
use dhan_feed::proto::order::{KeyCase, OrderUpdate, OrderUpdateParser, encode_order_update};
use dhan_feed::{Client, Secret};
use hdrhistogram::Histogram;
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// Updates before the measured ones.
const WARM: u64 = 100;
/// The width of the stamp written into `Remarks`.
const STAMP: usize = 20;
/// The ways of reading, in the order the server serves them.
const RUNS: [&str; 4] = [
    "dhan-feed (I/O thread, ring, tracker)",
    "tungstenite blocking client + same parse",
    "floor: raw TCP, blocking reader",
    "floor: raw TCP, spinning reader",
];

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The update the server sends: its order number `i`, its `Remarks` a
/// placeholder for the stamp; and where the placeholder is.
fn template(i: u64) -> (Vec<u8>, usize) {
    let mut u = dhan_feed::internals::sample::order_update(&i.to_string(), OrderStatus::Pending, 0);
    u.remarks = dhan_feed::proto::text::Text::new(&"0".repeat(STAMP));
    let mut text = Vec::new();
    encode_order_update(&u, KeyCase::Pascal, &mut text);
    let at = memchr::memmem::find(&text, b"\"Remarks\":\"").expect("remarks") + 11;
    (text, at)
}

/// Nanoseconds of the wall clock: comparable across processes (a process's
/// `dhan_feed::now_ns` counts from its own start).
fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Writes `wall_ns()` into the placeholder at `at`.
fn stamp(text: &mut [u8], at: usize) {
    let digits = format!("{:0width$}", wall_ns(), width = STAMP);
    text[at..at + STAMP].copy_from_slice(digits.as_bytes());
}

/// The stamp in a received message's text.
fn stamp_of(text: &[u8], at: usize) -> u64 {
    std::str::from_utf8(&text[at..at + STAMP])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Pins the calling thread when `core` is set (failure ignored).
fn pin(core: Option<usize>) {
    if let Some(id) = core {
        core_affinity::set_for_current(core_affinity::CoreId { id });
    }
}

/// Serves the four runs one after the other, each on its own listener (so a
/// client that reconnects after its run cannot take the next run's place): `n`
/// updates each, 1 ms apart, stamped just before their write.
fn serve(listeners: Vec<TcpListener>, n: u64, core: Option<usize>) -> Result<(), Error> {
    pin(core);
    for (run, listener) in listeners.iter().enumerate() {
        let (stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        if run < 2 {
            let mut ws = tungstenite::accept(stream).map_err(|e| e.to_string())?;
            let _login = ws.read()?;
            for i in 0..n {
                std::thread::sleep(Duration::from_millis(1));
                let (mut text, at) = template(i);
                stamp(&mut text, at);
                ws.send(tungstenite::Message::Text(String::from_utf8(text)?.into()))?;
            }
            std::thread::sleep(Duration::from_millis(100));
        } else {
            let mut stream = stream;
            let (mut text, at) = template(0);
            for _ in 0..n {
                std::thread::sleep(Duration::from_millis(1));
                stamp(&mut text, at);
                stream.write_all(&text)?;
            }
        }
    }
    Ok(())
}

/// Records `t1 - t0` once past the warm-up.
fn record(h: &mut Histogram<u64>, seen: &mut u64, t0: u64, t1: u64) {
    *seen += 1;
    if *seen > WARM && t0 != 0 {
        h.record(t1.saturating_sub(t0)).expect("in range");
    }
}

fn ours(
    addr: SocketAddr,
    n: u64,
    consumer: Option<usize>,
    io: Option<usize>,
) -> Result<Histogram<u64>, Error> {
    let mut h = Histogram::<u64>::new(3)?;
    let client = Client::new(ClientConfig {
        client_id: Secret::new("1000000001"),
        access_token: Secret::new("token"),
        endpoints: Endpoints::all(&format!("ws://{addr}")),
        pin_core: io,
        ..ClientConfig::default()
    })?;
    let mut feed = client.order_updates();
    pin(consumer);
    let mut seen = 0;
    while seen < n {
        if let Some(OrderEvent::Update(u)) = feed.try_recv() {
            let t1 = wall_ns();
            let t0 = u.remarks.as_str().parse().unwrap_or(0);
            record(&mut h, &mut seen, t0, t1);
        }
    }
    Ok(h)
}

fn tungstenite_client(
    addr: SocketAddr,
    n: u64,
    core: Option<usize>,
) -> Result<Histogram<u64>, Error> {
    let mut h = Histogram::<u64>::new(3)?;
    pin(core);
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let (mut ws, _) =
        tungstenite::client(format!("ws://{addr}/"), stream).map_err(|e| e.to_string())?;
    ws.send(tungstenite::Message::Text("{\"LoginReq\":{}}".into()))?;
    let mut parser = OrderUpdateParser::new();
    let mut slot = OrderUpdate::default();
    let mut seen = 0;
    while seen < n {
        if let tungstenite::Message::Text(t) = ws.read()? {
            let mut t0 = None;
            parser.parse_frame(t.as_bytes(), &mut slot, |r| {
                if let Ok((_, u)) = r {
                    t0 = u.remarks.as_str().parse::<u64>().ok();
                }
            });
            let t1 = wall_ns();
            if let Some(t0) = t0 {
                record(&mut h, &mut seen, t0, t1);
            }
        }
    }
    Ok(h)
}

fn raw(addr: SocketAddr, n: u64, core: Option<usize>, spin: bool) -> Result<Histogram<u64>, Error> {
    let mut h = Histogram::<u64>::new(3)?;
    pin(core);
    let (text, at) = template(0);
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_nonblocking(spin)?;
    let mut buf = vec![0u8; text.len()];
    let mut seen = 0;
    while seen < n {
        let mut got = 0;
        while got < buf.len() {
            match stream.read(&mut buf[got..]) {
                Ok(0) => return Err("server closed".into()),
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::hint::spin_loop(),
                Err(e) => return Err(e.into()),
            }
        }
        let t1 = wall_ns();
        record(&mut h, &mut seen, stamp_of(&buf, at), t1);
    }
    Ok(h)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let samples: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(2000);
    let n = samples + WARM;
    let pinned = flag("--pin");
    let (server_core, consumer_core) = if pinned {
        (Some(0), Some(1))
    } else {
        (None, None)
    };

    let listen = || -> Result<Vec<TcpListener>, Error> {
        (0..RUNS.len())
            .map(|_| Ok(TcpListener::bind("127.0.0.1:0")?))
            .collect()
    };
    if flag("--serve") {
        // The server process: its addresses on one line of stdout, then the runs.
        let listeners = listen()?;
        let addrs: Vec<String> = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.to_string()))
            .collect::<Result<_, _>>()?;
        println!("{}", addrs.join(" "));
        std::io::stdout().flush()?;
        return serve(listeners, n, server_core);
    }

    let mut child = None;
    let mut server = None;
    let addrs: Vec<SocketAddr> = if flag("--server-process") {
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.arg(samples.to_string()).arg("--serve");
        if pinned {
            cmd.arg("--pin");
        }
        let mut c = cmd.stdout(std::process::Stdio::piped()).spawn()?;
        let mut line = String::new();
        std::io::BufReader::new(c.stdout.take().ok_or("child stdout")?).read_line(&mut line)?;
        child = Some(c);
        line.split_whitespace()
            .map(|a| a.parse())
            .collect::<Result<_, _>>()?
    } else {
        let listeners = listen()?;
        let addrs = listeners
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<_, _>>()?;
        server = Some(std::thread::spawn(move || serve(listeners, n, server_core)));
        addrs
    };
    if addrs.len() != RUNS.len() {
        return Err("the server gave no address for every run".into());
    }

    let results = [
        ours(addrs[0], n, consumer_core, server_core)?,
        tungstenite_client(addrs[1], n, consumer_core)?,
        raw(addrs[2], n, consumer_core, false)?,
        raw(addrs[3], n, consumer_core, true)?,
    ];
    if let Some(s) = server {
        s.join().map_err(|_| "server panicked")??;
    }
    if let Some(mut c) = child {
        c.wait()?;
    }

    println!(
        "{samples} order updates (~1 KB JSON), 1 per ms, plain loopback, server write -> consumer; server {}, {}:",
        if flag("--server-process") {
            "in another process"
        } else {
            "a thread of this process"
        },
        if pinned {
            "server and I/O thread on core 0, consumers on core 1"
        } else {
            "no pinning"
        }
    );
    for (name, h) in RUNS.iter().zip(&results) {
        println!(
            "{name:<42} p50 {:>6.1} µs  p99 {:>6.1} µs  p99.9 {:>7.1} µs  max {:>7.1} µs",
            h.value_at_quantile(0.5) as f64 / 1e3,
            h.value_at_quantile(0.99) as f64 / 1e3,
            h.value_at_quantile(0.999) as f64 / 1e3,
            h.max() as f64 / 1e3
        );
    }
    let [o, t, blocking, spinning] = &results;
    println!(
        "wake-up alone (blocking - spinning floor): p50 {:.1} µs; dhan-feed / tungstenite: p50 {:.2}, p99 {:.2}",
        (blocking.value_at_quantile(0.5) as f64 - spinning.value_at_quantile(0.5) as f64) / 1e3,
        o.value_at_quantile(0.5) as f64 / t.value_at_quantile(0.5) as f64,
        o.value_at_quantile(0.99) as f64 / t.value_at_quantile(0.99) as f64,
    );
    println!(
        "RESULT order_p50_ns={} order_p99_ns={} tungstenite_p50_ns={} tungstenite_p99_ns={} raw_blocking_p50_ns={} raw_spinning_p50_ns={}",
        o.value_at_quantile(0.5),
        o.value_at_quantile(0.99),
        t.value_at_quantile(0.5),
        t.value_at_quantile(0.99),
        blocking.value_at_quantile(0.5),
        spinning.value_at_quantile(0.5)
    );
    Ok(())
}
