//! Threshold-free, label-centric metrics: ROC-AUC and average precision per label, their
//! macro means (labels where the metric is undefined are skipped and listed) and micro
//! versions (all cells of the matrix pooled, as scikit-learn's `average="micro"`).
use crate::curve::Curve;
use crate::error::Result;
use crate::validate;
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::Serialize;

/// A per-label metric with its macro mean over the labels where it is defined.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelwiseSummary {
    /// Mean over the labels where the metric is defined; `None` if it is defined for none.
    #[serde(rename = "macro")]
    pub macro_: Option<f64>,
    /// One entry per label; `None` where undefined.
    pub per_label: Vec<Option<f64>>,
    /// Indices of the labels left out of the macro mean.
    pub skipped: Vec<usize>,
}

/// Per-label, macro and skipped ROC-AUC (skipped: labels with a single class in y_true).
pub type AucSummary = LabelwiseSummary;
/// Per-label, macro and skipped average precision (skipped: labels without a positive).
pub type ApSummary = LabelwiseSummary;

impl LabelwiseSummary {
    pub(crate) fn from_per_label(per_label: Vec<Option<f64>>) -> LabelwiseSummary {
        let skipped: Vec<usize> = (0..per_label.len())
            .filter(|&i| per_label[i].is_none())
            .collect();
        let defined: Vec<f64> = per_label.iter().flatten().copied().collect();
        LabelwiseSummary {
            macro_: mean(&defined),
            per_label,
            skipped,
        }
    }
}

/// Arithmetic mean; `None` for an empty slice.
pub(crate) fn mean(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        None
    } else {
        Some(v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// The tie-group curve of every label, computed in parallel (one sort per label).
pub(crate) fn curves(y: &ArrayView2<u8>, p: &ArrayView2<f64>) -> Vec<Curve> {
    // one row-major pass into per-label buffers: strided column reads would touch one cache
    // line per record per label
    let mut columns: Vec<Vec<(f64, u8)>> = vec![Vec::with_capacity(y.nrows()); y.ncols()];
    for (yr, pr) in y.rows().into_iter().zip(p.rows()) {
        for ((col, &t), &s) in columns.iter_mut().zip(yr.iter()).zip(pr.iter()) {
            col.push((s, t));
        }
    }
    columns.into_par_iter().map(Curve::new).collect()
}

/// ROC-AUC of one label (`roc_auc_score` semantics, ties averaged). `Ok(None)` when y has a
/// single class.
pub fn roc_auc(y: ArrayView1<u8>, p: ArrayView1<f64>) -> Result<Option<f64>> {
    let (y, p) = validate::column_pair(y, p)?;
    Ok(Curve::from_column(y.column(0), p.column(0)).roc_auc())
}

/// Average precision of one label (`average_precision_score` semantics). `Ok(None)` when y has
/// no positive (scikit-learn returns an arbitrary number there).
pub fn average_precision(y: ArrayView1<u8>, p: ArrayView1<f64>) -> Result<Option<f64>> {
    let (y, p) = validate::column_pair(y, p)?;
    Ok(Curve::from_column(y.column(0), p.column(0)).average_precision())
}

/// Per-label ROC-AUC and its macro mean over `[records, labels]` matrices.
pub fn macro_auc(y: ArrayView2<u8>, p: ArrayView2<f64>) -> Result<AucSummary> {
    validate::labels_scores(&y, &p)?;
    Ok(LabelwiseSummary::from_per_label(
        curves(&y, &p).iter().map(Curve::roc_auc).collect(),
    ))
}

/// Per-label average precision and its macro mean over labels with a positive.
pub fn macro_average_precision(y: ArrayView2<u8>, p: ArrayView2<f64>) -> Result<ApSummary> {
    validate::labels_scores(&y, &p)?;
    Ok(LabelwiseSummary::from_per_label(
        curves(&y, &p)
            .iter()
            .map(Curve::average_precision)
            .collect(),
    ))
}

/// The curve of all cells pooled (merged from the per-label curves).
fn pooled(y: &ArrayView2<u8>, p: &ArrayView2<f64>) -> Curve {
    Curve::merged(&curves(y, p))
}

/// Micro ROC-AUC: every (record, label) cell pooled into one binary problem.
pub fn micro_auc(y: ArrayView2<u8>, p: ArrayView2<f64>) -> Result<Option<f64>> {
    validate::labels_scores(&y, &p)?;
    Ok(pooled(&y, &p).roc_auc())
}

/// Micro average precision: every cell pooled.
pub fn micro_average_precision(y: ArrayView2<u8>, p: ArrayView2<f64>) -> Result<Option<f64>> {
    validate::labels_scores(&y, &p)?;
    Ok(pooled(&y, &p).average_precision())
}

/// Everything threshold-free at once from one sort per label (used by `evaluate`).
pub(crate) struct Ranking {
    pub auc: AucSummary,
    pub ap: ApSummary,
    pub micro_auc: Option<f64>,
    pub micro_ap: Option<f64>,
    pub curves: Vec<Curve>,
}

pub(crate) fn ranking_validated(y: &ArrayView2<u8>, p: &ArrayView2<f64>, micro: bool) -> Ranking {
    let curves = curves(y, p);
    let auc = LabelwiseSummary::from_per_label(curves.iter().map(Curve::roc_auc).collect());
    let ap =
        LabelwiseSummary::from_per_label(curves.iter().map(Curve::average_precision).collect());
    let (micro_auc, micro_ap) = if micro {
        let c = Curve::merged(&curves);
        (c.roc_auc(), c.average_precision())
    } else {
        (None, None)
    };
    Ranking {
        auc,
        ap,
        micro_auc,
        micro_ap,
        curves,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn macro_skips_single_class_labels() {
        let y = array![[1u8, 0, 1], [0, 0, 1], [1, 0, 1]];
        let p = array![[0.9, 0.1, 0.3], [0.2, 0.4, 0.3], [0.8, 0.3, 0.2]];
        let s = macro_auc(y.view(), p.view()).expect("valid input");
        assert_eq!(s.per_label, vec![Some(1.0), None, None]);
        assert_eq!(s.skipped, vec![1, 2]);
        assert_eq!(s.macro_, Some(1.0));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let y = array![[1u8, 2]];
        let p = array![[0.5, 0.5]];
        assert!(macro_auc(y.view(), p.view()).is_err());
        let y = array![[1u8, 0]];
        let p = array![[0.5, f64::NAN]];
        assert!(macro_auc(y.view(), p.view()).is_err());
        let p = array![[0.5, 0.1, 0.2]];
        assert!(macro_auc(y.view(), p.view()).is_err());
        let y = ndarray::Array2::<u8>::zeros((0, 3));
        let p = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(macro_auc(y.view(), p.view()).is_err());
        assert!(roc_auc(array![1u8, 0].view(), array![0.1].view()).is_err());
    }
}
