//! Building packs from source datasets by streaming: the record list (labels, folds) comes
//! from the dataset's index first; then the signals are read and preprocessed in parallel
//! batches (rayon) and written in record order by a writer thread through a bounded queue
//! ([`write_streaming`]). Memory is a few batches whatever the dataset size.
//!
//! A new packer (any dataset) needs only: a [`PackMeta`], the [`PackedRecord`]s, and a
//! function `read(i)` returning record `i`'s signal // [leads * samples] after [`Prep`]
//! (and [`fit_length`] where records differ in length). [`read_wfdb`] reads a WFDB record
//! with its leads picked by name.
use crate::error::{IoError, Result};
use crate::pack::{Bandpass, PackMeta, PackWriter, PackedRecord, Sex};
use crate::wfdb::read_record;
use ecg_dsp::filter::{butter_sos, sosfiltfilt_leads, Band};
use ecg_dsp::resample::resample_poly_leads;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use tracing_indicatif::span_ext::IndicatifSpanExt;

pub use crate::leads::LEADS_12;

/// The preprocessing every packer applies to each record, and that `ecg predict` replays
/// on new records (the checkpoint stores the rate and [`Bandpass`]): first resampling from
/// the record's rate to `rate` (ecg-dsp `resample_poly`: scipy's `resample_poly(x, up,
/// down)` with its defaults, `up/down = rate/fs` reduced), only when the rates differ;
/// then the optional zero-phase Butterworth band-pass, designed at `rate`.
#[derive(Debug, Clone)]
pub struct Prep {
    rate: u32,
    bandpass: Option<Bandpass>,
    sos: Option<Vec<[f64; 6]>>,
}

impl Prep {
    /// Designs the band-pass (if any) at `rate`.
    pub fn new(rate: u32, bandpass: Option<Bandpass>) -> Result<Self> {
        let dsp = |source| IoError::Dsp {
            context: format!("band-pass {bandpass:?} at {rate} Hz"),
            source,
        };
        let sos = bandpass
            .map(|b| {
                butter_sos(
                    b.order,
                    Band::Bandpass(b.low_hz, b.high_hz),
                    f64::from(rate),
                )
            })
            .transpose()
            .map_err(dsp)?;
        Ok(Prep {
            rate,
            bandpass,
            sos,
        })
    }

    /// The output rate in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn bandpass(&self) -> Option<Bandpass> {
        self.bandpass
    }

    /// `PackMeta::preprocessing`: starts with the band-pass (or `none`), then the
    /// resampling rule.
    pub fn description(&self) -> String {
        let band = match self.bandpass {
            Some(b) => format!(
                "Butterworth band-pass {}-{} Hz, order {}, zero-phase (scipy sosfiltfilt, padlen default)",
                b.low_hz, b.high_hz, b.order
            ),
            None => "none (physical mV as stored)".to_string(),
        };
        format!(
            "{band}; records at another rate are first resampled to {} Hz (scipy resample_poly, Kaiser window β=5)",
            self.rate
        )
    }

    /// Resamples a record // [leads, samples] at `fs` Hz to the output rate (when they
    /// differ) and band-passes it; returns the signal and its samples per lead. `record`
    /// is named in errors. A non-integer `fs` that differs from the rate is refused.
    pub fn apply(
        &self,
        record: &Path,
        data: Vec<f32>,
        samples: usize,
        fs: f64,
    ) -> Result<(Vec<f32>, usize)> {
        let dsp = |what: &str, source| IoError::Dsp {
            context: format!("{}: {what}", record.display()),
            source,
        };
        let (mut x, n) = if (fs - f64::from(self.rate)).abs() < 1e-9 {
            (data, samples)
        } else {
            if fs.fract() != 0.0 || fs < 1.0 {
                return Err(IoError::unsupported(
                    record,
                    "sampling frequency",
                    format!(
                        "{fs} Hz is not a whole number; cannot resample to {} Hz",
                        self.rate
                    ),
                ));
            }
            resample_poly_leads(&data, samples, self.rate as usize, fs as usize)
                .map_err(|e| dsp(&format!("resampling {fs} Hz to {} Hz", self.rate), e))?
        };
        if let Some(sos) = &self.sos {
            sosfiltfilt_leads(sos, &mut x, n).map_err(|e| dsp("band-pass", e))?;
        }
        Ok((x, n))
    }
}

/// Crops (keeps the first `len` samples) or zero-pads at the end each lead of a row-major
/// `[leads, samples]` buffer to `len` samples.
pub fn fit_length(data: &[f32], samples: usize, len: usize) -> Vec<f32> {
    let leads = data.len().checked_div(samples).unwrap_or(0);
    let mut out = vec![0f32; leads * len];
    let keep = len.min(samples);
    for l in 0..leads {
        out[l * len..l * len + keep].copy_from_slice(&data[l * samples..l * samples + keep]);
    }
    out
}

