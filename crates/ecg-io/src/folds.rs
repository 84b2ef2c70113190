//! Record-wise stratified folds for datasets without an official split or patient ids
//! (Hefei-Tianchi, CPSC2018): iterative stratification (Sechidis, Tsoumakas & Vlahavas
//! 2011, "On the stratification of multi-label data", ECML PKDD), the algorithm behind
//! PTB-XL's `strat_fold` and scikit-multilearn's `IterativeStratification`, with every tie
//! broken by a seeded generator so the folds are a function of (label sets, seed).
//!
//! Each fold wants 1/k of the records and 1/k of each label's records. Repeatedly take the
//! label with the fewest records still unassigned; give each of its records (in seeded
//! random order) to the fold that most wants that label, ties to the fold that wants the
//! most records, then at random. Records with no label go to the folds that want the most
//! records.
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Fold 1..=k of each record. `labels[i]` are record i's label indices (< `n_labels`;
/// others are ignored). `k` ≥ 1.
pub fn stratified_folds(labels: &[Vec<usize>], n_labels: usize, k: u8, seed: u64) -> Vec<u8> {
    let k = usize::from(k.max(1));
    let n = labels.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let share = 1.0 / k as f64;
    let mut want: Vec<f64> = vec![n as f64 * share; k];
    let mut per_label = vec![0usize; n_labels];
    for set in labels {
        for &l in set.iter().filter(|&&l| l < n_labels) {
            per_label[l] += 1;
        }
    }
    let mut want_label: Vec<Vec<f64>> = per_label
        .iter()
        .map(|&c| vec![c as f64 * share; k])
        .collect();
    let mut fold: Vec<Option<usize>> = vec![None; n];
    let mut remaining = per_label.clone();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    loop {
        // The label with the fewest unassigned records (ties: lowest index).
        let Some(l) = (0..n_labels)
            .filter(|&l| remaining[l] > 0)
            .min_by_key(|&l| (remaining[l], l))
        else {
            break;
        };
        for &i in &order {
            if fold[i].is_some() || !labels[i].contains(&l) {
                continue;
            }
            let f = pick(&want_label[l], &want, &mut rng);
            fold[i] = Some(f);
            want[f] -= 1.0;
            for &m in labels[i].iter().filter(|&&m| m < n_labels) {
                if remaining[m] > 0 {
                    remaining[m] -= 1;
                }
                want_label[m][f] -= 1.0;
            }
        }
    }
    for &i in &order {
        if fold[i].is_none() {
            let f = pick(&want, &want, &mut rng);
            fold[i] = Some(f);
            want[f] -= 1.0;
        }
    }
    fold.into_iter()
        .map(|f| f.map_or(1, |f| (f + 1) as u8))
        .collect()
}

/// The fold with the largest `first`, ties by the largest `second`, then at random.
fn pick(first: &[f64], second: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let best = first.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tied: Vec<usize> = (0..first.len()).filter(|&f| first[f] == best).collect();
    let best2 = tied
        .iter()
        .map(|&f| second[f])
        .fold(f64::NEG_INFINITY, f64::max);
    let tied: Vec<usize> = tied.into_iter().filter(|&f| second[f] == best2).collect();
    tied[rng.random_range(0..tied.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2000 records, 6 labels of very different frequency, some records unlabelled.
    fn sets() -> Vec<Vec<usize>> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let p = [0.5, 0.2, 0.1, 0.03, 0.01, 0.005];
        (0..2000)
            .map(|_| (0..6).filter(|&l| rng.random::<f64>() < p[l]).collect())
            .collect()
    }

    #[test]
    fn folds_are_balanced_in_records_and_in_every_label() {
        let s = sets();
        let f = stratified_folds(&s, 6, 10, 42);
        assert!(f.iter().all(|&x| (1..=10).contains(&x)));
        for fold in 1..=10u8 {
            let n = f.iter().filter(|&&x| x == fold).count();
            assert!((195..=205).contains(&n), "fold {fold}: {n} records");
        }
        for l in 0..6 {
            let total = s.iter().filter(|x| x.contains(&l)).count() as f64;
            for fold in 1..=10u8 {
                let c = (0..s.len())
                    .filter(|&i| f[i] == fold && s[i].contains(&l))
                    .count() as f64;
                assert!(
                    (c - total / 10.0).abs() <= 1.0 + 1e-9,
                    "label {l} fold {fold}: {c} of {total}"
                );
            }
        }
    }

    #[test]
    fn same_seed_same_folds_other_seed_other_folds() {
        let s = sets();
        assert_eq!(
            stratified_folds(&s, 6, 10, 1),
            stratified_folds(&s, 6, 10, 1)
        );
        assert_ne!(
            stratified_folds(&s, 6, 10, 1),
            stratified_folds(&s, 6, 10, 2)
        );
        assert_eq!(stratified_folds(&[], 6, 10, 1), Vec::<u8>::new());
        assert_eq!(stratified_folds(&s[..3], 6, 1, 1), vec![1, 1, 1]);
    }
}
