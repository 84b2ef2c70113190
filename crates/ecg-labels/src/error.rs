//! The crate's one error type. Every variant names what it is about: the task, the record,
//! the label, the field.
use thiserror::Error;

/// Errors of label construction, statistics and calibration.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum LabelError {
    /// A task, vocabulary or selection ended up with no label (no class, or no record).
    #[error("empty label set: {what}")]
    EmptyLabelSet { what: String },
    /// A vocabulary lists the same name twice.
    #[error("vocabulary `{vocabulary}`: label `{name}` appears twice")]
    DuplicateLabel { vocabulary: String, name: String },
    /// A vocabulary holds an empty name.
    #[error("vocabulary `{vocabulary}`: empty label name at position {position}")]
    EmptyLabelName { vocabulary: String, position: usize },
    /// A record carries a label that is not in the vocabulary.
    #[error("record `{record}`: label `{label}` is not in vocabulary `{vocabulary}`")]
    UnknownLabel {
        record: String,
        label: String,
        vocabulary: String,
    },
    /// A CPSC2018 label number outside 1..=9.
    #[error("record `{record}`: CPSC2018 label {value} is outside 1..=9")]
    CpscLabel { record: String, value: i64 },
    /// A likelihood in `scp_codes` that is not a finite number.
    #[error("record `{record}`: scp code `{code}` has likelihood {value}, not a finite number")]
    BadLikelihood {
        record: String,
        code: String,
        value: f64,
    },
    /// A fold outside 1..=10.
    #[error("record `{record}`: fold {fold} is outside 1..=10")]
    BadFold { record: String, fold: u8 },
    /// The statement table lists the same code twice.
    #[error("scp_statements: code `{code}` appears twice")]
    DuplicateStatement { code: String },
    /// An unknown PTB-XL task name.
    #[error(
        "unknown PTB-XL task `{0}` (expected all, diagnostic, subdiagnostic, superdiagnostic, form, rhythm)"
    )]
    UnknownTask(String),
    /// An option outside its valid range.
    #[error("option `{option}` = {value}: {reason}")]
    BadOption {
        option: String,
        value: String,
        reason: String,
    },
    /// Arrays whose shapes do not agree.
    #[error("{what}: shape {got:?}, expected {expected}")]
    Shape {
        what: String,
        got: Vec<usize>,
        expected: String,
    },
    /// A value that must be 0 or 1 (multi-hot), a probability, or a finite correlation.
    #[error("{what}: value {value} at [{row}, {col}] {reason}")]
    BadValue {
        what: String,
        row: usize,
        col: usize,
        value: f64,
        reason: String,
    },
    /// An error from ecg-metrics while scoring a calibration.
    #[error("metrics: {0}")]
    Metrics(String),
}

/// `Result` with [`LabelError`].
pub type Result<T, E = LabelError> = std::result::Result<T, E>;
