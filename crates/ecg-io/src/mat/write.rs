//! A minimal MAT-5 writer (little-endian, each variable one zlib-compressed `miCOMPRESSED`
//! element, as MATLAB's `save -v7` writes): real double arrays, char arrays and structs of
//! them — what a CPSC2018-layout recording holds. Files are written atomically (temporary
//! file + rename). The reader beside it ([`super::parse`]) reads them back; the format is
//! the one in MathWorks' "MAT-File Format" (Level 5) document.
use super::{MatArray, MatClass, MatValue};
use crate::error::{IoError, Result};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use std::io::Write;
use std::path::Path;

const MI_INT8: u32 = 1;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_DOUBLE: u32 = 9;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

fn pad8(buf: &mut Vec<u8>) {
    while buf.len() % 8 != 0 {
        buf.push(0);
    }
}

/// One data element: tag (type, byte count), data, padding to 8 bytes.
fn element(buf: &mut Vec<u8>, ty: u32, data: &[u8]) {
    buf.extend(ty.to_le_bytes());
    buf.extend((data.len() as u32).to_le_bytes());
    buf.extend(data);
    pad8(buf);
}

fn class_code(c: MatClass) -> Option<u8> {
    match c {
        MatClass::Struct => Some(2),
        MatClass::Char => Some(4),
        MatClass::Double => Some(6),
        _ => None,
    }
}

/// The `miMATRIX` element of one array (its name as given).
fn matrix(a: &MatArray, path: &Path) -> Result<Vec<u8>> {
    let unsupported = |what: &str| IoError::Unsupported {
        path: path.to_path_buf(),
        field: a.name.clone(),
        msg: format!("the MAT writer writes double, char and struct arrays, not {what}"),
    };
    let class = class_code(a.class).ok_or_else(|| unsupported(&format!("{:?}", a.class)))?;
    if a.dims.len() < 2 || a.numel() != value_len(&a.value) {
        return Err(IoError::invalid(
            path,
            a.name.clone(),
            format!("dims {:?} do not match the value's length", a.dims),
        ));
    }
    let mut body = Vec::new();
    let flags = u32::from(class) | if a.logical { 0x0200 } else { 0 };
    element(
        &mut body,
        MI_UINT32,
        &[flags.to_le_bytes(), [0; 4]].concat(),
    );
    let dims: Vec<u8> = a
        .dims
        .iter()
        .flat_map(|&d| (d as i32).to_le_bytes())
        .collect();
    element(&mut body, MI_INT32, &dims);
    element(&mut body, MI_INT8, a.name.as_bytes());
    match (&a.value, a.class) {
        (MatValue::Numeric { real, imag: None }, MatClass::Double) => {
            let bytes: Vec<u8> = real.iter().flat_map(|v| v.to_le_bytes()).collect();
            element(&mut body, MI_DOUBLE, &bytes);
        }
        (MatValue::Char(chars), MatClass::Char) => {
            let mut units = Vec::new();
            for c in chars {
                let mut b = [0u16; 2];
                for u in c.encode_utf16(&mut b) {
                    units.extend(u.to_le_bytes());
                }
            }
            element(&mut body, MI_UINT16, &units);
        }
        (MatValue::Struct { fields, elements }, MatClass::Struct) => {
            let longest = fields.iter().map(|f| f.len()).max().unwrap_or(0) + 1;
            // field-name length: a small data element (type and size packed in 4 bytes)
            body.extend(((4u32 << 16) | MI_INT32).to_le_bytes());
            body.extend((longest as i32).to_le_bytes());
            let mut names = Vec::new();
            for f in fields {
                let mut n = f.as_bytes().to_vec();
                n.resize(longest, 0);
                names.extend(n);
            }
            element(&mut body, MI_INT8, &names);
            for el in elements {
                for (f, v) in fields.iter().zip(el) {
                    let mut unnamed = v.clone();
                    unnamed.name.clear();
                    let m = matrix(&unnamed, path).map_err(|e| match e {
                        IoError::Invalid { path, msg, .. } => IoError::Invalid {
                            path,
                            field: format!("{}.{f}", a.name),
                            msg,
                        },
                        other => other,
                    })?;
                    body.extend(m);
                }
            }
        }
        _ => {
            return Err(unsupported(
                "this value (complex, cell or mismatched class)",
            ))
        }
    }
    let mut out = Vec::with_capacity(body.len() + 8);
    element(&mut out, MI_MATRIX, &body);
    Ok(out)
}

