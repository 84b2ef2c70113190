//! `ecg report --run DIR`: the run's report (`report.md`) and its plots (SVG), built only
//! from the files the pipeline's stages wrote into the run directory:
//!
//! ```text
//! DIR/run.json                              what was run (xtask writes it)
//! DIR/<task>/labels/{conditional,cosine}.svg  E and C heatmaps (`ecg labels`)
//! DIR/<task>/<model>/metrics.json           `ecg eval` (macro_auc at the top level)
//! DIR/<task>/<model>/metrics_calibrated.json `ecg eval --calibrate`
//! DIR/<task>/<model>/{scores,labels}.npy     test-fold scores and labels
//! DIR/<task>/<model>/metrics.jsonl           training curve (`ecg train` / `ecg distill`)
//! DIR/<task>/<model>/size.json              parameters, FLOPs, CPU latency (`ecg eval`)
//! ```
//! Published numbers (METHODS §7) are printed beside ours, with the protocol differences.
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use plotters::prelude::*;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Write report.md and SVG plots for a pipeline run directory.
    Report {
        /// The run directory (holds run.json and one folder per task).
        #[arg(long)]
        run: PathBuf,
    },
}

/// Model folders in the order the tables list them, with their display names.
pub const MODELS: &[(&str, &str)] = &[
    ("teacher", "Teacher (label-correlation network, seed 001)"),
    ("student", "Student, no KD"),
    ("student_kd", "Student, KD (seed 000)"),
    ("student_lead1", "Single-lead student (lead I), no KD"),
    (
        "student_lead1_mvkt",
        "Single-lead student (lead I), MVKT from the 12-lead teacher (seed 002)",
    ),
    ("xresnet1d101", "xresnet1d101 (benchmark)"),
    ("resnet1d_wang", "resnet1d_wang (benchmark)"),
    ("inception1d", "inception1d (benchmark)"),
    ("fcn_wang", "fcn_wang (benchmark)"),
    ("lcd_probe", "LCD encoder per lead, linear probe (seed 003)"),
    (
        "lcd_finetune",
        "LCD encoder per lead, fine-tuned, 100 % labels (seed 003)",
    ),
    (
        "lcd_finetune_10pct",
        "LCD encoder per lead, fine-tuned, 10 % labels (seed 003)",
    ),
    (
        "lcd_finetune_1pct",
        "LCD encoder per lead, fine-tuned, 1 % labels (seed 003)",
    ),
];

/// λ as metrics_calibrated.json stores it (`{"shared": x}` or `{"per_label": [..]}`), for
/// a table cell: `0.25`, or `per label 0.10–0.40`.
fn lambda_text(v: &serde_json::Value) -> String {
    if let Some(x) = v.get("shared").and_then(serde_json::Value::as_f64) {
        return format!("{x}");
    }
    if let Some(a) = v.get("per_label").and_then(serde_json::Value::as_array) {
        let xs: Vec<f64> = a.iter().filter_map(serde_json::Value::as_f64).collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !xs.is_empty() {
            return format!("per label {lo}–{hi}");
        }
    }
    v.to_string()
}

/// Labels the papers single out as rare and improved by label correlation.
const RARE: &[&str] = &[
    "CLBBB", "1AVB", "_AVB", "RVH", "LBBB", "CRBBB", "WPW", "LPFB", "ILBBB", "IRBBB", "SEHYP",
    "ISCI", "PMI",
];

/// A published number with where it comes from.
struct Published {
    source: &'static str,
    task: &'static str,
    macro_auc: Option<f64>,
    f1: Option<f64>,
    precision: Option<f64>,
    recall: Option<f64>,
    accuracy: Option<f64>,
}

