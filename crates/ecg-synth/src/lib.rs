//! ecg-synth: see the crate description and docs/ARCHITECTURE.md.
