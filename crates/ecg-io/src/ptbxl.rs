//! PTB-XL metadata: one row of `scp_statements.csv`, one row of `ptbxl_database.csv`.
//! (Contract types shared with ecg-labels and ecg-train; loaders live beside them.)
use serde::{Deserialize, Serialize};

/// One row of `scp_statements.csv`. The first (unnamed) column is the code; `diagnostic`,
/// `form`, `rhythm` are `1.0` or empty in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScpStatement {
    pub code: String,
    pub description: String,
    pub diagnostic: bool,
    pub form: bool,
    pub rhythm: bool,
    /// e.g. `NORM`, `MI`, `STTC`, `CD`, `HYP` (diagnostic statements only).
    pub diagnostic_class: Option<String>,
    /// e.g. `IMI`, `LVH` (diagnostic statements only).
    pub diagnostic_subclass: Option<String>,
}

/// One row of `ptbxl_database.csv` (the columns the pipeline uses; the rest are kept as
/// strings in `extra`, in file order, followed by the raw `scp_codes` text under the key
/// `scp_codes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PtbxlRecord {
    pub ecg_id: u32,
    pub patient_id: Option<u32>,
    pub age: Option<f64>,
    /// 0 = male, 1 = female, as in the file.
    pub sex: Option<u8>,
    pub strat_fold: u8,
    /// `scp_codes` parsed from its Python dict literal, in file order: (code, likelihood).
    pub scp_codes: Vec<(String, f64)>,
    /// e.g. `records100/00000/00001_lr` (no extension).
    pub filename_lr: String,
    /// e.g. `records500/00000/00001_hr` (no extension).
    pub filename_hr: String,
    pub extra: Vec<(String, String)>,
}

use crate::error::{IoError, Result};
use std::path::Path;

/// Parse PTB-XL's `scp_codes` cell, a Python dict literal such as
/// `{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}`, strictly: string keys in single or double
/// quotes (no escapes), numeric values (Python int/float literals), an optional trailing
/// comma, nothing else. Duplicate keys are an error. Order is kept. `path` and `row`
/// (1-based data row) only name the cell in errors.
pub fn parse_scp_codes(text: &str, path: &Path, row: usize) -> Result<Vec<(String, f64)>> {
    let err = |at: usize, msg: &str| {
        IoError::parse(
            path,
            row,
            "scp_codes",
            format!("{msg} at character {at} of `{text}`"),
        )
    };
    let b = text.as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return Err(err(i, "expected `{`"));
    }
    i += 1;
    let mut out: Vec<(String, f64)> = Vec::new();
    loop {
        ws(&mut i);
        match b.get(i) {
            Some(b'}') => {
                i += 1;
                break;
            }
            Some(&q) if q == b'\'' || q == b'"' => {
                let start = i + 1;
                let end = b[start..]
                    .iter()
                    .position(|&c| c == q)
                    .map(|p| start + p)
                    .ok_or_else(|| err(i, "unterminated string"))?;
                let key = &text[start..end];
                if key.contains('\\') {
                    return Err(err(start, "escape sequences are not allowed in codes"));
                }
                if key.is_empty() {
                    return Err(err(start, "empty code"));
                }
                if out.iter().any(|(k, _)| k == key) {
                    return Err(err(start, &format!("duplicate code `{key}`")));
                }
                i = end + 1;
                ws(&mut i);
                if b.get(i) != Some(&b':') {
                    return Err(err(i, "expected `:`"));
                }
                i += 1;
                ws(&mut i);
                let nstart = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                let num = &text[nstart..i];
                if !is_python_number(num) {
                    return Err(err(nstart, &format!("`{num}` is not a number")));
                }
                let v: f64 = num
                    .parse()
                    .map_err(|_| err(nstart, &format!("`{num}` is not a number")))?;
                out.push((key.to_string(), v));
                ws(&mut i);
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => {}
                    _ => return Err(err(i, "expected `,` or `}`")),
                }
            }
            _ => return Err(err(i, "expected a quoted code or `}`")),
        }
    }
    ws(&mut i);
    if i != b.len() {
        return Err(err(i, "trailing characters after `}`"));
    }
    Ok(out)
}

/// `[+-]digits[.digits][(e|E)[+-]digits]` or `[+-][digits].digits[...]`.
fn is_python_number(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mant.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mant, None),
    };
    let digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    let mant_ok = digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mant_ok && exp_ok
}

/// Format `codes` back as the Python dict literal PTB-XL writes (`{'A': 100.0, 'B': 0.0}`).
pub fn format_scp_codes(codes: &[(String, f64)]) -> String {
    let body: Vec<String> = codes.iter().map(|(k, v)| format!("'{k}': {v:?}")).collect();
    format!("{{{}}}", body.join(", "))
}

