//! Classification heads: the PTB-XL benchmark's concat-pooling head, the group-FC head of
//! the label-correlation family, and a plain linear head.
use tch::{nn, nn::ModuleT, Kind, Tensor};

use super::{bn_config, linear};
use crate::summary::{linear_flops, linear_params, norm_params, Tracer};

/// Configuration of [`ConcatPoolHead`] (benchmark `create_head1d` with `lin_ftrs=[128]`).
#[derive(Debug, Clone, Copy)]
pub struct ConcatPoolHeadConfig {
    pub in_channels: i64,
    pub hidden: i64,
    pub num_classes: i64,
    pub dropout_in: f64,
    pub dropout_hidden: f64,
}

impl ConcatPoolHeadConfig {
    /// The benchmark's values: hidden 128, dropouts 0.25 and 0.5.
    pub fn benchmark(in_channels: i64, num_classes: i64) -> Self {
        ConcatPoolHeadConfig {
            in_channels,
            hidden: 128,
            num_classes,
            dropout_in: 0.25,
            dropout_hidden: 0.5,
        }
    }

    pub(crate) fn trace(&self, t: &mut Tracer, name: &str) {
        let c2 = 2 * self.in_channels;
        let params = norm_params(c2)
            + linear_params(c2, self.hidden, true)
            + norm_params(self.hidden)
            + linear_params(self.hidden, self.num_classes, true);
        let flops =
            linear_flops(c2, self.hidden, 1) + linear_flops(self.hidden, self.num_classes, 1);
        t.push(
            name,
            "concat-pool-head",
            vec![self.num_classes],
            params,
            flops,
        );
    }
}

/// concat(max-pool, avg-pool over time) → BN → dropout → linear → ReLU → BN → dropout →
/// linear K. Parameters `bn1.*`, `lin1.*`, `bn2.*`, `lin2.*`.
#[derive(Debug)]
pub struct ConcatPoolHead {
    bn1: nn::BatchNorm,
    lin1: nn::Linear,
    bn2: nn::BatchNorm,
    lin2: nn::Linear,
    cfg: ConcatPoolHeadConfig,
}

impl ConcatPoolHead {
    pub fn new(p: &nn::Path, cfg: &ConcatPoolHeadConfig) -> Self {
        let c2 = 2 * cfg.in_channels;
        ConcatPoolHead {
            bn1: nn::batch_norm1d(p / "bn1", c2, bn_config()),
            lin1: linear(p / "lin1", c2, cfg.hidden, true),
            bn2: nn::batch_norm1d(p / "bn2", cfg.hidden, bn_config()),
            lin2: linear(p / "lin2", cfg.hidden, cfg.num_classes, true),
            cfg: *cfg,
        }
    }

    /// `[batch, C, time]` → (`pooled [batch, 2C]` (max then mean), `logits [batch, K]`).
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> (Tensor, Tensor) {
        let pooled = Tensor::cat(
            &[xs.amax(-1, false), xs.mean_dim(-1, false, Kind::Float)],
            1,
        );
        let logits = self
            .bn1
            .forward_t(&pooled, train)
            .dropout(self.cfg.dropout_in, train)
            .apply(&self.lin1)
            .relu()
            .apply_t(&self.bn2, train)
            .dropout(self.cfg.dropout_hidden, train)
            .apply(&self.lin2);
        (pooled, logits)
    }
}

/// Group fully-connected head: one weight vector and bias per label,
/// `logit_k = w_k · z_k + b_k`. Parameters `weight [K, D]`, `bias [K]`.
#[derive(Debug)]
pub struct GroupFc {
    weight: Tensor,
    bias: Tensor,
}

/// Configuration of [`GroupFc`].
#[derive(Debug, Clone, Copy)]
pub struct GroupFcConfig {
    pub num_classes: i64,
    pub dim: i64,
}

impl GroupFcConfig {
    pub(crate) fn params(&self) -> i64 {
        self.num_classes * self.dim + self.num_classes
    }
}

impl GroupFc {
    pub fn new(p: &nn::Path, cfg: &GroupFcConfig) -> Self {
        let bound = 1.0 / (cfg.dim as f64).sqrt();
        GroupFc {
            weight: p.var(
                "weight",
                &[cfg.num_classes, cfg.dim],
                nn::Init::Uniform {
                    lo: -bound,
                    up: bound,
                },
            ),
            bias: p.var("bias", &[cfg.num_classes], nn::Init::Const(0.0)),
        }
    }

    /// `[batch, K, D]` → `[batch, K]`.
    pub fn forward(&self, zs: &Tensor) -> Tensor {
        (zs * &self.weight).sum_dim_intlist(-1, false, Kind::Float) + &self.bias
    }
}
