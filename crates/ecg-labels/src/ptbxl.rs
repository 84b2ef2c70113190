//! PTB-XL label tasks, built as the PTB-XL benchmark builds them
//! (helme/ecg_ptbxl_benchmarking, `code/utils/utils.py`: `compute_label_aggregations`,
//! `select_data`, scikit-learn `MultiLabelBinarizer`):
//!
//! | task              | a record's labels                                                |
//! |-------------------|------------------------------------------------------------------|
//! | `all`             | every key of `scp_codes` (not checked against the statements)     |
//! | `diagnostic`      | keys whose statement has `diagnostic == 1`                        |
//! | `subdiagnostic`   | the `diagnostic_subclass` of those keys, when present             |
//! | `superdiagnostic` | the `diagnostic_class` of those keys, when present                |
//! | `form`            | keys whose statement has `form == 1`                              |
//! | `rhythm`          | keys whose statement has `rhythm == 1`                            |
//!
//! Each record's labels are a set; records with none are dropped; classes are the sorted
//! names present in the whole table (all folds), as the binarizer is fitted.
use crate::error::{LabelError, Result};
use crate::task::{kept_codes, RecordCodes, TaskLabels, TaskOptions};
use ecg_io::ptbxl::ScpStatement;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

/// One of the benchmark's six PTB-XL label tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PtbxlTask {
    All,
    Diagnostic,
    Subdiagnostic,
    Superdiagnostic,
    Form,
    Rhythm,
}

impl PtbxlTask {
    /// The six tasks, in the benchmark's order.
    pub const TASKS: [PtbxlTask; 6] = [
        PtbxlTask::All,
        PtbxlTask::Diagnostic,
        PtbxlTask::Subdiagnostic,
        PtbxlTask::Superdiagnostic,
        PtbxlTask::Form,
        PtbxlTask::Rhythm,
    ];

    /// The task's name as the benchmark writes it (`all`, `diagnostic`, …).
    pub fn name(self) -> &'static str {
        match self {
            PtbxlTask::All => "all",
            PtbxlTask::Diagnostic => "diagnostic",
            PtbxlTask::Subdiagnostic => "subdiagnostic",
            PtbxlTask::Superdiagnostic => "superdiagnostic",
            PtbxlTask::Form => "form",
            PtbxlTask::Rhythm => "rhythm",
        }
    }
}

impl fmt::Display for PtbxlTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PtbxlTask {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self> {
        PtbxlTask::TASKS
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| LabelError::UnknownTask(s.to_string()))
    }
}

/// `scp_statements.csv` indexed by code.
#[derive(Debug, Clone)]
pub struct StatementIndex<'a> {
    by_code: HashMap<&'a str, &'a ScpStatement>,
}

impl<'a> StatementIndex<'a> {
    /// Errors: an empty table, a code listed twice.
    pub fn new(statements: &'a [ScpStatement]) -> Result<Self> {
        if statements.is_empty() {
            return Err(LabelError::EmptyLabelSet {
                what: "scp_statements has no statement".into(),
            });
        }
        let mut by_code = HashMap::with_capacity(statements.len());
        for s in statements {
            if by_code.insert(s.code.as_str(), s).is_some() {
                return Err(LabelError::DuplicateStatement {
                    code: s.code.clone(),
                });
            }
        }
        Ok(Self { by_code })
    }

    /// The statement of a code.
    pub fn get(&self, code: &str) -> Option<&'a ScpStatement> {
        self.by_code.get(code).copied()
    }

    /// The labels of one record for `task`, from its kept codes (a set, so a class reached
    /// through two codes counts once).
    pub fn labels<'c>(
        &self,
        codes: impl IntoIterator<Item = &'c str>,
        task: PtbxlTask,
    ) -> BTreeSet<String> {
        let non_empty = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
        codes
            .into_iter()
            .filter_map(|code| {
                if task == PtbxlTask::All {
                    return Some(code.to_string());
                }
                let st = self.get(code)?;
                match task {
                    PtbxlTask::All => Some(code.to_string()),
                    PtbxlTask::Diagnostic => st.diagnostic.then(|| code.to_string()),
                    PtbxlTask::Subdiagnostic => st
                        .diagnostic
                        .then(|| non_empty(&st.diagnostic_subclass))
                        .flatten(),
                    PtbxlTask::Superdiagnostic => st
                        .diagnostic
                        .then(|| non_empty(&st.diagnostic_class))
                        .flatten(),
                    PtbxlTask::Form => st.form.then(|| code.to_string()),
                    PtbxlTask::Rhythm => st.rhythm.then(|| code.to_string()),
                }
            })
            .collect()
    }
}

