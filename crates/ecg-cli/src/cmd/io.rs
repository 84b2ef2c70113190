//! `ecg read`, `ecg inspect`, `ecg pack`: WFDB records to .npy, header tables, and packed
//! datasets (thin over ecg-io and ecg-dsp).
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use ecg_io::packer::{pack_cpsc2018, pack_ptbxl, CpscOptions, Prep, PtbxlOptions};
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
    /// per-record and dataset metadata), streaming: memory stays bounded whatever the
    /// dataset size, and the file appears only once complete.
    Pack {
        dataset: PackDataset,
        /// Dataset directory (ptbxl, cpsc2018, hefei).
        #[arg(long, required_unless_present = "manifest")]
        data: Option<PathBuf>,
        /// manifest: the CSV listing the records (columns `record` = path without
        /// extension relative to the CSV, `labels` = class names separated by `;`,
        /// optional `fold` 1..=10 and `patient`).
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// manifest: the pack's leads, comma-separated, matched by name in each record
        /// (aVR = AVR); default the 12 standard leads.
        #[arg(long, value_delimiter = ',')]
        leads: Option<Vec<String>>,
        /// manifest: the allowed class names, comma-separated (any other label is an
        /// error); default the manifest's own names.
        #[arg(long, value_delimiter = ',')]
        classes: Option<Vec<String>>,
        /// Seed of the stratified fold assignment: cpsc2018, hefei, cinc2021 (record-wise; no
        /// patient ids), manifest when it gives no folds.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// hefei: the label file (default: the one hf_round*_label.txt in --data).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// The pack's sampling rate in Hz; records at another rate are resampled
        /// (scipy resample_poly).
        #[arg(long, default_value_t = 100)]
        rate: u32,
        /// PTB-XL: which files to read, 100 (records100) or 500 (records500); default:
        /// the files at --rate if there are such, else records500.
        #[arg(long)]
        source_rate: Option<u32>,
        /// Zero-phase Butterworth band-pass `LO:HI` in Hz (e.g. 0.5:40).
        #[arg(long)]
        bandpass: Option<String>,
        /// Butterworth order of the band-pass.
        #[arg(long, default_value_t = 3)]
        order: usize,
        /// cpsc2018, manifest, cinc2021: samples per record at --rate (crop or zero-pad);
        /// manifest and cinc2021 default: 10 s.
        #[arg(long)]
        length: Option<usize>,
        /// PTB-XL release, stored in the metadata (default: from the directory name).
        #[arg(long)]
        version: Option<String>,
        /// Output file (.safetensors).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum PackDataset {
    Ptbxl,
    Cpsc2018,
    /// Hefei-Tianchi (2019 Hefei Hi-tech Cup): label file + text records.
    Hefei,
    /// A user's own WFDB records listed in a CSV (--manifest).
    Manifest,
    /// The PhysioNet/CinC Challenge 2020/2021 layout (`.hea` + `.mat`, `#Dx` SNOMED-CT codes;
    /// any subset of its sources, folders searched recursively; --rate is the pack's rate).
    Cinc2021,
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
            manifest,
            leads,
            classes,
            seed,
            labels,
            rate,
            source_rate,
            bandpass,
            order,
            length,
            version,
            out,
        } => {
            let band = bandpass.as_deref().map(parse_band).transpose()?;
            let bandpass = band.map(|(low_hz, high_hz)| ecg_io::pack::Bandpass {
                low_hz,
                high_hz,
                order,
            });
            let prep = Prep::new(rate, bandpass).context("preprocessing")?;
            let source = data.clone().or(manifest.clone()).unwrap_or_default();
            let need_data = || {
                data.clone()
                    .with_context(|| format!("ecg pack {dataset:?} needs --data DIR"))
            };
            let n = match dataset {
                PackDataset::Manifest => {
                    let Some(manifest) = manifest else {
                        bail!("ecg pack manifest needs --manifest FILE.csv")
                    };
                    ecg_io::manifest::pack_manifest(
                        &ecg_io::manifest::ManifestOptions {
                            manifest,
                            leads: leads.unwrap_or_else(|| {
                                ecg_io::leads::LEADS_12.map(String::from).to_vec()
                            }),
                            length: length.unwrap_or(rate as usize * 10),
                            classes,
                            seed,
                        },
                        &prep,
                        &out,
                    )
                }
                PackDataset::Cinc2021 => {
                    let n = pack_cinc2021(
                        &need_data()?,
                        length.unwrap_or(rate as usize * 10),
                        seed,
                        &prep,
                        &out,
                    )
                    .with_context(|| {
                        format!("packing {} into {}", source.display(), out.display())
                    })?;
                    tracing::info!(records = n, "wrote {}", out.display());
                    return Ok(());
                }
                PackDataset::Ptbxl => pack_ptbxl(
                    &PtbxlOptions {
                        data: need_data()?,
                        source_rate: source_rate.unwrap_or(if rate == 100 { 100 } else { 500 }),
                        version,
                    },
                    &prep,
                    &out,
                ),
                PackDataset::Cpsc2018 => {
                    let Some(length) = length else {
                        bail!("ecg pack cpsc2018 needs --length N (samples per record)")
                    };
                    pack_cpsc2018(
                        &CpscOptions {
                            data: need_data()?,
                            length,
                            fold_seed: seed,
                        },
                        &prep,
                        &out,
                    )
                }
                PackDataset::Hefei => ecg_io::hefei::pack::pack_hefei(
                    &ecg_io::hefei::pack::HefeiOptions {
                        data: need_data()?,
                        labels,
                        mv_per_unit: ecg_io::hefei::DEFAULT_MV_PER_UNIT,
                        fold_seed: seed,
                    },
                    &prep,
                    &out,
                ),
            }
            .with_context(|| format!("packing {} into {}", source.display(), out.display()))?;
            tracing::info!(records = n, "wrote {}", out.display());
            Ok(())
        }
    }
}

/// `ecg pack cinc2021`: headers (ecg-io), labels and folds (ecg-labels), then the streaming
/// packer; returns the number of records.
fn pack_cinc2021(
    data: &std::path::Path,
    length: usize,
    seed: u64,
    prep: &Prep,
    out: &std::path::Path,
) -> Result<usize> {
    let headers = ecg_io::cinc2021::scan(data)
        .with_context(|| format!("reading the headers under {}", data.display()))?;
    let (records, labels_and_folds) = ecg_labels::cinc2021::packed_records(&headers, seed)
        .context("labels and folds of the CinC records")?;
    let opts = ecg_io::cinc2021::PackOptions {
        data: data.to_path_buf(),
        length,
        labels_and_folds,
    };
    let n = ecg_io::cinc2021::pack(&headers, &records, &opts, prep, out)?;
    let labelled = records.iter().filter(|r| !r.codes.is_empty()).count();
    tracing::info!(
        records = n,
        with_scored_class = labelled,
        "CinC 2021 records packed"
    );
    Ok(n)
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
