//! `ecg read`, `ecg inspect`, `ecg pack`: WFDB records to .npy, header tables, and packed
//! datasets (thin over ecg-io and ecg-dsp).
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use ecg_dsp::filter::{butter_sos, sosfiltfilt_leads, Band};
use ecg_io::packer::{build_cpsc2018, build_ptbxl, CpscOptions, PtbxlOptions};
use ecg_io::wfdb::{read_record, Header};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Read a WFDB record (path without extension) and write its physical signal as a
    /// float32 .npy array [leads, samples]; checksums are verified.
    Read {
        /// The record, e.g. records100/00000/00001_lr.
        record: PathBuf,
        /// Output .npy file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a WFDB record's header as a table.
    Inspect {
        /// The record, without extension.
        record: PathBuf,
    },
    /// Write a packed dataset (safetensors: `signals` f32 [records, leads, samples] plus
    /// per-record and dataset metadata).
    Pack {
        dataset: PackDataset,
        /// Dataset directory.
        #[arg(long)]
        data: PathBuf,
        /// Sampling rate of the pack. PTB-XL: 100 or 500 (its own files); CPSC2018 and
        /// Hefei-Tianchi: 500 (the files') or another rate (resampled, scipy's resample_poly).
        #[arg(long, default_value_t = 100)]
        rate: u32,
        /// Zero-phase Butterworth band-pass `LO:HI` in Hz (e.g. 0.5:40).
        #[arg(long)]
        bandpass: Option<String>,
        /// Butterworth order of the band-pass.
        #[arg(long, default_value_t = 3)]
        order: usize,
        /// CPSC2018: samples per record at --rate (crop or zero-pad).
        #[arg(long)]
        length: Option<usize>,
        /// PTB-XL release, stored in the metadata (default: from the directory name).
        #[arg(long)]
        version: Option<String>,
        /// Hefei-Tianchi: the label file (default: the `hf_round*_label.txt` in --data).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// CPSC2018, Hefei-Tianchi: seed of the record-wise stratified folds.
        #[arg(long, default_value_t = 0)]
        fold_seed: u64,
        /// Output file (.safetensors).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum PackDataset {
    Ptbxl,
    Cpsc2018,
    Hefei,
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Read { record, out } => {
            let r = read_record(&record)
                .with_context(|| format!("reading record {}", record.display()))?;
            ecg_io::npy::write_f32(&out, &[r.leads, r.samples], &r.data)
                .with_context(|| format!("writing {}", out.display()))?;
            tracing::info!(
                leads = r.leads,
                samples = r.samples,
                "wrote {}",
                out.display()
            );
            Ok(())
        }
        Cmd::Inspect { record } => {
            let h = Header::read(&record)
                .with_context(|| format!("reading header of {}", record.display()))?;
            print!("{}", inspect_table(&h));
            Ok(())
        }
        Cmd::Pack {
            dataset,
            data,
            rate,
            bandpass,
            order,
            length,
            version,
            labels,
            fold_seed,
            out,
        } => {
            let band = bandpass.as_deref().map(parse_band).transpose()?;
            let fs = match dataset {
                PackDataset::Ptbxl => rate as f64,
                PackDataset::Cpsc2018 | PackDataset::Hefei => rate as f64,
            };
            let sos = match band {
                Some((lo, hi)) => Some(
                    butter_sos(order, Band::Bandpass(lo, hi), fs)
                        .with_context(|| format!("designing the {lo}-{hi} Hz band-pass"))?,
                ),
                None => None,
            };
            let description = match band {
                Some((lo, hi)) => format!("Butterworth band-pass {lo}-{hi} Hz, order {order}, zero-phase (scipy sosfiltfilt, padlen default)"),
                None => "none (physical mV as stored)".to_string(),
            };
            let prep = |x: &mut [f32], samples: usize| -> std::result::Result<(), String> {
                match &sos {
                    Some(sos) => sosfiltfilt_leads(sos, x, samples).map_err(|e| e.to_string()),
                    None => Ok(()),
                }
            };
            let bandpass = band.map(|(low_hz, high_hz)| ecg_io::pack::Bandpass {
                low_hz,
                high_hz,
                order,
            });
            let built = match dataset {
                PackDataset::Ptbxl => build_ptbxl(
                    &PtbxlOptions {
                        data: data.clone(),
                        rate,
                        version,
                        preprocessing: description,
                        bandpass,
                    },
                    &prep,
                ),
                PackDataset::Cpsc2018 => {
                    let Some(length) = length else {
                        bail!("ecg pack cpsc2018 needs --length N (samples per record)")
                    };
                    let resample = resampler_from_500(rate);
                    build_cpsc2018(
                        &CpscOptions {
                            data: data.clone(),
                            rate,
                            length,
                            preprocessing: description,
                            bandpass,
                            fold_seed,
                        },
                        (rate != 500).then_some(&resample as &ecg_io::packer::Resample),
                        &prep,
                    )
                }
                PackDataset::Hefei => {
                    pack_hefei(&data, labels, rate, fold_seed, description, bandpass, &prep)
                }
            }
            .with_context(|| format!("packing {}", data.display()))?;
            ecg_io::pack::write_pack(&out, &built.meta, &built.records, &built.signals)
                .with_context(|| format!("writing {}", out.display()))?;
            tracing::info!(records = built.records.len(), "wrote {}", out.display());
            Ok(())
        }
    }
}

