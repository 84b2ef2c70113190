//! A minimal `.npy` (version 1.0) writer for little-endian float32 arrays, so a Python user
//! can `numpy.load` what `ecg read` writes.
use crate::error::{IoError, Result};
use std::io::Write;
use std::path::Path;

/// Write `data` (row-major, `shape.iter().product()` values) as a C-order `<f4` array.
pub fn write_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    let n: usize = shape.iter().product();
    if n != data.len() {
        return Err(IoError::invalid(
            path,
            "shape",
            format!("{shape:?} holds {n} values, got {}", data.len()),
        ));
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // magic(6) + version(2) + len(2) + header + '\n' padded to a multiple of 64
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat(total.next_multiple_of(64) - total));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 4 * data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let mut f = std::fs::File::create(path).map_err(|e| IoError::io(path, e))?;
    f.write_all(&out).map_err(|e| IoError::io(path, e))
}