/// A WFDB record's leads picked by name ([`crate::leads::pick`], any order).
#[derive(Debug, Clone)]
pub struct Picked {
    /// // [want.len(), samples], physical units, all finite.
    pub data: Vec<f32>,
    pub samples: usize,
    pub fs: f64,
    /// The record's own lead names, in file order.
    pub names: Vec<String>,
}

/// Reads a WFDB record and picks `want` by name. With `exact`, a record whose lead count
/// differs from `want.len()` is refused. An invalid (NaN) sample in a picked lead is an
/// error naming the lead and sample.
pub fn read_wfdb(record: &Path, want: &[String], exact: bool) -> Result<Picked> {
    let r = read_record(record)?;
    let names: Vec<String> = (0..r.leads).map(|i| r.header.signals[i].name(i)).collect();
    if exact && names.len() != want.len() {
        return Err(IoError::invalid(
            record,
            "leads",
            format!(
                "{} leads {names:?}, expected {} ({want:?})",
                names.len(),
                want.len()
            ),
        ));
    }
    let index = crate::leads::pick(record, &names, want)?;
    let data = crate::leads::select(&r.data, r.samples, &index);
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        let s = r.samples.max(1);
        return Err(IoError::invalid(
            record,
            "samples",
            format!(
                "lead {}, sample {}: invalid (NaN) sample",
                want[i / s],
                i % s
            ),
        ));
    }
    Ok(Picked {
        data,
        samples: r.samples,
        fs: r.header.fs(),
        names,
    })
}

/// Bytes of signal per batch: with one batch being read, one queued and one being
/// written, the packer holds about three of these.
const BATCH_BYTES: usize = 16 << 20;

/// Writes a pack by streaming: `read(i)` gives record `i`'s signal // [leads * samples]
/// (called in parallel within a batch); rows are written in record order by a writer
/// thread through a one-batch queue, then the file is renamed into place. On any error
/// nothing is left at `out`.
pub fn write_streaming<F>(
    out: &Path,
    meta: &PackMeta,
    records: &[PackedRecord],
    read: F,
) -> Result<()>
where
    F: Fn(usize) -> Result<Vec<f32>> + Sync,
{
    let row_bytes = (meta.leads.len() * meta.samples * 4).max(1);
    let batch = (BATCH_BYTES / row_bytes).max(2 * rayon::current_num_threads());
    write_batched(out, meta, records, read, batch)
}

