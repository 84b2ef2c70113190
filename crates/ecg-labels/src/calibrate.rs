//! Probability calibration with label correlation (docs/METHODS.md §3, Zhou et al. 2024).
//!
//! For a record with sigmoid outputs p (length K): p' = (1 − λ)·p + λ·(Ĉ p), where Ĉ is the
//! cosine matrix C with its diagonal set to 0 and each row divided by its sum; a label
//! whose row sums to 0 keeps its p unchanged. λ ∈ [0, 1] is chosen on the validation fold
//! from the grid 0, 0.05, …, 1 to maximise macro-F1 with thresholds tuned on the same
//! (calibrated) validation scores, via ecg-metrics. Ties go to the smallest λ.
//!
//! Per-label λ: label k's calibrated score depends only on λ_k (Ĉ p uses the uncalibrated
//! p) and its threshold only on its own column, so maximising macro-F1 over the vector λ
//! is exactly maximising each label's F1 over its own λ_k — which is what the per-label
//! fit does.
//!
//! Pure functions; usable after any model.
use crate::error::{LabelError, Result};
use crate::stats::LabelStats;
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Grid step of the λ search.
pub const LAMBDA_STEP: f64 = 0.05;

/// The λ grid 0, 0.05, …, 1 (21 values, each computed as i / 20 so 0.25 etc. are exact).
pub fn lambda_grid() -> Vec<f64> {
    (0..=20).map(|i| f64::from(i) / 20.0).collect()
}

/// Mixing weight(s) of the calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lambda {
    /// One λ for every label.
    Shared(f64),
    /// One λ per label, class order.
    PerLabel(Vec<f64>),
}

impl Lambda {
    fn get(&self, k: usize) -> f64 {
        match self {
            Lambda::Shared(l) => *l,
            Lambda::PerLabel(v) => v[k],
        }
    }

    fn validate(&self, k: usize) -> Result<()> {
        let values: &[f64] = match self {
            Lambda::Shared(l) => std::slice::from_ref(l),
            Lambda::PerLabel(v) => {
                if v.len() != k {
                    return Err(LabelError::Shape {
                        what: "per-label lambda".into(),
                        got: vec![v.len()],
                        expected: format!("[{k}] (one per label)"),
                    });
                }
                v
            }
        };
        match values.iter().find(|l| !(0.0..=1.0).contains(*l)) {
            Some(l) => Err(LabelError::BadOption {
                option: "lambda".into(),
                value: l.to_string(),
                reason: "must lie in [0, 1]".into(),
            }),
            None => Ok(()),
        }
    }
}

/// How λ is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LambdaMode {
    Shared,
    PerLabel,
}

/// Ĉ: the row-normalised, zero-diagonal correlation matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrator {
    /// Ĉ. // [labels, labels]
    c_hat: Array2<f64>,
    /// Whether label k's row of Ĉ is non-zero (false: its p is left unchanged).
    active: Vec<bool>,
}

impl Calibrator {
    /// Ĉ from a correlation matrix C (normally [`LabelStats::cosine`] on folds 1–8).
    /// Errors: not square, empty, a non-finite or negative entry.
    pub fn new(c: ArrayView2<'_, f64>) -> Result<Self> {
        let (k, k2) = c.dim();
        if k != k2 || k == 0 {
            return Err(LabelError::Shape {
                what: "correlation matrix".into(),
                got: vec![k, k2],
                expected: "[K, K] with K >= 1".into(),
            });
        }
        if let Some(((r, col), v)) = c.indexed_iter().find(|(_, v)| !v.is_finite() || **v < 0.0) {
            return Err(LabelError::BadValue {
                what: "correlation matrix".into(),
                row: r,
                col,
                value: *v,
                reason: "is not a finite number >= 0".into(),
            });
        }
        let mut c_hat = c.to_owned();
        c_hat.diag_mut().fill(0.0);
        let mut active = vec![false; k];
        for (i, mut row) in c_hat.axis_iter_mut(Axis(0)).enumerate() {
            let sum: f64 = row.sum();
            if sum > 0.0 {
                row.mapv_inplace(|v| v / sum);
                active[i] = true;
            }
        }
        Ok(Self { c_hat, active })
    }

    /// Ĉ from the training statistics' cosine matrix.
    pub fn from_stats(stats: &LabelStats) -> Result<Self> {
        Self::new(stats.cosine().view())
    }

