//! Reading label, score and bootstrap-index matrices from `.npy` files of any common dtype
//! (bool, signed/unsigned integers, float32/float64), strictly: 2-D only, labels must be
//! exactly 0 or 1, scores finite, indices non-negative. The only file I/O of the crate.
use crate::error::{MetricsError, Result};
use ndarray::{Array2, ArrayView2};
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement};
use std::path::Path;

/// A 2-D array of whichever element type the file holds.
enum AnyArray {
    Bool(Array2<bool>),
    U8(Array2<u8>),
    I8(Array2<i8>),
    U16(Array2<u16>),
    I16(Array2<i16>),
    U32(Array2<u32>),
    I32(Array2<i32>),
    U64(Array2<u64>),
    I64(Array2<i64>),
    F32(Array2<f32>),
    F64(Array2<f64>),
}

fn npy_err(path: &Path, message: impl Into<String>) -> MetricsError {
    MetricsError::Npy {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// `Ok(None)` when the file's dtype is not `A`.
fn try_read<A: ReadableElement>(path: &Path, bytes: &[u8]) -> Result<Option<Array2<A>>> {
    match Array2::<A>::read_npy(bytes) {
        Ok(a) => Ok(Some(a)),
        Err(ReadNpyError::WrongDescriptor(_)) => Ok(None),
        Err(ReadNpyError::WrongNdim(expected, got)) => Err(npy_err(
            path,
            format!("expected a 2-D array [records, labels], found {got} dimensions (wanted {expected:?})"),
        )),
        Err(e) => Err(npy_err(path, e.to_string())),
    }
}

fn read_any(path: &Path) -> Result<AnyArray> {
    let bytes = std::fs::read(path).map_err(|e| npy_err(path, e.to_string()))?;
    let b = bytes.as_slice();
    macro_rules! attempt {
        ($t:ty, $v:ident) => {
            if let Some(a) = try_read::<$t>(path, b)? {
                return Ok(AnyArray::$v(a));
            }
        };
    }
    attempt!(f64, F64);
    attempt!(f32, F32);
    attempt!(u8, U8);
    attempt!(bool, Bool);
    attempt!(i64, I64);
    attempt!(i32, I32);
    attempt!(i8, I8);
    attempt!(u16, U16);
    attempt!(i16, I16);
    attempt!(u32, U32);
    attempt!(u64, U64);
    Err(npy_err(
        path,
        "unsupported dtype (want bool, an integer type, float32 or float64)",
    ))
}

fn to_labels<T: Copy + std::fmt::Display>(
    path: &Path,
    a: &ArrayView2<T>,
    is: impl Fn(T) -> Option<u8>,
) -> Result<Array2<u8>> {
    let mut out = Array2::<u8>::zeros(a.raw_dim());
    for ((record, label), &v) in a.indexed_iter() {
        out[[record, label]] = is(v).ok_or_else(|| {
            npy_err(
                path,
                format!("label at record {record}, label {label} is {v}, not 0 or 1"),
            )
        })?;
    }
    Ok(out)
}

fn int01<T: TryInto<u8>>(v: T) -> Option<u8> {
    v.try_into().ok().filter(|&b: &u8| b <= 1)
}

fn float01(v: f64) -> Option<u8> {
    if v == 0.0 {
        Some(0)
    } else if v == 1.0 {
        Some(1)
    } else {
        None
    }
}

/// Reads a `[records, labels]` 0/1 matrix (bool, any integer type, or float holding exactly
/// 0.0/1.0).
pub fn read_labels(path: &Path) -> Result<Array2<u8>> {
    match read_any(path)? {
        AnyArray::Bool(a) => Ok(a.mapv(u8::from)),
        AnyArray::U8(a) => to_labels(path, &a.view(), int01),
        AnyArray::I8(a) => to_labels(path, &a.view(), int01),
        AnyArray::U16(a) => to_labels(path, &a.view(), int01),
        AnyArray::I16(a) => to_labels(path, &a.view(), int01),
        AnyArray::U32(a) => to_labels(path, &a.view(), int01),
        AnyArray::I32(a) => to_labels(path, &a.view(), int01),
        AnyArray::U64(a) => to_labels(path, &a.view(), int01),
        AnyArray::I64(a) => to_labels(path, &a.view(), int01),
        AnyArray::F32(a) => to_labels(path, &a.view(), |v| float01(f64::from(v))),
        AnyArray::F64(a) => to_labels(path, &a.view(), float01),
    }
}

/// Reads a `[records, labels]` score matrix (float32 is widened exactly to f64); every score
/// must be finite.
pub fn read_scores(path: &Path) -> Result<Array2<f64>> {
    let a = match read_any(path)? {
        AnyArray::F64(a) => a,
        AnyArray::F32(a) => a.mapv(f64::from),
        _ => return Err(npy_err(path, "scores must be float32 or float64")),
    };
    if let Some(((record, label), v)) = a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(npy_err(
            path,
            format!("score at record {record}, label {label} is {v} (must be finite)"),
        ));
    }
    Ok(a)
}

/// Reads bootstrap index sets `[samples, records]` (any integer type, values >= 0).
pub fn read_index_sets(path: &Path) -> Result<Vec<Vec<usize>>> {
    fn rows<T: Copy + TryInto<usize> + std::fmt::Display>(
        path: &Path,
        a: Array2<T>,
    ) -> Result<Vec<Vec<usize>>> {
        a.rows()
            .into_iter()
            .enumerate()
            .map(|(s, row)| {
                row.iter()
                    .map(|&v| {
                        v.try_into().map_err(|_| {
                            npy_err(
                                path,
                                format!("sample {s}: index {v} is not a valid row index"),
                            )
                        })
                    })
                    .collect()
            })
            .collect()
    }
    match read_any(path)? {
        AnyArray::U8(a) => rows(path, a),
        AnyArray::I8(a) => rows(path, a),
        AnyArray::U16(a) => rows(path, a),
        AnyArray::I16(a) => rows(path, a),
        AnyArray::U32(a) => rows(path, a),
        AnyArray::I32(a) => rows(path, a),
        AnyArray::U64(a) => rows(path, a),
        AnyArray::I64(a) => rows(path, a),
        _ => Err(npy_err(
            path,
            "bootstrap index sets must be an integer array",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};
    use ndarray_npy::{write_npy, WritableElement};
    use std::path::PathBuf;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ecg-metrics-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        dir.join(name)
    }

    fn write<A: WritableElement>(name: &str, a: &Array2<A>) -> PathBuf {
        let p = tmp(name);
        write_npy(&p, a).expect("write npy");
        p
    }

    #[test]
    fn labels_of_every_dtype() {
        let want = array![[1u8, 0], [0, 1]];
        let b = write("b.npy", &want.mapv(|v| v == 1));
        assert_eq!(read_labels(&b).expect("bool"), want);
        let i = write("i.npy", &want.mapv(i64::from));
        assert_eq!(read_labels(&i).expect("i64"), want);
        let f = write("f.npy", &want.mapv(f32::from));
        assert_eq!(read_labels(&f).expect("f32"), want);
        let bad = write("bad.npy", &array![[1i32, 2]]);
        assert!(matches!(read_labels(&bad), Err(MetricsError::Npy { .. })));
        let half = write("half.npy", &array![[0.5f64, 1.0]]);
        assert!(read_labels(&half).is_err());
    }

    #[test]
    fn scores_and_indices_are_strict() {
        let s = write("s.npy", &array![[0.25f32, 1.0]]);
        assert_eq!(read_scores(&s).expect("f32"), array![[0.25, 1.0]]);
        let n = write("n.npy", &array![[0.25f64, f64::NAN]]);
        assert!(read_scores(&n).is_err());
        let i = write("ints.npy", &array![[1i64, 2]]);
        assert!(read_scores(&i).is_err());
        let one_d = tmp("one_d.npy");
        write_npy(&one_d, &Array1::<f64>::zeros(3)).expect("write");
        assert!(read_scores(&one_d).is_err());
        let idx = write("idx.npy", &array![[0i64, 2], [1, 1]]);
        assert_eq!(
            read_index_sets(&idx).expect("ints"),
            vec![vec![0, 2], vec![1, 1]]
        );
        let neg = write("neg.npy", &array![[0i64, -1]]);
        assert!(read_index_sets(&neg).is_err());
        assert!(read_scores(&tmp("absent.npy")).is_err());
    }
}
