//! Building packs from source datasets: read every record (in parallel with rayon),
//! check its shape, run the caller's preprocessing on it, and collect rows for
//! [`crate::pack::write_pack`]. The preprocessing is a closure so this crate does not
//! depend on ecg-dsp (the `ecg pack` command passes ecg-dsp's zero-phase Butterworth).
use crate::error::{IoError, Result};
use crate::pack::{PackMeta, PackedRecord};
use crate::wfdb::read_record;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use tracing_indicatif::span_ext::IndicatifSpanExt;

/// In-place preprocessing of one record // [leads, samples] row-major, with `samples`.
/// Returns a message on failure (it is reported with the record's name).
pub type Preprocess<'a> = dyn Fn(&mut [f32], usize) -> std::result::Result<(), String> + Sync + 'a;

/// Resampling of one record // [leads, samples] row-major → (resampled, samples per lead).
/// A closure, like [`Preprocess`], so this crate does not depend on ecg-dsp.
pub type Resample<'a> =
    dyn Fn(&[f32], usize) -> std::result::Result<(Vec<f32>, usize), String> + Sync + 'a;

/// The 12 standard leads in PTB-XL's (and CPSC2018's) order.
pub const LEADS_12: [&str; 12] = [
    "I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// A pack's content before writing.
#[derive(Debug, Clone)]
pub struct Built {
    pub meta: PackMeta,
    pub records: Vec<PackedRecord>,
    /// // [records, leads, samples]
    pub signals: Vec<f32>,
}

/// Options for [`build_ptbxl`].
#[derive(Debug, Clone)]
pub struct PtbxlOptions {
    /// The PTB-XL directory (holding `ptbxl_database.csv`, `scp_statements.csv`,
    /// `records100/`, `records500/`).
    pub data: PathBuf,
    /// 100 or 500.
    pub rate: u32,
    /// Release (`1.0.1`, `1.0.3`); `None`: detected from the directory name, else `unknown`.
    pub version: Option<String>,
    /// Text stored as `PackMeta::preprocessing`.
    pub preprocessing: String,
    /// The band-pass the caller's preprocessing applies (stored as `PackMeta::bandpass`).
    pub bandpass: Option<crate::pack::Bandpass>,
}

fn progress_span(name: &str, n: usize) -> tracing::Span {
    let span = tracing::info_span!("pack", dataset = name);
    span.pb_set_length(n as u64);
    span
}

/// Read, check and preprocess every PTB-XL record listed in `ptbxl_database.csv`.
#[cfg(feature = "polars")]
pub fn build_ptbxl(opts: &PtbxlOptions, prep: &Preprocess) -> Result<Built> {
    use crate::ptbxl::{detect_version, load_database, load_statements, record_file};
    let db_path = opts.data.join("ptbxl_database.csv");
    let db = load_database(&db_path)?;
    let statements = load_statements(&opts.data.join("scp_statements.csv"))?;
    let samples = opts.rate as usize * 10;
    if opts.rate != 100 && opts.rate != 500 {
        return Err(IoError::invalid(
            &opts.data,
            "rate",
            format!("{} Hz: PTB-XL has 100 or 500", opts.rate),
        ));
    }
    let span = progress_span("ptbxl", db.len());
    let _enter = span.enter();
    let rows: Vec<Vec<f32>> = db
        .par_iter()
        .map(|rec| {
            let rel = record_file(rec, opts.rate).unwrap_or_default();
            let path = opts.data.join(rel);
            let r = read_record(&path)?;
            check_leads(
                &path,
                &r.header
                    .signals
                    .iter()
                    .enumerate()
                    .map(|(i, s)| s.name(i))
                    .collect::<Vec<_>>(),
            )?;
            if (r.header.fs() - opts.rate as f64).abs() > 1e-9 {
                return Err(IoError::invalid(
                    &path,
                    "sampling frequency",
                    format!("{} Hz, expected {}", r.header.fs(), opts.rate),
                ));
            }
            if r.samples != samples {
                return Err(IoError::invalid(
                    &path,
                    "number of samples",
                    format!("{}, expected {samples}", r.samples),
                ));
            }
            let mut data = r.data;
            if let Some(i) = data.iter().position(|v| !v.is_finite()) {
                return Err(IoError::invalid(
                    &path,
                    "samples",
                    format!(
                        "lead {}, sample {}: invalid (NaN) sample",
                        i / samples,
                        i % samples
                    ),
                ));
            }
            prep(&mut data, samples).map_err(|m| IoError::invalid(&path, "preprocessing", m))?;
            span.pb_inc(1);
            Ok(data)
        })
        .collect::<Result<_>>()?;
    let records = db
        .iter()
        .map(|r| PackedRecord {
            id: r.ecg_id.to_string(),
            ecg_id: Some(r.ecg_id),
            patient_id: r.patient_id,
            fold: r.strat_fold,
            codes: r.scp_codes.clone(),
            codes_raw: r
                .extra
                .iter()
                .rev()
                .find(|(k, _)| k == "scp_codes")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| crate::ptbxl::format_scp_codes(&r.scp_codes)),
        })
        .collect();
    let meta = PackMeta {
        dataset: "ptbxl".into(),
        version: opts
            .version
            .clone()
            .or_else(|| detect_version(&opts.data))
            .unwrap_or_else(|| "unknown".into()),
        rate: opts.rate,
        leads: LEADS_12.iter().map(|s| s.to_string()).collect(),
        samples,
        preprocessing: opts.preprocessing.clone(),
        bandpass: opts.bandpass,
        source: opts.data.display().to_string(),
        statements,
    };
    Ok(Built {
        meta,
        records,
        signals: rows.concat(),
    })
}

