//! SE-ResNet-1D with a linear head (Zhou et al. 2024's plain student).
//!
//! stem: conv k(stem_kernel) → BN → ReLU; stages of [`SeBlock1d`]; global average pool →
//! dropout → linear K.
use serde::{Deserialize, Serialize};
use tch::{nn, Kind, Tensor};

use super::{assert_leads, positive, probability};
use crate::error::NnError;
use crate::layers::conv::{ConvBn1d, ConvBn1dConfig};
use crate::layers::linear;
use crate::layers::se::{SqueezeExcite, SqueezeExciteConfig};
use crate::net::{EcgNet, NetOutput};
use crate::spec::ModelSpec;
use crate::summary::{
    conv_flops, conv_params, linear_flops, linear_params, norm_params, se_flops, se_params, Tracer,
    Window,
};

/// One stage: `blocks` residual blocks at `channels`, the first with `stride`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageConfig {
    pub channels: i64,
    pub blocks: i64,
    pub stride: i64,
}

/// Configuration of [`SeResNet1d`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeResNet1dConfig {
    pub stem_channels: i64,
    pub stem_kernel: i64,
    pub stages: Vec<StageConfig>,
    /// Kernel of each block's first convolution (the second is 3).
    pub kernel: i64,
    pub se_reduction: i64,
    /// Dropout before the linear head.
    pub dropout: f64,
}

/// Configuration of [`SeBlock1d`].
#[derive(Debug, Clone, Copy)]
pub struct SeBlock1dConfig {
    pub cin: i64,
    pub cout: i64,
    pub kernel: i64,
    pub stride: i64,
    pub se_reduction: i64,
}

impl SeBlock1dConfig {
    pub(crate) fn has_projection(&self) -> bool {
        self.stride != 1 || self.cin != self.cout
    }

    /// Trainable parameters of the block.
    pub fn params(&self) -> i64 {
        let (ci, co) = (self.cin, self.cout);
        let mut p = conv_params(ci, co, self.kernel, 1, false)
            + norm_params(co)
            + conv_params(co, co, 3, 1, false)
            + norm_params(co)
            + se_params(co, self.se_reduction);
        if self.has_projection() {
            p += conv_params(ci, co, 1, 1, false) + norm_params(co);
        }
        p
    }

    fn trace(&self, t: &mut Tracer, name: &str, len: i64) -> Result<i64, NnError> {
        let out = t.window(
            name,
            len,
            Window::new(self.kernel, self.stride, (self.kernel - 1) / 2),
        )?;
        let (ci, co) = (self.cin, self.cout);
        let mut flops = conv_flops(ci, co, self.kernel, 1, out)
            + conv_flops(co, co, 3, 1, out)
            + se_flops(co, self.se_reduction);
        if self.has_projection() {
            flops += conv_flops(ci, co, 1, 1, out);
        }
        t.push(
            name,
            "se-basic-block-1d",
            vec![co, out],
            self.params(),
            flops,
        );
        Ok(out)
    }
}

/// conv k/stride → BN → ReLU → conv 3 → BN → SE, plus the skip (identity, or 1×1 conv/stride
/// + BN when the shape changes), → ReLU. Parameters `conv1.*`, `conv2.*`, `se.*`, `skip.*`.
#[derive(Debug)]
pub struct SeBlock1d {
    conv1: ConvBn1d,
    conv2: ConvBn1d,
    se: SqueezeExcite,
    skip: Option<ConvBn1d>,
}

impl SeBlock1d {
    pub fn new(p: &nn::Path, cfg: &SeBlock1dConfig) -> Self {
        let skip = cfg.has_projection().then(|| {
            ConvBn1d::new(
                &(p / "skip"),
                &ConvBn1dConfig {
                    cin: cfg.cin,
                    cout: cfg.cout,
                    kernel: 1,
                    stride: cfg.stride,
                    padding: 0,
                    relu: false,
                },
            )
        });
        SeBlock1d {
            conv1: ConvBn1d::new(
                &(p / "conv1"),
                &ConvBn1dConfig::same(cfg.cin, cfg.cout, cfg.kernel).stride(cfg.stride),
            ),
            conv2: ConvBn1d::new(
                &(p / "conv2"),
                &ConvBn1dConfig::same(cfg.cout, cfg.cout, 3).no_relu(),
            ),
            se: SqueezeExcite::new(
                &(p / "se"),
                &SqueezeExciteConfig {
                    channels: cfg.cout,
                    reduction: cfg.se_reduction,
                },
            ),
            skip,
        }
    }

