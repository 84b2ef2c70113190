//! `resnet1d_wang` of the PTB-XL benchmark (code/models/resnet1d.py): stem conv k7 → BN →
//! ReLU (stride 1, no pooling), three basic blocks at 128 channels with kernels [5, 3], the
//! second and third with stride 2 and a 1×1 conv + BN downsample, then the concat-pool head.
use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

use super::{assert_leads, positive};
use crate::error::NnError;
use crate::layers::conv::{ConvBn1d, ConvBn1dConfig};
use crate::layers::head::{ConcatPoolHead, ConcatPoolHeadConfig};
use crate::net::{EcgNet, NetOutput};
use crate::spec::ModelSpec;
use crate::summary::{conv_flops, conv_params, norm_params, Tracer, Window};

/// Configuration of [`ResNet1dWang`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResNet1dWangConfig {
    pub channels: i64,
    pub stem_kernel: i64,
    /// Kernels of the two convolutions of each basic block.
    pub kernels: [i64; 2],
    /// Number of basic blocks per layer; layer i > 0 starts with stride 2.
    pub layers: Vec<i64>,
}

impl ResNet1dWangConfig {
    /// The benchmark: 128 channels, stem 7, kernels [5, 3], layers [1, 1, 1].
    pub fn benchmark() -> Self {
        ResNet1dWangConfig {
            channels: 128,
            stem_kernel: 7,
            kernels: [5, 3],
            layers: vec![1, 1, 1],
        }
    }

    pub(crate) fn validate(&self, preset: &str) -> Result<(), NnError> {
        positive(preset, "channels", self.channels)?;
        positive(preset, "stem_kernel", self.stem_kernel)?;
        positive(preset, "kernels[0]", self.kernels[0])?;
        positive(preset, "kernels[1]", self.kernels[1])?;
        if self.layers.is_empty() || self.layers.iter().any(|&n| n < 1) {
            return Err(NnError::config(
                preset,
                "layers",
                "needs one or more layers of at least one block",
            ));
        }
        Ok(())
    }

    pub(crate) fn blocks(&self) -> Vec<(String, BasicBlock1dConfig)> {
        let mut out = Vec::new();
        for (i, &n) in self.layers.iter().enumerate() {
            for b in 0..n {
                out.push((
                    format!("layer{}.block{}", i + 1, b + 1),
                    BasicBlock1dConfig {
                        channels: self.channels,
                        kernels: self.kernels,
                        stride: if i > 0 && b == 0 { 2 } else { 1 },
                    },
                ));
            }
        }
        out
    }

    pub(crate) fn trace(
        &self,
        t: &mut Tracer,
        leads: i64,
        len: i64,
        k: i64,
    ) -> Result<(), NnError> {
        let c = self.channels;
        let mut l = t.window(
            "stem",
            len,
            Window::new(self.stem_kernel, 1, (self.stem_kernel - 1) / 2),
        )?;
        t.push(
            "stem",
            "conv-bn-relu",
            vec![c, l],
            conv_params(leads, c, self.stem_kernel, 1, false) + norm_params(c),
            conv_flops(leads, c, self.stem_kernel, 1, l),
        );
        for (name, b) in self.blocks() {
            l = b.trace(t, &name, l)?;
        }
        ConcatPoolHeadConfig::benchmark(c, k).trace(t, "head");
        Ok(())
    }
}

/// Configuration of [`BasicBlock1d`] (channels fixed through the block).
#[derive(Debug, Clone, Copy)]
pub struct BasicBlock1dConfig {
    pub channels: i64,
    pub kernels: [i64; 2],
    pub stride: i64,
}

impl BasicBlock1dConfig {
    /// Trainable parameters: two bias-free convs + BNs, plus the 1×1 downsample + BN when
    /// strided.
    pub fn params(&self) -> i64 {
        let c = self.channels;
        let mut p = conv_params(c, c, self.kernels[0], 1, false)
            + conv_params(c, c, self.kernels[1], 1, false)
            + 2 * norm_params(c);
        if self.stride != 1 {
            p += conv_params(c, c, 1, 1, false) + norm_params(c);
        }
        p
    }

