//! Bootstrap confidence intervals: a metric computed on the full data (the point value) and
//! on each resample (row index sets, given or drawn), summarised by the mean and the 5th and
//! 95th percentiles (numpy's default linear interpolation).
//!
//! Drawing (`draw_bootstrap_samples`): ChaCha8 seeded with `seed`; each resample is
//! `records` indices uniform in `0..records`, kept only if every label has a positive
//! (the PTB-XL benchmark's `get_appropriate_bootstrap_samples`; the benchmark's own index
//! sets can be read from its `.npy` and passed in instead).
use crate::error::{MetricsError, Result};
use crate::validate;
use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Default number of resamples.
pub const DEFAULT_BOOTSTRAP_SAMPLES: usize = 100;

/// Point value and bootstrap distribution summary of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapSummary {
    /// The metric on the full data.
    pub point: Option<f64>,
    /// Mean over the resamples where the metric is defined.
    pub mean: Option<f64>,
    /// 5th percentile (linear interpolation).
    pub p05: Option<f64>,
    /// 95th percentile (linear interpolation).
    pub p95: Option<f64>,
    /// Number of resamples.
    pub n_samples: usize,
    /// Resamples where the metric was undefined (left out of mean and percentiles).
    pub n_undefined: usize,
}

impl BootstrapSummary {
    /// Summarises a point value and the per-resample values.
    pub fn new(point: Option<f64>, values: &[Option<f64>]) -> BootstrapSummary {
        let defined: Vec<f64> = values.iter().flatten().copied().collect();
        BootstrapSummary {
            point,
            mean: crate::ranking::mean(&defined),
            p05: percentile(&defined, 5.0),
            p95: percentile(&defined, 95.0),
            n_samples: values.len(),
            n_undefined: values.len() - defined.len(),
        }
    }
}

/// `np.percentile(values, q)` with the default linear method (q in 0..=100); `None` when
/// `values` is empty or q is out of range. NaNs must not be present.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=100.0).contains(&q) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    // numpy: virtual index (n - 1) * q/100, then _lerp(v[lo], v[lo + 1], gamma)
    let virtual_index = (n - 1) as f64 * (q / 100.0);
    let lo = (virtual_index.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let gamma = virtual_index - lo as f64;
    let (a, b) = (v[lo], v[hi]);
    let diff = b - a;
    Some(if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    })
}

/// Draws `n_samples` resamples of the rows of `y`, each kept only when every label has a
/// positive. Errors when some label has no positive at all, or when 1000 draws per wanted
/// sample did not suffice.
pub fn draw_bootstrap_samples(
    y: ArrayView2<u8>,
    n_samples: usize,
    seed: u64,
) -> Result<Vec<Vec<usize>>> {
    validate::non_empty("labels", &y)?;
    validate::binary("labels", &y)?;
    if let Some(label) = (0..y.ncols()).find(|&j| y.column(j).iter().all(|&v| v == 0)) {
        return Err(MetricsError::BootstrapImpossible {
            reason: format!("label {label} has no positive, so no resample can have one"),
        });
    }
    let n = y.nrows();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut samples = Vec::with_capacity(n_samples);
    let max_draws = n_samples.saturating_mul(1000).max(1000);
    let mut draws = 0usize;
    let mut seen = vec![false; y.ncols()];
    while samples.len() < n_samples {
        if draws == max_draws {
            return Err(MetricsError::BootstrapImpossible {
                reason: format!(
                    "only {} of {n_samples} resamples with a positive for every label in {max_draws} draws",
                    samples.len()
                ),
            });
        }
        draws += 1;
        let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        seen.fill(false);
        for &i in &idx {
            for (s, &v) in seen.iter_mut().zip(y.row(i)) {
                *s |= v == 1;
            }
        }
        if seen.iter().all(|&s| s) {
            samples.push(idx);
        }
    }
    Ok(samples)
}

/// Checks every index of every sample is in `0..records`.
pub(crate) fn check_samples(samples: &[Vec<usize>], records: usize) -> Result<()> {
    for (sample, s) in samples.iter().enumerate() {
        if s.is_empty() {
            return Err(MetricsError::EmptyBootstrapSample { sample });
        }
        if let Some(&index) = s.iter().find(|&&i| i >= records) {
            return Err(MetricsError::BootstrapIndex {
                sample,
                index: index as i128,
                records,
            });
        }
    }
    Ok(())
}