    /// `[batch, cin, time]` → `[batch, cout, time / stride]`.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let main = self.se.forward(
            &self
                .conv2
                .forward_t(&self.conv1.forward_t(xs, train), train),
        );
        let skip = match &self.skip {
            Some(s) => s.forward_t(xs, train),
            None => xs.shallow_clone(),
        };
        (main + skip).relu_()
    }
}

impl SeResNet1dConfig {
    pub(crate) fn validate(&self, preset: &str) -> Result<(), NnError> {
        positive(preset, "stem_channels", self.stem_channels)?;
        positive(preset, "stem_kernel", self.stem_kernel)?;
        positive(preset, "kernel", self.kernel)?;
        positive(preset, "se_reduction", self.se_reduction)?;
        probability(preset, "dropout", self.dropout)?;
        if self.stages.is_empty() {
            return Err(NnError::config(
                preset,
                "stages",
                "needs at least one stage",
            ));
        }
        for (i, s) in self.stages.iter().enumerate() {
            positive(preset, &format!("stages[{i}].channels"), s.channels)?;
            positive(preset, &format!("stages[{i}].blocks"), s.blocks)?;
            positive(preset, &format!("stages[{i}].stride"), s.stride)?;
        }
        Ok(())
    }

    /// The blocks in order with their `nn::Path` names.
    pub(crate) fn blocks(&self) -> Vec<(String, SeBlock1dConfig)> {
        let mut out = Vec::new();
        let mut cin = self.stem_channels;
        for (i, s) in self.stages.iter().enumerate() {
            for b in 0..s.blocks {
                let cfg = SeBlock1dConfig {
                    cin,
                    cout: s.channels,
                    kernel: self.kernel,
                    stride: if b == 0 { s.stride } else { 1 },
                    se_reduction: self.se_reduction,
                };
                out.push((format!("stage{}.block{}", i + 1, b + 1), cfg));
                cin = s.channels;
            }
        }
        out
    }

    pub(crate) fn out_channels(&self) -> i64 {
        self.stages
            .last()
            .map_or(self.stem_channels, |s| s.channels)
    }

    pub(crate) fn trace(
        &self,
        t: &mut Tracer,
        leads: i64,
        len: i64,
        k: i64,
    ) -> Result<(), NnError> {
        let c0 = self.stem_channels;
        let mut l = t.window(
            "stem",
            len,
            Window::new(self.stem_kernel, 1, (self.stem_kernel - 1) / 2),
        )?;
        t.push(
            "stem",
            "conv-bn-relu",
            vec![c0, l],
            conv_params(leads, c0, self.stem_kernel, 1, false) + norm_params(c0),
            conv_flops(leads, c0, self.stem_kernel, 1, l),
        );
        for (name, b) in self.blocks() {
            l = b.trace(t, &name, l)?;
        }
        let c = self.out_channels();
        t.push(
            "head",
            "avg-pool-linear",
            vec![k],
            linear_params(c, k, true),
            linear_flops(c, k, 1),
        );
        Ok(())
    }
}

/// The SE-ResNet-1D network.
#[derive(Debug)]
pub struct SeResNet1d {
    spec: ModelSpec,
    stem: ConvBn1d,
    blocks: Vec<SeBlock1d>,
    head: nn::Linear,
    dropout: f64,
}

impl SeResNet1d {
    pub fn new(p: &nn::Path, spec: &ModelSpec, cfg: &SeResNet1dConfig) -> Self {
        let stem = ConvBn1d::new(
            &(p / "stem"),
            &ConvBn1dConfig::same(spec.n_leads(), cfg.stem_channels, cfg.stem_kernel),
        );
        let blocks = cfg
            .blocks()
            .into_iter()
            .map(|(name, b)| SeBlock1d::new(&super::sub(p, &name), &b))
            .collect();
        let head = linear(p / "head", cfg.out_channels(), spec.num_classes, true);
        SeResNet1d {
            spec: spec.clone(),
            stem,
            blocks,
            head,
            dropout: cfg.dropout,
        }
    }
}

impl EcgNet for SeResNet1d {
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput {
        assert_leads(&self.spec, xs);
        let mut h = self.stem.forward_t(xs, train); // [batch, stem_channels, L]
        for b in &self.blocks {
            h = b.forward_t(&h, train); // [batch, C_i, L_i]
        }
        let pooled = h.mean_dim(-1, false, Kind::Float); // [batch, C]
        let logits = pooled.dropout(self.dropout, train).apply(&self.head); // [batch, K]
        NetOutput {
            logits,
            backbone: h,
            head_input: pooled,
        }
    }

    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
}
