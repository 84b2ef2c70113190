//! One label's scores sorted once (descending) and collapsed into tie groups. Everything
//! rank-based (ROC-AUC, average precision, the F1-optimal threshold) is one pass over the
//! groups, so each label costs one O(n log n) sort.
//!
//! Invariant: inputs were validated (labels 0/1, scores finite); groups are in strictly
//! decreasing score order and their counts sum to the number of records.

/// Records sharing one score value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Group {
    /// The shared score.
    pub score: f64,
    /// Positives in the group.
    pub tp: u64,
    /// Negatives in the group.
    pub fp: u64,
}

/// The tie groups of one label, highest score first.
#[derive(Debug, Clone)]
pub(crate) struct Curve {
    pub groups: Vec<Group>,
    pub positives: u64,
    pub negatives: u64,
}

impl Curve {
    /// Sorts `(score, label)` pairs and collapses equal scores (`==`, so -0.0 and 0.0 tie).
    pub fn new(mut pairs: Vec<(f64, u8)>) -> Curve {
        crate::sort::sort_desc(&mut pairs);
        Curve::from_sorted(pairs)
    }

    /// Collapses pairs already sorted by score, descending.
    pub fn from_sorted(pairs: Vec<(f64, u8)>) -> Curve {
        let mut groups: Vec<Group> = Vec::new();
        let (mut positives, mut negatives) = (0u64, 0u64);
        for (score, label) in pairs {
            let (tp, fp) = if label == 1 { (1, 0) } else { (0, 1) };
            positives += tp;
            negatives += fp;
            match groups.last_mut() {
                Some(g) if g.score == score => {
                    g.tp += tp;
                    g.fp += fp;
                }
                _ => groups.push(Group { score, tp, fp }),
            }
        }
        Curve {
            groups,
            positives,
            negatives,
        }
    }

    /// The curve of a multiset of records given by multiplicities `weight[row]`, from one
    /// label's rows pre-sorted by score (`sorted_rows`, `sorted_y`) and its tie groups
    /// (`group_scores[g]` spans `group_ends[g-1]..group_ends[g]`). Equal to the curve of the
    /// gathered rows (zero-weight groups vanish), without sorting again.
    pub fn weighted(
        sorted_rows: &[u32],
        sorted_y: &[u8],
        group_scores: &[f64],
        group_ends: &[u32],
        weight: &[u32],
    ) -> Curve {
        let mut groups = Vec::with_capacity(group_scores.len());
        let (mut positives, mut negatives) = (0u64, 0u64);
        let mut start = 0usize;
        for (&score, &end) in group_scores.iter().zip(group_ends) {
            let end = end as usize;
            let (mut tp, mut fp) = (0u64, 0u64);
            for (&row, &label) in sorted_rows[start..end].iter().zip(&sorted_y[start..end]) {
                let w = u64::from(weight[row as usize]);
                if label == 1 {
                    tp += w;
                } else {
                    fp += w;
                }
            }
            start = end;
            if tp + fp > 0 {
                positives += tp;
                negatives += fp;
                groups.push(Group { score, tp, fp });
            }
        }
        Curve {
            groups,
            positives,
            negatives,
        }
    }

    /// Builds the curve of one column of a label matrix and a score matrix.
    pub fn from_column(y: ndarray::ArrayView1<u8>, p: ndarray::ArrayView1<f64>) -> Curve {
        Curve::new(p.iter().copied().zip(y.iter().copied()).collect())
    }

    /// The curve of the union of several curves' records (the pooled, "micro" curve): a
    /// parallel pairwise merge of the sorted group lists, equal scores summed. Identical to
    /// sorting all pooled (score, label) pairs, at O(total x log(curves)).
    pub fn merged(curves: &[Curve]) -> Curve {
        match curves {
            [] => Curve {
                groups: Vec::new(),
                positives: 0,
                negatives: 0,
            },
            [one] => one.clone(),
            _ => {
                let (a, b) = curves.split_at(curves.len() / 2);
                let (a, b) = rayon::join(|| Curve::merged(a), || Curve::merged(b));
                Curve::merge_two(&a, &b)
            }
        }
    }

    fn merge_two(a: &Curve, b: &Curve) -> Curve {
        let mut groups: Vec<Group> = Vec::with_capacity(a.groups.len() + b.groups.len());
        let (mut i, mut j) = (0, 0);
        while i < a.groups.len() || j < b.groups.len() {
            let next = match (a.groups.get(i), b.groups.get(j)) {
                (Some(x), Some(y)) if x.score == y.score => {
                    i += 1;
                    j += 1;
                    Group {
                        score: x.score,
                        tp: x.tp + y.tp,
                        fp: x.fp + y.fp,
                    }
                }
                // total_cmp: the same order the sort uses (-0.0 == 0.0 handled above)
                (Some(x), Some(y)) if x.score.total_cmp(&y.score).is_gt() => {
                    i += 1;
                    *x
                }
                (Some(x), None) => {
                    i += 1;
                    *x
                }
                (_, Some(y)) => {
                    j += 1;
                    *y
                }
                (None, None) => break,
            };
            match groups.last_mut() {
                // -0.0 and 0.0 from different inputs meet here
                Some(g) if g.score == next.score => {
                    g.tp += next.tp;
                    g.fp += next.fp;
                }
                _ => groups.push(next),
            }
        }
        Curve {
            groups,
            positives: a.positives + b.positives,
            negatives: a.negatives + b.negatives,
        }
    }

