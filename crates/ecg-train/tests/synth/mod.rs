//! Packs a synthetic PTB-XL (ecg-synth plan + renderer, 100 Hz, mV, no filtering) with
//! the official statement table, straight into the pack format.
#![allow(dead_code)]
use ecg_io::pack::{PackMeta, PackedRecord};
use ecg_io::ptbxl::ScpStatement;
use ecg_synth::{render, tables, DatasetPlan, SynthConfig, LEAD_NAMES};
use std::path::{Path, PathBuf};

pub fn statements() -> Vec<ScpStatement> {
    let mut lines = tables::SCP_STATEMENTS_CSV.lines();
    let header = tables::split_csv_line(lines.next().expect("header"));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (d, f, r, c, s) = (
        col("diagnostic"),
        col("form"),
        col("rhythm"),
        col("diagnostic_class"),
        col("diagnostic_subclass"),
    );
    let opt = |v: &String| (!v.is_empty()).then(|| v.clone());
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v = tables::split_csv_line(l);
            ScpStatement {
                code: v[0].clone(),
                description: v[1].clone(),
                diagnostic: v[d] == "1.0",
                form: v[f] == "1.0",
                rhythm: v[r] == "1.0",
                diagnostic_class: opt(&v[c]),
                diagnostic_subclass: opt(&v[s]),
            }
        })
        .collect()
}

pub fn synth_pack(dir: &Path, n: usize, seed: u64) -> PathBuf {
    let plan = DatasetPlan::new(&SynthConfig {
        records: n,
        seed,
        rates: vec![100],
        difficulty: ecg_synth::Difficulty::EASY,
    })
    .expect("plan");
    let mut records = Vec::with_capacity(n);
    let mut signals = Vec::new();
    let mut samples = 0;
    for r in &plan.records {
        let (spec, _) = plan.record_spec(r);
        let leads = render(&spec, 100, true);
        samples = leads[0].len();
        for l in leads.iter() {
            signals.extend(l.iter().map(|&v| v as f32));
        }
        records.push(PackedRecord {
            id: r.ecg_id.to_string(),
            ecg_id: Some(r.ecg_id),
            patient_id: Some(r.patient_id),
            fold: r.strat_fold,
            codes: r.labels.codes.clone(),
            codes_raw: r.labels.raw.clone(),
            age: None,
            sex: None,
        });
    }
    let meta = PackMeta {
        dataset: "synthetic-ptbxl".into(),
        version: "1.0.1".into(),
        rate: 100,
        leads: LEAD_NAMES.iter().map(|s| s.to_string()).collect(),
        samples,
        preprocessing: "none (rendered in mV)".into(),
        bandpass: None,
        source: format!("ecg-synth seed {seed}"),
        statements: statements(),
    };
    let path = dir.join("synth.pack.safetensors");
    ecg_io::pack::write_pack(&path, &meta, &records, &signals).expect("write pack");
    path
}
