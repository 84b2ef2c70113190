//! A packed dataset from a Hefei-Tianchi folder: every record of the label file, 12 leads
//! (four derived, see [`super`]), resampled and band-passed by the packer's [`Prep`], with
//! its classes as stable English identifiers and record-wise stratified folds, streamed to
//! the file ([`crate::packer::write_streaming`]).
//!
//! Layout: `DIR` holds the label file (`--labels`, else the one `hf_round*_label.txt` or
//! `*label*.txt` in `DIR`) and the record files, either in `DIR` itself or in one of its
//! sub-folders `train`, `hf_round1_train`, `hf_round2_train` (the first that holds the
//! first listed record).
//!
//! Folds: the data has no patient ids, so records are split record-wise by stratification
//! over the classes ([`crate::folds::stratified_folds`], 10 folds, seeded); folds 1–8
//! train, 9 validation, 10 test, as for PTB-XL. Two records of one patient can therefore
//! fall into different folds; the metadata says so.
use super::{class_ids, load_labels, read_record, HefeiLabels, ReadOptions, FS};
use crate::error::{IoError, Result};
use crate::folds::stratified_folds;
use crate::pack::{PackMeta, PackedRecord, Sex};
use crate::packer::{write_streaming, Prep, LEADS_12};
use std::path::{Path, PathBuf};

/// Options for [`pack_hefei`].
#[derive(Debug, Clone)]
pub struct HefeiOptions {
    /// The dataset folder.
    pub data: PathBuf,
    /// The label file; `None`: found in `data` (see the module docs).
    pub labels: Option<PathBuf>,
    /// Millivolts per stored unit.
    pub mv_per_unit: f64,
    /// Seed of the fold assignment.
    pub fold_seed: u64,
}

/// The record folder: `data` or its sub-folder that holds `first_file` (module docs).
pub fn locate(data: &Path, first_file: Option<&str>) -> Result<PathBuf> {
    let candidates = ["", "train", "hf_round1_train", "hf_round2_train"];
    let Some(first) = first_file else {
        return Ok(data.to_path_buf());
    };
    for c in candidates {
        let dir = if c.is_empty() {
            data.to_path_buf()
        } else {
            data.join(c)
        };
        if dir.join(first).is_file() {
            return Ok(dir);
        }
    }
    Err(IoError::invalid(
        data,
        "records",
        format!(
            "the first listed record `{first}` is in none of {}, {}/{{train, hf_round1_train, hf_round2_train}}",
            data.display(),
            data.display()
        ),
    ))
}

