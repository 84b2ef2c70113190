//! The TOML experiment config. Every struct denies unknown keys, so a typo fails with the
//! key's name; relative paths are resolved against the config file's folder.
use crate::error::TrainError;
use crate::loss::{FeatureNorm, KdWeights, TaskLoss};
use crate::optim::AdamWConfig;
use crate::schedule::Schedule;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub data: DataConfig,
    pub model: ModelConfig,
    #[serde(default)]
    pub loss: TaskLoss,
    #[serde(default)]
    pub optim: AdamWConfig,
    #[serde(default)]
    pub schedule: Schedule,
    pub train: RunConfig,
    #[serde(default)]
    pub augment: AugmentConfig,
    /// Present for `ecg distill`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill: Option<DistillConfig>,
    /// Present for `ecg pretrain` (LCD self-supervised pretraining, Liu et al. 2025).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lcd: Option<LcdConfig>,
}

/// LCD pretraining (Liu et al. 2025, METHODS §5): per step two different leads a ≠ b and three
/// independently augmented views (random resized crop, time-out) of each record; online
/// single-lead encoder + projector + predictor, EMA target; loss
/// `mean(2 − 2cos(q1, z3)) + mean(2 − 2cos(q2, z3)) + γ·D`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LcdConfig {
    /// Hidden width of the projector and predictor MLPs.
    #[serde(default = "d_lcd_hidden")]
    pub hidden: usize,
    /// Projection size.
    #[serde(default = "d_lcd_dim")]
    pub dim: usize,
    /// EMA momentum of the target encoder.
    #[serde(default = "d_lcd_m")]
    pub momentum: f64,
    /// γ, the weight of the decorrelation term D.
    #[serde(default = "d_lcd_gamma")]
    pub gamma: f64,
    /// Weight of the off-diagonal entries inside D.
    #[serde(default = "d_lcd_off")]
    pub off_diagonal: f64,
    /// Random resized crop keeps a uniform fraction in [crop_min, 1].
    #[serde(default = "d_lcd_crop")]
    pub crop_min: f64,
    /// Time-out zeroes a uniform 0..time_out fraction of the length.
    #[serde(default = "d_lcd_timeout")]
    pub time_out: f64,
}
impl Default for LcdConfig {
    fn default() -> Self {
        LcdConfig {
            hidden: d_lcd_hidden(),
            dim: d_lcd_dim(),
            momentum: d_lcd_m(),
            gamma: d_lcd_gamma(),
            off_diagonal: d_lcd_off(),
            crop_min: d_lcd_crop(),
            time_out: d_lcd_timeout(),
        }
    }
}
fn d_lcd_hidden() -> usize {
    256
}
fn d_lcd_dim() -> usize {
    128
}
fn d_lcd_m() -> f64 {
    0.996
}
fn d_lcd_gamma() -> f64 {
    0.005
}
fn d_lcd_off() -> f64 {
    0.0051
}
fn d_lcd_crop() -> f64 {
    0.5
}
fn d_lcd_timeout() -> f64 {
    0.5
}

/// Which records, labels, leads and windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The packed dataset (`ecg io pack` output).
    pub pack: PathBuf,
    /// Label task: `all`, `diagnostic`, `subdiagnostic`, `superdiagnostic`, `form`,
    /// `rhythm` (PTB-XL) or `classes` (datasets whose codes are class names).
    pub task: String,
    /// Statements with a lower likelihood are ignored (PTB-XL; default 0 keeps all).
    #[serde(default)]
    pub min_likelihood: f64,
    /// Lead names fed to the network, in order; default: every lead of the pack.
    #[serde(default)]
    pub leads: Option<Vec<String>>,
    #[serde(default)]
    pub input: InputMode,
    #[serde(default)]
    pub standardize: StandardizeMode,
    #[serde(default = "d_train_folds")]
    pub train_folds: Vec<u8>,
    #[serde(default = "d_val_folds")]
    pub val_folds: Vec<u8>,
    #[serde(default = "d_test_folds")]
    pub test_folds: Vec<u8>,
    /// Keep at most this many records per split (the first ones in pack order); for
    /// quick experiments and tests.
    #[serde(default)]
    pub max_records: Option<usize>,
    /// Train on this fraction of the training split (a seeded subset, at least 2 records):
    /// LCD's 1 % / 10 % / 100 % label-efficiency runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_fraction: Option<f64>,
    /// Threads preparing batches.
    #[serde(default = "d_workers")]
    pub workers: usize,
    /// Batches prepared ahead of the device.
    #[serde(default = "d_prefetch")]
    pub prefetch: usize,
}
fn d_train_folds() -> Vec<u8> {
    (1..=8).collect()
}
fn d_val_folds() -> Vec<u8> {
    vec![9]
}
fn d_test_folds() -> Vec<u8> {
    vec![10]
}
fn d_workers() -> usize {
    2
}
fn d_prefetch() -> usize {
    4
}

