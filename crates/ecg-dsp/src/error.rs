//! The crate's one error type.

/// Every way an ecg-dsp function can refuse its input.
///
/// Messages name the offending value (and lead/sample where one applies) so a caller can
/// wrap them with the file and record they came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DspError {
    /// Butterworth order 0 (scipy: "Filter order must be a nonnegative integer" / empty filter).
    #[error("filter order must be at least 1, got 0")]
    ZeroOrder,
    /// The sampling rate is not a finite positive number.
    #[error("sampling rate must be finite and > 0 Hz, got {0}")]
    InvalidSamplingRate(f64),
    /// A critical frequency is not strictly inside (0, fs/2).
    #[error("critical frequency {freq} Hz must be inside (0, fs/2) = (0, {nyquist}) Hz")]
    FrequencyOutOfRange { freq: f64, nyquist: f64 },
    /// Band-pass edges not strictly increasing.
    #[error("band-pass edges must satisfy low < high, got low = {low} Hz, high = {high} Hz")]
    BandEdgesNotIncreasing { low: f64, high: f64 },
    /// No second-order section given.
    #[error("second-order-section array is empty")]
    EmptySos,
    /// A section does not have a0 == 1 or has a non-finite coefficient.
    #[error("second-order section {section} is invalid: {reason}")]
    InvalidSos {
        section: usize,
        reason: &'static str,
    },
    /// A NaN or infinity in an input signal.
    #[error("non-finite value {value} in the signal at sample {index}")]
    NonFinite { index: usize, value: f64 },
    /// The signal is not longer than the zero-phase filter's edge padding (scipy raises too).
    #[error(
        "signal of {len} samples is too short for zero-phase filtering: it must be longer than padlen = {padlen}"
    )]
    TooShort { len: usize, padlen: usize },
    /// A flat `[leads, samples]` buffer whose length is not `leads * samples`.
    #[error("buffer of {len} values is not a whole number of leads of {samples} samples")]
    Shape { len: usize, samples: usize },
    /// An error inside one lead of a multi-lead call.
    #[error("lead {lead}: {source}")]
    InLead {
        lead: usize,
        #[source]
        source: Box<DspError>,
    },
    /// Resampling factors must be >= 1.
    #[error("resampling factors must be >= 1, got up = {up}, down = {down}")]
    InvalidResampleFactors { up: usize, down: usize },
    /// An empty signal where at least one sample is needed.
    #[error("empty signal: {0}")]
    Empty(&'static str),
    /// An invalid parameter (range, length, probability, ...).
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
}

impl DspError {
    /// Wrap `self` as having happened in lead `lead`.
    pub fn in_lead(self, lead: usize) -> Self {
        DspError::InLead {
            lead,
            source: Box::new(self),
        }
    }
}
