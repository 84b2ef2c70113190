//! [`ModelSpec`]: everything needed to rebuild a network, the named presets, validation, and
//! the analytic summary (shapes, parameters, FLOPs).
use serde::{Deserialize, Serialize};

use crate::error::NnError;
use crate::models::{
    fcn_wang::FcnWangConfig,
    inception1d::Inception1dConfig,
    label_corr::{LabelCorrConfig, Variant},
    resnet1d_wang::ResNet1dWangConfig,
    se_resnet1d::{SeResNet1dConfig, StageConfig},
    xresnet1d::XResNet1dConfig,
};
use crate::summary::{LayerSummary, Tracer};

/// The 12 standard leads, in the order of PTB-XL files; `ModelSpec::leads` indexes this.
pub const LEAD_NAMES: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Every preset name [`ModelSpec::preset`] accepts.
pub const PRESETS: [&str; 11] = [
    "teacher",
    "teacher-backbone",
    "teacher-embedding",
    "teacher-decoder",
    "student",
    "student-tiny",
    "se_resnet1d",
    "xresnet1d101",
    "resnet1d_wang",
    "inception1d",
    "fcn_wang",
];

/// One variant per network family, holding that family's config struct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum ArchConfig {
    /// Label-correlation embedding network (Zhang & Sun 2024): teacher, its ablations and the
    /// same-family students.
    LabelCorr(LabelCorrConfig),
    /// Plain SE-ResNet-1D with a linear head (Zhou et al. 2024 student).
    SeResNet1d(SeResNet1dConfig),
    /// PTB-XL benchmark xresnet1d (bottleneck blocks).
    XResNet1d(XResNet1dConfig),
    /// PTB-XL benchmark resnet1d_wang.
    ResNet1dWang(ResNet1dWangConfig),
    /// PTB-XL benchmark inception1d.
    Inception1d(Inception1dConfig),
    /// PTB-XL benchmark fcn_wang.
    FcnWang(FcnWangConfig),
    /// One single-lead SE-ResNet-1D encoder per lead, concatenated, linear head (LCD's
    /// downstream network, Liu et al. 2025).
    PerLead(crate::models::per_lead::PerLeadConfig),
}

/// Everything needed to rebuild a network (serialised as the JSON sidecar of a checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Preset the spec came from (free text once edited; only informative).
    pub preset: String,
    pub num_classes: i64,
    /// Indices into [`LEAD_NAMES`]; the input has `leads.len()` rows in this order.
    pub leads: Vec<usize>,
    /// Samples per input window.
    pub input_len: i64,
    pub arch: ArchConfig,
    /// K names, for reports (may be empty).
    pub label_names: Vec<String>,
}

/// The teacher's configuration (label-correlation family, all parts on).
pub fn teacher_config(variant: Variant) -> LabelCorrConfig {
    LabelCorrConfig {
        channels: vec![16, 32, 64],
        b_blocks: 2,
        se_reduction: 16,
        pool: 5,
        hidden: 128,
        embed_hidden: 128,
        decoder_layers: 1,
        heads: 4,
        ff_dim: 256,
        dropout: 0.1,
        cos_eps: 1e-8,
        attn_eps: 1e-6,
        variant,
    }
}

impl ModelSpec {
    /// LCD's downstream network (Liu et al. 2025): one `encoder` per lead in `leads`, features
    /// concatenated, a linear head; `frozen` for a linear probe.
    pub fn per_lead(
        encoder: crate::models::se_resnet1d::SeResNet1dConfig,
        frozen: bool,
        num_classes: i64,
        leads: Vec<usize>,
        input_len: i64,
    ) -> Result<ModelSpec, NnError> {
        let spec = ModelSpec {
            preset: "per_lead".into(),
            num_classes,
            leads,
            input_len,
            arch: ArchConfig::PerLead(crate::models::per_lead::PerLeadConfig { encoder, frozen }),
            label_names: Vec::new(),
        };
        spec.validate()?;
        Ok(spec)
    }