/// How records become network inputs (METHODS §1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum InputMode {
    /// Train on random crops of `length`; evaluate on sliding windows of `length` with
    /// `stride`, sigmoid outputs aggregated by `aggregate`.
    Crop {
        #[serde(default = "d_len")]
        length: usize,
        #[serde(default = "d_stride")]
        stride: usize,
        #[serde(default)]
        aggregate: Aggregate,
    },
    /// The whole record, for training and evaluation.
    Whole,
}
fn d_len() -> usize {
    250
}
fn d_stride() -> usize {
    125
}
impl Default for InputMode {
    fn default() -> Self {
        InputMode::Crop {
            length: 250,
            stride: 125,
            aggregate: Aggregate::Max,
        }
    }
}

/// Aggregation of window probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    #[default]
    Max,
    Mean,
}

/// Standardisation fitted on the training folds (METHODS §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StandardizeMode {
    /// One scalar mean and std over all training samples and leads (the benchmark's).
    #[default]
    Global,
    /// One mean and std per lead.
    PerLead,
    None,
}

/// The network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// An `ecg_nn::ModelSpec::preset` name, or `per_lead` with `encoder`.
    pub preset: String,
    /// `per_lead` only: an LCD-pretrained single-lead encoder (`ecg pretrain` output,
    /// `encoder.safetensors`); one copy per input lead, features concatenated, linear head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoder: Option<PathBuf>,
    /// `per_lead` only: keep the encoders fixed (linear probe) instead of fine-tuning them.
    #[serde(default)]
    pub freeze_encoder: bool,
}

/// Device choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    #[default]
    Cpu,
    Cuda,
    /// CUDA when present, else CPU.
    Auto,
}

impl DeviceChoice {
    /// The tch device; an error when CUDA is requested and absent.
    pub fn resolve(self) -> Result<tch::Device, TrainError> {
        self.resolve_for(0)
    }

    /// The device of a process with this local rank: CUDA device `local_rank` (one GPU per
    /// rank on a node), or the CPU.
    pub fn resolve_for(self, local_rank: usize) -> Result<tch::Device, TrainError> {
        let count = tch::Cuda::device_count().max(0) as usize;
        if self != DeviceChoice::Cpu && tch::Cuda::is_available() && local_rank >= count {
            return Err(TrainError::Device(format!(
                "local rank {local_rank} needs cuda:{local_rank}, libtorch sees {count} CUDA \
                 device(s): start at most {count} ranks per node"
            )));
        }
        match self {
            DeviceChoice::Cpu => Ok(tch::Device::Cpu),
            DeviceChoice::Auto => Ok(if tch::Cuda::is_available() {
                tch::Device::Cuda(local_rank)
            } else {
                tch::Device::Cpu
            }),
            DeviceChoice::Cuda => {
                if tch::Cuda::is_available() {
                    Ok(tch::Device::Cuda(local_rank))
                } else {
                    Err(TrainError::Device(
                        "device = \"cuda\" was requested but libtorch sees no CUDA device \
                         (check the driver, CUDA_VISIBLE_DEVICES and that libtorch is a CUDA build)"
                            .into(),
                    ))
                }
            }
        }
    }
}

