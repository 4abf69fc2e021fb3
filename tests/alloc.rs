//! A steady-state training step allocates nothing, for every optimizer: the point of the one
//! parameter buffer and the workspaces allocated up front. A counting global allocator sees every
//! Rust heap allocation made by this thread (OpenBLAS's own buffers are not Rust's and are set up
//! once, when it starts).

use rbp_core::data::teacher;
use rbp_core::init::{self, Init};
use rbp_core::net::{Arch, Layout};
use rbp_core::optim::{Hyper, Optimizer, OptimizerKind};
use rbp_core::train::Trainer;
use rbp_lab::alloc_count::{CountingAlloc, Counts, is_installed};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const BATCH: usize = 50;
const TRAIN_SIZE: usize = 120;

/// Allocations made by `steps` training steps after two warm-up steps. The batches walk through
/// a training set that `BATCH` does not divide, so the short last batch of an epoch is included.
fn allocations_per_run(kind: OptimizerKind, steps: u64) -> Counts {
    let arch: Arch = "20-30-15-4".parse().unwrap();
    let layout = Layout::new(arch.clone()).unwrap();
    let split =
        teacher::teacher_student(arch.input_width(), arch.output_width(), TRAIN_SIZE, 3).unwrap();
    let params = init::initial_params(&layout, Init::Lecun, 3).unwrap();
    let mut opt = Optimizer::new(kind, &Hyper::default(), layout.param_count(), 11).unwrap();
    let mut trainer = Trainer::new(layout, params, BATCH).unwrap();
    let rows: Vec<usize> = (0..TRAIN_SIZE).rev().collect();
    let batches: Vec<&[usize]> = rows.chunks(BATCH).collect();
    let mut step = |t: u64| {
        if t.is_multiple_of(3) && t > 0 {
            opt.finish_epoch();
        }
        let loss = trainer.step(&split.train, batches[t as usize % batches.len()], &mut opt);
        assert!(loss.is_finite());
    };
    step(0);
    step(1);
    let before = Counts::this_thread();
    for t in 2..2 + steps {
        step(t);
    }
    Counts::this_thread().since(before)
}

#[test]
fn the_counting_allocator_counts() {
    assert!(is_installed());
    let before = Counts::this_thread();
    let v = std::hint::black_box(vec![0u8; 100]);
    let d = Counts::this_thread().since(before);
    drop(v);
    assert_eq!(d.allocs, 1);
    assert_eq!(d.bytes, 100);
}

/// Every optimizer, so one added later is covered without a new test. With OpenBLAS nothing is
/// allocated at all. The pure-Rust fallback, `matrixmultiply`, allocates its packing buffer inside
/// every product (outside our control); then exactly one allocation per product is allowed, so
/// any allocation of ours would still show.
#[test]
fn steady_state_steps_allocate_nothing() {
    let steps = 30;
    // Forward: one product per layer; backward: one gradient per layer, one error signal per
    // layer but the first. The test network has 3 weight layers.
    let products_per_step = 3 + 3 + 2;
    let expected_allocs = if rbp_core::gemm::HAS_OPENBLAS {
        0
    } else {
        steps * products_per_step
    };
    for kind in OptimizerKind::ALL {
        let counts = allocations_per_run(kind, steps);
        assert_eq!(
            counts.allocs,
            expected_allocs,
            "{} allocated during steady-state steps ({}): {counts:?}",
            kind.name(),
            rbp_core::gemm::backend_name()
        );
    }
}
