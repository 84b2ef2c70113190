//! PTB-XL metadata: one row of `scp_statements.csv`, one row of `ptbxl_database.csv`.
//! (Contract types shared with ecg-labels and ecg-train; loaders live beside them.)
use serde::{Deserialize, Serialize};

/// One row of `scp_statements.csv`. The first (unnamed) column is the code; `diagnostic`,
/// `form`, `rhythm` are `1.0` or empty in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScpStatement {
    pub code: String,
    pub description: String,
    pub diagnostic: bool,
    pub form: bool,
    pub rhythm: bool,
    /// e.g. `NORM`, `MI`, `STTC`, `CD`, `HYP` (diagnostic statements only).
    pub diagnostic_class: Option<String>,
    /// e.g. `IMI`, `LVH` (diagnostic statements only).
    pub diagnostic_subclass: Option<String>,
}

/// One row of `ptbxl_database.csv` (the columns the pipeline uses; the rest are kept as
/// strings in `extra`, in file order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PtbxlRecord {
    pub ecg_id: u32,
    pub patient_id: Option<u32>,
    pub age: Option<f64>,
    /// 0 = male, 1 = female, as in the file.
    pub sex: Option<u8>,
    pub strat_fold: u8,
    /// `scp_codes` parsed from its Python dict literal, in file order: (code, likelihood).
    pub scp_codes: Vec<(String, f64)>,
    /// e.g. `records100/00000/00001_lr` (no extension).
    pub filename_lr: String,
    /// e.g. `records500/00000/00001_hr` (no extension).
    pub filename_hr: String,
    pub extra: Vec<(String, String)>,
}
