//! A label task over a list of records: which records keep at least one label, the class
//! vocabulary, and the multi-hot matrix `y` [records, classes].
//!
//! Record input is [`RecordCodes`], a borrowed view that both PTB-XL table rows
//! ([`ecg_io::ptbxl::PtbxlRecord`]) and packed records ([`ecg_io::pack::PackedRecord`])
//! convert into, so tasks are built the same way from the CSV tables and from a pack.
use crate::error::{LabelError, Result};
use crate::vocab::Vocabulary;
use ecg_io::pack::PackedRecord;
use ecg_io::ptbxl::PtbxlRecord;
use ndarray::Array2;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// PTB-XL training folds (the statistics and every fitted quantity use only these).
pub const TRAIN_FOLDS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
/// PTB-XL validation fold.
pub const VALIDATION_FOLD: u8 = 9;
/// PTB-XL test fold (nothing is fitted on it).
pub const TEST_FOLD: u8 = 10;

/// One record's label statements: `(code or class name, likelihood)` in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordCodes<'a> {
    /// Record name for errors and outputs (PTB-XL: the ecg_id).
    pub id: Cow<'a, str>,
    /// Fold 1..=10.
    pub fold: u8,
    pub codes: &'a [(String, f64)],
}

impl<'a> From<&'a PtbxlRecord> for RecordCodes<'a> {
    fn from(r: &'a PtbxlRecord) -> Self {
        Self {
            id: Cow::Owned(r.ecg_id.to_string()),
            fold: r.strat_fold,
            codes: &r.scp_codes,
        }
    }
}

impl<'a> From<&'a PackedRecord> for RecordCodes<'a> {
    fn from(r: &'a PackedRecord) -> Self {
        Self {
            id: Cow::Borrowed(&r.id),
            fold: r.fold,
            codes: &r.codes,
        }
    }
}

/// Options of task construction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskOptions {
    /// Keep a statement only if its likelihood is `>= min_likelihood`. Default 0: every
    /// statement counts, whatever its likelihood (the benchmark's behaviour).
    pub min_likelihood: f64,
    /// Keep a class only if more than `min_samples` records (over all folds, after
    /// aggregation) carry it — the benchmark's `select_data` filter. Default 0 (keeps all).
    /// Unlike the benchmark, which skips this filter for `diagnostic`, it applies to every
    /// task (identical at the default).
    pub min_samples: usize,
}

impl Default for TaskOptions {
    fn default() -> Self {
        Self {
            min_likelihood: 0.0,
            min_samples: 0,
        }
    }
}

impl TaskOptions {
    pub(crate) fn validate(&self) -> Result<()> {
        if !self.min_likelihood.is_finite() || self.min_likelihood < 0.0 {
            return Err(LabelError::BadOption {
                option: "min_likelihood".into(),
                value: self.min_likelihood.to_string(),
                reason: "must be a finite number >= 0".into(),
            });
        }
        Ok(())
    }
}

/// The codes of one record whose likelihood passes `min_likelihood`; a non-finite
/// likelihood is an error naming the record and code.
pub(crate) fn kept_codes<'r>(
    rec: &'r RecordCodes<'_>,
    min_likelihood: f64,
) -> Result<Vec<&'r str>> {
    let mut out = Vec::with_capacity(rec.codes.len());
    for (code, lik) in rec.codes {
        if !lik.is_finite() {
            return Err(LabelError::BadLikelihood {
                record: rec.id.to_string(),
                code: code.clone(),
                value: *lik,
            });
        }
        if *lik >= min_likelihood {
            out.push(code.as_str());
        }
    }
    Ok(out)
}

/// A built task: the kept records (input order), their classes and multi-hot labels.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLabels {
    /// Classes, column order of `y`.
    pub classes: Vocabulary,
    /// Ids of the kept records, row order of `y`.
    pub ids: Vec<String>,
    /// Fold of each kept record.
    pub folds: Vec<u8>,
    /// Position of each kept record in the input slice.
    pub source_rows: Vec<usize>,
    /// Multi-hot labels, 0/1. // [records, classes]
    pub y: Array2<u8>,
    /// Ids of the input records dropped because no label of the task was left.
    pub dropped: Vec<String>,
}

