//! The bridge to ecg-labels: the task of a pack (PTB-XL tasks from the pack's statement
//! table, or class-name tasks for CPSC2018-style packs), E on the training split.
use crate::error::TrainError;
use ecg_io::pack::{PackMeta, PackedRecord};
use ecg_labels::{LabelStats, TaskLabels, Vocabulary};
use ndarray::Array2;

fn lab(e: ecg_labels::LabelError) -> TrainError {
    TrainError::Data(format!("labels: {e}"))
}

/// The label task `task` over all records of a pack (record order): see
/// [`ecg_labels::pack::pack_task`], which the light `ecg labels pack` shares.
pub fn task_for_pack(
    meta: &PackMeta,
    records: &[PackedRecord],
    task: &str,
    min_likelihood: f64,
) -> Result<TaskLabels, TrainError> {
    ecg_labels::pack::pack_task(meta, records, task, min_likelihood)
        .map_err(|e| TrainError::Data(format!("data.task: {e}")))
}

fn vocab_of(k: usize) -> Result<Vocabulary, TrainError> {
    Vocabulary::new("task", (0..k).map(|i| format!("c{i:04}")).collect()).map_err(lab)
}

/// Conditional co-occurrence E (METHODS §2) of a multi-hot matrix, row-major f32.
pub fn cooccurrence(y: &Array2<u8>) -> Result<Vec<f32>, TrainError> {
    let stats = LabelStats::from_multi_hot(&vocab_of(y.ncols())?, y.view()).map_err(lab)?;
    Ok(stats.conditional().iter().map(|&v| v as f32).collect())
}

/// Cosine correlation C (METHODS §2) of a multi-hot matrix.
pub fn cosine(y: &Array2<u8>) -> Result<Array2<f64>, TrainError> {
    let stats = LabelStats::from_multi_hot(&vocab_of(y.ncols())?, y.view()).map_err(lab)?;
    Ok(stats.cosine())
}