/// METHODS §7.
const PUBLISHED: &[Published] = &[
    Published {
        source: "Seed 001 (Zhang & Sun 2024), reported",
        task: "superdiagnostic",
        macro_auc: None,
        f1: Some(0.754),
        precision: Some(0.783),
        recall: Some(0.732),
        accuracy: Some(0.902),
    },
    Published {
        source: "Seed 001 (Zhang & Sun 2024), reported",
        task: "subdiagnostic",
        macro_auc: None,
        f1: Some(0.482),
        precision: Some(0.479),
        recall: Some(0.580),
        accuracy: Some(0.727),
    },
    Published {
        source: "Seed 000 (Zhou et al. 2024), teacher",
        task: "*",
        macro_auc: None,
        f1: Some(0.873),
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "Seed 000 (Zhou et al. 2024), student 0.62×",
        task: "*",
        macro_auc: None,
        f1: Some(0.876),
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark xresnet1d101",
        task: "all",
        macro_auc: Some(0.925),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark xresnet1d101",
        task: "diagnostic",
        macro_auc: Some(0.937),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark xresnet1d101",
        task: "subdiagnostic",
        macro_auc: Some(0.929),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark xresnet1d101",
        task: "superdiagnostic",
        macro_auc: Some(0.928),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark xresnet1d101",
        task: "form",
        macro_auc: Some(0.896),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark xresnet1d101",
        task: "rhythm",
        macro_auc: Some(0.957),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark resnet1d_wang",
        task: "all",
        macro_auc: Some(0.919),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark resnet1d_wang",
        task: "diagnostic",
        macro_auc: Some(0.936),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark resnet1d_wang",
        task: "subdiagnostic",
        macro_auc: Some(0.928),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark resnet1d_wang",
        task: "superdiagnostic",
        macro_auc: Some(0.930),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark resnet1d_wang",
        task: "form",
        macro_auc: Some(0.880),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark resnet1d_wang",
        task: "rhythm",
        macro_auc: Some(0.946),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark inception1d",
        task: "all",
        macro_auc: Some(0.925),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark inception1d",
        task: "diagnostic",
        macro_auc: Some(0.931),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark inception1d",
        task: "subdiagnostic",
        macro_auc: Some(0.930),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark inception1d",
        task: "superdiagnostic",
        macro_auc: Some(0.921),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark inception1d",
        task: "form",
        macro_auc: Some(0.899),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
    Published {
        source: "PTB-XL benchmark inception1d",
        task: "rhythm",
        macro_auc: Some(0.953),
        f1: None,
        precision: None,
        recall: None,
        accuracy: None,
    },
];

const PROTOCOL_NOTES: &str = "\
Where the protocols differ:
- **Ours**: PTB-XL folds 1–8 train, 9 validation, 10 test (the benchmark's split); thresholds,
  calibration λ, label statistics and standardisation fitted without fold 10; macro-AUC with
  the benchmark's definition; F1/precision/recall are macro over labels at per-label
  thresholds that maximise F1 on fold 9 (METHODS §6); accuracy is label-wise accuracy.
- **PTB-XL benchmark** (Strodthoff et al.): macro-AUC on fold 10, 100 Hz, 2.5 s random crops for
  training and sliding-window max aggregation for evaluation — the same as ours in the
  benchmark configs; its numbers come from far longer training on the full 21,837 records.
- **Seed 001** reports accuracy/precision/recall/F1 from its own split and thresholds (its table
  and text disagree on accuracy: 0.902 vs 0.864), on 500 Hz whole records; the values are not
  directly comparable with fold-10 numbers.
- **Seed 000** reports F1 for PTB-XL without stating the label task in the abstract we have; it
  is listed beside every task for reference only.";

fn f(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x:.3}"))
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_f64()
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {} as JSON", path.display()))
}

/// The headline row of a metrics.json.
struct Row {
    auc: Option<f64>,
    auc_ci: Option<(f64, f64)>,
    f1: Option<f64>,
    precision: Option<f64>,
    recall: Option<f64>,
    accuracy: Option<f64>,
    fmax: Option<f64>,
}

fn row(m: &Value) -> Row {
    let lo = num(m, &["bootstrap", "macro_auc", "p05"]);
    let hi = num(m, &["bootstrap", "macro_auc", "p95"]);
    Row {
        auc: num(m, &["macro_auc"]),
        auc_ci: lo.zip(hi),
        f1: num(m, &["thresholded", "macro", "f1"]),
        precision: num(m, &["thresholded", "macro", "precision"]),
        recall: num(m, &["thresholded", "macro", "recall"]),
        accuracy: num(m, &["thresholded", "label_accuracy"]),
        fmax: num(m, &["fmax"]),
    }
}

fn row_md(name: &str, r: &Row) -> String {
    let auc = match (r.auc, r.auc_ci) {
        (Some(a), Some((lo, hi))) => format!("{a:.3} [{lo:.3}, {hi:.3}]"),
        (a, _) => f(a),
    };
    format!(
        "| {name} | {auc} | {} | {} | {} | {} | {} |\n",
        f(r.f1),
        f(r.precision),
        f(r.recall),
        f(r.accuracy),
        f(r.fmax)
    )
}

/// (name, f1) per label from a metrics.json, in column order.
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

/// plotters' drawing errors carry no file name; the callers add it where it matters.
fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

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
        let last_of_tie = idx.get(k + 1).map_or(true, |&j| p[j] != p[i]);
        if last_of_tie {
            pts.push((fp / neg, tp / pos));
        }
    }
    pts
}

