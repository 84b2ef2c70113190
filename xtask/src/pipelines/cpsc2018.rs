//! CPSC2018 (Zhang & Sun 2024, label-correlation network): the teacher, the paper's
//! Table-4 ablations (backbone only, + label-correlation embedding, + decoder) and the
//! students of Zhou et al. 2024 (without and with KD) on the nine classes.
//!
//! Protocol (docs/reproducing.md): the original MAT-5 release with `REFERENCE.csv`; records
//! resampled to 100 Hz and cut or zero-padded to 10 s (1000 samples, whole-record input, as
//! the paper downsamples then crops or pads);
//! folds 1–10 by record-wise iterative stratification (seeded; no patient ids), 1–8 train,
//! 9 validation (thresholds, λ), 10 test. The paper splits 8:2 at random.
use super::{Model, Plan};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

fn label_file(data: &Path) -> Result<PathBuf> {
    let p = data.join("REFERENCE.csv");
    if !p.is_file() {
        bail!(
            "--data {}: no REFERENCE.csv there (expected the CPSC2018 folder: A*.mat + REFERENCE.csv)",
            data.display()
        );
    }
    Ok(p)
}

pub fn plan() -> Plan {
    let m = |dir, template, preset, distill, calibrate| Model {
        dir,
        template,
        preset,
        distill,
        calibrate,
    };
    Plan {
        dataset: "cpsc2018",
        title: "CPSC2018",
        label_file,
        pack_args: ["--rate", "100", "--length", "1000"]
            .map(String::from)
            .to_vec(),
        default_tasks: &["classes"],
        tasks: &["classes"],
        models: vec![
            m("teacher", "teacher.toml", None, false, true),
            m(
                "teacher_backbone",
                "teacher.toml",
                Some("teacher-backbone"),
                false,
                false,
            ),
            m(
                "teacher_embedding",
                "teacher.toml",
                Some("teacher-embedding"),
                false,
                false,
            ),
            m(
                "teacher_decoder",
                "teacher.toml",
                Some("teacher-decoder"),
                false,
                false,
            ),
            m("student", "student.toml", None, false, false),
            m("student_kd", "student-kd.toml", None, true, true),
        ],
        synthetic_records: 400,
        synthetic_epochs: 8,
    }
}