/// The training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub epochs: usize,
    pub batch_size: usize,
    #[serde(default = "d_eval_bs")]
    pub eval_batch_size: usize,
    pub seed: u64,
    #[serde(default)]
    pub device: DeviceChoice,
    /// The run folder (config, checkpoints, metrics).
    pub output_dir: PathBuf,
    /// Stop when validation macro-AUC has not improved for this many epochs.
    #[serde(default)]
    pub patience: Option<usize>,
    /// Mixed precision through libtorch's autocast on the training device (CUDA or CPU):
    /// eligible ops (convolutions, matmuls) run in `autocast_dtype`; weights, optimizer
    /// state and the loss stay fp32. Evaluation runs in fp32.
    #[serde(default)]
    pub autocast: bool,
    /// `bf16` (default) or `fp16`.
    #[serde(default)]
    pub autocast_dtype: crate::precision::AutocastDtype,
    /// Stop (as if interrupted) after this many optimizer steps in total, after writing
    /// the last checkpoint; `--resume` continues. For tests and time-boxed jobs.
    #[serde(default)]
    pub stop_after_steps: Option<usize>,
    /// The loss (and a non-finite one) is read from the device every this many steps, at
    /// the end of an epoch and before a checkpoint; the steps between read nothing back.
    #[serde(default = "d_log_every")]
    pub log_every: usize,
    /// Data-parallel runs: rank 0's buffers (batch-norm statistics) replace every rank's
    /// before each step, as DDP's `broadcast_buffers=True` (one more collective per step).
    /// Off: each rank keeps its own statistics between the validations, which broadcast
    /// them anyway.
    #[serde(default = "d_true")]
    pub broadcast_buffers: bool,
    /// Data-parallel runs: average the gradients with libtorch's DDP engine (`c10d::Reducer`),
    /// each bucket's all-reduce started while backward still runs (from the second step of a
    /// process on; the first shows which parameters take a gradient). Off: one all-reduce
    /// after backward. Both give the same numbers.
    #[serde(default = "d_true")]
    pub overlap_grad_sync: bool,
    /// Size of a gradient bucket in MB (DDP's `bucket_cap_mb`, 25 by default): every network
    /// of this toolkit fits one bucket, i.e. one all-reduce per step. Smaller buckets start
    /// their all-reduces earlier in backward, one collective each.
    #[serde(default = "d_bucket_mb")]
    pub bucket_mb: f64,
    /// cuDNN's autotuner (`torch.backends.cudnn.benchmark`): picks the fastest convolution
    /// algorithms for the fixed training shapes. CUDA only; results are then not bitwise
    /// reproducible.
    #[serde(default)]
    pub cudnn_benchmark: bool,
    /// Also write the last checkpoint every this many optimizer steps (besides every
    /// epoch's end), so that a killed or preempted run loses at most these steps.
    #[serde(default)]
    pub checkpoint_every_steps: Option<usize>,
    /// Also write the last checkpoint when this many minutes have passed since the
    /// previous one, by rank 0's clock (every rank writes at the step rank 0 decides).
    #[serde(default)]
    pub checkpoint_every_minutes: Option<f64>,
}
fn d_eval_bs() -> usize {
    256
}
fn d_log_every() -> usize {
    50
}

/// Augmentations applied to training crops (none by default).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugmentConfig {
    /// Multiply each record by a factor drawn uniformly from [1 − s, 1 + s].
    #[serde(default)]
    pub amplitude_scale: f64,
    /// Add Gaussian noise with this standard deviation (in standardised units).
    #[serde(default)]
    pub gaussian_noise: f64,
    /// Zero a random span of up to this fraction of the length, all leads (time-out).
    #[serde(default)]
    pub time_out: f64,
}

/// Where the student's features are taken for the feature term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureTap {
    /// The input of the classification head ([batch, D]); linear adaptor.
    #[default]
    HeadInput,
}

