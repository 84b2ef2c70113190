//! CPSC2018 (China Physiological Signal Challenge 2018, 6877 training recordings).
//!
//! Original release: one MATLAB 5 file per recording (`A0001.mat`), holding a 1×1 struct
//! `ECG` with `sex` (char, `Male`/`Female`), `age` (numeric scalar) and `data` (12 × N
//! double, mV, 500 Hz, leads in the standard order I, II, III, aVR, aVL, aVF, V1–V6), plus
//! `REFERENCE.csv` (`Recording,First_label,Second_label,Third_label`; up to three labels
//! 1–9 = [`CLASSES`]).
//!
//! - [`read_mat`]: one recording → [`CpscRecord`] (signal as f32, lead-major).
//! - [`load_reference`]: `REFERENCE.csv` → `(record, raw labels)` rows, as written.
//! - [`load_dataset`]: every `*.mat` of a directory joined with its `REFERENCE.csv` row
//!   (labels checked to lie in 1–9, de-duplicated, first label first; rows holding only
//!   the undefined label 10 excluded and named, see [`UNDEFINED_LABEL`]).
//!
//! The PhysioNet/CinC 2020 WFDB re-release (`A0001.hea` + a `.mat` that is a MAT v4 header
//! followed by format-16 samples, `16+24`) is read by [`crate::wfdb`], not here.
//!
//! Missing values: an empty `sex`/`age`, a missing field, or an `age` of NaN (MATLAB's
//! "unknown") give `None`; a NaN or infinity in `data` is an error.
use crate::error::{IoError, Result};
use crate::mat::{self, MatArray, MatValue};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Class names of labels 1..=9 (`CLASSES[label - 1]`).
pub const CLASSES: [&str; 9] = [
    "Normal", "AF", "I-AVB", "LBBB", "RBBB", "PAC", "PVC", "STD", "STE",
];

/// Number of leads in every CPSC2018 recording.
pub const LEADS: usize = 12;

/// Sampling rate of every CPSC2018 recording (Hz).
pub const FS: f64 = 500.0;

/// Lead names in row order of `data`.
pub const LEAD_NAMES: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// One recording of the original release.
#[derive(Debug, Clone, PartialEq)]
pub struct CpscRecord {
    /// File stem, e.g. `A0001`.
    pub name: String,
    /// `Male` / `Female` as written (trimmed); `None` when empty or absent.
    pub sex: Option<String>,
    /// Years; `None` when empty, NaN or absent.
    pub age: Option<f64>,
    /// Signal in mV, `[12 * samples]`, lead-major: `data[lead * samples + t]`.
    pub data: Vec<f32>,
    /// Samples per lead (N).
    pub samples: usize,
}

impl CpscRecord {
    /// One lead's samples.
    pub fn lead(&self, lead: usize) -> &[f32] {
        &self.data[lead * self.samples..(lead + 1) * self.samples]
    }
}

/// A recording with its labels (1..=9, unique, in `REFERENCE.csv` order).
#[derive(Debug, Clone, PartialEq)]
pub struct CpscExample {
    pub record: CpscRecord,
    pub labels: Vec<u8>,
}

impl CpscExample {
    /// The labels as class names ([`CLASSES`]).
    pub fn class_names(&self) -> Vec<&'static str> {
        self.labels
            .iter()
            .map(|&l| CLASSES[(l - 1) as usize])
            .collect()
    }
}

