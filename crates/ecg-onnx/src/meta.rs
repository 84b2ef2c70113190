//! [`Deploy`]: everything `ecg predict --model` needs to replay a checkpoint's
//! preprocessing, stored in the ONNX model's `metadata_props`, one key `ecg.<field>` per
//! field with a JSON value (readable by any ONNX tool: `onnx.load(f).metadata_props`).
use serde::{Deserialize, Serialize};
use std::path::Path;
use tract_onnx::pb;

use crate::error::OnnxError;

/// Format tag written as `ecg.format`.
pub const FORMAT: &str = "ecg-onnx/1";

/// The pack's Butterworth band-pass (`butter(order, [low, high], 'bandpass', fs=rate)` then
/// `sosfiltfilt`), replayed on each record after resampling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bandpass {
    pub low_hz: f64,
    pub high_hz: f64,
    pub order: usize,
}

/// Per-lead standardisation `(x − mean) / std`, applied in f32 after the band-pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// How it was fitted (`per_lead`, `global`, `none`): informative.
    pub mode: String,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardizer {
    /// `(x − mean) / std` lead by lead on one record `[leads * samples]`, in f32 (as
    /// training and `ecg predict --checkpoint` do).
    pub fn apply(&self, x: &mut [f32], samples: usize) {
        for (l, row) in x.chunks_mut(samples).enumerate() {
            let (m, s) = (self.mean[l] as f32, self.std[l] as f32);
            for v in row {
                *v = (*v - m) / s;
            }
        }
    }
}

/// How the window probabilities of one record are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Max,
    Mean,
}

/// What the network sees of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Windows {
    /// Sliding windows of `length` samples every `stride`, probabilities aggregated (a
    /// record no longer than `length` is one window of its own length).
    Crop {
        length: usize,
        stride: usize,
        aggregate: Aggregate,
    },
    /// The whole record, which must have `samples` samples.
    Whole { samples: usize },
}

impl Windows {
    /// Window starts for a record of `samples` samples (as training's evaluation).
    pub fn offsets(&self, samples: usize) -> Vec<usize> {
        match *self {
            Windows::Whole { .. } => vec![0],
            Windows::Crop { length, stride, .. } => {
                if length >= samples {
                    return vec![0];
                }
                (0..=samples - length).step_by(stride.max(1)).collect()
            }
        }
    }
}

/// Label-correlation calibration fitted on validation (λ per label or shared, C the
/// label-correlation matrix of the training folds); applied only on request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub lambda: Vec<f64>,
    /// `C` row-major `[K, K]`.
    pub c: Vec<f64>,
}

/// The deployment metadata of an exported model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deploy {
    /// [`FORMAT`].
    pub format: String,
    /// The network preset (informative).
    pub preset: String,
    /// Sampling rate (Hz) the network expects; records are resampled to it.
    pub rate: u32,
    /// Input lead names in row order, picked by name from each record.
    pub leads: Vec<String>,
    /// The pack's band-pass, if any.
    pub bandpass: Option<Bandpass>,
    /// The pack's preprocessing as text (informative).
    pub pack_preprocessing: String,
    pub standardizer: Standardizer,
    pub windows: Windows,
    /// The model's input length: the window length (fixed-length networks), or `null` when
    /// the network takes any supported length.
    pub input_len: Option<usize>,
    /// Output order.
    pub class_names: Vec<String>,
    pub calibration: Option<Calibration>,
}

impl Deploy {
    /// One `(ecg.<field>, JSON)` pair per field.
    pub fn to_props(&self) -> Vec<(String, String)> {
        let v = serde_json::to_value(self).unwrap_or_default();
        let serde_json::Value::Object(m) = v else {
            return Vec::new();
        };
        m.into_iter()
            .map(|(k, v)| (format!("ecg.{k}"), v.to_string()))
            .collect()
    }

    /// Reads and checks the `ecg.*` entries of a model's metadata.
    pub fn from_props(
        path: &Path,
        props: &[pb::StringStringEntryProto],
    ) -> Result<Deploy, OnnxError> {
        let err = |reason: String| OnnxError::Metadata {
            path: path.to_path_buf(),
            reason,
        };
        let mut m = serde_json::Map::new();
        for e in props {
            if let Some(k) = e.key.strip_prefix("ecg.") {
                let v: serde_json::Value = serde_json::from_str(&e.value)
                    .map_err(|x| err(format!("{}: not JSON ({x})", e.key)))?;
                m.insert(k.to_string(), v);
            }
        }
        if m.is_empty() {
            return Err(err(
                "no ecg.* entries: this model was not exported by `ecg export onnx`, so the \
                 preprocessing to replay is unknown"
                    .into(),
            ));
        }
        let d: Deploy = serde_json::from_value(serde_json::Value::Object(m))
            .map_err(|x| err(format!("ecg.* entries: {x}")))?;
        d.validate().map_err(err)?;
        Ok(d)
    }

    /// Internal consistency (lengths of the lead, standardiser and class lists).
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "ecg.format is {:?}, this build reads {FORMAT:?}",
                self.format
            ));
        }
        if self.leads.is_empty() {
            return Err("ecg.leads is empty".into());
        }
        if self.rate == 0 {
            return Err("ecg.rate is 0".into());
        }
        let n = self.leads.len();
        let s = &self.standardizer;
        if s.mean.len() != n || s.std.len() != n {
            return Err(format!(
                "ecg.standardizer has {} means and {} stds for {n} leads",
                s.mean.len(),
                s.std.len()
            ));
        }
        if let Some(i) = s.std.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("ecg.standardizer.std[{i}] is {}", s.std[i]));
        }
        if self.class_names.is_empty() {
            return Err("ecg.class_names is empty".into());
        }
        if let Windows::Crop { length, stride, .. } = self.windows {
            if length == 0 || stride == 0 {
                return Err("ecg.windows: length and stride must be positive".into());
            }
        }
        if let Some(c) = &self.calibration {
            let k = self.class_names.len();
            if c.c.len() != k * k || !(c.lambda.len() == 1 || c.lambda.len() == k) {
                return Err(format!(
                    "ecg.calibration: {} λ and {} entries of C for {k} classes",
                    c.lambda.len(),
                    c.c.len()
                ));
            }
        }
        Ok(())
    }
}