impl TaskLabels {
    /// The task's name (the vocabulary's name).
    pub fn task(&self) -> &str {
        self.classes.name()
    }
    /// Number of kept records.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// Never true for a built task (construction errors on an empty one).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// Rows (into `y`) of the records whose fold is in `folds`, in order.
    pub fn rows_in_folds(&self, folds: &[u8]) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| folds.contains(&self.folds[i]))
            .collect()
    }
    /// Multi-hot rows of the records in `folds`. // [selected, classes]
    pub fn y_in_folds(&self, folds: &[u8]) -> Array2<u8> {
        self.y.select(ndarray::Axis(0), &self.rows_in_folds(folds))
    }

    /// Builds a task from one label set per input record.
    ///
    /// - `vocabulary = None`: classes are the sorted names left after the `min_samples`
    ///   filter (PTB-XL, Hefei-Tianchi); `Some(v)`: fixed classes (CPSC2018), a name
    ///   outside `v` is an error and `min_samples` must be 0.
    /// - Records whose set is empty are dropped (listed in `dropped`).
    /// - Errors: a fold outside 1..=10; no class or no record left.
    pub fn from_label_sets(
        task: &str,
        records: &[RecordCodes<'_>],
        mut sets: Vec<BTreeSet<String>>,
        vocabulary: Option<&Vocabulary>,
        min_samples: usize,
    ) -> Result<Self> {
        if sets.len() != records.len() {
            return Err(LabelError::Shape {
                what: format!("task `{task}`: label sets"),
                got: vec![sets.len()],
                expected: format!("[{}] (one per record)", records.len()),
            });
        }
        for r in records {
            if !(1..=10).contains(&r.fold) {
                return Err(LabelError::BadFold {
                    record: r.id.to_string(),
                    fold: r.fold,
                });
            }
        }
        if min_samples > 0 {
            if vocabulary.is_some() {
                return Err(LabelError::BadOption {
                    option: "min_samples".into(),
                    value: min_samples.to_string(),
                    reason: format!("task `{task}` has a fixed vocabulary; use 0"),
                });
            }
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for s in &sets {
                for l in s {
                    *counts.entry(l.as_str()).or_default() += 1;
                }
            }
            let keep: BTreeSet<String> = counts
                .into_iter()
                .filter(|&(_, c)| c > min_samples)
                .map(|(l, _)| l.to_string())
                .collect();
            for s in &mut sets {
                s.retain(|l| keep.contains(l));
            }
        }
        let classes = match vocabulary {
            Some(v) => Vocabulary::new(task, v.names().to_vec())?,
            None => Vocabulary::sorted_from(task, sets.iter().flatten()).map_err(|e| match e {
                LabelError::EmptyLabelSet { .. } => LabelError::EmptyLabelSet {
                    what: format!("task `{task}`: no record of {} has a label", records.len()),
                },
                other => other,
            })?,
        };
        let kept: Vec<usize> = (0..records.len())
            .filter(|&i| !sets[i].is_empty())
            .collect();
        if kept.is_empty() {
            return Err(LabelError::EmptyLabelSet {
                what: format!("task `{task}`: no record of {} has a label", records.len()),
            });
        }
        let mut y = Array2::<u8>::zeros((kept.len(), classes.len()));
        for (row, &i) in kept.iter().enumerate() {
            for l in &sets[i] {
                let col = classes
                    .index_of(l)
                    .ok_or_else(|| LabelError::UnknownLabel {
                        record: records[i].id.to_string(),
                        label: l.clone(),
                        vocabulary: task.to_string(),
                    })?;
                y[[row, col]] = 1;
            }
        }
        Ok(Self {
            ids: kept.iter().map(|&i| records[i].id.to_string()).collect(),
            folds: kept.iter().map(|&i| records[i].fold).collect(),
            dropped: (0..records.len())
                .filter(|&i| sets[i].is_empty())
                .map(|i| records[i].id.to_string())
                .collect(),
            source_rows: kept,
            classes,
            y,
        })
    }
}

