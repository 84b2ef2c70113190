//! ecg-labels: label vocabularies and tasks, multi-hot encoding, label statistics and
//! probability calibration with label correlation (docs/METHODS.md §1–3). No torch.
//!
//! Code map:
//! - [`vocab`]: [`Vocabulary`] (ordered unique class names), CPSC2018's nine classes.
//! - [`cinc2021`]: the PhysioNet/CinC Challenge 2021 scored classes (organisers' tables,
//!   equivalent codes merged), record-wise iterative stratification into folds.
//! - [`task`]: [`RecordCodes`] (a record's `(code, likelihood)` list, from a PTB-XL row or
//!   a packed record), [`TaskLabels`] (kept records + multi-hot `y`), [`named_task`]
//!   (CPSC2018, Hefei-Tianchi), the fold constants.
//! - [`ptbxl`]: the benchmark's six PTB-XL tasks, [`ptbxl_task`].
//! - [`hefei`]: Hefei-Tianchi tasks (`classes`, `zhou2024` with LBBB ∪ CLBBB), [`hefei_task`].
//! - [`stats`]: [`LabelStats`]: t(i), t(i,j), E and C; CSV export.
//! - [`calibrate`]: Ĉ, p' = (1 − λ)·p + λ·(Ĉ p), λ fitted on validation.
//!
//! Invariants: class order is the sorted order of names (PTB-XL, Hefei-Tianchi) or the
//! label-number order (CPSC2018); statistics see folds 1–8 only; zero counts give zeros,
//! never NaN; no input from disk makes this crate panic.
pub mod calibrate;
pub mod cinc2021;
pub mod error;
pub mod hefei;
pub mod pack;
pub mod ptbxl;
pub mod stats;
pub mod task;
pub mod vocab;

pub use calibrate::{
    fit_lambda, lambda_grid, tuned_f1, Calibrator, Lambda, LambdaFit, LambdaMode, LAMBDA_STEP,
};
pub use error::{LabelError, Result};
pub use hefei::{hefei_task, HefeiTask, ZHOU2024_REPORTED};
pub use ptbxl::{ptbxl_task, PtbxlTask, StatementIndex};
pub use stats::{matrix_csv, LabelStats};
pub use task::{
    named_task, RecordCodes, TaskLabels, TaskOptions, TEST_FOLD, TRAIN_FOLDS, VALIDATION_FOLD,
};
pub use vocab::{cpsc2018_class, Vocabulary, CPSC2018_CLASSES};
