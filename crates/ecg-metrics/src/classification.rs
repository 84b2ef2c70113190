//! Threshold-dependent, label-centric metrics over binary predictions: precision, recall and
//! F1 per label, macro (mean of per-label values) and micro (pooled counts), with
//! scikit-learn's `zero_division = 0`; label-wise and subset (exact-match) accuracy.
use crate::error::{MetricsError, Result};
use crate::validate;
use ndarray::{Array2, ArrayView2};
use serde::Serialize;

/// The threshold used when none is fitted.
pub const FIXED_THRESHOLD: f64 = 0.5;

/// Turns scores into 0/1 predictions: label j is positive when `score >= thresholds[j]`.
pub fn binarize(p: ArrayView2<f64>, thresholds: &[f64]) -> Result<Array2<u8>> {
    validate::non_empty("scores", &p)?;
    validate::finite("scores", &p)?;
    check_thresholds(thresholds, p.ncols())?;
    Ok(binarize_validated(&p, thresholds))
}

pub(crate) fn check_thresholds(thresholds: &[f64], labels: usize) -> Result<()> {
    if thresholds.len() != labels {
        return Err(MetricsError::ShapeMismatch {
            a: "thresholds",
            a_shape: vec![thresholds.len()],
            b: "labels",
            b_shape: vec![labels],
        });
    }
    if let Some(label) = thresholds.iter().position(|t| t.is_nan()) {
        return Err(MetricsError::NanThreshold { label });
    }
    Ok(())
}

pub(crate) fn binarize_validated(p: &ArrayView2<f64>, thresholds: &[f64]) -> Array2<u8> {
    let mut out = Array2::<u8>::zeros(p.raw_dim());
    for (mut row_out, row_p) in out.rows_mut().into_iter().zip(p.rows()) {
        for ((o, &s), &t) in row_out.iter_mut().zip(row_p.iter()).zip(thresholds) {
            *o = u8::from(s >= t);
        }
    }
    out
}

/// Confusion counts of one label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub tn: u64,
}

impl Counts {
    fn add(self, o: Counts) -> Counts {
        Counts {
            tp: self.tp + o.tp,
            fp: self.fp + o.fp,
            fn_: self.fn_ + o.fn_,
            tn: self.tn + o.tn,
        }
    }
}

/// Precision, recall and F1 (zero_division = 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

impl Prf {
    /// From counts: P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN); 0 where 0/0.
    pub fn from_counts(c: Counts) -> Prf {
        Prf {
            precision: ratio(c.tp, c.tp + c.fp),
            recall: ratio(c.tp, c.tp + c.fn_),
            f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn_),
        }
    }
}

/// One label's counts and scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelPrf {
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(flatten)]
    pub prf: Prf,
}

/// Precision/recall/F1 per label, macro (mean of the per-label values) and micro.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct F1Report {
    pub per_label: Vec<LabelPrf>,
    #[serde(rename = "macro")]
    pub macro_: Prf,
    pub micro: Prf,
}

/// Confusion counts of every label (one row-major pass).
pub(crate) fn counts_validated(y: &ArrayView2<u8>, pred: &ArrayView2<u8>) -> Vec<Counts> {
    // cells[j][2 * truth + prediction]
    let mut cells = vec![[0u64; 4]; y.ncols()];
    for (yr, qr) in y.rows().into_iter().zip(pred.rows()) {
        for ((c, &t), &q) in cells.iter_mut().zip(yr.iter()).zip(qr.iter()) {
            c[usize::from(2 * t + q)] += 1;
        }
    }
    cells
        .iter()
        .map(|c| Counts {
            tn: c[0],
            fp: c[1],
            fn_: c[2],
            tp: c[3],
        })
        .collect()
}

pub(crate) fn f1_from_counts(counts: &[Counts]) -> F1Report {
    let per_label: Vec<LabelPrf> = counts
        .iter()
        .map(|&c| LabelPrf {
            counts: c,
            prf: Prf::from_counts(c),
        })
        .collect();
    let n = per_label.len() as f64;
    let macro_ = Prf {
        precision: per_label.iter().map(|l| l.prf.precision).sum::<f64>() / n,
        recall: per_label.iter().map(|l| l.prf.recall).sum::<f64>() / n,
        f1: per_label.iter().map(|l| l.prf.f1).sum::<f64>() / n,
    };
    let total = counts.iter().fold(Counts::default(), |a, &c| a.add(c));
    F1Report {
        per_label,
        macro_,
        micro: Prf::from_counts(total),
    }
}

/// Precision, recall and F1 of binary predictions `[records, labels]`.
pub fn f1_report(y: ArrayView2<u8>, pred: ArrayView2<u8>) -> Result<F1Report> {
    validate::labels_preds(&y, &pred)?;
    Ok(f1_from_counts(&counts_validated(&y, &pred)))
}

pub(crate) fn label_accuracy_from_counts(counts: &[Counts]) -> f64 {
    counts
        .iter()
        .map(|c| ratio(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn_))
        .sum::<f64>()
        / counts.len() as f64
}

/// Label-wise accuracy: the mean over labels of (TP + TN) / N.
pub fn label_accuracy(y: ArrayView2<u8>, pred: ArrayView2<u8>) -> Result<f64> {
    validate::labels_preds(&y, &pred)?;
    Ok(label_accuracy_from_counts(&counts_validated(&y, &pred)))
}

pub(crate) fn subset_accuracy_validated(y: &ArrayView2<u8>, pred: &ArrayView2<u8>) -> f64 {
    let exact = y
        .rows()
        .into_iter()
        .zip(pred.rows())
        .filter(|(a, b)| a == b)
        .count();
    exact as f64 / y.nrows() as f64
}

/// Subset accuracy: the fraction of records whose whole label set is predicted exactly.
pub fn subset_accuracy(y: ArrayView2<u8>, pred: ArrayView2<u8>) -> Result<f64> {
    validate::labels_preds(&y, &pred)?;
    Ok(subset_accuracy_validated(&y, &pred))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn counts_and_zero_division() {
        let y = array![[1u8, 0], [0, 0], [1, 0]];
        let q = array![[1u8, 0], [1, 0], [0, 0]];
        let r = f1_report(y.view(), q.view()).expect("valid");
        assert_eq!(
            r.per_label[0].counts,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 1,
                tn: 0
            }
        );
        assert_eq!(r.per_label[0].prf.f1, 0.5);
        // label 1: nothing true, nothing predicted -> all zero
        assert_eq!(r.per_label[1].prf.f1, 0.0);
        assert_eq!(r.macro_.f1, 0.25);
        assert_eq!(r.micro.f1, 0.5);
        let acc = label_accuracy(y.view(), q.view()).expect("valid");
        assert!((acc - (1.0 / 3.0 + 1.0) / 2.0).abs() < 1e-15);
        assert!((subset_accuracy(y.view(), q.view()).expect("valid") - 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn binarize_is_greater_or_equal() {
        let p = array![[0.5, 0.49], [0.7, 0.2]];
        let b = binarize(p.view(), &[0.5, 0.2]).expect("valid");
        assert_eq!(b, array![[1u8, 1], [1, 1]]);
        assert!(binarize(p.view(), &[0.5]).is_err());
        assert!(binarize(p.view(), &[0.5, f64::NAN]).is_err());
    }
}
