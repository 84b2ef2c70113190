//! The crate's error type. Every variant names what it concerns (field, table, file, record).
use std::path::PathBuf;

/// Everything that can go wrong while planning, rendering or writing a synthetic dataset.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A configuration value out of range.
    #[error("synthetic dataset configuration: `{field}`: {msg}")]
    Config { field: &'static str, msg: String },
    /// An embedded table that does not parse (a build problem, reported, never a panic).
    #[error("embedded table `{table}`: {msg}")]
    Table { table: &'static str, msg: String },
    /// The operating system refused to create or write a file.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The WFDB writer of ecg-io refused a record.
    #[error("record {ecg_id} at {rate} Hz: {source}")]
    Wfdb {
        ecg_id: u32,
        rate: u32,
        #[source]
        source: ecg_io::IoError,
    },
    /// An ecg-io writer (MAT-5) refused a file.
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: ecg_io::IoError,
    },
}

impl SynthError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SynthError::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn table(table: &'static str, msg: impl Into<String>) -> Self {
        SynthError::Table {
            table,
            msg: msg.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = SynthError> = std::result::Result<T, E>;