/// Read one original-release `.mat` recording.
pub fn read_mat(path: &Path) -> Result<CpscRecord> {
    let file = mat::read(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ecg = file
        .get("ECG")
        .ok_or_else(|| IoError::invalid(path, "ECG", "no variable `ECG` in the file"))?;
    if !matches!(ecg.value, MatValue::Struct { .. }) || ecg.numel() != 1 {
        return Err(IoError::invalid(
            path,
            "ECG",
            format!(
                "expected a 1×1 struct, found class {:?} with dims {:?}",
                ecg.class, ecg.dims
            ),
        ));
    }
    let data_arr = ecg
        .field("data")
        .ok_or_else(|| IoError::invalid(path, "ECG.data", "the struct has no field `data`"))?;
    let (data, samples) = signal(data_arr, path)?;
    let sex = match ecg.field("sex") {
        None => None,
        Some(a) if a.numel() == 0 => None,
        Some(a) => {
            let s = a.as_string().ok_or_else(|| {
                IoError::invalid(
                    path,
                    "ECG.sex",
                    format!(
                        "expected text, found class {:?} with dims {:?}",
                        a.class, a.dims
                    ),
                )
            })?;
            let s = s.trim().to_string();
            (!s.is_empty()).then_some(s)
        }
    };
    let age = match ecg.field("age") {
        None => None,
        Some(a) if a.numel() == 0 => None,
        Some(a) => {
            let v = a
                .as_scalar()
                .filter(|_| a.class.is_numeric())
                .ok_or_else(|| {
                    IoError::invalid(
                        path,
                        "ECG.age",
                        format!(
                            "expected a numeric scalar, found class {:?} with dims {:?}",
                            a.class, a.dims
                        ),
                    )
                })?;
            if v.is_nan() {
                None
            } else if !v.is_finite() || v < 0.0 {
                return Err(IoError::invalid(
                    path,
                    "ECG.age",
                    format!("age {v} is not a valid age"),
                ));
            } else {
                Some(v)
            }
        }
    };
    Ok(CpscRecord {
        name,
        sex,
        age,
        data,
        samples,
    })
}

/// `ECG.data` (12 × N, column-major) → lead-major f32.
fn signal(a: &MatArray, path: &Path) -> Result<(Vec<f32>, usize)> {
    let field = "ECG.data";
    let (real, imag) = match &a.value {
        MatValue::Numeric { real, imag } if a.class.is_numeric() => (real, imag),
        _ => {
            return Err(IoError::invalid(
                path,
                field,
                format!("expected a numeric matrix, found class {:?}", a.class),
            ))
        }
    };
    if imag.is_some() {
        return Err(IoError::invalid(path, field, "complex data"));
    }
    if a.dims.len() != 2 || a.dims[0] != LEADS || a.dims[1] == 0 {
        return Err(IoError::invalid(
            path,
            field,
            format!(
                "expected {LEADS} × N with N > 0 (leads × samples), found dims {:?}",
                a.dims
            ),
        ));
    }
    let n = a.dims[1];
    let mut out = vec![0f32; LEADS * n];
    // Column-major: element (lead, t) is real[lead + 12 t].
    for (k, &v) in real.iter().enumerate() {
        let (t, lead) = (k / LEADS, k % LEADS);
        if !v.is_finite() {
            return Err(IoError::invalid(
                path,
                field,
                format!(
                    "lead {} (`{}`), sample {t}: value {v} is not finite",
                    lead, LEAD_NAMES[lead]
                ),
            ));
        }
        out[lead * n + t] = v as f32;
    }
    Ok((out, n))
}

/// Parse `REFERENCE.csv`: rows of (record, labels as written, empty cells skipped). Labels
/// are not range-checked here (see [`load_dataset`]); a cell that is not an integer 0–255,
/// a row with fewer than 2 or more than 4 columns, an empty record name, or a record listed
/// twice is an error naming the line.
pub fn load_reference(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::io(path, e))?;
    parse_reference(&text, path)
}

/// [`load_reference`] on text already in memory (`path` names it in errors).
pub fn parse_reference(text: &str, path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    const COLUMNS: [&str; 4] = ["Recording", "First_label", "Second_label", "Third_label"];
    let mut lines = text.lines().enumerate();
    let header = lines
        .next()
        .map(|(_, l)| l.trim_start_matches('\u{feff}').trim_end_matches('\r'))
        .ok_or_else(|| IoError::parse(path, 1, "header", "empty file"))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    if cols.first() != Some(&"Recording")
        || cols.len() < 2
        || cols.len() > 4
        || cols[..] != COLUMNS[..cols.len()]
    {
        return Err(IoError::parse(
            path,
            1,
            "header",
            format!("expected `{}`, found `{header}`", COLUMNS.join(",")),
        ));
    }
    let mut rows: Vec<(String, Vec<u8>)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, raw) in lines {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() < 2 || cells.len() > 4 {
            return Err(IoError::parse(
                path,
                line_no,
                "row",
                format!(
                    "{} columns (expected 2 to 4: record and up to three labels)",
                    cells.len()
                ),
            ));
        }
        let name = cells[0];
        if name.is_empty() {
            return Err(IoError::parse(
                path,
                line_no,
                "Recording",
                "empty record name",
            ));
        }
        let mut labels = Vec::new();
        for (c, cell) in cells.iter().enumerate().skip(1) {
            if cell.is_empty() {
                continue;
            }
            let l: u8 = cell.parse().map_err(|_| {
                IoError::parse(
                    path,
                    line_no,
                    COLUMNS[c],
                    format!("`{cell}` is not a label number"),
                )
            })?;
            labels.push(l);
        }
        if let Some(prev) = seen.insert(name.to_string(), line_no) {
            return Err(IoError::parse(
                path,
                line_no,
                "Recording",
                format!("record `{name}` is listed twice (first on line {prev})"),
            ));
        }
        rows.push((name.to_string(), labels));
    }
    Ok(rows)
}

