//! The lifecycle's invariants over random operation sequences (the checker the
//! `driver` fuzz target grew from), plus scripted seeds.

use dhan_feed::internals::check;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn lifecycle_invariants_hold_for_any_sequence(ops in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Err(v) = check::run(&ops) {
            prop_assert!(false, "invariant broken at step {}: {}", v.step, v.what);
        }
    }

    /// Sequences built from the seeds' vocabulary reach live often, so the
    /// subscription property is exercised, not only the idle paths.
    #[test]
    fn lifecycle_invariants_hold_for_spliced_seeds(picks in proptest::collection::vec((0usize..5, any::<u8>()), 1..40)) {
        let mut ops = Vec::new();
        for (i, salt) in picks {
            ops.extend_from_slice(check::SEEDS[i]);
            ops.extend_from_slice(&[salt % 14, salt]);
        }
        match check::run(&ops) {
            Ok(t) => prop_assert!(t.lives >= 1),
            Err(v) => prop_assert!(false, "invariant broken at step {}: {}", v.step, v.what),
        }
    }
}
