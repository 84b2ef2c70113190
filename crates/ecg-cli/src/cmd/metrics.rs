//! `ecg metrics`: every metric of `ecg-metrics` on saved labels and scores (`.npy`), printed
//! as one JSON object (docs/METHODS.md §6).
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use ecg_metrics::npy::{read_index_sets, read_labels, read_scores};
use ecg_metrics::{draw_bootstrap_samples, evaluate, fit_thresholds, EvalConfig};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Compute AUC (per label, macro, micro), AP, F1/precision/recall, accuracy, Fmax,
    /// F_beta/G_beta and optional bootstrap intervals; print JSON to stdout.
    ///
    /// Threshold-dependent metrics use per-label F1-optimal thresholds fitted on
    /// --val-labels/--val-scores when given (candidates: the distinct validation scores;
    /// positive when score >= threshold; ties -> largest threshold), else the fixed 0.5;
    /// the JSON says which (`threshold_source`). Metrics at 0.5 are always in `at_0_5`.
    Metrics {
        /// Labels [records, labels]: .npy of bool, integers or floats holding 0/1.
        #[arg(long, value_name = "Y.npy")]
        labels: PathBuf,
        /// Scores [records, labels]: .npy of float32/float64 (e.g. sigmoid outputs).
        #[arg(long, value_name = "P.npy")]
        scores: PathBuf,
        /// Class names, one per line, in column order (default: column indices).
        #[arg(long, value_name = "FILE")]
        classes: Option<PathBuf>,
        /// Validation labels for fitting per-label thresholds (needs --val-scores).
        #[arg(long, value_name = "Y.npy", requires = "val_scores")]
        val_labels: Option<PathBuf>,
        /// Validation scores for fitting per-label thresholds (needs --val-labels).
        #[arg(long, value_name = "P.npy", requires = "val_labels")]
        val_scores: Option<PathBuf>,
        /// Bootstrap row-index sets [samples, records] (.npy of integers), e.g. the PTB-XL
        /// benchmark's own.
        #[arg(long, value_name = "B.npy", conflicts_with = "bootstrap")]
        bootstrap_ids: Option<PathBuf>,
        /// Draw this many seeded bootstrap resamples (each with a positive for every label).
        #[arg(long, value_name = "N")]
        bootstrap: Option<usize>,
        /// Seed for --bootstrap.
        #[arg(long, default_value_t = 0, requires = "bootstrap")]
        seed: u64,
        /// Add the PhysioNet/CinC Challenge 2021 scores (`challenge2021` in the JSON: the
        /// Challenge metric, AUROC, AUPRC, accuracy, F-measure as the organisers'
        /// evaluate_model.py computes them). Needs --classes naming SNOMED-CT codes (a pack's
        /// `164889003 AF` or `713427006|59118001`); columns that are no scored class are
        /// ignored, scored classes without a column count as never labelled nor predicted.
        /// Binary outputs: score >= the thresholds in use (fitted or 0.5).
        #[arg(long, requires = "classes")]
        challenge2021: bool,
        /// Write the JSON here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

fn read_classes(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading class names from {}", path.display()))?;
    let names: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if names.is_empty() {
        bail!("{}: no class names", path.display());
    }
    Ok(names)
}

pub fn run(cmd: Cmd) -> Result<()> {
    let Cmd::Metrics {
        labels,
        scores,
        classes,
        val_labels,
        val_scores,
        bootstrap_ids,
        bootstrap,
        seed,
        challenge2021,
        out,
    } = cmd;
    let y = read_labels(&labels).context("reading --labels")?;
    let p = read_scores(&scores).context("reading --scores")?;
    let names = classes.as_deref().map(read_classes).transpose()?;

    let thresholds = match (&val_labels, &val_scores) {
        (Some(vl), Some(vs)) => {
            let vy = read_labels(vl).context("reading --val-labels")?;
            let vp = read_scores(vs).context("reading --val-scores")?;
            if vy.ncols() != y.ncols() {
                bail!(
                    "{} has {} labels but {} has {}",
                    vl.display(),
                    vy.ncols(),
                    labels.display(),
                    y.ncols()
                );
            }
            let t = fit_thresholds(vy.view(), vp.view()).with_context(|| {
                format!("fitting thresholds on {} / {}", vl.display(), vs.display())
            })?;
            Some(t)
        }
        _ => None,
    };

    let samples = match (&bootstrap_ids, bootstrap) {
        (Some(path), _) => Some(read_index_sets(path).context("reading --bootstrap-ids")?),
        (None, Some(n)) => Some(draw_bootstrap_samples(y.view(), n, seed).with_context(|| {
            format!("drawing {n} bootstrap resamples from {}", labels.display())
        })?),
        (None, None) => None,
    };

    let cfg = EvalConfig {
        class_names: names.as_deref(),
        thresholds: thresholds.as_deref(),
        bootstrap: samples.as_deref(),
    };
    let report = evaluate(y.view(), p.view(), &cfg).with_context(|| {
        format!(
            "evaluating {} against {}",
            scores.display(),
            labels.display()
        )
    })?;
    let mut value = serde_json::to_value(&report).context("serialising the report")?;
    if challenge2021 {
        let names = names.as_deref().unwrap_or_default();
        let t = thresholds
            .clone()
            .unwrap_or_else(|| vec![ecg_metrics::FIXED_THRESHOLD; y.ncols()]);
        let scores = challenge2021_scores(&y, &p, names, &t)?;
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "challenge2021".into(),
                serde_json::to_value(scores).context("serialising the Challenge scores")?,
            );
        }
    }
    let json = serde_json::to_string_pretty(&value).context("serialising the report")?;
    match out {
        Some(path) => std::fs::write(&path, json + "\n")
            .with_context(|| format!("writing {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(())
}

/// The Challenge 2021 scores of columns named by SNOMED-CT codes, mapped onto the organisers'
/// scored classes (a column joins the class that holds any of its codes; several columns of
/// one class: labels and binary outputs OR-ed, scores averaged, as the organisers do).
fn challenge2021_scores(
    y: &ndarray::Array2<u8>,
    p: &ndarray::Array2<f64>,
    names: &[String],
    thresholds: &[f64],
) -> Result<ecg_metrics::challenge2021::Challenge2021Scores> {
    use ecg_metrics::challenge2021::{evaluate, Weights};
    let w = Weights::official()?;
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); w.len()];
    for (c, name) in names.iter().enumerate() {
        let codes = ecg_labels::cinc2021::codes_of_label(name);
        if let Some(j) = codes.iter().find_map(|code| w.class_of(code)) {
            cols[j].push(c);
        }
    }
    if cols.iter().all(Vec::is_empty) {
        bail!("--challenge2021: no class name holds a scored SNOMED-CT code (names: {names:?})");
    }
    let missing: Vec<String> = w
        .class_names()
        .into_iter()
        .zip(&cols)
        .filter(|(_, c)| c.is_empty())
        .map(|(n, _)| n)
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            ?missing,
            "scored classes without a column: counted as never labelled nor predicted"
        );
    }
    let n = y.nrows();
    let mut ly = ndarray::Array2::<u8>::zeros((n, w.len()));
    let mut lb = ndarray::Array2::<u8>::zeros((n, w.len()));
    let mut ls = ndarray::Array2::<f64>::zeros((n, w.len()));
    for (j, c) in cols.iter().enumerate() {
        for i in 0..n {
            ly[[i, j]] = u8::from(c.iter().any(|&k| y[[i, k]] == 1));
            lb[[i, j]] = u8::from(c.iter().any(|&k| p[[i, k]] >= thresholds[k]));
            if !c.is_empty() {
                ls[[i, j]] = c.iter().map(|&k| p[[i, k]]).sum::<f64>() / c.len() as f64;
            }
        }
    }
    Ok(evaluate(&w, ly.view(), lb.view(), ls.view())?)
}
