//! Fast bootstrap of `evaluate`'s headline metrics. A resample is a multiset of rows, so
//! instead of gathering rows and sorting again, every label is sorted once and each resample
//! only reweights the sorted rows by their multiplicities: O(records x labels) per resample.
//! Integer counts make AUC, AP and F1 bit-identical to recomputing on the gathered rows;
//! Fmax walks the resample's rows in order with the same arithmetic (also identical).
use crate::bootstrap::{check_samples, BootstrapSummary};
use crate::classification::{f1_from_counts, Counts};
use crate::curve::Curve;
use crate::error::{MetricsError, Result};
use crate::fmax::FmaxTable;
use crate::ranking::LabelwiseSummary;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// One label sorted once.
struct SortedLabel {
    rows: Vec<u32>,
    y: Vec<u8>,
    group_scores: Vec<f64>,
    group_ends: Vec<u32>,
}

impl SortedLabel {
    fn new(y: ndarray::ArrayView1<u8>, p: ndarray::ArrayView1<f64>) -> SortedLabel {
        let mut order: Vec<(f64, (u8, u32))> = p
            .iter()
            .zip(y.iter())
            .enumerate()
            .map(|(i, (&s, &t))| (s, (t, i as u32)))
            .collect();
        crate::sort::sort_desc(&mut order);
        let mut group_scores: Vec<f64> = Vec::new();
        let mut group_ends: Vec<u32> = Vec::new();
        for (pos, &(s, _)) in order.iter().enumerate() {
            if group_scores.last() == Some(&s) {
                if let Some(e) = group_ends.last_mut() {
                    *e = pos as u32 + 1;
                }
            } else {
                group_scores.push(s);
                group_ends.push(pos as u32 + 1);
            }
        }
        SortedLabel {
            rows: order.iter().map(|o| o.1 .1).collect(),
            y: order.iter().map(|o| o.1 .0).collect(),
            group_scores,
            group_ends,
        }
    }

    fn curve(&self, weight: &[u32]) -> Curve {
        Curve::weighted(
            &self.rows,
            &self.y,
            &self.group_scores,
            &self.group_ends,
            weight,
        )
    }
}

/// Macro AUC, macro AP, Fmax and macro F1 (at fixed predictions) of resamples.
pub(crate) struct Resampler<'a> {
    y: ArrayView2<'a, u8>,
    pred: Array2<u8>,
    labels: Vec<SortedLabel>,
    fmax: FmaxTable,
}

/// Per-resample values, in the order of [`Resampler::summaries`].
pub(crate) const RESAMPLED: usize = 4;

impl<'a> Resampler<'a> {
    /// `pred`: the binary predictions whose macro F1 is resampled.
    pub fn new(y: ArrayView2<'a, u8>, p: ArrayView2<'_, f64>, pred: Array2<u8>) -> Resampler<'a> {
        let labels = (0..y.ncols())
            .into_par_iter()
            .map(|j| SortedLabel::new(y.column(j), p.column(j)))
            .collect();
        Resampler {
            y,
            pred,
            labels,
            fmax: FmaxTable::new(&y, &p),
        }
    }

    /// [macro AUC, macro AP, Fmax, macro F1] of the rows `sample`.
    fn values(&self, sample: &[usize]) -> Result<[Option<f64>; RESAMPLED]> {
        let mut weight = vec![0u32; self.y.nrows()];
        for &i in sample {
            weight[i] += 1;
        }
        let curves: Vec<Curve> = self.labels.iter().map(|l| l.curve(&weight)).collect();
        let auc = LabelwiseSummary::from_per_label(curves.iter().map(Curve::roc_auc).collect());
        let ap =
            LabelwiseSummary::from_per_label(curves.iter().map(Curve::average_precision).collect());
        let fmax = match self.fmax.fmax_over(sample.iter().copied()) {
            Ok(f) => f.map(|f| f.fmax),
            Err(MetricsError::RecordWithoutLabels { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut counts = vec![Counts::default(); self.y.ncols()];
        for (i, &w) in weight.iter().enumerate() {
            if w == 0 {
                continue;
            }
            let w = u64::from(w);
            for ((c, &t), &q) in counts.iter_mut().zip(self.y.row(i)).zip(self.pred.row(i)) {
                match (t, q) {
                    (1, 1) => c.tp += w,
                    (0, 1) => c.fp += w,
                    (1, 0) => c.fn_ += w,
                    _ => c.tn += w,
                }
            }
        }
        let f1 = f1_from_counts(&counts).macro_.f1;
        Ok([auc.macro_, ap.macro_, fmax, Some(f1)])
    }

    /// Point values and bootstrap summaries of the four metrics.
    pub fn summaries(
        &self,
        point: [Option<f64>; RESAMPLED],
        samples: &[Vec<usize>],
    ) -> Result<Vec<BootstrapSummary>> {
        check_samples(samples, self.y.nrows())?;
        let per_sample: Vec<[Option<f64>; RESAMPLED]> = samples
            .par_iter()
            .map(|s| self.values(s))
            .collect::<Result<_>>()?;
        Ok((0..RESAMPLED)
            .map(|m| {
                let v: Vec<Option<f64>> = per_sample.iter().map(|x| x[m]).collect();
                BootstrapSummary::new(point[m], &v)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::{bootstrap_many, draw_bootstrap_samples};
    use crate::classification::{binarize_validated, counts_validated};
    use crate::fmax::fmax_validated;
    use crate::ranking::ranking_validated;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The reweighting shortcut gives exactly (bitwise) what gathering rows gives.
    #[test]
    fn reweighting_equals_gathering() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (n, k) = (120, 7);
        let mut y = Array2::<u8>::zeros((n, k));
        let mut p = Array2::<f64>::zeros((n, k));
        for i in 0..n {
            for j in 0..k {
                y[[i, j]] = u8::from(rng.random::<f64>() < 0.3);
                // coarse grid: many ties
                p[[i, j]] =
                    (rng.random::<f64>() * 20.0).floor() / 20.0 + 0.2 * f64::from(y[[i, j]]);
            }
            y[[i, i % k]] = 1;
        }
        let thresholds = vec![0.5; k];
        let pred = binarize_validated(&p.view(), &thresholds);
        let samples = draw_bootstrap_samples(y.view(), 25, 9).expect("drawable");
        let r = Resampler::new(y.view(), p.view(), pred.clone());
        let fast = r.summaries([None; RESAMPLED], &samples).expect("valid");
        let slow = bootstrap_many(y.view(), p.view(), &samples, |ys, ps| {
            let rk = ranking_validated(&ys, &ps, false);
            let f = fmax_validated(&ys, &ps)?.map(|f| f.fmax);
            let pr = binarize_validated(&ps, &thresholds);
            let f1 = f1_from_counts(&counts_validated(&ys, &pr.view())).macro_.f1;
            Ok(vec![rk.auc.macro_, rk.ap.macro_, f, Some(f1)])
        })
        .expect("valid");
        for m in 0..RESAMPLED {
            assert_eq!(fast[m].mean, slow[m].mean, "metric {m}");
            assert_eq!(fast[m].p05, slow[m].p05, "metric {m}");
            assert_eq!(fast[m].p95, slow[m].p95, "metric {m}");
        }
        for s in &samples {
            let (ys, ps) = crate::bootstrap::gather(&y.view(), &p.view(), s);
            let rk = ranking_validated(&ys.view(), &ps.view(), false);
            let v = r.values(s).expect("valid");
            assert_eq!(v[0], rk.auc.macro_);
            assert_eq!(v[1], rk.ap.macro_);
        }
    }
}
