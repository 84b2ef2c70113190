//! `ecg fetch`: download datasets with checksum verification and resume
//! (thin over `ecg_io::fetch`).
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use ecg_io::fetch::{fetch_ptbxl, FetchOptions, PTBXL_BASE_URL};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Download a dataset: SHA256SUMS.txt first, then every file verified against it;
    /// interrupted downloads resume (HTTP Range on `.part` files), verified files are skipped.
    #[command(subcommand)]
    Fetch(Dataset),
}

#[derive(Subcommand, Debug)]
pub enum Dataset {
    /// PTB-XL 1.0.3 from PhysioNet: the two tables and the records of the rates asked for.
    Ptbxl(PtbxlArgs),
}

#[derive(Args, Debug)]
pub struct PtbxlArgs {
    /// Destination directory (the dataset's layout is kept below it).
    #[arg(long)]
    pub out: PathBuf,
    /// Sampling rates whose records to fetch: 100 (records100/*_lr), 500 (records500/*_hr).
    #[arg(long, value_delimiter = ',', default_value = "100")]
    pub rates: Vec<u32>,
    /// Base URL of the dataset (a mirror, or a local server).
    #[arg(long, default_value = PTBXL_BASE_URL)]
    pub base_url: String,
    /// Parallel downloads.
    #[arg(long, default_value_t = 4)]
    pub threads: usize,
    /// Attempts per file (each after the first resumes where the last stopped).
    #[arg(long, default_value_t = 5)]
    pub attempts: u32,
    /// Connect / read timeout in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Fetch(Dataset::Ptbxl(a)) => {
            let opts = FetchOptions {
                base_url: a.base_url.clone(),
                out: a.out.clone(),
                rates: a.rates.clone(),
                threads: a.threads,
                attempts: a.attempts,
                timeout: Duration::from_secs(a.timeout),
            };
            let report = fetch_ptbxl(&opts).with_context(|| {
                format!(
                    "fetching PTB-XL from {} into {}",
                    a.base_url,
                    a.out.display()
                )
            })?;
            println!(
                "{}: {} files verified against SHA256SUMS.txt ({} downloaded, {} already present, {} resumed, {} bytes)",
                a.out.display(),
                report.files,
                report.downloaded.len(),
                report.skipped,
                report.resumed,
                report.bytes
            );
            Ok(())
        }
    }
}
