//! ecg-io: everything between files on disk and in-memory signals.
//!
//! - [`error`]: [`IoError`], the crate's one error type (names file, record, lead, field).
//! - [`wfdb`]: WFDB header model/parser/writer, signal format codecs, record reader/writer.
//! - [`ptbxl`]: PTB-XL's metadata types (the tables themselves are read with polars).
//! - [`npy`]: a minimal float32 `.npy` writer.
//! - [`folds`]: patient-wise stratified folds (PTB-XL's scheme), for packers and ecg-synth.
//! - [`manifest`]: a user's own WFDB records listed in a CSV manifest.
//! - [`leads`]: lead names in one normal form (`aVR` = `AVR`), picking leads by name.
//! - [`pack`]: the packed dataset file: types, the streaming `PackWriter`, memory-mapped
//!   `PackedDataset`.
//! - [`packer`]: streaming packs from PTB-XL / CPSC2018 / a user's manifest in parallel,
//!   with the one preprocessing (`Prep`: resample, band-pass) `ecg predict` replays.
//!
//! Invariant: no input from disk makes this crate panic; every error names the file and
//! the field.
pub mod cinc2021;
pub mod cpsc2018;
pub mod error;
pub mod fetch;
pub mod folds;
pub mod hefei;
pub mod leads;
#[cfg(feature = "polars")]
pub mod manifest;
pub mod mat;
pub mod npy;
pub mod pack;
pub mod packer;
pub mod predict;
pub mod ptbxl;
pub mod sha256sums;
pub mod wfdb;

pub use error::{IoError, Result};
