//! What only CPSC2018 and Hefei-Tianchi runs have: the papers' per-label F1 beside ours, as
//! data (CPSC2018: Zhang & Sun 2024, Tables 3–4, the full model and its ablations per
//! class; Hefei-Tianchi: Zhou et al. 2024, three rare labels without and with label
//! relevance), each published column next to the F1 of the model of ours that corresponds
//! to it (the `metrics.json` field the results table uses); and the datasets' protocol.
use super::json::{self, num};
use super::references::{Paper, QIN_2023, ZHANG_SUN_2024, ZHOU_2024};
use super::table::{num3, Table};
use anyhow::Result;
use serde_json::Value;
use std::path::Path;

/// One published column: a paper's per-label F1 and the run's model it corresponds to.
#[derive(Debug)]
pub struct PerLabelColumn {
    pub paper: &'static Paper,
    /// What the column is: "full model", "backbone only", "without label relevance".
    pub what: &'static str,
    /// Our model folder and whether its calibrated metrics are meant.
    pub ours: &'static str,
    pub calibrated: bool,
    /// (our class name, published F1).
    pub f1: &'static [(&'static str, f64)],
}

const fn zs(
    what: &'static str,
    ours: &'static str,
    f1: &'static [(&'static str, f64)],
) -> PerLabelColumn {
    PerLabelColumn {
        paper: &ZHANG_SUN_2024,
        what,
        ours,
        calibrated: false,
        f1,
    }
}

/// Zhang & Sun 2024, Table 4 (Table 3's last row is the full model's).
pub const CPSC2018: &[PerLabelColumn] = &[
    zs(
        "full model",
        "teacher",
        &[
            ("Normal", 0.798),
            ("AF", 0.913),
            ("I-AVB", 0.867),
            ("LBBB", 0.826),
            ("RBBB", 0.916),
            ("PAC", 0.850),
            ("PVC", 0.849),
            ("STD", 0.846),
            ("STE", 0.596),
        ],
    ),
    zs(
        "backbone only",
        "teacher_backbone",
        &[
            ("Normal", 0.532),
            ("AF", 0.754),
            ("I-AVB", 0.614),
            ("LBBB", 0.832),
            ("RBBB", 0.823),
            ("PAC", 0.315),
            ("PVC", 0.645),
            ("STD", 0.564),
            ("STE", 0.373),
        ],
    ),
    zs(
        "+ label-correlation embedding",
        "teacher_embedding",
        &[
            ("Normal", 0.754),
            ("AF", 0.856),
            ("I-AVB", 0.886),
            ("LBBB", 0.895),
            ("RBBB", 0.923),
            ("PAC", 0.694),
            ("PVC", 0.845),
            ("STD", 0.756),
            ("STE", 0.564),
        ],
    ),
    zs(
        "+ decoder",
        "teacher_decoder",
        &[
            ("Normal", 0.714),
            ("AF", 0.843),
            ("I-AVB", 0.854),
            ("LBBB", 0.875),
            ("RBBB", 0.903),
            ("PAC", 0.634),
            ("PVC", 0.776),
            ("STD", 0.746),
            ("STE", 0.576),
        ],
    ),
];

/// Zhou et al. 2024, abstract: LBBB, pacing rhythm and first-degree AV block (the abstract
/// gives 0.862 → 0.876 for both of the last two).
pub const HEFEI: &[PerLabelColumn] = &[
    PerLabelColumn {
        paper: &ZHOU_2024,
        what: "without label relevance",
        ours: "student_kd",
        calibrated: false,
        f1: &[("LBBB", 0.799), ("PACE", 0.862), ("1AVB", 0.862)],
    },
    PerLabelColumn {
        paper: &ZHOU_2024,
        what: "with label relevance",
        ours: "student_kd",
        calibrated: true,
        f1: &[("LBBB", 0.837), ("PACE", 0.876), ("1AVB", 0.876)],
    },
];

/// (dataset key in run.json, its per-label columns).
pub const TABLES: &[(&str, &[PerLabelColumn])] = &[("cpsc2018", CPSC2018), ("hefei", HEFEI)];

