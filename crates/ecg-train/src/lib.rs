//! # ecg-train
//!
//! The learning side of the toolkit: data pipeline over a packed dataset, losses,
//! AdamW + schedules, the trainer (plain training and knowledge distillation),
//! evaluation with validation-fitted thresholds and label-correlation calibration, and
//! prediction on WFDB records. Driven by a TOML [`config::TrainConfig`].
//!
//! ## Code map
//! - [`config`]: the TOML config (`deny_unknown_fields` everywhere; paths relative to the
//!   config file).
//! - [`loss`]: BCE, ASL, binary KL with temperature, the full KD loss (METHODS §5).
//! - [`optim`]: AdamW over named trainable variables (clipping + libtorch's fused AdamW
//!   kernel, a sticky non-finite flag, all on the device), state saved/loaded by name.
//! - [`steplog`]: each step's loss parts, non-finite and control flags, accumulated on the
//!   device and read every `train.log_every` steps.
//! - [`profile`]: `--profile-steps A:B` through libtorch's profiler; `summary.json`.
//! - [`shim`]: the calls into the C++ shims (optimizer kernels, profiler).
//! - [`schedule`]: one-cycle, cosine with warm-up, constant — pure functions of the step.
//! - [`data`]: task + leads + standardiser over a memory-mapped pack; training batches
//!   built on worker threads; evaluation windows.
//! - [`augment`]: amplitude scale, Gaussian noise, time-out on training crops.
//! - [`labels`]: the bridge to ecg-labels (task of a pack, E and C on the training split).
//! - [`score`]: windows → network → sigmoid → max/mean aggregation per record.
//! - [`distill`]: the frozen teacher, adaptor and CLT, and the forward pass of one
//!   (distillation) training step.
//! - [`trainer`]: the loop ([`trainer::Trainer`]: prepare, epoch, step, validate,
//!   checkpoints, finish), resume, early stopping, metrics JSONL.
//! - [`collective`]: the seam to the other ranks of a data-parallel job ([`Single`] for
//!   one process): weight/buffer broadcast, bucketed gradient averaging, `is_writer`.
//! - [`control`]: stop requests (signals) and step/time checkpoints, agreed by every rank
//!   through flags carried in the step's own reduction; the exit code of a stopped run.
//! - [`eval`]: `scores.npy`, `labels.npy`, `metrics.json` (+ calibrated variants).
//! - [`predict`]: WFDB records → probability table.
//! - [`checkpoint`]: run-folder layout, the preprocessing sidecar, resume state.
//! - [`files`]: atomic writes, JSON, metrics lines (the leaf every writer uses).
//! - [`run`]: the run folder's lifecycle shared by the trainer and LCD (resume checks, the
//!   world record, per-step seeds).
//!
//! ## Invariants
//! - Nothing is fitted on the test folds: the standardiser, E, C, thresholds and λ come
//!   from the training or validation folds.
//! - A training batch depends only on (seed, epoch, batch index); torch's generator is
//!   reseeded from (seed, global step) before every step. On CPU a run, and a run
//!   stopped and resumed at any step, give bitwise-identical weights.
//! - Every checkpoint carries `<ckpt>.json` (ModelSpec) and `<ckpt>.train.json`
//!   ([`checkpoint::Preprocessing`]): eval and predict need nothing else.
//! - All files are written atomically (temp file + rename); a checkpoint's files are
//!   written into a staging folder first and renamed into place only when all were
//!   written, the resume state last (a full disk leaves the previous checkpoint whole).
//!   Rank 0 alone writes them.
pub mod augment;
pub mod checkpoint;
pub mod clt;
pub mod collective;
pub mod config;
pub mod control;
pub mod data;
pub mod distill;
pub mod error;
pub mod eval;
pub mod export;
pub mod files;
pub mod labels;
pub mod lcd;
pub mod loss;
pub mod optim;
pub mod precision;
pub mod predict;
pub mod profile;
pub mod run;
pub mod schedule;
pub mod score;
pub mod shim;
pub mod steplog;
pub mod trainer;

pub use checkpoint::Resume;
pub use collective::{Collective, Single};
pub use config::TrainConfig;
pub use error::TrainError;
pub use eval::{eval_checkpoint, EvalOptions, EvalSummary};
pub use predict::{predict, Predictions};
pub use trainer::{train, train_with, TrainOptions, TrainOutcome};
