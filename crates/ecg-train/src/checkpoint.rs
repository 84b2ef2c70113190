//! Run-folder files: the preprocessing sidecar (`<ckpt>.train.json`) that lets
//! eval/predict rebuild the whole input pipeline from a checkpoint alone, the resume state
//! (`checkpoint-last.state.json`) and the world record. Atomic writes are [`crate::files`]'s.
use crate::config::{InputMode, StandardizeMode, TrainConfig};
use crate::error::TrainError;
pub use crate::files::{read_json, rename, tmp_path, with_suffix, write_atomic, write_json};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Writes the files of one checkpoint as a whole: `write` puts them into a staging folder
/// (`<root>/.staging-<name>`, the same file names as in `root`), then each is renamed into
/// `root`, the resume state (`*.state.json`) last. When a write fails (a full disk:
/// ENOSPC, a file-size limit: EFBIG), the staging folder is removed and `root` still holds
/// the previous checkpoint, whole; the error says so and names the file.
pub fn write_together(
    root: &Path,
    name: &str,
    write: impl FnOnce(&RunDir) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let staging = root.join(format!(".staging-{name}"));
    if staging.exists() {
        // Left by a process killed while writing: never renamed, so never read.
        std::fs::remove_dir_all(&staging).map_err(|e| TrainError::io(&staging, e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| TrainError::io(&staging, e))?;
    let written = write(&RunDir::new(&staging)).and_then(|()| staged_files(&staging));
    let files = match written {
        Ok(files) => files,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(TrainError::CheckpointWrite {
                dir: root.to_path_buf(),
                what: name.to_string(),
                cause: Box::new(e),
            });
        }
    };
    for f in &files {
        rename(&staging.join(f), &root.join(f))?;
    }
    std::fs::remove_dir(&staging).map_err(|e| TrainError::io(&staging, e))
}

/// The files of a staging folder, the resume state last.
fn staged_files(dir: &Path) -> Result<Vec<std::ffi::OsString>, TrainError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| TrainError::io(dir, e))? {
        names.push(entry.map_err(|e| TrainError::io(dir, e))?.file_name());
    }
    names.sort_by_key(|n| (n.to_string_lossy().ends_with(".state.json"), n.clone()));
    Ok(names)
}

/// Whether a training command continues the run in its output folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Resume {
    /// Start a run; a folder that already holds one is refused.
    #[default]
    No,
    /// Continue the run in the folder (`--resume`); a folder without one is refused.
    Yes,
    /// Continue the run in the folder if it holds one, else start it (`--resume auto`):
    /// one command line for the first start and every restart.
    Auto,
}

impl From<bool> for Resume {
    fn from(resume: bool) -> Resume {
        if resume {
            Resume::Yes
        } else {
            Resume::No
        }
    }
}

impl Resume {
    /// Whether to continue the run in `run` (for `Auto`: whether it holds a saved state).
    pub fn continues(self, run: &RunDir) -> bool {
        match self {
            Resume::No => false,
            Resume::Yes => true,
            Resume::Auto => run.state().is_file(),
        }
    }
}

/// Standardisation parameters fitted on the training folds: one (mean, std) per input
/// lead (all equal for the global mode; 0/1 for none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub mode: StandardizeMode,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardizer {
    /// The same parameters up to the last bits of an f64 that went through JSON (serde_json's
    /// default parser may be 1 ULP off); `apply` works in f32, so such a difference is moot.
    pub fn same_as(&self, other: &Standardizer) -> bool {
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1e-300))
        };
        self.mode == other.mode && close(&self.mean, &other.mean) && close(&self.std, &other.std)
    }

    /// Applies `(x − mean) / std` lead by lead to one record `[leads * samples]`.
    pub fn apply(&self, x: &mut [f32], samples: usize) {
        for (l, row) in x.chunks_mut(samples).enumerate() {
            let (m, s) = (self.mean[l] as f32, self.std[l] as f32);
            for v in row {
                *v = (*v - m) / s;
            }
        }
    }
}

/// Everything needed to turn a raw record into network input and outputs into labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// `ecg_nn` preset used.
    pub preset: String,
    pub task: String,
    pub min_likelihood: f64,
    /// Output order of the network.
    pub class_names: Vec<String>,
    /// Input lead names, in row order.
    pub leads: Vec<String>,
    /// Sampling rate (Hz) the network expects.
    pub rate: u32,
    /// Samples per record in the pack (the length `whole` mode expects).
    pub record_samples: usize,
    pub input: InputMode,
    pub standardizer: Standardizer,
    /// The pack's dataset name and preprocessing description (band-pass etc.).
    pub dataset: String,
    pub pack_preprocessing: String,
    /// The pack's band-pass, replayed by `ecg predict` on new records. Absent in sidecars
    /// written before it existed (predict then refuses a filtered pack's model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack_bandpass: Option<ecg_io::pack::Bandpass>,
}

