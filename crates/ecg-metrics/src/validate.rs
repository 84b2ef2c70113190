//! Input checks shared by every public entry point: non-empty matrices, agreeing shapes,
//! finite scores, labels and predictions in {0, 1}.
use crate::error::{MetricsError, Result};
use ndarray::{ArrayView1, ArrayView2};

/// Checks that `m` has at least one record and one label.
pub(crate) fn non_empty<T>(what: &'static str, m: &ArrayView2<T>) -> Result<()> {
    let (records, labels) = m.dim();
    if records == 0 || labels == 0 {
        return Err(MetricsError::Empty {
            what,
            records,
            labels,
        });
    }
    Ok(())
}

/// Checks that two matrices have the same shape.
pub(crate) fn same_shape<A, B>(
    a: &'static str,
    am: &ArrayView2<A>,
    b: &'static str,
    bm: &ArrayView2<B>,
) -> Result<()> {
    if am.dim() != bm.dim() {
        return Err(MetricsError::ShapeMismatch {
            a,
            a_shape: am.shape().to_vec(),
            b,
            b_shape: bm.shape().to_vec(),
        });
    }
    Ok(())
}

/// Checks every entry is 0 or 1.
pub(crate) fn binary(what: &'static str, m: &ArrayView2<u8>) -> Result<()> {
    for ((record, label), &v) in m.indexed_iter() {
        if v > 1 {
            return Err(MetricsError::NotBinary {
                what,
                record,
                label,
                value: v.to_string(),
            });
        }
    }
    Ok(())
}

/// Checks every score is finite.
pub(crate) fn finite(what: &'static str, m: &ArrayView2<f64>) -> Result<()> {
    for ((record, label), &value) in m.indexed_iter() {
        if !value.is_finite() {
            return Err(MetricsError::NonFiniteScore {
                what,
                record,
                label,
                value,
            });
        }
    }
    Ok(())
}

/// Full check of a label matrix and a score matrix that belong together.
pub(crate) fn labels_scores(y: &ArrayView2<u8>, p: &ArrayView2<f64>) -> Result<()> {
    non_empty("labels", y)?;
    same_shape("labels", y, "scores", p)?;
    binary("labels", y)?;
    finite("scores", p)
}

/// Full check of a label matrix and a binary prediction matrix.
pub(crate) fn labels_preds(y: &ArrayView2<u8>, pred: &ArrayView2<u8>) -> Result<()> {
    non_empty("labels", y)?;
    same_shape("labels", y, "predictions", pred)?;
    binary("labels", y)?;
    binary("predictions", pred)
}

/// Views a pair of vectors as one-label matrices, after checking their lengths agree.
pub(crate) fn column_pair<'a, 'b>(
    y: ArrayView1<'a, u8>,
    p: ArrayView1<'b, f64>,
) -> Result<(ArrayView2<'a, u8>, ArrayView2<'b, f64>)> {
    if y.len() != p.len() {
        return Err(MetricsError::ShapeMismatch {
            a: "labels",
            a_shape: vec![y.len()],
            b: "scores",
            b_shape: vec![p.len()],
        });
    }
    let y2 = y.insert_axis(ndarray::Axis(1));
    let p2 = p.insert_axis(ndarray::Axis(1));
    labels_scores(&y2, &p2)?;
    Ok((y2, p2))
}
