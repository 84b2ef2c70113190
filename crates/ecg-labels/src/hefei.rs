//! Hefei-Tianchi tasks over packed records whose codes are the stable English class
//! identifiers of [`ecg_io::hefei::classes`]:
//!
//! - `classes`: every class present, as written (sorted identifiers).
//! - `zhou2024`: the classes as Zhou et al. 2024 (KD + label relevance) count them: left
//!   bundle branch block is one class `LBBB` = 左束支传导阻滞 (`LBBB`) ∪ 完全性左束支传导阻滞
//!   (`CLBBB`) — the paper's "38 left bundle branch block records" are exactly 18 + 20 of
//!   round 1's label file — so its per-label F1 for LBBB, pacing rhythm (`PACE`) and
//!   first-degree AV block (`1AVB`) can be read from one model beside its macro F1.
use crate::error::{LabelError, Result};
use crate::task::{named_task, RecordCodes, TaskLabels};
use std::str::FromStr;

/// A Hefei-Tianchi label task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HefeiTask {
    Classes,
    Zhou2024,
}

impl FromStr for HefeiTask {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "classes" => Ok(HefeiTask::Classes),
            "zhou2024" => Ok(HefeiTask::Zhou2024),
            other => Err(LabelError::BadOption {
                option: "task".into(),
                value: other.into(),
                reason: "Hefei-Tianchi tasks are `classes` and `zhou2024`".into(),
            }),
        }
    }
}

/// The classes Zhou et al. 2024 report per-label F1 for (identifiers in the `zhou2024` task).
pub const ZHOU2024_REPORTED: [&str; 3] = ["LBBB", "PACE", "1AVB"];

/// Build a Hefei-Tianchi task (vocabulary: the sorted identifiers present).
pub fn hefei_task(records: &[RecordCodes<'_>], task: HefeiTask) -> Result<TaskLabels> {
    match task {
        HefeiTask::Classes => named_task("classes", records, None, 0.0),
        HefeiTask::Zhou2024 => {
            let merged: Vec<Vec<(String, f64)>> = records
                .iter()
                .map(|r| {
                    r.codes
                        .iter()
                        .map(|(c, l)| {
                            let c = if c == "CLBBB" { "LBBB" } else { c.as_str() };
                            (c.to_string(), *l)
                        })
                        .collect()
                })
                .collect();
            let view: Vec<RecordCodes<'_>> = records
                .iter()
                .zip(&merged)
                .map(|(r, codes)| RecordCodes {
                    id: r.id.clone(),
                    fold: r.fold,
                    codes,
                })
                .collect();
            named_task("zhou2024", &view, None, 0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<(String, f64)> {
        list.iter().map(|c| (c.to_string(), 100.0)).collect()
    }

    #[test]
    fn zhou2024_merges_complete_lbbb_into_lbbb() {
        let (a, b, c) = (
            codes(&["SR", "CLBBB"]),
            codes(&["LBBB", "CLBBB"]),
            codes(&["PACE"]),
        );
        let recs: Vec<RecordCodes<'_>> = [&a, &b, &c]
            .iter()
            .enumerate()
            .map(|(i, c)| RecordCodes {
                id: i.to_string().into(),
                fold: 1,
                codes: c.as_slice(),
            })
            .collect();
        let t = hefei_task(&recs, HefeiTask::Zhou2024).expect("task");
        assert_eq!(t.classes.names(), ["LBBB", "PACE", "SR"]);
        assert_eq!(t.y.column(0).to_vec(), [1, 1, 0]);
        let all = hefei_task(&recs, HefeiTask::Classes).expect("task");
        assert_eq!(all.classes.names(), ["CLBBB", "LBBB", "PACE", "SR"]);
        assert!("bogus".parse::<HefeiTask>().is_err());
        assert_eq!("zhou2024".parse::<HefeiTask>(), Ok(HefeiTask::Zhou2024));
    }
}