/// The label file of `data`: `explicit`, else the one file named `hf_round*_label.txt`,
/// else the one `*label*.txt`.
pub fn label_file(data: &Path, explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let mut names: Vec<String> = std::fs::read_dir(data)
        .map_err(|e| IoError::io(data, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") && n.contains("label"))
        .collect();
    names.sort();
    let official: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("hf_round") && n.ends_with("_label.txt"))
        .collect();
    let chosen: Option<&String> = match (official.as_slice(), names.as_slice()) {
        ([one], _) => Some(one),
        ([], [one]) => Some(one),
        _ => None,
    };
    match chosen {
        Some(one) => Ok(data.join(one.as_str())),
        None => Err(IoError::invalid(
            data,
            "label file",
            format!(
                "expected one label file (hf_round1_label.txt or hf_round2_label.txt), found {names:?}; name it with --labels"
            ),
        )),
    }
}

/// Folds of the rows (classes as indices into [`super::classes::CLASSES`]).
fn folds(ids: &[Vec<&'static str>], seed: u64) -> Vec<u8> {
    use super::classes::CLASSES;
    let sets: Vec<Vec<usize>> = ids
        .iter()
        .map(|r| {
            r.iter()
                .filter_map(|id| CLASSES.iter().position(|c| c.id == *id))
                .collect()
        })
        .collect();
    stratified_folds(&sets, CLASSES.len(), seed)
}

/// Metadata and per-record rows of a Hefei pack, before any signal is read.
#[derive(Debug, Clone)]
pub struct HefeiPlan {
    pub meta: PackMeta,
    pub records: Vec<PackedRecord>,
    /// The record file of each row.
    pub files: Vec<PathBuf>,
}

/// Read the label file, map the classes, assign folds (the pack at `prep`'s rate).
pub fn plan(opts: &HefeiOptions, prep: &Prep) -> Result<HefeiPlan> {
    let labels = label_file(&opts.data, opts.labels.as_deref())?;
    let rows: Vec<HefeiLabels> = load_labels(&labels)?;
    let ids: Vec<Vec<&'static str>> = rows
        .iter()
        .map(|r| class_ids(r, &labels))
        .collect::<Result<_>>()?;
    let dir = locate(&opts.data, rows.first().map(|r| r.file.as_str()))?;
    let fold = folds(&ids, opts.fold_seed);
    let rate = prep.rate();
    let samples = (super::SAMPLES as u64 * u64::from(rate) / FS as u64) as usize;
    let records = rows
        .iter()
        .zip(&ids)
        .zip(&fold)
        .map(|((r, ids), &fold)| {
            let stem = r.file.strip_suffix(".txt").unwrap_or(&r.file);
            PackedRecord {
                id: stem.to_string(),
                ecg_id: stem.parse().ok(),
                patient_id: None,
                fold,
                codes: ids.iter().map(|c| (c.to_string(), 100.0)).collect(),
                codes_raw: r.labels.join("\t"),
                age: r.age,
                sex: r.sex.as_deref().and_then(Sex::from_text),
            }
        })
        .collect();
    let file_name = labels
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let version = if file_name.contains("round1") {
        "round1"
    } else if file_name.contains("round2") {
        "round2"
    } else {
        "unknown"
    };
    let meta = PackMeta {
        dataset: "hefei".into(),
        version: version.into(),
        rate,
        leads: LEADS_12.iter().map(|s| s.to_string()).collect(),
        samples,
        preprocessing: format!(
            "{}; stored units × {} mV at 500 Hz; III, aVR, aVL, aVF derived from I and II; folds: record-wise stratification over the classes (10 folds, seed {}; no patient ids in the data, so one patient's records may fall into different folds)",
            prep.description(),
            opts.mv_per_unit,
            opts.fold_seed
        ),
        bandpass: prep.bandpass(),
        source: labels.display().to_string(),
        statements: vec![],
    };
    Ok(HefeiPlan {
        meta,
        files: rows.iter().map(|r| dir.join(&r.file)).collect(),
        records,
    })
}

impl HefeiPlan {
    /// Read and preprocess row `i` // [12 * samples].
    pub fn signal(&self, i: usize, opts: &ReadOptions, prep: &Prep) -> Result<Vec<f32>> {
        let path = &self.files[i];
        let r = read_record(path, opts)?;
        let (data, samples) = prep.apply(path, r.data, r.samples, FS)?;
        if samples != self.meta.samples {
            return Err(IoError::invalid(
                path,
                "samples",
                format!(
                    "{samples} samples after resampling, the pack holds {}",
                    self.meta.samples
                ),
            ));
        }
        Ok(data)
    }
}

/// Pack every record of the label file to `out` (streaming, atomic); returns the number
/// of records.
pub fn pack_hefei(opts: &HefeiOptions, prep: &Prep, out: &Path) -> Result<usize> {
    let plan = plan(opts, prep)?;
    let read = ReadOptions {
        mv_per_unit: opts.mv_per_unit,
        ..ReadOptions::default()
    };
    write_streaming(out, &plan.meta, &plan.records, |i| {
        plan.signal(i, &read, prep)
    })?;
    Ok(plan.records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_file_is_found_or_the_choice_is_named() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::write(d.path().join("hf_round2_label.txt"), "").expect("w");
        std::fs::write(d.path().join("notes.txt"), "").expect("w");
        assert_eq!(
            label_file(d.path(), None).ok(),
            Some(d.path().join("hf_round2_label.txt"))
        );
        std::fs::write(d.path().join("hf_round1_label.txt"), "").expect("w");
        let e = label_file(d.path(), None).expect_err("two").to_string();
        assert!(e.contains("--labels"), "{e}");
        let x = d.path().join("x");
        assert_eq!(label_file(d.path(), Some(&x)).ok(), Some(x));
    }
}
