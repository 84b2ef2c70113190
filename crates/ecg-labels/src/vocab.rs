//! Label vocabularies: an ordered list of unique class names and the reverse index.
//!
//! - PTB-XL tasks and Hefei-Tianchi: names sorted (scikit-learn `MultiLabelBinarizer`
//!   order: Rust's `String` ordering is byte order, which for UTF-8 equals Python's
//!   code-point order).
//! - CPSC2018: the challenge's nine classes in label-number order 1..=9.
use crate::error::{LabelError, Result};
use std::collections::{BTreeSet, HashMap};

/// CPSC2018 class names, in label-number order (label 1 = `Normal`, …, 9 = `STE`).
pub const CPSC2018_CLASSES: [&str; 9] = [
    "Normal", "AF", "I-AVB", "LBBB", "RBBB", "PAC", "PVC", "STD", "STE",
];

/// An ordered set of class names: column `i` of a multi-hot matrix is `names()[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocabulary {
    name: String,
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Vocabulary {
    /// A vocabulary in the given order. `name` (e.g. `superdiagnostic`) appears in errors.
    /// Errors: no names, an empty name, a duplicate.
    pub fn new(name: &str, names: Vec<String>) -> Result<Self> {
        if names.is_empty() {
            return Err(LabelError::EmptyLabelSet {
                what: format!("vocabulary `{name}` has no class"),
            });
        }
        let mut index = HashMap::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() {
                return Err(LabelError::EmptyLabelName {
                    vocabulary: name.to_string(),
                    position: i,
                });
            }
            if index.insert(n.clone(), i).is_some() {
                return Err(LabelError::DuplicateLabel {
                    vocabulary: name.to_string(),
                    name: n.clone(),
                });
            }
        }
        Ok(Self {
            name: name.to_string(),
            names,
            index,
        })
    }

    /// The sorted set of the names present (duplicates collapse), as `MultiLabelBinarizer`
    /// fits its classes. Used for PTB-XL tasks and for Hefei-Tianchi, whose vocabulary is
    /// read from the data.
    pub fn sorted_from<I, S>(name: &str, present: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let set: BTreeSet<String> = present
            .into_iter()
            .map(|s| s.as_ref().to_string())
            .collect();
        Self::new(name, set.into_iter().collect())
    }

    /// CPSC2018's nine classes, label-number order.
    pub fn cpsc2018() -> Self {
        // The constant has nine distinct non-empty names, so `new` cannot fail; build the
        // struct directly to keep this infallible without an unwrap.
        let names: Vec<String> = CPSC2018_CLASSES.iter().map(|s| s.to_string()).collect();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Self {
            name: "cpsc2018".to_string(),
            names,
            index,
        }
    }

    /// The vocabulary's name (the task).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Class names, column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Number of classes K.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// Never true for a constructed vocabulary (kept for API completeness).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// Column of a class name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// The CPSC2018 class name of a label number from `REFERENCE.csv` (1..=9).
pub fn cpsc2018_class(record: &str, value: i64) -> Result<&'static str> {
    usize::try_from(value)
        .ok()
        .and_then(|v| v.checked_sub(1))
        .and_then(|i| CPSC2018_CLASSES.get(i))
        .copied()
        .ok_or_else(|| LabelError::CpscLabel {
            record: record.to_string(),
            value,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_from_sorts_and_dedups() {
        let v = Vocabulary::sorted_from("t", ["STTC", "MI", "NORM", "MI", "CD"]).unwrap();
        assert_eq!(v.names(), ["CD", "MI", "NORM", "STTC"]);
        assert_eq!(v.index_of("NORM"), Some(2));
        assert_eq!(v.index_of("HYP"), None);
    }

    #[test]
    fn empty_vocabulary_is_an_error() {
        let e = Vocabulary::sorted_from("hefei", Vec::<String>::new()).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelSet { .. }), "{e}");
        assert!(e.to_string().contains("hefei"));
    }

    #[test]
    fn duplicate_and_empty_names_are_errors() {
        let e = Vocabulary::new("x", vec!["A".into(), "B".into(), "A".into()]).unwrap_err();
        assert!(matches!(e, LabelError::DuplicateLabel { ref name, .. } if name == "A"));
        let e = Vocabulary::new("x", vec!["A".into(), String::new()]).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelName { position: 1, .. }));
    }

    #[test]
    fn cpsc2018_classes_follow_label_numbers() {
        let v = Vocabulary::cpsc2018();
        assert_eq!(v.len(), 9);
        assert_eq!(cpsc2018_class("A0001", 1).unwrap(), "Normal");
        assert_eq!(cpsc2018_class("A0001", 3).unwrap(), "I-AVB");
        assert_eq!(cpsc2018_class("A0001", 9).unwrap(), "STE");
        assert_eq!(v.index_of("STE"), Some(8));
        for bad in [0, 10, -1] {
            assert!(matches!(
                cpsc2018_class("A0042", bad),
                Err(LabelError::CpscLabel { value, .. }) if value == bad
            ));
        }
    }

    #[test]
    fn sorted_order_is_code_point_order() {
        // Python: sorted(['a', 'B', 'Ä', 'b']) == ['B', 'a', 'b', 'Ä']
        let v = Vocabulary::sorted_from("t", ["a", "B", "Ä", "b"]).unwrap();
        assert_eq!(v.names(), ["B", "a", "b", "Ä"]);
    }
}
