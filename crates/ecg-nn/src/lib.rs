//! ecg-nn: tch networks for multi-label ECG classification (METHODS §4).
//!
//! # Code map
//! - [`spec`]: [`ModelSpec`] (serialisable: preset, classes, lead subset, input length,
//!   [`ArchConfig`]), the named presets ([`PRESETS`]), validation and the analytic summary.
//! - [`summary`]: [`LayerSummary`] rows and the cost formulas (parameters, FLOPs, lengths).
//! - [`net`]: the [`EcgNet`] trait, [`NetOutput`] (logits + backbone features + head input)
//!   and the [`build`] factory.
//! - [`checkpoint`]: safetensors weights + JSON sidecar, atomic save, strict load.
//! - [`layers`]: conv + BN, squeeze-and-excitation, concat-pool / group-FC heads.
//! - [`models`]: one module per family — `label_corr` (teacher, ablations, students),
//!   `se_resnet1d`, and the PTB-XL benchmark baselines `xresnet1d`, `resnet1d_wang`,
//!   `inception1d`, `fcn_wang`.
//!
//! # Invariants
//! - Input `[batch, leads, samples]` float32; `leads` may be any subset of the 12 standard
//!   leads (`ModelSpec::leads`). A length a network cannot take is rejected by
//!   [`ModelSpec::preset`] / [`ModelSpec::validate`] / [`build`] with
//!   [`NnError::LengthNotSupported`] naming the layer and the shortest length that works.
//! - The label-correlation family (except `teacher-backbone`) has a projection whose input
//!   width is `leads × T'`, so it takes exactly `input_len` samples; the others take any
//!   supported length.
//! - Parameter names are `nn::Path` names (`backbone.block_a1.conv2.conv.weight`, ...), stable
//!   across versions; the co-occurrence matrix E is the buffer `embed.cooccurrence`, saved with
//!   the weights.
//! - `ModelSpec::params_and_flops` is analytic; tests check the parameter count against the
//!   VarStore for every preset. FLOPs = 2 × multiply-adds of convs, linears, attention and SE.
//!
//! # Presets (K = 5 classes, 12 leads, 250 samples = 100 Hz 2.5 s crops)
//! | preset | params | MFLOPs/record |
//! |---|---|---|
//! PRESET_TABLE
pub mod checkpoint;
pub mod error;
pub mod layers;
pub mod models;
pub mod net;
pub mod spec;
pub mod summary;

pub use error::NnError;
pub use models::label_corr::Variant;
pub use net::{build, EcgNet, NetOutput};
pub use spec::{ArchConfig, ModelSpec, LEAD_NAMES, PRESETS};
pub use summary::LayerSummary;
