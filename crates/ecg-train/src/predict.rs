//! `ecg predict`: WFDB records in, label probabilities out, with the checkpoint's own
//! preprocessing: the model's leads picked by name from any lead order
//! ([`ecg_io::leads::normalize`]: `aVR` = `AVR`), resampling to the model's rate and the
//! pack's band-pass through the packers' own [`ecg_io::packer::Prep`] (so a record scores
//! exactly as if it had been packed at the model's rate), then the standardiser, windows
//! and aggregation.
use crate::checkpoint::read_preprocessing;
use crate::config::{DeviceChoice, InputMode};
use crate::error::TrainError;
use crate::score::score_with;
use std::path::{Path, PathBuf};

pub use ecg_io::predict::{read_input, Failure, Prediction, Predictions};

/// Scores WFDB records (paths without extension) with a checkpoint.
pub fn predict(
    ckpt: &Path,
    records: &[PathBuf],
    device: DeviceChoice,
) -> Result<Predictions, TrainError> {
    let device = device.resolve()?;
    let prep = read_preprocessing(ckpt)?;
    let (_vs, net, _spec) = ecg_nn::checkpoint::load(ckpt, device)?;
    // The pack's resampling and filtering, replayed on each record by the packers' code.
    if prep.pack_bandpass.is_none() && !prep.pack_preprocessing.trim_start().starts_with("none") {
        return Err(TrainError::Checkpoint {
            path: ckpt.to_path_buf(),
            msg: format!(
                "the model was trained on a pack preprocessed as `{}`, which predict cannot \
                 replay (the sidecar has no pack_bandpass); repack and retrain, or score \
                 records packed the same way with `ecg eval --pack`",
                prep.pack_preprocessing
            ),
        });
    }
    let pack_prep = ecg_io::packer::Prep::new(prep.rate, prep.pack_bandpass).map_err(|e| {
        TrainError::Checkpoint {
            path: ckpt.to_path_buf(),
            msg: format!("pack preprocessing: {e}"),
        }
    })?;
    let mut out = Vec::with_capacity(records.len());
    let mut failed = Vec::new();
    for r in records {
        match predict_one(net.as_ref(), &prep, &pack_prep, r, device) {
            Ok(p) => out.push(p),
            Err(e) => failed.push(Failure {
                record: r.display().to_string(),
                error: e.to_string(),
            }),
        }
    }
    Ok(Predictions {
        class_names: prep.class_names.clone(),
        records: out,
        failed,
    })
}

/// One record through the checkpoint's preprocessing and the network.
fn predict_one(
    net: &dyn ecg_nn::EcgNet,
    prep: &crate::checkpoint::Preprocessing,
    pack_prep: &ecg_io::packer::Prep,
    r: &Path,
    device: tch::Device,
) -> Result<Prediction, TrainError> {
    let (mut x, samples, note) = read_input(r, &prep.leads, pack_prep)?;
    tracing::info!("{}: {note}", r.display());
    match prep.input {
        InputMode::Whole if samples != prep.record_samples => {
            return Err(TrainError::Data(format!(
                "{}: {samples} samples, the model takes whole records of {}",
                r.display(),
                prep.record_samples
            )))
        }
        InputMode::Crop { length, .. } if samples < length => {
            return Err(TrainError::Data(format!(
                "{}: {samples} samples, shorter than the model's window of {length}",
                r.display()
            )))
        }
        _ => {}
    }
    prep.standardizer.apply(&mut x, samples);
    let p = score_with(
        net,
        &prep.input,
        samples,
        prep.leads.len(),
        std::iter::once(x),
        1,
        256,
        device,
    )?;
    Ok(Prediction {
        record: r.display().to_string(),
        probabilities: p.row(0).to_vec(),
        note,
    })
}
