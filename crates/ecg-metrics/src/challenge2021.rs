//! The PhysioNet/CinC Challenge 2021 scoring (Reyna et al. 2021) as the organisers'
//! `evaluate_model.py` (physionetchallenges/evaluation-2021) computes it: the Challenge
//! metric from the reward matrix `weights.csv` with sinus rhythm (426783006) as the
//! "inactive" normal class, and their AUROC, AUPRC, accuracy and F-measure.
//!
//! - [`Weights`]: the scored classes (sets of SNOMED-CT codes scored as one class: a `|` in
//!   the table) and the reward matrix; [`Weights::official`] is the organisers' table.
//! - [`Weights::encode_labels`] / [`Weights::encode_outputs`]: a record's `#Dx` codes and a
//!   classifier output file onto the scored classes, with their rules for equivalent codes
//!   (a class is a label if any of its codes is; outputs: binary = any, scalar = mean).
//! - [`evaluate`]: every output of `evaluate_model.py` at once ([`Challenge2021Scores`]).
//!
//! Where their code returns NaN (AUROC of a class without positives or negatives, an
//! F-measure with 0/0, macro means with no defined class) this module returns `None`;
//! macro means skip undefined classes exactly as `np.nanmean` does.
use crate::error::{MetricsError, Result};
use crate::validate;
use ndarray::{Array2, ArrayView2};
use serde::Serialize;

/// SNOMED-CT code of sinus rhythm, the Challenge metric's normal ("inactive") class.
pub const SINUS_RHYTHM: &str = "426783006";

/// The organisers' `weights.csv` (evaluation-2021 commit e2a75fc; see data/cinc2021/SOURCE.md).
pub const OFFICIAL_WEIGHTS_CSV: &str = include_str!("../data/cinc2021/weights.csv");

/// Scored classes and the reward matrix `[label class, output class]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Each class's SNOMED-CT codes, in table order (`a|b` → `["a", "b"]`).
    pub classes: Vec<Vec<String>>,
    /// // [classes, classes]; a non-numeric entry is NaN and counts as 0 (their `nansum`).
    pub values: Array2<f64>,
}

fn table_error(source: &str, line: usize, message: impl Into<String>) -> MetricsError {
    MetricsError::Table {
        file: source.to_string(),
        line,
        message: message.into(),
    }
}

/// `is_finite_number(x)` of their helper code, then the value.
fn finite_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

