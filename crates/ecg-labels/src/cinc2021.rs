//! The PhysioNet/CinC Challenge 2021 label set (Reyna et al. 2021): the 26 scored classes in
//! the order of the organisers' `weights.csv` (ecg-metrics embeds it), their SNOMED-CT codes,
//! names and abbreviations from the organisers' `dx_mapping_scored.csv`
//! (data/cinc2021/SOURCE.md), and record-wise iterative stratification into folds.
//!
//! Equivalent codes are merged as the organisers score them: a class is one entry of
//! `weights.csv`, e.g. `713427006|59118001` (complete right bundle branch block | right bundle
//! branch block). Unscored codes are handled as the organisers do: they are kept in a
//! record's raw `#Dx` text but belong to no class, so they neither help nor hurt any score
//! (a record with only unscored codes has no positive class).
//!
//! A class's label (the pack's and vocabulary's class name) is its codes then its
//! abbreviations, both `|`-joined in table order: `164889003 AF`, `713427006|59118001 CRBBB|RBBB`.
use crate::error::{LabelError, Result};
use crate::vocab::Vocabulary;
use ecg_metrics::challenge2021::Weights;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The organisers' `dx_mapping_scored.csv` (evaluation-2021 commit e2a75fc).
pub const DX_MAPPING_SCORED_CSV: &str = include_str!("../data/cinc2021/dx_mapping_scored.csv");
/// The organisers' `dx_mapping_unscored.csv` (evaluation-2021 commit e2a75fc).
pub const DX_MAPPING_UNSCORED_CSV: &str = include_str!("../data/cinc2021/dx_mapping_unscored.csv");

/// One scored class.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredClass {
    /// SNOMED-CT codes scored as this class (table order).
    pub codes: Vec<String>,
    /// Abbreviation of each code (same order).
    pub abbreviations: Vec<String>,
    /// Diagnosis of each code (same order).
    pub diagnoses: Vec<String>,
}

impl ScoredClass {
    /// The class name used in packs and vocabularies: `codes abbreviations`.
    pub fn label(&self) -> String {
        format!("{} {}", self.codes.join("|"), self.abbreviations.join("|"))
    }
}

fn table(what: &str, msg: String) -> LabelError {
    LabelError::BadOption {
        option: what.to_string(),
        value: "embedded table".to_string(),
        reason: msg,
    }
}

/// (code, abbreviation, diagnosis) rows of a dx mapping table.
pub fn dx_mapping(csv: &str) -> Vec<(String, String, String)> {
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f.len() >= 3).then(|| (f[1].to_string(), f[2].to_string(), f[0].to_string()))
        })
        .collect()
}

/// The 26 scored classes in `weights.csv` order.
pub fn scored_classes() -> Result<Vec<ScoredClass>> {
    let w = Weights::official().map_err(|e| table("weights.csv", e.to_string()))?;
    let map = dx_mapping(DX_MAPPING_SCORED_CSV);
    w.classes
        .iter()
        .map(|codes| {
            let mut c = ScoredClass {
                codes: codes.clone(),
                abbreviations: vec![],
                diagnoses: vec![],
            };
            for code in codes {
                let (_, abbr, dx) = map.iter().find(|(c, _, _)| c == code).ok_or_else(|| {
                    table(
                        "dx_mapping_scored.csv",
                        format!("scored code {code} of weights.csv is missing"),
                    )
                })?;
                c.abbreviations.push(abbr.clone());
                c.diagnoses.push(dx.clone());
            }
            Ok(c)
        })
        .collect()
}

/// The scored classes as a vocabulary (labels of [`ScoredClass::label`], table order).
pub fn vocabulary() -> Result<Vocabulary> {
    Vocabulary::new(
        "cinc2021",
        scored_classes()?.iter().map(ScoredClass::label).collect(),
    )
}

/// Indices of the classes a record's `#Dx` codes fall in (ascending, each once).
pub fn classes_of<S: AsRef<str>>(classes: &[ScoredClass], dx: &[S]) -> Vec<usize> {
    (0..classes.len())
        .filter(|&j| {
            dx.iter()
                .any(|d| classes[j].codes.iter().any(|c| c == d.as_ref()))
        })
        .collect()
}

/// The SNOMED-CT codes of a class label (`"713427006|59118001 CRBBB|RBBB"` → both codes).
pub fn codes_of_label(label: &str) -> Vec<String> {
    let head = label.split_whitespace().next().unwrap_or("");
    head.split('|').map(str::to_string).collect()
}

