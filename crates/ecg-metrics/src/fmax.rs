//! Fmax, the sample-centric maximum F-measure of the PTB-XL benchmark (Strodthoff et al.
//! 2020, `utils.F_max`, after the CAFA protein-function assessment).
//!
//! At each threshold t in 0.00, 0.01, ..., 1.00 (computed as `i * 0.01`, the values of
//! `np.arange(0, 1.01, 0.01)`), label j of record r is predicted when `score >= t`;
//! precision(t) = mean over records with >= 1 predicted label of TP/predicted;
//! recall(t) = mean over all records of TP/true; F(t) = 2PR/(P+R). Thresholds where F is
//! undefined (no record has a prediction, or P = R = 0) are skipped, like `np.nanargmax`;
//! Fmax = max F and the reported threshold is the first (smallest) that attains it.
//! A record without any true label makes recall undefined: that is an error, where the
//! benchmark code would silently return NaN.
use crate::error::{MetricsError, Result};
use crate::validate;
use ndarray::ArrayView2;
use serde::Serialize;

/// Number of threshold steps: the grid is `i / FMAX_STEPS`-ish for i in 0..=FMAX_STEPS.
pub const FMAX_STEPS: usize = 100;

/// The benchmark's threshold grid, `i * 0.01` for i = 0..=100 (bit-identical to
/// `np.arange(0.00, 1.01, 1./100)`).
pub fn fmax_thresholds() -> Vec<f64> {
    (0..=FMAX_STEPS).map(|i| i as f64 * 0.01).collect()
}

/// The maximising point of the sample-centric precision/recall curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fmax {
    /// max over thresholds of 2PR/(P+R)
    pub fmax: f64,
    /// the smallest grid threshold attaining it
    pub threshold: f64,
    /// sample-centric precision at that threshold
    pub precision: f64,
    /// sample-centric recall at that threshold
    pub recall: f64,
}

/// Fmax over `[records, labels]` labels and scores. `Ok(None)` when F is undefined at every
/// threshold (e.g. nothing is ever predicted positive).
pub fn fmax(y: ArrayView2<u8>, p: ArrayView2<f64>) -> Result<Option<Fmax>> {
    validate::labels_scores(&y, &p)?;
    fmax_validated(&y, &p)
}

pub(crate) fn fmax_validated(y: &ArrayView2<u8>, p: &ArrayView2<f64>) -> Result<Option<Fmax>> {
    FmaxTable::new(y, p).fmax_over(0..y.nrows())
}

/// Per record and grid threshold: the record's precision term TP/predicted (NaN where
/// nothing is predicted) and recall term TP/true. Built once; Fmax of any multiset of records
/// (the data, or a bootstrap resample) is then one pass of additions over its rows, in the
/// same order and with the same values as on the gathered rows.
pub(crate) struct FmaxTable {
    thresholds: Vec<f64>,
    /// true labels per record
    n_true: Vec<u32>,
    /// [record * nt + i]: TP / predicted at thresholds[i], NaN when nothing is predicted
    prec: Vec<f64>,
    /// [record * nt + i]: TP / true at thresholds[i]
    rec: Vec<f64>,
}

/// Number of grid thresholds `<= s` (the grid is increasing), in O(1).
fn bucket(thresholds: &[f64], s: f64) -> usize {
    let nt = thresholds.len();
    let guess = (s * FMAX_STEPS as f64).floor();
    let mut b = if guess < 0.0 {
        0
    } else {
        ((guess as usize) + 1).min(nt)
    };
    while b > 0 && thresholds[b - 1] > s {
        b -= 1;
    }
    while b < nt && thresholds[b] <= s {
        b += 1;
    }
    b
}