impl Weights {
    /// Parse a weights table as their `load_table` + `load_weights`: first row and first
    /// column name the classes (`|` joins equivalent codes) and must agree; entries that are
    /// not finite numbers are NaN. `source` names the table in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let rows: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split(',').map(str::trim).collect())
            .collect();
        let Some((head, body)) = rows.split_first() else {
            return Err(table_error(source, 1, "the table is empty"));
        };
        let n = head.len().saturating_sub(1);
        if n == 0 || body.len() != n {
            return Err(table_error(
                source,
                1,
                format!("{n} column classes but {} rows: not square", body.len()),
            ));
        }
        let split = |s: &str| -> Vec<String> { s.split('|').map(str::to_string).collect() };
        let classes: Vec<Vec<String>> = head[1..].iter().map(|s| split(s)).collect();
        let mut values = Array2::<f64>::zeros((n, n));
        for (i, row) in body.iter().enumerate() {
            let line = i + 2;
            if row.len() != n + 1 {
                return Err(table_error(
                    source,
                    line,
                    format!("{} entries, expected {}", row.len(), n + 1),
                ));
            }
            if !same_set(&split(row[0]), &classes[i]) {
                return Err(table_error(
                    source,
                    line,
                    format!(
                        "row class {:?} differs from column class {:?}",
                        row[0],
                        head[i + 1]
                    ),
                ));
            }
            for (j, v) in row[1..].iter().enumerate() {
                values[[i, j]] = finite_number(v).unwrap_or(f64::NAN);
            }
        }
        Ok(Weights { classes, values })
    }

    /// The organisers' table ([`OFFICIAL_WEIGHTS_CSV`]).
    pub fn official() -> Result<Self> {
        Self::parse(
            OFFICIAL_WEIGHTS_CSV,
            "weights.csv (evaluation-2021, embedded)",
        )
    }

    /// Number of scored classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Never true for a parsed table.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The class holding `code`, if scored.
    pub fn class_of(&self, code: &str) -> Option<usize> {
        self.classes
            .iter()
            .position(|c| c.iter().any(|x| x == code))
    }

    /// Class names as the organisers print them: codes sorted (as strings), joined by `|`.
    pub fn class_names(&self) -> Vec<String> {
        self.classes
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.sort();
                c.join("|")
            })
            .collect()
    }

    /// Index of the sinus rhythm class.
    pub fn sinus_rhythm(&self) -> Result<usize> {
        self.classes
            .iter()
            .position(|c| c.len() == 1 && c[0] == SINUS_RHYTHM)
            .ok_or(MetricsError::NoSinusRhythm)
    }

    /// One record's labels over the scored classes (their `load_labels`): class j is
    /// positive if any of its codes is among `codes`; unscored codes are ignored.
    pub fn encode_labels<S: AsRef<str>>(&self, codes: &[S]) -> Vec<u8> {
        self.classes
            .iter()
            .map(|c| u8::from(codes.iter().any(|x| c.iter().any(|y| y == x.as_ref()))))
            .collect()
    }

    /// One classifier output over the scored classes (their `load_classifier_outputs`):
    /// for class j, the output entries whose classes (`|`-joined) share a code with it; binary
    /// = any of them, scalar = their mean; 0 where none. Binary entries are true for a
    /// finite number equal to 1 or `True`/`true`/`T`/`t`; a scalar that is not a finite
    /// number counts as 0.
    pub fn encode_outputs(&self, out: &OutputFile) -> (Vec<u8>, Vec<f64>) {
        let entries: Vec<Vec<&str>> = out.classes.iter().map(|c| c.split('|').collect()).collect();
        let binary: Vec<bool> = out.binary.iter().map(|b| binary_entry(b)).collect();
        let scalar: Vec<f64> = out
            .scalar
            .iter()
            .map(|s| finite_number(s).unwrap_or(0.0))
            .collect();
        let mut bin = vec![0u8; self.len()];
        let mut sca = vec![0f64; self.len()];
        for (j, class) in self.classes.iter().enumerate() {
            let hits: Vec<usize> = (0..entries.len())
                .filter(|&k| entries[k].iter().any(|e| class.iter().any(|c| c == e)))
                .collect();
            if !hits.is_empty() {
                bin[j] = u8::from(hits.iter().any(|&k| binary[k]));
                sca[j] = hits.iter().map(|&k| scalar[k]).sum::<f64>() / hits.len() as f64;
            }
        }
        (bin, sca)
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
}

fn binary_entry(s: &str) -> bool {
    finite_number(s) == Some(1.0) || matches!(s, "True" | "true" | "T" | "t")
}

/// A classifier output file of the Challenge (`#record id`, classes, binary outputs,
/// scalar outputs: four comma-separated lines), entries kept as text.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    pub record: String,
    pub classes: Vec<String>,
    pub binary: Vec<String>,
    pub scalar: Vec<String>,
}