/// Knowledge distillation (METHODS §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistillConfig {
    /// The teacher checkpoint (`--teacher` overrides).
    #[serde(default)]
    pub teacher: Option<PathBuf>,
    #[serde(default = "d_alpha")]
    pub alpha: f64,
    #[serde(default = "d_t")]
    pub temperature: f64,
    #[serde(default = "d_beta")]
    pub beta: f64,
    #[serde(default)]
    pub feature: FeatureTap,
    /// How the feature term compares the adaptor's output with the teacher's features:
    /// `"none"` (MSE on raw features, the default, as configs saved before this key),
    /// `"l2"` (per-sample L2-normalised, mean(2 − 2cos) in [0, 4]) or `"standardize"`
    /// (per-sample standardised, mean(2 − 2·Pearson r) in [0, 4]).
    #[serde(default)]
    pub feature_norm: FeatureNorm,
    /// MVKT-ECG's contrastive term (Qin et al. 2023), added as `weight · CLT`; absent: no CLT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clt: Option<CltConfig>,
}

/// The contrastive lead-information transfer of MVKT (METHODS §5); defaults are the paper's.
/// MVKT's total `BCE + 1.0·MKD + 0.8·CLT` is, up to a factor 2, `alpha = 0.5`,
/// `temperature = 1`, `beta = 0`, `clt.weight = 0.4`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CltConfig {
    #[serde(default = "d_clt_weight")]
    pub weight: f64,
    /// Embedding size of the two linear maps.
    #[serde(default = "d_clt_dim")]
    pub dim: usize,
    /// τ of `exp(⟨v, m⟩ / τ)`.
    #[serde(default = "d_clt_t")]
    pub temperature: f64,
    /// Negatives per anchor (drawn with replacement from the memory bank).
    #[serde(default = "d_clt_neg")]
    pub negatives: usize,
    /// Memory-bank momentum.
    #[serde(default = "d_clt_mom")]
    pub momentum: f64,
    /// Draw negatives only from records that share no positive label with the anchor.
    #[serde(default = "d_true")]
    pub disease_aware: bool,
}
impl Default for CltConfig {
    fn default() -> Self {
        CltConfig {
            weight: d_clt_weight(),
            dim: d_clt_dim(),
            temperature: d_clt_t(),
            negatives: d_clt_neg(),
            momentum: d_clt_mom(),
            disease_aware: true,
        }
    }
}
fn d_clt_weight() -> f64 {
    0.8
}
fn d_clt_dim() -> usize {
    128
}
fn d_clt_t() -> f64 {
    0.07
}
fn d_clt_neg() -> usize {
    1024
}
fn d_clt_mom() -> f64 {
    0.5
}
fn d_bucket_mb() -> f64 {
    25.0
}

fn d_true() -> bool {
    true
}
fn d_alpha() -> f64 {
    0.5
}
fn d_t() -> f64 {
    2.0
}
fn d_beta() -> f64 {
    1.0
}

impl DistillConfig {
    pub fn weights(&self) -> KdWeights {
        KdWeights {
            alpha: self.alpha,
            temperature: self.temperature,
            beta: self.beta,
            feature_norm: self.feature_norm,
        }
    }
}

impl TrainConfig {
    /// Parses a config from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<TrainConfig, TrainError> {
        let cfg: TrainConfig =
            toml::from_str(text).map_err(|e| TrainError::config(origin, e.to_string()))?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    /// Reads a config file and resolves its relative paths against its folder. The pack
    /// must exist; `distill.teacher` is checked when distillation starts (`--teacher` may
    /// replace it).
    pub fn load(path: &Path) -> Result<TrainConfig, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
        let mut cfg = TrainConfig::from_toml(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        cfg.resolve_paths(base);
        if !cfg.data.pack.is_file() {
            return Err(TrainError::config(
                path,
                format!("data.pack: no such file {}", cfg.data.pack.display()),
            ));
        }
        if let Some(e) = cfg.model.encoder.as_ref().filter(|e| !e.is_file()) {
            return Err(TrainError::config(
                path,
                format!(
                    "model.encoder: no such file {} (run `ecg pretrain` first)",
                    e.display()
                ),
            ));
        }
        Ok(cfg)
    }

