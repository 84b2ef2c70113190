//! `inception1d` of the PTB-XL benchmark (code/models/inception1d.py, after InceptionTime):
//! `depth` inception blocks (1×1 bottleneck, three convolutions of kernels 39/19/9 and a
//! max-pool → 1×1 branch, concatenated → BN → ReLU), a residual shortcut (1×1 conv + BN, add,
//! ReLU) every third block, then the concat-pool head.
use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

use super::{assert_leads, positive};
use crate::error::NnError;
use crate::layers::head::{ConcatPoolHead, ConcatPoolHeadConfig};
use crate::layers::{bn_config, KAIMING_NORMAL};
use crate::net::{EcgNet, NetOutput};
use crate::spec::ModelSpec;
use crate::summary::{conv_flops, conv_params, norm_params, Tracer, Window};

/// Configuration of [`Inception1d`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inception1dConfig {
    /// Kernels of the parallel convolutions (the benchmark: 40 → [39, 19, 9]).
    pub kernels: Vec<i64>,
    pub depth: i64,
    pub bottleneck: i64,
    pub filters: i64,
    pub use_residual: bool,
}

impl Inception1dConfig {
    /// The benchmark: kernel_size 40 → [39, 19, 9], depth 6, bottleneck 32, 32 filters,
    /// residual.
    pub fn benchmark() -> Self {
        Inception1dConfig {
            kernels: vec![39, 19, 9],
            depth: 6,
            bottleneck: 32,
            filters: 32,
            use_residual: true,
        }
    }

    pub(crate) fn width(&self) -> i64 {
        (self.kernels.len() as i64 + 1) * self.filters
    }

