//! ecg-train: see the crate description and docs/ARCHITECTURE.md.