/// Rows `idx` of labels and scores.
pub(crate) fn gather(
    y: &ArrayView2<u8>,
    p: &ArrayView2<f64>,
    idx: &[usize],
) -> (Array2<u8>, Array2<f64>) {
    (y.select(Axis(0), idx), p.select(Axis(0), idx))
}

/// Bootstraps several metrics at once: `metrics(y, p)` returns one value per metric (`None`
/// where undefined); it runs on the full data and on every resample (in parallel, results
/// kept in sample order). Returns one summary per metric.
pub fn bootstrap_many<F>(
    y: ArrayView2<u8>,
    p: ArrayView2<f64>,
    samples: &[Vec<usize>],
    metrics: F,
) -> Result<Vec<BootstrapSummary>>
where
    F: Fn(ArrayView2<u8>, ArrayView2<f64>) -> Result<Vec<Option<f64>>> + Sync,
{
    validate::labels_scores(&y, &p)?;
    check_samples(samples, y.nrows())?;
    let point = metrics(y, p)?;
    let per_sample: Vec<Vec<Option<f64>>> = samples
        .par_iter()
        .map(|idx| {
            let (ys, ps) = gather(&y, &p, idx);
            metrics(ys.view(), ps.view())
        })
        .collect::<Result<_>>()?;
    Ok((0..point.len())
        .map(|m| {
            let values: Vec<Option<f64>> = per_sample
                .iter()
                .map(|v| v.get(m).copied().flatten())
                .collect();
            BootstrapSummary::new(point[m], &values)
        })
        .collect())
}

/// Bootstraps one metric (see [`bootstrap_many`]).
pub fn bootstrap<F>(
    y: ArrayView2<u8>,
    p: ArrayView2<f64>,
    samples: &[Vec<usize>],
    metric: F,
) -> Result<BootstrapSummary>
where
    F: Fn(ArrayView2<u8>, ArrayView2<f64>) -> Result<Option<f64>> + Sync,
{
    let mut v = bootstrap_many(y, p, samples, |y, p| Ok(vec![metric(y, p)?]))?;
    v.pop().ok_or_else(|| MetricsError::BootstrapImpossible {
        reason: "no metric value".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn percentile_matches_numpy_linear() {
        // np.percentile([1,2,3,4], [5, 50, 95]) = [1.15, 2.5, 3.85]
        let v = [4.0, 1.0, 3.0, 2.0];
        assert!((percentile(&v, 5.0).expect("some") - 1.15).abs() < 1e-15);
        assert_eq!(percentile(&v, 50.0), Some(2.5));
        assert!((percentile(&v, 95.0).expect("some") - 3.85).abs() < 1e-15);
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[], 5.0), None);
    }

    #[test]
    fn drawn_samples_have_every_label_and_are_seeded() {
        let y = array![[1u8, 0], [0, 1], [0, 0], [1, 1], [0, 0]];
        let a = draw_bootstrap_samples(y.view(), 20, 7).expect("drawable");
        let b = draw_bootstrap_samples(y.view(), 20, 7).expect("drawable");
        assert_eq!(a, b);
        assert_eq!(a.len(), 20);
        for s in &a {
            assert_eq!(s.len(), 5);
            for j in 0..2 {
                assert!(s.iter().any(|&i| y[[i, j]] == 1));
            }
        }
        let y0 = array![[1u8, 0], [0, 0]];
        assert!(draw_bootstrap_samples(y0.view(), 3, 1).is_err());
    }

    #[test]
    fn out_of_range_index_is_an_error() {
        let y = array![[1u8], [0]];
        let p = array![[0.4], [0.3]];
        let r = bootstrap(y.view(), p.view(), &[vec![0, 2]], |y, p| {
            crate::micro_auc(y, p)
        });
        assert!(matches!(
            r,
            Err(MetricsError::BootstrapIndex { index: 2, .. })
        ));
    }
}
