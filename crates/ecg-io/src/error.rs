//! The crate's one error type. Every variant names the file (and, where it applies, the
//! record, lead, line and field) so a user can find the problem without a debugger.
use std::path::PathBuf;

/// Everything that can go wrong between a file on disk and an in-memory signal.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The operating system refused (missing file, permission, ...).
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A header/table line that does not parse: `line` is 1-based (0 when not line-based).
    #[error("{path}:{line}: field `{field}`: {msg}")]
    Parse {
        path: PathBuf,
        line: usize,
        field: String,
        msg: String,
    },
    /// A file whose content contradicts its description (size, lead count, shape, ...).
    #[error("{path}: field `{field}`: {msg}")]
    Invalid {
        path: PathBuf,
        field: String,
        msg: String,
    },
    /// A signal whose 16-bit sample sum differs from the checksum in its header.
    #[error(
        "{path}: record `{record}`, lead {lead} (`{lead_name}`): checksum mismatch: header says \
         {expected}, the samples sum to {actual} (mod 65536)"
    )]
    Checksum {
        path: PathBuf,
        record: String,
        lead: usize,
        lead_name: String,
        expected: i64,
        actual: u16,
    },
    /// A file whose SHA-256 differs from the one its checksum list (`SHA256SUMS.txt`) expects.
    #[error("{path}: SHA-256 mismatch: expected {expected}, the file hashes to {actual}")]
    Sha256Mismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    /// A download that failed: unreachable host, HTTP error status, broken connection.
    #[error("{url}: {msg}")]
    Download { url: String, msg: String },
    /// Signal processing (resampling, band-pass) refused a record or a setting.
    #[error("{context}: {source}")]
    Dsp {
        context: String,
        #[source]
        source: ecg_dsp::DspError,
    },
    /// A valid file that uses a feature this crate does not implement.
    #[error("{path}: field `{field}`: unsupported: {msg}")]
    Unsupported {
        path: PathBuf,
        field: String,
        msg: String,
    },
}

impl IoError {
    /// Wrap an OS error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError::Io {
            path: path.into(),
            source,
        }
    }

    /// A content error naming file and field.
    pub fn invalid(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        msg: impl Into<String>,
    ) -> Self {
        IoError::Invalid {
            path: path.into(),
            field: field.into(),
            msg: msg.into(),
        }
    }

    /// A parse error naming file, 1-based line and field.
    pub fn parse(
        path: impl Into<PathBuf>,
        line: usize,
        field: impl Into<String>,
        msg: impl Into<String>,
    ) -> Self {
        IoError::Parse {
            path: path.into(),
            line,
            field: field.into(),
            msg: msg.into(),
        }
    }

    /// An unsupported-feature error naming file and field.
    pub fn unsupported(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        msg: impl Into<String>,
    ) -> Self {
        IoError::Unsupported {
            path: path.into(),
            field: field.into(),
            msg: msg.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = IoError> = std::result::Result<T, E>;
