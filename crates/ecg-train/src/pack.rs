//! A minimal reader and writer of the packed dataset (`ecg-pack/1`, see ecg-io's
//! `pack` module for the contract): a safetensors file with one f32 tensor `signals`
//! [records, leads, samples] and `__metadata__` keys `format`, `meta` (PackMeta JSON) and
//! `records` (PackedRecord JSON array).
//!
//! Written here because ecg-io's `PackedDataset` had not landed when the trainer was
//! built; it follows the same contract and API (`open`, `meta`, `records`, `len`,
//! `signal`) so it can be swapped for `ecg_io::pack::PackedDataset` in one line. The file
//! is read into memory (not memory-mapped).
use crate::error::TrainError;
use ecg_io::pack::{PackMeta, PackedRecord};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The format tag in `__metadata__.format`.
pub const FORMAT: &str = "ecg-pack/1";

/// A packed dataset held in memory.
#[derive(Debug)]
pub struct PackedDataset {
    path: PathBuf,
    meta: PackMeta,
    records: Vec<PackedRecord>,
    signals: Vec<f32>,
}

fn bad(path: &Path, msg: impl Into<String>) -> TrainError {
    TrainError::Data(format!("pack {}: {}", path.display(), msg.into()))
}

impl PackedDataset {
    /// Reads and checks a pack file.
    pub fn open(path: &Path) -> Result<Self, TrainError> {
        let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
        if bytes.len() < 8 {
            return Err(bad(path, "truncated (no safetensors header)"));
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[..8]);
        let hlen = u64::from_le_bytes(n) as usize;
        let header_end = 8usize
            .checked_add(hlen)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad(path, "header length beyond the end of the file"))?;
        let header: Map<String, Value> = serde_json::from_slice(&bytes[8..header_end])
            .map_err(|e| bad(path, format!("header JSON: {e}")))?;
        let md = header
            .get("__metadata__")
            .and_then(Value::as_object)
            .ok_or_else(|| bad(path, "no __metadata__"))?;
        let get = |k: &str| {
            md.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| bad(path, format!("__metadata__ has no `{k}`")))
        };
        if get("format")? != FORMAT {
            return Err(bad(
                path,
                format!("format `{}`, expected `{FORMAT}`", get("format")?),
            ));
        }
        let meta: PackMeta =
            serde_json::from_str(get("meta")?).map_err(|e| bad(path, format!("meta: {e}")))?;
        let records: Vec<PackedRecord> = serde_json::from_str(get("records")?)
            .map_err(|e| bad(path, format!("records: {e}")))?;
        let t = header
            .get("signals")
            .ok_or_else(|| bad(path, "no tensor `signals`"))?;
        if t.get("dtype").and_then(Value::as_str) != Some("F32") {
            return Err(bad(path, "`signals` must be F32"));
        }
        let shape: Vec<usize> = t
            .get("shape")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .map(|v| v as usize)
                    .collect()
            })
            .unwrap_or_default();
        let want = [records.len(), meta.leads.len(), meta.samples];
        if shape != want {
            return Err(bad(
                path,
                format!("`signals` has shape {shape:?}, metadata says {want:?}"),
            ));
        }
        let offs: Vec<usize> = t
            .get("data_offsets")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_u64)
                    .map(|v| v as usize)
                    .collect()
            })
            .unwrap_or_default();
        let count = want.iter().product::<usize>();
        let (start, end) = match offs.as_slice() {
            [s, e] if e - s == count * 4 && header_end + e <= bytes.len() => {
                (header_end + s, header_end + e)
            }
            _ => {
                return Err(bad(
                    path,
                    format!("`signals` data offsets {offs:?} do not fit {count} floats"),
                ))
            }
        };
        let signals: Vec<f32> = bytes[start..end]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if let Some(i) = signals.iter().position(|v| !v.is_finite()) {
            let per = meta.leads.len() * meta.samples;
            let r = i / per.max(1);
            return Err(bad(
                path,
                format!(
                    "record {} lead {} sample {} is not finite",
                    records.get(r).map(|x| x.id.as_str()).unwrap_or("?"),
                    (i % per) / meta.samples.max(1),
                    i % meta.samples.max(1)
                ),
            ));
        }
        Ok(PackedDataset {
            path: path.to_path_buf(),
            meta,
            records,
            signals,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn meta(&self) -> &PackMeta {
        &self.meta
    }
    pub fn records(&self) -> &[PackedRecord] {
        &self.records
    }
    pub fn len(&self) -> usize {
        self.records.len()
    }
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    /// One record, `[leads * samples]` row-major.
    pub fn signal(&self, i: usize) -> &[f32] {
        let per = self.meta.leads.len() * self.meta.samples;
        &self.signals[i * per..(i + 1) * per]
    }
}

/// Writes a pack atomically (for tests and small tools).
pub fn write_pack(
    path: &Path,
    meta: &PackMeta,
    records: &[PackedRecord],
    signals: &[f32],
) -> Result<(), TrainError> {
    let want = records.len() * meta.leads.len() * meta.samples;
    if signals.len() != want {
        return Err(bad(
            path,
            format!("{} signal values, expected {want}", signals.len()),
        ));
    }
    let meta_json = serde_json::to_string(meta).map_err(|e| bad(path, e.to_string()))?;
    let records_json = serde_json::to_string(records).map_err(|e| bad(path, e.to_string()))?;
    let header = json!({
        "__metadata__": {
            "format": FORMAT,
            "meta": meta_json,
            "records": records_json,
        },
        "signals": {
            "dtype": "F32",
            "shape": [records.len(), meta.leads.len(), meta.samples],
            "data_offsets": [0, want * 4],
        }
    });
    let mut h = serde_json::to_vec(&header).map_err(|e| bad(path, e.to_string()))?;
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + h.len() + want * 4);
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    for v in signals {
        out.extend_from_slice(&v.to_le_bytes());
    }
    crate::checkpoint::write_atomic(path, &out)
}