fn plot_roc(
    path: &Path,
    title: &str,
    names: &[String],
    y: &ndarray::Array2<u8>,
    p: &ndarray::Array2<f64>,
) -> Result<()> {
    let root = SVGBackend::new(path, (640, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("false positive rate")
        .y_desc("true positive rate")
        .draw()
        .map_err(plot_err)?;
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.3),
        ))
        .map_err(plot_err)?;
    let show_legend = names.len() <= 25;
    for (k, name) in names.iter().enumerate() {
        let col: Vec<u8> = y.column(k).to_vec();
        let sc: Vec<f64> = p.column(k).to_vec();
        let pts = roc_points(&col, &sc);
        if pts.is_empty() {
            continue;
        }
        let color = Palette99::pick(k).to_rgba();
        let s = chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(plot_err)?;
        if show_legend {
            s.label(name.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        }
    }
    if show_legend {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(plot_err)?;
    }
    root.present()
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    Ok(())
}

/// Grouped bars: per label, F1 before (blue) and after (orange) calibration.
fn plot_f1_bars(path: &Path, title: &str, rows: &[(String, f64, f64)]) -> Result<()> {
    let width = (120 + rows.len() * 36).max(480) as u32;
    let root = SVGBackend::new(path, (width, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let n = rows.len().max(1);
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(70)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..n as f64, 0f64..1f64)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 1e-9 || x.fract() == 0.0 {
                labels.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_style(
            ("sans-serif", 11)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .y_desc("F1 (test fold)")
        .draw()
        .map_err(plot_err)?;
    let before = BLUE.mix(0.7).filled();
    let after = RGBColor(230, 120, 20).mix(0.8).filled();
    // (bar start, bar end within the label's slot, value, style, legend)
    let series: [(f64, f64, fn(&(String, f64, f64)) -> f64, ShapeStyle, &str); 2] = [
        (0.1, 0.48, |r| r.1, before, "before calibration"),
        (0.52, 0.9, |r| r.2, after, "after calibration"),
    ];
    for (x0, x1, value, style, label) in series {
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let v = value(r);
                let v = if v.is_finite() { v } else { 0.0 };
                Rectangle::new([(i as f64 + x0, 0.0), (i as f64 + x1, v)], style)
            }))
            .map_err(plot_err)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], style));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(plot_err)?;
    root.present()
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    Ok(())
}

/// One JSON object per line; the numeric fields named `key`.
fn curve(path: &Path, key: &str) -> Vec<(f64, f64)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![];
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Some((v.get("epoch")?.as_f64()?, v.get(key)?.as_f64()?)))
        .collect()
}

