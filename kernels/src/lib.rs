//! Temporary scalar stand-in for the SIMD kernels (replaced by the pulp implementation).
pub mod rng {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct CoinKey {
        k0: u32,
        k1: u32,
    }
    fn splitmix64(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    impl CoinKey {
        pub fn new(seed: u64, t: u64) -> CoinKey {
            let h = splitmix64(splitmix64(seed) ^ t);
            CoinKey {
                k0: h as u32,
                k1: (h >> 32) as u32,
            }
        }
    }
    fn fmix32(mut h: u32) -> u32 {
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^ (h >> 16)
    }
    pub fn uniform24(key: CoinKey, index: u32) -> u32 {
        fmix32(fmix32(index ^ key.k0).wrapping_add(key.k1)) >> 8
    }
    pub fn threshold(p: f64) -> u32 {
        (p * (1u32 << 24) as f64)
            .round()
            .clamp(0.0, (1u32 << 24) as f64) as u32
    }
    pub fn coin(key: CoinKey, threshold: u32, index: u32) -> bool {
        uniform24(key, index) < threshold
    }
}
pub mod activation {
    pub fn sigmoid_inplace(x: &mut [f32]) {
        for v in x {
            *v = 1.0 / (1.0 + (-*v).exp());
        }
    }
    pub fn sigmoid_backward_inplace(delta: &mut [f32], s: &[f32]) {
        for (d, &s) in delta.iter_mut().zip(s) {
            *d *= s * (1.0 - s);
        }
    }
    pub fn output_error(kappa: &mut [f32], y: &[f32], target: &[f32]) -> f64 {
        let mut loss = 0.0f64;
        for ((k, &y), &t) in kappa.iter_mut().zip(y).zip(target) {
            let e = y - t;
            *k = e * y * (1.0 - y);
            loss += 0.5 * (e as f64) * (e as f64);
        }
        loss
    }
    pub fn quadratic_loss(y: &[f32], target: &[f32]) -> f64 {
        y.iter()
            .zip(target)
            .map(|(&y, &t)| 0.5 * ((y - t) as f64).powi(2))
            .sum()
    }
}
pub mod update {
    use crate::rng::{self, CoinKey};
    pub fn sgd(w: &mut [f32], g: &[f32], eta: f32) {
        for (w, &g) in w.iter_mut().zip(g) {
            *w -= eta * g;
        }
    }
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Reinforce {
        Accumulated,
        Raw,
    }
    #[derive(Clone, Copy, Debug)]
    pub struct RbpStep {
        pub eta: f32,
        pub key: CoinKey,
        pub threshold: u32,
        pub reinforce: Reinforce,
    }
    pub fn rbp(w: &mut [f32], g: &[f32], prev: &mut [f32], step: RbpStep) {
        for i in 0..w.len() {
            let gu = if rng::coin(step.key, step.threshold, i as u32) {
                g[i] + prev[i]
            } else {
                g[i]
            };
            w[i] -= step.eta * gu;
            prev[i] = match step.reinforce {
                Reinforce::Accumulated => gu,
                Reinforce::Raw => g[i],
            };
        }
    }
    #[derive(Clone, Copy, Debug)]
    pub struct AdamStep {
        pub lr: f32,
        pub beta1: f32,
        pub beta2: f32,
        pub eps: f32,
        pub bias1: f32,
        pub bias2: f32,
    }
    pub fn adam(w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], s: AdamStep) {
        for i in 0..w.len() {
            m[i] = s.beta1 * m[i] + (1.0 - s.beta1) * g[i];
            v[i] = s.beta2 * v[i] + (1.0 - s.beta2) * (g[i] * g[i]);
            w[i] -= s.lr * (m[i] / s.bias1) / ((v[i] / s.bias2).sqrt() + s.eps);
        }
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Scalar,
}
impl Level {
    pub fn best() -> Level {
        Level::Scalar
    }
    pub fn name(self) -> &'static str {
        "scalar"
    }
}
