//! `ecg export onnx`: a checkpoint (safetensors + spec sidecar + preprocessing sidecar) to
//! one ONNX file that carries the network (ecg-nn's `export`, written from the weights
//! without libtorch) and, in its metadata, the preprocessing `ecg predict --model` replays
//! ([`ecg_onnx::Deploy`]).
use std::path::Path;

use ecg_onnx::meta::{Aggregate, Bandpass, Calibration, Deploy, Standardizer, Windows, FORMAT};

use crate::checkpoint::{read_preprocessing, Preprocessing};
use crate::config::InputMode;
use crate::error::TrainError;

/// The deployment metadata of a checkpoint: its preprocessing sidecar, in ONNX metadata
/// terms. Refuses a pack preprocessing that predict cannot replay (as `ecg predict`).
pub fn deploy_of(
    ckpt: &Path,
    prep: &Preprocessing,
    spec: &ecg_nn::ModelSpec,
) -> Result<Deploy, TrainError> {
    if prep.pack_bandpass.is_none() && !prep.pack_preprocessing.trim_start().starts_with("none") {
        return Err(TrainError::Checkpoint {
            path: ckpt.to_path_buf(),
            msg: format!(
                "the model was trained on a pack preprocessed as `{}`, which the sidecar \
                 cannot replay (no pack_bandpass); repack and retrain",
                prep.pack_preprocessing
            ),
        });
    }
    let windows = match prep.input {
        InputMode::Crop {
            length,
            stride,
            aggregate,
        } => Windows::Crop {
            length,
            stride,
            aggregate: match aggregate {
                crate::config::Aggregate::Max => Aggregate::Max,
                crate::config::Aggregate::Mean => Aggregate::Mean,
            },
        },
        InputMode::Whole => Windows::Whole {
            samples: prep.record_samples,
        },
    };
    let d = Deploy {
        format: FORMAT.into(),
        preset: prep.preset.clone(),
        rate: prep.rate,
        leads: prep.leads.clone(),
        bandpass: prep.pack_bandpass.map(|b| Bandpass {
            low_hz: b.low_hz,
            high_hz: b.high_hz,
            order: b.order,
        }),
        pack_preprocessing: prep.pack_preprocessing.clone(),
        standardizer: Standardizer {
            mode: serde_json::to_value(prep.standardizer.mode)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            mean: prep.standardizer.mean.clone(),
            std: prep.standardizer.std.clone(),
        },
        windows,
        input_len: spec.fixed_length().then_some(spec.input_len as usize),
        class_names: prep.class_names.clone(),
        calibration: None,
    };
    d.validate().map_err(|msg| TrainError::Checkpoint {
        path: ckpt.to_path_buf(),
        msg,
    })?;
    Ok(d)
}

/// What [`export_onnx`] wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exported {
    pub preset: String,
    pub bytes: u64,
    pub nodes: usize,
    pub opset: i64,
}

/// The calibration `ecg eval --calibrate` fitted for this checkpoint: `lambda.json` and
/// `label_cosine.json` in `eval_dir`, in the checkpoint's class order.
pub fn calibration_of(eval_dir: &Path, prep: &Preprocessing) -> Result<Calibration, TrainError> {
    let fit: ecg_labels::LambdaFit = crate::checkpoint::read_json(&eval_dir.join("lambda.json"))?;
    let cos_path = eval_dir.join("label_cosine.json");
    let cos: crate::eval::LabelCosine = crate::checkpoint::read_json(&cos_path)?;
    if cos.class_names != prep.class_names {
        return Err(TrainError::Data(format!(
            "{}: classes {:?}, the checkpoint's are {:?}",
            cos_path.display(),
            cos.class_names,
            prep.class_names
        )));
    }
    let k = prep.class_names.len();
    let lambda = match fit.lambda {
        ecg_labels::Lambda::Shared(l) => vec![l],
        ecg_labels::Lambda::PerLabel(v) => v,
    };
    if cos.c.len() != k || cos.c.iter().any(|r| r.len() != k) {
        return Err(TrainError::Data(format!(
            "{}: C is not {k}×{k}",
            cos_path.display()
        )));
    }
    Ok(Calibration {
        lambda,
        c: cos.c.concat(),
    })
}

/// Writes `out` (atomically) from the checkpoint `ckpt`; with `calibration` (an `ecg eval
/// --calibrate` output folder of this checkpoint), the fitted λ and C go into the metadata.
pub fn export_onnx(
    ckpt: &Path,
    out: &Path,
    calibration: Option<&Path>,
) -> Result<Exported, TrainError> {
    let spec = ecg_nn::checkpoint::read_spec(ckpt)?;
    let prep = read_preprocessing(ckpt)?;
    let mut deploy = deploy_of(ckpt, &prep, &spec)?;
    if let Some(dir) = calibration {
        deploy.calibration = Some(calibration_of(dir, &prep)?);
        deploy.validate().map_err(|msg| TrainError::Checkpoint {
            path: ckpt.to_path_buf(),
            msg,
        })?;
    }
    let weights = ecg_onnx::Weights::read(ckpt).map_err(onnx_err)?;
    let model = ecg_nn::export::to_onnx(&spec, weights, &deploy).map_err(onnx_err)?;
    let nodes = model.graph.as_ref().map_or(0, |g| g.node.len());
    ecg_onnx::graph::write_model(&model, out).map_err(onnx_err)?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(Exported {
        preset: spec.preset,
        bytes,
        nodes,
        opset: ecg_onnx::graph::OPSET,
    })
}

fn onnx_err(e: ecg_onnx::OnnxError) -> TrainError {
    TrainError::Other(e.to_string())
}