    /// Ĉ. // [labels, labels]
    pub fn matrix(&self) -> ArrayView2<'_, f64> {
        self.c_hat.view()
    }

    /// Number of labels K.
    pub fn num_labels(&self) -> usize {
        self.active.len()
    }

    /// Labels whose Ĉ row is zero (their probabilities are never changed).
    pub fn unchanged_labels(&self) -> Vec<usize> {
        (0..self.active.len())
            .filter(|&k| !self.active[k])
            .collect()
    }

    /// p' = (1 − λ)·p + λ·(Ĉ p) for every record (row) of `p` [records, labels].
    /// Errors: a shape that does not match K, no record, a value outside [0, 1] or NaN,
    /// a λ outside [0, 1].
    pub fn apply(&self, p: ArrayView2<'_, f64>, lambda: &Lambda) -> Result<Array2<f64>> {
        self.check_probabilities(p)?;
        lambda.validate(self.num_labels())?;
        // (Ĉ p) for every record at once: P Ĉᵀ. // [records, labels]
        let mixed = p.dot(&self.c_hat.t());
        let mut out = p.to_owned();
        for k in 0..self.num_labels() {
            let l = lambda.get(k);
            if !self.active[k] || l == 0.0 {
                continue;
            }
            for (o, m) in out.column_mut(k).iter_mut().zip(mixed.column(k)) {
                *o = (1.0 - l) * *o + l * m;
            }
        }
        Ok(out)
    }

    fn check_probabilities(&self, p: ArrayView2<'_, f64>) -> Result<()> {
        let (n, k) = p.dim();
        if k != self.num_labels() || n == 0 {
            return Err(LabelError::Shape {
                what: "probabilities".into(),
                got: vec![n, k],
                expected: format!("[records >= 1, {}]", self.num_labels()),
            });
        }
        if let Some(((r, c), v)) = p.indexed_iter().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
            return Err(LabelError::BadValue {
                what: "probabilities".into(),
                row: r,
                col: c,
                value: *v,
                reason: "is not a probability in [0, 1] (pass sigmoid outputs, not logits)".into(),
            });
        }
        Ok(())
    }
}

/// The result of fitting λ on validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaFit {
    pub mode: LambdaMode,
    /// The chosen λ.
    pub lambda: Lambda,
    /// The grid searched.
    pub grid: Vec<f64>,
    /// Macro-F1 (validation-tuned thresholds) at each grid value with a shared λ.
    pub macro_f1: Vec<f64>,
    /// Per-label F1 (validation-tuned thresholds) at each grid value: `per_label_f1[g][k]`.
    pub per_label_f1: Vec<Vec<f64>>,
    /// Validation macro-F1 before calibration (λ = 0).
    pub macro_f1_before: f64,
    /// Validation macro-F1 with the chosen λ.
    pub macro_f1_after: f64,
}

/// Validation macro-F1 and per-label F1 of scores `p`, thresholds tuned on `p` itself
/// (ecg-metrics: F1-optimal per-label thresholds, `score >= threshold`).
pub fn tuned_f1(y: ArrayView2<'_, u8>, p: ArrayView2<'_, f64>) -> Result<(f64, Vec<f64>)> {
    let m = |e: ecg_metrics::MetricsError| LabelError::Metrics(e.to_string());
    let thresholds = ecg_metrics::fit_thresholds(y, p).map_err(m)?;
    let pred = ecg_metrics::binarize(p, &thresholds).map_err(m)?;
    let report = ecg_metrics::f1_report(y, pred.view()).map_err(m)?;
    Ok((
        report.macro_.f1,
        report.per_label.iter().map(|l| l.prf.f1).collect(),
    ))
}

