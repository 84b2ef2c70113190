//! Hefei-Tianchi (Zhou et al. 2024, KD + label relevance): the label-correlation teacher,
//! the ≈0.62× student without and with KD, label-correlation calibration.
//!
//! Protocol (docs/reproducing.md): the label file's classes as stable English identifiers;
//! task `zhou2024` (every class, LBBB = 左束支传导阻滞 ∪ 完全性左束支传导阻滞 as the paper
//! counts it) or `classes`; whole 10 s records resampled to 100 Hz; folds 1–10 by record-wise
//! iterative stratification (seeded; no patient ids), 1–8 train, 9 validation, 10 test.
use super::{Model, Plan};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// The label file as `ecg pack hefei` finds it (the one `hf_round*_label.txt`).
fn label_file(data: &Path) -> Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(data)
        .map_err(|e| anyhow::anyhow!("--data {}: {e}", data.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("hf_round") && n.ends_with("_label.txt"))
        })
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => anyhow::bail!(
            "--data {}: expected one hf_round*_label.txt (the Hefei-Tianchi label file), found {n}",
            data.display()
        ),
    }
}

pub fn plan() -> Plan {
    let m = |dir, template, distill, calibrate| Model {
        dir,
        template,
        preset: None,
        distill,
        calibrate,
    };
    Plan {
        dataset: "hefei",
        title: "Hefei-Tianchi",
        label_file,
        pack_args: ["--rate", "100"].map(String::from).to_vec(),
        default_tasks: &["zhou2024"],
        tasks: &["zhou2024", "classes"],
        models: vec![
            m("teacher", "teacher.toml", false, true),
            m("student", "student.toml", false, true),
            m("student_kd", "student-kd.toml", true, true),
        ],
        synthetic_records: 400,
        synthetic_epochs: 8,
    }
}