    /// ROC-AUC by the rank statistic with ties averaged (each tie group contributes a
    /// trapezoid), in exact integer arithmetic until the final division.
    /// `None` when only one class is present.
    pub fn roc_auc(&self) -> Option<f64> {
        if self.positives == 0 || self.negatives == 0 {
            return None;
        }
        // twice the area under the step/trapezoid curve, in units of (1 positive x 1 negative)
        let mut area2: u128 = 0;
        let mut tp_before: u128 = 0;
        for g in &self.groups {
            area2 += g.fp as u128 * (2 * tp_before + g.tp as u128);
            tp_before += g.tp as u128;
        }
        let denom = 2 * self.positives as u128 * self.negatives as u128;
        Some(area2 as f64 / denom as f64)
    }

    /// Average precision as scikit-learn's `average_precision_score`: the sum over distinct
    /// thresholds (each tie group) of (R_k - R_{k-1}) * P_k, no interpolation.
    /// `None` when there is no positive.
    pub fn average_precision(&self) -> Option<f64> {
        if self.positives == 0 {
            return None;
        }
        let p = self.positives as f64;
        let (mut tp, mut fp) = (0u64, 0u64);
        let mut recall_prev = 0.0f64;
        let mut ap = 0.0f64;
        for g in &self.groups {
            tp += g.tp;
            fp += g.fp;
            let recall = tp as f64 / p;
            let precision = tp as f64 / (tp + fp) as f64;
            ap += (recall - recall_prev) * precision;
            recall_prev = recall;
        }
        Some(ap)
    }

    /// The F1-optimal threshold: candidates are the distinct scores, a record is predicted
    /// positive when `score >= threshold`; F1 = 2TP / (2TP + FP + FN) is compared exactly
    /// (integer cross-multiplication) and the LARGEST threshold wins ties. With no positive,
    /// F1 is 0 everywhere and the result is the largest score.
    pub fn best_f1_threshold(&self) -> BestThreshold {
        let mut best: Option<BestThreshold> = None;
        let (mut tp, mut fp) = (0u64, 0u64);
        for g in &self.groups {
            tp += g.tp;
            fp += g.fp;
            let num = 2 * tp;
            let den = tp + fp + self.positives; // 2TP + FP + FN, >= 1 here
            let better = match &best {
                None => true,
                // num/den > b.num/b.den, strictly: earlier (larger) thresholds win ties
                Some(b) => (num as u128) * (b.den as u128) > (b.num as u128) * (den as u128),
            };
            if better {
                best = Some(BestThreshold {
                    threshold: g.score,
                    num,
                    den,
                });
            }
        }
        // `groups` is non-empty for validated (non-empty) input.
        best.unwrap_or(BestThreshold {
            threshold: 0.5,
            num: 0,
            den: 1,
        })
    }
}

/// The winning candidate of [`Curve::best_f1_threshold`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct BestThreshold {
    pub threshold: f64,
    /// 2TP at the threshold.
    pub num: u64,
    /// 2TP + FP + FN at the threshold.
    pub den: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_merge_ties_and_signed_zeros() {
        let c = Curve::new(vec![(0.0, 1), (-0.0, 0), (0.5, 1), (0.5, 0), (0.2, 0)]);
        assert_eq!(c.groups.len(), 3);
        assert_eq!((c.groups[0].tp, c.groups[0].fp), (1, 1));
        assert_eq!((c.groups[2].tp, c.groups[2].fp), (1, 1));
        assert_eq!((c.positives, c.negatives), (2, 3));
    }

    #[test]
    fn merging_equals_pooling() {
        let parts = [
            vec![(0.5, 1u8), (0.0, 0), (0.9, 0), (0.5, 0)],
            vec![(-0.0, 1), (0.5, 1), (0.7, 0)],
            vec![(0.9, 1), (0.1, 0)],
        ];
        let curves: Vec<Curve> = parts.iter().cloned().map(Curve::new).collect();
        let pooled = Curve::new(parts.concat());
        let merged = Curve::merged(&curves);
        assert_eq!(merged.groups, pooled.groups);
        assert_eq!(
            (merged.positives, merged.negatives),
            (pooled.positives, pooled.negatives)
        );
    }

    #[test]
    fn auc_counts_ties_as_half() {
        // one positive and one negative tied: AUC 0.5; perfect ranking: 1; reversed: 0
        assert_eq!(Curve::new(vec![(0.3, 1), (0.3, 0)]).roc_auc(), Some(0.5));
        assert_eq!(Curve::new(vec![(0.9, 1), (0.1, 0)]).roc_auc(), Some(1.0));
        assert_eq!(Curve::new(vec![(0.1, 1), (0.9, 0)]).roc_auc(), Some(0.0));
        assert_eq!(Curve::new(vec![(0.1, 1), (0.9, 1)]).roc_auc(), None);
    }

    #[test]
    fn ap_by_hand() {
        // ranks: + - + : P@1 = 1 (R 0.5), P@3 = 2/3 (R 1) -> 0.5 + 0.5 * 2/3
        let c = Curve::new(vec![(0.9, 1), (0.8, 0), (0.7, 1)]);
        let ap = c.average_precision().unwrap_or(f64::NAN);
        assert!((ap - (0.5 + 1.0 / 3.0)).abs() < 1e-15);
        assert_eq!(Curve::new(vec![(0.9, 0)]).average_precision(), None);
    }

    #[test]
    fn best_threshold_prefers_largest_on_ties() {
        // at 0.9: TP1 FP0 FN1 -> 2/3; at 0.5: TP2 FP2 FN0 -> 4/6 = 2/3 (tie) -> 0.9 wins
        let c = Curve::new(vec![(0.9, 1), (0.5, 1), (0.5, 0), (0.5, 0), (0.1, 0)]);
        assert_eq!(c.best_f1_threshold().threshold, 0.9);
        // no positive: the largest score
        let c = Curve::new(vec![(0.2, 0), (0.7, 0)]);
        assert_eq!(c.best_f1_threshold().threshold, 0.7);
    }
}
