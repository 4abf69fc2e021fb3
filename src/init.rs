//! Initial weights. The paper gives no initialization; `lecun` (N(0, 1/fan_in)) keeps the
//! pre-activations of every layer at unit scale, `normal` (N(0, 1)) is the other plausible reading.

use crate::net::Layout;
use crate::seed::{self, Stream};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Weight initialization scheme (`--init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// N(0, 1/fan_in).
    Lecun,
    /// N(0, 1).
    Normal,
}

impl Init {
    pub fn name(self) -> &'static str {
        match self {
            Init::Lecun => "lecun",
            Init::Normal => "normal",
        }
    }
}

/// Draws the initial parameter buffer for run seed `seed` (the same for every optimizer).
pub fn initial_params(layout: &Layout, init: Init, seed: u64) -> Vec<f32> {
    let mut rng = seed::rng(seed, Stream::Init);
    let mut params = vec![0.0f32; layout.param_count()];
    for l in 0..layout.arch().depth() {
        let (fan_in, _) = layout.layer_shape(l);
        let scale = match init {
            Init::Lecun => (1.0 / fan_in as f64).sqrt() as f32,
            Init::Normal => 1.0,
        };
        for w in &mut params[layout.layer_range(l)] {
            let z: f32 = rng.sample(StandardNormal);
            *w = scale * z;
        }
    }
    params
}
