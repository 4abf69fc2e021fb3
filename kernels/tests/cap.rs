//! Capping the dispatch level (its own test binary: the cap is process-wide).

use rbp_kernels::{Level, activation, cap_level, update};

fn inputs(n: usize) -> Vec<f32> {
    (0..n).map(|i| (i as f32 * 0.37).sin() * 9.0).collect()
}

#[test]
fn a_cap_makes_the_dispatching_kernels_run_the_lower_level() {
    let supported = Level::supported();
    assert_eq!(Level::best(), supported, "no cap yet");
    if supported < Level::V4 {
        let err = cap_level(Level::V4).unwrap_err();
        assert_eq!(err.supported, supported);
        assert!(err.to_string().contains("not available"));
        assert_eq!(Level::best(), supported, "a refused cap changes nothing");
    }
    for level in Level::available().into_iter().rev() {
        cap_level(level).unwrap();
        assert_eq!(Level::best(), level);
        // The sigmoid differs between levels in its last bits (FMA or not), so it tells which
        // level actually ran: the dispatching call must equal the forced one exactly.
        let (mut dispatched, mut forced) = (inputs(1000), inputs(1000));
        activation::sigmoid_inplace(&mut dispatched);
        activation::sigmoid_inplace_at(level, &mut forced);
        assert_eq!(dispatched, forced, "{}", level.name());
        let (mut w, g) = (inputs(77), inputs(77));
        let mut expected = w.clone();
        update::sgd(&mut w, &g, 0.5);
        update::reference::sgd(&mut expected, &g, 0.5);
        assert_eq!(w, expected, "{}", level.name());
    }
    cap_level(Level::supported()).unwrap();
    assert_eq!(Level::best(), Level::supported());
}

#[test]
fn levels_are_named_and_ordered() {
    for level in [Level::Scalar, Level::V3, Level::V4] {
        assert_eq!(Level::from_name(level.name()), Some(level));
    }
    assert_eq!(Level::from_name("v5"), None);
    assert!(Level::Scalar < Level::V3 && Level::V3 < Level::V4);
}
