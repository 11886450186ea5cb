//! One connection's protocol (`session::Driver`) against a model server, over
//! random operation sequences: the same checker as the `driver` fuzz target, on
//! its seeds, on seeds spliced together, and on random bytes.

use dhan_feed::internals::check::driver;
use proptest::prelude::*;

#[test]
fn the_seeds_hold_the_invariants_and_reach_every_path_they_name() {
    let mut sum = driver::Totals::default();
    for (i, seed) in driver::SEEDS.iter().enumerate() {
        let t =
            driver::run(seed).unwrap_or_else(|v| panic!("seed {i}: step {}: {}", v.step, v.what));
        assert!(t.lives >= 1, "seed {i} never went live: {t:?}");
        sum.reconnects += t.reconnects;
        sum.resubscriptions_checked += t.resubscriptions_checked;
        sum.refusals += t.refusals;
        sum.fatal += t.fatal;
        sum.closes += t.closes;
    }
    assert!(sum.reconnects >= 4, "{sum:?}");
    assert!(sum.resubscriptions_checked >= 4, "{sum:?}");
    assert!(sum.refusals >= 1, "{sum:?}");
    assert!(sum.fatal >= 2, "{sum:?}");
    assert!(sum.closes >= 3, "{sum:?}");
}

/// Inputs longer than `MAX_STEPS` operations end there: the fuzz target's
/// `-max_len` need not exceed twice that (plus raw bytes).
#[test]
fn a_run_stops_after_max_steps_operations() {
    let ops = vec![0u8; 4 * driver::MAX_STEPS];
    let t = driver::run(&ops).expect("time passing breaks nothing");
    assert_eq!(t.steps, driver::MAX_STEPS);
    assert_eq!(t.connects, 0, "nothing wanted, nothing opened");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn driver_invariants_hold_for_any_sequence(ops in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Err(v) = driver::run(&ops) {
            prop_assert!(false, "invariant broken at step {}: {}", v.step, v.what);
        }
    }

    /// Sequences built from the seeds' vocabulary go live, drop and come back, so
    /// the subscription properties are exercised, not only the idle paths.
    #[test]
    fn driver_invariants_hold_for_spliced_seeds(picks in proptest::collection::vec((0..driver::SEEDS.len(), any::<u8>(), any::<u8>()), 1..6)) {
        let mut ops = Vec::new();
        for (i, op, arg) in picks {
            ops.extend_from_slice(driver::SEEDS[i]);
            ops.extend_from_slice(&[op, arg]);
        }
        match driver::run(&ops) {
            Ok(t) => prop_assert!(t.lives >= 1, "{t:?}"),
            Err(v) => prop_assert!(false, "invariant broken at step {}: {}", v.step, v.what),
        }
    }
}
