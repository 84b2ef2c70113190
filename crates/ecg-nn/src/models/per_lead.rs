//! One single-lead encoder per input lead, features concatenated, a linear head: the
//! downstream network of LCD (Liu et al. 2025, METHODS §5). The encoder is an SE-ResNet-1D
//! (`encoder`), usually initialised from an LCD-pretrained single-lead encoder; with
//! `frozen` the encoders run in eval mode without gradients (linear probe).
//!
//! Parameters: `lead{i}.*` (encoder i, an [`SeResNet1d`] for one lead whose own one-output
//! head is unused), `head.*` (`[n_leads · C, K]`).
use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

use super::se_resnet1d::{SeResNet1d, SeResNet1dConfig};
use crate::error::NnError;
use crate::layers::linear;
use crate::net::{EcgNet, NetOutput};
use crate::spec::{ArchConfig, ModelSpec};
use crate::summary::{linear_flops, linear_params, Tracer};

/// Configuration of [`PerLeadNet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerLeadConfig {
    /// The single-lead encoder's architecture.
    pub encoder: SeResNet1dConfig,
    /// Encoders in eval mode, no gradients (linear probe); otherwise fine-tuned.
    #[serde(default)]
    pub frozen: bool,
}

impl PerLeadConfig {
    pub(crate) fn validate(&self, preset: &str) -> Result<(), NnError> {
        self.encoder.validate(preset)
    }

    /// The spec of encoder `i` (one lead, one unused output).
    fn encoder_spec(&self, spec: &ModelSpec, i: usize) -> ModelSpec {
        ModelSpec {
            preset: format!("{}/lead{i}", spec.preset),
            num_classes: 1,
            leads: vec![spec.leads[i]],
            input_len: spec.input_len,
            arch: ArchConfig::SeResNet1d(self.encoder.clone()),
            label_names: Vec::new(),
        }
    }

    pub(crate) fn trace(
        &self,
        t: &mut Tracer,
        leads: i64,
        len: i64,
        k: i64,
    ) -> Result<(), NnError> {
        for i in 0..leads {
            let start = t.rows.len();
            self.encoder.trace(t, 1, len, 1)?;
            for r in &mut t.rows[start..] {
                r.name = format!("lead{i}.{}", r.name);
            }
        }
        let d = leads * self.encoder.out_channels();
        t.push(
            "head",
            "concat-linear",
            vec![k],
            linear_params(d, k, true),
            linear_flops(d, k, 1),
        );
        Ok(())
    }
}

/// The per-lead network.
#[derive(Debug)]
pub struct PerLeadNet {
    spec: ModelSpec,
    encoders: Vec<SeResNet1d>,
    head: nn::Linear,
    frozen: bool,
}

impl PerLeadNet {
    pub fn new(p: &nn::Path, spec: &ModelSpec, cfg: &PerLeadConfig) -> Self {
        let encoders = (0..spec.leads.len())
            .map(|i| {
                SeResNet1d::new(
                    &(p / format!("lead{i}")),
                    &cfg.encoder_spec(spec, i),
                    &cfg.encoder,
                )
            })
            .collect::<Vec<_>>();
        let d = spec.leads.len() as i64 * cfg.encoder.out_channels();
        PerLeadNet {
            spec: spec.clone(),
            encoders,
            head: linear(p / "head", d, spec.num_classes, true),
            frozen: cfg.frozen,
        }
    }
}

impl EcgNet for PerLeadNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput {
        super::assert_leads(&self.spec, xs);
        let encode = || {
            self.encoders
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let out = e.forward_t(&xs.narrow(1, i as i64, 1), train && !self.frozen);
                    (out.head_input, out.backbone) // [batch, C], [batch, C, L']
                })
                .unzip::<_, _, Vec<Tensor>, Vec<Tensor>>()
        };
        let (feats, backbones) = if self.frozen {
            tch::no_grad(encode)
        } else {
            encode()
        };
        let head_input = Tensor::cat(&feats, 1); // [batch, leads · C]
        NetOutput {
            logits: nn::Module::forward(&self.head, &head_input), // [batch, K]
            backbone: Tensor::stack(&backbones, 1),               // [batch, leads, C, L']
            head_input,
        }
    }

    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
}
