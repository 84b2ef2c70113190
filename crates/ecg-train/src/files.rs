//! Atomic file writes (temporary sibling + rename) and JSON reading: the leaf every module
//! that writes a run folder uses (checkpoints, optimizer state, metrics, profiles).
use crate::error::TrainError;
use serde::{de::DeserializeOwned, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use tch::nn;

/// `path` with `suffix` appended to its file name (`a.safetensors` + `.json`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// A temporary sibling of `path` (same folder, so the rename is atomic). Keeps the
/// extension, which decides the format of tch's writers.
pub fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".tmp-{}-{name}", std::process::id()))
}

/// Renames `tmp` onto `dst`.
pub fn rename(tmp: &Path, dst: &Path) -> Result<(), TrainError> {
    std::fs::rename(tmp, dst).map_err(|e| TrainError::io(dst, e))
}

/// Writes bytes atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, bytes).map_err(|e| TrainError::io(&tmp, e))?;
    rename(&tmp, path)
}

/// Writes pretty JSON atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), TrainError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| TrainError::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    write_atomic(path, text.as_bytes())
}

/// Reads JSON.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| TrainError::Json {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Saves a VarStore atomically.
pub fn save_vs(vs: &nn::VarStore, path: &Path) -> Result<(), TrainError> {
    let tmp = tmp_path(path);
    vs.save(&tmp)
        .map_err(|e| TrainError::torch(path, "saving", e))?;
    rename(&tmp, path)
}

/// Appends one JSON line to a `metrics.jsonl`.
pub fn append_line(path: &Path, line: &impl Serialize) -> Result<(), TrainError> {
    let text = serde_json::to_string(line).map_err(|e| TrainError::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| TrainError::io(path, e))?;
    writeln!(f, "{text}").map_err(|e| TrainError::io(path, e))
}
