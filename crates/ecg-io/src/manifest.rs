//! A user's own records: a CSV manifest listing WFDB records (any format the reader
//! supports) with their labels, packed like any dataset.
//!
//! Columns, found by header name (others are ignored):
//! - `record` (required): the record's path without extension, relative to the CSV's
//!   folder (or absolute);
//! - `labels` (required): class names separated by [`LABEL_SEPARATOR`] (`;`), e.g.
//!   `AF;RBBB`; each name trimmed; none may be empty;
//! - `fold` (optional): 1..=10, on every row or on none;
//! - `patient` (optional): any text; the records of one patient share a fold.
//!
//! The label vocabulary is the manifest's sorted class names (or a given list, which then
//! refuses any other name). Folds not given are assigned with [`crate::folds`]:
//! patient-wise stratified by label when patients are given, record-wise stratified
//! otherwise; the metadata says which. Every row is checked (file present, labels, lead
//! count, lead names, a rate that can be resampled) before anything is written, and an
//! error names the CSV line; a record that fails while its signal is read names the line
//! too, and no pack is left behind.
use crate::error::{IoError, Result};
use crate::folds::{assign_folds, PatientLoad};
use crate::pack::{PackMeta, PackedRecord};
use crate::packer::{fit_length, read_wfdb, write_streaming, Prep};
use crate::wfdb::{hea_path, Header};
use rand::SeedableRng;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Separates class names in the `labels` column.
pub const LABEL_SEPARATOR: char = ';';

/// One data row of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRow {
    /// Line in the CSV file (1-based; the header is line 1).
    pub line: usize,
    /// The `record` cell as written (the pack's record id).
    pub id: String,
    /// The record path resolved against the CSV's folder.
    pub record: PathBuf,
    pub labels: Vec<String>,
    pub fold: Option<u8>,
    pub patient: Option<String>,
}

fn cell<'a>(cols: &'a [(String, Vec<Option<String>>)], name: &str) -> Option<&'a [Option<String>]> {
    cols.iter()
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| &v[..])
}

