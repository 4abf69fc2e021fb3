//! Independent, reproducible random streams derived from one run seed.
//!
//! A run seed fixes the data, the initial weights and the mini-batch order, identically for every
//! optimizer (so comparisons are paired); the R-BackProp coin has its own stream, so adding or
//! removing reinforcement never shifts any other draw.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; each gets statistically independent numbers from the same seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// The data of a run (the toy teacher and its examples).
    Data = 1,
    /// The initial weights.
    Init = 2,
    /// The mini-batch order.
    Order = 3,
    /// R-BackProp's coin.
    Coin = 4,
    /// Which MNIST images a run draws.
    Subset = 5,
}

/// splitmix64 finaliser: a bijective 64-bit mixer.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 64-bit seed of `stream` for run seed `seed`.
pub fn stream_seed(seed: u64, stream: Stream) -> u64 {
    mix64(mix64(seed) ^ (stream as u64).wrapping_mul(0xd1b5_4a32_d192_ed03))
}

/// A deterministic generator for `stream` of run seed `seed`.
pub fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(stream_seed(seed, stream))
}