/// The per-label section for the task folder `tdir` of `dataset`, or nothing without
/// columns.
pub fn per_label_section(tdir: &Path, dataset: &str) -> Result<String> {
    let Some((_, cols)) = TABLES.iter().find(|(d, _)| *d == dataset) else {
        return Ok(String::new());
    };
    let mut header = vec!["label".to_string()];
    let mut ours = Vec::new();
    for c in cols.iter() {
        header.push(format!("{}: {}", c.paper.authors, c.what));
        let file = if c.calibrated {
            "metrics_calibrated.json"
        } else {
            "metrics.json"
        };
        let path = tdir.join(c.ours).join(file);
        header.push(format!(
            "ours: {}{}",
            c.ours,
            if c.calibrated { ", calibrated" } else { "" }
        ));
        ours.push(if path.exists() {
            Some(json::read(&path)?)
        } else {
            None
        });
    }
    let mut t = Table::new(header);
    let labels: Vec<&str> = cols
        .first()
        .map_or(vec![], |c| c.f1.iter().map(|(l, _)| *l).collect());
    for label in labels {
        let mut row = vec![label.to_string()];
        for (c, m) in cols.iter().zip(&ours) {
            let published = c.f1.iter().find(|(l, _)| *l == label).map(|(_, v)| *v);
            row.push(num3(published));
            row.push(match m {
                Some(m) => num3(num(m, &["per_label", label, "f1"])),
                None => "not run".into(),
            });
        }
        t.row(row);
    }
    Ok(format!(
        "### Per-label F1 beside the papers\n\n\
         A dash in our columns: the label is not in this run's task. Ours are F1 on the test \
         folds at thresholds tuned on the validation folds.\n\n{t}"
    ))
}

/// The folds a run used (run.json `folds`), as text.
fn folds_text(info: &Value) -> String {
    let list = |k: &str| {
        info["folds"][k]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "folds {} train, {} validation, {} test",
        list("train"),
        list("validation"),
        list("test")
    )
}

/// The protocol section of a CPSC2018 or Hefei-Tianchi run; `None` for other datasets.
pub fn protocol(dataset: &str, info: &Value) -> Option<String> {
    let folds = folds_text(info);
    let zhang = ZHANG_SUN_2024.cite();
    let zhou = ZHOU_2024.cite();
    let qin = QIN_2023.cite();
    match dataset {
        "cpsc2018" => Some(format!(
            "## Protocol\n\n\
Where the protocols differ:
- **Ours**: the original CPSC2018 release (REFERENCE.csv; recordings whose only label is the
  undefined 10 are left out, the pack's metadata names them); every recording resampled to
  100 Hz and cut or zero-padded to 10 s; record-wise stratified folds (the data has no
  patient ids), {folds}; thresholds and calibration λ fitted on the validation folds;
  F1 macro over the nine classes.
- **{zhang}** splits 8:2 at random, downsamples and crops or pads, and reports F1 per class and
  macro (0.829); its ablation (backbone only 0.606, + embedding 0.797, + decoder 0.769) is
  beside our teacher's ablation presets.
- **{qin}**: the abstract we have reports no CPSC2018 number.\n\n"
        )),
        "hefei" => Some(format!(
            "## Protocol\n\n\
Where the protocols differ:
- **Ours**: the challenge's label file, classes mapped to stable English identifiers
  (crates/ecg-io/src/hefei/classes.rs); task `zhou2024` counts left bundle branch block as
  LBBB ∪ complete LBBB, as the paper's 38 LBBB records do; every record resampled to 100 Hz
  (10 s); record-wise stratified folds (no patient ids), {folds}; thresholds and
  calibration λ fitted on the validation folds.
- **{zhou}** reports macro F1 (student 0.816, teacher 0.824) and per-label F1 before and after
  label relevance for LBBB, pacing rhythm and first-degree AV block; the abstract gives the
  same pair (0.862 → 0.876) for the last two, and states neither its split nor which of the
  challenge's releases (18,232 records) it used.\n\n"
        )),
        _ => None,
    }
}
