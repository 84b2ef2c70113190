//! Reading the run directory's JSON files.
use anyhow::{Context, Result};
use serde_json::Value;
use std::path::Path;

pub fn read(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {} as JSON", path.display()))
}

/// The number at `path` (object keys) in `v`, if there is one.
pub fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |cur, p| cur.get(*p))?.as_f64()
}
