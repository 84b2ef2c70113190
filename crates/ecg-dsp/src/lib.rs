//! ecg-dsp: see the crate description and docs/ARCHITECTURE.md.
