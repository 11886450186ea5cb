//! Order-update frames: never a panic; error offsets lie inside the frame; every
//! parsed update re-encodes (in every key case) and parses back to itself.
#![no_main]

use dhan_feed::proto::order::{
    KeyCase, OrderMessageKind, OrderUpdate, OrderUpdateParser, encode_order_update,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parser = OrderUpdateParser::new();
    let mut check = OrderUpdateParser::new();
    let mut slot = OrderUpdate::EMPTY;
    let mut updates = Vec::new();
    parser.parse_frame(data, &mut slot, |r| match r {
        Ok((OrderMessageKind::Update, u)) => updates.push(*u),
        Ok(_) => {}
        Err(e) => assert!(e.offset() <= data.len()),
    });
    let mut buf = Vec::new();
    let mut back = OrderUpdate::EMPTY;
    for u in &updates {
        for case in [
            KeyCase::Pascal,
            KeyCase::Camel,
            KeyCase::Lower,
            KeyCase::Snake,
        ] {
            encode_order_update(u, case, &mut buf);
            let k = check
                .parse_object(&buf, 0, &mut back)
                .expect("re-encoded update parses");
            assert_eq!(k, OrderMessageKind::Update);
            // Compare through the encoder: NaN cannot occur (JSON has none), but -0.0 == 0.0.
            let mut a = Vec::new();
            encode_order_update(&back, KeyCase::Pascal, &mut a);
            let mut b = Vec::new();
            encode_order_update(u, KeyCase::Pascal, &mut b);
            assert_eq!(a, b);
        }
    }
});
