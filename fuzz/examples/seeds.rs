//! Writes seed corpora made by the encoders into `corpus/<target>/`.
//! Run from `fuzz/`: `cargo run --release --example seeds`.

use dhan_feed::internals::sample;
use dhan_feed::proto::capture::CaptureReader;
use dhan_feed::proto::market_encode::encode_packet;
use dhan_feed::proto::order::{KeyCase, encode_order_update};
use dhan_feed::proto::request::{FeedMode, encode_depth200_subscribe, encode_subscription};
use dhan_feed::proto::{InstrumentId, OrderStatus};
use std::fs;
use std::path::Path;

fn records(file: &[u8]) -> Vec<Vec<u8>> {
    let mut r = CaptureReader::new(file);
    let mut v = Vec::new();
    while let Ok(Some(rec)) = r.next_record() {
        v.push(rec.payload.to_vec());
    }
    v
}

fn write(target: &str, seeds: &[Vec<u8>]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).expect("create corpus dir");
    for (i, s) in seeds.iter().enumerate() {
        fs::write(dir.join(format!("seed-{i:03}")), s).expect("write seed");
    }
    println!("{target}: {} seeds", seeds.len());
}

fn main() {
    let mut market = records(&sample::market_capture());
    let mut stacked = Vec::new();
    for p in sample::market_packets() {
        encode_packet(&p, &mut stacked);
    }
    market.push(stacked);
    write("market_packets", &market);

    let depth: Vec<Vec<u8>> = records(&sample::depth20_capture())
        .into_iter()
        .map(|m| [&[0u8][..], &m].concat())
        .collect();
    write("depth_packets", &depth);

    let mut orders = records(&sample::orders_capture());
    let mut m = Vec::new();
    encode_order_update(
        &sample::order_update("9", OrderStatus::Expired, 0),
        KeyCase::Snake,
        &mut m,
    );
    orders.push(m);
    write("order_json", &orders);

    let ids: Vec<InstrumentId> = ["NSE_EQ:1333", "IDX_I:13", "NSE_FNO:55796"]
        .iter()
        .map(|s| s.parse().expect("valid instrument"))
        .collect();
    let mut reqs = Vec::new();
    for mode in FeedMode::ALL {
        let mut out = Vec::new();
        encode_subscription(mode, true, &ids, &mut out).expect("encodes");
        reqs.push(out);
    }
    let mut out = Vec::new();
    encode_depth200_subscribe(ids[0], &mut out).expect("encodes");
    reqs.push(out);
    write("request_json", &reqs);

    let scripts: Vec<Vec<u8>> = dhan_feed::internals::check::driver::SEEDS
        .iter()
        .map(|s| s.to_vec())
        .collect();
    write("driver", &scripts);

    // Server byte streams: frames as the simulator writes them, whole and fragmented.
    use dhan_feed::internals::ws::{Opcode, push_server_frame};
    let mut stream = Vec::new();
    for p in sample::market_packets() {
        let mut pkt = Vec::new();
        encode_packet(&p, &mut pkt);
        push_server_frame(true, Opcode::Binary, &pkt, &mut stream);
    }
    let mut frag = Vec::new();
    push_server_frame(false, Opcode::Text, b"{\"Type\":", &mut frag);
    push_server_frame(true, Opcode::Ping, b"p", &mut frag);
    push_server_frame(true, Opcode::Continuation, b"\"order_alert\"}", &mut frag);
    push_server_frame(true, Opcode::Close, &[3, 232], &mut frag);
    write("ws_frames", &[stream, frag]);
}
