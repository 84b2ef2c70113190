//! The common network trait and the factory that builds any [`ModelSpec`].
use tch::{nn, Tensor};

use crate::error::NnError;
use crate::models;
use crate::spec::{ArchConfig, ModelSpec};

/// What every network returns.
#[derive(Debug)]
pub struct NetOutput {
    /// `[batch, K]` raw scores (apply a sigmoid for probabilities).
    pub logits: Tensor,
    /// `[batch, C, ...]` feature map after the backbone (for feature distillation).
    pub backbone: Tensor,
    /// `[batch, D]` the input of the classification head (for feature KD / CLT).
    pub head_input: Tensor,
}

/// A network of this crate.
pub trait EcgNet: std::fmt::Debug + Send {
    /// `xs`: `[batch, leads, samples]` float32 on the net's device. `train` switches batch
    /// norm to batch statistics and enables dropout. Panics (with a message naming the
    /// expected shape) when the number of leads differs from the spec, or, for networks whose
    /// projection fixes the length (label-correlation family), when the length differs; call
    /// [`ModelSpec::check_input`] first to get an error instead.
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput;
    /// The spec the network was built from.
    fn spec(&self) -> &ModelSpec;
}

/// Build a network under `p`.
///
/// `cooccurrence`: the conditional co-occurrence matrix E `[K, K]` (row-major, f32), needed
/// by label-correlation variants that use the embedding module; it is stored as the
/// non-trainable buffer `embed.cooccurrence` and saved with the weights. Ignored by the
/// other networks.
pub fn build(
    p: &nn::Path,
    spec: &ModelSpec,
    cooccurrence: Option<&[f32]>,
) -> Result<Box<dyn EcgNet>, NnError> {
    build_inner(p, spec, cooccurrence, false)
}

/// `allow_missing_e`: used by checkpoint loading, where E comes with the weights.
pub(crate) fn build_inner(
    p: &nn::Path,
    spec: &ModelSpec,
    cooccurrence: Option<&[f32]>,
    allow_missing_e: bool,
) -> Result<Box<dyn EcgNet>, NnError> {
    spec.validate()?;
    let net: Box<dyn EcgNet> = match &spec.arch {
        ArchConfig::LabelCorr(cfg) => {
            let e = if cfg.variant.uses_embedding() {
                match cooccurrence {
                    Some(e) => Some(check_cooccurrence(spec, e)?),
                    None if allow_missing_e => None,
                    None => {
                        return Err(NnError::Cooccurrence {
                            preset: spec.preset.clone(),
                            reason: "this variant uses the label-correlation embedding module \
                                     and needs E; pass Some(matrix)"
                                .into(),
                        })
                    }
                }
            } else {
                None
            };
            Box::new(models::label_corr::LabelCorrNet::new(
                p,
                spec,
                cfg,
                e.as_deref(),
            )?)
        }
        ArchConfig::SeResNet1d(cfg) => Box::new(models::se_resnet1d::SeResNet1d::new(p, spec, cfg)),
        ArchConfig::XResNet1d(cfg) => Box::new(models::xresnet1d::XResNet1d::new(p, spec, cfg)),
        ArchConfig::ResNet1dWang(cfg) => {
            Box::new(models::resnet1d_wang::ResNet1dWang::new(p, spec, cfg))
        }
        ArchConfig::Inception1d(cfg) => {
            Box::new(models::inception1d::Inception1d::new(p, spec, cfg))
        }
        ArchConfig::FcnWang(cfg) => Box::new(models::fcn_wang::FcnWang::new(p, spec, cfg)),
        ArchConfig::PerLead(cfg) => Box::new(models::per_lead::PerLeadNet::new(p, spec, cfg)),
    };
    Ok(net)
}

fn check_cooccurrence(spec: &ModelSpec, e: &[f32]) -> Result<Vec<f32>, NnError> {
    let k = spec.num_classes as usize;
    if e.len() != k * k {
        return Err(NnError::Cooccurrence {
            preset: spec.preset.clone(),
            reason: format!("expected {k}×{k} = {} values, got {}", k * k, e.len()),
        });
    }
    if let Some(i) = e.iter().position(|v| !v.is_finite()) {
        return Err(NnError::Cooccurrence {
            preset: spec.preset.clone(),
            reason: format!("entry [{}][{}] is {}", i / k, i % k, e[i]),
        });
    }
    Ok(e.to_vec())
}