impl OutputFile {
    /// Parse as their `load_outputs` (entries stripped). Stricter than theirs: the file must
    /// have the four lines and as many binary and scalar entries as classes (their code
    /// fails or silently misreads otherwise). `source` names the file in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() < 4 {
            return Err(table_error(
                source,
                lines.len() + 1,
                format!(
                    "{} lines, expected 4 (#id, classes, binary, scalar)",
                    lines.len()
                ),
            ));
        }
        let split =
            |l: &str| -> Vec<String> { l.split(',').map(|e| e.trim().to_string()).collect() };
        let out = OutputFile {
            record: lines[0]
                .strip_prefix('#')
                .unwrap_or(lines[0])
                .trim()
                .to_string(),
            classes: split(lines[1]),
            binary: split(lines[2]),
            scalar: split(lines[3]),
        };
        for (line, what, v) in [
            (3, "binary outputs", &out.binary),
            (4, "scalar outputs", &out.scalar),
        ] {
            if v.len() != out.classes.len() {
                return Err(table_error(
                    source,
                    line,
                    format!("{} {what} for {} classes", v.len(), out.classes.len()),
                ));
            }
        }
        Ok(out)
    }
}

/// The `#Dx` codes of a header's text as their `get_labels` reads them: every line that
/// starts with `#Dx` contributes the comma-separated entries after its first `": "`
/// (stripped); a `#Dx` line without `": "` contributes nothing.
pub fn dx_codes_as_organisers(header: &str) -> Vec<String> {
    header
        .split('\n')
        .filter(|l| l.starts_with("#Dx"))
        .filter_map(|l| l.split(": ").nth(1))
        .flat_map(|s| s.split(',').map(|e| e.trim().to_string()))
        .collect()
}

/// Every output of `evaluate_model.py`. `None` where their code gives NaN.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Challenge2021Scores {
    /// Class names as they print them ([`Weights::class_names`]).
    pub classes: Vec<String>,
    pub auroc: Option<f64>,
    pub auprc: Option<f64>,
    pub auroc_classes: Vec<Option<f64>>,
    pub auprc_classes: Vec<Option<f64>>,
    pub accuracy: f64,
    pub f_measure: Option<f64>,
    pub f_measure_classes: Vec<Option<f64>>,
    pub challenge_metric: f64,
}

/// Score labels, binary outputs and scalar outputs, all `[records, classes]` over
/// `weights.classes`.
pub fn evaluate(
    weights: &Weights,
    labels: ArrayView2<u8>,
    binary: ArrayView2<u8>,
    scalar: ArrayView2<f64>,
) -> Result<Challenge2021Scores> {
    validate::labels_preds(&labels, &binary)?;
    validate::labels_scores(&labels, &scalar)?;
    if labels.ncols() != weights.len() {
        return Err(MetricsError::ClassNames {
            got: weights.len(),
            expected: labels.ncols(),
        });
    }
    let (auroc_classes, auprc_classes) = auc_per_class(&labels, &scalar);
    let f_measure_classes = f_measure_per_class(&labels, &binary);
    Ok(Challenge2021Scores {
        classes: weights.class_names(),
        auroc: nanmean(&auroc_classes),
        auprc: nanmean(&auprc_classes),
        auroc_classes: defined(&auroc_classes),
        auprc_classes: defined(&auprc_classes),
        accuracy: accuracy(&labels, &binary),
        f_measure: nanmean(&f_measure_classes),
        f_measure_classes: defined(&f_measure_classes),
        challenge_metric: challenge_metric_validated(weights, &labels, &binary)?,
    })
}

/// The Challenge metric alone: (observed − inactive) / (correct − inactive), 0 when the
/// correct and inactive scores are equal.
pub fn challenge_metric(
    weights: &Weights,
    labels: ArrayView2<u8>,
    binary: ArrayView2<u8>,
) -> Result<f64> {
    validate::labels_preds(&labels, &binary)?;
    if labels.ncols() != weights.len() {
        return Err(MetricsError::ClassNames {
            got: weights.len(),
            expected: labels.ncols(),
        });
    }
    challenge_metric_validated(weights, &labels, &binary)
}

fn challenge_metric_validated(
    weights: &Weights,
    labels: &ArrayView2<u8>,
    binary: &ArrayView2<u8>,
) -> Result<f64> {
    let sinus = weights.sinus_rhythm()?;
    let observed = weighted_sum(weights, labels, binary);
    let correct = weighted_sum(weights, labels, labels);
    let mut inactive = Array2::<u8>::zeros(labels.dim());
    inactive.column_mut(sinus).fill(1);
    let inactive = weighted_sum(weights, labels, &inactive.view());
    Ok(if correct != inactive {
        (observed - inactive) / (correct - inactive)
    } else {
        0.0
    })
}

