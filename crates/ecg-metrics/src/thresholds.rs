//! Per-label F1-optimal decision thresholds, fitted on one split (validation) and applied
//! unchanged to another (test) with [`crate::binarize`].
//!
//! Rule (exact, documented for papers):
//! - candidates are the distinct score values of the label on the fitting split;
//! - a record is predicted positive when `score >= threshold`;
//! - the candidate with the highest F1 = 2TP / (2TP + FP + FN) wins, compared exactly;
//! - ties go to the LARGEST candidate (fewest positive predictions);
//! - a label with no positive on the fitting split has F1 = 0 at every candidate, so its
//!   threshold is its largest score.
use crate::curve::Curve;
use crate::error::Result;
use crate::ranking::curves;
use crate::validate;
use ndarray::{ArrayView1, ArrayView2};

/// The F1-optimal threshold of one label (see the module docs for the rule).
pub fn fit_threshold(y: ArrayView1<u8>, p: ArrayView1<f64>) -> Result<f64> {
    let (y, p) = validate::column_pair(y, p)?;
    Ok(Curve::from_column(y.column(0), p.column(0))
        .best_f1_threshold()
        .threshold)
}

/// Per-label F1-optimal thresholds fitted on `[records, labels]` validation labels/scores.
pub fn fit_thresholds(val_y: ArrayView2<u8>, val_p: ArrayView2<f64>) -> Result<Vec<f64>> {
    validate::labels_scores(&val_y, &val_p)?;
    Ok(curves(&val_y, &val_p)
        .iter()
        .map(|c| c.best_f1_threshold().threshold)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{binarize, f1_report};
    use ndarray::array;

    /// Brute force over every candidate: the fitted threshold's F1 is the maximum.
    #[test]
    fn fitted_threshold_maximises_f1() {
        let y = array![[1u8], [0], [1], [1], [0], [0], [1], [0]];
        let p = array![[0.9], [0.8], [0.8], [0.4], [0.35], [0.3], [0.3], [0.1]];
        let t = fit_thresholds(y.view(), p.view()).expect("valid");
        let f1_at = |t: f64| {
            let b = binarize(p.view(), &[t]).expect("valid");
            f1_report(y.view(), b.view()).expect("valid").per_label[0]
                .prf
                .f1
        };
        let best = f1_at(t[0]);
        for &c in p.iter() {
            assert!(f1_at(c) <= best);
        }
    }
}
