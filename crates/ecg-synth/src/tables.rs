//! Tables embedded at compile time, fitted from the real PTB-XL sample by the committed
//! script `scripts/golden/synth_fit_sample.py`:
//!
//! - `data/sample_fit.json`: the empirical distribution of whole `scp_codes` sets (172
//!   distinct sets over 500 records, with the most common report text of each) and the
//!   frequencies of the free-text / administrative columns (`device`, `nurse`, ...).
//! - `data/scp_statements.csv`: a byte copy of the official statement vocabulary.
//!
//! Nothing is read from disk at run time.
use crate::error::{Result, SynthError};
use rand::Rng;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The official `scp_statements.csv` (copied verbatim into every generated dataset).
pub const SCP_STATEMENTS_CSV: &str = include_str!("../data/scp_statements.csv");
const SAMPLE_FIT_JSON: &str = include_str!("../data/sample_fit.json");

/// One real statement set: codes with likelihoods in source order, the dict literal as
/// written in PTB-XL, and the most common report of records with this set.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelSet {
    pub codes: Vec<(String, f64)>,
    pub raw: String,
    pub report: String,
    /// How many of the sample's records carry exactly this set.
    pub count: u32,
}

/// A discrete distribution over values, drawn by weight.
#[derive(Debug, Clone)]
pub struct Categorical<T> {
    values: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T> Categorical<T> {
    /// From (value, weight) pairs; at least one positive weight.
    pub fn new(pairs: Vec<(T, u64)>) -> Option<Self> {
        let mut values = Vec::with_capacity(pairs.len());
        let mut cumulative = Vec::with_capacity(pairs.len());
        let mut acc = 0u64;
        for (v, w) in pairs {
            acc += w;
            values.push(v);
            cumulative.push(acc);
        }
        (acc > 0).then_some(Categorical { values, cumulative })
    }

    /// Draw one value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> &T {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        &self.values[i.min(self.values.len() - 1)]
    }

    pub fn values(&self) -> &[T] {
        &self.values
    }
}

/// Everything fitted from the real sample.
#[derive(Debug, Clone)]
pub struct SampleFit {
    pub label_sets: Categorical<LabelSet>,
    /// Column name -> distribution of its raw text values (empty string = missing).
    pub columns: BTreeMap<String, Categorical<String>>,
    /// Statement code -> (diagnostic class, diagnostic subclass) for diagnostic codes.
    pub classes: BTreeMap<String, (String, String)>,
}

#[derive(Deserialize)]
struct RawFit {
    label_sets: Vec<RawSet>,
    #[serde(flatten)]
    rest: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawSet {
    scp_codes: String,
    count: u32,
    report: String,
}

/// Columns whose frequencies the fit carries.
pub const FITTED_COLUMNS: [&str; 10] = [
    "nurse",
    "site",
    "device",
    "validated_by",
    "second_opinion",
    "baseline_drift",
    "static_noise",
    "burst_noise",
    "electrodes_problems",
    "extra_beats",
];

impl SampleFit {
    /// Parse the embedded tables.
    pub fn load() -> Result<SampleFit> {
        let raw: RawFit = serde_json::from_str(SAMPLE_FIT_JSON)
            .map_err(|e| SynthError::table("sample_fit.json", e.to_string()))?;
        let mut sets = Vec::with_capacity(raw.label_sets.len());
        for s in raw.label_sets {
            let codes = parse_scp_codes(&s.scp_codes).map_err(|m| {
                SynthError::table("sample_fit.json", format!("{:?}: {m}", s.scp_codes))
            })?;
            let w = s.count as u64;
            sets.push((
                LabelSet {
                    codes,
                    raw: s.scp_codes,
                    report: s.report,
                    count: s.count,
                },
                w,
            ));
        }
        let label_sets = Categorical::new(sets)
            .ok_or_else(|| SynthError::table("sample_fit.json", "no label sets"))?;
        let mut columns = BTreeMap::new();
        for col in FITTED_COLUMNS {
            let v = raw.rest.get(col).ok_or_else(|| {
                SynthError::table("sample_fit.json", format!("missing column `{col}`"))
            })?;
            let pairs: Vec<(String, u64)> = serde_json::from_value(v.clone()).map_err(|e| {
                SynthError::table("sample_fit.json", format!("column `{col}`: {e}"))
            })?;
            let cat = Categorical::new(pairs).ok_or_else(|| {
                SynthError::table("sample_fit.json", format!("column `{col}` is empty"))
            })?;
            columns.insert(col.to_string(), cat);
        }
        Ok(SampleFit {
            label_sets,
            columns,
            classes: statement_classes()?,
        })
    }

