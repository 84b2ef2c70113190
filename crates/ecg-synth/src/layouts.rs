//! The same synthetic recordings in the Hefei-Tianchi and CPSC2018 layouts, so those
//! pipelines run end to end where the real data is not at hand.
//!
//! Records are planned and rendered exactly as for the PTB-XL layout ([`DatasetPlan`],
//! 10 s at 500 Hz, noise included); only the files and the labels differ. Labels are the
//! PTB-XL statements the waveform was rendered from, translated by the tables below
//! (a record whose statements have no counterpart in the target vocabulary is not written;
//! the summary counts them):
//!
//! - Hefei-Tianchi (round 2's layout): `hf_round2_label.txt` (tab-separated file, age, sex,
//!   Chinese class names), `hf_round2_arrythmia.txt` (the 34 class names) and
//!   `hf_round2_train/<ecg_id>.txt` (header `I II V1 V2 V3 V4 V5 V6`, 5000 rows of integer
//!   units of 4.88 µV). Complete LBBB is written as 左束支传导阻滞 for even and
//!   完全性左束支传导阻滞 for odd record numbers, as the real files use both names; the
//!   frontal QRS axis the renderer reports gives 电轴左偏 (beyond −30°) / 电轴右偏
//!   (beyond +90°).
//! - CPSC2018 (the original release): `A<ecg_id:04>.mat` (MAT-5, struct `ECG` with `sex`,
//!   `age`, `data` 12 × 5000 double in mV, quantised to 1 µV) and `REFERENCE.csv` (up to
//!   three label numbers 1–9).
use crate::error::{Result, SynthError};
use crate::plan::{DatasetPlan, PlannedRecord, SynthConfig};
use crate::render::render;
use ecg_io::hefei::classes::{by_id, CLASSES as HEFEI_CLASSES};
use ecg_io::mat::write as mat;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use tracing_indicatif::span_ext::IndicatifSpanExt;

/// The rate both layouts are written at.
pub const LAYOUT_RATE: u32 = 500;

/// PTB-XL statement → Hefei-Tianchi class identifier ([`ecg_io::hefei::classes`]).
pub const PTBXL_TO_HEFEI: &[(&str, &str)] = &[
    ("SR", "SR"),
    ("STACH", "STACH"),
    ("SBRAD", "SBRAD"),
    ("SARRH", "SARRH"),
    ("AFIB", "AFIB"),
    ("PAC", "PAC"),
    ("SVARR", "PAC"),
    ("PVC", "PVC"),
    ("BIGU", "PVC"),
    ("TRIGU", "PVC"),
    ("CRBBB", "CRBBB"),
    ("IRBBB", "IRBBB"),
    ("CLBBB", "CLBBB"),
    ("1AVB", "1AVB"),
    ("PACE", "PACE"),
    ("LAFB", "LAFB"),
    ("LVH", "LVHV"),
    ("VCLVH", "LVHV"),
    ("LVOLT", "LQRSV"),
    ("NDT", "TCHG"),
    ("INVT", "TCHG"),
    ("LOWT", "TCHG"),
    ("TAB_", "TCHG"),
    ("NT_", "NST"),
    ("NST_", "NSST"),
    ("STD_", "STCHG"),
    ("STE_", "STCHG"),
    ("ISC_", "STTCHG"),
    ("ISCAL", "STTCHG"),
    ("ISCAS", "STTCHG"),
    ("ISCLA", "STTCHG"),
    ("ISCAN", "STTCHG"),
    ("ISCIN", "STTCHG"),
    ("ISCIL", "STTCHG"),
    ("DIG", "STTCHG"),
    ("RAO/RAE", "RAE"),
    ("IMI", "IQW"),
    ("ILMI", "IQW"),
    ("IPLMI", "IQW"),
    ("IPMI", "IQW"),
    ("ASMI", "PRWP"),
    ("WPW", "SPR"),
];

