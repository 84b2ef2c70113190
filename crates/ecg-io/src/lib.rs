//! ecg-io: everything between files on disk and in-memory signals.
//!
//! - [`error`]: [`IoError`], the crate's one error type (names file, record, lead, field).
//! - [`wfdb`]: WFDB header model/parser/writer, signal format codecs, record reader/writer.
//! - [`ptbxl`]: PTB-XL's metadata types (the tables themselves are read with polars).
//! - [`pack`]: the packed dataset's record and metadata types.
//!
//! Invariant: no input from disk makes this crate panic; every error names the file and
//! the field.
pub mod cpsc2018;
pub mod error;
pub mod fetch;
pub mod hefei;
pub mod mat;
pub mod pack;
pub mod ptbxl;
pub mod sha256sums;
pub mod wfdb;

pub use error::{IoError, Result};
