//! Stratified folds by patient (as PTB-XL's `strat_fold`): every record of a patient lands
//! in the same fold, and the folds are balanced in record count and in each stratum
//! (diagnostic superclass) count. Greedy iterative stratification (Sechidis et al. 2011,
//! the scheme PTB-XL used): patients with more records and rarer labels are placed first,
//! each in the fold with the largest relative deficit of its records and labels.
//!
//! Datasets without patient ids (CPSC2018, Hefei-Tianchi) are split record-wise with the
//! same algorithm, each record its own "patient" ([`stratified_folds`], seeded).
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Number of folds.
pub const FOLDS: usize = 10;

/// What a patient brings to the folds.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientLoad {
    pub records: usize,
    /// Records of this patient carrying each stratum.
    pub strata: Vec<u32>,
}

/// Fold (1..=10) of each patient.
pub fn assign_folds<R: Rng + ?Sized>(patients: &[PatientLoad], rng: &mut R) -> Vec<u8> {
    let k = patients.iter().map(|p| p.strata.len()).max().unwrap_or(0);
    let total_rec: usize = patients.iter().map(|p| p.records).sum();
    let mut total = vec![0u64; k];
    for p in patients {
        for (t, &c) in total.iter_mut().zip(&p.strata) {
            *t += c as u64;
        }
    }
    // rarity of a patient: the smallest total among its strata
    let rarity = |p: &PatientLoad| {
        p.strata
            .iter()
            .zip(&total)
            .filter(|(&c, _)| c > 0)
            .map(|(_, &t)| t)
            .min()
            .unwrap_or(u64::MAX)
    };
    let mut order: Vec<usize> = (0..patients.len()).collect();
    order.shuffle(rng);
    order.sort_by_key(|&i| (std::cmp::Reverse(patients[i].records), rarity(&patients[i])));

    let target_rec = (total_rec as f64 / FOLDS as f64).max(1.0);
    let target: Vec<f64> = total
        .iter()
        .map(|&t| (t as f64 / FOLDS as f64).max(1.0))
        .collect();
    let mut cur_rec = [0.0f64; FOLDS];
    let mut cur = vec![[0.0f64; FOLDS]; k];
    let mut folds = vec![0u8; patients.len()];
    let mut fold_order: Vec<usize> = (0..FOLDS).collect();
    for i in order {
        let p = &patients[i];
        fold_order.shuffle(rng);
        let score = |f: usize| {
            let mut s = p.records as f64 * (target_rec - cur_rec[f]) / target_rec;
            for (j, &c) in p.strata.iter().enumerate() {
                if c > 0 {
                    s += c as f64 * (target[j] - cur[j][f]) / target[j];
                }
            }
            s
        };
        let mut best = fold_order[0];
        let mut best_score = score(best);
        for &f in &fold_order[1..] {
            let sc = score(f);
            if sc > best_score {
                best = f;
                best_score = sc;
            }
        }
        folds[i] = (best + 1) as u8;
        cur_rec[best] += p.records as f64;
        for (j, &c) in p.strata.iter().enumerate() {
            cur[j][best] += c as f64;
        }
    }
    folds
}

/// Record-wise folds (1..=10): each record is its own patient in [`assign_folds`], its
/// strata the label indices in `labels[i]` (< `n_labels`; others ignored). A function of
/// (labels, seed).
pub fn stratified_folds(labels: &[Vec<usize>], n_labels: usize, seed: u64) -> Vec<u8> {
    let loads: Vec<PatientLoad> = labels
        .iter()
        .map(|set| {
            let mut strata = vec![0u32; n_labels];
            for &l in set.iter().filter(|&&l| l < n_labels) {
                strata[l] = 1;
            }
            PatientLoad { records: 1, strata }
        })
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    assign_folds(&loads, &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;

    /// 2000 records, 6 labels of very different frequency, some records unlabelled.
    fn sets() -> Vec<Vec<usize>> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let p = [0.5, 0.2, 0.1, 0.03, 0.01, 0.005];
        (0..2000)
            .map(|_| (0..6).filter(|&l| rng.random::<f64>() < p[l]).collect())
            .collect()
    }

    #[test]
    fn record_wise_folds_are_balanced_in_records_and_labels_and_seeded() {
        let s = sets();
        let f = stratified_folds(&s, 6, 42);
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
                    (c - total / 10.0).abs() <= 2.0,
                    "label {l} fold {fold}: {c} of {total}"
                );
            }
        }
        assert_eq!(f, stratified_folds(&s, 6, 42));
        assert_ne!(f, stratified_folds(&s, 6, 43));
        assert!(stratified_folds(&[], 6, 1).is_empty());
    }

    #[test]
    fn balanced_and_whole_patients() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let patients: Vec<PatientLoad> = (0..3000)
            .map(|i| PatientLoad {
                records: 1 + (i % 7 == 0) as usize + (i % 31 == 0) as usize,
                strata: vec![(i % 2) as u32, (i % 5 == 0) as u32, (i % 50 == 0) as u32],
            })
            .collect();
        let f = assign_folds(&patients, &mut rng);
        let mut rec = [0usize; FOLDS];
        let mut rare = [0u32; FOLDS];
        for (p, &fold) in patients.iter().zip(&f) {
            assert!((1..=10).contains(&fold));
            rec[fold as usize - 1] += p.records;
            rare[fold as usize - 1] += p.strata[2];
        }
        let total: usize = rec.iter().sum();
        for r in rec {
            assert!((r as f64 - total as f64 / 10.0).abs() <= 3.0, "{rec:?}");
        }
        for r in rare {
            assert!((5..=7).contains(&r), "{rare:?}");
        }
    }
}
