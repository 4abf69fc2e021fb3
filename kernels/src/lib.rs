//! Fused elementwise SIMD kernels for `rbp` (reinforced backpropagation,
//! Huang & Toyoizumi 2017).
//!
//! Slices in, slices out: there is no training logic here. Every kernel is a
//! single pass over memory, written once against pulp's generic [`pulp::Simd`]
//! trait and dispatched at run time to the best instruction set the CPU has
//! (AVX-512 [`Level::V4`], AVX2+FMA [`Level::V3`], else [`Level::Scalar`]).
//!
//! Layout of every kernel family:
//! * `kernel(...)` dispatches to [`Level::best`];
//! * `kernel_at(level, ...)` forces one level (tests and benchmarks);
//! * `reference::kernel(...)` is the plain scalar loop used as the oracle.
//!
//! Slice tails go through the same vector code via masked partial loads and
//! stores, so results never depend on a slice's length or alignment.
//!
//! | kernel | forced level | scalar reference |
//! |---|---|---|
//! | [`activation::sigmoid_inplace`] | [`activation::sigmoid_inplace_at`] | [`activation::reference::sigmoid_inplace`] |
//! | [`activation::sigmoid_backward_inplace`] | [`activation::sigmoid_backward_inplace_at`] | [`activation::reference::sigmoid_backward_inplace`] |
//! | [`activation::output_error`] | [`activation::output_error_at`] | [`activation::reference::output_error`] |
//! | [`activation::quadratic_loss`] | [`activation::quadratic_loss_at`] | [`activation::reference::quadratic_loss`] |
//! | [`update::sgd`] | [`update::sgd_at`] | [`update::reference::sgd`] |
//! | [`update::rbp`] / [`update::rbp_chunk`] | [`update::rbp_at`] / [`update::rbp_chunk_at`] | [`update::reference::rbp`] / [`update::reference::rbp_chunk`] |
//! | [`update::adam`] | [`update::adam_at`] | [`update::reference::adam`] |
//! | [`control::heavy_ball`] | [`control::heavy_ball_at`] | [`control::reference::heavy_ball`] |
//! | [`control::random_sign_chunk`] | [`control::random_sign_chunk_at`] | [`control::reference::random_sign_chunk`] |
//! | [`rng::fill_uniform24`] | [`rng::fill_uniform24_at`] | [`rng::reference::fill_uniform24`] (and [`rng::uniform24`] itself) |
//!
//! Exactness: the updates, the coin, `sigmoid_backward_inplace` and the
//! `kappa` output of `output_error` are bit-identical to their references at
//! every level (no FMA, same operation order). `sigmoid_inplace` is within
//! 2e-6 relative (it uses a polynomial `exp`, with FMA where available), and
//! the loss sums within 1.5e-6 relative (different summation order).

pub mod activation;
mod blocks;
pub mod control;
mod prefetch;
pub mod rng;
mod simd;
pub mod update;

use pulp::{Arch, Scalar, Simd, WithSimd};
use std::sync::atomic::{AtomicU8, Ordering};

/// Instruction-set levels a kernel can run at.
///
/// Tests iterate over [`Level::available`] and compare every level against
/// the scalar reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// One lane at a time, through the same generic code as the SIMD levels.
    Scalar,
    /// x86-64-v3: AVX2 + FMA, 8 f32 lanes.
    V3,
    /// x86-64-v4: AVX-512, 16 f32 lanes.
    V4,
}

impl Level {
    /// Every level this CPU can run, from `Scalar` up to the best.
    pub fn available() -> Vec<Level> {
        let mut levels = vec![Level::Scalar];
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            if pulp::x86::V3::try_new().is_some() {
                levels.push(Level::V3);
            }
            if pulp::x86::V4::try_new().is_some() {
                levels.push(Level::V4);
            }
        }
        levels
    }

    /// The best level this CPU supports (same choice as `pulp::Arch::new()`), whatever the cap.
    pub fn supported() -> Level {
        match Arch::new() {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Arch::V4(_) => Level::V4,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Arch::V3(_) => Level::V3,
            _ => Level::Scalar,
        }
    }

    /// The level the dispatching kernels use: [`Level::supported`], or the cap set by
    /// [`cap_level`] when that is lower.
    pub fn best() -> Level {
        let supported = Level::supported();
        match Level::from_rank(CAP.load(Ordering::Relaxed)) {
            Some(cap) if cap < supported => cap,
            _ => supported,
        }
    }

    /// Short lowercase name, for benchmark ids and log lines.
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::V3 => "v3",
            Level::V4 => "v4",
        }
    }

    /// The level named `name` (`scalar`, `v3` or `v4`).
    pub fn from_name(name: &str) -> Option<Level> {
        [Level::Scalar, Level::V3, Level::V4]
            .into_iter()
            .find(|l| l.name() == name)
    }

    fn from_rank(rank: u8) -> Option<Level> {
        [Level::Scalar, Level::V3, Level::V4]
            .into_iter()
            .find(|&l| l as u8 == rank)
    }
}

/// The highest level the dispatching kernels may use, as a [`Level`] discriminant; anything
/// else means no cap.
static CAP: AtomicU8 = AtomicU8::new(u8::MAX);

/// The CPU cannot run the level asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported {
    /// The level asked for.
    pub asked: Level,
    /// The best level this CPU has.
    pub supported: Level,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "kernels {} are not available on this CPU (it supports at most {})",
            self.asked.name(),
            self.supported.name()
        )
    }
}

impl std::error::Error for Unsupported {}

/// Makes every dispatching kernel run at `level` from now on, on every thread: to measure or
/// check the AVX2 (`V3`) or scalar code paths on a CPU that has AVX-512. Fails when the CPU
/// lacks `level`.
pub fn cap_level(level: Level) -> Result<(), Unsupported> {
    let supported = Level::supported();
    if level > supported {
        return Err(Unsupported {
            asked: level,
            supported,
        });
    }
    CAP.store(level as u8, Ordering::Relaxed);
    Ok(())
}

/// Runs `op` at the best level available (or allowed, see [`cap_level`]).
#[inline]
pub(crate) fn dispatch<Op: WithSimd>(op: Op) -> Op::Output {
    dispatch_at(Level::best(), op)
}

/// Runs `op` at exactly `level`.
///
/// # Panics
/// If the CPU does not support `level`.
#[inline]
pub(crate) fn dispatch_at<Op: WithSimd>(level: Level, op: Op) -> Op::Output {
    match level {
        Level::Scalar => Simd::vectorize(Scalar::new(), op),
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Level::V3 => Simd::vectorize(
            pulp::x86::V3::try_new().expect("Level::V3 (AVX2+FMA) is not available on this CPU"),
            op,
        ),
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Level::V4 => Simd::vectorize(
            pulp::x86::V4::try_new().expect("Level::V4 (AVX-512) is not available on this CPU"),
            op,
        ),
        #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
        _ => panic!("level {level:?} is not available on this architecture"),
    }
}

/// Asserts that a buffer can be indexed by `u32` (the coin hashes 32-bit indices).
#[inline]
pub(crate) fn assert_u32_len(len: usize, what: &str) {
    assert!(
        u32::try_from(len).is_ok(),
        "{what}: buffer of {len} elements exceeds the 2^32 - 1 element limit"
    );
}