/// Fits λ on the validation fold: labels `val_y` and sigmoid outputs `val_p`, both
/// [records, labels]. Grid [`lambda_grid`]; ties go to the smallest λ, so λ = 0 is kept
/// unless calibration strictly helps.
pub fn fit_lambda(
    cal: &Calibrator,
    val_y: ArrayView2<'_, u8>,
    val_p: ArrayView2<'_, f64>,
    mode: LambdaMode,
) -> Result<LambdaFit> {
    if val_y.dim() != val_p.dim() {
        return Err(LabelError::Shape {
            what: "validation labels".into(),
            got: vec![val_y.nrows(), val_y.ncols()],
            expected: format!("[{}, {}] (as the scores)", val_p.nrows(), val_p.ncols()),
        });
    }
    let grid = lambda_grid();
    let mut macro_f1 = Vec::with_capacity(grid.len());
    let mut per_label_f1 = Vec::with_capacity(grid.len());
    for &l in &grid {
        let p = cal.apply(val_p, &Lambda::Shared(l))?;
        let (m, per) = tuned_f1(val_y, p.view())?;
        macro_f1.push(m);
        per_label_f1.push(per);
    }
    let argmax_first = |scores: &mut dyn Iterator<Item = f64>| {
        let mut best = (0usize, f64::NEG_INFINITY);
        for (g, s) in scores.enumerate() {
            if s > best.1 {
                best = (g, s);
            }
        }
        best.0
    };
    let lambda = match mode {
        LambdaMode::Shared => Lambda::Shared(grid[argmax_first(&mut macro_f1.iter().copied())]),
        LambdaMode::PerLabel => Lambda::PerLabel(
            (0..cal.num_labels())
                .map(|k| grid[argmax_first(&mut per_label_f1.iter().map(|row| row[k]))])
                .collect(),
        ),
    };
    let macro_f1_after = match &lambda {
        Lambda::Shared(l) => macro_f1[grid.iter().position(|g| g == l).unwrap_or(0)],
        Lambda::PerLabel(_) => tuned_f1(val_y, cal.apply(val_p, &lambda)?.view())?.0,
    };
    Ok(LambdaFit {
        mode,
        lambda,
        macro_f1_before: macro_f1[0],
        macro_f1_after,
        grid,
        macro_f1,
        per_label_f1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn close(a: ArrayView2<f64>, b: ArrayView2<f64>) -> bool {
        a.dim() == b.dim() && a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() < 1e-15)
    }

    // C over A, B, C, D (D uncorrelated with everything):
    //   C  = [1 .5 .25 0; .5 1 0 0; .25 0 1 0; 0 0 0 1]
    //   Ĉ  = [0 2/3 1/3 0; 1 0 0 0; 1 0 0 0; 0 0 0 0]
    fn example() -> Calibrator {
        let c = array![
            [1.0, 0.5, 0.25, 0.0],
            [0.5, 1.0, 0.0, 0.0],
            [0.25, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0]
        ];
        Calibrator::new(c.view()).unwrap()
    }

    #[test]
    fn c_hat_by_hand() {
        let cal = example();
        let expect = array![
            [0.0, 2.0 / 3.0, 1.0 / 3.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0]
        ];
        assert!(close(cal.matrix(), expect.view()), "{}", cal.matrix());
        assert_eq!(cal.unchanged_labels(), [3]);
    }

    #[test]
    fn calibrated_probabilities_by_hand() {
        // p = (.9, .3, .6, .7), λ = .5:
        //   Ĉp = (2/3·.3 + 1/3·.6, .9, .9, 0) = (.4, .9, .9, 0)
        //   p' = .5·p + .5·Ĉp = (.65, .6, .75, .7)   (D: zero row, unchanged)
        let cal = example();
        let p = array![[0.9, 0.3, 0.6, 0.7]];
        let out = cal.apply(p.view(), &Lambda::Shared(0.5)).unwrap();
        assert!(
            close(out.view(), array![[0.65, 0.6, 0.75, 0.7]].view()),
            "{out}"
        );
        // Per-label λ = (1, 0, .5, 1): A ← Ĉp_A = .4, B unchanged, C = .75, D unchanged.
        let out = cal
            .apply(p.view(), &Lambda::PerLabel(vec![1.0, 0.0, 0.5, 1.0]))
            .unwrap();
        assert!(
            close(out.view(), array![[0.4, 0.3, 0.75, 0.7]].view()),
            "{out}"
        );
    }

    #[test]
    fn lambda_zero_is_identity_and_zero_row_is_unchanged() {
        let cal = example();
        let p = array![[0.9, 0.3, 0.6, 0.7], [0.0, 1.0, 0.5, 0.25]];
        assert_eq!(cal.apply(p.view(), &Lambda::Shared(0.0)).unwrap(), p);
        let out = cal.apply(p.view(), &Lambda::Shared(1.0)).unwrap();
        assert_eq!(out.column(3), p.column(3));
        // An all-zero C (no label ever seen twice) changes nothing at any λ.
        let zero = Calibrator::new(Array2::<f64>::zeros((4, 4)).view()).unwrap();
        assert_eq!(zero.apply(p.view(), &Lambda::Shared(1.0)).unwrap(), p);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let cal = example();
        let p = array![[0.9, 0.3, 0.6, 0.7]];
        assert!(matches!(
            cal.apply(p.view(), &Lambda::Shared(1.5)),
            Err(LabelError::BadOption { .. })
        ));
        assert!(matches!(
            cal.apply(p.view(), &Lambda::PerLabel(vec![0.5; 3])),
            Err(LabelError::Shape { .. })
        ));
        assert!(matches!(
            cal.apply(array![[0.9, 0.3, 0.6]].view(), &Lambda::Shared(0.5)),
            Err(LabelError::Shape { .. })
        ));
        assert!(matches!(
            cal.apply(array![[0.9, 3.0, 0.6, 0.1]].view(), &Lambda::Shared(0.5)),
            Err(LabelError::BadValue { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            cal.apply(
                array![[0.9, f64::NAN, 0.6, 0.1]].view(),
                &Lambda::Shared(0.5)
            ),
            Err(LabelError::BadValue { .. })
        ));
        assert!(matches!(
            Calibrator::new(array![[1.0, f64::NAN], [0.0, 1.0]].view()),
            Err(LabelError::BadValue { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            Calibrator::new(Array2::<f64>::zeros((2, 3)).view()),
            Err(LabelError::Shape { .. })
        ));
        assert!(matches!(
            Calibrator::new(Array2::<f64>::zeros((0, 0)).view()),
            Err(LabelError::Shape { .. })
        ));
    }

    #[test]
    fn grid_is_exact() {
        let g = lambda_grid();
        assert_eq!(g.len(), 21);
        assert_eq!((g[0], g[5], g[20]), (0.0, 0.25, 1.0));
        assert!(g
            .windows(2)
            .all(|w| (w[1] - w[0] - LAMBDA_STEP).abs() < 1e-12));
    }

    // Two labels that always co-occur; C = [1 1; 1 1] so Ĉ = [0 1; 1 0].
    //   y   = (1,1) (1,1) (0,0) (0,0)
    //   p_A = .9 .8 .2 .1   (separates perfectly: F1 = 1)
    //   p_B = .3 .6 .5 .4   (best tuned F1 = 2/3)
    // p'_B = (1−λ)p_B + λp_A = (.3+.6λ, .6+.2λ, .5−.3λ, .4−.3λ) separates iff .3+.6λ > .5−.3λ,
    // i.e. λ > 2/9: first grid value .25. At λ = .25, p'_A = (.75, .75, .275, .175) still
    // separates. So: shared λ = .25, per-label λ = (0, .25), macro-F1 5/6 → 1.
    fn fit_example() -> (Calibrator, Array2<u8>, Array2<f64>) {
        let cal = Calibrator::new(array![[1.0, 1.0], [1.0, 1.0]].view()).unwrap();
        let y = array![[1u8, 1], [1, 1], [0, 0], [0, 0]];
        let p = array![[0.9, 0.3], [0.8, 0.6], [0.2, 0.5], [0.1, 0.4]];
        (cal, y, p)
    }

    #[test]
    fn fit_shared_lambda_by_hand() {
        let (cal, y, p) = fit_example();
        let fit = fit_lambda(&cal, y.view(), p.view(), LambdaMode::Shared).unwrap();
        assert_eq!(fit.lambda, Lambda::Shared(0.25));
        assert!((fit.macro_f1_before - 5.0 / 6.0).abs() < 1e-12);
        assert_eq!(fit.macro_f1_after, 1.0);
        assert!(
            (fit.per_label_f1[4][1] - 0.8).abs() < 1e-12,
            "λ = .2: B's F1 = 4/5"
        );
    }

    #[test]
    fn fit_per_label_lambda_by_hand() {
        let (cal, y, p) = fit_example();
        let fit = fit_lambda(&cal, y.view(), p.view(), LambdaMode::PerLabel).unwrap();
        assert_eq!(fit.lambda, Lambda::PerLabel(vec![0.0, 0.25]));
        assert_eq!(fit.macro_f1_after, 1.0);
    }

    #[test]
    fn no_gain_keeps_lambda_zero() {
        // Both labels already perfect: every λ ties, the smallest wins.
        let cal = Calibrator::new(array![[1.0, 1.0], [1.0, 1.0]].view()).unwrap();
        let y = array![[1u8, 1], [0, 0]];
        let p = array![[0.9, 0.8], [0.1, 0.2]];
        let fit = fit_lambda(&cal, y.view(), p.view(), LambdaMode::Shared).unwrap();
        assert_eq!(fit.lambda, Lambda::Shared(0.0));
        assert_eq!(fit.macro_f1_before, fit.macro_f1_after);
    }
}
