//! Model-checks the ring's memory orderings with loom.
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --test ring_loom`
#![cfg(loom)]

use dhan_feed::internals::ring::ring;

#[test]
fn every_value_arrives_once_in_order() {
    loom::model(|| {
        let (mut p, mut c) = ring::<(u32, u32)>(2);
        let t = loom::thread::spawn(move || {
            let mut i = 0u32;
            while i < 3 {
                // The pair is written as two fields: a torn read would show a != b.
                if p.push((i, i)).is_ok() {
                    i += 1;
                } else {
                    loom::thread::yield_now();
                }
            }
        });
        let mut want = 0u32;
        while want < 3 {
            match c.pop() {
                Some((a, b)) => {
                    assert_eq!((a, b), (want, want));
                    want += 1;
                }
                None => loom::thread::yield_now(),
            }
        }
        t.join().unwrap();
    });
}

#[test]
fn values_built_in_place_arrive_whole_and_in_order() {
    loom::model(|| {
        let (mut p, mut c) = ring::<(u32, u32)>(2);
        let t = loom::thread::spawn(move || {
            let mut i = 0u32;
            while i < 3 {
                if p.push_with(|| (i, i)) {
                    i += 1;
                } else {
                    loom::thread::yield_now();
                }
            }
        });
        let mut want = 0u32;
        while want < 3 {
            match c.pop() {
                Some((a, b)) => {
                    assert_eq!((a, b), (want, want));
                    want += 1;
                }
                None => loom::thread::yield_now(),
            }
        }
        t.join().unwrap();
    });
}

#[test]
fn values_filled_in_place_arrive_whole_and_declined_ones_never() {
    loom::model(|| {
        let (mut p, mut c) = ring::<(u32, u32)>(2);
        let t = loom::thread::spawn(move || {
            // Odd values are declined after being written into the slot: the
            // consumer must never see them, nor a half-filled pair.
            let mut i = 0u32;
            while i < 5 {
                match p.push_in_place(
                    || (i, 0),
                    |v| {
                        v.1 = v.0;
                        v.0 % 2 == 0
                    },
                ) {
                    Some(_) => i += 1,
                    None => loom::thread::yield_now(),
                }
            }
        });
        let mut want = 0u32;
        while want <= 4 {
            match c.pop() {
                Some((a, b)) => {
                    assert_eq!((a, b), (want, want));
                    want += 2;
                }
                None => loom::thread::yield_now(),
            }
        }
        assert_eq!(c.pop(), None);
        t.join().unwrap();
    });
}
