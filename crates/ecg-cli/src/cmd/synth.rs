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
    },
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Synth {
            what:
                SynthCmd::Ptbxl {
                    records,
                    out,
                    seed,
                    rates,
                },
        } => {
            let cfg = ecg_synth::SynthConfig {
                records,
                seed,
                rates,
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