fn plot_training(
    path: &Path,
    title: &str,
    series: &[(String, Vec<(f64, f64)>)],
    ylabel: &str,
) -> Result<bool> {
    let pts: Vec<&(f64, f64)> = series.iter().flat_map(|s| s.1.iter()).collect();
    if pts.is_empty() {
        return Ok(false);
    }
    let xmax = pts.iter().map(|p| p.0).fold(1.0, f64::max);
    let ymin = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let ymax = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((ymax - ymin) * 0.05).max(1e-3);
    let root = SVGBackend::new(path, (640, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..xmax, (ymin - pad)..(ymax + pad))
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(ylabel)
        .draw()
        .map_err(plot_err)?;
    for (k, (name, s)) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(s.clone(), color.stroke_width(2)))
            .map_err(plot_err)?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(plot_err)?;
    root.present()
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    Ok(true)
}

/// (parameters, FLOPs, median CPU latency in ms, timed runs, torch threads) from the
/// size.json that `ecg eval` writes beside metrics.json.
fn read_size(path: &Path) -> Result<(i64, i64, f64, u64, u64)> {
    let v = read_json(path)?;
    let field = |k: &str| {
        v.get(k)
            .with_context(|| format!("{}: field `{k}` missing", path.display()))
    };
    let int = |k: &str| -> Result<i64> {
        field(k)?
            .as_i64()
            .with_context(|| format!("{}: field `{k}` is not an integer", path.display()))
    };
    let ms = field("cpu_latency_ms")?
        .as_f64()
        .with_context(|| format!("{}: field `cpu_latency_ms` is not a number", path.display()))?;
    Ok((
        int("params")?,
        int("flops")?,
        ms,
        int("latency_runs")? as u64,
        int("torch_threads")? as u64,
    ))
}

