//! Shared helpers for the integration tests: a tiny deterministic generator
//! (no dev-dependency needed) and the slice lengths every kernel is checked at.
#![allow(dead_code)]

/// splitmix64 stream: deterministic test data, independent of the crate's coin.
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }

    pub fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

/// Every length 0..=70 (all head/tail splits for 4, 8 and 16 lanes, and the
/// kernels' unrolled blocks of 4 vectors, 32 or 64 elements, with every
/// remainder of whole vectors and tail around one and two blocks), lengths
/// around two 16-lane blocks and around the loss's 16-vector f32 block
/// (128 or 256 elements), a block plus a partial one, and a large odd length.
pub fn lengths() -> Vec<usize> {
    let mut v: Vec<usize> = (0..=70).collect();
    v.extend([127, 128, 129, 255, 256, 257, 325, 100_003]);
    v
}

/// Element offsets used to build unaligned sub-slices (`&buf[off..off + len]`).
pub const OFFSETS: [usize; 3] = [0, 1, 3];

/// Bitwise slice equality with a useful failure message.
pub fn assert_bits_eq(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g.to_bits(),
            w.to_bits(),
            "{what}: element {i} differs: got {g:e}, want {w:e}"
        );
    }
}