/// `nansum(weights * A)` with their modified confusion matrix A: record i adds
/// 1 / max(|labels ∪ outputs|, 1) to A[j, k] for every label j and output k.
fn weighted_sum(weights: &Weights, labels: &ArrayView2<u8>, outputs: &ArrayView2<u8>) -> f64 {
    let n = labels.ncols();
    let mut a = Array2::<f64>::zeros((n, n));
    for (l, o) in labels.rows().into_iter().zip(outputs.rows()) {
        let union = l
            .iter()
            .zip(o.iter())
            .filter(|(x, y)| **x == 1 || **y == 1)
            .count();
        let w = 1.0 / union.max(1) as f64;
        for j in (0..n).filter(|&j| l[j] == 1) {
            for k in (0..n).filter(|&k| o[k] == 1) {
                a[[j, k]] += w;
            }
        }
    }
    weights
        .values
        .iter()
        .zip(a.iter())
        .map(|(w, a)| w * a)
        .filter(|v| !v.is_nan())
        .sum()
}

/// Fraction of records whose binary outputs equal their labels on every class.
fn accuracy(labels: &ArrayView2<u8>, binary: &ArrayView2<u8>) -> f64 {
    let correct = labels
        .rows()
        .into_iter()
        .zip(binary.rows())
        .filter(|(l, b)| l == b)
        .count();
    correct as f64 / labels.nrows() as f64
}