impl FmaxTable {
    /// Never fails: records without a true label are only an error when used.
    pub fn new(y: &ArrayView2<u8>, p: &ArrayView2<f64>) -> FmaxTable {
        let thresholds = fmax_thresholds();
        let nt = thresholds.len();
        let n = y.nrows();
        let mut n_true = Vec::with_capacity(n);
        let mut prec = vec![0.0f64; n * nt];
        let mut rec = vec![0.0f64; n * nt];
        // per record: histogram over "how many thresholds are <= score" (0..=nt)
        let mut hist_pred = vec![0u32; nt + 1];
        let mut hist_tp = vec![0u32; nt + 1];
        for (r, (yr, pr)) in y.rows().into_iter().zip(p.rows()).enumerate() {
            hist_pred.fill(0);
            hist_tp.fill(0);
            let mut t_count = 0u32;
            for (&t, &s) in yr.iter().zip(pr.iter()) {
                let b = bucket(&thresholds, s);
                hist_pred[b] += 1;
                if t == 1 {
                    hist_tp[b] += 1;
                    t_count += 1;
                }
            }
            n_true.push(t_count);
            // predicted at threshold i <=> i < b: suffix sums from the top bucket down
            let (mut pred, mut tp) = (0u32, 0u32);
            for i in (0..nt).rev() {
                pred += hist_pred[i + 1];
                tp += hist_tp[i + 1];
                prec[r * nt + i] = if pred > 0 {
                    tp as f64 / pred as f64
                } else {
                    f64::NAN
                };
                rec[r * nt + i] = tp as f64 / t_count as f64;
            }
        }
        FmaxTable {
            thresholds,
            n_true,
            prec,
            rec,
        }
    }

    /// Fmax of the records `rows` (repetitions count), in iteration order. Errors on a
    /// record without a true label (`record` is its position in `rows`).
    pub fn fmax_over(&self, rows: impl IntoIterator<Item = usize>) -> Result<Option<Fmax>> {
        let nt = self.thresholds.len();
        let mut prec_sum = vec![0.0f64; nt];
        let mut prec_n = vec![0u64; nt];
        let mut rec_sum = vec![0.0f64; nt];
        let mut n = 0usize;
        for (pos, r) in rows.into_iter().enumerate() {
            n += 1;
            if self.n_true[r] == 0 {
                return Err(MetricsError::RecordWithoutLabels {
                    metric: "Fmax",
                    record: pos,
                });
            }
            let prec = &self.prec[r * nt..(r + 1) * nt];
            let rec = &self.rec[r * nt..(r + 1) * nt];
            for i in 0..nt {
                if !prec[i].is_nan() {
                    prec_sum[i] += prec[i];
                    prec_n[i] += 1;
                }
                rec_sum[i] += rec[i];
            }
        }
        let n = n as f64;
        let mut best: Option<Fmax> = None;
        for i in 0..nt {
            if prec_n[i] == 0 {
                continue;
            }
            let precision = prec_sum[i] / prec_n[i] as f64;
            let recall = rec_sum[i] / n;
            let f = 2.0 * precision * recall / (precision + recall);
            if f.is_nan() {
                continue;
            }
            if best.is_none_or(|b| f > b.fmax) {
                best = Some(Fmax {
                    fmax: f,
                    threshold: self.thresholds[i],
                    precision,
                    recall,
                });
            }
        }
        Ok(best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn grid_is_i_times_step() {
        let t = fmax_thresholds();
        assert_eq!(t.len(), 101);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[100], 1.0);
    }

    #[test]
    fn bucket_counts_thresholds_at_or_below() {
        let t = fmax_thresholds();
        for s in [
            -1.0,
            -0.0,
            0.0,
            0.005,
            0.07,
            f64::from_bits(0.07f64.to_bits() + 1),
            0.29,
            0.3,
            0.5,
            0.99,
            1.0,
            1.5,
        ] {
            assert_eq!(
                bucket(&t, s),
                t.iter().filter(|&&x| x <= s).count(),
                "s = {s}"
            );
        }
        for f in [0.07f32, 0.29, 0.58, 0.3] {
            let s = f64::from(f);
            assert_eq!(
                bucket(&t, s),
                t.iter().filter(|&&x| x <= s).count(),
                "s = {s}"
            );
        }
    }

    #[test]
    fn perfect_scores_give_one() {
        let y = array![[1u8, 0], [0, 1]];
        let p = array![[0.9, 0.1], [0.2, 0.8]];
        let f = fmax(y.view(), p.view()).expect("valid").expect("defined");
        assert_eq!(f.fmax, 1.0);
        assert!((f.threshold - 0.21).abs() < 1e-12);
    }

    #[test]
    fn record_without_labels_is_an_error() {
        let y = array![[1u8, 0], [0, 0]];
        let p = array![[0.9, 0.1], [0.2, 0.8]];
        assert!(matches!(
            fmax(y.view(), p.view()),
            Err(MetricsError::RecordWithoutLabels { record: 1, .. })
        ));
    }
}
