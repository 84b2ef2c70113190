//! WFDB records (PhysioNet's format): `.hea` header model, parser and writer, the byte
//! codecs of the signal formats, and record reading/writing.
//!
//! Physical value = (adc − baseline) / gain, as f32, shape [leads, samples]; the
//! invalid-sample marker of each format reads as NaN.
pub mod flac;
pub mod format;
pub mod header;
pub mod multi;
pub mod read;
pub mod write;

pub use format::Format;
pub use header::{hea_path, Header, SignalSpec, DEFAULT_FS, DEFAULT_GAIN};
pub use multi::{Layout, MultiHeader, SegmentSpec};
pub use read::{
    read_digital, read_record, read_record_range, to_physical, Digital, Record, SampleRange,
};
pub use write::{checksum, write_record};
