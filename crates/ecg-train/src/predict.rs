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
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Probabilities of one record, in the checkpoint's class order.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub record: String,
    pub probabilities: Vec<f64>,
    /// What was done to fit the record to the model: leads picked, resampling.
    pub note: String,
}

/// Class names and one prediction per record.
#[derive(Debug, Clone, Serialize)]
pub struct Predictions {
    pub class_names: Vec<String>,
    pub records: Vec<Prediction>,
}

impl Predictions {
    /// A tab-separated table: `record` then one column per class.
    pub fn to_tsv(&self) -> String {
        let mut s = String::from("record");
        for c in &self.class_names {
            s.push('\t');
            s.push_str(c);
        }
        s.push('\n');
        for r in &self.records {
            s.push_str(&r.record);
            for p in &r.probabilities {
                s.push_str(&format!("\t{p:.6}"));
            }
            s.push('\n');
        }
        s
    }
}

/// Reads one WFDB record into the network's input rows `[leads * samples]` at the model's
/// rate, after the pack's preprocessing (physical units, before standardisation), its
/// length, and a note of what was done. `prep` is the pack's [`ecg_io::packer::Prep`] at
/// the model's rate and band-pass; the result equals the pack row that packing the same
/// record at that rate would have written.
pub fn read_input(
    record: &Path,
    leads: &[String],
    prep: &ecg_io::packer::Prep,
) -> Result<(Vec<f32>, usize, String), TrainError> {
    let r = ecg_io::packer::read_wfdb(record, leads, false)?;
    let picked: Vec<&str> = leads
        .iter()
        .map(|l| {
            let n = ecg_io::leads::normalize(l);
            r.names
                .iter()
                .find(|h| ecg_io::leads::normalize(h) == n)
                .map_or(l.as_str(), String::as_str)
        })
        .collect();
    let in_order = r.names.len() == leads.len()
        && r.names
            .iter()
            .zip(leads)
            .all(|(h, l)| ecg_io::leads::normalize(h) == ecg_io::leads::normalize(l));
    let mut note = if in_order {
        format!("leads {picked:?} as stored")
    } else {
        format!(
            "leads {picked:?} picked by name from the record's {:?}",
            r.names
        )
    };
    if (r.fs - f64::from(prep.rate())).abs() > 1e-9 {
        note.push_str(&format!(
            "; resampled {} Hz -> {} Hz (resample_poly, as packing)",
            r.fs,
            prep.rate()
        ));
    }
    let (x, n) = prep.apply(record, r.data, r.samples, r.fs)?;
    Ok((x, n, note))
}

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
    for r in records {
        let (mut x, samples, note) = read_input(r, &prep.leads, &pack_prep)?;
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
            net.as_ref(),
            &prep.input,
            samples,
            prep.leads.len(),
            std::iter::once(x),
            1,
            256,
            device,
        )?;
        out.push(Prediction {
            record: r.display().to_string(),
            probabilities: p.row(0).to_vec(),
            note,
        });
    }
    Ok(Predictions {
        class_names: prep.class_names.clone(),
        records: out,
    })
}
