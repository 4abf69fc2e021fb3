//! Memory: a buffer that cannot be had is an error (not an abort), a command that cannot fit is
//! refused with its need, and a run's estimated footprint matches what the run allocates.

use rbp_core::memory::{self, AllocError, Bytes};
use rbp_core::net::{Arch, Layout};
use rbp_core::optim::{Hyper, Optimizer, OptimizerKind};
use rbp_core::train::{RunFootprint, Trainer};

#[test]
fn an_impossible_buffer_is_an_error_naming_it() {
    let n = usize::MAX / 4;
    let err = memory::zeroed::<f32>(n, "the test buffer").unwrap_err();
    assert_eq!(
        err,
        AllocError {
            what: "the test buffer",
            bytes: n as u128 * 4
        }
    );
    assert!(err.to_string().contains("the test buffer"), "{err}");
    assert_eq!(memory::zeroed::<f64>(3, "three").unwrap(), vec![0.0; 3]);
}

#[test]
fn byte_counts_print_with_binary_units() {
    assert_eq!(Bytes(1023).to_string(), "1023 B");
    assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
    assert_eq!(Bytes(3 << 30).to_string(), "3.0 GiB");
}

#[cfg(target_os = "linux")]
#[test]
fn a_need_beyond_the_machine_is_refused_with_both_sizes() {
    let before = memory::available_bytes().expect("Linux reports MemAvailable");
    let err = memory::check_fits("the test", u128::MAX, "all of it".into()).unwrap_err();
    let after = memory::available_bytes().expect("Linux reports MemAvailable");
    assert_eq!(err.needed, u128::MAX);
    // MemAvailable moves as the tests running beside this one allocate and free: the error
    // reports the machine's figure of its moment, within a gigabyte of the readings around it.
    let (low, high) = (before.min(after), before.max(after));
    assert!(
        err.available + (1 << 30) >= low && err.available <= high + (1 << 30),
        "{} reported, {before} and {after} read around it",
        err.available
    );
    assert!(err.to_string().contains("all of it"), "{err}");
    assert!(memory::check_fits("the test", 1, String::new()).is_ok());
}

/// The estimate counts what the trainer and the optimizer really allocate for the weights
/// (R-BackProp's 8-byte coin seed aside), so the lab refuses the runs that could not hold them.
#[test]
fn the_footprint_counts_the_weights_and_optimizer_state_a_run_allocates() {
    let arch: Arch = "20-30-10-4".parse().unwrap();
    let layout = Layout::new(arch.clone()).unwrap();
    let n = layout.param_count();
    let trainer = Trainer::new(layout, vec![0.0; n], 10).unwrap();
    let held = (trainer.params().len() + trainer.grads().len()) * size_of::<f32>();
    for kind in OptimizerKind::ALL {
        let fp = RunFootprint::new(&arch, kind, 10);
        let opt = Optimizer::new(kind, &Hyper::default(), n, 0).unwrap();
        let coin = if kind == OptimizerKind::Rbp { 8 } else { 0 };
        assert_eq!(fp.weights, held as u128, "{kind:?}");
        assert_eq!(fp.optimizer + coin, opt.state_bytes() as u128, "{kind:?}");
        assert_eq!(fp.total(), fp.weights + fp.optimizer + fp.workspaces);
    }
    // Larger batches need larger work buffers.
    let small = RunFootprint::new(&arch, OptimizerKind::Sgd, 10).workspaces;
    let large = RunFootprint::new(&arch, OptimizerKind::Sgd, 1000).workspaces;
    assert!(large > small, "{small} vs {large}");
}

/// Sizes whose bytes overflow a usize are still counted, so they can be refused with a message.
#[test]
fn the_footprint_of_a_net_too_large_for_any_machine_does_not_overflow() {
    let arch: Arch = "100000-100000-100000".parse().unwrap();
    let fp = RunFootprint::new(&arch, OptimizerKind::Adam, 100);
    assert_eq!(fp.weights, 2 * 4 * 2 * 10u128.pow(10));
    assert_eq!(fp.optimizer, 2 * 4 * 2 * 10u128.pow(10));
}
