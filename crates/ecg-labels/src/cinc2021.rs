//! The PhysioNet/CinC Challenge 2021 label set (Reyna et al. 2021): the 26 scored classes in
//! the order of the organisers' `weights.csv` (ecg-metrics embeds it), their SNOMED-CT codes,
//! names and abbreviations from the organisers' `dx_mapping_scored.csv`
//! (data/cinc2021/SOURCE.md), and the rows of a CinC pack (folds from `ecg_io::folds`).
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
pub const FOLDS: usize = ecg_io::folds::FOLDS;

/// The pack rows of Challenge records (header order): `codes` = the scored classes of the
/// `#Dx` codes as [`ScoredClass::label`]s (likelihood 100), `codes_raw` = the `#Dx` codes as
/// written (unscored ones included), folds from `ecg_io::folds::stratified_folds` over the
/// scored classes
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
    let folds = ecg_io::folds::stratified_folds(&sets, classes.len(), seed);
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
            age: h.age,
            sex: h.sex,
        })
        .collect();
    let text = format!(
        "labels: the {} scored classes of the PhysioNet/CinC Challenge 2021 (organisers' weights.csv and dx_mapping_scored.csv, evaluation-2021 commit e2a75fc; equivalent codes merged: 713427006|59118001, 284470004|63593006, 427172004|17338001, 733534002|164909002), named `codes abbreviations`; unscored #Dx codes kept only in codes_raw ({unscored_only} records have no scored class); folds 1..={FOLDS}: record-wise iterative stratification (Sechidis et al. 2011; ecg_io::folds) over the scored classes, seed {seed} (no source in the Challenge layout names patients)",
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
}