fn write_batched<F>(
    out: &Path,
    meta: &PackMeta,
    records: &[PackedRecord],
    read: F,
    batch: usize,
) -> Result<()>
where
    F: Fn(usize) -> Result<Vec<f32>> + Sync,
{
    let n = records.len();
    let batch = batch.max(1);
    let writer = PackWriter::create(out, meta, records)?;
    let span = tracing::info_span!("pack", dataset = meta.dataset.as_str());
    span.pb_set_length(n as u64);
    let _enter = span.enter();
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<f32>>>(1);
        let bar = span.clone();
        let handle = s.spawn(move || -> Result<PackWriter> {
            let mut w = writer;
            for rows in rx {
                for row in &rows {
                    w.push(row)?;
                }
                bar.pb_inc(rows.len() as u64);
            }
            Ok(w)
        });
        let mut failed = None;
        for start in (0..n).step_by(batch) {
            let rows = (start..(start + batch).min(n))
                .into_par_iter()
                .map(&read)
                .collect::<Result<Vec<_>>>();
            match rows {
                Ok(rows) => {
                    if tx.send(rows).is_err() {
                        break; // the writer stopped: its error is reported below
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let written = handle
            .join()
            .map_err(|_| IoError::invalid(out, "write", "the writer thread panicked"))?;
        if let Some(e) = failed {
            return Err(e); // dropping the writer removes its temporary file
        }
        written?.finish()
    })
}

/// Options for [`pack_ptbxl`].
#[derive(Debug, Clone)]
pub struct PtbxlOptions {
    /// The PTB-XL directory (holding `ptbxl_database.csv`, `scp_statements.csv`,
    /// `records100/`, `records500/`).
    pub data: PathBuf,
    /// Which files to read: 100 (`records100`) or 500 (`records500`). The pack's rate is
    /// [`Prep::rate`]; records are resampled when the two differ.
    pub source_rate: u32,
    /// Release (`1.0.1`, `1.0.3`); `None`: detected from the directory name, else `unknown`.
    pub version: Option<String>,
}

/// Packs every PTB-XL record listed in `ptbxl_database.csv` (in its order) to `out`;
/// returns the number of records.
#[cfg(feature = "polars")]
pub fn pack_ptbxl(opts: &PtbxlOptions, prep: &Prep, out: &Path) -> Result<usize> {
    use crate::ptbxl::{detect_version, load_database, load_statements, record_file};
    let db = load_database(&opts.data.join("ptbxl_database.csv"))?;
    let statements = load_statements(&opts.data.join("scp_statements.csv"))?;
    let Some(src_samples) = [100, 500]
        .contains(&opts.source_rate)
        .then_some(opts.source_rate as usize * 10)
    else {
        return Err(IoError::invalid(
            &opts.data,
            "rate",
            format!("{} Hz: PTB-XL has 100 or 500", opts.source_rate),
        ));
    };
    let samples = prep.rate() as usize * 10;
    let records: Vec<PackedRecord> = db
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
            age: r.age,
            sex: r.sex.and_then(Sex::from_ptbxl),
        })
        .collect();
    let files: Vec<PathBuf> = db
        .iter()
        .map(|r| {
            opts.data
                .join(record_file(r, opts.source_rate).unwrap_or_default())
        })
        .collect();
    drop(db); // all 28 columns as text: not needed while the signals stream
    let leads: Vec<String> = LEADS_12.iter().map(|s| s.to_string()).collect();
    let meta = PackMeta {
        dataset: "ptbxl".into(),
        version: opts
            .version
            .clone()
            .or_else(|| detect_version(&opts.data))
            .unwrap_or_else(|| "unknown".into()),
        rate: prep.rate(),
        leads: leads.clone(),
        samples,
        preprocessing: format!(
            "{}; read from records{}",
            prep.description(),
            opts.source_rate
        ),
        bandpass: prep.bandpass(),
        source: opts.data.display().to_string(),
        statements,
    };
    write_streaming(out, &meta, &records, |i| {
        let path = &files[i];
        let r = read_wfdb(path, &leads, true)?;
        if (r.fs - f64::from(opts.source_rate)).abs() > 1e-9 {
            return Err(IoError::invalid(
                path,
                "sampling frequency",
                format!("{} Hz, expected {}", r.fs, opts.source_rate),
            ));
        }
        if r.samples != src_samples {
            return Err(IoError::invalid(
                path,
                "number of samples",
                format!("{}, expected {src_samples}", r.samples),
            ));
        }
        let (x, n) = prep.apply(path, r.data, r.samples, r.fs)?;
        if n != samples {
            return Err(IoError::invalid(
                path,
                "number of samples",
                format!("{n} after resampling, expected {samples}"),
            ));
        }
        Ok(x)
    })?;
    Ok(records.len())
}

/// Options for [`pack_cpsc2018`].
#[derive(Debug, Clone)]
pub struct CpscOptions {
    /// Directory of `A*.mat` files and `REFERENCE.csv`.
    pub data: PathBuf,
    /// Samples per record at the pack's rate: longer records keep their first `length`
    /// samples, shorter ones are zero-padded at the end.
    pub length: usize,
    /// Seed of the record-wise stratified folds.
    pub fold_seed: u64,
}

