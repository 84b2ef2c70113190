//! ecg-io: everything between files on disk and in-memory signals.
//!
//! - [`ptbxl`]: PTB-XL's metadata types (the tables themselves are read with polars).
//! - [`pack`]: the packed dataset's record and metadata types.
//!
//! Invariant: no input from disk makes this crate panic; every error names the file and
//! the field.
pub mod pack;
pub mod ptbxl;
