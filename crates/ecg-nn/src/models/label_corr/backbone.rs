//! 2-D SE-ResNet backbone over `[batch, channels, leads, time]` (METHODS §4, Zhang & Sun 2024).
//!
//! Block A: conv 1×3 → BN → ReLU → conv 3×3 → BN → ReLU → conv 1×3 → BN → SE → avg-pool 1×p;
//! skip: max-pool 1×p (+ 1×1 conv with bias when channels change); sum → ReLU. METHODS lists
//! the average pool after the ReLU, but also requires the pooled skip to match the main path
//! at the sum, which only holds when the main path is pooled before the sum; we pool both
//! paths before the sum.
//! Block B: the same without pooling, identity skip.
use tch::{nn, Tensor};

use crate::layers::conv::{ConvBn2d, ConvBn2dConfig};
use crate::layers::se::{SqueezeExcite, SqueezeExciteConfig};
use crate::summary::{conv_flops, conv_params, norm_params, se_flops, se_params};

/// Configuration of [`SeBlock2d`]: `pool = Some(p)` makes a block A, `None` a block B.
#[derive(Debug, Clone, Copy)]
pub struct SeBlock2dConfig {
    pub cin: i64,
    pub cout: i64,
    pub pool: Option<i64>,
    pub se_reduction: i64,
}

impl SeBlock2dConfig {
    pub(crate) fn skip_conv(&self) -> bool {
        self.cin != self.cout
    }

    /// Trainable parameters (hand formula; checked against the VarStore in tests).
    pub fn params(&self) -> i64 {
        let (ci, co) = (self.cin, self.cout);
        let mut p = conv_params(ci, co, 3, 1, false)
            + conv_params(co, co, 9, 1, false)
            + conv_params(co, co, 3, 1, false)
            + 3 * norm_params(co)
            + se_params(co, self.se_reduction);
        if self.skip_conv() {
            p += conv_params(ci, co, 1, 1, true);
        }
        p
    }

    /// FLOPs for a `[leads, len]` input map producing `[leads, len_out]`.
    pub fn flops(&self, leads: i64, len: i64, len_out: i64) -> i64 {
        let (ci, co) = (self.cin, self.cout);
        let pos = leads * len;
        let mut f = conv_flops(ci, co, 3, 1, pos)
            + conv_flops(co, co, 9, 1, pos)
            + conv_flops(co, co, 3, 1, pos)
            + se_flops(co, self.se_reduction);
        if self.skip_conv() {
            f += conv_flops(ci, co, 1, 1, leads * len_out);
        }
        f
    }
}

/// One SE residual block over leads × time. Parameters `conv1.*`, `conv2.*`, `conv3.*`,
/// `se.*`, `skip.*` (block A with a channel change only).
#[derive(Debug)]
pub struct SeBlock2d {
    conv1: ConvBn2d,
    conv2: ConvBn2d,
    conv3: ConvBn2d,
    se: SqueezeExcite,
    skip: Option<nn::Conv2D>,
    pool: Option<i64>,
}

impl SeBlock2d {
    pub fn new(p: &nn::Path, cfg: &SeBlock2dConfig) -> Self {
        let (ci, co) = (cfg.cin, cfg.cout);
        SeBlock2d {
            conv1: ConvBn2d::new(
                &(p / "conv1"),
                &ConvBn2dConfig {
                    cin: ci,
                    cout: co,
                    kernel: [1, 3],
                    relu: true,
                },
            ),
            conv2: ConvBn2d::new(
                &(p / "conv2"),
                &ConvBn2dConfig {
                    cin: co,
                    cout: co,
                    kernel: [3, 3],
                    relu: true,
                },
            ),
            conv3: ConvBn2d::new(
                &(p / "conv3"),
                &ConvBn2dConfig {
                    cin: co,
                    cout: co,
                    kernel: [1, 3],
                    relu: false,
                },
            ),
            se: SqueezeExcite::new(
                &(p / "se"),
                &SqueezeExciteConfig {
                    channels: co,
                    reduction: cfg.se_reduction,
                },
            ),
            skip: cfg
                .skip_conv()
                .then(|| nn::conv(p / "skip", ci, co, [1, 1], Default::default())),
            pool: cfg.pool,
        }
    }

    /// `[batch, cin, leads, time]` → `[batch, cout, leads, time / pool]`.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let h = self.conv1.forward_t(xs, train); // [batch, cout, leads, time]
        let h = self.conv2.forward_t(&h, train);
        let h = self.se.forward(&self.conv3.forward_t(&h, train));
        let (main, skip) = match self.pool {
            Some(k) => (
                h.avg_pool2d([1, k], [1, k], [0, 0], false, true, None), // [batch, cout, leads, time / k]
                xs.max_pool2d([1, k], [1, k], [0, 0], [1, 1], false), // [batch, cin, leads, time / k]
            ),
            None => (h, xs.shallow_clone()),
        };
        let skip = match &self.skip {
            Some(c) => skip.apply(c),
            None => skip,
        };
        (main + skip).relu_()
    }
}
