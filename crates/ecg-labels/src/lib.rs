//! ecg-labels: see the crate description and docs/ARCHITECTURE.md.
