//! `ecg predict --model model.onnx RECORD...`: label probabilities from an exported ONNX
//! model, in this binary (tract, no libtorch). The model's metadata (`ecg_onnx::Deploy`)
//! says how to replay the checkpoint's preprocessing, with the same code as `ecg predict
//! --checkpoint` (which runs in ecg-torch): the leads picked by name and the pack's
//! resampling and band-pass ([`ecg_io::predict::read_input`], `packer::Prep`), the
//! standardiser, the sliding windows and their aggregation. A record that cannot be
//! predicted is named with the reason; the others are predicted; the command then fails.
use anyhow::{bail, Context, Result};
use clap::Parser;
use ecg_io::predict::{read_input, Failure, Prediction, Predictions};
use ecg_onnx::meta::{Aggregate, Deploy, Windows};
use ecg_onnx::OnnxModel;
use std::path::{Path, PathBuf};

/// `ecg predict --model`: the arguments (`--checkpoint` is ecg-torch's).
#[derive(Parser, Debug)]
#[command(name = "ecg predict")]
pub struct Args {
    /// ONNX model written by `ecg export onnx`.
    #[arg(long)]
    pub model: PathBuf,
    /// WFDB record paths (without .hea).
    #[arg(required = true)]
    pub records: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Apply the label-correlation calibration stored in the model (`ecg export onnx
    /// --calibration`): p' = (1 − λ)·p + λ·Ĉp with the validation-fitted λ.
    #[arg(long)]
    pub calibrated: bool,
    /// More log output (debug level); RUST_LOG overrides.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Whether `ecg predict`'s arguments ask for the ONNX path (`--model`).
pub fn wants_model(args: &[std::ffi::OsString]) -> bool {
    args.iter().any(|a| {
        let a = a.to_string_lossy();
        a == "--model" || a.starts_with("--model=")
    })
}

pub fn run(a: Args) -> Result<()> {
    let (mut p, d) = predict(&a.model, &a.records)?;
    if a.calibrated {
        calibrate(&a.model, &d, &mut p)?;
    }
    p.print(a.json).map_err(anyhow::Error::msg)
}

/// Scores WFDB records with an ONNX model; errors only when the model itself cannot be
/// used (per-record failures are collected). Also returns the model's metadata.
pub fn predict(model: &Path, records: &[PathBuf]) -> Result<(Predictions, Deploy)> {
    let mut m = OnnxModel::load(model).with_context(|| format!("loading {}", model.display()))?;
    let d = m.deploy().clone();
    let prep = ecg_io::packer::Prep::new(
        d.rate,
        d.bandpass.map(|b| ecg_io::pack::Bandpass {
            low_hz: b.low_hz,
            high_hz: b.high_hz,
            order: b.order,
        }),
    )
    .with_context(|| {
        format!(
            "{}: the pack preprocessing in ecg.rate/ecg.bandpass",
            model.display()
        )
    })?;
    let mut out = Vec::with_capacity(records.len());
    let mut failed = Vec::new();
    for r in records {
        match predict_one(&mut m, &d, &prep, r) {
            Ok(p) => out.push(p),
            Err(e) => failed.push(Failure {
                record: r.display().to_string(),
                error: format!("{e:#}"),
            }),
        }
    }
    let p = Predictions {
        class_names: d.class_names.clone(),
        records: out,
        failed,
    };
    Ok((p, d))
}

/// Applies the model's stored calibration to every predicted record, as `ecg eval
/// --calibrate` does (ecg-labels' `Calibrator`).
fn calibrate(model: &Path, d: &Deploy, p: &mut Predictions) -> Result<()> {
    let Some(c) = &d.calibration else {
        bail!(
            "{}: --calibrated, but the model carries no calibration (export it with `ecg \
             export onnx --calibration EVAL_DIR`, EVAL_DIR from `ecg eval --calibrate`)",
            model.display()
        );
    };
    if p.records.is_empty() {
        return Ok(());
    }
    let k = p.class_names.len();
    let cm = ndarray::Array2::from_shape_vec((k, k), c.c.clone())?;
    let cal = ecg_labels::Calibrator::new(cm.view())?;
    let lambda = if c.lambda.len() == 1 {
        ecg_labels::Lambda::Shared(c.lambda[0])
    } else {
        ecg_labels::Lambda::PerLabel(c.lambda.clone())
    };
    let flat: Vec<f64> = p
        .records
        .iter()
        .flat_map(|r| r.probabilities.clone())
        .collect();
    let pm = ndarray::Array2::from_shape_vec((p.records.len(), k), flat)?;
    let out = cal.apply(pm.view(), &lambda)?;
    for (r, row) in p.records.iter_mut().zip(out.outer_iter()) {
        r.probabilities = row.to_vec();
    }
    Ok(())
}

/// One record: read and preprocess, windows `[w, leads, len]`, forward, aggregate.
fn predict_one(
    m: &mut OnnxModel,
    d: &Deploy,
    prep: &ecg_io::packer::Prep,
    r: &Path,
) -> Result<Prediction> {
    let (mut x, samples, note) = read_input(r, &d.leads, prep)?;
    tracing::info!("{}: {note}", r.display());
    let (len, agg) = match d.windows {
        Windows::Whole { samples: s } => {
            if samples != s {
                bail!(
                    "{}: {samples} samples, the model takes whole records of {s}",
                    r.display()
                );
            }
            (samples, Aggregate::Max)
        }
        Windows::Crop {
            length, aggregate, ..
        } => {
            if samples < length {
                bail!(
                    "{}: {samples} samples, shorter than the model's window of {length}",
                    r.display()
                );
            }
            (length.min(samples), aggregate)
        }
    };
    d.standardizer.apply(&mut x, samples);
    let offsets = d.windows.offsets(samples);
    let leads = d.leads.len();
    let mut batch = Vec::with_capacity(offsets.len() * leads * len);
    for &o in &offsets {
        for l in 0..leads {
            batch.extend_from_slice(&x[l * samples + o..l * samples + o + len]);
        }
    }
    let p = m.forward(&batch, offsets.len(), len)?; // [windows, K]
    let k = d.class_names.len();
    let mut probs = vec![0f64; k];
    for (c, out) in probs.iter_mut().enumerate() {
        let col = p.chunks_exact(k).map(|row| f64::from(row[c]));
        *out = match agg {
            Aggregate::Max => col.fold(f64::NEG_INFINITY, f64::max),
            Aggregate::Mean => col.sum::<f64>() / offsets.len() as f64,
        };
    }
    if let Some(c) = probs.iter().position(|v| !v.is_finite()) {
        bail!(
            "non-finite probability for label {} (the network produced NaN/Inf)",
            d.class_names[c]
        );
    }
    Ok(Prediction {
        record: r.display().to_string(),
        probabilities: probs,
        note,
    })
}
