//! Writing a pack by streaming. Everything the safetensors header needs (shapes, metadata,
//! the record list) is known before any signal is read, so the header is written first,
//! then each record's signal in record order, then the record list. Memory is one record
//! plus whatever the caller queues, whatever the dataset size.
//!
//! Atomic: the bytes go to a hidden temporary file beside the target (`.NAME.tmp-PID`),
//! which is flushed, fsynced and renamed over the target only by [`PackWriter::finish`]
//! after the last record. A writer dropped early (an error, a panic) removes its temporary
//! file; a killed process leaves only that hidden, incomplete file, which
//! [`super::PackedDataset::open`] refuses (its size contradicts its header).
use super::{PackMeta, PackedRecord, FORMAT};
use crate::error::{IoError, Result};
use safetensors::tensor::{Dtype, Metadata, TensorInfo};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Streams one pack to disk: [`create`](Self::create), one [`push`](Self::push) per record
/// in the order of `records`, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct PackWriter {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    ids: Vec<String>,
    records_json: Vec<u8>,
    samples: usize,
    stride: usize,
    written: usize,
    /// Set once the file is renamed into place.
    done: bool,
}

/// The hidden temporary file a pack is written to before it is renamed into place.
pub fn temp_path(path: &Path) -> Result<PathBuf> {
    let file_name = path
        .file_name()
        .and_then(|f| f.to_str())
        .ok_or_else(|| IoError::invalid(path, "path", "no file name"))?;
    Ok(path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id())))
}

/// The safetensors header: `signals` F32 [records, leads, samples] at offset 0, then the
/// record list as UTF-8 JSON in a U8 tensor `records`; `format` and `meta` as metadata.
/// Padded with spaces to a multiple of 8 bytes (as safetensors itself writes), so the
/// signal bytes are aligned in a memory map.
fn header(path: &Path, meta: &PackMeta, n: usize, records_len: usize) -> Result<Vec<u8>> {
    let shape = vec![n, meta.leads.len(), meta.samples];
    let sig_bytes = shape
        .iter()
        .try_fold(4usize, |a, &b| a.checked_mul(b))
        .ok_or_else(|| IoError::invalid(path, "signals", format!("shape {shape:?} overflows")))?;
    let mut kv = HashMap::new();
    kv.insert("format".to_string(), FORMAT.to_string());
    let meta_json =
        serde_json::to_string(meta).map_err(|e| IoError::invalid(path, "meta", e.to_string()))?;
    kv.insert("meta".to_string(), meta_json);
    let tensors = vec![
        (
            "signals".to_string(),
            TensorInfo {
                dtype: Dtype::F32,
                shape,
                data_offsets: (0, sig_bytes),
            },
        ),
        (
            "records".to_string(),
            TensorInfo {
                dtype: Dtype::U8,
                shape: vec![records_len],
                data_offsets: (sig_bytes, sig_bytes + records_len),
            },
        ),
    ];
    let md = Metadata::new(Some(kv), tensors)
        .map_err(|e| IoError::invalid(path, "header", e.to_string()))?;
    let mut json =
        serde_json::to_vec(&md).map_err(|e| IoError::invalid(path, "header", e.to_string()))?;
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json);
    Ok(out)
}

impl PackWriter {
    /// Starts a pack at `path` (written to a temporary file until [`finish`](Self::finish)).
    /// Checks every fold is 1..=10 before writing anything.
    pub fn create(path: &Path, meta: &PackMeta, records: &[PackedRecord]) -> Result<Self> {
        if let Some(r) = records.iter().find(|r| !(1..=10).contains(&r.fold)) {
            return Err(IoError::invalid(
                path,
                "fold",
                format!("record `{}`: fold {} is not in 1..=10", r.id, r.fold),
            ));
        }
        let records_json = serde_json::to_vec(records)
            .map_err(|e| IoError::invalid(path, "records", e.to_string()))?;
        let head = header(path, meta, records.len(), records_json.len())?;
        let tmp = temp_path(path)?;
        let file = File::create(&tmp).map_err(|e| IoError::io(&tmp, e))?;
        let mut w = PackWriter {
            path: path.to_path_buf(),
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            tmp,
            ids: records.iter().map(|r| r.id.clone()).collect(),
            records_json,
            samples: meta.samples,
            stride: meta.leads.len() * meta.samples,
            written: 0,
            done: false,
        };
        w.write(&head)?;
        Ok(w)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| IoError::invalid(&self.tmp, "write", "writer already finished"))?;
        out.write_all(bytes).map_err(|e| IoError::io(&self.tmp, e))
    }

    /// Records written so far.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Appends the next record's signal // [leads * samples], row-major. Refuses a wrong
    /// length, a non-finite value (naming record, lead and sample) and a record too many.
    pub fn push(&mut self, signal: &[f32]) -> Result<()> {
        let Some(id) = self.ids.get(self.written) else {
            return Err(IoError::invalid(
                &self.path,
                "signals",
                format!("more signals than the {} records listed", self.ids.len()),
            ));
        };
        if signal.len() != self.stride {
            return Err(IoError::invalid(
                &self.path,
                "signals",
                format!(
                    "record `{id}`: {} values, expected leads × samples = {}",
                    signal.len(),
                    self.stride
                ),
            ));
        }
        if let Some(i) = signal.iter().position(|v| !v.is_finite()) {
            let s = self.samples.max(1);
            return Err(IoError::invalid(
                &self.path,
                "signals",
                format!(
                    "record `{id}`, lead {}, sample {}: non-finite value {}",
                    i / s,
                    i % s,
                    signal[i]
                ),
            ));
        }
        self.write(bytemuck::cast_slice(signal))?;
        self.written += 1;
        Ok(())
    }

    /// Writes the record list, flushes, fsyncs and renames the file into place. Refuses a
    /// pack with fewer signals than records (and leaves nothing behind).
    pub fn finish(mut self) -> Result<()> {
        if self.written != self.ids.len() {
            return Err(IoError::invalid(
                &self.path,
                "signals",
                format!(
                    "{} of {} records written; the pack is incomplete and was not kept",
                    self.written,
                    self.ids.len()
                ),
            ));
        }
        let json = std::mem::take(&mut self.records_json);
        self.write(&json)?;
        let out = self
            .out
            .take()
            .ok_or_else(|| IoError::invalid(&self.tmp, "write", "writer already finished"))?;
        let file = out
            .into_inner()
            .map_err(|e| IoError::io(&self.tmp, e.into_error()))?;
        file.sync_all().map_err(|e| IoError::io(&self.tmp, e))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| IoError::io(&self.path, e))?;
        // The rename is durable once the directory is synced (best effort: not every
        // platform can open a directory).
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for PackWriter {
    fn drop(&mut self) {
        // Not finished (an error or a panic on the way): leave nothing behind.
        if !self.done {
            drop(self.out.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
