//! Order-update frames: never a panic; error offsets lie inside the frame; every
//! parsed update re-encodes (in every key case) and parses back to itself; every
//! object gives the same result and update on the fast path (fresh, and after
//! learning Dhan's key order) as on simd-json's tape.
#![no_main]

use dhan_feed::internals::json::split_values;
use dhan_feed::proto::order::{
    KeyCase, OrderMessageKind, OrderUpdate, OrderUpdateParser, encode_order_update,
};
use libfuzzer_sys::fuzz_target;

/// The fast path (inside `parse_frame` and `parse_object`) against the tape:
/// the same calls with the same results and updates, frame and object.
fn differential(data: &[u8]) {
    type Seen = Vec<(Result<OrderMessageKind, String>, Vec<u8>)>;
    let record =
        |seen: &mut Seen,
         r: Result<(OrderMessageKind, &OrderUpdate), dhan_feed::proto::order::OrderError>| {
            let mut enc = Vec::new();
            let r = match r {
                Ok((k, u)) => {
                    encode_order_update(u, KeyCase::Pascal, &mut enc);
                    Ok(k)
                }
                Err(e) => Err(format!("{e:?}")),
            };
            seen.push((r, enc));
        };
    let mut slot = OrderUpdate::EMPTY;
    let mut fast: Seen = Vec::new();
    OrderUpdateParser::new().parse_frame(data, &mut slot, |r| record(&mut fast, r));
    // A parser that learned Dhan's key order first: the keys of `data` are then
    // compared with the predicted ones before any lookup.
    let mut learned: Seen = Vec::new();
    learned_parser().parse_frame(data, &mut slot, |r| record(&mut learned, r));
    assert_eq!(fast, learned, "a learned key order changed the results");
    // The reference: every value split out, each through the tape.
    let mut tape: Seen = Vec::new();
    let mut p = OrderUpdateParser::new();
    for range in split_values(data) {
        match range {
            Ok(r) => {
                let res = p.parse_object_tape(&data[r.clone()], r.start, &mut slot);
                let partial = matches!(
                    res,
                    Err(dhan_feed::proto::order::OrderError::BadField { .. })
                );
                record(&mut tape, res.map(|k| (k, &slot)));
                if partial {
                    record(&mut tape, Ok((OrderMessageKind::Update, &slot)));
                }
            }
            Err(e) => record(
                &mut tape,
                Err(dhan_feed::proto::order::OrderError::Split(e)),
            ),
        }
    }
    assert_eq!(fast, tape, "frame results differ");
}

/// A parser that has parsed the sample update (PascalCase) twice.
fn learned_parser() -> OrderUpdateParser {
    let mut p = OrderUpdateParser::new();
    let mut msg = Vec::new();
    let u = dhan_feed::internals::sample::order_update(
        "52260111",
        dhan_feed::proto::OrderStatus::PartTraded,
        40,
    );
    encode_order_update(&u, KeyCase::Pascal, &mut msg);
    let mut slot = OrderUpdate::EMPTY;
    for _ in 0..2 {
        assert!(p.parse_object(&msg, 0, &mut slot).is_ok());
    }
    p
}

fuzz_target!(|data: &[u8]| {
    differential(data);
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
