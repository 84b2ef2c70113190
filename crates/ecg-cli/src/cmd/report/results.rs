//! The results table of a task: every model that has a metrics.json (and its calibrated
//! row), then the published numbers for the same task.
use super::json::{self, num};
use super::published;
use super::references::{Paper, LIU_2025, QIN_2023, STRODTHOFF_2021, ZHANG_SUN_2024, ZHOU_2024};
use super::split::{self, Split};
use super::table::{num3, Table};
use anyhow::{bail, Result};
use serde_json::Value;
use std::path::Path;

/// A model folder of a task and how the report names it.
#[derive(Debug)]
pub struct Model {
    pub dir: &'static str,
    pub label: &'static str,
    /// The paper whose method it is.
    pub paper: Option<&'static Paper>,
}

impl Model {
    /// "Teacher (label-correlation network, Zhang & Sun 2024)".
    pub fn name(&self) -> String {
        match self.paper {
            Some(p) => format!("{} ({})", self.label, p.cite()),
            None => self.label.to_string(),
        }
    }
}

const fn model(dir: &'static str, label: &'static str, paper: Option<&'static Paper>) -> Model {
    Model { dir, label, paper }
}

/// Model folders in the order the tables list them.
pub const MODELS: &[Model] = &[
    model("teacher", "Teacher", Some(&ZHANG_SUN_2024)),
    model(
        "teacher_backbone",
        "Teacher ablation, backbone only",
        Some(&ZHANG_SUN_2024),
    ),
    model(
        "teacher_embedding",
        "Teacher ablation, + label-correlation embedding",
        Some(&ZHANG_SUN_2024),
    ),
    model(
        "teacher_decoder",
        "Teacher ablation, + decoder",
        Some(&ZHANG_SUN_2024),
    ),
    model("student", "Student, no KD", None),
    model("student_kd", "Student, distilled", Some(&ZHOU_2024)),
    model("student_lead1", "Single-lead student (lead I), no KD", None),
    model(
        "student_lead1_mvkt",
        "Single-lead student (lead I), distilled from the 12-lead teacher",
        Some(&QIN_2023),
    ),
    model("xresnet1d101", "xresnet1d101", Some(&STRODTHOFF_2021)),
    model("resnet1d_wang", "resnet1d_wang", Some(&STRODTHOFF_2021)),
    model("inception1d", "inception1d", Some(&STRODTHOFF_2021)),
    model("fcn_wang", "fcn_wang", Some(&STRODTHOFF_2021)),
    model(
        "lcd_probe",
        "LCD encoder per lead, linear probe",
        Some(&LIU_2025),
    ),
    model(
        "lcd_finetune",
        "LCD encoder per lead, fine-tuned, 100 % labels",
        Some(&LIU_2025),
    ),
    model(
        "lcd_finetune_10pct",
        "LCD encoder per lead, fine-tuned, 10 % labels",
        Some(&LIU_2025),
    ),
    model(
        "lcd_finetune_1pct",
        "LCD encoder per lead, fine-tuned, 1 % labels",
        Some(&LIU_2025),
    ),
];

/// The headline numbers of a row: ours from a metrics.json, or published ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub auc: Option<f64>,
    /// 5th and 95th bootstrap percentiles of the macro-AUC.
    pub auc_ci: Option<(f64, f64)>,
    pub f1: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub accuracy: Option<f64>,
    pub fmax: Option<f64>,
}

impl Scores {
    pub const NONE: Scores = Scores {
        auc: None,
        auc_ci: None,
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
        fmax: None,
    };

    /// The headline of a metrics.json (`ecg eval` or `ecg metrics`).
    pub fn from_metrics(m: &Value) -> Scores {
        let lo = num(m, &["bootstrap", "macro_auc", "p05"]);
        let hi = num(m, &["bootstrap", "macro_auc", "p95"]);
        Scores {
            auc: num(m, &["macro_auc"]),
            auc_ci: lo.zip(hi),
            f1: num(m, &["thresholded", "macro", "f1"]),
            precision: num(m, &["thresholded", "macro", "precision"]),
            recall: num(m, &["thresholded", "macro", "recall"]),
            accuracy: num(m, &["thresholded", "label_accuracy"]),
            fmax: num(m, &["fmax"]),
        }
    }

