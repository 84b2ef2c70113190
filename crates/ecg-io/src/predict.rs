//! What both paths of `ecg predict` share (`--checkpoint` in ecg-torch through ecg-train,
//! `--model` in the light `ecg` through ecg-onnx): a WFDB record read into a model's input
//! rows exactly as packing would have preprocessed it, and the output table, which also
//! names the records that could not be predicted and why.
use serde::Serialize;
use std::path::Path;

use crate::error::Result;
use crate::packer::Prep;

/// Reads one WFDB record into the network's input rows `[leads * samples]` at the model's
/// rate, after the pack's preprocessing (physical units, before standardisation), its
/// length, and a note of what was done. The model's `leads` are picked by normalised name
/// from any lead order ([`crate::leads::normalize`]: `aVR` = `AVR`); `prep` is the pack's
/// [`Prep`] at the model's rate and band-pass, so the result equals the pack row that
/// packing the same record at that rate would have written.
pub fn read_input(
    record: &Path,
    leads: &[String],
    prep: &Prep,
) -> Result<(Vec<f32>, usize, String)> {
    let r = crate::packer::read_wfdb(record, leads, false)?;
    let picked: Vec<&str> = leads
        .iter()
        .map(|l| {
            let n = crate::leads::normalize(l);
            r.names
                .iter()
                .find(|h| crate::leads::normalize(h) == n)
                .map_or(l.as_str(), String::as_str)
        })
        .collect();
    let in_order = r.names.len() == leads.len()
        && r.names
            .iter()
            .zip(leads)
            .all(|(h, l)| crate::leads::normalize(h) == crate::leads::normalize(l));
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

/// Probabilities of one record, in the model's class order.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub record: String,
    pub probabilities: Vec<f64>,
    /// What was done to fit the record to the model: leads picked, resampling.
    pub note: String,
}

/// A record that could not be predicted, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub record: String,
    pub error: String,
}

/// Class names, one prediction per record that could be predicted, and the failures.
#[derive(Debug, Clone, Serialize)]
pub struct Predictions {
    pub class_names: Vec<String>,
    pub records: Vec<Prediction>,
    pub failed: Vec<Failure>,
}

impl Predictions {
    /// A tab-separated table of the predicted records: `record` then one column per class.
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

    /// Prints the table (or JSON) to stdout and each failure to stderr; errors at the end
    /// when a record failed, so that the process exits non-zero after predicting the rest.
    pub fn print(&self, json: bool) -> std::result::Result<(), String> {
        if json {
            match serde_json::to_string_pretty(self) {
                Ok(s) => println!("{s}"),
                Err(e) => return Err(format!("writing JSON: {e}")),
            }
        } else {
            print!("{}", self.to_tsv());
        }
        for f in &self.failed {
            eprintln!("error: {}: {}", f.record, f.error);
        }
        if self.failed.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} of {} records could not be predicted: {}",
                self.failed.len(),
                self.failed.len() + self.records.len(),
                self.failed
                    .iter()
                    .map(|f| f.record.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}
