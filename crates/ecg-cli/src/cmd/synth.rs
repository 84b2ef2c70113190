//! `ecg synth`: synthetic datasets (ecg-synth).
use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Generate synthetic datasets with known labels.
    Synth {
        #[command(subcommand)]
        what: SynthCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum SynthCmd {
    /// A dataset in PTB-XL's exact layout: ptbxl_database.csv (28 columns),
    /// scp_statements.csv, records100/ and/or records500/ (WFDB format 16, 12 leads, 10 s).
    /// Deterministic for a seed; existing files of the same names are overwritten.
    Ptbxl {
        /// Number of records (PTB-XL 1.0.1 has 21837).
        #[arg(long)]
        records: usize,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Seed: the same seed gives byte-identical files.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Sampling rates to write, comma-separated (100 and/or 500).
        #[arg(long, value_delimiter = ',', default_values_t = [100u32, 500])]
        rates: Vec<u32>,
        /// Benchmark difficulty: easy (the original generator), medium, hard, or a level
        /// d in 0..=10 (statement effects × 1/(1+d), noise × (1+2d), between-patient
        /// spread × (1+d/2)). See docs/benchmark.md.
        #[arg(long, default_value = "easy", value_parser = parse_difficulty)]
        difficulty: ecg_synth::Difficulty,
    },
    /// The same synthetic recordings in the Hefei-Tianchi layout (round 2): label file,
    /// class list, hf_round2_train/<id>.txt (8 stored leads, 500 Hz, 4.88 µV units).
    Hefei(LayoutArgs),
    /// The same synthetic recordings in CPSC2018's original layout: A<id>.mat (MAT-5,
    /// struct ECG with sex, age, data 12 × 5000 mV) and REFERENCE.csv.
    Cpsc2018(LayoutArgs),
    /// A stand-in for the PhysioNet/CinC Challenge 2021 training set in its layout:
    /// training/<source>/g1/<name>.hea + .mat (WFDB format 16 with a 24-byte MATLAB v4
    /// header, `16+24`), six sources at 257, 500 and 1000 Hz, #Age/#Sex/#Dx comments with
    /// SNOMED-CT codes of the scored classes. Deterministic for a seed.
    Cinc2021 {
        /// Number of records (spread round-robin over the six sources).
        #[arg(long)]
        records: usize,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Seed: the same seed gives byte-identical files.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

#[derive(clap::Args, Debug)]
pub struct LayoutArgs {
    /// Records to plan (those whose statements have no counterpart are not written).
    #[arg(long)]
    records: usize,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Benchmark difficulty (as `ecg synth ptbxl --difficulty`).
    #[arg(long, default_value = "easy", value_parser = parse_difficulty)]
    difficulty: ecg_synth::Difficulty,
}

fn parse_difficulty(s: &str) -> std::result::Result<ecg_synth::Difficulty, String> {
    ecg_synth::Difficulty::parse(s).map_err(|e| e.to_string())
}

fn layout(a: LayoutArgs, name: &str) -> Result<()> {
    let cfg = ecg_synth::SynthConfig {
        records: a.records,
        seed: a.seed,
        rates: vec![ecg_synth::layouts::LAYOUT_RATE],
        difficulty: a.difficulty,
    };
    let s = match name {
        "hefei" => ecg_synth::generate_hefei(&cfg, &a.out),
        _ => ecg_synth::generate_cpsc2018(&cfg, &a.out),
    }
    .with_context(|| {
        format!(
            "generating a synthetic {name} dataset in {}",
            a.out.display()
        )
    })?;
    println!(
        "{} records in the {name} layout ({} planned records had no {name} label) -> {}",
        s.records,
        s.skipped,
        a.out.display()
    );
    Ok(())
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Synth {
            what: SynthCmd::Hefei(a),
        } => layout(a, "hefei"),
        Cmd::Synth {
            what: SynthCmd::Cpsc2018(a),
        } => layout(a, "cpsc2018"),
        Cmd::Synth {
            what: SynthCmd::Cinc2021 { records, out, seed },
        } => {
            let recs = ecg_synth::generate_cinc2021(&ecg_synth::CincConfig { records, seed }, &out)
                .with_context(|| {
                    format!(
                        "generating a synthetic CinC 2021 dataset in {}",
                        out.display()
                    )
                })?;
            println!(
                "{} records in the PhysioNet/CinC Challenge 2021 layout (seed {seed}) -> {}",
                recs.len(),
                out.display()
            );
            Ok(())
        }
        Cmd::Synth {
            what:
                SynthCmd::Ptbxl {
                    records,
                    out,
                    seed,
                    rates,
                    difficulty,
                },
        } => {
            let cfg = ecg_synth::SynthConfig {
                records,
                seed,
                rates,
                difficulty,
            };
            let t = std::time::Instant::now();
            let s = ecg_synth::generate_ptbxl(&cfg, &out).with_context(|| {
                format!("generating a synthetic PTB-XL dataset in {}", out.display())
            })?;
            tracing::info!(
                records = s.records,
                patients = s.patients,
                seconds = t.elapsed().as_secs_f64(),
                "synthetic PTB-XL written to {}",
                out.display()
            );
            println!(
                "{} records of {} patients at {:?} Hz (seed {seed}) -> {}",
                s.records,
                s.patients,
                s.rates,
                out.display()
            );
            Ok(())
        }
    }
}