/// The PTB-XL release a directory holds, from its name (`...-1.0.3`), else `None`.
pub fn detect_version(dir: &Path) -> Option<String> {
    let canon = dir.canonicalize().ok()?;
    let name = canon.file_name()?.to_str()?;
    ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]
        .into_iter()
        .find(|v| name.ends_with(v))
        .map(str::to_string)
}

/// Relative record path (no extension) for a rate: `filename_lr` at 100 Hz, `filename_hr`
/// at 500 Hz.
pub fn record_file(rec: &PtbxlRecord, rate: u32) -> Option<&str> {
    match rate {
        100 => Some(&rec.filename_lr),
        500 => Some(&rec.filename_hr),
        _ => None,
    }
}

#[cfg(feature = "polars")]
pub(crate) use tables::read_csv;
#[cfg(feature = "polars")]
pub use tables::{load_database, load_statements};

#[cfg(feature = "polars")]
mod tables {
    //! The two CSV tables through polars. Every column is read as text and converted here,
    //! so each bad cell is reported with its row (1-based data row) and column. Columns
    //! are found by name, so the 1.0.1 and 1.0.3 layouts (same names, and any added or
    //! reordered columns) both load; extra columns land in `PtbxlRecord::extra`.
    use super::*;
    use polars::prelude::*;

    pub(crate) type Cols = Vec<(String, Vec<Option<String>>)>;

    /// Every column of a CSV file as text (`None` for an empty cell), by header name.
    pub(crate) fn read_csv(path: &Path) -> Result<Cols> {
        if !path.is_file() {
            return Err(IoError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| IoError::invalid(path, "csv", e.to_string()))?;
        let mut out = Vec::with_capacity(df.width());
        for col in df.columns() {
            let name = col.name().to_string();
            let s = col
                .str()
                .map_err(|e| IoError::invalid(path, &name, e.to_string()))?;
            out.push((name, s.iter().map(|v| v.map(str::to_string)).collect()));
        }
        Ok(out)
    }

    fn take(cols: &mut Cols, name: &str, path: &Path) -> Result<Vec<Option<String>>> {
        let i = cols
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| IoError::invalid(path, name, "required column is missing"))?;
        Ok(cols.remove(i).1)
    }

    fn num<T: std::str::FromStr>(
        v: &Option<String>,
        path: &Path,
        row: usize,
        col: &str,
    ) -> Result<Option<T>> {
        let Some(s) = v.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        // integers are written as floats (`15709.0`) in some columns
        let s = s.strip_suffix(".0").unwrap_or(s);
        s.parse::<T>().map(Some).map_err(|_| {
            IoError::parse(
                path,
                row,
                col,
                format!(
                    "`{}` is not a valid {}",
                    v.as_deref().unwrap_or(""),
                    std::any::type_name::<T>()
                ),
            )
        })
    }

    fn required<T>(v: Option<T>, path: &Path, row: usize, col: &str) -> Result<T> {
        v.ok_or_else(|| IoError::parse(path, row, col, "empty"))
    }

    fn flag(v: &Option<String>, path: &Path, row: usize, col: &str) -> Result<bool> {
        match v.as_deref().map(str::trim) {
            None | Some("") | Some("0") | Some("0.0") => Ok(false),
            Some("1") | Some("1.0") => Ok(true),
            Some(o) => Err(IoError::parse(
                path,
                row,
                col,
                format!("`{o}` is neither 1.0 nor empty"),
            )),
        }
    }

    /// Load `scp_statements.csv` (first, unnamed column = the code).
    pub fn load_statements(path: &Path) -> Result<Vec<ScpStatement>> {
        let mut cols = read_csv(path)?;
        if cols.is_empty() {
            return Err(IoError::invalid(path, "header", "no columns"));
        }
        let code = cols.remove(0).1;
        let description = take(&mut cols, "description", path)?;
        let diagnostic = take(&mut cols, "diagnostic", path)?;
        let form = take(&mut cols, "form", path)?;
        let rhythm = take(&mut cols, "rhythm", path)?;
        let class = take(&mut cols, "diagnostic_class", path)?;
        let sub = take(&mut cols, "diagnostic_subclass", path)?;
        let mut out = Vec::with_capacity(code.len());
        for r in 0..code.len() {
            let row = r + 1;
            let c = required(code[r].clone(), path, row, "code")?;
            out.push(ScpStatement {
                code: c,
                description: description[r].clone().unwrap_or_default(),
                diagnostic: flag(&diagnostic[r], path, row, "diagnostic")?,
                form: flag(&form[r], path, row, "form")?,
                rhythm: flag(&rhythm[r], path, row, "rhythm")?,
                diagnostic_class: class[r].clone().filter(|s| !s.is_empty()),
                diagnostic_subclass: sub[r].clone().filter(|s| !s.is_empty()),
            });
        }
        Ok(out)
    }

