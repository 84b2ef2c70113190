//! `xresnet1d101` of the PTB-XL benchmark (code/models/xresnet1d.py, after fastai's xresnet):
//! stem of three conv → BN → ReLU layers (32, 32, 64 channels, kernel 5, the first with
//! stride 2) and a max-pool 3/2; four layers of bottleneck blocks ([3, 4, 23, 3], expansion
//! 4, width 64, kernel 5, layers 2–4 start with stride 2); the concat-pool head.
//!
//! A bottleneck block: 1×1 conv → BN → ReLU → conv k/stride → BN → ReLU → 1×1 conv → BN;
//! identity path = avg-pool 2 (ceil mode) when strided, then 1×1 conv + BN when the channel
//! count changes; sum → ReLU.
use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

use super::{assert_leads, positive};
use crate::error::NnError;
use crate::layers::conv::{ConvBn1d, ConvBn1dConfig};
use crate::layers::head::{ConcatPoolHead, ConcatPoolHeadConfig};
use crate::net::{EcgNet, NetOutput};
use crate::spec::ModelSpec;
use crate::summary::{conv_flops, conv_params, norm_params, Tracer, Window};

/// Configuration of [`XResNet1d`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XResNet1dConfig {
    pub stem: Vec<i64>,
    pub stem_kernel: i64,
    /// Blocks per layer.
    pub layers: Vec<i64>,
    /// Bottleneck width of every layer (benchmark: 64).
    pub width: i64,
    pub expansion: i64,
    pub kernel: i64,
}

impl XResNet1dConfig {
    /// The benchmark's xresnet1d101 with kernel_size 5.
    pub fn xresnet1d101() -> Self {
        XResNet1dConfig {
            stem: vec![32, 32, 64],
            stem_kernel: 5,
            layers: vec![3, 4, 23, 3],
            width: 64,
            expansion: 4,
            kernel: 5,
        }
    }

    pub(crate) fn validate(&self, preset: &str) -> Result<(), NnError> {
        if self.stem.is_empty() || self.stem.iter().any(|&c| c < 1) {
            return Err(NnError::config(
                preset,
                "stem",
                "needs one or more positive widths",
            ));
        }
        if self.layers.is_empty() || self.layers.iter().any(|&n| n < 1) {
            return Err(NnError::config(
                preset,
                "layers",
                "needs one or more layers of at least one block",
            ));
        }
        positive(preset, "stem_kernel", self.stem_kernel)?;
        positive(preset, "width", self.width)?;
        positive(preset, "expansion", self.expansion)?;
        positive(preset, "kernel", self.kernel)?;
        Ok(())
    }