/// The label number some rows of the distributed `REFERENCE.csv` carry (18 of 6877, each
/// as its only label: A0716, A0945, …) although the challenge defines classes 1–9 only.
///
/// Decision: such a label is not a class; it is dropped from the row, and a record left
/// without a class is excluded from the dataset, named in a warning and in
/// [`CpscDataset::excluded`] (a pack states them in its metadata). Counting these records
/// as negatives for all nine classes would put unlabelled recordings into every metric as
/// confirmed "no finding"; guessing a class would invent labels. Any other number outside
/// 1–9 is still an error: it is not a known quirk of the file but a damaged one.
pub const UNDEFINED_LABEL: u8 = 10;

/// Check and normalise one record's raw labels: each in 1..=9 ([`UNDEFINED_LABEL`]
/// dropped), duplicates dropped (first occurrence kept). `Ok(empty)` means the row held
/// only [`UNDEFINED_LABEL`]; a row with no label at all is an error. `reference` names the
/// label file in errors.
pub fn check_labels(record: &str, raw: &[u8], reference: &Path) -> Result<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    for &l in raw {
        if l == UNDEFINED_LABEL {
            continue;
        }
        if !(1..=9).contains(&l) {
            return Err(IoError::invalid(
                reference,
                format!("labels of `{record}`"),
                format!("label {l} is outside 1–9 ({})", CLASSES.join(", ")),
            ));
        }
        if !out.contains(&l) {
            out.push(l);
        }
    }
    if raw.is_empty() {
        return Err(IoError::invalid(
            reference,
            format!("labels of `{record}`"),
            "no label",
        ));
    }
    Ok(out)
}

/// A loaded directory: the usable recordings, and the records excluded because their row
/// holds only [`UNDEFINED_LABEL`].
#[derive(Debug, Clone, PartialEq)]
pub struct CpscDataset {
    pub examples: Vec<CpscExample>,
    pub excluded: Vec<String>,
}

/// Every `*.mat` file of `dir` (sorted by name) with its labels from `dir/REFERENCE.csv`.
/// Errors: a `.mat` file whose record is not in `REFERENCE.csv`, a label outside 1–9 other
/// than [`UNDEFINED_LABEL`], an empty label set, and any error of [`read_mat`]. Rows of
/// `REFERENCE.csv` without a file are ignored (a directory may hold a subset). Records
/// whose row holds only [`UNDEFINED_LABEL`] are excluded (and not read), see
/// [`load_dataset_with_exclusions`].
pub fn load_dataset(dir: &Path) -> Result<Vec<CpscExample>> {
    Ok(load_dataset_with_exclusions(dir, &dir.join("REFERENCE.csv"))?.examples)
}

/// [`load_dataset`] with the label file elsewhere.
pub fn load_dataset_with_reference(dir: &Path, reference: &Path) -> Result<Vec<CpscExample>> {
    Ok(load_dataset_with_exclusions(dir, reference)?.examples)
}

/// [`load_dataset`], also returning the excluded records.
pub fn load_dataset_with_exclusions(dir: &Path, reference: &Path) -> Result<CpscDataset> {
    let index = index_dataset(dir, reference)?;
    let span = tracing::info_span!("cpsc2018", dir = %dir.display());
    {
        use tracing_indicatif::span_ext::IndicatifSpanExt;
        span.pb_set_length(index.records.len() as u64);
    }
    let _enter = span.enter();
    let mut out = Vec::with_capacity(index.records.len());
    for (_, path, labels) in index.records {
        let record = read_mat(&path)?;
        out.push(CpscExample { record, labels });
        {
            use tracing_indicatif::span_ext::IndicatifSpanExt;
            span.pb_inc(1);
        }
    }
    Ok(CpscDataset {
        examples: out,
        excluded: index.excluded,
    })
}

