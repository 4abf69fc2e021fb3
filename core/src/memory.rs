//! Memory: what the machine has, and allocations that fail with an error instead of aborting the
//! process.
//!
//! A size that cannot fit (a training set of 10^8 examples, a layer of 10^5 x 10^5 weights) must
//! be refused before any work, with the need and the memory available in the message; the lab
//! estimates a whole command (with `train::RunFootprint`) and refuses it with [`check_fits`].
//! Large buffers are allocated with [`zeroed`], so an allocation that still fails becomes an
//! [`AllocError`].
//!
//! A leaf: it imports nothing of the crate, so every module that allocates (net, optim, train,
//! ...) can use it without a cycle. What a run needs is estimated beside training instead.

use std::fmt;

/// A buffer that could not be allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot allocate {what}: {} needed", Bytes(*.bytes))]
pub struct AllocError {
    /// What the buffer was for.
    pub what: &'static str,
    /// Its size.
    pub bytes: u128,
}

/// A command that needs more memory than the machine has available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} needs about {} of memory ({breakdown}), but only {} is available; \
     use smaller sizes or fewer parallel runs",
    Bytes(*.needed),
    Bytes(*.available)
)]
pub struct MemoryError {
    /// The work being refused.
    pub what: String,
    /// Bytes it needs.
    pub needed: u128,
    /// Bytes available.
    pub available: u128,
    /// Where the need comes from, in words.
    pub breakdown: String,
}

/// A byte count printed with a binary unit (`1.5 GiB`).
#[derive(Clone, Copy, Debug)]
pub struct Bytes(pub u128);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 {
            write!(f, "{} B", self.0)
        } else {
            write!(f, "{value:.1} {}", UNITS[unit])
        }
    }
}

/// A vector of `n` zeros, or an error naming `what` when the memory cannot be had (a plain
/// `vec![0.0; n]` would abort the process instead).
pub fn zeroed<T: Clone + Default>(n: usize, what: &'static str) -> Result<Vec<T>, AllocError> {
    let mut v = Vec::new();
    let bytes = n as u128 * size_of::<T>() as u128;
    v.try_reserve_exact(n)
        .map_err(|_| AllocError { what, bytes })?;
    v.resize(n, T::default());
    Ok(v)
}

/// Bytes the operating system says can be allocated without swapping (`MemAvailable` on Linux),
/// or `None` where that is not known.
pub fn available_bytes() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Refuses `needed` bytes of `what` when the machine reports less available; `breakdown` says
/// where the need comes from. Passes when the available memory is unknown.
pub fn check_fits(what: &str, needed: u128, breakdown: String) -> Result<(), MemoryError> {
    match available_bytes() {
        Some(available) if needed > available => Err(MemoryError {
            what: what.to_string(),
            needed,
            available,
            breakdown,
        }),
        _ => Ok(()),
    }
}