    pub(crate) fn validate(&self, preset: &str) -> Result<(), NnError> {
        positive(preset, "depth", self.depth)?;
        positive(preset, "bottleneck", self.bottleneck)?;
        positive(preset, "filters", self.filters)?;
        if self.depth % 3 != 0 {
            return Err(NnError::config(preset, "depth", "must be a multiple of 3"));
        }
        if self.kernels.is_empty() {
            return Err(NnError::config(
                preset,
                "kernels",
                "needs at least one kernel",
            ));
        }
        for (i, &k) in self.kernels.iter().enumerate() {
            positive(preset, &format!("kernels[{i}]"), k)?;
            if k % 2 == 0 {
                return Err(NnError::config(
                    preset,
                    &format!("kernels[{i}]"),
                    "must be odd (same padding)",
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn block(&self, d: i64, leads: i64) -> InceptionBlock1dConfig {
        InceptionBlock1dConfig {
            cin: if d == 0 { leads } else { self.width() },
            filters: self.filters,
            kernels: self.kernels.clone(),
            bottleneck: self.bottleneck,
        }
    }

    pub(crate) fn trace(
        &self,
        t: &mut Tracer,
        leads: i64,
        len: i64,
        k: i64,
    ) -> Result<(), NnError> {
        let w = self.width();
        for d in 0..self.depth {
            let b = self.block(d, leads);
            for &ks in &b.kernels {
                t.window(
                    &format!("block{}", d + 1),
                    len,
                    Window::new(ks, 1, (ks - 1) / 2),
                )?;
            }
            t.push(
                &format!("block{}", d + 1),
                "inception-block-1d",
                vec![w, len],
                b.params(),
                b.flops(len),
            );
            if self.use_residual && d % 3 == 2 {
                let cin = if d == 2 { leads } else { w };
                t.push(
                    &format!("shortcut{}", d / 3 + 1),
                    "conv1x1-bn-add-relu",
                    vec![w, len],
                    conv_params(cin, w, 1, 1, false) + norm_params(w),
                    conv_flops(cin, w, 1, 1, len),
                );
            }
        }
        ConcatPoolHeadConfig::benchmark(w, k).trace(t, "head");
        Ok(())
    }
}

/// Configuration of [`InceptionBlock1d`].
#[derive(Debug, Clone)]
pub struct InceptionBlock1dConfig {
    pub cin: i64,
    pub filters: i64,
    pub kernels: Vec<i64>,
    pub bottleneck: i64,
}

impl InceptionBlock1dConfig {
    /// Trainable parameters: bottleneck 1×1, one conv per kernel, the pool branch's 1×1, BN.
    pub fn params(&self) -> i64 {
        let (b, f) = (self.bottleneck, self.filters);
        let width = (self.kernels.len() as i64 + 1) * f;
        conv_params(self.cin, b, 1, 1, false)
            + self
                .kernels
                .iter()
                .map(|&k| conv_params(b, f, k, 1, false))
                .sum::<i64>()
            + conv_params(self.cin, f, 1, 1, false)
            + norm_params(width)
    }

    fn flops(&self, len: i64) -> i64 {
        let (b, f) = (self.bottleneck, self.filters);
        conv_flops(self.cin, b, 1, 1, len)
            + self
                .kernels
                .iter()
                .map(|&k| conv_flops(b, f, k, 1, len))
                .sum::<i64>()
            + conv_flops(self.cin, f, 1, 1, len)
    }
}

fn conv_nb(p: nn::Path, cin: i64, cout: i64, k: i64) -> nn::Conv1D {
    nn::conv1d(
        p,
        cin,
        cout,
        k,
        nn::ConvConfig {
            padding: (k - 1) / 2,
            bias: false,
            ws_init: KAIMING_NORMAL,
            ..Default::default()
        },
    )
}

/// One inception block. Parameters `bottleneck.weight`, `convs.{i}.weight`,
/// `conv_bottle.weight`, `bn.*`.
#[derive(Debug)]
pub struct InceptionBlock1d {
    bottleneck: nn::Conv1D,
    convs: Vec<nn::Conv1D>,
    conv_bottle: nn::Conv1D,
    bn: nn::BatchNorm,
}

impl InceptionBlock1d {
    pub fn new(p: &nn::Path, cfg: &InceptionBlock1dConfig) -> Self {
        let width = (cfg.kernels.len() as i64 + 1) * cfg.filters;
        InceptionBlock1d {
            bottleneck: conv_nb(p / "bottleneck", cfg.cin, cfg.bottleneck, 1),
            convs: cfg
                .kernels
                .iter()
                .enumerate()
                .map(|(i, &k)| conv_nb(p / "convs" / i, cfg.bottleneck, cfg.filters, k))
                .collect(),
            conv_bottle: conv_nb(p / "conv_bottle", cfg.cin, cfg.filters, 1),
            bn: nn::batch_norm1d(p / "bn", width, bn_config()),
        }
    }

    /// `[batch, cin, time]` → `[batch, (n_kernels + 1) · filters, time]`.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let bottled = xs.apply(&self.bottleneck); // [batch, bottleneck, time]
        let mut branches: Vec<Tensor> = self.convs.iter().map(|c| bottled.apply(c)).collect();
        branches.push(xs.max_pool1d(3, 1, 1, 1, false).apply(&self.conv_bottle));
        Tensor::cat(&branches, 1).apply_t(&self.bn, train).relu_()
    }
}

/// Residual shortcut: `ReLU(out + BN(conv1×1(input)))`. Parameters `conv.weight`, `bn.*`.
#[derive(Debug)]
pub struct Shortcut1d {
    conv: nn::Conv1D,
    bn: nn::BatchNorm,
}

impl Shortcut1d {
    pub fn new(p: &nn::Path, cin: i64, cout: i64) -> Self {
        Shortcut1d {
            conv: conv_nb(p / "conv", cin, cout, 1),
            bn: nn::batch_norm1d(p / "bn", cout, bn_config()),
        }
    }

    pub fn forward_t(&self, input: &Tensor, out: &Tensor, train: bool) -> Tensor {
        (out + input.apply(&self.conv).apply_t(&self.bn, train)).relu_()
    }
}

/// The inception1d network.
#[derive(Debug)]
pub struct Inception1d {
    spec: ModelSpec,
    blocks: Vec<InceptionBlock1d>,
    shortcuts: Vec<Shortcut1d>,
    use_residual: bool,
    head: ConcatPoolHead,
}

impl Inception1d {
    pub fn new(p: &nn::Path, spec: &ModelSpec, cfg: &Inception1dConfig) -> Self {
        let leads = spec.n_leads();
        let w = cfg.width();
        let blocks = (0..cfg.depth)
            .map(|d| InceptionBlock1d::new(&(p / format!("block{}", d + 1)), &cfg.block(d, leads)))
            .collect();
        let shortcuts = if cfg.use_residual {
            (0..cfg.depth / 3)
                .map(|s| {
                    Shortcut1d::new(
                        &(p / format!("shortcut{}", s + 1)),
                        if s == 0 { leads } else { w },
                        w,
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        Inception1d {
            spec: spec.clone(),
            blocks,
            shortcuts,
            use_residual: cfg.use_residual,
            head: ConcatPoolHead::new(
                &(p / "head"),
                &ConcatPoolHeadConfig::benchmark(w, spec.num_classes),
            ),
        }
    }
}

impl EcgNet for Inception1d {
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput {
        assert_leads(&self.spec, xs);
        let mut input_res = xs.shallow_clone(); // [batch, leads, L]
        let mut h = xs.shallow_clone();
        for (d, block) in self.blocks.iter().enumerate() {
            h = block.forward_t(&h, train); // [batch, 128, L]
            if self.use_residual && d % 3 == 2 {
                h = self.shortcuts[d / 3].forward_t(&input_res, &h, train);
                input_res = h.shallow_clone();
            }
        }
        let (head_input, logits) = self.head.forward_t(&h, train);
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
