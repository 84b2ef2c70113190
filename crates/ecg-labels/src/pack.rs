//! The label task of a packed dataset (`ecg_io::pack`): PTB-XL tasks from the pack's
//! statement table, class-name tasks for CPSC2018, PhysioNet/CinC 2021 and manifest packs,
//! and Hefei-Tianchi's tasks. One function, so training (`ecg train`) and the light
//! `ecg labels pack` build a pack's task the same way.
use crate::error::{LabelError, Result};
use crate::task::{RecordCodes, TaskLabels, TaskOptions};
use crate::{ptbxl_task, PtbxlTask, Vocabulary};
use ecg_io::pack::{PackMeta, PackedRecord};

/// The label task `task` over all records of a pack (record order).
///
/// PTB-XL packs (with a statement table): `all`, `diagnostic`, `subdiagnostic`,
/// `superdiagnostic`, `form`, `rhythm`. Packs whose codes are class names: `classes`
/// (CPSC2018 packs use the fixed 9-class vocabulary, CinC 2021 packs the 26 scored classes).
/// Hefei-Tianchi packs: `classes` and `zhou2024` ([`crate::hefei`]).
pub fn pack_task(
    meta: &PackMeta,
    records: &[PackedRecord],
    task: &str,
    min_likelihood: f64,
) -> Result<TaskLabels> {
    let codes: Vec<RecordCodes<'_>> = records.iter().map(RecordCodes::from).collect();
    if meta.dataset == "hefei" {
        let t: crate::HefeiTask = task.parse()?;
        return crate::hefei_task(&codes, t);
    }
    if task == "classes" {
        let vocab = match meta.dataset.as_str() {
            "cpsc2018" => Some(Vocabulary::cpsc2018()),
            // The 26 scored classes of the PhysioNet/CinC Challenge 2021, table order.
            "cinc2021" => Some(crate::cinc2021::vocabulary()?),
            _ => None,
        };
        return crate::named_task(&meta.dataset, &codes, vocab.as_ref(), min_likelihood);
    }
    let t: PtbxlTask = task.parse().map_err(|_| LabelError::BadOption {
        option: "task".into(),
        value: task.into(),
        reason:
            "unknown task (all, diagnostic, subdiagnostic, superdiagnostic, form, rhythm, classes)"
                .into(),
    })?;
    if meta.statements.is_empty() {
        return Err(LabelError::BadOption {
            option: "task".into(),
            value: task.into(),
            reason: format!(
                "needs the PTB-XL statement table, but the pack ({}) has none; use task \"classes\"",
                meta.dataset
            ),
        });
    }
    let opts = TaskOptions {
        min_likelihood,
        ..TaskOptions::default()
    };
    ptbxl_task(&codes, &meta.statements, t, &opts)
}
