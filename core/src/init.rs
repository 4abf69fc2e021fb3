//! Initial weights. The paper gives no initialization; `lecun` (N(0, 1/fan_in)) keeps the
//! pre-activations of every layer at unit scale, `normal` (N(0, 1)) is the other plausible reading.

use crate::memory::{self, AllocError};
use crate::named::named_enum;
use crate::net::Layout;
use crate::seed::{self, Stream};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Weight initialization scheme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// N(0, 1/fan_in): the default, keeping every layer's pre-activations at unit scale.
    #[default]
    Lecun,
    /// N(0, 1).
    Normal,
}

named_enum!(
    Init,
    "initialization",
    [(Lecun, "lecun"), (Normal, "normal")]
);

/// Draws the initial parameter buffer for run seed `seed` (the same for every optimizer).
pub fn initial_params(layout: &Layout, init: Init, seed: u64) -> Result<Vec<f32>, AllocError> {
    let mut rng = seed::rng(seed, Stream::Init);
    let mut params = memory::zeroed::<f32>(layout.param_count(), "the weights")?;
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
    Ok(params)
}
