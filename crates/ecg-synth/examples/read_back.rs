//! Read every 100 Hz record of a (synthetic) PTB-XL directory back with ecg-io, checking
//! checksums — the reading half of the pack step, to compare generation time against:
//!
//!     cargo run --release -p ecg-synth --example read_back -- DATASET_DIR RECORDS
use rayon::prelude::*;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(a.get(1).ok_or("usage: read_back DATASET_DIR RECORDS")?);
    let n: u32 = a
        .get(2)
        .ok_or("usage: read_back DATASET_DIR RECORDS")?
        .parse()?;
    let t = std::time::Instant::now();
    let sum: f64 = (1..=n)
        .into_par_iter()
        .map(|id| {
            ecg_io::wfdb::read_record(&dir.join(ecg_synth::record_path(id, 100)))
                .map(|r| r.data.iter().map(|&v| v as f64).sum::<f64>())
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<f64>, String>>()?
        .iter()
        .sum();
    println!(
        "read {n} records in {:.2} s (checksum of values {sum:.3})",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
