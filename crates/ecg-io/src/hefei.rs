//! Hefei-Tianchi: the 2019 "Hefei Hi-tech Cup" ECG challenge (Tianchi).
//!
//! Records are text files: a header line `I II V1 V2 V3 V4 V5 V6` (space separated), then
//! one row per sample (5000 rows = 10 s at 500 Hz) of 8 space-separated integers. The four
//! limb leads not stored are derived (Einthoven/Goldberger, exact for ideal leads):
//! III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2, giving 12 leads in
//! the standard order I, II, III, aVR, aVL, aVF, V1–V6.
//!
//! Unit: the challenge's files hold ADC units. The challenge material (and the papers and
//! write-ups using the data) document the resolution as 4.88 µV per unit, so the default
//! [`DEFAULT_MV_PER_UNIT`] is 0.00488 mV; it is a parameter ([`ReadOptions`]) because the
//! organisers never published a calibration file with the data.
//!
//! Labels come from the challenge's label file: tab-separated `file, age, sex, label…`
//! (age and sex may be empty; label names are the challenge's, in Chinese in the original
//! release, kept verbatim here). [`classes`] maps them to stable English identifiers (the
//! one table of the mapping, with its source); [`class_ids`] refuses a name outside it,
//! naming the file and line. [`pack`] builds a packed dataset (record-wise stratified folds).
//!
//! Errors (all naming the file and line): a header that is not the 8 lead names, a row
//! without exactly 8 columns, a value that is not an integer, fewer or more rows than
//! expected, and in the label file a malformed row, a duplicate file, an empty label set,
//! or (in [`load_dataset`]) a listed record whose file is missing.
use crate::error::{IoError, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub mod classes;
pub mod pack;

/// Leads stored in the files, in column order.
pub const FILE_LEADS: [&str; 8] = ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"];

/// Leads of a [`HefeiRecord`], in row order.
pub const LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Documented resolution of the challenge data: 4.88 µV per unit.
pub const DEFAULT_MV_PER_UNIT: f64 = 0.00488;

/// Sampling rate (Hz).
pub const FS: f64 = 500.0;

/// Rows per record in the challenge data (10 s at 500 Hz).
pub const SAMPLES: usize = 5000;

/// How to read records.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// Millivolts per stored unit.
    pub mv_per_unit: f64,
    /// Rows every record must have (`None`: any positive number).
    pub expected_samples: Option<usize>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            mv_per_unit: DEFAULT_MV_PER_UNIT,
            expected_samples: Some(SAMPLES),
        }
    }
}

/// One record: 12 leads in mV.
#[derive(Debug, Clone, PartialEq)]
pub struct HefeiRecord {
    /// File name as in the label file (e.g. `1.txt`).
    pub name: String,
    /// `[12 * samples]`, lead-major: `data[lead * samples + t]`, leads as [`LEADS`].
    pub data: Vec<f32>,
    pub samples: usize,
}

impl HefeiRecord {
    /// One lead's samples.
    pub fn lead(&self, lead: usize) -> &[f32] {
        &self.data[lead * self.samples..(lead + 1) * self.samples]
    }
}

/// One row of the label file.
#[derive(Debug, Clone, PartialEq)]
pub struct HefeiLabels {
    pub file: String,
    pub age: Option<f64>,
    /// As written (`MALE` / `FEMALE` in the challenge data); `None` when empty.
    pub sex: Option<String>,
    /// Label names in file order, duplicates removed.
    pub labels: Vec<String>,
    /// 1-based line of the row in the label file.
    pub line: usize,
}

/// The stable English identifiers ([`classes::CLASSES`]) of a row's labels, in file order.
/// A name outside the table is an error naming the label file, the line and the name.
pub fn class_ids(row: &HefeiLabels, label_file: &Path) -> Result<Vec<&'static str>> {
    row.labels
        .iter()
        .map(|zh| {
            classes::by_zh(zh).map(|c| c.id).ok_or_else(|| {
                IoError::parse(
                    label_file,
                    row.line,
                    "labels",
                    format!(
                        "`{}`: unknown class `{zh}` (not one of the challenge's {} classes, \
                         ecg_io::hefei::classes::CLASSES)",
                        row.file,
                        classes::CLASSES.len()
                    ),
                )
            })
        })
        .collect()
}

/// A record with its label-file row.
#[derive(Debug, Clone, PartialEq)]
pub struct HefeiExample {
    pub record: HefeiRecord,
    pub meta: HefeiLabels,
}

