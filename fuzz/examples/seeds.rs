//! Writes seed corpora made by the encoders into `corpus/<target>/`.
//! Run from `fuzz/`: `cargo run --release --example seeds`.

use dhan_feed::internals::sample;
use dhan_feed::proto::DisconnectCode;
use dhan_feed::proto::capture::CaptureReader;
use dhan_feed::proto::global::{GlobalData, GlobalPacket};
use dhan_feed::proto::global_encode::{
    GLOBAL_DISCONNECT_REQUEST, GlobalMode, encode_global_packet, encode_global_request,
    global_encoded_len, global_packet_bytes,
};
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

/// One message per Global Stocks packet kind, a stacked message with a zero
/// length byte, and the standalone error form.
fn global_seeds() -> Vec<Vec<u8>> {
    let data = [
        GlobalData::Trade {
            ltp: 187.25,
            volume: 5_000,
            ltt: 1_795_789_800,
            lut: 1_795_789_801,
        },
        GlobalData::Ohlc {
            open: 10.0,
            close: 11.0,
            high: 12.0,
            low: 9.5,
        },
        GlobalData::MarketStatus {
            market_type: *b"US\0",
            status: 1,
        },
        GlobalData::PrevClose { prev_close: 99.5 },
        GlobalData::CircuitLimits {
            upper: 120.0,
            lower: 80.0,
        },
        GlobalData::Week52 {
            high: 130.0,
            low: 70.0,
        },
        GlobalData::Error {
            code: DisconnectCode(807),
        },
        GlobalData::Unknown { code: 77, len: 11 },
    ];
    let packet = |data, declared_len| GlobalPacket {
        segment: 32,
        security_id: 1234,
        second_id: 0,
        declared_len,
        data,
    };
    let mut seeds: Vec<Vec<u8>> = data
        .iter()
        .map(|&d| {
            let p = packet(d, 0);
            let len = global_encoded_len(&p) as u8;
            global_packet_bytes(&packet(d, len))
        })
        .collect();
    let mut stacked = Vec::new();
    for &d in &data[..4] {
        encode_global_packet(&packet(d, 0), &mut stacked);
    }
    seeds.push(stacked);
    seeds.push(global_packet_bytes(&packet(
        GlobalData::Error {
            code: DisconnectCode(805),
        },
        10,
    )));
    seeds
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

    write("global_packets", &global_seeds());

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
    for mode in GlobalMode::ALL {
        let mut out = Vec::new();
        encode_global_request(mode, true, &[1234, 5678], &mut out).expect("encodes");
        reqs.push(out);
    }
    reqs.push(GLOBAL_DISCONNECT_REQUEST.to_vec());
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
