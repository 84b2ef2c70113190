//! The run's folds as the report names them: run.json's `folds` (`train`, `validation`,
//! `test`, each a list of fold numbers), or PTB-XL's benchmark split (1–8 / 9 / 10) when
//! run.json has none (runs written before the field existed, PTB-XL runs).
use anyhow::{bail, Context, Result};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Vec<u64>,
    pub validation: Vec<u64>,
    pub test: Vec<u64>,
}

impl Default for Split {
    fn default() -> Self {
        Split {
            train: (1..=8).collect(),
            validation: vec![9],
            test: vec![10],
        }
    }
}

impl Split {
    /// From run.json; a `folds` object that is present but malformed is an error naming
    /// the field.
    pub fn from_run(info: &Value) -> Result<Split> {
        let Some(folds) = info.get("folds") else {
            return Ok(Split::default());
        };
        let list = |key: &str| -> Result<Vec<u64>> {
            let v = folds[key]
                .as_array()
                .with_context(|| format!("run.json: `folds.{key}` missing or not a list"))?;
            let xs: Vec<u64> = v.iter().filter_map(Value::as_u64).collect();
            if xs.is_empty() || xs.len() != v.len() {
                bail!("run.json: `folds.{key}` must be a non-empty list of fold numbers: {v:?}");
            }
            Ok(xs)
        };
        Ok(Split {
            train: list("train")?,
            validation: list("validation")?,
            test: list("test")?,
        })
    }
}

/// "fold 9", "folds 1–8" (consecutive), "folds 1, 3, 5".
pub fn name(folds: &[u64]) -> String {
    match folds {
        [one] => format!("fold {one}"),
        [first, .., last] if folds.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("folds {first}–{last}")
        }
        _ => {
            let list: Vec<String> = folds.iter().map(u64::to_string).collect();
            format!("folds {}", list.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folds_are_named_as_a_reader_writes_them() {
        assert_eq!(name(&[9]), "fold 9");
        assert_eq!(name(&[1, 2, 3, 4, 5, 6, 7, 8]), "folds 1–8");
        assert_eq!(name(&[9, 10]), "folds 9–10");
        assert_eq!(name(&[1, 3, 5]), "folds 1, 3, 5");
    }

    #[test]
    fn run_json_folds_are_read_and_their_absence_is_ptbxl_split() {
        assert_eq!(
            Split::from_run(&json!({})).expect("default"),
            Split::default()
        );
        let small = json!({"folds": {"train": [1,2,3,4,5,6], "validation": [7,8], "test": [9,10]}});
        let s = Split::from_run(&small).expect("parses");
        assert_eq!(
            (name(&s.validation), name(&s.test)),
            ("folds 7–8".into(), "folds 9–10".into())
        );
        let bad = json!({"folds": {"train": [1], "validation": ["nine"], "test": [10]}});
        let e = Split::from_run(&bad).expect_err("refused").to_string();
        assert!(e.contains("folds.validation"), "{e}");
        let e = Split::from_run(&json!({"folds": {"train": [1]}})).expect_err("refused");
        assert!(e.to_string().contains("folds.validation"), "{e}");
    }
}
