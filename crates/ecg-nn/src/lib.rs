//! ecg-nn: tch networks for multi-label ECG classification (METHODS §4).
//!
//! # Code map
//! - [`spec`]: [`ModelSpec`] (serialisable: preset, classes, lead subset, input length,
//!   [`ArchConfig`]), the named presets ([`PRESETS`]), validation and the analytic summary.
//! - [`summary`]: [`LayerSummary`] rows and the cost formulas (parameters, FLOPs, lengths).
//! - [`net`]: the [`EcgNet`] trait, [`NetOutput`] (logits + backbone features + head input)
//!   and the [`build`] factory.
//! - [`checkpoint`]: safetensors weights + JSON sidecar, atomic save, strict load.
//! - [`export`]: ONNX export from a spec and its checkpoint's safetensors (no libtorch
//!   involved): one function per layer writing its ONNX nodes.
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
//! Produced by `cargo run -p ecg-nn --example presets`. The teacher's widths (16/32/64,
//! hidden 128, one decoder layer) are chosen so that a CPU epoch over ~17k 12×250 records
//! takes minutes; `student` ≈ 0.61×, `student-tiny` and `se_resnet1d` ≤ 0.1× (asserted in
//! tests/structure.rs).
//!
//! | preset | params | MFLOPs @250 | MFLOPs @1000 | MFLOPs @5000 |
//! |---|---|---|---|---|
//! | teacher | 371316 (1.000× teacher) | 61.0 | 226.3 | 1108.1 |
//! | teacher-backbone | 201524 (0.543× teacher) | 54.7 | 218.9 | 1094.4 |
//! | teacher-embedding | 238836 (0.643× teacher) | 55.6 | 220.9 | 1102.7 |
//! | teacher-decoder | 338164 (0.911× teacher) | 60.5 | 225.8 | 1107.6 |
//! | student | 226768 (0.611× teacher) | 34.2 | 127.5 | 624.7 |
//! | student-tiny | 20769 (0.056× teacher) | 3.5 | 13.4 | 66.5 |
//! | se_resnet1d | 15985 (0.043× teacher) | 3.7 | 14.7 | 73.3 |
//! | xresnet1d101 | 1872261 (5.042× teacher) | 82.3 | 324.3 | 1615.0 |
//! | resnet1d_wang | 473349 (1.275× teacher) | 126.4 | 504.9 | 2524.2 |
//! | inception1d | 507653 (1.367× teacher) | 235.7 | 942.7 | 4713.0 |
//! | fcn_wang | 309765 (0.834× teacher) | 136.7 | 548.4 | 2743.8 |
pub mod checkpoint;
pub mod error;
pub mod export;
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