/// Reads and checks the manifest's cells (not the records): a required column missing,
/// an empty record, an empty label, a fold outside 1..=10, folds on some rows only, a
/// record listed twice, and (with `classes`) a label outside it are errors naming the line.
pub fn read_manifest(path: &Path, classes: Option<&[String]>) -> Result<Vec<ManifestRow>> {
    let cols = crate::ptbxl::read_csv(path)?;
    let need = |name: &str| {
        cell(&cols, name).ok_or_else(|| {
            IoError::invalid(
                path,
                name,
                "required column is missing (columns: record, labels, optional fold, patient)",
            )
        })
    };
    let (recs, labels) = (need("record")?, need("labels")?);
    let (folds, patients) = (cell(&cols, "fold"), cell(&cols, "patient"));
    let dir = path.parent().unwrap_or(Path::new(""));
    let known: Option<BTreeSet<&str>> = classes.map(|c| c.iter().map(String::as_str).collect());
    let mut seen = BTreeMap::new();
    let mut rows = Vec::with_capacity(recs.len());
    for i in 0..recs.len() {
        let line = i + 2;
        let err = |field: &str, msg: String| IoError::parse(path, line, field, msg);
        let text = |c: Option<&[Option<String>]>| {
            c.and_then(|c| c[i].as_deref())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let id = text(Some(recs)).ok_or_else(|| err("record", "empty".into()))?;
        if let Some(prev) = seen.insert(id.clone(), line) {
            return Err(err(
                "record",
                format!("`{id}` is listed twice (also line {prev})"),
            ));
        }
        let raw = labels[i].as_deref().unwrap_or("");
        let names: Vec<String> = raw
            .split(LABEL_SEPARATOR)
            .map(|s| s.trim().to_string())
            .collect();
        if names.iter().any(String::is_empty) {
            return Err(err(
                "labels",
                format!("`{raw}`: an empty label (class names separated by `{LABEL_SEPARATOR}`)"),
            ));
        }
        if let Some(k) = &known {
            if let Some(u) = names.iter().find(|n| !k.contains(n.as_str())) {
                return Err(err(
                    "labels",
                    format!("unknown label `{u}` (classes: {classes:?})"),
                ));
            }
        }
        let fold = match text(folds) {
            None => None,
            Some(f) => Some(
                f.parse::<u8>()
                    .ok()
                    .filter(|f| (1..=10).contains(f))
                    .ok_or_else(|| err("fold", format!("`{f}` is not a fold 1..=10")))?,
            ),
        };
        rows.push(ManifestRow {
            line,
            record: dir.join(&id),
            id,
            labels: names,
            fold,
            patient: text(patients),
        });
    }
    if let Some(r) = rows
        .iter()
        .find(|r| r.fold.is_none() != rows[0].fold.is_none())
    {
        return Err(IoError::parse(
            path,
            r.line,
            "fold",
            "folds must be given on every row or on none",
        ));
    }
    Ok(rows)
}

/// Options for [`pack_manifest`].
#[derive(Debug, Clone)]
pub struct ManifestOptions {
    pub manifest: PathBuf,
    /// The pack's leads, matched by name in each record (any order); a record must have
    /// exactly this many leads.
    pub leads: Vec<String>,
    /// Samples per record at the pack's rate (crop: first samples kept; pad: zeros at
    /// the end).
    pub length: usize,
    /// The allowed class names; `None`: the manifest's own (sorted).
    pub classes: Option<Vec<String>>,
    /// Seed of the fold assignment (when the manifest gives no folds).
    pub seed: u64,
}

/// Header checks for one row before anything is written: the file, lead count and
/// names, a rate `prep` can reach.
fn check_row(m: &Path, row: &ManifestRow, leads: &[String], rate: u32) -> Result<()> {
    let at = |field: &str, msg: String| IoError::parse(m, row.line, field, msg);
    if !hea_path(&row.record).is_file() {
        return Err(at(
            "record",
            format!(
                "`{}`: no header file {}",
                row.id,
                hea_path(&row.record).display()
            ),
        ));
    }
    let h = Header::read(&row.record).map_err(|e| at("record", format!("`{}`: {e}", row.id)))?;
    let names: Vec<String> = h
        .signals
        .iter()
        .enumerate()
        .map(|(i, s)| s.name(i))
        .collect();
    if names.len() != leads.len() {
        return Err(at(
            "record",
            format!(
                "`{}`: {} leads {names:?}, the pack takes {} ({leads:?})",
                row.id,
                names.len(),
                leads.len()
            ),
        ));
    }
    crate::leads::pick(&row.record, &names, leads)
        .map_err(|e| at("record", format!("`{}`: {e}", row.id)))?;
    let fs = h.fs();
    if (fs - f64::from(rate)).abs() > 1e-9 && (fs.fract() != 0.0 || fs < 1.0) {
        return Err(at(
            "record",
            format!(
                "`{}`: {fs} Hz cannot be resampled to {rate} Hz (not a whole number)",
                row.id
            ),
        ));
    }
    Ok(())
}

/// Folds for every row: the manifest's, else stratified (patient-wise when patients are
/// given); and the sentence the metadata states.
fn folds_of(rows: &[ManifestRow], classes: &[String], seed: u64) -> (Vec<u8>, String) {
    if rows.first().is_some_and(|r| r.fold.is_some()) {
        let f = rows.iter().map(|r| r.fold.unwrap_or(1)).collect();
        return (f, "folds as given in the manifest".into());
    }
    let by_patient = rows.iter().any(|r| r.patient.is_some());
    // group: a patient (rows without one stand alone), else each record
    let mut group_of = Vec::with_capacity(rows.len());
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let key = match (&r.patient, by_patient) {
            (Some(p), true) => format!("p:{p}"),
            _ => format!("r:{i}"),
        };
        let n = groups.len();
        group_of.push(*groups.entry(key).or_insert(n));
    }
    let mut loads = vec![
        PatientLoad {
            records: 0,
            strata: vec![0; classes.len()]
        };
        groups.len()
    ];
    for (r, &g) in rows.iter().zip(&group_of) {
        loads[g].records += 1;
        for l in &r.labels {
            if let Ok(k) = classes.binary_search(l) {
                loads[g].strata[k] += 1;
            }
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let gf = assign_folds(&loads, &mut rng);
    let how = if by_patient {
        format!("folds assigned patient-wise, stratified by label (iterative stratification as PTB-XL's strat_fold; a record without a patient stands alone; seed {seed})")
    } else {
        format!("folds assigned record-wise, stratified by label (iterative stratification as PTB-XL's strat_fold; no patients given; seed {seed})")
    };
    (group_of.iter().map(|&g| gf[g]).collect(), how)
}

/// Patient ids: the names themselves when all are whole numbers, else 1.. in sorted name
/// order.
fn patient_ids(rows: &[ManifestRow]) -> (Vec<Option<u32>>, &'static str) {
    let numeric = rows
        .iter()
        .filter_map(|r| r.patient.as_deref())
        .all(|p| p.parse::<u32>().is_ok());
    if numeric {
        let ids = rows
            .iter()
            .map(|r| r.patient.as_deref().and_then(|p| p.parse().ok()))
            .collect();
        return (ids, "patient ids as given");
    }
    let names: BTreeSet<&str> = rows.iter().filter_map(|r| r.patient.as_deref()).collect();
    let index: BTreeMap<&str, u32> = names.into_iter().zip(1..).collect();
    let ids = rows
        .iter()
        .map(|r| r.patient.as_deref().map(|p| index[p]))
        .collect();
    (
        ids,
        "patient ids numbered from 1 in sorted order of the manifest's patient names",
    )
}

/// Packs the manifest's records to `out`: every row checked first, then streamed
/// (resampled and band-passed by `prep`, cropped/padded to `length`). Returns the number
/// of records.
pub fn pack_manifest(opts: &ManifestOptions, prep: &Prep, out: &Path) -> Result<usize> {
    let m = &opts.manifest;
    if opts.length == 0 {
        return Err(IoError::invalid(m, "length", "must be positive"));
    }
    let rows = read_manifest(m, opts.classes.as_deref())?;
    if rows.is_empty() {
        return Err(IoError::invalid(
            m,
            "record",
            "the manifest lists no records",
        ));
    }
    rows.par_iter()
        .try_for_each(|r| check_row(m, r, &opts.leads, prep.rate()))?;
    let classes: Vec<String> = match &opts.classes {
        Some(c) => {
            let mut c = c.clone();
            c.sort();
            c.dedup();
            c
        }
        None => rows
            .iter()
            .flat_map(|r| r.labels.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let (folds, fold_rule) = folds_of(&rows, &classes, opts.seed);
    let (patients, patient_rule) = patient_ids(&rows);
    let records: Vec<PackedRecord> = rows
        .iter()
        .zip(folds.iter().zip(&patients))
        .map(|(r, (&fold, &patient_id))| PackedRecord {
            id: r.id.clone(),
            ecg_id: None,
            patient_id,
            fold,
            codes: r.labels.iter().map(|l| (l.clone(), 100.0)).collect(),
            codes_raw: r.labels.join(&LABEL_SEPARATOR.to_string()),
            age: None,
            sex: None,
        })
        .collect();
    let len = opts.length;
    let meta = PackMeta {
        dataset: "manifest".into(),
        version: String::new(),
        rate: prep.rate(),
        leads: opts.leads.clone(),
        samples: len,
        preprocessing: format!(
            "{}; then cropped (first {len} samples kept) or zero-padded at the end to {len} samples; {fold_rule}; {patient_rule}; classes: {classes:?}",
            prep.description()
        ),
        bandpass: prep.bandpass(),
        source: m.display().to_string(),
        statements: vec![],
    };
    write_streaming(out, &meta, &records, |i| {
        let r = &rows[i];
        let at = |e: IoError| IoError::parse(m, r.line, "record", format!("`{}`: {e}", r.id));
        let p = read_wfdb(&r.record, &opts.leads, true).map_err(at)?;
        let (x, n) = prep.apply(&r.record, p.data, p.samples, p.fs).map_err(at)?;
        Ok(fit_length(&x, n, len))
    })?;
    Ok(records.len())
}
