//! Writing a whole synthetic dataset to disk, records in parallel.
use crate::database;
use crate::error::{Result, SynthError};
use crate::morphology::LEAD_NAMES;
use crate::plan::{record_path, DatasetPlan, HeartColumns, SynthConfig};
use crate::render::{quantise, render, DURATION_S, GAIN};
use crate::tables::SCP_STATEMENTS_CSV;
use ecg_io::wfdb::{write_record, Format, Header, SignalSpec};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use tracing_indicatif::span_ext::IndicatifSpanExt;

/// What [`generate_ptbxl`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    pub records: usize,
    pub patients: usize,
    pub rates: Vec<u32>,
    pub out: PathBuf,
}

/// The PTB-XL header of one record (format 16, gain 1000/mV, baseline 0, 16-bit ADC,
/// lead names as descriptions); `write_record` fills `init_value` and `checksum`.
pub fn record_header(ecg_id: u32, rate: u32) -> Header {
    let name = record_path(ecg_id, rate)
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let signals = LEAD_NAMES
        .iter()
        .map(|lead| {
            let mut s = SignalSpec::new(format!("{name}.dat"), Format::F16);
            s.adc_gain = Some(GAIN);
            s.baseline = Some(0);
            s.units = Some("mV".into());
            s.adc_res = Some(16);
            s.adc_zero = Some(0);
            s.block_size = Some(0);
            s.description = Some(lead.to_string());
            s
        })
        .collect();
    Header {
        record_name: name,
        fs: Some(rate as f64),
        counter_freq: None,
        base_counter: None,
        n_samples: Some((DURATION_S * rate as f64).round() as u64),
        base_time: None,
        base_date: None,
        signals,
        comments: Vec::new(),
    }
}

fn mkdir(p: &Path) -> Result<()> {
    std::fs::create_dir_all(p).map_err(|e| SynthError::io(p, e))
}

/// Generate a dataset in PTB-XL's layout under `out`: `ptbxl_database.csv`,
/// `scp_statements.csv`, `records100/` and/or `records500/` (WFDB format 16). Records are
/// rendered and written in parallel (rayon); the output is identical for any thread count.
pub fn generate_ptbxl(config: &SynthConfig, out: &Path) -> Result<GenerateSummary> {
    let plan = DatasetPlan::new(config)?;
    mkdir(out)?;
    for &rate in &config.rates {
        let mut dirs: Vec<u32> = plan
            .records
            .iter()
            .map(|r| r.ecg_id / 1000 * 1000)
            .collect();
        dirs.dedup();
        for d in dirs {
            let dir = format!("records{rate}/{d:05}");
            mkdir(&out.join(dir))?;
        }
    }
    let span = tracing::info_span!("synth", records = plan.records.len());
    span.pb_set_length(plan.records.len() as u64);
    let heart: Vec<HeartColumns> = plan
        .records
        .par_iter()
        .map(|r| {
            let (spec, cols) = plan.record_spec(r);
            for &rate in &config.rates {
                let adc = quantise(&render(&spec, rate, true));
                let path = out.join(record_path(r.ecg_id, rate));
                write_record(&path, &record_header(r.ecg_id, rate), &adc).map_err(|source| {
                    SynthError::Wfdb {
                        ecg_id: r.ecg_id,
                        rate,
                        source,
                    }
                })?;
            }
            span.pb_inc(1);
            Ok(cols)
        })
        .collect::<Result<_>>()?;
    let db = out.join("ptbxl_database.csv");
    std::fs::write(&db, database::table(&plan.records, &heart))
        .map_err(|e| SynthError::io(&db, e))?;
    let st = out.join("scp_statements.csv");
    std::fs::write(&st, SCP_STATEMENTS_CSV).map_err(|e| SynthError::io(&st, e))?;
    Ok(GenerateSummary {
        records: plan.records.len(),
        patients: plan.patients,
        rates: config.rates.clone(),
        out: out.to_path_buf(),
    })
}