fn check_leads(path: &Path, names: &[String]) -> Result<()> {
    let ok = names.len() == 12
        && names
            .iter()
            .zip(LEADS_12)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
    if ok {
        Ok(())
    } else {
        Err(IoError::invalid(
            path,
            "leads",
            format!(
                "{} leads {names:?}, expected the 12 standard leads {LEADS_12:?}",
                names.len()
            ),
        ))
    }
}

/// Options for [`build_cpsc2018`].
#[derive(Debug, Clone)]
pub struct CpscOptions {
    /// Directory of `A*.mat` files and `REFERENCE.csv`.
    pub data: PathBuf,
    /// Sampling rate of the pack: 500 (the files'), or another rate through the resampler
    /// given to [`build_cpsc2018`].
    pub rate: u32,
    /// Samples per record at `rate`: longer records keep their first `length` samples,
    /// shorter ones are zero-padded at the end.
    pub length: usize,
    pub preprocessing: String,
    /// The band-pass the caller's preprocessing applies (stored as `PackMeta::bandpass`).
    pub bandpass: Option<crate::pack::Bandpass>,
    /// Seed of the record-wise stratified folds.
    pub fold_seed: u64,
}

/// Read, resample (when `opts.rate` is not 500), preprocess, then crop/pad every CPSC2018
/// record. Folds: record-wise
/// iterative stratification over the nine classes ([`crate::folds`], seeded; the data has
/// no patient ids). Records whose only label is the undefined 10 are left out and named in
/// the metadata ([`crate::cpsc2018::UNDEFINED_LABEL`]).
pub fn build_cpsc2018(
    opts: &CpscOptions,
    resample: Option<&Resample>,
    prep: &Preprocess,
) -> Result<Built> {
    use crate::cpsc2018::{load_dataset_with_exclusions, CLASSES, FS, UNDEFINED_LABEL};
    if opts.length == 0 {
        return Err(IoError::invalid(&opts.data, "length", "must be positive"));
    }
    let resample = match resample {
        _ if f64::from(opts.rate) == FS => None,
        Some(r) => Some(r),
        None => {
            return Err(IoError::invalid(
                &opts.data,
                "rate",
                format!("{} Hz needs a resampler (the files are 500 Hz)", opts.rate),
            ))
        }
    };
    let loaded = load_dataset_with_exclusions(&opts.data, &opts.data.join("REFERENCE.csv"))?;
    let ex = loaded.examples;
    let folds = crate::folds::stratified_folds(
        &ex.iter()
            .map(|e| e.labels.iter().map(|&l| usize::from(l) - 1).collect())
            .collect::<Vec<Vec<usize>>>(),
        CLASSES.len(),
        10,
        opts.fold_seed,
    );
    let excluded = if loaded.excluded.is_empty() {
        String::new()
    } else {
        format!(
            "; {} records left out because their only REFERENCE.csv label is {UNDEFINED_LABEL}, not a challenge class: {}",
            loaded.excluded.len(),
            loaded.excluded.join(" ")
        )
    };
    let span = progress_span("cpsc2018", ex.len());
    let _enter = span.enter();
    let len = opts.length;
    let rows: Vec<Vec<f32>> = ex
        .par_iter()
        .map(|e| {
            let r = &e.record;
            let path = opts.data.join(format!("{}.mat", r.name));
            if r.data.len() != 12 * r.samples {
                return Err(IoError::invalid(
                    &path,
                    "leads",
                    format!(
                        "{} values for {} samples: not 12 leads",
                        r.data.len(),
                        r.samples
                    ),
                ));
            }
            let (mut data, samples) = match resample {
                Some(f) => {
                    f(&r.data, r.samples).map_err(|m| IoError::invalid(&path, "resampling", m))?
                }
                None => (r.data.clone(), r.samples),
            };
            prep(&mut data, samples).map_err(|m| IoError::invalid(&path, "preprocessing", m))?;
            let mut out = vec![0f32; 12 * len];
            let keep = len.min(samples);
            for l in 0..12 {
                out[l * len..l * len + keep]
                    .copy_from_slice(&data[l * samples..l * samples + keep]);
            }
            span.pb_inc(1);
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let records = ex
        .iter()
        .zip(&folds)
        .map(|(e, &fold)| {
            let names: Vec<String> = e
                .labels
                .iter()
                .map(|&l| {
                    (l as usize)
                        .checked_sub(1)
                        .and_then(|i| CLASSES.get(i))
                        .map_or_else(|| l.to_string(), |c| c.to_string())
                })
                .collect();
            PackedRecord {
                id: e.record.name.clone(),
                ecg_id: None,
                patient_id: None,
                fold,
                codes: names.iter().map(|n| (n.clone(), 100.0)).collect(),
                codes_raw: e
                    .labels
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            }
        })
        .collect();
    let meta = PackMeta {
        dataset: "cpsc2018".into(),
        version: "2018".into(),
        rate: opts.rate,
        leads: LEADS_12.iter().map(|s| s.to_string()).collect(),
        samples: len,
        preprocessing: format!(
            "{}{}; then cropped (first {len} samples kept) or zero-padded at the end to {len} samples; folds: record-wise iterative stratification over the 9 classes (10 folds, seed {}; no patient ids in the data){excluded}",
            if resample.is_some() {
                format!("resampled 500 → {} Hz (polyphase, scipy resample_poly); ", opts.rate)
            } else {
                String::new()
            },
            opts.preprocessing,
            opts.fold_seed
        ),
        bandpass: opts.bandpass,
        source: opts.data.display().to_string(),
        statements: vec![],
    };
    Ok(Built {
        meta,
        records,
        signals: rows.concat(),
    })
}
