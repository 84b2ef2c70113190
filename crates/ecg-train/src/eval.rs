//! `ecg eval`: score a split with a checkpoint (the preprocessing read from its sidecar),
//! fit thresholds on the validation split, write `scores.npy`, `labels.npy`,
//! `metrics.json`; with calibration also `scores_calibrated.npy`,
//! `metrics_calibrated.json`, `lambda.json` (λ fitted on validation) and `label_cosine.json`
//! (the C it calibrated with; `ecg export onnx --calibration` reads both).
//!
//! Everything the metrics were computed from is written beside them (`val_scores.npy`,
//! `val_labels.npy`, `bootstrap_ids.npy`, `classes.txt`; `ids.txt` names the record of
//! each row), so `ecg metrics` — or
//! scikit-learn — recomputes `metrics.json` from the files alone.
use crate::checkpoint::{read_preprocessing, write_atomic, write_json};
use crate::config::{DeviceChoice, TrainConfig};
use crate::data::Prepared;
use crate::error::TrainError;
use crate::score::score_split;
use ecg_labels::{fit_lambda, Calibrator, LambdaFit, LambdaMode};
use ecg_metrics::{draw_bootstrap_samples, evaluate, fit_thresholds, EvalConfig, Report};
use ndarray::{Array2, ArrayView2};
use ndarray_npy::WriteNpyExt;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Options of [`eval_checkpoint`].
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// `train`, `val` or `test`.
    pub split: String,
    pub out_dir: PathBuf,
    /// Also calibrate with label correlation (λ fitted on validation).
    pub calibrate: bool,
    pub lambda_mode: LambdaMode,
    /// Overrides the pack named in the run's config.
    pub pack: Option<PathBuf>,
    pub device: DeviceChoice,
    pub batch_size: usize,
    /// Bootstrap resamples for the macro-AUC interval (0: none).
    pub bootstrap: usize,
    pub seed: u64,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            split: "test".into(),
            out_dir: PathBuf::from("."),
            calibrate: false,
            lambda_mode: LambdaMode::Shared,
            pack: None,
            device: DeviceChoice::Cpu,
            batch_size: 256,
            bootstrap: 100,
            seed: 0,
        }
    }
}

/// What `eval` computed.
#[derive(Debug, Clone, Serialize)]
pub struct EvalSummary {
    pub split: String,
    pub report: Report,
    pub calibrated: Option<(LambdaFit, Report)>,
}

fn metrics_err(what: &str) -> impl Fn(ecg_metrics::MetricsError) -> TrainError + '_ {
    move |e| TrainError::Other(format!("{what}: {e}"))
}

/// Writes a 2-D array as `.npy`, atomically.
pub fn write_npy<T: ndarray_npy::WritableElement>(
    path: &Path,
    a: &Array2<T>,
) -> Result<(), TrainError> {
    let mut bytes = Vec::new();
    a.write_npy(&mut bytes)
        .map_err(|e| TrainError::Other(format!("{}: encoding npy: {e}", path.display())))?;
    write_atomic(path, &bytes)
}

/// Metrics JSON as written by eval: the ecg-metrics report plus provenance keys.
pub fn report_json(
    report: &Report,
    extra: &[(&str, serde_json::Value)],
) -> Result<serde_json::Value, TrainError> {
    let mut v = serde_json::to_value(report)
        .map_err(|e| TrainError::Other(format!("serialising metrics: {e}")))?;
    if let Some(obj) = v.as_object_mut() {
        for (k, x) in extra {
            obj.insert((*k).to_string(), x.clone());
        }
    }
    Ok(v)
}

/// The metrics of one split, thresholds fitted on validation (`val`; without it the fixed
/// 0.5), bootstrap over the given index sets; writes into `dir` `scores.npy`, `labels.npy`,
/// The label-correlation matrix C (cosine of the training folds' labels) that calibration
/// used, in class order: `label_cosine.json` beside `lambda.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LabelCosine {
    pub class_names: Vec<String>,
    /// `[K][K]`.
    pub c: Vec<Vec<f64>>,
}

/// `metrics.json` (named with `stem` suffixes, e.g. `_calibrated`) and the inputs that
/// reproduce them with `ecg metrics`: `val_scores.npy` + `val_labels.npy` (with `val`),
/// `bootstrap_ids.npy` (with `boot`), `classes.txt`.
#[allow(clippy::too_many_arguments)]
pub fn write_split_outputs(
    dir: &Path,
    stem: &str,
    y: ArrayView2<u8>,
    p: &Array2<f64>,
    val: Option<(ArrayView2<u8>, ArrayView2<f64>)>,
    class_names: &[String],
    boot: Option<&[Vec<usize>]>,
    extra: &[(&str, serde_json::Value)],
) -> Result<Report, TrainError> {
    let thresholds = match val {
        Some((vy, vp)) => {
            Some(fit_thresholds(vy, vp).map_err(metrics_err("fitting thresholds on validation"))?)
        }
        None => None,
    };
    let cfg = EvalConfig {
        class_names: Some(class_names),
        thresholds: thresholds.as_deref(),
        bootstrap: boot,
    };
    let report = evaluate(y, p.view(), &cfg).map_err(metrics_err("metrics"))?;
    std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    write_npy(&dir.join(format!("scores{stem}.npy")), p)?;
    write_npy(&dir.join("labels.npy"), &y.to_owned())?;
    if let Some((vy, vp)) = val {
        write_npy(&dir.join(format!("val_scores{stem}.npy")), &vp.to_owned())?;
        write_npy(&dir.join("val_labels.npy"), &vy.to_owned())?;
    }
    if let Some(b) = boot {
        let n = b.first().map_or(0, Vec::len);
        if b.iter().any(|s| s.len() != n) {
            return Err(TrainError::Other(
                "bootstrap resamples of different sizes".into(),
            ));
        }
        let flat: Vec<i64> = b.iter().flatten().map(|&i| i as i64).collect();
        let ids = Array2::from_shape_vec((b.len(), n), flat)
            .map_err(|e| TrainError::Other(format!("bootstrap ids: {e}")))?;
        write_npy(&dir.join("bootstrap_ids.npy"), &ids)?;
    }
    write_atomic(
        &dir.join("classes.txt"),
        (class_names.join("\n") + "\n").as_bytes(),
    )?;
    let json = report_json(&report, extra)?;
    write_json(&dir.join(format!("metrics{stem}.json")), &json)?;
    Ok(report)
}

