//! The crate's one error type. Every variant names what was wrong and where (matrix, record,
//! label, file), so a caller can report it without extra context.
use std::path::PathBuf;

/// Errors from validating inputs or computing a metric.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A matrix has no records or no labels.
    #[error("{what} is empty ({records} records x {labels} labels)")]
    Empty {
        what: &'static str,
        records: usize,
        labels: usize,
    },
    /// Two inputs that must line up have different shapes.
    #[error("shape mismatch: {a} is {a_shape:?} but {b} is {b_shape:?}")]
    ShapeMismatch {
        a: &'static str,
        a_shape: Vec<usize>,
        b: &'static str,
        b_shape: Vec<usize>,
    },
    /// A score is NaN or infinite.
    #[error("{what}: score at record {record}, label {label} is {value} (scores must be finite)")]
    NonFiniteScore {
        what: &'static str,
        record: usize,
        label: usize,
        value: f64,
    },
    /// A label (or binary prediction) is neither 0 nor 1.
    #[error("{what}: value at record {record}, label {label} is {value} (must be 0 or 1)")]
    NotBinary {
        what: &'static str,
        record: usize,
        label: usize,
        value: String,
    },
    /// A threshold is NaN.
    #[error("threshold for label {label} is NaN")]
    NanThreshold { label: usize },
    /// A record has no positive label, so a per-record normalisation (Fmax recall, the
    /// CPSC 1/|labels| weight) is undefined.
    #[error("{metric}: record {record} has no positive label, so the metric is undefined")]
    RecordWithoutLabels { metric: &'static str, record: usize },
    /// A bootstrap index points past the data.
    #[error("bootstrap sample {sample}: index {index} is out of range for {records} records")]
    BootstrapIndex {
        sample: usize,
        index: i128,
        records: usize,
    },
    /// A bootstrap sample is empty.
    #[error("bootstrap sample {sample} is empty")]
    EmptyBootstrapSample { sample: usize },
    /// Resamples where every label has a positive cannot be drawn (or were not found).
    #[error("bootstrap: {reason}")]
    BootstrapImpossible { reason: String },
    /// A list of class names does not match the number of labels.
    #[error("{got} class names for {expected} labels")]
    ClassNames { got: usize, expected: usize },
    /// Two classes share a name.
    #[error("class name {name:?} appears twice (labels {first} and {second})")]
    DuplicateClassName {
        name: String,
        first: usize,
        second: usize,
    },
    /// A Challenge table or output file is malformed (`line` is 1-based).
    #[error("{file}, line {line}: {message}")]
    Table {
        file: String,
        line: usize,
        message: String,
    },
    /// The Challenge weights have no sinus rhythm class (426783006), the metric's normal class.
    #[error(
        "the weights have no sinus rhythm class (426783006), which the Challenge metric needs"
    )]
    NoSinusRhythm,
    /// A sample handed to the statistics of `paired` is unusable (non-finite value, lists
    /// of different lengths, a level outside (0, 1)).
    #[error("{what}: {reason}")]
    Sample { what: &'static str, reason: String },
    /// Reading a `.npy` file failed.
    #[error("{path}: {message}")]
    Npy { path: PathBuf, message: String },
}

/// Result alias for this crate.
pub type Result<T, E = MetricsError> = std::result::Result<T, E>;
