//! # ecg-metrics
//!
//! Multi-label classification metrics with scikit-learn semantics, the PTB-XL benchmark's
//! Fmax and bootstrap, and the CPSC2018 F_beta/G_beta (docs/METHODS.md §6). Pure functions
//! over `ndarray` views: labels `ArrayView2<u8>` (0/1) and scores `ArrayView2<f64>`, both
//! `[records, labels]`. No torch, no dataframe library; f64 throughout.
//!
//! ## Code map
//! - [`error`]: [`MetricsError`], the one error type (names matrix, record, label, file).
//! - `validate`: shape / emptiness / finiteness / 0-1 checks every public function runs.
//! - `sort`: descending radix sort of scores (O(n), exact).
//! - `curve`: one label sorted once into tie groups; AUC, AP and the F1-optimal threshold
//!   are single passes over it (O(n log n) per label, labels in parallel with rayon).
//! - [`ranking`]: ROC-AUC and average precision per label, macro, micro.
//! - [`classification`]: [`binarize`] (`score >= threshold`), precision/recall/F1,
//!   label-wise and subset accuracy.
//! - [`thresholds`]: per-label F1-optimal thresholds (rule documented there).
//! - [`fmax`]: the benchmark's sample-centric Fmax.
//! - [`challenge`]: CPSC F_beta / G_beta.
//! - [`challenge2021`]: the PhysioNet/CinC Challenge 2021 scoring (Reyna et al. 2021) as the
//!   organisers' `evaluate_model.py` computes it: the Challenge metric from their
//!   `weights.csv` (embedded, data/cinc2021/), AUROC, AUPRC, accuracy, F-measure.
//! - [`bootstrap`]: point value, mean, 5th/95th percentiles over index sets.
//! - [`paired`]: paired comparisons of two models — over seeds (mean, standard deviation,
//!   Student-t interval of the per-seed differences) and a paired bootstrap over test records.
//! - [`report`]: [`evaluate`] -> [`Report`] (serde), everything at once.
//! - `resample`: evaluate's bootstrap without re-sorting (each label sorted once, resamples
//!   reweight rows by multiplicity; bit-identical to recomputing on gathered rows).
//! - [`npy`]: strict `.npy` readers for labels, scores and index sets (the only I/O).
//!
//! ## Invariants
//! - Every public function validates its input and returns [`MetricsError`] for an empty
//!   matrix, disagreeing shapes, a non-finite score, or a label that is not 0/1; none panics.
//! - A metric that is undefined on the data (AUC of a single-class label, AP without a
//!   positive, Fmax where no threshold gives a defined F) is `None` and, in macro means,
//!   skipped and listed — never NaN, never a made-up number.
//! - Ties: AUC counts tied (positive, negative) pairs as 1/2 (exact integer arithmetic);
//!   AP takes each distinct score as one threshold, like `precision_recall_curve`.
//! - Results do not depend on the number of threads (per-label results are collected in
//!   order and reduced sequentially).
pub mod bootstrap;
pub mod challenge;
pub mod challenge2021;
pub mod classification;
mod curve;
pub mod error;
pub mod fmax;
pub mod npy;
pub mod paired;
pub mod ranking;
pub mod report;
mod resample;
mod sort;
pub mod thresholds;
mod validate;

pub use bootstrap::{
    bootstrap, bootstrap_many, draw_bootstrap_samples, percentile, BootstrapSummary,
    DEFAULT_BOOTSTRAP_SAMPLES,
};
pub use challenge::{f_beta_g_beta, ChallengeScores, CHALLENGE_BETA};
pub use classification::{
    binarize, f1_report, label_accuracy, subset_accuracy, Counts, F1Report, LabelPrf, Prf,
    FIXED_THRESHOLD,
};
pub use error::{MetricsError, Result};
pub use fmax::{fmax, fmax_thresholds, Fmax};
pub use paired::{differences, paired_bootstrap, t_quantile, Interval, PairedBootstrap, Summary};
pub use ranking::{
    average_precision, macro_auc, macro_average_precision, micro_auc, micro_average_precision,
    roc_auc, ApSummary, AucSummary, LabelwiseSummary,
};
pub use report::{
    evaluate, BootstrapReport, EvalConfig, LabelReport, PerLabel, Report, ThresholdSource,
    ThresholdedMetrics,
};
pub use thresholds::{fit_threshold, fit_thresholds};
