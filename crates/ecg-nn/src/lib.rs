//! ecg-nn: see the crate description and docs/ARCHITECTURE.md.
