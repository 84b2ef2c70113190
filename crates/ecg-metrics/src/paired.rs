//! Paired comparisons of two models: over seeds (one number per seed and model, the
//! difference per seed, its mean, sample standard deviation and Student-t interval) and,
//! for one run, a paired bootstrap over test records (the same resamples scored for both
//! models, the difference per resample, its percentile interval).
//!
//! - [`Summary::of`]: n, mean, standard deviation with n − 1 (`np.std(x, ddof=1)`), and the
//!   two-sided Student-t interval `mean ± t_{1−α/2, n−1} · s / √n` (`scipy.stats.t.interval`
//!   with `scale = sem`); the interval needs n ≥ 2.
//! - [`t_quantile`]: the quantile of Student's t (`scipy.stats.t.ppf`), from the `statrs`
//!   crate (a well-kept implementation through the inverse regularised incomplete beta;
//!   built without its default `nalgebra`/`rand` features, so it adds two small crates).
//! - [`paired_bootstrap`]: metric(A) − metric(B) on the full data and on every resample;
//!   the interval is the (1−level)/2 and (1+level)/2 percentiles (numpy's linear method).
//!
//! Golden values: `scripts/golden/paired_stats.py` (scipy, numpy, scikit-learn), checked in
//! `tests/golden_paired.rs`.
use crate::bootstrap::{check_samples, gather, percentile};
use crate::error::{MetricsError, Result};
use crate::validate;
use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A two-sided interval at `level` (0.95: 95 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
    pub level: f64,
}

/// n, mean, standard deviation and Student-t interval of a sample (e.g. one paired
/// difference per seed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1); `None` for a single value.
    pub std: Option<f64>,
    /// `mean ± t_{(1+level)/2, n−1} · std / √n`; `None` for a single value.
    pub t_interval: Option<Interval>,
}

fn check_level(level: f64) -> Result<()> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(MetricsError::Sample {
            what: "interval level",
            reason: format!("{level} is not in (0, 1)"),
        })
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (`scipy.stats.t.ppf`).
pub fn t_quantile(p: f64, df: f64) -> Result<f64> {
    if !(p > 0.0 && p < 1.0) {
        return Err(MetricsError::Sample {
            what: "t quantile",
            reason: format!("probability {p} is not in (0, 1)"),
        });
    }
    let t = StudentsT::new(0.0, 1.0, df).map_err(|e| MetricsError::Sample {
        what: "t quantile",
        reason: format!("{df} degrees of freedom: {e}"),
    })?;
    Ok(t.inverse_cdf(p))
}

impl Summary {
    /// The summary of `xs` with a Student-t interval at `level`. Errors on an empty sample
    /// or a non-finite value.
    pub fn of(xs: &[f64], level: f64) -> Result<Summary> {
        check_level(level)?;
        if xs.is_empty() {
            return Err(MetricsError::Sample {
                what: "sample",
                reason: "no value".into(),
            });
        }
        if let Some(i) = xs.iter().position(|x| !x.is_finite()) {
            return Err(MetricsError::Sample {
                what: "sample",
                reason: format!("value {i} is {}", xs[i]),
            });
        }
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Ok(Summary {
                n,
                mean,
                std: None,
                t_interval: None,
            });
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let std = var.sqrt();
        let half = t_quantile(0.5 + level / 2.0, (n - 1) as f64)? * std / (n as f64).sqrt();
        Ok(Summary {
            n,
            mean,
            std: Some(std),
            t_interval: Some(Interval {
                lo: mean - half,
                hi: mean + half,
                level,
            }),
        })
    }
}

/// `a[i] − b[i]`: one paired difference per seed. Errors when the lengths differ.
pub fn differences(a: &[f64], b: &[f64]) -> Result<Vec<f64>> {
    if a.len() != b.len() {
        return Err(MetricsError::Sample {
            what: "paired differences",
            reason: format!("{} values against {}", a.len(), b.len()),
        });
    }
    Ok(a.iter().zip(b).map(|(x, y)| x - y).collect())
}