fn value_len(v: &MatValue) -> usize {
    match v {
        MatValue::Numeric { real, .. } => real.len(),
        MatValue::Char(c) => c.len(),
        MatValue::Struct { elements, .. } => elements.len(),
        MatValue::Cell(c) => c.len(),
        MatValue::Unsupported => 0,
    }
}

/// The bytes of a MAT-5 file holding `variables` (each named by its `name`).
pub fn to_bytes(variables: &[MatArray], path: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut text = b"MATLAB 5.0 MAT-file, written by ecg-io".to_vec();
    text.resize(116, b' ');
    out.extend(text);
    out.extend([0u8; 8]); // subsystem data offset: none
    out.extend(0x0100u16.to_le_bytes());
    out.extend(b"IM");
    for v in variables {
        let m = matrix(v, path)?;
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&m).map_err(|e| IoError::io(path, e))?;
        let z = z.finish().map_err(|e| IoError::io(path, e))?;
        out.extend(MI_COMPRESSED.to_le_bytes());
        out.extend((z.len() as u32).to_le_bytes());
        out.extend(z);
    }
    Ok(out)
}

/// Write a MAT-5 file atomically (temporary file beside `path`, then rename).
pub fn write(path: &Path, variables: &[MatArray]) -> Result<()> {
    let bytes = to_bytes(variables, path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| IoError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        IoError::io(path, e)
    })
}

/// A real double array (column-major values).
pub fn double(name: &str, dims: Vec<usize>, real: Vec<f64>) -> MatArray {
    MatArray {
        name: name.into(),
        class: MatClass::Double,
        dims,
        logical: false,
        value: MatValue::Numeric { real, imag: None },
    }
}

/// A 1×N char array.
pub fn char_row(name: &str, s: &str) -> MatArray {
    let chars: Vec<char> = s.chars().collect();
    MatArray {
        name: name.into(),
        class: MatClass::Char,
        dims: vec![1, chars.len()],
        logical: false,
        value: MatValue::Char(chars),
    }
}

/// A 1×1 struct of the given fields (in order).
pub fn struct_1x1(name: &str, fields: Vec<MatArray>) -> MatArray {
    MatArray {
        name: name.into(),
        class: MatClass::Struct,
        dims: vec![1, 1],
        logical: false,
        value: MatValue::Struct {
            fields: fields.iter().map(|f| f.name.clone()).collect(),
            elements: vec![fields],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_round_trips_through_the_reader() {
        let data: Vec<f64> = (0..24).map(|i| i as f64 * 0.25 - 1.0).collect();
        let ecg = struct_1x1(
            "ECG",
            vec![
                char_row("sex", "Female"),
                double("age", vec![1, 1], vec![63.0]),
                double("data", vec![12, 2], data.clone()),
            ],
        );
        let p = Path::new("x.mat");
        let bytes = to_bytes(std::slice::from_ref(&ecg), p).expect("writes");
        let f = super::super::parse(&bytes, p).expect("reads back");
        let got = f.get("ECG").expect("ECG");
        assert_eq!(
            got.field("sex").and_then(MatArray::as_string).as_deref(),
            Some("Female")
        );
        assert_eq!(got.field("age").and_then(MatArray::as_scalar), Some(63.0));
        let d = got.field("data").expect("data");
        assert_eq!(
            (d.dims.clone(), d.real().map(<[f64]>::to_vec)),
            (vec![12, 2], Some(data))
        );
        let bad = double("x", vec![2, 2], vec![1.0]);
        assert!(to_bytes(&[bad], p).is_err());
    }
}
