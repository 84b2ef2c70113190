//! ecg-io: everything between files on disk and in-memory signals.
//!
//! - [`error`]: [`IoError`], the crate's one error type (names file, record, lead, field).
//! - [`wfdb`]: WFDB header model/parser/writer, signal format codecs, record reader/writer.
//! - [`ptbxl`]: PTB-XL's metadata types (the tables themselves are read with polars).
//! - [`npy`]: a minimal float32 `.npy` writer.
//! - [`pack`]: the packed dataset file: types, `write_pack`, memory-mapped `PackedDataset`.
//! - [`packer`]: building packs from PTB-XL / CPSC2018 in parallel with caller preprocessing.
//!
//! Invariant: no input from disk makes this crate panic; every error names the file and
//! the field.
pub mod cpsc2018;
pub mod error;
pub mod fetch;
pub mod folds;
pub mod hefei;
pub mod mat;
pub mod npy;
pub mod pack;
pub mod packer;
pub mod ptbxl;
pub mod sha256sums;
pub mod wfdb;

pub use error::{IoError, Result};