/// Read one record file.
pub fn read_record(path: &Path, opts: &ReadOptions) -> Result<HefeiRecord> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(path, e))?;
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_record(&text, &name, path, opts)
}

/// Parse a record's text; `path` names it in errors.
pub fn parse_record(
    text: &str,
    name: &str,
    path: &Path,
    opts: &ReadOptions,
) -> Result<HefeiRecord> {
    if !(opts.mv_per_unit.is_finite() && opts.mv_per_unit > 0.0) {
        return Err(IoError::invalid(
            path,
            "mv_per_unit",
            format!("{} is not a positive unit", opts.mv_per_unit),
        ));
    }
    let mut lines = text.lines().enumerate();
    let header = lines
        .next()
        .map(|(_, l)| l.trim_start_matches('\u{feff}').trim())
        .ok_or_else(|| IoError::parse(path, 1, "header", "empty file"))?;
    let cols: Vec<&str> = header.split_whitespace().collect();
    if cols != FILE_LEADS {
        return Err(IoError::parse(
            path,
            1,
            "header",
            format!("expected `{}`, found `{header}`", FILE_LEADS.join(" ")),
        ));
    }
    // Stored columns, time-major while parsing.
    let mut raw: Vec<[i32; 8]> = Vec::with_capacity(opts.expected_samples.unwrap_or(SAMPLES));
    for (i, line) in lines {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut row = [0i32; 8];
        let mut n = 0;
        for cell in line.split_whitespace() {
            if n == 8 {
                n += 1;
                break;
            }
            row[n] = cell.parse().map_err(|_| {
                IoError::parse(
                    path,
                    line_no,
                    FILE_LEADS[n],
                    format!("`{cell}` is not an integer"),
                )
            })?;
            n += 1;
        }
        if n != 8 {
            let found = line.split_whitespace().count();
            return Err(IoError::parse(
                path,
                line_no,
                "row",
                format!("{found} columns, expected 8 ({})", FILE_LEADS.join(" ")),
            ));
        }
        raw.push(row);
    }
    let samples = raw.len();
    match opts.expected_samples {
        Some(want) if samples != want => {
            return Err(IoError::invalid(
                path,
                "rows",
                format!("{samples} sample rows, expected {want} (truncated or padded file?)"),
            ))
        }
        _ if samples == 0 => return Err(IoError::invalid(path, "rows", "no sample rows")),
        _ => {}
    }
    let u = opts.mv_per_unit;
    let mut data = vec![0f32; 12 * samples];
    for (t, row) in raw.iter().enumerate() {
        let i = row[0] as f64 * u;
        let ii = row[1] as f64 * u;
        let derived = [i, ii, ii - i, -(i + ii) / 2.0, i - ii / 2.0, ii - i / 2.0];
        for (lead, v) in derived.into_iter().enumerate() {
            data[lead * samples + t] = v as f32;
        }
        for k in 0..6 {
            data[(6 + k) * samples + t] = (row[2 + k] as f64 * u) as f32;
        }
    }
    Ok(HefeiRecord {
        name: name.to_string(),
        data,
        samples,
    })
}

/// Parse the label file (tab-separated `file, age, sex, label…`).
pub fn load_labels(path: &Path) -> Result<Vec<HefeiLabels>> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        IoError::invalid(
            path,
            "encoding",
            format!(
                "not UTF-8 (byte {}); convert it (e.g. from GBK) first",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    parse_labels(&text, path)
}

/// [`load_labels`] on text in memory (`path` names it in errors).
pub fn parse_labels(text: &str, path: &Path) -> Result<Vec<HefeiLabels>> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw
            .trim_start_matches('\u{feff}')
            .trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cells.len() < 3 {
            return Err(IoError::parse(
                path,
                line_no,
                "row",
                format!(
                    "{} tab-separated columns, expected file, age, sex, labels…",
                    cells.len()
                ),
            ));
        }
        let file = cells[0];
        if file.is_empty() {
            return Err(IoError::parse(path, line_no, "file", "empty file name"));
        }
        let age = match cells[1] {
            "" => None,
            a => {
                let v: f64 = a.parse().map_err(|_| {
                    IoError::parse(path, line_no, "age", format!("`{a}` is not a number"))
                })?;
                if !v.is_finite() || v < 0.0 {
                    return Err(IoError::parse(
                        path,
                        line_no,
                        "age",
                        format!("`{a}` is not an age"),
                    ));
                }
                Some(v)
            }
        };
        let sex = (!cells[2].is_empty()).then(|| cells[2].to_string());
        let mut labels: Vec<String> = Vec::new();
        for l in &cells[3..] {
            if !l.is_empty() && !labels.iter().any(|x| x == l) {
                labels.push(l.to_string());
            }
        }
        if labels.is_empty() {
            return Err(IoError::parse(
                path,
                line_no,
                "labels",
                format!("`{file}` has no label"),
            ));
        }
        if !seen.insert(file.to_string()) {
            return Err(IoError::parse(
                path,
                line_no,
                "file",
                format!("`{file}` is listed twice"),
            ));
        }
        out.push(HefeiLabels {
            file: file.to_string(),
            age,
            sex,
            labels,
            line: line_no,
        });
    }
    Ok(out)
}