/// metric(A) − metric(B) on the full data and over the resamples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedBootstrap {
    /// The difference on the full data; `None` when the metric is undefined for either.
    pub point: Option<f64>,
    /// Mean difference over the resamples where both are defined.
    pub mean: Option<f64>,
    /// Percentile interval of the differences; `None` when no resample is defined.
    pub interval: Option<Interval>,
    pub n_samples: usize,
    /// Resamples where the metric was undefined for A or B (left out).
    pub n_undefined: usize,
}

/// Paired bootstrap of metric(A) − metric(B) over the row index sets `samples` (the same
/// resample for both models): labels `y` [records, labels], scores `pa`, `pb` of the same
/// shape. Resamples run in parallel; results are kept in sample order.
pub fn paired_bootstrap<F>(
    y: ArrayView2<u8>,
    pa: ArrayView2<f64>,
    pb: ArrayView2<f64>,
    samples: &[Vec<usize>],
    level: f64,
    metric: F,
) -> Result<PairedBootstrap>
where
    F: Fn(ArrayView2<u8>, ArrayView2<f64>) -> Result<Option<f64>> + Sync,
{
    check_level(level)?;
    validate::labels_scores(&y, &pa)?;
    validate::labels_scores(&y, &pb)?;
    check_samples(samples, y.nrows())?;
    let diff = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
    let point = diff(metric(y, pa)?, metric(y, pb)?);
    let per_sample: Vec<Option<f64>> = samples
        .par_iter()
        .map(|idx| {
            let (ys, a) = gather(&y, &pa, idx);
            let b = pb.select(ndarray::Axis(0), idx);
            Ok(diff(
                metric(ys.view(), a.view())?,
                metric(ys.view(), b.view())?,
            ))
        })
        .collect::<Result<_>>()?;
    let defined: Vec<f64> = per_sample.iter().flatten().copied().collect();
    let q = |x: f64| percentile(&defined, 100.0 * x);
    let interval = q((1.0 - level) / 2.0)
        .zip(q((1.0 + level) / 2.0))
        .map(|(lo, hi)| Interval { lo, hi, level });
    Ok(PairedBootstrap {
        point,
        mean: crate::ranking::mean(&defined),
        interval,
        n_samples: samples.len(),
        n_undefined: samples.len() - defined.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn single_value_has_no_spread_and_bad_input_is_refused() {
        let s = Summary::of(&[0.25], 0.95).expect("one value");
        assert_eq!((s.n, s.mean, s.std, s.t_interval), (1, 0.25, None, None));
        assert!(Summary::of(&[], 0.95).is_err());
        let e = Summary::of(&[1.0, f64::NAN], 0.95).expect_err("NaN");
        assert!(e.to_string().contains("value 1 is NaN"), "{e}");
        assert!(Summary::of(&[1.0, 2.0], 1.0).is_err());
        assert!(differences(&[1.0], &[1.0, 2.0]).is_err());
        assert_eq!(
            differences(&[3.0, 1.0], &[1.0, 2.0]).expect("paired"),
            [2.0, -1.0]
        );
        assert!(t_quantile(0.0, 3.0).is_err());
        assert!(t_quantile(0.5, 0.0).is_err());
    }

    #[test]
    fn identical_models_differ_by_zero_everywhere() {
        let y = array![[1u8, 0], [0, 1], [1, 1], [0, 0]];
        let p = array![[0.9, 0.2], [0.3, 0.8], [0.6, 0.7], [0.1, 0.4]];
        let samples = vec![vec![0, 1, 2, 3], vec![0, 0, 1, 2], vec![3, 3, 3, 3]];
        let r = paired_bootstrap(y.view(), p.view(), p.view(), &samples, 0.95, |y, p| {
            Ok(crate::macro_auc(y, p)?.macro_)
        })
        .expect("bootstrap");
        assert_eq!(r.point, Some(0.0));
        assert_eq!(r.n_undefined, 1, "all-negative resample has no AUC");
        let i = r.interval.expect("interval");
        assert_eq!((i.lo, i.hi), (0.0, 0.0));
    }
}
