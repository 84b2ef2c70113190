//! `ecg predict`: WFDB records in, label probabilities out, with the checkpoint's own
//! preprocessing (lead selection by name, standardiser, windows and aggregation).
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

/// Reads one WFDB record into the network's input rows `[leads * samples]` (physical
/// units, before standardisation) and its length.
fn read_input(record: &Path, leads: &[String], rate: u32) -> Result<(Vec<f32>, usize), TrainError> {
    let rec = ecg_io::wfdb::read_record(record)?;
    let fs = rec.header.fs();
    if (fs - f64::from(rate)).abs() > 1e-6 {
        return Err(TrainError::Data(format!(
            "{}: sampled at {fs} Hz, the model was trained at {rate} Hz (resample it first, e.g. use the 100 Hz PTB-XL files for a 100 Hz model)",
            record.display()
        )));
    }
    let names: Vec<String> = rec
        .header
        .signals
        .iter()
        .map(|s| s.description.clone().unwrap_or_default())
        .collect();
    let mut out = Vec::with_capacity(leads.len() * rec.samples);
    for l in leads {
        let i = names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(l))
            .ok_or_else(|| {
                TrainError::Data(format!(
                    "{}: no lead `{l}` (the record has {names:?})",
                    record.display()
                ))
            })?;
        let row = rec.lead(i);
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(TrainError::Data(format!(
                "{}: lead {l} sample {j} is not a number (invalid sample)",
                record.display()
            )));
        }
        out.extend_from_slice(row);
    }
    Ok((out, rec.samples))
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
    // The pack's filtering, replayed on each record (same design, same zero-phase filter).
    let sos = match prep.pack_bandpass {
        Some(b) => Some(
            ecg_dsp::filter::butter_sos(
                b.order,
                ecg_dsp::filter::Band::Bandpass(b.low_hz, b.high_hz),
                f64::from(prep.rate),
            )
            .map_err(|e| TrainError::Checkpoint {
                path: ckpt.to_path_buf(),
                msg: format!("pack band-pass {b:?}: {e}"),
            })?,
        ),
        None if !prep.pack_preprocessing.trim_start().starts_with("none") => {
            return Err(TrainError::Checkpoint {
                path: ckpt.to_path_buf(),
                msg: format!(
                    "the model was trained on a pack preprocessed as `{}`, which predict cannot \
                     replay (the sidecar has no pack_bandpass); repack and retrain, or score \
                     records packed the same way with `ecg eval --pack`",
                    prep.pack_preprocessing
                ),
            })
        }
        None => None,
    };
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let (mut x, samples) = read_input(r, &prep.leads, prep.rate)?;
        if let Some(sos) = &sos {
            ecg_dsp::filter::sosfiltfilt_leads(sos, &mut x, samples)
                .map_err(|e| TrainError::Data(format!("{}: band-pass: {e}", r.display())))?;
        }
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
        });
    }
    Ok(Predictions {
        class_names: prep.class_names.clone(),
        records: out,
    })
}