    /// Makes `data.pack`, `train.output_dir` and `distill.teacher` absolute against `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.data.pack);
        fix(&mut self.train.output_dir);
        if let Some(e) = self.model.encoder.as_mut() {
            fix(e);
        }
        if let Some(t) = self.distill.as_mut().and_then(|d| d.teacher.as_mut()) {
            fix(t);
        }
    }

    /// Value checks that serde cannot express; each names the key.
    pub fn validate(&self, origin: &Path) -> Result<(), TrainError> {
        let bad = |key: &str, msg: &str| Err(TrainError::config(origin, format!("{key}: {msg}")));
        if self.train.epochs == 0 {
            return bad("train.epochs", "must be at least 1");
        }
        if self.train.batch_size == 0 {
            return bad("train.batch_size", "must be at least 1");
        }
        if self.train.checkpoint_every_steps == Some(0) {
            return bad("train.checkpoint_every_steps", "must be at least 1");
        }
        if let Some(m) = self.train.checkpoint_every_minutes {
            if !(m.is_finite() && m > 0.0) {
                return bad(
                    "train.checkpoint_every_minutes",
                    "must be a positive number",
                );
            }
        }
        if self.train.eval_batch_size == 0 {
            return bad("train.eval_batch_size", "must be at least 1");
        }
        if !(self.train.bucket_mb.is_finite() && self.train.bucket_mb > 0.0) {
            return bad("train.bucket_mb", "must be a positive number of MB");
        }
        if self.train.log_every == 0 {
            return bad("train.log_every", "must be at least 1");
        }
        if !(self.optim.lr > 0.0 && self.optim.lr.is_finite()) {
            return bad("optim.lr", "must be a positive number");
        }
        if let InputMode::Crop { length, stride, .. } = self.data.input {
            if length == 0 || stride == 0 {
                return bad("data.input", "length and stride must be at least 1");
            }
        }
        if self.data.train_folds.is_empty() || self.data.val_folds.is_empty() {
            return bad(
                "data.train_folds",
                "train and validation folds must not be empty",
            );
        }
        for f in self.data.val_folds.iter().chain(&self.data.test_folds) {
            if self.data.train_folds.contains(f) {
                return bad(
                    "data.val_folds",
                    &format!("fold {f} is also a training fold"),
                );
            }
        }
        if let Some(d) = &self.distill {
            if !(0.0..=1.0).contains(&d.alpha) {
                return bad("distill.alpha", "must be in [0, 1]");
            }
            if d.temperature <= 0.0 {
                return bad("distill.temperature", "must be positive");
            }
            if d.beta < 0.0 {
                return bad("distill.beta", "must be non-negative");
            }
            if let Some(c) = &d.clt {
                if !(c.weight >= 0.0 && c.weight.is_finite()) {
                    return bad("distill.clt.weight", "must be a non-negative number");
                }
                if c.dim == 0 || c.negatives == 0 {
                    return bad("distill.clt", "dim and negatives must be at least 1");
                }
                if !(c.temperature > 0.0 && c.temperature.is_finite()) {
                    return bad("distill.clt.temperature", "must be positive");
                }
                if !(0.0..1.0).contains(&c.momentum) {
                    return bad("distill.clt.momentum", "must be in [0, 1)");
                }
            }
        }
        if let Some(f) = self.data.train_fraction {
            if !(f > 0.0 && f <= 1.0) {
                return bad("data.train_fraction", "must be in (0, 1]");
            }
        }
        match (self.model.preset.as_str(), &self.model.encoder) {
            ("per_lead", None) => {
                return bad(
                    "model.encoder",
                    "preset `per_lead` needs an encoder checkpoint",
                )
            }
            (p, Some(_)) if p != "per_lead" => {
                return bad(
                    "model.encoder",
                    "only the `per_lead` preset takes an encoder",
                )
            }
            _ => {}
        }
        if let Some(l) = &self.lcd {
            if self.distill.is_some() {
                return bad("lcd", "a config is either [lcd] pretraining or [distill]");
            }
            if l.hidden == 0 || l.dim == 0 {
                return bad("lcd", "hidden and dim must be at least 1");
            }
            if !(0.0..1.0).contains(&l.momentum) {
                return bad("lcd.momentum", "must be in [0, 1)");
            }
            if !(l.gamma >= 0.0 && l.off_diagonal >= 0.0) {
                return bad("lcd.gamma", "gamma and off_diagonal must be non-negative");
            }
            // Range checks written so that NaN fails them too.
            let crop_ok = (0.0..=1.0).contains(&l.crop_min) && l.crop_min > 0.0;
            if !(crop_ok && (0.0..=1.0).contains(&l.time_out)) {
                return bad("lcd", "crop_min in (0, 1], time_out in [0, 1]");
            }
        }
        let a = &self.augment;
        if !(0.0..1.0).contains(&a.amplitude_scale)
            || a.gaussian_noise < 0.0
            || !(0.0..=1.0).contains(&a.time_out)
        {
            return bad(
                "augment",
                "amplitude_scale in [0,1), gaussian_noise ≥ 0, time_out in [0,1]",
            );
        }
        Ok(())
    }

    /// The config as TOML (written to the run folder).
    pub fn to_toml(&self) -> Result<String, TrainError> {
        toml::to_string_pretty(self)
            .map_err(|e| TrainError::Other(format!("serialising config: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[data]
pack = "data.pack"
task = "superdiagnostic"

[model]
preset = "se_resnet1d"

[train]
epochs = 3
batch_size = 32
seed = 1
output_dir = "runs/x"
"#;

    #[test]
    fn minimal_parses_with_defaults() {
        let c = TrainConfig::from_toml(MINIMAL, Path::new("x.toml")).expect("parses");
        assert_eq!(c.data.train_folds, (1..=8).collect::<Vec<u8>>());
        assert_eq!(c.loss, TaskLoss::Bce);
        assert_eq!(c.data.input, InputMode::default());
        // Round trip through the serialised form.
        let again = TrainConfig::from_toml(&c.to_toml().expect("ser"), Path::new("y")).expect("re");
        assert_eq!(c, again);
    }

    #[test]
    fn unknown_key_is_named() {
        let text = MINIMAL.replace("seed = 1", "seed = 1\nlearning_rat = 3");
        let e = TrainConfig::from_toml(&text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("learning_rat"), "{e}");
        let text = MINIMAL.replace("[model]", "[loss]\nkind = \"asl\"\ngama_neg = 2\n[model]");
        let e = TrainConfig::from_toml(&text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("gama_neg"), "{e}");
    }

    #[test]
    fn wrong_type_is_named() {
        let text = MINIMAL.replace("epochs = 3", "epochs = \"three\"");
        let e = TrainConfig::from_toml(&text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("epochs"), "{e}");
    }

    #[test]
    fn bad_value_is_named() {
        let text = MINIMAL.replace("batch_size = 32", "batch_size = 0");
        let e = TrainConfig::from_toml(&text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("train.batch_size"), "{e}");
    }

    #[test]
    fn feature_norm_parses_defaults_to_none_and_names_a_bad_value() {
        let with = |extra: &str| MINIMAL.to_string() + "\n[distill]\nbeta = 0.5\n" + extra;
        let d = |text: &str| {
            TrainConfig::from_toml(text, Path::new("x.toml"))
                .map(|c| c.distill.expect("distill").weights().feature_norm)
        };
        // A config saved before the key existed reads as before: raw-feature MSE.
        assert_eq!(d(&with("")).expect("old"), FeatureNorm::None);
        assert_eq!(
            d(&with("feature_norm = \"none\"")).expect("none"),
            FeatureNorm::None
        );
        assert_eq!(
            d(&with("feature_norm = \"l2\"")).expect("l2"),
            FeatureNorm::L2
        );
        assert_eq!(
            d(&with("feature_norm = \"standardize\"")).expect("std"),
            FeatureNorm::Standardize
        );
        let e = d(&with("feature_norm = \"L2norm\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("feature_norm") || e.contains("L2norm"), "{e}");
        // The key survives the run folder's config.toml.
        let c = TrainConfig::from_toml(&with("feature_norm = \"l2\""), Path::new("x")).expect("c");
        let again = TrainConfig::from_toml(&c.to_toml().expect("ser"), Path::new("y")).expect("re");
        assert_eq!(c, again);
        assert!(c.to_toml().expect("ser").contains("feature_norm = \"l2\""));
    }

    #[test]
    fn missing_pack_is_named() {
        let dir = std::env::temp_dir().join(format!("ecg-train-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let p = dir.join("c.toml");
        std::fs::write(&p, MINIMAL).expect("write");
        let e = TrainConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("data.pack") && e.contains("data.pack"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