/// `ecg pack hefei`: 500 Hz files resampled to `rate` (when it differs), then `prep`.
fn pack_hefei(
    data: &std::path::Path,
    labels: Option<PathBuf>,
    rate: u32,
    fold_seed: u64,
    preprocessing: String,
    bandpass: Option<ecg_io::pack::Bandpass>,
    prep: &ecg_io::packer::Preprocess,
) -> ecg_io::Result<ecg_io::packer::Built> {
    use ecg_io::hefei::pack::{build_hefei, HefeiOptions};
    let resample = resampler_from_500(rate);
    let opts = HefeiOptions {
        data: data.to_path_buf(),
        labels,
        rate,
        mv_per_unit: ecg_io::hefei::DEFAULT_MV_PER_UNIT,
        fold_seed,
        preprocessing,
        bandpass,
    };
    let resample: &ecg_io::packer::Resample = &resample;
    build_hefei(&opts, (rate != 500).then_some(resample), prep)
}

/// 500 Hz → `rate` for every lead (scipy's resample_poly), for the packers.
fn resampler_from_500(
    rate: u32,
) -> impl Fn(&[f32], usize) -> std::result::Result<(Vec<f32>, usize), String> + Sync {
    move |x: &[f32], samples: usize| {
        ecg_dsp::resample::resample_poly_leads(x, samples, rate as usize, 500)
            .map_err(|e| e.to_string())
    }
}

fn parse_band(s: &str) -> Result<(f64, f64)> {
    let (a, b) = s
        .split_once(':')
        .with_context(|| format!("--bandpass `{s}`: expected LO:HI, e.g. 0.5:40"))?;
    let lo: f64 = a
        .trim()
        .parse()
        .with_context(|| format!("--bandpass `{s}`: `{a}` is not a number"))?;
    let hi: f64 = b
        .trim()
        .parse()
        .with_context(|| format!("--bandpass `{s}`: `{b}` is not a number"))?;
    if !(lo > 0.0 && hi > lo) {
        bail!("--bandpass `{s}`: need 0 < LO < HI");
    }
    Ok((lo, hi))
}

fn inspect_table(h: &Header) -> String {
    let mut s = format!(
        "record {}  signals {}  fs {} Hz  samples {}\n",
        h.record_name,
        h.signals.len(),
        h.fs(),
        h.n_samples.map_or("?".to_string(), |n| n.to_string())
    );
    let rows: Vec<[String; 10]> = h
        .signals
        .iter()
        .enumerate()
        .map(|(i, sig)| {
            [
                i.to_string(),
                sig.name(i),
                sig.file_name.clone(),
                format!(
                    "{}{}",
                    sig.format,
                    sig.byte_offset.map_or(String::new(), |o| format!("+{o}"))
                ),
                sig.gain().to_string(),
                sig.baseline().to_string(),
                sig.units().to_string(),
                sig.resolution().to_string(),
                sig.init_value.map_or("-".into(), |v| v.to_string()),
                sig.checksum.map_or("-".into(), |v| v.to_string()),
            ]
        })
        .collect();
    let head = [
        "#", "lead", "file", "format", "gain", "baseline", "units", "bits", "init", "checksum",
    ];
    let mut w: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (k, c) in r.iter().enumerate() {
            w[k] = w[k].max(c.len());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(k, c)| format!("{c:<width$}", width = w[k]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
            + "\n"
    };
    s.push_str(&line(head.to_vec()));
    for r in &rows {
        s.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    for c in &h.comments {
        s.push_str(&format!("# {c}\n"));
    }
    s
}