/// 2TP / (2TP + FP + FN) per class; NaN when the denominator is 0.
fn f_measure_per_class(labels: &ArrayView2<u8>, binary: &ArrayView2<u8>) -> Vec<f64> {
    (0..labels.ncols())
        .map(|k| {
            let (mut tp, mut fp, mut fn_) = (0f64, 0f64, 0f64);
            for (&l, &b) in labels.column(k).iter().zip(binary.column(k).iter()) {
                match (l, b) {
                    (1, 1) => tp += 1.0,
                    (0, 1) => fp += 1.0,
                    (1, 0) => fn_ += 1.0,
                    _ => {}
                }
            }
            let den = 2.0 * tp + fp + fn_;
            if den != 0.0 {
                2.0 * tp / den
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Their `compute_auc` per class: confusion counts at every distinct output value (from the
/// top, starting above the maximum); AUROC = trapezoids of TNR over TPR, AUPRC = sum of
/// ΔTPR × PPV. NaN propagates as in their code (no positives: both NaN; no negatives: AUROC NaN).
fn auc_per_class(labels: &ArrayView2<u8>, scalar: &ArrayView2<f64>) -> (Vec<f64>, Vec<f64>) {
    (0..labels.ncols())
        .map(|k| auc_one(&labels.column(k).to_vec(), &scalar.column(k).to_vec()))
        .unzip()
}

fn auc_one(labels: &[u8], out: &[f64]) -> (f64, f64) {
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| out[b].total_cmp(&out[a]));
    let mut thresholds: Vec<f64> = order.iter().map(|&i| out[i]).collect();
    thresholds.dedup();
    let positives = labels.iter().filter(|&&l| l == 1).count() as f64;
    let (mut tp, mut fp) = (0f64, 0f64);
    let (mut fn_, mut tn) = (positives, labels.len() as f64 - positives);
    let ratio = |a: f64, b: f64| if a + b != 0.0 { a / (a + b) } else { f64::NAN };
    // The threshold above the maximum: nothing predicted positive.
    let (mut tpr0, mut tnr0) = (ratio(tp, fn_), ratio(tn, fp));
    let (mut auroc, mut auprc) = (0f64, 0f64);
    let mut i = 0;
    for t in thresholds {
        while i < order.len() && out[order[i]] >= t {
            if labels[order[i]] == 1 {
                tp += 1.0;
                fn_ -= 1.0;
            } else {
                fp += 1.0;
                tn -= 1.0;
            }
            i += 1;
        }
        let (tpr, tnr, ppv) = (ratio(tp, fn_), ratio(tn, fp), ratio(tp, fp));
        auroc += 0.5 * (tpr - tpr0) * (tnr + tnr0);
        auprc += (tpr - tpr0) * ppv;
        (tpr0, tnr0) = (tpr, tnr);
    }
    (auroc, auprc)
}

fn nanmean(v: &[f64]) -> Option<f64> {
    let d: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    (!d.is_empty()).then(|| d.iter().sum::<f64>() / d.len() as f64)
}

fn defined(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().map(|&x| (!x.is_nan()).then_some(x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn small() -> Weights {
        let csv = ",1,426783006,2|3\n1,1.0,0.5,0.0\n426783006,0.5,1.0,0.5\n2|3,0.0,0.5,1.0\n";
        Weights::parse(csv, "test").expect("table")
    }

    #[test]
    fn official_table_has_26_classes_with_four_equivalent_pairs() {
        let w = Weights::official().expect("official table");
        assert_eq!(w.len(), 26);
        assert_eq!(w.classes.iter().filter(|c| c.len() == 2).count(), 4);
        assert_eq!(w.class_of("59118001"), w.class_of("713427006"));
        assert_eq!(w.class_of("63593006"), w.class_of("284470004"));
        assert_eq!(w.class_of("17338001"), w.class_of("427172004"));
        assert!(w.sinus_rhythm().is_ok());
        for i in 0..26 {
            assert_eq!(w.values[[i, i]], 1.0);
        }
    }

    #[test]
    fn table_errors_name_the_line() {
        let e = Weights::parse(",a,b\na,1,0\nc,0,1\n", "t.csv").expect_err("must be refused");
        assert!(
            e.to_string().contains("t.csv") && e.to_string().contains("line 3"),
            "{e}"
        );
        assert!(Weights::parse("", "t.csv").is_err());
        assert!(Weights::parse(",a,b\na,1,0\n", "t.csv").is_err());
    }

    #[test]
    fn equivalent_codes_encode_to_one_class() {
        let w = small();
        assert_eq!(w.encode_labels(&["3", "99"]), vec![0, 0, 1]);
        let out = OutputFile::parse("#r\n2,3,1\n0,T,1.0\n0.2,0.4,nan\n", "o.csv").expect("parse");
        let (b, s) = w.encode_outputs(&out);
        assert_eq!(b, vec![1, 0, 1]);
        assert_eq!(s, vec![0.0, 0.0, 0.30000000000000004]);
    }

    #[test]
    fn perfect_outputs_score_one_and_sinus_only_scores_zero() {
        let w = small();
        let y = array![[1u8, 0, 0], [0, 1, 0], [0, 0, 1]];
        assert_eq!(
            challenge_metric(&w, y.view(), y.view()).expect("score"),
            1.0
        );
        let sinus = array![[0u8, 1, 0], [0, 1, 0], [0, 1, 0]];
        assert_eq!(
            challenge_metric(&w, y.view(), sinus.view()).expect("score"),
            0.0
        );
    }

    #[test]
    fn output_file_needs_matching_lengths() {
        let e = OutputFile::parse("#r\na,b\n1\n0.1,0.2\n", "o.csv").expect_err("must be refused");
        assert!(e.to_string().contains("o.csv"), "{e}");
        assert!(OutputFile::parse("#r\na\n", "o.csv").is_err());
    }

    #[test]
    fn dx_lines_as_the_organisers_read_them() {
        let h = "A1 12 500 5000\n#Age: 5\n#Dx: 1, 2\r\n#Dx:3\n#Dx: 4\n";
        assert_eq!(dx_codes_as_organisers(h), vec!["1", "2", "4"]);
    }
}
