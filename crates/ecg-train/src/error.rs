//! Typed errors of ecg-train; each names the file, key or record involved.
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A config that does not parse, has an unknown key, a wrong type or a bad value.
    #[error("config {path}: {msg}")]
    Config { path: PathBuf, msg: String },
    #[error("checkpoint {path}: {msg}")]
    Checkpoint { path: PathBuf, msg: String },
    #[error("{path}: {what}: {source}")]
    Torch {
        path: PathBuf,
        what: String,
        #[source]
        source: tch::TchError,
    },
    /// A checkpoint could not be written whole (full disk, file-size limit, …); the
    /// previous one was left in place.
    /// (`cause` is shown in the message, not chained, so that it is read once.)
    #[error("writing {what} into {dir} failed; the previous {what} there is intact: {cause}")]
    CheckpointWrite {
        dir: PathBuf,
        what: String,
        cause: Box<TrainError>,
    },
    #[error("data: {0}")]
    Data(String),
    #[error("device: {0}")]
    Device(String),
    /// The loss became NaN or infinite.
    #[error("non-finite loss {value} at epoch {epoch}, step {step} (batch {batch}); lower the learning rate or check the inputs")]
    NonFinite {
        value: f64,
        epoch: usize,
        step: usize,
        batch: usize,
    },
    #[error(transparent)]
    Nn(#[from] ecg_nn::NnError),
    #[error(transparent)]
    Pack(#[from] ecg_io::IoError),
    #[error("json {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A collective operation failed: another rank died, hung past the timeout, or the
    /// group could not form. `msg` says what this rank was doing and c10d's error (which
    /// names the rank).
    #[error("data-parallel rank {rank} of {world}: {msg}")]
    Distributed {
        rank: usize,
        world: usize,
        msg: String,
    },
    #[error("{0}")]
    Other(String),
}

impl TrainError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub fn torch(path: &Path, what: &str, source: tch::TchError) -> Self {
        TrainError::Torch {
            path: path.to_path_buf(),
            what: what.to_string(),
            source,
        }
    }
    pub fn config(path: &Path, msg: impl Into<String>) -> Self {
        TrainError::Config {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
}