/// A task whose codes already are class names (CPSC2018, Hefei-Tianchi packs: `(class,
/// 100.0)`). `vocabulary = None` reads the vocabulary from the data (the sorted names
/// present, Hefei-Tianchi); `Some` fixes it (CPSC2018: [`Vocabulary::cpsc2018`]).
pub fn named_task(
    task: &str,
    records: &[RecordCodes<'_>],
    vocabulary: Option<&Vocabulary>,
    min_likelihood: f64,
) -> Result<TaskLabels> {
    TaskOptions {
        min_likelihood,
        min_samples: 0,
    }
    .validate()?;
    let sets = records
        .iter()
        .map(|r| {
            Ok(kept_codes(r, min_likelihood)?
                .into_iter()
                .map(str::to_string)
                .collect())
        })
        .collect::<Result<Vec<BTreeSet<String>>>>()?;
    TaskLabels::from_label_sets(task, records, sets, vocabulary, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter().map(|(c, l)| (c.to_string(), *l)).collect()
    }

    #[test]
    fn named_task_with_fixed_vocabulary_keeps_all_columns() {
        let a = codes(&[("AF", 100.0)]);
        let b = codes(&[("RBBB", 100.0), ("PAC", 100.0)]);
        let c = codes(&[]);
        let recs = vec![
            RecordCodes {
                id: "A1".into(),
                fold: 1,
                codes: &a,
            },
            RecordCodes {
                id: "A2".into(),
                fold: 9,
                codes: &b,
            },
            RecordCodes {
                id: "A3".into(),
                fold: 10,
                codes: &c,
            },
        ];
        let t = named_task("cpsc2018", &recs, Some(&Vocabulary::cpsc2018()), 0.0).unwrap();
        assert_eq!(t.classes.len(), 9);
        assert_eq!(t.ids, ["A1", "A2"]);
        assert_eq!(t.dropped, ["A3"]);
        // Normal AF I-AVB LBBB RBBB PAC PVC STD STE
        assert_eq!(t.y.row(0).to_vec(), [0, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(t.y.row(1).to_vec(), [0, 0, 0, 0, 1, 1, 0, 0, 0]);
        assert_eq!(t.rows_in_folds(&TRAIN_FOLDS), [0]);
        assert_eq!(t.y_in_folds(&[VALIDATION_FOLD]).nrows(), 1);
    }

    #[test]
    fn named_task_unknown_label_is_an_error() {
        let a = codes(&[("Flutter", 100.0)]);
        let recs = vec![RecordCodes {
            id: "A7".into(),
            fold: 1,
            codes: &a,
        }];
        let e = named_task("cpsc2018", &recs, Some(&Vocabulary::cpsc2018()), 0.0).unwrap_err();
        assert!(
            matches!(e, LabelError::UnknownLabel { ref record, ref label, .. } if record == "A7" && label == "Flutter"),
            "{e}"
        );
    }

    #[test]
    fn named_task_reads_vocabulary_from_data() {
        let a = codes(&[("窦性心律", 100.0), ("T波改变", 100.0)]);
        let b = codes(&[("电轴左偏", 100.0)]);
        let recs = vec![
            RecordCodes {
                id: "1".into(),
                fold: 2,
                codes: &a,
            },
            RecordCodes {
                id: "2".into(),
                fold: 3,
                codes: &b,
            },
        ];
        let t = named_task("hefei", &recs, None, 0.0).unwrap();
        let mut expect = vec!["窦性心律", "T波改变", "电轴左偏"];
        expect.sort();
        assert_eq!(t.classes.names(), expect.as_slice());
    }

    #[test]
    fn no_label_at_all_is_an_empty_label_set_error() {
        let a = codes(&[]);
        let recs = vec![RecordCodes {
            id: "1".into(),
            fold: 2,
            codes: &a,
        }];
        let e = named_task("hefei", &recs, None, 0.0).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelSet { .. }), "{e}");
        let e = named_task("cpsc2018", &recs, Some(&Vocabulary::cpsc2018()), 0.0).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelSet { .. }), "{e}");
        let e = named_task("cpsc2018", &[], Some(&Vocabulary::cpsc2018()), 0.0).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelSet { .. }), "{e}");
    }

    #[test]
    fn bad_fold_and_bad_likelihood_are_errors() {
        let a = codes(&[("AF", 100.0)]);
        let recs = vec![RecordCodes {
            id: "A9".into(),
            fold: 0,
            codes: &a,
        }];
        let e = named_task("c", &recs, None, 0.0).unwrap_err();
        assert!(matches!(e, LabelError::BadFold { fold: 0, .. }), "{e}");
        let n = codes(&[("AF", f64::NAN)]);
        let recs = vec![RecordCodes {
            id: "A9".into(),
            fold: 1,
            codes: &n,
        }];
        let e = named_task("c", &recs, None, 0.0).unwrap_err();
        assert!(
            matches!(e, LabelError::BadLikelihood { ref code, .. } if code == "AF"),
            "{e}"
        );
        let e = named_task("c", &recs, None, -1.0).unwrap_err();
        assert!(matches!(e, LabelError::BadOption { .. }), "{e}");
    }
}