/// PTB-XL statement → CPSC2018 label number (1 Normal … 9 STE).
pub const PTBXL_TO_CPSC: &[(&str, u8)] = &[
    ("NORM", 1),
    ("AFIB", 2),
    ("1AVB", 3),
    ("CLBBB", 4),
    ("CRBBB", 5),
    ("PAC", 6),
    ("PVC", 7),
    ("BIGU", 7),
    ("TRIGU", 7),
    ("STD_", 8),
    ("STE_", 9),
];

/// What a layout generator wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutSummary {
    /// Records written.
    pub records: usize,
    /// Planned records not written (no statement with a counterpart).
    pub skipped: usize,
    pub out: PathBuf,
}

fn plan_500(config: &SynthConfig) -> Result<DatasetPlan> {
    DatasetPlan::new(&SynthConfig {
        rates: vec![LAYOUT_RATE],
        ..config.clone()
    })
}

fn has(r: &PlannedRecord, code: &str) -> bool {
    r.labels.codes.iter().any(|(c, _)| c == code)
}

/// The Hefei class identifiers of a planned record (file order of the statements).
pub fn hefei_ids(r: &PlannedRecord, heart_axis: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (code, _) in &r.labels.codes {
        for (from, to) in PTBXL_TO_HEFEI {
            if from == code {
                let to: &'static str = if *to == "CLBBB" && r.ecg_id % 2 == 0 {
                    "LBBB"
                } else {
                    to
                };
                if !out.contains(&to) {
                    out.push(to);
                }
            }
        }
    }
    // PTB-XL's categories are the German position types: its `LAD` (Linkstyp, −30…+30°) is
    // a normal axis; left axis deviation (电轴左偏, beyond −30°) is its `ALAD`, right axis
    // deviation (电轴右偏, beyond +90°) its `RAD` and `ARAD`.
    let axis = match heart_axis {
        "ALAD" => Some("LAD"),
        "RAD" | "ARAD" => Some("RAD"),
        _ => None,
    };
    if let Some(a) = axis.filter(|a| !out.contains(a)) {
        out.push(a);
    }
    out
}

/// The CPSC2018 label numbers of a planned record (at most three, statement order).
pub fn cpsc_labels(r: &PlannedRecord) -> Vec<u8> {
    let mut out = Vec::new();
    for (from, to) in PTBXL_TO_CPSC {
        if has(r, from) && !out.contains(to) {
            out.push(*to);
        }
    }
    out.truncate(3);
    out
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| SynthError::io(path, e))
}

/// One Hefei record's text: 8 stored leads in units of [`ecg_io::hefei::DEFAULT_MV_PER_UNIT`].
fn hefei_text(leads: &crate::render::Leads12) -> String {
    let u = ecg_io::hefei::DEFAULT_MV_PER_UNIT;
    let stored = [0usize, 1, 6, 7, 8, 9, 10, 11];
    let n = leads[0].len();
    let mut s = String::with_capacity(n * 40);
    s.push_str("I II V1 V2 V3 V4 V5 V6\n");
    for t in 0..n {
        let row: Vec<String> = stored
            .iter()
            .map(|&l| ((leads[l][t] / u).round() as i64).to_string())
            .collect();
        s.push_str(&row.join(" "));
        s.push('\n');
    }
    s
}