/// Every record listed in `label_file`, read from `dir`, in label-file order. A listed
/// record without a file in `dir` is an error naming both.
pub fn load_dataset(
    dir: &Path,
    label_file: &Path,
    opts: &ReadOptions,
) -> Result<Vec<HefeiExample>> {
    let rows = load_labels(label_file)?;
    let span = tracing::info_span!("hefei", dir = %dir.display());
    {
        use tracing_indicatif::span_ext::IndicatifSpanExt;
        span.pb_set_length(rows.len() as u64);
    }
    let _enter = span.enter();
    let mut out = Vec::with_capacity(rows.len());
    for meta in rows {
        let path: PathBuf = dir.join(&meta.file);
        if !path.is_file() {
            return Err(IoError::invalid(
                label_file,
                "file",
                format!(
                    "record `{}` is listed but {} does not exist",
                    meta.file,
                    path.display()
                ),
            ));
        }
        let record = read_record(&path, opts)?;
        out.push(HefeiExample { record, meta });
        {
            use tracing_indicatif::span_ext::IndicatifSpanExt;
            span.pb_inc(1);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(n: usize) -> ReadOptions {
        ReadOptions {
            mv_per_unit: 1.0,
            expected_samples: Some(n),
        }
    }

    #[test]
    fn derives_the_four_limb_leads() {
        let text = "I II V1 V2 V3 V4 V5 V6\n10 4 1 2 3 4 5 6\n-6 20 -1 -2 -3 -4 -5 -6\n";
        let r = parse_record(text, "1.txt", Path::new("1.txt"), &opts(2)).expect("valid");
        assert_eq!(r.samples, 2);
        // I, II, III = II-I, aVR = -(I+II)/2, aVL = I - II/2, aVF = II - I/2
        assert_eq!(r.lead(0), [10.0, -6.0]);
        assert_eq!(r.lead(1), [4.0, 20.0]);
        assert_eq!(r.lead(2), [-6.0, 26.0]);
        assert_eq!(r.lead(3), [-7.0, -7.0]);
        assert_eq!(r.lead(4), [8.0, -16.0]);
        assert_eq!(r.lead(5), [-1.0, 23.0]);
        assert_eq!(r.lead(6), [1.0, -1.0]);
        assert_eq!(r.lead(11), [6.0, -6.0]);
    }

    #[test]
    fn scales_by_the_unit() {
        let text = "I II V1 V2 V3 V4 V5 V6\n1000 0 0 0 0 0 0 -1000\n";
        let o = ReadOptions {
            expected_samples: None,
            ..ReadOptions::default()
        };
        let r = parse_record(text, "x", Path::new("x"), &o).expect("valid");
        assert!((r.lead(0)[0] - 4.88).abs() < 1e-6);
        assert!((r.lead(11)[0] + 4.88).abs() < 1e-6);
        let bad = ReadOptions {
            mv_per_unit: 0.0,
            expected_samples: None,
        };
        assert!(parse_record(text, "x", Path::new("x"), &bad).is_err());
    }

    #[test]
    fn labels_parse_with_empty_age_and_sex() {
        let text = "1.txt\t56\tFEMALE\tsinus\tT wave\n2.txt\t\t\tAF\tAF\t\n";
        let rows = parse_labels(text, Path::new("L")).expect("valid");
        assert_eq!(rows[0].age, Some(56.0));
        assert_eq!(rows[0].sex.as_deref(), Some("FEMALE"));
        assert_eq!(rows[0].labels, ["sinus", "T wave"]);
        assert_eq!((rows[1].age, rows[1].sex.clone()), (None, None));
        assert_eq!(rows[1].labels, ["AF"]);
    }
}
