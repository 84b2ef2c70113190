//! ecg-dsp: signal processing for ECG pipelines, numerically matching scipy.signal.
//!
//! Code map:
//! - [`filter`]: Butterworth design as second-order sections (`butter`), causal and
//!   zero-phase filtering (`sosfilt`, `sosfiltfilt`).
//! - [`resample`]: rational resampling (`resample_poly`, Kaiser-window `firwin`).
//! - [`standardize`]: global / per-lead z-score, fit on training data → [`standardize::Standardizer`].
//! - [`window`]: crops, pad, random crops, benchmark sliding windows, max/mean aggregation.
//! - [`augment`]: seeded noise, amplitude scaling, baseline wander, time-out, random resized crop.
//! - [`error`]: [`DspError`], the one error type.
//!
//! Invariants:
//! - Multi-lead signals are row-major `[leads, samples]` `&[f32]` buffers plus `samples`.
//! - Public functions take and return f32; all arithmetic is f64.
//! - scipy agreement (tests/golden_scipy.rs, golden files from scripts/golden/dsp_filters.py
//!   on real PTB-XL records): `butter` sos to 1e-12 (observed ~1e-15), `sosfilt`,
//!   `sosfiltfilt`, `resample_poly` to 1e-6 relative through the f32 API and 1e-9 through the
//!   `_f64` variants; design and filtering follow scipy's operation order step by step.
//! - Randomness only through a caller-supplied `rand::Rng` (seed a `rand_chacha` generator).
//! - Nothing panics on data: NaN/inf samples, too-short signals, bad parameters → [`DspError`].

pub mod augment;
pub mod error;
pub mod filter;
mod numeric;
pub mod resample;
pub mod standardize;
pub mod window;

pub use error::DspError;