    /// Load `ptbxl_database.csv`.
    pub fn load_database(path: &Path) -> Result<Vec<PtbxlRecord>> {
        let mut cols = read_csv(path)?;
        let ecg_id = take(&mut cols, "ecg_id", path)?;
        let patient = take(&mut cols, "patient_id", path)?;
        let age = take(&mut cols, "age", path)?;
        let sex = take(&mut cols, "sex", path)?;
        let fold = take(&mut cols, "strat_fold", path)?;
        let scp = take(&mut cols, "scp_codes", path)?;
        let lr = take(&mut cols, "filename_lr", path)?;
        let hr = take(&mut cols, "filename_hr", path)?;
        let mut out = Vec::with_capacity(ecg_id.len());
        for r in 0..ecg_id.len() {
            let row = r + 1;
            let strat_fold: u8 = required(
                num(&fold[r], path, row, "strat_fold")?,
                path,
                row,
                "strat_fold",
            )?;
            if !(1..=10).contains(&strat_fold) {
                return Err(IoError::parse(
                    path,
                    row,
                    "strat_fold",
                    format!("{strat_fold} is not in 1..=10"),
                ));
            }
            let sex: Option<u8> = num(&sex[r], path, row, "sex")?;
            if sex.is_some_and(|s| s > 1) {
                return Err(IoError::parse(path, row, "sex", "must be 0 or 1"));
            }
            let scp_text = required(scp[r].clone(), path, row, "scp_codes")?;
            let mut extra: Vec<(String, String)> = cols
                .iter()
                .map(|(n, v)| (n.clone(), v[r].clone().unwrap_or_default()))
                .collect();
            out.push(PtbxlRecord {
                ecg_id: required(num(&ecg_id[r], path, row, "ecg_id")?, path, row, "ecg_id")?,
                patient_id: num(&patient[r], path, row, "patient_id")?,
                age: num(&age[r], path, row, "age")?,
                sex,
                strat_fold,
                scp_codes: parse_scp_codes(&scp_text, path, row)?,
                filename_lr: required(lr[r].clone(), path, row, "filename_lr")?,
                filename_hr: required(hr[r].clone(), path, row, "filename_hr")?,
                extra: {
                    extra.push(("scp_codes".to_string(), scp_text));
                    extra
                },
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<Vec<(String, f64)>> {
        parse_scp_codes(s, Path::new("db.csv"), 7)
    }

    #[test]
    fn parses_ptbxl_cells() {
        assert_eq!(
            p("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}").expect("ok"),
            vec![
                ("NORM".into(), 100.0),
                ("LVOLT".into(), 0.0),
                ("SR".into(), 0.0)
            ]
        );
        assert_eq!(p("{}").expect("ok"), vec![]);
        assert_eq!(p(" {\"A\" :50, } ").expect("ok"), vec![("A".into(), 50.0)]);
        assert_eq!(
            p("{'A': 1e2, 'B': -.5}").expect("ok"),
            vec![("A".into(), 100.0), ("B".into(), -0.5)]
        );
    }

    #[test]
    fn rejects_malformed_cells_with_row_numbers() {
        for bad in [
            "",
            "NORM",
            "{'NORM' 100.0}",
            "{'NORM': }",
            "{'NORM': 1.0.0}",
            "{'NORM': nan}",
            "{NORM: 1}",
            "{'NORM': 1",
            "{'NORM': 1} x",
            "{'A': 1, 'A': 2}",
            "{'A\\'': 1}",
            "{'': 1}",
            "{'A': 1,, 'B': 2}",
            "{'A': 1 'B': 2}",
            "[('A', 1)]",
            "{'A': inf}",
            "{'A': 1e}",
            "{'A': .}",
            "{'A': +-1}",
        ] {
            let e = p(bad).expect_err(bad).to_string();
            assert!(
                e.contains("db.csv:7") && e.contains("scp_codes"),
                "{bad}: {e}"
            );
        }
    }

    proptest! {
        #[test]
        fn formatted_codes_parse_back(codes in prop::collection::vec(("[A-Z_0-9]{1,6}", 0u32..=100), 0..8)) {
            let mut seen = std::collections::HashSet::new();
            let codes: Vec<(String, f64)> = codes
                .into_iter()
                .filter(|(k, _)| seen.insert(k.clone()))
                .map(|(k, v)| (k, v as f64))
                .collect();
            let text = format_scp_codes(&codes);
            prop_assert_eq!(p(&text).expect("parses"), codes);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = p(&s);
        }

        #[test]
        fn never_panics_near_valid(s in "[{}'\" :,.0-9eE+A-Z-]{0,30}") {
            let _ = p(&s);
        }
    }
}
