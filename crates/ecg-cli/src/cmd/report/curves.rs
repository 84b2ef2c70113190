//! ROC curves of every model and training curves (validation macro-AUC, training loss).
use super::plot::{self, Axis, Chart, Series};
use super::results::Present;
use super::split::{self, Split};
use anyhow::{Context, Result};
use plotters::prelude::{SeriesLabelPosition, BLACK};
use plotters::style::Color as _;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// ROC points (fpr, tpr) for one label column, thresholds at the distinct scores.
fn roc_points(y: &[u8], p: &[f64]) -> Vec<(f64, f64)> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let pos = y.iter().filter(|&&v| v == 1).count() as f64;
    let neg = y.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return vec![];
    }
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut pts = vec![(0.0, 0.0)];
    for (k, &i) in idx.iter().enumerate() {
        if y[i] == 1 {
            tp += 1.0
        } else {
            fp += 1.0
        }
        let last_of_tie = idx.get(k + 1).is_none_or(|&j| p[j] != p[i]);
        if last_of_tie {
            pts.push((fp / neg, tp / pos));
        }
    }
    pts
}

/// One curve per label (legend up to 25 labels) and the chance diagonal.
fn plot_roc(
    path: &Path,
    title: &str,
    names: &[String],
    y: &ndarray::Array2<u8>,
    p: &ndarray::Array2<f64>,
) -> Result<()> {
    let legend = names.len() <= 25;
    let mut series = vec![Series::line(
        None,
        vec![(0.0, 0.0), (1.0, 1.0)],
        BLACK.mix(0.3),
    )];
    for (k, name) in names.iter().enumerate() {
        let pts = roc_points(&y.column(k).to_vec(), &p.column(k).to_vec());
        if !pts.is_empty() {
            series.push(Series::line(
                legend.then(|| name.clone()),
                pts,
                plot::color(k),
            ));
        }
    }
    let chart = Chart {
        title,
        size: (640, 560),
        x: Axis::new("false positive rate", 0.0..1.0, 40),
        y: Axis::new("true positive rate", 0.0..1.0, 50),
        legend: SeriesLabelPosition::LowerRight,
    };
    plot::draw(path, &chart, &series)
}

/// The ROC section: one SVG per model that wrote labels.npy and scores.npy.
pub fn roc_section(tdir: &Path, task: &str, present: &[Present]) -> Result<String> {
    let mut md = String::from("### ROC curves (test fold)\n\n");
    for Present { model, metrics } in present {
        let dir = tdir.join(model.dir);
        let (yp, pp) = (dir.join("labels.npy"), dir.join("scores.npy"));
        if !(yp.exists() && pp.exists()) {
            continue;
        }
        let y = ecg_metrics::npy::read_labels(&yp)
            .with_context(|| format!("reading {}", yp.display()))?;
        let p = ecg_metrics::npy::read_scores(&pp)
            .with_context(|| format!("reading {}", pp.display()))?;
        let names: Vec<String> = match metrics.get("per_label").and_then(Value::as_object) {
            Some(o) if o.len() == y.ncols() => o.keys().cloned().collect(),
            _ => (0..y.ncols()).map(|k| format!("label {k}")).collect(),
        };
        let title = format!("{task}: {}", model.name());
        plot_roc(&dir.join("roc.svg"), &title, &names, &y, &p)?;
        writeln!(md, "![ROC {0}]({task}/{0}/roc.svg)", model.dir)?;
    }
    md.push('\n');
    Ok(md)
}

/// (epoch, value of `key`) from a metrics.jsonl (one JSON object per line).
fn curve(path: &Path, key: &str) -> Vec<(f64, f64)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![];
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v.get("epoch")?.as_f64()?, v.get(key)?.as_f64()?)))
        .collect()
}

/// One line per model of `key` against the epoch; false when no model has such a curve.
fn plot_training(
    path: &Path,
    title: &str,
    curves: &[(String, Vec<(f64, f64)>)],
    ylabel: &str,
) -> Result<bool> {
    let pts: Vec<&(f64, f64)> = curves.iter().flat_map(|s| s.1.iter()).collect();
    if pts.is_empty() {
        return Ok(false);
    }
    let xmax = pts.iter().map(|p| p.0).fold(1.0, f64::max);
    let ymin = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let ymax = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((ymax - ymin) * 0.05).max(1e-3);
    let chart = Chart {
        title,
        size: (640, 420),
        x: Axis::new("epoch", 0.0..xmax, 40),
        y: Axis::new(ylabel, (ymin - pad)..(ymax + pad), 60),
        legend: SeriesLabelPosition::LowerRight,
    };
    let series: Vec<Series> = curves
        .iter()
        .enumerate()
        .map(|(k, (name, s))| Series::line(Some(name.clone()), s.clone(), plot::color(k)))
        .collect();
    plot::draw(path, &chart, &series)?;
    Ok(true)
}

/// The training-curves section (validation macro-AUC and training loss by epoch).
pub fn training_section(
    tdir: &Path,
    task: &str,
    present: &[Present],
    split: &Split,
) -> Result<String> {
    let val_label = format!("macro-AUC ({})", split::name(&split.validation));
    let plots = [
        (
            "val_macro_auc",
            "training_val_auc.svg",
            "validation macro-AUC",
            val_label.as_str(),
            "validation AUC",
        ),
        (
            "train_loss",
            "training_loss.svg",
            "training loss",
            "loss",
            "training loss",
        ),
    ];
    let mut images = String::new();
    for (key, file, title, ylabel, alt) in plots {
        let curves: Vec<(String, Vec<(f64, f64)>)> = present
            .iter()
            .map(|p| {
                let jl = tdir.join(p.model.dir).join("metrics.jsonl");
                (p.model.dir.to_string(), curve(&jl, key))
            })
            .collect();
        if plot_training(
            &tdir.join(file),
            &format!("{task}: {title}"),
            &curves,
            ylabel,
        )? {
            writeln!(images, "![{alt}]({task}/{file})")?;
        }
    }
    Ok(if images.is_empty() {
        String::new()
    } else {
        format!("### Training curves\n\n{images}\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_points_handle_ties_and_reach_corners() {
        let pts = roc_points(&[1, 0, 1, 0], &[0.9, 0.5, 0.5, 0.1]);
        assert_eq!(pts, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        assert!(
            roc_points(&[1, 1], &[0.2, 0.3]).is_empty(),
            "single class: no curve"
        );
    }
}