/// Generate a Hefei-Tianchi-layout dataset under `out` (module docs).
pub fn generate_hefei(config: &SynthConfig, out: &Path) -> Result<LayoutSummary> {
    let plan = plan_500(config)?;
    let dir = out.join("hf_round2_train");
    std::fs::create_dir_all(&dir).map_err(|e| SynthError::io(&dir, e))?;
    let span = tracing::info_span!("synth hefei", records = plan.records.len());
    span.pb_set_length(plan.records.len() as u64);
    let rows: Vec<Option<String>> = plan
        .records
        .par_iter()
        .map(|r| {
            let (spec, cols) = plan.record_spec(r);
            let ids = hefei_ids(r, &cols.heart_axis);
            span.pb_inc(1);
            if ids.is_empty() {
                return Ok(None);
            }
            let leads = render(&spec, LAYOUT_RATE, true);
            let file = format!("{}.txt", r.ecg_id);
            write_file(&dir.join(&file), hefei_text(&leads).as_bytes())?;
            let names: Vec<&str> = ids
                .iter()
                .filter_map(|id| by_id(id).map(|c| c.zh))
                .collect();
            let sex = if r.sex == 1 { "FEMALE" } else { "MALE" };
            Ok(Some(format!(
                "{file}\t{}\t{sex}\t{}",
                r.age.round() as i64,
                names.join("\t")
            )))
        })
        .collect::<Result<_>>()?;
    let written: Vec<&String> = rows.iter().flatten().collect();
    let mut label = String::new();
    for row in &written {
        label.push_str(row);
        label.push('\n');
    }
    write_file(&out.join("hf_round2_label.txt"), label.as_bytes())?;
    let classes: String = HEFEI_CLASSES
        .iter()
        .filter(|c| c.round2)
        .map(|c| format!("{}\n", c.zh))
        .collect();
    write_file(&out.join("hf_round2_arrythmia.txt"), classes.as_bytes())?;
    Ok(LayoutSummary {
        records: written.len(),
        skipped: rows.len() - written.len(),
        out: out.to_path_buf(),
    })
}

/// Generate a CPSC2018-layout dataset (original MAT-5 release) under `out` (module docs).
pub fn generate_cpsc2018(config: &SynthConfig, out: &Path) -> Result<LayoutSummary> {
    let plan = plan_500(config)?;
    std::fs::create_dir_all(out).map_err(|e| SynthError::io(out, e))?;
    let span = tracing::info_span!("synth cpsc2018", records = plan.records.len());
    span.pb_set_length(plan.records.len() as u64);
    let rows: Vec<Option<String>> = plan
        .records
        .par_iter()
        .map(|r| {
            let labels = cpsc_labels(r);
            span.pb_inc(1);
            if labels.is_empty() {
                return Ok(None);
            }
            let (spec, _) = plan.record_spec(r);
            let leads = render(&spec, LAYOUT_RATE, true);
            let n = leads[0].len();
            // 12 × N column-major: element (lead, t) at lead + 12 t; quantised to 1 µV.
            let mut data = vec![0f64; 12 * n];
            for (l, lead) in leads.iter().enumerate() {
                for (t, v) in lead.iter().enumerate() {
                    data[l + 12 * t] = (v * 1000.0).round() / 1000.0;
                }
            }
            let name = format!("A{:04}", r.ecg_id);
            let ecg = mat::struct_1x1(
                "ECG",
                vec![
                    mat::char_row("sex", if r.sex == 1 { "Female" } else { "Male" }),
                    mat::double("age", vec![1, 1], vec![r.age.round()]),
                    mat::double("data", vec![12, n], data),
                ],
            );
            let path = out.join(format!("{name}.mat"));
            mat::write(&path, &[ecg]).map_err(|source| SynthError::Write {
                path: path.clone(),
                source,
            })?;
            let cells: Vec<String> = (0..3)
                .map(|i| labels.get(i).map_or(String::new(), |l| l.to_string()))
                .collect();
            Ok(Some(format!("{name},{}", cells.join(","))))
        })
        .collect::<Result<_>>()?;
    let written: Vec<&String> = rows.iter().flatten().collect();
    let mut reference = String::from("Recording,First_label,Second_label,Third_label\n");
    for row in &written {
        reference.push_str(row);
        reference.push('\n');
    }
    write_file(&out.join("REFERENCE.csv"), reference.as_bytes())?;
    Ok(LayoutSummary {
        records: written.len(),
        skipped: rows.len() - written.len(),
        out: out.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_of_the_tables_exists() {
        for (from, to) in PTBXL_TO_HEFEI {
            assert!(by_id(to).is_some_and(|c| c.round2), "{from} -> {to}");
        }
        assert!(PTBXL_TO_CPSC.iter().all(|(_, l)| (1..=9).contains(l)));
    }
}