/// Evaluates a checkpoint on a split.
pub fn eval_checkpoint(ckpt: &Path, opts: &EvalOptions) -> Result<EvalSummary, TrainError> {
    let device = opts.device.resolve()?;
    let prep = read_preprocessing(ckpt)?;
    let run_cfg_path = ckpt
        .parent()
        .map(|d| d.join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("config.toml"));
    let cfg = if run_cfg_path.is_file() {
        let text =
            std::fs::read_to_string(&run_cfg_path).map_err(|e| TrainError::io(&run_cfg_path, e))?;
        TrainConfig::from_toml(&text, &run_cfg_path)?
    } else {
        return Err(TrainError::Checkpoint {
            path: ckpt.to_path_buf(),
            msg: format!(
                "no run config {} beside the checkpoint",
                run_cfg_path.display()
            ),
        });
    };
    let pack = opts.pack.clone().unwrap_or_else(|| cfg.data.pack.clone());
    let data = Prepared::for_checkpoint(&pack, &prep, &cfg)?;
    let (_vs, net, _spec) = ecg_nn::checkpoint::load(ckpt, device)?;
    let split = data.split(&opts.split)?;
    if split.is_empty() {
        return Err(TrainError::Data(format!(
            "split `{}` has no record",
            opts.split
        )));
    }
    let p = score_split(net.as_ref(), &data, split, opts.batch_size, device)?;
    let vp = score_split(net.as_ref(), &data, &data.val, opts.batch_size, device)?;
    let names = &prep.class_names;
    // Resamples must hold a positive of every label the split has positives for (the
    // labels macro-AUC uses). A label with no positive in the split at all (small samples)
    // cannot be required, so it is left out of that condition and named in the metrics.
    let present: Vec<usize> = (0..split.y.ncols())
        .filter(|&j| split.y.column(j).iter().any(|&v| v == 1))
        .collect();
    let absent: Vec<&str> = (0..split.y.ncols())
        .filter(|j| !present.contains(j))
        .map(|j| names.get(j).map_or("?", String::as_str))
        .collect();
    let boot = if opts.bootstrap > 0 && !present.is_empty() {
        let y_present = split.y.select(ndarray::Axis(1), &present);
        Some(
            draw_bootstrap_samples(y_present.view(), opts.bootstrap, opts.seed)
                .map_err(metrics_err("bootstrap"))?,
        )
    } else {
        None
    };
    let extra = |calibrated: bool| -> Vec<(&str, serde_json::Value)> {
        vec![
            ("split", serde_json::json!(opts.split)),
            (
                "labels_without_positives_in_split",
                serde_json::json!(absent),
            ),
            ("checkpoint", serde_json::json!(ckpt.display().to_string())),
            ("pack", serde_json::json!(pack.display().to_string())),
            ("thresholds_fitted_on", serde_json::json!("val")),
            ("class_names", serde_json::json!(names)),
            ("calibrated", serde_json::json!(calibrated)),
        ]
    };
    let report = write_split_outputs(
        &opts.out_dir,
        "",
        split.y.view(),
        &p,
        Some((data.val.y.view(), vp.view())),
        names,
        boot.as_deref(),
        &extra(false),
    )?;
    // Which record each row of scores.npy / labels.npy is.
    write_atomic(
        &opts.out_dir.join("ids.txt"),
        (split.ids.join("\n") + "\n").as_bytes(),
    )?;
    let calibrated = if opts.calibrate {
        let c = crate::labels::cosine(&data.train.y)?;
        let cal =
            Calibrator::new(c.view()).map_err(|e| TrainError::Data(format!("calibration: {e}")))?;
        let fit = fit_lambda(&cal, data.val.y.view(), vp.view(), opts.lambda_mode)
            .map_err(|e| TrainError::Data(format!("fitting lambda on validation: {e}")))?;
        let pc = cal
            .apply(p.view(), &fit.lambda)
            .map_err(|e| TrainError::Data(format!("calibration: {e}")))?;
        let vpc = cal
            .apply(vp.view(), &fit.lambda)
            .map_err(|e| TrainError::Data(format!("calibration: {e}")))?;
        let mut ex = extra(true);
        ex.push((
            "lambda",
            serde_json::to_value(&fit.lambda).unwrap_or_default(),
        ));
        let rc = write_split_outputs(
            &opts.out_dir,
            "_calibrated",
            split.y.view(),
            &pc,
            Some((data.val.y.view(), vpc.view())),
            names,
            boot.as_deref(),
            &ex,
        )?;
        write_json(&opts.out_dir.join("lambda.json"), &fit)?;
        // C of the training folds, so that `ecg export onnx --calibration` can carry the
        // calibration into a deployed model.
        write_json(
            &opts.out_dir.join("label_cosine.json"),
            &LabelCosine {
                class_names: names.to_vec(),
                c: c.outer_iter().map(|r| r.to_vec()).collect(),
            },
        )?;
        Some((fit, rc))
    } else {
        None
    };
    Ok(EvalSummary {
        split: opts.split.clone(),
        report,
        calibrated,
    })
}
