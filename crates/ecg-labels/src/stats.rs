//! Label statistics (docs/METHODS.md §2), counted on the training folds only:
//!
//! - t(i) = records with label i, t(i,j) = records with both i and j (the matrix `counts`,
//!   diagonal t(i));
//! - conditional co-occurrence E[i][j] = t(i,j) / t(j) (Zhang & Sun 2024, eq. 5; E[i][i] = 1);
//! - cosine correlation C[i][j] = t(i,j)/sqrt(t(i)·t(j)) (Zhou et al. 2024; symmetric; C[i][i] = 1)
//!
//! A label with t = 0 gets a zero row and column (zero diagonal too), never NaN.
use crate::error::{LabelError, Result};
use crate::task::{TaskLabels, TRAIN_FOLDS};
use crate::vocab::Vocabulary;
use ndarray::{Array2, ArrayView2};
use std::fmt::Write as _;

/// Co-occurrence counts of a multi-hot matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelStats {
    /// Class names, row/column order.
    pub classes: Vocabulary,
    /// Number of records counted.
    pub records: usize,
    /// t(i,j); diagonal t(i). // [classes, classes]
    pub counts: Array2<u64>,
}

impl LabelStats {
    /// Counts over all rows of `y` [records, classes]. Errors: no record, a column count
    /// that differs from the vocabulary, a value other than 0 or 1.
    pub fn from_multi_hot(classes: &Vocabulary, y: ArrayView2<'_, u8>) -> Result<Self> {
        let (n, k) = y.dim();
        if k != classes.len() {
            return Err(LabelError::Shape {
                what: format!("multi-hot labels of `{}`", classes.name()),
                got: vec![n, k],
                expected: format!("[records, {}]", classes.len()),
            });
        }
        if n == 0 {
            return Err(LabelError::EmptyLabelSet {
                what: format!("task `{}`: no record to count labels on", classes.name()),
            });
        }
        if let Some(((r, c), v)) = y.indexed_iter().find(|(_, &v)| v > 1) {
            return Err(LabelError::BadValue {
                what: format!("multi-hot labels of `{}`", classes.name()),
                row: r,
                col: c,
                value: f64::from(*v),
                reason: "is not 0 or 1".into(),
            });
        }
        let mut counts = Array2::<u64>::zeros((k, k));
        let mut on = Vec::with_capacity(k);
        for row in y.rows() {
            on.clear();
            on.extend(
                row.iter()
                    .enumerate()
                    .filter(|(_, &v)| v == 1)
                    .map(|(j, _)| j),
            );
            for &i in &on {
                for &j in &on {
                    counts[[i, j]] += 1;
                }
            }
        }
        Ok(Self {
            classes: classes.clone(),
            records: n,
            counts,
        })
    }

    /// Counts over the records of `labels` in folds 1–8 (the only folds statistics may see).
    pub fn training(labels: &TaskLabels) -> Result<Self> {
        Self::on_folds(labels, &TRAIN_FOLDS)
    }

    /// Counts over the records of `labels` in `folds` (a run's training folds).
    pub fn on_folds(labels: &TaskLabels, folds: &[u8]) -> Result<Self> {
        Self::from_multi_hot(&labels.classes, labels.y_in_folds(folds).view())
    }

    /// t(i).
    pub fn label_counts(&self) -> Vec<u64> {
        self.counts.diag().to_vec()
    }

    /// E[i][j] = t(i,j) / t(j); a zero t(j) gives a zero column (and a zero row, since
    /// t(j,·) = 0). // [classes, classes]
    pub fn conditional(&self) -> Array2<f64> {
        let t = self.label_counts();
        Array2::from_shape_fn(self.counts.dim(), |(i, j)| {
            ratio(self.counts[[i, j]] as f64, t[j] as f64)
        })
    }

