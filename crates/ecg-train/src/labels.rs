//! The bridge to ecg-labels: the task of a pack (PTB-XL tasks from the pack's statement
//! table, or class-name tasks for CPSC2018-style packs), E on the training split.
use crate::error::TrainError;
use ecg_io::pack::{PackMeta, PackedRecord};
use ecg_labels::{
    ptbxl_task, LabelStats, PtbxlTask, RecordCodes, TaskLabels, TaskOptions, Vocabulary,
};
use ndarray::Array2;

fn lab(e: ecg_labels::LabelError) -> TrainError {
    TrainError::Data(format!("labels: {e}"))
}

/// The label task `task` over all records of a pack (record order).
///
/// PTB-XL packs (with a statement table): `all`, `diagnostic`, `subdiagnostic`,
/// `superdiagnostic`, `form`, `rhythm`. Packs whose codes are class names: `classes`
/// (CPSC2018 packs use the fixed 9-class vocabulary, CinC 2021 packs the 26 scored classes).
/// Hefei-Tianchi packs: `classes` and `zhou2024` ([`ecg_labels::hefei`]).
pub fn task_for_pack(
    meta: &PackMeta,
    records: &[PackedRecord],
    task: &str,
    min_likelihood: f64,
) -> Result<TaskLabels, TrainError> {
    let codes: Vec<RecordCodes<'_>> = records.iter().map(RecordCodes::from).collect();
    if meta.dataset == "hefei" {
        let t: ecg_labels::HefeiTask = task.parse().map_err(lab)?;
        return ecg_labels::hefei_task(&codes, t).map_err(lab);
    }
    if task == "classes" {
        let vocab = match meta.dataset.as_str() {
            "cpsc2018" => Some(Vocabulary::cpsc2018()),
            // The 26 scored classes of the PhysioNet/CinC Challenge 2021, table order.
            "cinc2021" => Some(ecg_labels::cinc2021::vocabulary().map_err(lab)?),
            _ => None,
        };
        return ecg_labels::named_task(&meta.dataset, &codes, vocab.as_ref(), min_likelihood)
            .map_err(lab);
    }
    let t: PtbxlTask = task.parse().map_err(|_| {
        TrainError::Data(format!(
            "data.task: unknown task `{task}` (all, diagnostic, subdiagnostic, superdiagnostic, form, rhythm, classes)"
        ))
    })?;
    if meta.statements.is_empty() {
        return Err(TrainError::Data(format!(
            "data.task = `{task}` needs the PTB-XL statement table, but the pack ({}) has none; use task = \"classes\"",
            meta.dataset
        )));
    }
    let opts = TaskOptions {
        min_likelihood,
        ..TaskOptions::default()
    };
    ptbxl_task(&codes, &meta.statements, t, &opts).map_err(lab)
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
