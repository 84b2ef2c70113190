//! F_beta and G_beta of the CPSC2018 / PhysioNet-CinC challenge as the PTB-XL benchmark's
//! `challenge_metrics` computes them: per label, TP, FP, FN, TN are counted with weight
//! 1 / (number of true labels of the record); F_beta = (1+b^2)TP / ((1+b^2)TP + FP + b^2 FN),
//! G_beta = TP / (TP + FP + b FN); macro = mean over labels. A 0/0 is 0 (zero_division = 0;
//! the benchmark code would raise instead). A record without a true label has no weight:
//! that is an error.
use crate::error::{MetricsError, Result};
use crate::validate;
use ndarray::ArrayView2;
use serde::Serialize;

/// The challenge's beta.
pub const CHALLENGE_BETA: f64 = 2.0;

/// F_beta and G_beta per label and macro.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChallengeScores {
    pub beta: f64,
    pub f_beta_macro: f64,
    pub g_beta_macro: f64,
    pub f_beta: Vec<f64>,
    pub g_beta: Vec<f64>,
}

fn div0(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// F_beta / G_beta of binary predictions `[records, labels]` (use beta = [`CHALLENGE_BETA`]).
pub fn f_beta_g_beta(
    y: ArrayView2<u8>,
    pred: ArrayView2<u8>,
    beta: f64,
) -> Result<ChallengeScores> {
    validate::labels_preds(&y, &pred)?;
    challenge_validated(&y, &pred, beta)
}

pub(crate) fn challenge_validated(
    y: &ArrayView2<u8>,
    pred: &ArrayView2<u8>,
    beta: f64,
) -> Result<ChallengeScores> {
    let mut weights = Vec::with_capacity(y.nrows());
    for (record, row) in y.rows().into_iter().enumerate() {
        let n_true: u32 = row.iter().map(|&v| u32::from(v)).sum();
        if n_true == 0 {
            return Err(MetricsError::RecordWithoutLabels {
                metric: "F_beta/G_beta",
                record,
            });
        }
        weights.push(1.0 / n_true as f64);
    }
    let b2 = beta * beta;
    let (mut f_beta, mut g_beta) = (Vec::new(), Vec::new());
    for j in 0..y.ncols() {
        let (mut tp, mut fp, mut fn_) = (0.0f64, 0.0f64, 0.0f64);
        for ((&t, &q), &w) in y.column(j).iter().zip(pred.column(j).iter()).zip(&weights) {
            match (t, q) {
                (1, 1) => tp += w,
                (0, 1) => fp += w,
                (1, 0) => fn_ += w,
                _ => {}
            }
        }
        f_beta.push(div0((1.0 + b2) * tp, (1.0 + b2) * tp + fp + b2 * fn_));
        g_beta.push(div0(tp, tp + fp + beta * fn_));
    }
    let k = y.ncols() as f64;
    Ok(ChallengeScores {
        beta,
        f_beta_macro: f_beta.iter().sum::<f64>() / k,
        g_beta_macro: g_beta.iter().sum::<f64>() / k,
        f_beta,
        g_beta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn weights_by_label_count() {
        // record 0 has two labels (weight 1/2), record 1 one (weight 1)
        let y = array![[1u8, 1], [1, 0]];
        let q = array![[1u8, 0], [0, 1]];
        let s = f_beta_g_beta(y.view(), q.view(), 2.0).expect("valid");
        // label 0: TP 0.5, FN 1 -> F = 5*0.5/(2.5 + 4) ; G = 0.5/(0.5 + 2)
        assert!((s.f_beta[0] - 2.5 / 6.5).abs() < 1e-15);
        assert!((s.g_beta[0] - 0.5 / 2.5).abs() < 1e-15);
        // label 1: FN 0.5, FP 1 -> 0
        assert_eq!(s.f_beta[1], 0.0);
    }
}
