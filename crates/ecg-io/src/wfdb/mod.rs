//! WFDB records (PhysioNet's format): `.hea` header model, parser and writer, the byte
//! codecs of the signal formats, and record reading/writing.
//!
//! Physical value = (adc − baseline) / gain, as f32, shape [leads, samples]; the
//! invalid-sample marker of each format reads as NaN.
pub mod format;
pub mod header;
pub mod read;
pub mod write;

pub use format::Format;
pub use header::{hea_path, Header, SignalSpec, DEFAULT_FS, DEFAULT_GAIN};
pub use read::{read_digital, read_record, to_physical, Digital, Record};
pub use write::{checksum, write_record};
