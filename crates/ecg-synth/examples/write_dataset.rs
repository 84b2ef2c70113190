//! Write a synthetic PTB-XL dataset without the `ecg` binary (no libtorch needed):
//!
//!     cargo run -p ecg-synth --example write_dataset -- OUT_DIR RECORDS SEED [RATES]
//!
//! `RATES` is comma-separated (default `100,500`). Used by `scripts/golden/synth_wfdb.py`.
use ecg_synth::{generate_ptbxl, SynthConfig};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        return Err("usage: write_dataset OUT_DIR RECORDS SEED [RATES]".into());
    }
    let rates = a
        .get(4)
        .map(String::as_str)
        .unwrap_or("100,500")
        .split(',')
        .map(|r| r.trim().parse::<u32>())
        .collect::<Result<Vec<_>, _>>()?;
    let cfg = SynthConfig {
        records: a[2].parse()?,
        seed: a[3].parse()?,
        rates,
        difficulty: ecg_synth::Difficulty::EASY,
    };
    let s = generate_ptbxl(&cfg, &PathBuf::from(&a[1]))?;
    println!(
        "{} records of {} patients at {:?} Hz -> {}",
        s.records,
        s.patients,
        s.rates,
        s.out.display()
    );
    Ok(())
}