pub fn run(cmd: Cmd) -> Result<()> {
    let Cmd::Report { run } = cmd;
    let info = read_json(&run.join("run.json"))?;
    let tasks: Vec<String> = info["tasks"]
        .as_array()
        .context("run.json: field `tasks` missing or not a list")?
        .iter()
        .filter_map(|t| t.as_str().map(String::from))
        .collect();
    if tasks.is_empty() {
        bail!("run.json: `tasks` is empty");
    }
    let synthetic = info["synthetic"].as_bool().unwrap_or(false);
    let n_records = info["n_records"].as_u64();
    let mut md = String::new();
    writeln!(
        md,
        "# Reproduction report: {}",
        info["title"].as_str().unwrap_or("PTB-XL")
    )?;
    writeln!(md)?;
    if synthetic {
        writeln!(md, "> **SYNTHETIC DATA.** These numbers come from a synthetic PTB-XL-layout dataset made by `ecg synth` (known, simplified physiology). They test the pipeline; they say nothing about real ECGs and must not be compared with the published numbers.\n")?;
    } else if n_records.is_some_and(|n| n < 5000) {
        writeln!(md, "> **SMALL SAMPLE.** This run used {} records (the full dataset has 21,799–21,837). Its numbers are small-sample estimates with wide intervals: per-label metrics rest on a handful of test records, and some labels have no positive in the test fold.\n", n_records.unwrap_or(0))?;
    }
    writeln!(md, "| | |\n|---|---|")?;
    for (k, label) in [
        ("data_source", "data"),
        ("n_records", "records (packed)"),
        ("profile", "profile"),
        ("device", "device"),
        ("seed", "seed"),
        ("git_revision", "git revision"),
        ("libtorch", "libtorch"),
        ("started", "started"),
    ] {
        if let Some(v) = info.get(k) {
            let s = v
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| v.to_string());
            writeln!(md, "| {label} | {s} |")?;
        }
    }
    writeln!(md)?;

    let mut sizes: Vec<(String, String, i64, i64, f64)> = Vec::new();
    let mut timing = None;
    for task in &tasks {
        let tdir = run.join(task);
        writeln!(md, "## Task `{task}`\n")?;
        writeln!(md, "Test fold 10. Macro-AUC with the 5th–95th percentile bootstrap interval; F1, precision, recall: macro over labels at thresholds fitted on fold 9; accuracy: label-wise.\n")?;
        writeln!(
            md,
            "| model | macro-AUC [p05, p95] | macro-F1 | precision | recall | accuracy | Fmax |"
        )?;
        writeln!(md, "|---|---|---|---|---|---|---|")?;
        let mut present = Vec::new();
        for (dir, name) in MODELS {
            let mpath = tdir.join(dir).join("metrics.json");
            if !mpath.exists() {
                continue;
            }
            let m = read_json(&mpath)?;
            md.push_str(&row_md(name, &row(&m)));
            let cpath = tdir.join(dir).join("metrics_calibrated.json");
            if cpath.exists() {
                let c = read_json(&cpath)?;
                let lambda = c.get("lambda").map_or_else(|| "?".into(), lambda_text);
                md.push_str(&row_md(
                    &format!("{name} + label-correlation calibration (λ = {lambda})"),
                    &row(&c),
                ));
            }
            present.push((*dir, *name, m));
        }
        if present.is_empty() {
            bail!(
                "task {task}: no model has a metrics.json under {}",
                tdir.display()
            );
        }
        for p in PUBLISHED.iter().filter(|p| p.task == task || p.task == "*") {
            md.push_str(&row_md(
                &format!("*published: {}*", p.source),
                &Row {
                    auc: p.macro_auc,
                    auc_ci: None,
                    f1: p.f1,
                    precision: p.precision,
                    recall: p.recall,
                    accuracy: p.accuracy,
                    fmax: None,
                },
            ));
        }
        writeln!(md)?;

        // Per-label F1 before/after calibration (the KD student, else the first calibrated model).
        let calibrated = ["student_kd", "teacher", "student"]
            .iter()
            .find(|d| tdir.join(d).join("metrics_calibrated.json").exists());
        if let Some(d) = calibrated {
            let before = per_label_f1(&read_json(&tdir.join(d).join("metrics.json"))?);
            let after = per_label_f1(&read_json(&tdir.join(d).join("metrics_calibrated.json"))?);
            writeln!(
                md,
                "### Per-label F1 before and after label-correlation calibration ({d})\n"
            )?;
            writeln!(md, "Rare labels that the papers discuss are in **bold**.\n")?;
            writeln!(
                md,
                "| label | test positives | F1 before | F1 after | change |\n|---|---|---|---|---|"
            )?;
            let mut bars = Vec::new();
            for ((name, b, pos), (_, a, _)) in before.iter().zip(after.iter()) {
                let shown = if RARE.contains(&name.as_str()) {
                    format!("**{name}**")
                } else {
                    name.clone()
                };
                writeln!(md, "| {shown} | {pos} | {b:.3} | {a:.3} | {:+.3} |", a - b)?;
                bars.push((name.clone(), *b, *a));
            }
            let svg = tdir.join("f1_calibration.svg");
            plot_f1_bars(&svg, &format!("{task}: per-label F1, {d}"), &bars)?;
            writeln!(md, "\n![per-label F1]({task}/f1_calibration.svg)\n")?;
        }

        // ROC curves.
        writeln!(md, "### ROC curves (test fold)\n")?;
        for (dir, name, m) in &present {
            let (yp, pp) = (
                tdir.join(dir).join("labels.npy"),
                tdir.join(dir).join("scores.npy"),
            );
            if !(yp.exists() && pp.exists()) {
                continue;
            }
            let y = ecg_metrics::npy::read_labels(&yp)
                .with_context(|| format!("reading {}", yp.display()))?;
            let p = ecg_metrics::npy::read_scores(&pp)
                .with_context(|| format!("reading {}", pp.display()))?;
            let names: Vec<String> = match m.get("per_label").and_then(Value::as_object) {
                Some(o) if o.len() == y.ncols() => o.keys().cloned().collect(),
                _ => (0..y.ncols()).map(|k| format!("label {k}")).collect(),
            };
            let svg = tdir.join(dir).join("roc.svg");
            plot_roc(&svg, &format!("{task}: {name}"), &names, &y, &p)?;
            writeln!(md, "![ROC {dir}]({task}/{dir}/roc.svg)")?;
        }
        writeln!(md)?;

        // Training curves.
        let mut auc_series = Vec::new();
        let mut loss_series = Vec::new();
        for (dir, _, _) in &present {
            let jl = tdir.join(dir).join("metrics.jsonl");
            auc_series.push((dir.to_string(), curve(&jl, "val_macro_auc")));
            loss_series.push((dir.to_string(), curve(&jl, "train_loss")));
        }
        let auc_svg = tdir.join("training_val_auc.svg");
        let loss_svg = tdir.join("training_loss.svg");
        let has_auc = plot_training(
            &auc_svg,
            &format!("{task}: validation macro-AUC"),
            &auc_series,
            "macro-AUC (fold 9)",
        )?;
        let has_loss = plot_training(
            &loss_svg,
            &format!("{task}: training loss"),
            &loss_series,
            "loss",
        )?;
        if has_auc || has_loss {
            writeln!(md, "### Training curves\n")?;
            if has_auc {
                writeln!(md, "![validation AUC]({task}/training_val_auc.svg)")?;
            }
            if has_loss {
                writeln!(md, "![training loss]({task}/training_loss.svg)")?;
            }
            writeln!(md)?;
        }

        // Label statistics.
        let ldir = tdir.join("labels");
        if ldir.join("conditional.svg").exists() || ldir.join("cosine.svg").exists() {
            writeln!(md, "### Label statistics (folds 1–8)\n")?;
            writeln!(md, "Conditional co-occurrence E (seed 001) and cosine correlation C (seed 000); CSVs beside them in `{task}/labels/`.\n")?;
            for f in ["conditional.svg", "cosine.svg"] {
                if ldir.join(f).exists() {
                    writeln!(md, "![{f}]({task}/labels/{f})")?;
                }
            }
            writeln!(md)?;
        }

        for (dir, name, _) in &present {
            let sp = tdir.join(dir).join("size.json");
            if sp.exists() {
                let (params, flops, ms, runs, threads) = read_size(&sp)?;
                sizes.push((task.clone(), name.to_string(), params, flops, ms));
                timing = Some((runs, threads));
            }
        }
    }

    if !sizes.is_empty() {
        writeln!(md, "## Teacher and students: size and speed\n")?;
        let (runs, threads) = timing.unwrap_or_default();
        writeln!(
            md,
            "CPU latency: median of {runs} forward passes of one record (eval mode, {threads} torch threads) on this machine, measured by `ecg eval` (size.json).\n",
        )?;
        writeln!(md, "| task | model | parameters | FLOPs / record | size vs teacher | CPU latency (ms) |\n|---|---|---|---|---|---|")?;
        for (task, name, params, flops, ms) in &sizes {
            let teacher = sizes
                .iter()
                .find(|s| &s.0 == task && s.1.starts_with("Teacher"))
                .map(|s| s.2);
            let ratio = teacher.map_or("–".into(), |t| {
                format!("{:.3}×", *params as f64 / t as f64)
            });
            writeln!(
                md,
                "| {task} | {name} | {params} | {:.3e} | {ratio} | {ms:.2} |",
                *flops as f64
            )?;
        }
        writeln!(md)?;
    }
    writeln!(md, "## Protocol\n\n{PROTOCOL_NOTES}\n")?;
    let out = run.join("report.md");
    let tmp = run.join("report.md.tmp");
    std::fs::write(&tmp, md).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
    tracing::info!("wrote {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn lambda_cells_read_like_numbers() {
        assert_eq!(lambda_text(&serde_json::json!({"shared": 0.25})), "0.25");
        assert_eq!(
            lambda_text(&serde_json::json!({"per_label": [0.1, 0.4, 0.2]})),
            "per label 0.1–0.4"
        );
        assert_eq!(lambda_text(&serde_json::json!(3)), "3");
    }
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

    #[test]
    fn row_reads_metrics_json_fields() {
        let m: Value = serde_json::json!({
            "macro_auc": 0.9, "fmax": 0.8,
            "bootstrap": {"macro_auc": {"p05": 0.85, "p95": 0.95}},
            "thresholded": {"macro": {"f1": 0.7, "precision": 0.6, "recall": 0.8}, "label_accuracy": 0.88}
        });
        let r = row(&m);
        assert_eq!(
            row_md("x", &r),
            "| x | 0.900 [0.850, 0.950] | 0.700 | 0.600 | 0.800 | 0.880 | 0.800 |\n"
        );
    }
}