/// A directory's records without their signals ([`index_dataset`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CpscIndex {
    /// (name, `.mat` path, checked labels) in name order.
    pub records: Vec<(String, PathBuf, Vec<u8>)>,
    /// Records whose row holds only [`UNDEFINED_LABEL`] (each named in a warning).
    pub excluded: Vec<String>,
}

/// The records of a directory without their signals, in name order; every file must be
/// listed in `reference` (the packer reads the signals one at a time from this index).
pub fn index_dataset(dir: &Path, reference: &Path) -> Result<CpscIndex> {
    let rows = load_reference(reference)?;
    let labels: HashMap<String, Vec<u8>> = rows.into_iter().collect();
    let mut index = CpscIndex {
        records: Vec::new(),
        excluded: Vec::new(),
    };
    for (name, path) in mat_files(dir)? {
        let raw = labels.get(&name).ok_or_else(|| {
            IoError::invalid(
                reference,
                "Recording",
                format!("record `{name}` ({}) is not listed", path.display()),
            )
        })?;
        let labels = check_labels(&name, raw, reference)?;
        if labels.is_empty() {
            tracing::warn!(
                "{}: record `{name}` excluded: its only label is {UNDEFINED_LABEL}, not one of the challenge's classes 1-9",
                reference.display()
            );
            index.excluded.push(name);
        } else {
            index.records.push((name, path, labels));
        }
    }
    Ok(index)
}

fn mat_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| IoError::io(dir, e))? {
        let entry = entry.map_err(|e| IoError::io(dir, e))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "mat") && path.is_file() {
            if let Some(stem) = path.file_stem() {
                files.push((stem.to_string_lossy().into_owned(), path));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Recording,First_label,Second_label,Third_label\n";

    #[test]
    fn reference_rows_keep_labels_as_written() {
        let text = format!("{HEADER}A0001,5,,\r\nA0002,1,2,3\n\nA0003,6,6,\nA0004,10,,\n");
        let rows = parse_reference(&text, Path::new("R")).expect("valid");
        assert_eq!(
            rows,
            vec![
                ("A0001".to_string(), vec![5]),
                ("A0002".to_string(), vec![1, 2, 3]),
                ("A0003".to_string(), vec![6, 6]),
                ("A0004".to_string(), vec![10]),
            ]
        );
    }

    #[test]
    fn reference_errors_name_the_line() {
        for (body, line) in [
            ("A0001,5,,\nA0002,x,,\n", 3),
            ("A0001,5,,,,\n", 2),
            (",5,,\n", 2),
            ("A0001,5,,\nA0001,4,,\n", 3),
            ("A0001\n", 2),
        ] {
            match parse_reference(&format!("{HEADER}{body}"), Path::new("R")) {
                Err(IoError::Parse { line: l, .. }) => assert_eq!(l, line, "{body}"),
                other => panic!("{body:?}: expected a parse error, got {other:?}"),
            }
        }
        assert!(parse_reference("Name,Label\nA0001,1\n", Path::new("R")).is_err());
        assert!(parse_reference("", Path::new("R")).is_err());
    }

    #[test]
    fn labels_are_checked_and_deduplicated() {
        let r = Path::new("R");
        assert_eq!(check_labels("A", &[6, 6, 2], r).ok(), Some(vec![6, 2]));
        assert!(check_labels("A", &[], r).is_err());
        assert!(check_labels("A", &[0], r).is_err());
        assert_eq!(check_labels("A0716", &[10], r).ok(), Some(vec![]));
        assert_eq!(check_labels("A", &[10, 3], r).ok(), Some(vec![3]));
        match check_labels("A0716", &[11], r) {
            Err(IoError::Invalid { field, msg, .. }) => {
                assert!(
                    field.contains("A0716") && msg.contains("11"),
                    "{field}: {msg}"
                )
            }
            other => panic!("{other:?}"),
        }
        let ex = CpscExample {
            record: CpscRecord {
                name: "A".into(),
                sex: None,
                age: None,
                data: vec![],
                samples: 0,
            },
            labels: vec![1, 9],
        };
        assert_eq!(ex.class_names(), ["Normal", "STE"]);
    }
}
