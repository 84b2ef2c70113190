//! `evaluate`: every metric of the crate on one split, as one serialisable [`Report`] (the
//! JSON that `ecg metrics` prints and the trainer stores with a run).
use crate::bootstrap::BootstrapSummary;
use crate::challenge::{challenge_validated, CHALLENGE_BETA};
use crate::classification::{
    binarize_validated, check_thresholds, counts_validated, f1_from_counts,
    label_accuracy_from_counts, subset_accuracy_validated, Prf, FIXED_THRESHOLD,
};
use crate::error::{MetricsError, Result};
use crate::fmax::{fmax_validated, Fmax};
use crate::ranking::{ranking_validated, LabelwiseSummary};
use crate::resample::Resampler;
use crate::validate;
use ndarray::ArrayView2;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// What `evaluate` needs besides labels and scores. `Default` = label names "0", "1", ...,
/// fixed threshold 0.5, no bootstrap.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalConfig<'a> {
    /// One name per label (column order); defaults to the column indices.
    pub class_names: Option<&'a [String]>,
    /// Per-label thresholds fitted on another split ([`crate::fit_thresholds`]); without them
    /// the threshold-dependent metrics use the fixed 0.5.
    pub thresholds: Option<&'a [f64]>,
    /// Bootstrap row-index sets (given, or from [`crate::draw_bootstrap_samples`]).
    pub bootstrap: Option<&'a [Vec<usize>]>,
}

/// How the primary thresholds were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdSource {
    /// Fitted per label on another split (F1-optimal, see [`crate::thresholds`]).
    Fitted,
    /// The fixed 0.5 for every label.
    Fixed,
}

/// Metrics of binary predictions at one set of thresholds (`score >= threshold`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdedMetrics {
    pub source: ThresholdSource,
    /// One threshold per label.
    pub thresholds: Vec<f64>,
    #[serde(rename = "macro")]
    pub macro_: Prf,
    pub micro: Prf,
    /// Mean over labels of (TP + TN) / N.
    pub label_accuracy: f64,
    /// Fraction of records predicted exactly.
    pub subset_accuracy: f64,
    /// CPSC F_beta (beta = 2), macro; `None` when a record has no true label.
    pub f_beta_macro: Option<f64>,
    /// CPSC G_beta (beta = 2), macro; `None` when a record has no true label.
    pub g_beta_macro: Option<f64>,
}

/// One label's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelReport {
    #[serde(skip)]
    pub name: String,
    /// Records with the label.
    pub positives: u64,
    pub auc: Option<f64>,
    pub ap: Option<f64>,
    /// The primary threshold (fitted, or 0.5).
    pub threshold: f64,
    /// At the primary threshold.
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// At the fixed 0.5.
    pub f1_at_0_5: f64,
}

/// Per-label reports, serialised as a JSON object keyed by class name, in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct PerLabel(pub Vec<LabelReport>);

impl Serialize for PerLabel {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for l in &self.0 {
            m.serialize_entry(&l.name, l)?;
        }
        m.end()
    }
}

/// Bootstrap summaries of the headline metrics (thresholds are not refitted per resample).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapReport {
    pub macro_auc: BootstrapSummary,
    pub macro_ap: BootstrapSummary,
    pub fmax: BootstrapSummary,
    /// Macro F1 at the primary thresholds.
    pub macro_f1: BootstrapSummary,
}

/// Everything `evaluate` computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub n_records: usize,
    pub n_labels: usize,
    /// Mean ROC-AUC over labels with both classes.
    pub macro_auc: Option<f64>,
    pub micro_auc: Option<f64>,
    /// Labels left out of `macro_auc` (single class).
    pub auc_skipped: Vec<String>,
    /// Mean average precision over labels with a positive.
    pub macro_ap: Option<f64>,
    pub micro_ap: Option<f64>,
    /// Labels left out of `macro_ap` (no positive).
    pub ap_skipped: Vec<String>,
    /// PTB-XL benchmark Fmax.
    pub fmax: Option<f64>,
    pub fmax_detail: Option<Fmax>,
    /// Which thresholds the primary threshold-dependent metrics use.
    pub threshold_source: ThresholdSource,
    /// At the primary thresholds (fitted if given, else 0.5).
    pub thresholded: ThresholdedMetrics,
    /// At the fixed 0.5 (always reported).
    pub at_0_5: ThresholdedMetrics,
    pub per_label: PerLabel,
    pub bootstrap: Option<BootstrapReport>,
    /// Why a metric is missing, if one is.
    pub notes: Vec<String>,
}

fn class_names(cfg: &EvalConfig, k: usize) -> Result<Vec<String>> {
    let names: Vec<String> = match cfg.class_names {
        Some(n) if n.len() != k => {
            return Err(MetricsError::ClassNames {
                got: n.len(),
                expected: k,
            })
        }
        Some(n) => n.to_vec(),
        None => (0..k).map(|j| j.to_string()).collect(),
    };
    let mut seen = std::collections::HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if let Some(first) = seen.insert(n.as_str(), i) {
            return Err(MetricsError::DuplicateClassName {
                name: n.clone(),
                first,
                second: i,
            });
        }
    }
    Ok(names)
}