    fn trace(&self, t: &mut Tracer, name: &str, len: i64) -> Result<i64, NnError> {
        let [k0, k1] = self.kernels;
        let l1 = t.window(name, len, Window::new(k0, self.stride, (k0 - 1) / 2))?;
        let l2 = t.window(name, l1, Window::new(k1, 1, (k1 - 1) / 2))?;
        let c = self.channels;
        let mut flops = conv_flops(c, c, k0, 1, l1) + conv_flops(c, c, k1, 1, l2);
        if self.stride != 1 {
            flops += conv_flops(c, c, 1, 1, l2);
        }
        t.push(name, "basic-block-1d", vec![c, l2], self.params(), flops);
        Ok(l2)
    }
}

/// The benchmark's `BasicBlock1d`: conv → BN → ReLU → conv → BN, + residual, → ReLU.
/// Parameters `conv1.*`, `conv2.*`, `downsample.*`.
#[derive(Debug)]
pub struct BasicBlock1d {
    conv1: ConvBn1d,
    conv2: ConvBn1d,
    downsample: Option<ConvBn1d>,
}

impl BasicBlock1d {
    pub fn new(p: &nn::Path, cfg: &BasicBlock1dConfig) -> Self {
        let c = cfg.channels;
        BasicBlock1d {
            conv1: ConvBn1d::new(
                &(p / "conv1"),
                &ConvBn1dConfig::same(c, c, cfg.kernels[0]).stride(cfg.stride),
            ),
            conv2: ConvBn1d::new(
                &(p / "conv2"),
                &ConvBn1dConfig::same(c, c, cfg.kernels[1]).no_relu(),
            ),
            downsample: (cfg.stride != 1).then(|| {
                ConvBn1d::new(
                    &(p / "downsample"),
                    &ConvBn1dConfig {
                        cin: c,
                        cout: c,
                        kernel: 1,
                        stride: cfg.stride,
                        padding: 0,
                        relu: false,
                    },
                )
            }),
        }
    }

    /// `[batch, C, time]` → `[batch, C, time / stride]`.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let out = self
            .conv2
            .forward_t(&self.conv1.forward_t(xs, train), train);
        let residual = match &self.downsample {
            Some(d) => d.forward_t(xs, train),
            None => xs.shallow_clone(),
        };
        (out + residual).relu_()
    }
}

/// The resnet1d_wang network.
#[derive(Debug)]
pub struct ResNet1dWang {
    spec: ModelSpec,
    stem: ConvBn1d,
    blocks: Vec<BasicBlock1d>,
    head: ConcatPoolHead,
}

impl ResNet1dWang {
    pub fn new(p: &nn::Path, spec: &ModelSpec, cfg: &ResNet1dWangConfig) -> Self {
        ResNet1dWang {
            spec: spec.clone(),
            stem: ConvBn1d::new(
                &(p / "stem"),
                &ConvBn1dConfig::same(spec.n_leads(), cfg.channels, cfg.stem_kernel),
            ),
            blocks: cfg
                .blocks()
                .into_iter()
                .map(|(n, b)| BasicBlock1d::new(&super::sub(p, &n), &b))
                .collect(),
            head: ConcatPoolHead::new(
                &(p / "head"),
                &ConcatPoolHeadConfig::benchmark(cfg.channels, spec.num_classes),
            ),
        }
    }
}

impl EcgNet for ResNet1dWang {
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput {
        assert_leads(&self.spec, xs);
        let mut h = self.stem.forward_t(xs, train); // [batch, 128, L]
        for b in &self.blocks {
            h = b.forward_t(&h, train); // [batch, 128, L / 2^i]
        }
        let (head_input, logits) = self.head.forward_t(&h, train); // [batch, 256], [batch, K]
        NetOutput {
            logits,
            backbone: h,
            head_input,
        }
    }

    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
}
