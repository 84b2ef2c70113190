//! ecg-dsp: signal processing for ECG pipelines, numerically matching scipy.signal.
//!
//! Code map:
//! - [`filter`]: Butterworth design as second-order sections (`butter`), causal and
//!   zero-phase filtering (`sosfilt`, `sosfiltfilt`).
//! - [`resample`]: rational resampling (`resample_poly`, Kaiser-window `firwin`).
//! - [`error`]: [`DspError`], the one error type.
//!
//! Invariants:
//! - Multi-lead signals are row-major `[leads, samples]` `&[f32]` buffers plus `samples`.
//! - Public functions take and return f32; all arithmetic is f64.
//! - Nothing panics on data: NaN/inf samples, too-short signals, bad parameters → [`DspError`].

pub mod error;
pub mod filter;
mod numeric;
pub mod resample;

pub use error::DspError;
