//! Model-checks the last-value cache's seqlock with loom: a reader never sees
//! half of one write and half of another, and never sees a write undone.
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --test cache_loom`
#![cfg(loom)]

use dhan_feed::internals::SeqLockPair;
use loom::sync::Arc;

/// Loom with at most two preemptions a run: every ordering bug of a seqlock
/// shows within that (each needs one preemption inside a write or a read).
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(f);
}

#[test]
fn a_reader_sees_whole_writes_in_order() {
    model(|| {
        let lock = Arc::new(SeqLockPair::default());
        let w = lock.clone();
        let writer = loom::thread::spawn(move || {
            for i in 1..=2u64 {
                // Two words that belong together: a torn read shows a != b.
                w.write(i, i * 10);
            }
        });
        let mut last = 0;
        for _ in 0..2 {
            let (a, b) = lock.read();
            assert_eq!(b, a * 10, "a torn read: {a} and {b}");
            assert!(a >= last, "a write seen undone: {a} after {last}");
            last = a;
        }
        writer.join().unwrap();
        assert_eq!(lock.read(), (2, 20));
    });
}

#[test]
fn two_readers_agree_with_the_writer() {
    model(|| {
        let lock = Arc::new(SeqLockPair::default());
        let r = lock.clone();
        let reader = loom::thread::spawn(move || {
            let (a, b) = r.read();
            assert_eq!(b, a * 10);
        });
        lock.write(1, 10);
        let (a, b) = lock.read();
        assert_eq!((a, b), (1, 10));
        reader.join().unwrap();
    });
}