    /// Draw a raw value of one fitted column.
    pub fn draw<R: Rng + ?Sized>(&self, column: &str, rng: &mut R) -> String {
        self.columns
            .get(column)
            .map(|c| c.sample(rng).clone())
            .unwrap_or_default()
    }

    /// The diagnostic superclasses (`NORM`, `MI`, `STTC`, `CD`, `HYP`) of a statement set,
    /// sorted and deduplicated.
    pub fn superclasses(&self, codes: &[(String, f64)]) -> Vec<String> {
        let mut out: Vec<String> = codes
            .iter()
            .filter_map(|(c, _)| self.classes.get(c).map(|(cls, _)| cls.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Parse a PTB-XL `scp_codes` Python dict literal such as `{'NORM': 100.0, 'SR': 0.0}`.
pub fn parse_scp_codes(s: &str) -> std::result::Result<Vec<(String, f64)>, String> {
    let inner = s
        .trim()
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or("not a {...} dict literal")?;
    let mut out = Vec::new();
    for item in inner.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (k, v) = item
            .split_once(':')
            .ok_or_else(|| format!("item `{item}` has no `:`"))?;
        let k = k.trim();
        let key = k
            .strip_prefix('\'')
            .and_then(|r| r.strip_suffix('\''))
            .ok_or_else(|| format!("key `{k}` is not quoted"))?;
        let val: f64 = v
            .trim()
            .parse()
            .map_err(|_| format!("value of `{key}` is not a number"))?;
        if !val.is_finite() {
            return Err(format!("value of `{key}` is not finite"));
        }
        out.push((key.to_string(), val));
    }
    if out.is_empty() {
        return Err("empty statement set".into());
    }
    Ok(out)
}

/// Split one CSV line (RFC 4180 quoting, no embedded newlines).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Code -> (diagnostic_class, diagnostic_subclass) from the embedded vocabulary.
fn statement_classes() -> Result<BTreeMap<String, (String, String)>> {
    let mut lines = SCP_STATEMENTS_CSV.lines();
    let head = split_csv_line(lines.next().unwrap_or(""));
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .ok_or_else(|| SynthError::table("scp_statements.csv", format!("no column `{name}`")))
    };
    let (ci, si) = (col("diagnostic_class")?, col("diagnostic_subclass")?);
    let mut out = BTreeMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f = split_csv_line(line);
        if let (Some(code), Some(c), Some(s)) = (f.first(), f.get(ci), f.get(si)) {
            if !c.is_empty() {
                out.insert(code.clone(), (c.clone(), s.clone()));
            }
        }
    }
    if out.is_empty() {
        return Err(SynthError::table(
            "scp_statements.csv",
            "no diagnostic statements",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dict_literals() {
        let c = parse_scp_codes("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0], ("NORM".to_string(), 100.0));
        assert!(parse_scp_codes("{}").is_err());
        assert!(parse_scp_codes("{'A' 1}").is_err());
        assert!(parse_scp_codes("{'A': nan}").is_err());
    }

    #[test]
    fn embedded_tables_load() {
        let fit = SampleFit::load().unwrap();
        let total: u32 = fit.label_sets.values().iter().map(|s| s.count).sum();
        assert_eq!(total, 500);
        assert_eq!(fit.classes.get("IMI").map(|c| c.0.as_str()), Some("MI"));
        assert_eq!(
            fit.classes.get("LAFB").map(|c| c.1.as_str()),
            Some("LAFB/LPFB")
        );
        assert_eq!(fit.classes.len(), 44);
        let sc =
            fit.superclasses(&parse_scp_codes("{'IMI': 100.0, 'LVH': 50.0, 'SR': 0.0}").unwrap());
        assert_eq!(sc, vec!["HYP".to_string(), "MI".to_string()]);
    }

    #[test]
    fn csv_split_handles_quotes() {
        assert_eq!(
            split_csv_line(r#"a,"b, c","d""e",""#),
            vec!["a", "b, c", "d\"e", ""]
        );
    }
}
