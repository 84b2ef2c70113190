//! Plot generated records per diagnostic class next to real PTB-XL sample records of the
//! same class (lead II and V1, first 5 s at 500 Hz), one SVG per class:
//!
//!     cargo run -p ecg-synth --example plot_classes -- [OUT_DIR] [PTBXL_SAMPLE_DIR]
//!
//! defaults: `docs/img` and `../shared/data/ptbxl-sample` (from the repository root).
//! Synthetic records: seed 1, the first three whose only superclass is the class (AFIB:
//! records stating AFIB). Real records: the first two of the sample likewise.
use ecg_synth::tables::{parse_scp_codes, split_csv_line, SampleFit};
use ecg_synth::{render, DatasetPlan, SynthConfig};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const SECONDS: f64 = 5.0;
const RATE: u32 = 500;

type Trace = (String, Vec<f64>, Vec<f64>); // title, lead II, lead V1

fn matches(class: &str, codes: &[(String, f64)], fit: &SampleFit) -> bool {
    if class == "AFIB" {
        codes.iter().any(|(c, _)| c == "AFIB")
    } else {
        fit.superclasses(codes) == vec![class.to_string()]
    }
}

fn real_traces(
    dir: &Path,
    class: &str,
    fit: &SampleFit,
    k: usize,
) -> Result<Vec<Trace>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(dir.join("ptbxl_database.csv"))?;
    let mut lines = text.lines();
    let head = split_csv_line(lines.next().unwrap_or(""));
    let col = |n: &str| {
        head.iter()
            .position(|h| h == n)
            .ok_or(format!("no column {n}"))
    };
    let (ci, fi, ei) = (col("scp_codes")?, col("filename_hr")?, col("ecg_id")?);
    let mut out = Vec::new();
    for line in lines {
        let f = split_csv_line(line);
        let codes = parse_scp_codes(&f[ci])?;
        if matches(class, &codes, fit) {
            let rec = ecg_io::wfdb::read_record(&dir.join(&f[fi]))?;
            let n = (SECONDS * RATE as f64) as usize;
            let lead = |i: usize| rec.lead(i)[..n].iter().map(|&v| v as f64).collect();
            out.push((format!("real PTB-XL {} {}", f[ei], f[ci]), lead(1), lead(6)));
            if out.len() == k {
                break;
            }
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(args.get(1).map(String::as_str).unwrap_or("docs/img"));
    let real = PathBuf::from(
        args.get(2)
            .map(String::as_str)
            .unwrap_or("../shared/data/ptbxl-sample"),
    );
    std::fs::create_dir_all(&out)?;
    let plan = DatasetPlan::new(&SynthConfig {
        records: 3000,
        seed: 1,
        rates: vec![RATE],
        difficulty: ecg_synth::Difficulty::EASY,
    })?;
    for class in ["NORM", "MI", "STTC", "CD", "HYP", "AFIB"] {
        let mut traces: Vec<Trace> = Vec::new();
        for r in plan
            .records
            .iter()
            .filter(|r| matches(class, &r.labels.codes, &plan.fit))
            .take(3)
        {
            let (spec, _) = plan.record_spec(r);
            let leads = render(&spec, RATE, true);
            let n = (SECONDS * RATE as f64) as usize;
            let strengths: Vec<String> = spec
                .heart
                .strengths
                .iter()
                .map(|(c, s)| format!("{c} s={s:.2}"))
                .collect();
            traces.push((
                format!("synthetic {} [{}]", r.ecg_id, strengths.join(", ")),
                leads[1][..n].to_vec(),
                leads[6][..n].to_vec(),
            ));
        }
        if real.join("ptbxl_database.csv").exists() {
            traces.extend(real_traces(&real, class, &plan.fit, 2)?);
        } else {
            eprintln!(
                "!!! real PTB-XL sample not found at {}: plotting synthetic records only",
                real.display()
            );
        }
        let path = out.join(format!("synth_{}.svg", class.to_lowercase()));
        let h = 150 * traces.len() as u32 + 40;
        let root = SVGBackend::new(&path, (1400, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let (title, body) = root.split_vertically(40);
        title.titled(&format!("{class}: synthetic (ecg-synth seed 1) vs real PTB-XL sample — lead II (left), V1 (right), 5 s at 500 Hz"), ("sans-serif", 18))?;
        let rows = body.split_evenly((traces.len(), 2));
        for (i, (name, ii, v1)) in traces.iter().enumerate() {
            for (j, (lead, sig)) in [("II", ii), ("V1", v1)].into_iter().enumerate() {
                let area = &rows[i * 2 + j];
                let (lo, hi) = sig
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
                let pad = 0.1 * (hi - lo).max(0.5);
                let caption = if j == 0 {
                    format!("{name} — {lead}")
                } else {
                    lead.to_string()
                };
                let mut chart = ChartBuilder::on(area)
                    .caption(caption, ("sans-serif", 12))
                    .margin(4)
                    .x_label_area_size(18)
                    .y_label_area_size(40)
                    .build_cartesian_2d(0.0..SECONDS, (lo - pad)..(hi + pad))?;
                chart
                    .configure_mesh()
                    .x_labels(6)
                    .y_labels(4)
                    .y_desc("mV")
                    .label_style(("sans-serif", 10))
                    .draw()?;
                let color = if name.starts_with("real") {
                    &BLACK
                } else {
                    &BLUE
                };
                chart.draw_series(LineSeries::new(
                    sig.iter()
                        .enumerate()
                        .map(|(k, &v)| (k as f64 / RATE as f64, v)),
                    color,
                ))?;
            }
        }
        root.present()?;
        println!("{}", path.display());
    }
    Ok(())
}
