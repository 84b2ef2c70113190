//! The packed dataset: one safetensors file holding every record's preprocessed signal
//! as one float32 tensor `signals` [records, leads, samples], plus per-record metadata and
//! dataset metadata as JSON in the safetensors `__metadata__` map. (Contract types; the
//! writer and the memory-mapped reader live beside them.)
use crate::ptbxl::ScpStatement;
use serde::{Deserialize, Serialize};

/// Per-record metadata, in the same order as the rows of `signals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackedRecord {
    /// Dataset-specific record name (PTB-XL: the ecg_id as a string; CPSC2018: `A0001`).
    pub id: String,
    pub ecg_id: Option<u32>,
    pub patient_id: Option<u32>,
    /// Fold 1..=10 (PTB-XL `strat_fold`; other datasets: assigned by the packer, stated in
    /// the metadata).
    pub fold: u8,
    /// Label statements with likelihoods, in source order. PTB-XL: `scp_codes` as parsed
    /// (code, likelihood); CPSC2018 / Hefei-Tianchi: (class name, 100.0).
    pub codes: Vec<(String, f64)>,
    /// The raw source text of the labels (PTB-XL: the `scp_codes` dict literal).
    pub codes_raw: String,
}

/// Dataset-level metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackMeta {
    /// `ptbxl`, `cpsc2018`, `hefei`, `synthetic-ptbxl`.
    pub dataset: String,
    /// Dataset version, e.g. `1.0.3`.
    pub version: String,
    /// Sampling rate of `signals` in Hz.
    pub rate: u32,
    /// Lead names, in row order of each record.
    pub leads: Vec<String>,
    /// Samples per record.
    pub samples: usize,
    /// Human-readable description of the preprocessing (band-pass, resampling, crop/pad).
    pub preprocessing: String,
    /// Where the data came from (a path or URL).
    pub source: String,
    /// PTB-XL: the full `scp_statements.csv` table, so label tasks can be built from the
    /// pack alone. Empty for datasets whose codes are already class names.
    pub statements: Vec<ScpStatement>,
}
