//! Butterworth IIR design and filtering, numerically matching scipy.signal.
//!
//! - [`butter_sos`]: `butter(order, edges, btype, output='sos', fs=fs)`.
//! - [`sosfilt`]: causal `sosfilt(sos, x)` (zero initial state).
//! - [`sosfiltfilt`]: zero-phase `sosfiltfilt(sos, x)` with scipy's default odd padding.
//! - [`sosfiltfilt_leads`]: the same over every lead of a `[leads, samples]` buffer.
//!
//! Sections are `[b0, b1, b2, a0, a1, a2]` with `a0 == 1`. Signals are f32 at the API and
//! f64 inside; the `_f64` variants skip the conversion (golden tests use them).

mod apply;
mod cplx;
mod design;
mod sos;

pub use apply::{
    sosfilt, sosfilt_f64, sosfilt_zi, sosfiltfilt, sosfiltfilt_f64, sosfiltfilt_leads,
    sosfiltfilt_padlen,
};
pub use design::{butter_sos, Band};