    /// C[i][j] = t(i,j) / sqrt(t(i)·t(j)); zero when either count is zero.
    /// // [classes, classes]
    pub fn cosine(&self) -> Array2<f64> {
        let t = self.label_counts();
        Array2::from_shape_fn(self.counts.dim(), |(i, j)| {
            ratio(
                self.counts[[i, j]] as f64,
                ((t[i] as f64) * (t[j] as f64)).sqrt(),
            )
        })
    }
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

/// CSV text of a square matrix with the class names as header and first column (the
/// layout of `pandas.DataFrame.to_csv`: empty top-left cell). Numbers use Rust's shortest
/// round-trip formatting, so reading them back gives the same `f64`.
pub fn matrix_csv<T: std::fmt::Display>(names: &[String], m: ArrayView2<'_, T>) -> Result<String> {
    let k = names.len();
    if m.dim() != (k, k) {
        return Err(LabelError::Shape {
            what: "matrix for CSV".into(),
            got: vec![m.nrows(), m.ncols()],
            expected: format!("[{k}, {k}] (one row and column per class)"),
        });
    }
    let mut s = String::new();
    for n in names {
        s.push(',');
        s.push_str(&csv_field(n));
    }
    s.push('\n');
    for (i, n) in names.iter().enumerate() {
        s.push_str(&csv_field(n));
        for v in m.row(i) {
            // Writing to a String cannot fail.
            let _ = write!(s, ",{v}");
        }
        s.push('\n');
    }
    Ok(s)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn vocab(names: &[&str]) -> Vocabulary {
        Vocabulary::new("t", names.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    // Four records over labels A, B, C, D (D never occurs):
    //   r1: A B    r2: A      r3: A B C    r4: C
    // t(A)=3 t(B)=2 t(C)=2 t(D)=0; t(A,B)=2 t(A,C)=1 t(B,C)=1.
    fn example() -> LabelStats {
        let y = array![[1u8, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 1, 0]];
        LabelStats::from_multi_hot(&vocab(&["A", "B", "C", "D"]), y.view()).unwrap()
    }

    #[test]
    fn counts_by_hand() {
        let s = example();
        assert_eq!(s.records, 4);
        assert_eq!(
            s.counts,
            array![[3u64, 2, 1, 0], [2, 2, 1, 0], [1, 1, 2, 0], [0, 0, 0, 0]]
        );
        assert_eq!(s.label_counts(), [3, 2, 2, 0]);
    }

    #[test]
    fn conditional_by_hand() {
        let e = example().conditional();
        // E[i][j] = t(i,j)/t(j): column A divides by 3, B by 2, C by 2, D is zero.
        let expect = array![
            [1.0, 1.0, 0.5, 0.0],
            [2.0 / 3.0, 1.0, 0.5, 0.0],
            [1.0 / 3.0, 0.5, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0]
        ];
        assert_eq!(e, expect);
    }

    #[test]
    fn cosine_by_hand() {
        let c = example().cosine();
        let ab = 2.0 / (3.0f64 * 2.0).sqrt();
        let ac = 1.0 / (3.0f64 * 2.0).sqrt();
        let bc = 1.0 / (2.0f64 * 2.0).sqrt();
        let expect = array![
            [1.0, ab, ac, 0.0],
            [ab, 1.0, bc, 0.0],
            [ac, bc, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0]
        ];
        assert_eq!(c, expect);
        assert!(c.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn all_zero_counts_give_zero_matrices_without_nan() {
        let y = array![[0u8, 0], [0, 0]];
        let s = LabelStats::from_multi_hot(&vocab(&["A", "B"]), y.view()).unwrap();
        assert_eq!(s.conditional(), Array2::<f64>::zeros((2, 2)));
        assert_eq!(s.cosine(), Array2::<f64>::zeros((2, 2)));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let v = vocab(&["A", "B"]);
        let e = LabelStats::from_multi_hot(&v, Array2::<u8>::zeros((0, 2)).view()).unwrap_err();
        assert!(matches!(e, LabelError::EmptyLabelSet { .. }), "{e}");
        let e = LabelStats::from_multi_hot(&v, Array2::<u8>::zeros((3, 3)).view()).unwrap_err();
        assert!(matches!(e, LabelError::Shape { .. }), "{e}");
        let e = LabelStats::from_multi_hot(&v, array![[0u8, 2]].view()).unwrap_err();
        assert!(
            matches!(e, LabelError::BadValue { row: 0, col: 1, .. }),
            "{e}"
        );
    }

    #[test]
    fn csv_layout() {
        let names = vec!["A".to_string(), "B,x".to_string()];
        let s = matrix_csv(&names, array![[1.0, 0.5], [0.25, 1.0]].view()).unwrap();
        assert_eq!(s, ",A,\"B,x\"\nA,1,0.5\n\"B,x\",0.25,1\n");
        assert!(matrix_csv(&names, array![[1.0]].view()).is_err());
    }
}
