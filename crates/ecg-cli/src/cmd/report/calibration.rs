//! Per-label F1 before and after the label-correlation calibration, as a table and as
//! grouped bars, for the KD student (else the first calibrated model).
use super::json::{self, num};
use super::plot::{self, Axis, Chart, Mark, Series};
use super::table::Table;
use anyhow::Result;
use plotters::prelude::{RGBColor, SeriesLabelPosition, BLUE};
use plotters::style::Color as _;
use serde_json::Value;
use std::path::Path;

/// Labels the papers single out as rare and improved by label correlation.
const RARE: &[&str] = &[
    "CLBBB", "1AVB", "_AVB", "RVH", "LBBB", "CRBBB", "WPW", "LPFB", "ILBBB", "IRBBB", "SEHYP",
    "ISCI", "PMI",
];

/// (name, F1, test positives) per label of a metrics.json, in column order.
fn per_label_f1(m: &Value) -> Vec<(String, f64, u64)> {
    let Some(obj) = m.get("per_label").and_then(Value::as_object) else {
        return vec![];
    };
    obj.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                num(v, &["f1"]).unwrap_or(f64::NAN),
                v.get("positives").and_then(Value::as_u64).unwrap_or(0),
            )
        })
        .collect()
}

/// Grouped bars: per label, F1 before (blue) and after (orange) calibration.
fn plot_bars(
    path: &Path,
    title: &str,
    labels: &[String],
    before: &[f64],
    after: &[f64],
) -> Result<()> {
    let n = labels.len().max(1);
    let mut x = Axis::new("", 0.0..n as f64, 70);
    x.categories = Some(labels);
    let chart = Chart {
        title,
        size: ((120 + labels.len() * 36).max(480) as u32, 460),
        x,
        y: Axis::new("F1 (test fold)", 0.0..1.0, 50),
        legend: SeriesLabelPosition::UpperRight,
    };
    let bars = |name: &str, values: &[f64], color, from, to| Series {
        name: Some(name.into()),
        points: values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect(),
        color,
        mark: Mark::Bars { from, to },
    };
    plot::draw(
        path,
        &chart,
        &[
            bars("before calibration", before, BLUE.mix(0.7), 0.1, 0.48),
            bars(
                "after calibration",
                after,
                RGBColor(230, 120, 20).mix(0.8),
                0.52,
                0.9,
            ),
        ],
    )
}

/// The section for the task folder `tdir`, or nothing when no model was calibrated.
pub fn section(tdir: &Path, task: &str) -> Result<String> {
    let Some(d) = ["student_kd", "teacher", "student"]
        .into_iter()
        .find(|d| tdir.join(d).join("metrics_calibrated.json").exists())
    else {
        return Ok(String::new());
    };
    let before = per_label_f1(&json::read(&tdir.join(d).join("metrics.json"))?);
    let after = per_label_f1(&json::read(&tdir.join(d).join("metrics_calibrated.json"))?);
    let mut t = Table::new(["label", "test positives", "F1 before", "F1 after", "change"]);
    for ((name, b, pos), (_, a, _)) in before.iter().zip(&after) {
        let shown = if RARE.contains(&name.as_str()) {
            format!("**{name}**")
        } else {
            name.clone()
        };
        t.row([
            shown,
            pos.to_string(),
            format!("{b:.3}"),
            format!("{a:.3}"),
            format!("{:+.3}", a - b),
        ]);
    }
    let n = before.len().min(after.len());
    let labels: Vec<String> = before[..n].iter().map(|r| r.0.clone()).collect();
    let f1s = |v: &[(String, f64, u64)]| v[..n].iter().map(|r| r.1).collect::<Vec<_>>();
    plot_bars(
        &tdir.join("f1_calibration.svg"),
        &format!("{task}: per-label F1, {d}"),
        &labels,
        &f1s(&before),
        &f1s(&after),
    )?;
    Ok(format!(
        "### Per-label F1 before and after label-correlation calibration ({d})\n\n\
         Rare labels that the papers discuss are in **bold**.\n\n{t}\
         ![per-label F1]({task}/f1_calibration.svg)\n\n"
    ))
}