/// Where a run stands, written beside `checkpoint-last` after every epoch. The default is a
/// run that has not started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Epochs fully done (the next epoch to run is this value).
    pub epochs_done: usize,
    /// Optimizer steps done within the epoch `epochs_done` (non-zero after a mid-epoch stop).
    pub steps_into_epoch: usize,
    pub global_step: usize,
    pub best_val_auc: Option<f64>,
    pub best_epoch: Option<usize>,
    pub epochs_since_best: usize,
    /// Whether early stopping or the last epoch ended the run.
    pub finished: bool,
    /// The running sums of the epoch a stop interrupted (a step checkpoint, a signal), so
    /// that its `metrics.jsonl` line still covers the whole epoch after the resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_sums: Option<EpochSums>,
}

/// Running sums of one epoch (losses summed over its steps, each the mean over the ranks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochSums {
    pub loss: f64,
    pub task: f64,
    pub kd: f64,
    pub feature: f64,
    pub clt: f64,
    pub steps: usize,
    pub records: usize,
    pub lr: f64,
    pub sync_seconds: f64,
    /// Seconds spent in the epoch by earlier invocations (before a resume).
    pub seconds: f64,
}

/// Paths of a run folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub root: PathBuf,
}

impl RunDir {
    pub fn new(root: &Path) -> RunDir {
        RunDir {
            root: root.to_path_buf(),
        }
    }
    pub fn config(&self) -> PathBuf {
        self.root.join("config.toml")
    }
    pub fn best(&self) -> PathBuf {
        self.root.join("checkpoint-best.safetensors")
    }
    pub fn last(&self) -> PathBuf {
        self.root.join("checkpoint-last.safetensors")
    }
    pub fn optimizer(&self) -> PathBuf {
        self.root.join("checkpoint-last.optim.safetensors")
    }
    pub fn adaptor(&self) -> PathBuf {
        self.root.join("checkpoint-last.adaptor.safetensors")
    }
    pub fn state(&self) -> PathBuf {
        self.root.join("checkpoint-last.state.json")
    }
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }
    /// World size and backend of every stretch of the run ([`WorldRecord`]).
    pub fn world(&self) -> PathBuf {
        self.root.join("distributed.json")
    }
    /// The `.train.json` sidecar of a checkpoint.
    pub fn preprocessing_of(ckpt: &Path) -> PathBuf {
        with_suffix(ckpt, ".train.json")
    }

    /// Writes the config as used.
    pub fn write_config(&self, cfg: &TrainConfig) -> Result<(), TrainError> {
        write_atomic(&self.config(), cfg.to_toml()?.as_bytes())
    }
}

/// The processes a run was trained by (`distributed.json`), written by rank 0 at the start
/// of every invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldRecord {
    /// World size of the latest stretch.
    pub world_size: usize,
    /// Backend of the latest stretch: `single` (one process), `gloo` or `nccl`.
    pub backend: String,
    /// False once the run continued with another world size: its weights are then not
    /// bitwise those of an uninterrupted run (the reduction order changed).
    pub bit_exact: bool,
    /// Every stretch, with the global step it started at.
    pub segments: Vec<WorldSegment>,
}

/// One stretch of a run at one world size and backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldSegment {
    pub from_step: usize,
    pub world_size: usize,
    pub backend: String,
}

impl WorldRecord {
    /// The record after an invocation with `world_size`/`backend` starting at `step`: a new
    /// run, or the continuation of `previous` (a run folder without the file was trained by
    /// one process).
    pub fn next(
        previous: Option<WorldRecord>,
        world_size: usize,
        backend: &str,
        step: usize,
    ) -> WorldRecord {
        let seg = WorldSegment {
            from_step: step,
            world_size,
            backend: backend.to_string(),
        };
        let mut rec = previous.unwrap_or_else(|| WorldRecord {
            world_size: 1,
            backend: "single".into(),
            bit_exact: true,
            segments: Vec::new(),
        });
        if rec.segments.is_empty() || rec.world_size != world_size || rec.backend != backend {
            rec.segments.push(seg);
        }
        rec.bit_exact &= rec.world_size == world_size || step == 0;
        rec.world_size = world_size;
        rec.backend = backend.to_string();
        rec
    }
}

/// Reads a checkpoint's preprocessing sidecar, with an error naming it when missing.
pub fn read_preprocessing(ckpt: &Path) -> Result<Preprocessing, TrainError> {
    let p = RunDir::preprocessing_of(ckpt);
    if !p.is_file() {
        return Err(TrainError::Checkpoint {
            path: ckpt.to_path_buf(),
            msg: format!(
                "no preprocessing sidecar {} (was it written by `ecg train`?)",
                p.display()
            ),
        });
    }
    read_json(&p)
}

#[cfg(test)]
mod standardizer_tests {
    use super::*;

    #[test]
    fn same_as_tolerates_json_ulps_but_not_real_differences() {
        let a = Standardizer {
            mode: StandardizeMode::Global,
            mean: vec![-0.0003689294739725952],
            std: vec![0.22539316948387864],
        };
        let mut b = a.clone();
        b.mean[0] = -0.00036892947397259516;
        assert!(a.same_as(&b));
        b.mean[0] = -0.00036893;
        assert!(!a.same_as(&b));
        let c = Standardizer {
            mode: StandardizeMode::PerLead,
            ..a.clone()
        };
        assert!(!a.same_as(&c));
    }
}