fn thresholded(
    y: &ArrayView2<u8>,
    p: &ArrayView2<f64>,
    thresholds: &[f64],
    source: ThresholdSource,
    notes: &mut Vec<String>,
) -> Result<(ThresholdedMetrics, crate::F1Report)> {
    let pred = binarize_validated(p, thresholds);
    let counts = counts_validated(y, &pred.view());
    let f1 = f1_from_counts(&counts);
    let challenge = match challenge_validated(y, &pred.view(), CHALLENGE_BETA) {
        Ok(c) => Some(c),
        Err(e @ MetricsError::RecordWithoutLabels { .. }) => {
            notes.push(e.to_string());
            None
        }
        Err(e) => return Err(e),
    };
    Ok((
        ThresholdedMetrics {
            source,
            thresholds: thresholds.to_vec(),
            macro_: f1.macro_,
            micro: f1.micro,
            label_accuracy: label_accuracy_from_counts(&counts),
            subset_accuracy: subset_accuracy_validated(y, &pred.view()),
            f_beta_macro: challenge.as_ref().map(|c| c.f_beta_macro),
            g_beta_macro: challenge.as_ref().map(|c| c.g_beta_macro),
        },
        f1,
    ))
}

fn fmax_or_note(
    y: &ArrayView2<u8>,
    p: &ArrayView2<f64>,
    notes: &mut Vec<String>,
) -> Result<Option<Fmax>> {
    match fmax_validated(y, p) {
        Ok(f) => {
            if f.is_none() {
                notes.push("Fmax: F is undefined at every threshold".to_string());
            }
            Ok(f)
        }
        Err(e @ MetricsError::RecordWithoutLabels { .. }) => {
            notes.push(e.to_string());
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn skipped_names(s: &LabelwiseSummary, names: &[String]) -> Vec<String> {
    s.skipped.iter().map(|&j| names[j].clone()).collect()
}

/// Computes every metric on labels `y` and scores `p` (`[records, labels]`).
pub fn evaluate(y: ArrayView2<u8>, p: ArrayView2<f64>, cfg: &EvalConfig) -> Result<Report> {
    validate::labels_scores(&y, &p)?;
    let k = y.ncols();
    let names = class_names(cfg, k)?;
    if let Some(t) = cfg.thresholds {
        check_thresholds(t, k)?;
    }
    let mut notes = Vec::new();
    let ranking = ranking_validated(&y, &p, true);
    let fmax = fmax_or_note(&y, &p, &mut notes)?;

    let fixed = vec![FIXED_THRESHOLD; k];
    let (at_0_5, f1_fixed) = thresholded(&y, &p, &fixed, ThresholdSource::Fixed, &mut notes)?;
    let (primary, f1_primary) = match cfg.thresholds {
        Some(t) => thresholded(&y, &p, t, ThresholdSource::Fitted, &mut notes)?,
        None => (at_0_5.clone(), f1_fixed.clone()),
    };
    notes.dedup();

    let per_label = (0..k)
        .map(|j| {
            let c = &ranking.curves[j];
            let l = &f1_primary.per_label[j];
            LabelReport {
                name: names[j].clone(),
                positives: c.positives,
                auc: ranking.auc.per_label[j],
                ap: ranking.ap.per_label[j],
                threshold: primary.thresholds[j],
                precision: l.prf.precision,
                recall: l.prf.recall,
                f1: l.prf.f1,
                f1_at_0_5: f1_fixed.per_label[j].prf.f1,
            }
        })
        .collect();

    let bootstrap = match cfg.bootstrap {
        None => None,
        Some(samples) => {
            let pred = binarize_validated(&p, &primary.thresholds);
            let point = [
                ranking.auc.macro_,
                ranking.ap.macro_,
                fmax.map(|f| f.fmax),
                Some(primary.macro_.f1),
            ];
            let s = Resampler::new(y, p, pred).summaries(point, samples)?;
            let mut it = s.into_iter();
            let mut next = || {
                it.next().ok_or_else(|| MetricsError::BootstrapImpossible {
                    reason: "missing bootstrap summary".to_string(),
                })
            };
            Some(BootstrapReport {
                macro_auc: next()?,
                macro_ap: next()?,
                fmax: next()?,
                macro_f1: next()?,
            })
        }
    };

    Ok(Report {
        n_records: y.nrows(),
        n_labels: k,
        macro_auc: ranking.auc.macro_,
        micro_auc: ranking.micro_auc,
        auc_skipped: skipped_names(&ranking.auc, &names),
        macro_ap: ranking.ap.macro_,
        micro_ap: ranking.micro_ap,
        ap_skipped: skipped_names(&ranking.ap, &names),
        fmax: fmax.map(|f| f.fmax),
        fmax_detail: fmax,
        threshold_source: primary.source,
        thresholded: primary,
        at_0_5,
        per_label: PerLabel(per_label),
        bootstrap,
        notes,
    })
}
