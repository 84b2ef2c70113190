//! ecg-metrics: see the crate description and docs/ARCHITECTURE.md.