    /// The cells of a results row named `name`.
    pub fn cells(&self, name: &str) -> [String; 7] {
        let auc = match (self.auc, self.auc_ci) {
            (Some(a), Some((lo, hi))) => format!("{a:.3} [{lo:.3}, {hi:.3}]"),
            (a, _) => num3(a),
        };
        [
            name.to_string(),
            auc,
            num3(self.f1),
            num3(self.precision),
            num3(self.recall),
            num3(self.accuracy),
            num3(self.fmax),
        ]
    }
}

/// λ as metrics_calibrated.json stores it (`{"shared": x}` or `{"per_label": [..]}`), for
/// a table cell: `0.25`, or `per label 0.10–0.40`.
fn lambda_text(v: &Value) -> String {
    if let Some(x) = v.get("shared").and_then(Value::as_f64) {
        return format!("{x}");
    }
    if let Some(a) = v.get("per_label").and_then(Value::as_array) {
        let xs: Vec<f64> = a.iter().filter_map(Value::as_f64).collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !xs.is_empty() {
            return format!("per label {lo}–{hi}");
        }
    }
    v.to_string()
}

/// A model of the task that has results, with its metrics.json.
#[derive(Debug)]
pub struct Present {
    pub model: &'static Model,
    pub metrics: Value,
}

/// The task's results table; the models that have results, in table order.
pub fn section(
    tdir: &Path,
    dataset: &str,
    task: &str,
    split: &Split,
) -> Result<(String, Vec<Present>)> {
    let mut t = Table::new([
        "model",
        "macro-AUC [p05, p95]",
        "macro-F1",
        "precision",
        "recall",
        "accuracy",
        "Fmax",
    ]);
    let mut present = Vec::new();
    for m in MODELS {
        let dir = tdir.join(m.dir);
        let mpath = dir.join("metrics.json");
        if !mpath.exists() {
            continue;
        }
        let metrics = json::read(&mpath)?;
        t.row(Scores::from_metrics(&metrics).cells(&m.name()));
        let cpath = dir.join("metrics_calibrated.json");
        if cpath.exists() {
            let c = json::read(&cpath)?;
            let lambda = c.get("lambda").map_or_else(|| "?".into(), lambda_text);
            let name = format!(
                "{} + label-correlation calibration (λ = {lambda})",
                m.name()
            );
            t.row(Scores::from_metrics(&c).cells(&name));
        }
        present.push(Present { model: m, metrics });
    }
    if present.is_empty() {
        bail!(
            "task {task}: no model has a metrics.json under {}",
            tdir.display()
        );
    }
    for p in published::for_task(dataset, task) {
        t.row(p.scores.cells(&format!("*published: {}*", p.name())));
    }
    let md = format!(
        "## Task `{task}`\n\nTest {}. Macro-AUC with the 5th–95th percentile bootstrap \
         interval; F1, precision, recall: macro over labels at thresholds fitted on {}; \
         accuracy: label-wise.\n\n{t}",
        split::name(&split.test),
        split::name(&split.validation)
    );
    Ok((md, present))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_cells_read_like_numbers() {
        assert_eq!(lambda_text(&serde_json::json!({"shared": 0.25})), "0.25");
        assert_eq!(
            lambda_text(&serde_json::json!({"per_label": [0.1, 0.4, 0.2]})),
            "per label 0.1–0.4"
        );
        assert_eq!(lambda_text(&serde_json::json!(3)), "3");
    }

    #[test]
    fn scores_read_metrics_json_fields() {
        let m: Value = serde_json::json!({
            "macro_auc": 0.9, "fmax": 0.8,
            "bootstrap": {"macro_auc": {"p05": 0.85, "p95": 0.95}},
            "thresholded": {"macro": {"f1": 0.7, "precision": 0.6, "recall": 0.8}, "label_accuracy": 0.88}
        });
        let mut t = Table::new(["a", "b", "c", "d", "e", "f", "g"]);
        t.row(Scores::from_metrics(&m).cells("x"));
        assert!(t
            .to_string()
            .contains("| x | 0.900 [0.850, 0.950] | 0.700 | 0.600 | 0.800 | 0.880 | 0.800 |\n"));
    }

    #[test]
    fn model_names_cite_their_papers() {
        let name = |d: &str| MODELS.iter().find(|m| m.dir == d).map(Model::name);
        assert_eq!(
            name("teacher").as_deref(),
            Some("Teacher (label-correlation network, Zhang & Sun 2024)")
        );
        assert_eq!(name("student").as_deref(), Some("Student, no KD"));
        assert!(MODELS
            .iter()
            .all(|m| !m.name().to_lowercase().contains("seed")));
    }
}