/// Packs every CPSC2018 record (500 Hz MAT files, name order) to `out`, preprocessed then
/// cropped/padded. Folds: record-wise stratification over the nine classes
/// ([`crate::folds::stratified_folds`], seeded; the data has no patient ids). Records whose
/// only label is the undefined 10 are left out and named in the metadata
/// ([`crate::cpsc2018::UNDEFINED_LABEL`]). Returns the number of records.
pub fn pack_cpsc2018(opts: &CpscOptions, prep: &Prep, out: &Path) -> Result<usize> {
    use crate::cpsc2018::{index_dataset, read_mat, CLASSES, FS, UNDEFINED_LABEL};
    if opts.length == 0 {
        return Err(IoError::invalid(&opts.data, "length", "must be positive"));
    }
    let loaded = index_dataset(&opts.data, &opts.data.join("REFERENCE.csv"))?;
    let index = loaded.records;
    let folds = crate::folds::stratified_folds(
        &index
            .iter()
            .map(|(_, _, l)| l.iter().map(|&l| usize::from(l) - 1).collect())
            .collect::<Vec<Vec<usize>>>(),
        CLASSES.len(),
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
    let records: Vec<PackedRecord> = index
        .iter()
        .zip(&folds)
        .map(|((name, _, labels), &fold)| {
            let names: Vec<String> = labels
                .iter()
                .map(|&l| {
                    (l as usize)
                        .checked_sub(1)
                        .and_then(|i| CLASSES.get(i))
                        .map_or_else(|| l.to_string(), |c| c.to_string())
                })
                .collect();
            PackedRecord {
                id: name.clone(),
                ecg_id: None,
                patient_id: None,
                fold,
                codes: names.iter().map(|n| (n.clone(), 100.0)).collect(),
                codes_raw: labels
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                // CPSC2018 keeps age and sex inside each .mat file, which the streaming
                // packer reads only after the record list is written.
                age: None,
                sex: None,
            }
        })
        .collect();
    let len = opts.length;
    let meta = PackMeta {
        dataset: "cpsc2018".into(),
        version: "2018".into(),
        rate: prep.rate(),
        leads: LEADS_12.iter().map(|s| s.to_string()).collect(),
        samples: len,
        preprocessing: format!(
            "{}; then cropped (first {len} samples kept) or zero-padded at the end to {len} samples; folds: record-wise stratification over the 9 classes (10 folds, seed {}; no patient ids in the data){excluded}",
            prep.description(),
            opts.fold_seed
        ),
        bandpass: prep.bandpass(),
        source: opts.data.display().to_string(),
        statements: vec![],
    };
    write_streaming(out, &meta, &records, |i| {
        let path = &index[i].1;
        let r = read_mat(path)?;
        if r.data.len() != 12 * r.samples {
            return Err(IoError::invalid(
                path,
                "leads",
                format!(
                    "{} values for {} samples: not 12 leads",
                    r.data.len(),
                    r.samples
                ),
            ));
        }
        let (x, n) = prep.apply(path, r.data, r.samples, FS)?;
        Ok(fit_length(&x, n, len))
    })?;
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_length_crops_and_pads_each_lead() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(fit_length(&x, 3, 2), [1.0, 2.0, 4.0, 5.0]);
        assert_eq!(
            fit_length(&x, 3, 4),
            [1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 6.0, 0.0]
        );
    }

    #[test]
    fn prep_resamples_only_when_the_rates_differ_and_names_the_record() {
        let p = Prep::new(100, None).expect("prep");
        let x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin()).collect();
        let (y, n) = p
            .apply(Path::new("r"), x.clone(), 500, 100.0)
            .expect("same rate");
        assert_eq!((y, n), (x.clone(), 500));
        let (y, n) = p
            .apply(Path::new("r"), x.clone(), 500, 500.0)
            .expect("500 -> 100");
        assert_eq!(n, 100);
        let want = ecg_dsp::resample::resample_poly(&x[..500], 1, 5).expect("dsp");
        assert_eq!(&y[..100], &want[..]);
        let e = p
            .apply(Path::new("rec9"), x, 500, 257.5)
            .expect_err("fractional")
            .to_string();
        assert!(e.contains("rec9") && e.contains("257.5"), "{e}");
        assert!(p.description().starts_with("none"));
    }

    #[test]
    fn a_failing_record_leaves_no_pack_and_rows_stay_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("p.safetensors");
        let meta = PackMeta {
            dataset: "t".into(),
            version: "0".into(),
            rate: 100,
            leads: vec!["I".into()],
            samples: 2,
            preprocessing: "none".into(),
            bandpass: None,
            source: "test".into(),
            statements: vec![],
        };
        let records: Vec<PackedRecord> = (0..1000)
            .map(|i| PackedRecord {
                id: format!("r{i}"),
                ecg_id: None,
                patient_id: None,
                fold: 1,
                codes: vec![],
                codes_raw: String::new(),
                age: None,
                sex: None,
            })
            .collect();
        let e = write_batched(
            &out,
            &meta,
            &records,
            |i| {
                if i == 777 {
                    Err(IoError::invalid(format!("r{i}"), "x", "broken"))
                } else {
                    Ok(vec![i as f32, 0.0])
                }
            },
            7,
        )
        .expect_err("fails");
        assert!(e.to_string().contains("r777"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
        // A writer-side error (a NaN) stops the readers too.
        let e = write_batched(
            &out,
            &meta,
            &records,
            |i| Ok(vec![i as f32, if i == 5 { f32::NAN } else { 0.0 }]),
            3,
        )
        .expect_err("nan");
        assert!(
            e.to_string().contains("record `r5`, lead 0, sample 1"),
            "{e}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
        write_batched(
            &out,
            &meta,
            &records,
            |i| Ok(vec![i as f32, -(i as f32)]),
            7,
        )
        .expect("writes");
        let d = crate::pack::PackedDataset::open(&out).expect("opens");
        for i in [0, 1, 511, 999] {
            assert_eq!(d.signal(i), [i as f32, -(i as f32)]);
        }
    }
}