    pub(crate) fn stem_layers(&self, leads: i64) -> Vec<ConvBn1dConfig> {
        let mut cin = leads;
        self.stem
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let cfg = ConvBn1dConfig::same(cin, c, self.stem_kernel).stride(if i == 0 {
                    2
                } else {
                    1
                });
                cin = c;
                cfg
            })
            .collect()
    }

    pub(crate) fn blocks(&self) -> Vec<(String, XBottleneckConfig)> {
        // Benchmark: block_szs = [64 // expansion, 64, 64, 64, 64]; ni = szs[i] * expansion.
        let mut out = Vec::new();
        let mut cin = (64 / self.expansion).max(1) * self.expansion;
        for (i, &n) in self.layers.iter().enumerate() {
            for b in 0..n {
                let cfg = XBottleneckConfig {
                    cin,
                    width: self.width,
                    cout: self.width * self.expansion,
                    kernel: self.kernel,
                    stride: if i > 0 && b == 0 { 2 } else { 1 },
                };
                cin = cfg.cout;
                out.push((format!("layer{}.block{}", i + 1, b + 1), cfg));
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
        let mut l = len;
        for (i, c) in self.stem_layers(leads).iter().enumerate() {
            let name = format!("stem.{i}");
            l = t.window(&name, l, Window::new(c.kernel, c.stride, c.padding))?;
            t.push(
                &name,
                "conv-bn-relu",
                vec![c.cout, l],
                conv_params(c.cin, c.cout, c.kernel, 1, false) + norm_params(c.cout),
                conv_flops(c.cin, c.cout, c.kernel, 1, l),
            );
        }
        l = t.window("stem_pool", l, Window::new(3, 2, 1))?;
        let stem_out = *self.stem.last().unwrap_or(&1);
        t.push("stem_pool", "max-pool", vec![stem_out, l], 0, 0);
        let blocks = self.blocks();
        if blocks.first().is_some_and(|(_, b)| b.cin != stem_out) {
            return Err(NnError::config(
                &t.preset,
                "stem",
                format!(
                    "the last stem width {stem_out} must equal the first block's input {}",
                    blocks[0].1.cin
                ),
            ));
        }
        for (name, b) in &blocks {
            l = b.trace(t, name, l)?;
        }
        ConcatPoolHeadConfig::benchmark(self.width * self.expansion, k).trace(t, "head");
        Ok(())
    }
}

/// Configuration of [`XBottleneck`].
#[derive(Debug, Clone, Copy)]
pub struct XBottleneckConfig {
    pub cin: i64,
    pub width: i64,
    pub cout: i64,
    pub kernel: i64,
    pub stride: i64,
}

impl XBottleneckConfig {
    /// Trainable parameters: three bias-free convs with BN, plus the 1×1 id conv + BN when
    /// channels change.
    pub fn params(&self) -> i64 {
        let (ci, w, co) = (self.cin, self.width, self.cout);
        let mut p = conv_params(ci, w, 1, 1, false)
            + conv_params(w, w, self.kernel, 1, false)
            + conv_params(w, co, 1, 1, false)
            + 2 * norm_params(w)
            + norm_params(co);
        if ci != co {
            p += conv_params(ci, co, 1, 1, false) + norm_params(co);
        }
        p
    }

    fn trace(&self, t: &mut Tracer, name: &str, len: i64) -> Result<i64, NnError> {
        let (ci, w, co) = (self.cin, self.width, self.cout);
        let out = t.window(
            name,
            len,
            Window::new(self.kernel, self.stride, (self.kernel - 1) / 2),
        )?;
        if self.stride != 1 {
            t.window(name, len, Window::new(2, self.stride, 0).ceil())?;
        }
        let mut flops = conv_flops(ci, w, 1, 1, len)
            + conv_flops(w, w, self.kernel, 1, out)
            + conv_flops(w, co, 1, 1, out);
        if ci != co {
            flops += conv_flops(ci, co, 1, 1, out);
        }
        t.push(name, "x-bottleneck-1d", vec![co, out], self.params(), flops);
        Ok(out)
    }
}

/// Bottleneck block. Parameters `convs.{0,1,2}.*`, `idpath.*`.
#[derive(Debug)]
pub struct XBottleneck {
    convs: [ConvBn1d; 3],
    idconv: Option<ConvBn1d>,
    stride: i64,
}

impl XBottleneck {
    pub fn new(p: &nn::Path, cfg: &XBottleneckConfig) -> Self {
        let c = p / "convs";
        XBottleneck {
            convs: [
                ConvBn1d::new(&(&c / 0), &ConvBn1dConfig::same(cfg.cin, cfg.width, 1)),
                ConvBn1d::new(
                    &(&c / 1),
                    &ConvBn1dConfig::same(cfg.width, cfg.width, cfg.kernel).stride(cfg.stride),
                ),
                ConvBn1d::new(
                    &(&c / 2),
                    &ConvBn1dConfig::same(cfg.width, cfg.cout, 1).no_relu(),
                ),
            ],
            idconv: (cfg.cin != cfg.cout).then(|| {
                ConvBn1d::new(
                    &(p / "idpath"),
                    &ConvBn1dConfig::same(cfg.cin, cfg.cout, 1).no_relu(),
                )
            }),
            stride: cfg.stride,
        }
    }

    /// `[batch, cin, time]` → `[batch, cout, ceil(time / stride)]`.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut h = xs.shallow_clone();
        for c in &self.convs {
            h = c.forward_t(&h, train);
        }
        let mut id = if self.stride != 1 {
            xs.avg_pool1d(2, self.stride, 0, true, true)
        } else {
            xs.shallow_clone()
        };
        if let Some(c) = &self.idconv {
            id = c.forward_t(&id, train);
        }
        (h + id).relu_()
    }
}

/// The xresnet1d network.
#[derive(Debug)]
pub struct XResNet1d {
    spec: ModelSpec,
    stem: Vec<ConvBn1d>,
    blocks: Vec<XBottleneck>,
    head: ConcatPoolHead,
}

impl XResNet1d {
    pub fn new(p: &nn::Path, spec: &ModelSpec, cfg: &XResNet1dConfig) -> Self {
        let s = p / "stem";
        XResNet1d {
            spec: spec.clone(),
            stem: cfg
                .stem_layers(spec.n_leads())
                .iter()
                .enumerate()
                .map(|(i, c)| ConvBn1d::new(&(&s / i), c))
                .collect(),
            blocks: cfg
                .blocks()
                .iter()
                .map(|(n, b)| XBottleneck::new(&super::sub(p, n), b))
                .collect(),
            head: ConcatPoolHead::new(
                &(p / "head"),
                &ConcatPoolHeadConfig::benchmark(cfg.width * cfg.expansion, spec.num_classes),
            ),
        }
    }
}

impl EcgNet for XResNet1d {
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput {
        assert_leads(&self.spec, xs);
        let mut h = xs.shallow_clone(); // [batch, leads, L]
        for c in &self.stem {
            h = c.forward_t(&h, train); // [batch, 32|32|64, L/2]
        }
        h = h.max_pool1d(3, 2, 1, 1, false); // [batch, 64, L/4]
        for b in &self.blocks {
            h = b.forward_t(&h, train); // [batch, 256, L/4/2^i]
        }
        let (head_input, logits) = self.head.forward_t(&h, train); // [batch, 512], [batch, K]
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