/// Builds a PTB-XL task over `records` (all folds; split later with
/// [`TaskLabels::rows_in_folds`]).
///
/// Errors: invalid options, a non-finite likelihood, a fold outside 1..=10, an empty or
/// duplicated statement table, no record left with a label.
pub fn ptbxl_task(
    records: &[RecordCodes<'_>],
    statements: &[ScpStatement],
    task: PtbxlTask,
    opts: &TaskOptions,
) -> Result<TaskLabels> {
    opts.validate()?;
    let index = StatementIndex::new(statements)?;
    let sets = records
        .iter()
        .map(|r| Ok(index.labels(kept_codes(r, opts.min_likelihood)?, task)))
        .collect::<Result<Vec<_>>>()?;
    TaskLabels::from_label_sets(task.name(), records, sets, None, opts.min_samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(
        code: &str,
        diag: bool,
        form: bool,
        rhythm: bool,
        class: Option<&str>,
        sub: Option<&str>,
    ) -> ScpStatement {
        ScpStatement {
            code: code.into(),
            description: String::new(),
            diagnostic: diag,
            form,
            rhythm,
            diagnostic_class: class.map(str::to_string),
            diagnostic_subclass: sub.map(str::to_string),
        }
    }

    fn statements() -> Vec<ScpStatement> {
        vec![
            st("NORM", true, false, false, Some("NORM"), Some("NORM")),
            st("IMI", true, false, false, Some("MI"), Some("IMI")),
            st("ILMI", true, false, false, Some("MI"), Some("IMI")),
            st("NDT", true, true, false, Some("STTC"), Some("STTC")),
            st("LVOLT", false, true, false, None, None),
            st("SR", false, false, true, None, None),
            st("AFIB", false, false, true, None, None),
            // A diagnostic statement without class/subclass: contributes only to
            // `diagnostic` (the benchmark drops NaN classes).
            st("ODD", true, false, false, None, None),
        ]
    }

    fn codes(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter().map(|(c, l)| (c.to_string(), *l)).collect()
    }

    struct Fixture {
        codes: Vec<Vec<(String, f64)>>,
        folds: Vec<u8>,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                codes: vec![
                    codes(&[("NORM", 100.0), ("LVOLT", 0.0), ("SR", 0.0)]),
                    codes(&[("IMI", 50.0), ("ILMI", 100.0), ("AFIB", 0.0)]),
                    codes(&[("SR", 0.0)]),
                    codes(&[("NDT", 15.0), ("ODD", 100.0), ("XYZ", 100.0)]),
                ],
                folds: vec![1, 5, 9, 10],
            }
        }
        fn records(&self) -> Vec<RecordCodes<'_>> {
            self.codes
                .iter()
                .zip(&self.folds)
                .enumerate()
                .map(|(i, (c, &f))| RecordCodes {
                    id: (i + 1).to_string().into(),
                    fold: f,
                    codes: c,
                })
                .collect()
        }
    }

    fn build(task: PtbxlTask, opts: TaskOptions) -> Result<TaskLabels> {
        let fx = Fixture::new();
        let st = statements();
        ptbxl_task(&fx.records(), &st, task, &opts)
    }

    fn rows(t: &TaskLabels) -> Vec<Vec<u8>> {
        t.y.rows().into_iter().map(|r| r.to_vec()).collect()
    }

    #[test]
    fn tasks_by_hand() {
        let d = TaskOptions::default();
        let t = build(PtbxlTask::Superdiagnostic, d).unwrap();
        assert_eq!(t.classes.names(), ["MI", "NORM", "STTC"]);
        assert_eq!(t.ids, ["1", "2", "4"]);
        assert_eq!(t.dropped, ["3"]);
        assert_eq!(rows(&t), [vec![0, 1, 0], vec![1, 0, 0], vec![0, 0, 1]]);

        let t = build(PtbxlTask::Subdiagnostic, d).unwrap();
        assert_eq!(t.classes.names(), ["IMI", "NORM", "STTC"]);
        // IMI and ILMI both map to IMI: one label.
        assert_eq!(rows(&t)[1], [1, 0, 0]);

        let t = build(PtbxlTask::Diagnostic, d).unwrap();
        assert_eq!(t.classes.names(), ["ILMI", "IMI", "NDT", "NORM", "ODD"]);
        assert_eq!(rows(&t)[2], [0, 0, 1, 0, 1]);

        let t = build(PtbxlTask::Form, d).unwrap();
        assert_eq!(t.classes.names(), ["LVOLT", "NDT"]);
        assert_eq!(t.ids, ["1", "4"]);

        let t = build(PtbxlTask::Rhythm, d).unwrap();
        assert_eq!(t.classes.names(), ["AFIB", "SR"]);
        assert_eq!(t.ids, ["1", "2", "3"]);
        assert_eq!(rows(&t), [vec![0, 1], vec![1, 0], vec![0, 1]]);

        // `all` keeps a code that the statement table does not know, as the benchmark.
        let t = build(PtbxlTask::All, d).unwrap();
        assert_eq!(
            t.classes.names(),
            ["AFIB", "ILMI", "IMI", "LVOLT", "NDT", "NORM", "ODD", "SR", "XYZ"]
        );
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn min_likelihood_filters_statements() {
        let o = TaskOptions {
            min_likelihood: 50.0,
            min_samples: 0,
        };
        // Record 4's NDT (15) is dropped, so STTC disappears and record 4 has no
        // superclass (ODD has none) and is dropped.
        let t = build(PtbxlTask::Superdiagnostic, o).unwrap();
        assert_eq!(t.classes.names(), ["MI", "NORM"]);
        assert_eq!(t.ids, ["1", "2"]);
        // The threshold is inclusive: IMI at exactly 50 stays.
        let t = build(PtbxlTask::Diagnostic, o).unwrap();
        assert_eq!(t.classes.names(), ["ILMI", "IMI", "NORM", "ODD"]);
        // Rhythm statements all have likelihood 0: nothing left.
        let e = build(PtbxlTask::Rhythm, o).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelSet { .. }), "{e}");
        assert!(e.to_string().contains("rhythm"), "{e}");
    }

    #[test]
    fn min_samples_keeps_classes_seen_more_often() {
        let o = TaskOptions {
            min_likelihood: 0.0,
            min_samples: 1,
        };
        // SR appears twice (> 1), AFIB once: only SR stays; record 2 is dropped.
        let t = build(PtbxlTask::Rhythm, o).unwrap();
        assert_eq!(t.classes.names(), ["SR"]);
        assert_eq!(t.ids, ["1", "3"]);
        assert_eq!(t.dropped, ["2", "4"]);
    }

    #[test]
    fn statement_table_errors() {
        let fx = Fixture::new();
        let e =
            ptbxl_task(&fx.records(), &[], PtbxlTask::All, &TaskOptions::default()).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelSet { .. }), "{e}");
        let mut s = statements();
        s.push(s[0].clone());
        let e = ptbxl_task(&fx.records(), &s, PtbxlTask::All, &TaskOptions::default()).unwrap_err();
        assert!(
            matches!(e, LabelError::DuplicateStatement { ref code } if code == "NORM"),
            "{e}"
        );
    }

    #[test]
    fn task_names_round_trip() {
        for t in PtbxlTask::TASKS {
            assert_eq!(t.name().parse::<PtbxlTask>().unwrap(), t);
        }
        assert!(matches!(
            "superclass".parse::<PtbxlTask>(),
            Err(LabelError::UnknownTask(_))
        ));
    }
}