    /// A named preset (see [`PRESETS`]); errors for an unknown name, an invalid lead subset,
    /// or a length the pooling cannot take.
    pub fn preset(
        name: &str,
        num_classes: i64,
        leads: Vec<usize>,
        input_len: i64,
    ) -> Result<ModelSpec, NnError> {
        let arch = match name {
            "teacher" => ArchConfig::LabelCorr(teacher_config(Variant::Full)),
            "teacher-backbone" => ArchConfig::LabelCorr(teacher_config(Variant::BackboneOnly)),
            "teacher-embedding" => ArchConfig::LabelCorr(teacher_config(Variant::Embedding)),
            "teacher-decoder" => ArchConfig::LabelCorr(teacher_config(Variant::Decoder)),
            "student" => ArchConfig::LabelCorr(LabelCorrConfig {
                channels: vec![12, 24, 48],
                b_blocks: 2,
                hidden: 104,
                embed_hidden: 104,
                ff_dim: 208,
                ..teacher_config(Variant::Full)
            }),
            "student-tiny" => ArchConfig::LabelCorr(LabelCorrConfig {
                channels: vec![4, 8, 16],
                b_blocks: 1,
                hidden: 32,
                embed_hidden: 32,
                heads: 2,
                ff_dim: 64,
                ..teacher_config(Variant::Full)
            }),
            "se_resnet1d" => ArchConfig::SeResNet1d(SeResNet1dConfig {
                stem_channels: 16,
                stem_kernel: 7,
                stages: vec![
                    StageConfig {
                        channels: 16,
                        blocks: 1,
                        stride: 1,
                    },
                    StageConfig {
                        channels: 24,
                        blocks: 1,
                        stride: 2,
                    },
                    StageConfig {
                        channels: 32,
                        blocks: 1,
                        stride: 2,
                    },
                ],
                kernel: 5,
                se_reduction: 16,
                dropout: 0.2,
            }),
            "xresnet1d101" => ArchConfig::XResNet1d(XResNet1dConfig::xresnet1d101()),
            "resnet1d_wang" => ArchConfig::ResNet1dWang(ResNet1dWangConfig::benchmark()),
            "inception1d" => ArchConfig::Inception1d(Inception1dConfig::benchmark()),
            "fcn_wang" => ArchConfig::FcnWang(FcnWangConfig::benchmark()),
            _ => {
                return Err(NnError::UnknownPreset {
                    name: name.to_string(),
                    known: PRESETS.join(", "),
                })
            }
        };
        let spec = ModelSpec {
            preset: name.to_string(),
            num_classes,
            leads,
            input_len,
            arch,
            label_names: Vec::new(),
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Number of input rows (leads).
    pub fn n_leads(&self) -> i64 {
        self.leads.len() as i64
    }

    /// Checks classes, leads, label names, the family's config and the input length.
    pub fn validate(&self) -> Result<(), NnError> {
        if self.num_classes < 1 {
            return Err(NnError::config(
                &self.preset,
                "num_classes",
                "must be at least 1",
            ));
        }
        if !self.label_names.is_empty() && self.label_names.len() as i64 != self.num_classes {
            return Err(NnError::config(
                &self.preset,
                "label_names",
                format!(
                    "{} names for {} classes",
                    self.label_names.len(),
                    self.num_classes
                ),
            ));
        }
        if self.leads.is_empty() {
            return Err(NnError::InvalidLeads {
                leads: self.leads.clone(),
                reason: "no lead selected".into(),
            });
        }
        for (i, &l) in self.leads.iter().enumerate() {
            if l >= LEAD_NAMES.len() {
                return Err(NnError::InvalidLeads {
                    leads: self.leads.clone(),
                    reason: format!("lead index {l} is outside 0..12"),
                });
            }
            if self.leads[..i].contains(&l) {
                return Err(NnError::InvalidLeads {
                    leads: self.leads.clone(),
                    reason: format!("lead {} appears twice", LEAD_NAMES[l]),
                });
            }
        }
        if self.input_len < 1 {
            return Err(NnError::config(
                &self.preset,
                "input_len",
                "must be at least 1",
            ));
        }
        match &self.arch {
            ArchConfig::LabelCorr(c) => c.validate(&self.preset)?,
            ArchConfig::SeResNet1d(c) => c.validate(&self.preset)?,
            ArchConfig::XResNet1d(c) => c.validate(&self.preset)?,
            ArchConfig::ResNet1dWang(c) => c.validate(&self.preset)?,
            ArchConfig::Inception1d(c) => c.validate(&self.preset)?,
            ArchConfig::FcnWang(c) => c.validate(&self.preset)?,
            ArchConfig::PerLead(c) => c.validate(&self.preset)?,
        }
        self.summary().map(|_| ())
    }

    /// One row per block: output shape, trainable parameters, FLOPs per record. Errors when
    /// the input length cannot pass (with the shortest length that can).
    pub fn summary(&self) -> Result<Vec<LayerSummary>, NnError> {
        match self.trace(self.input_len) {
            Ok(rows) => Ok(rows),
            Err(NnError::LengthNotSupported {
                preset,
                input_len,
                layer,
                got,
                need,
                ..
            }) => {
                let min_len = (1..=100_000).find(|&l| self.trace(l).is_ok()).unwrap_or(-1);
                Err(NnError::LengthNotSupported {
                    preset,
                    input_len,
                    layer,
                    got,
                    need,
                    min_len,
                })
            }
            Err(e) => Err(e),
        }
    }

    fn trace(&self, len: i64) -> Result<Vec<LayerSummary>, NnError> {
        let mut t = Tracer::new(&self.preset, len);
        let (c, k) = (self.n_leads(), self.num_classes);
        match &self.arch {
            ArchConfig::LabelCorr(cfg) => cfg.trace(&mut t, c, len, k)?,
            ArchConfig::SeResNet1d(cfg) => cfg.trace(&mut t, c, len, k)?,
            ArchConfig::XResNet1d(cfg) => cfg.trace(&mut t, c, len, k)?,
            ArchConfig::ResNet1dWang(cfg) => cfg.trace(&mut t, c, len, k)?,
            ArchConfig::Inception1d(cfg) => cfg.trace(&mut t, c, len, k)?,
            ArchConfig::FcnWang(cfg) => cfg.trace(&mut t, c, len, k)?,
            ArchConfig::PerLead(cfg) => cfg.trace(&mut t, c, len, k)?,
        }
        Ok(t.rows)
    }

    /// Trainable parameter count and analytic FLOPs per record (multiply-adds × 2).
    pub fn params_and_flops(&self) -> Result<(i64, i64), NnError> {
        let rows = self.summary()?;
        Ok((
            rows.iter().map(|r| r.params).sum(),
            rows.iter().map(|r| r.flops).sum(),
        ))
    }

    /// Whether this family's weights depend on the input length (its projection flattens the
    /// time axis), so that it only takes inputs of exactly `input_len` samples.
    pub fn fixed_length(&self) -> bool {
        matches!(&self.arch, ArchConfig::LabelCorr(c) if c.variant != Variant::BackboneOnly)
    }

    /// Checks a `[batch, leads, samples]` input shape against the spec.
    pub fn check_input(&self, shape: &[i64]) -> Result<(), NnError> {
        let ok = shape.len() == 3
            && shape[0] >= 1
            && shape[1] == self.n_leads()
            && if self.fixed_length() {
                shape[2] == self.input_len
            } else {
                self.with_len(shape[2]).summary().is_ok()
            };
        if ok {
            Ok(())
        } else {
            let len = if self.fixed_length() {
                format!("exactly {}", self.input_len)
            } else {
                "any supported length".to_string()
            };
            Err(NnError::InputShape {
                preset: self.preset.clone(),
                got: shape.to_vec(),
                expected: format!("[batch, {}, {len}]", self.n_leads()),
            })
        }
    }

    fn with_len(&self, len: i64) -> ModelSpec {
        ModelSpec {
            input_len: len,
            ..self.clone()
        }
    }
}