/// Record-wise iterative stratification (Sechidis, Tsoumakas & Vlahavas 2011) into `k`
/// folds numbered 1..=k. `labels[i]` lists record i's classes (indices < `n_classes`).
/// Each fold wants 1/k of the records and of every class's positives; the rarest class
/// (fewest unassigned positives) is handled first, each of its records going to the fold
/// that most wants that class (ties: the fold that most wants records, then a seeded
/// random choice). Records without a class fill the folds that want records most.
/// Deterministic for (labels, k, seed).
pub fn stratified_folds(
    labels: &[Vec<usize>],
    n_classes: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<u8>> {
    if k == 0 || k > 255 {
        return Err(LabelError::BadOption {
            option: "folds".into(),
            value: k.to_string(),
            reason: "must be 1..=255".into(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = labels.len();
    let mut want_total: Vec<f64> = vec![n as f64 / k as f64; k];
    let mut remaining = vec![0usize; n_classes];
    for l in labels {
        for &c in l {
            if c >= n_classes {
                return Err(LabelError::BadOption {
                    option: "class index".into(),
                    value: c.to_string(),
                    reason: format!("outside 0..{n_classes}"),
                });
            }
            remaining[c] += 1;
        }
    }
    let mut want: Vec<Vec<f64>> = (0..k)
        .map(|_| remaining.iter().map(|&r| r as f64 / k as f64).collect())
        .collect();
    let mut fold: Vec<Option<u8>> = vec![None; n];
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, l) in labels.iter().enumerate() {
        for &c in l {
            by_class[c].push(i);
        }
    }
    loop {
        let Some(c) = (0..n_classes)
            .filter(|&c| remaining[c] > 0)
            .min_by_key(|&c| (remaining[c], c))
        else {
            break;
        };
        for &i in &by_class[c] {
            if fold[i].is_some() {
                continue;
            }
            let f = pick(&mut rng, k, |f| (want[f][c], want_total[f]));
            fold[i] = Some(f as u8 + 1);
            want_total[f] -= 1.0;
            for &d in &labels[i] {
                want[f][d] -= 1.0;
                remaining[d] -= 1;
            }
        }
    }
    let mut rest: Vec<usize> = (0..n).filter(|&i| fold[i].is_none()).collect();
    rest.shuffle(&mut rng);
    for i in rest {
        let f = pick(&mut rng, k, |f| (want_total[f], 0.0));
        fold[i] = Some(f as u8 + 1);
        want_total[f] -= 1.0;
    }
    Ok(fold.into_iter().map(|f| f.unwrap_or(1)).collect())
}

/// The fold with the largest key (lexicographic), ties broken uniformly at random.
fn pick(rng: &mut ChaCha8Rng, k: usize, key: impl Fn(usize) -> (f64, f64)) -> usize {
    let best = (0..k)
        .map(&key)
        .fold((f64::NEG_INFINITY, f64::NEG_INFINITY), |a, b| {
            if b.0 > a.0 || (b.0 == a.0 && b.1 > a.1) {
                b
            } else {
                a
            }
        });
    let ties: Vec<usize> = (0..k).filter(|&f| key(f) == best).collect();
    ties[rng.random_range(0..ties.len())]
}

/// CPSC2018's nine classes (label numbers 1..=9) as the PhysioNet/CinC Challenge 2020/2021
/// relabelled its `A` records with SNOMED-CT codes. The organisers publish no per-class table;
/// this one is checked against their `dx_mapping_*.csv`, whose CPSC column counts exactly
/// these codes with CPSC2018's class sizes (e.g. 918 sinus rhythm, 1221 AF, 700 ventricular
/// ectopics); PVC, ST depression and ST elevation are unscored in 2021.
pub const CPSC2018_SNOMED: [(&str, &str); 9] = [
    ("Normal", "426783006"),
    ("AF", "164889003"),
    ("I-AVB", "270492004"),
    ("LBBB", "164909002"),
    ("RBBB", "59118001"),
    ("PAC", "284470004"),
    ("PVC", "164884008"),
    ("STD", "429622005"),
    ("STE", "164931005"),
];

/// The CPSC column (4th) of the dx mapping tables: code → count.
#[cfg(test)]
fn cpsc_counts() -> Vec<(String, u64)> {
    [DX_MAPPING_SCORED_CSV, DX_MAPPING_UNSCORED_CSV]
        .iter()
        .flat_map(|t| t.lines().skip(1))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            Some((f.get(1)?.to_string(), f.get(3)?.parse().ok()?))
        })
        .collect()
}

/// Folds of a CinC pack (10, as PTB-XL's `strat_fold`).
pub const FOLDS: usize = 10;

/// The pack rows of Challenge records (header order): `codes` = the scored classes of the
/// `#Dx` codes as [`ScoredClass::label`]s (likelihood 100), `codes_raw` = the `#Dx` codes as
/// written (unscored ones included), folds from [`stratified_folds`] over the scored classes
/// (record-wise: no source names patients, see `ecg_io::cinc2021`). Also returns the text that
/// states how labels and folds were made (for the pack metadata).
pub fn packed_records(
    headers: &[ecg_io::cinc2021::CincHeader],
    seed: u64,
) -> Result<(Vec<ecg_io::pack::PackedRecord>, String)> {
    let classes = scored_classes()?;
    let sets: Vec<Vec<usize>> = headers
        .iter()
        .map(|h| classes_of(&classes, &h.dx))
        .collect();
    let folds = stratified_folds(&sets, classes.len(), FOLDS, seed)?;
    let unscored_only = sets.iter().filter(|s| s.is_empty()).count();
    let records = headers
        .iter()
        .zip(&sets)
        .zip(&folds)
        .map(|((h, set), &fold)| ecg_io::pack::PackedRecord {
            id: h.name.clone(),
            ecg_id: None,
            patient_id: None,
            fold,
            codes: set.iter().map(|&j| (classes[j].label(), 100.0)).collect(),
            codes_raw: h.dx.join(","),
        })
        .collect();
    let text = format!(
        "labels: the {} scored classes of the PhysioNet/CinC Challenge 2021 (organisers' weights.csv and dx_mapping_scored.csv, evaluation-2021 commit e2a75fc; equivalent codes merged: 713427006|59118001, 284470004|63593006, 427172004|17338001, 733534002|164909002), named `codes abbreviations`; unscored #Dx codes kept only in codes_raw ({unscored_only} records have no scored class); folds 1..={FOLDS}: record-wise iterative stratification (Sechidis et al. 2011) over the scored classes, seed {seed} (no source in the Challenge layout names patients)",
        classes.len()
    );
    Ok((records, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scored_classes_follow_the_organisers_tables() {
        let c = scored_classes().expect("tables");
        assert_eq!(c.len(), 26);
        assert_eq!(c.iter().map(|c| c.codes.len()).sum::<usize>(), 30);
        let crbbb = c
            .iter()
            .find(|c| c.codes.contains(&"59118001".to_string()))
            .expect("RBBB");
        assert_eq!(crbbb.label(), "713427006|59118001 CRBBB|RBBB");
        assert_eq!(
            codes_of_label(&crbbb.label()),
            vec!["713427006", "59118001"]
        );
        for pair in [
            ["284470004", "63593006"],
            ["427172004", "17338001"],
            ["733534002", "164909002"],
        ] {
            let idx: Vec<usize> = pair.iter().flat_map(|p| classes_of(&c, &[p])).collect();
            assert_eq!(idx.len(), 2);
            assert_eq!(idx[0], idx[1], "{pair:?} are one class");
        }
        assert_eq!(classes_of(&c, &["164884008", "999"]), Vec::<usize>::new());
        assert_eq!(vocabulary().expect("vocab").len(), 26);
        assert!(dx_mapping(DX_MAPPING_UNSCORED_CSV)
            .iter()
            .any(|(c, a, _)| c == "164884008" && a == "VEB"));
    }

    #[test]
    fn cpsc2018_mapping_matches_the_organisers_cpsc_counts() {
        let counts = cpsc_counts();
        // Every code the organisers count for CPSC is one of the nine, and every one of the
        // nine is counted: the mapping is the one they applied.
        let nonzero: Vec<&String> = counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(c, _)| c)
            .collect();
        assert_eq!(nonzero.len(), 9, "{nonzero:?}");
        for (_, code) in CPSC2018_SNOMED {
            assert!(nonzero.iter().any(|c| *c == code), "{code}");
        }
        let n = |code: &str| counts.iter().find(|(c, _)| c == code).map(|(_, n)| *n);
        assert_eq!(n("426783006"), Some(918));
        assert_eq!(n("164889003"), Some(1221));
    }

    #[test]
    fn stratified_folds_balance_every_class_and_repeat_for_a_seed() {
        let mut labels = Vec::new();
        for i in 0..1000usize {
            let mut l = vec![i % 3];
            if i % 7 == 0 {
                l.push(3);
            }
            if i % 50 == 0 {
                l.push(4);
            }
            if i % 11 == 0 {
                l.clear();
            }
            labels.push(l);
        }
        let f = stratified_folds(&labels, 5, 10, 7).expect("folds");
        assert_eq!(f, stratified_folds(&labels, 5, 10, 7).expect("folds"));
        assert_ne!(f, stratified_folds(&labels, 5, 10, 8).expect("folds"));
        for fold in 1..=10u8 {
            let rows: Vec<usize> = (0..1000).filter(|&i| f[i] == fold).collect();
            assert!(
                (99..=101).contains(&rows.len()),
                "fold {fold}: {}",
                rows.len()
            );
            for c in 0..5 {
                let total = labels.iter().filter(|l| l.contains(&c)).count() as f64;
                let here = rows.iter().filter(|&&i| labels[i].contains(&c)).count() as f64;
                assert!(
                    (here - total / 10.0).abs() <= 1.0,
                    "fold {fold} class {c}: {here} of {total}"
                );
            }
        }
        assert!(stratified_folds(&labels, 5, 0, 1).is_err());
        assert!(stratified_folds(&[vec![9]], 5, 10, 1).is_err());
    }
}
