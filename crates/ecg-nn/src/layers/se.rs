//! Squeeze-and-excitation (Hu et al. 2018) over the channel axis of a feature map of any rank.
use tch::{nn, Tensor};

use crate::summary::se_hidden;

/// Configuration of [`SqueezeExcite`].
#[derive(Debug, Clone, Copy)]
pub struct SqueezeExciteConfig {
    pub channels: i64,
    /// Reduction ratio r: the bottleneck has `max(channels / r, 1)` units.
    pub reduction: i64,
}

/// Global average over every axis after the channel axis → linear C→C/r → ReLU → linear
/// C/r→C → sigmoid → rescale the channels. Parameters `fc1.*`, `fc2.*`.
#[derive(Debug)]
pub struct SqueezeExcite {
    fc1: nn::Linear,
    fc2: nn::Linear,
}

impl SqueezeExcite {
    pub fn new(p: &nn::Path, cfg: &SqueezeExciteConfig) -> Self {
        let hidden = se_hidden(cfg.channels, cfg.reduction);
        SqueezeExcite {
            fc1: nn::linear(p / "fc1", cfg.channels, hidden, Default::default()),
            fc2: nn::linear(p / "fc2", hidden, cfg.channels, Default::default()),
        }
    }

    /// `[batch, C, ...]` → same shape, each channel scaled by its gate in (0, 1).
    pub fn forward(&self, xs: &Tensor) -> Tensor {
        let size = xs.size();
        let spatial: Vec<i64> = (2..size.len() as i64).collect();
        let z = xs.mean_dim(spatial.as_slice(), false, None); // [batch, C]
        let gate = z.apply(&self.fc1).relu().apply(&self.fc2).sigmoid(); // [batch, C]
        let mut view = vec![size[0], size[1]];
        view.extend(std::iter::repeat_n(1, size.len() - 2));
        xs * gate.view(view.as_slice())
    }
}
