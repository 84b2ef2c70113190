//! MATLAB Level 5 MAT-file reader (the format MATLAB writes with `save -v7` / `-v6`).
//!
//! Why hand-written: the CPSC2018 recordings are MAT-5 files holding a struct (`ECG` with
//! `sex`, `age`, `data`), zlib-compressed. At the time of writing the only pure-Rust crate
//! that reads MAT-5 structs (`matrw` 0.1) has hundreds of `unwrap`/indexing sites on file
//! input, and this crate promises never to panic on disk input; the subset needed here is
//! small, so it is implemented (and fuzzed) here.
//!
//! Supported: both byte orders (`IM` / `MI` indicator), the small-data-element format,
//! `miCOMPRESSED` top-level elements (zlib), and arrays of class double, single, int8..uint64
//! (logical included), char, struct and cell. As MATLAB does, a numeric array's values may be
//! stored as any smaller numeric type (e.g. a `double` array of small integers stored as
//! `miUINT8`); values are returned as `f64` whatever the class (64-bit integers beyond 2^53
//! lose precision). Sparse, object, function-handle and opaque arrays are kept as
//! [`MatValue::Unsupported`] so a file that contains one can still be read for its other
//! variables. MAT v4 and v7.3 (HDF5) files are refused with [`IoError::Unsupported`].
//!
//! Layout conventions: `dims` are MATLAB's (row count first); numeric and char data are in
//! MATLAB's column-major order; struct elements are in column-major element order, each
//! holding its fields in the file's field order.
//!
//! [`write`] is the small writer beside it (double, char, struct; compressed), used for
//! synthetic CPSC2018-layout recordings.
//!
//! Robustness: every length read from the file is checked against the bytes that are
//! actually there before anything is allocated; decompression is bounded by zlib's maximum
//! ratio; nesting depth is limited. Errors are [`IoError::Invalid`] naming the file, the
//! variable path (e.g. `ECG.data`) and the byte offset.
use crate::error::{IoError, Result};
use flate2::read::ZlibDecoder;
use std::io::Read;
use std::path::Path;

pub mod write;

/// Byte order of a MAT-file, from its endian indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// `IM` in the header: little-endian (every PC-written file).
    Little,
    /// `MI` in the header: big-endian.
    Big,
}

/// MATLAB array classes (`mxCLASS`), from the array-flags sub-element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatClass {
    Cell,
    Struct,
    Object,
    Char,
    Sparse,
    Double,
    Single,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    /// Function handles, opaque (MCOS) objects and any other code.
    Other(u8),
}

impl MatClass {
    fn from_code(code: u8) -> MatClass {
        match code {
            1 => MatClass::Cell,
            2 => MatClass::Struct,
            3 => MatClass::Object,
            4 => MatClass::Char,
            5 => MatClass::Sparse,
            6 => MatClass::Double,
            7 => MatClass::Single,
            8 => MatClass::Int8,
            9 => MatClass::UInt8,
            10 => MatClass::Int16,
            11 => MatClass::UInt16,
            12 => MatClass::Int32,
            13 => MatClass::UInt32,
            14 => MatClass::Int64,
            15 => MatClass::UInt64,
            other => MatClass::Other(other),
        }
    }

    /// True for double, single and the integer classes.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            MatClass::Double
                | MatClass::Single
                | MatClass::Int8
                | MatClass::UInt8
                | MatClass::Int16
                | MatClass::UInt16
                | MatClass::Int32
                | MatClass::UInt32
                | MatClass::Int64
                | MatClass::UInt64
        )
    }
}

/// The contents of one array.
#[derive(Debug, Clone, PartialEq)]
pub enum MatValue {
    /// Numeric (and logical) arrays, column-major, converted to `f64`.
    Numeric {
        real: Vec<f64>,
        /// Present for complex arrays.
        imag: Option<Vec<f64>>,
    },
    /// Character arrays, column-major (MATLAB stores UTF-16 code units; decoded here).
    Char(Vec<char>),
    /// Struct arrays: the field names, then per element (column-major) the field values in
    /// field-name order.
    Struct {
        fields: Vec<String>,
        elements: Vec<Vec<MatArray>>,
    },
    /// Cell arrays, column-major.
    Cell(Vec<MatArray>),
    /// Sparse, object, function-handle or opaque arrays: skipped, not decoded.
    Unsupported,
}

/// One named array (a top-level variable, a struct field or a cell).
#[derive(Debug, Clone, PartialEq)]
pub struct MatArray {
    /// Variable or field name (empty for cells).
    pub name: String,
    pub class: MatClass,
    /// MATLAB dimensions, rows first (at least two).
    pub dims: Vec<usize>,
    /// The logical flag (numeric arrays of 0/1 that MATLAB shows as true/false).
    pub logical: bool,
    pub value: MatValue,
}

impl MatArray {
    /// Number of elements (product of `dims`).
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// For a 1×1 struct: the field called `name`.
    pub fn field(&self, name: &str) -> Option<&MatArray> {
        match &self.value {
            MatValue::Struct { fields, elements } if elements.len() == 1 => {
                let i = fields.iter().position(|f| f == name)?;
                elements[0].get(i)
            }
            _ => None,
        }
    }

    /// The real part of a numeric array, column-major.
    pub fn real(&self) -> Option<&[f64]> {
        match &self.value {
            MatValue::Numeric { real, .. } => Some(real),
            _ => None,
        }
    }

    /// A char array with at most one non-singleton dimension, as a string.
    pub fn as_string(&self) -> Option<String> {
        match &self.value {
            MatValue::Char(chars) if self.dims.iter().filter(|&&d| d > 1).count() <= 1 => {
                Some(chars.iter().collect())
            }
            _ => None,
        }
    }

    /// A numeric array with exactly one element, as `f64`.
    pub fn as_scalar(&self) -> Option<f64> {
        match self.real() {
            Some([x]) => Some(*x),
            _ => None,
        }
    }
}

/// A parsed MAT-file.
#[derive(Debug, Clone, PartialEq)]
pub struct MatFile {
    /// The 116-byte descriptive text of the header, trimmed.
    pub description: String,
    pub endian: Endian,
    /// Top-level variables in file order.
    pub variables: Vec<MatArray>,
}

impl MatFile {
    /// The top-level variable called `name`.
    pub fn get(&self, name: &str) -> Option<&MatArray> {
        self.variables.iter().find(|v| v.name == name)
    }
}

/// Read and parse a MAT-5 file.
pub fn read(path: &Path) -> Result<MatFile> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    parse(&bytes, path)
}

// Data types of data elements (`miTYPE`).
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MI_UTF8: u32 = 16;
const MI_UTF16: u32 = 17;
const MI_UTF32: u32 = 18;

/// Deepest nesting of structs/cells accepted (MATLAB files in the wild are shallow).
const MAX_DEPTH: usize = 64;

/// Parse MAT-5 bytes; `path` only names the file in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<MatFile> {
    let bad = |msg: String| IoError::invalid(path, "header", msg);
    if bytes.len() < 128 {
        return Err(bad(format!(
            "{} bytes: too short for a MAT-5 file (128-byte header)",
            bytes.len()
        )));
    }
    let endian = match &bytes[126..128] {
        b"IM" => Endian::Little,
        b"MI" => Endian::Big,
        _ => {
            return Err(IoError::unsupported(
                path,
                "header",
                "no MAT-5 endian indicator (`IM`/`MI`) at byte 126: not a Level 5 MAT-file \
                 (MAT v4 files are not read by this reader)",
            ))
        }
    };
    let version = match endian {
        Endian::Little => u16::from_le_bytes([bytes[124], bytes[125]]),
        Endian::Big => u16::from_be_bytes([bytes[124], bytes[125]]),
    };
    if version != 0x0100 {
        return Err(IoError::unsupported(
            path,
            "header",
            format!(
                "MAT-file version {version:#06x} (0x0100 is Level 5; 0x0200 is v7.3/HDF5, \
                 which this reader does not read)"
            ),
        ));
    }
    let description = String::from_utf8_lossy(&bytes[..116])
        .trim_end_matches(['\0', ' '])
        .to_string();
    let mut variables = Vec::new();
    let mut cur = Cursor::new(bytes, 128, endian, path, None);
    while cur.remaining() > 0 {
        let at = cur.pos;
        if cur.remaining() < 8 {
            // Trailing padding.
            if cur.rest().iter().all(|&b| b == 0) {
                break;
            }
            return Err(cur.err("file", at, "trailing bytes after the last element".into()));
        }
        let el = cur.element("variable")?;
        match el.mi_type {
            MI_COMPRESSED => {
                let inflated = inflate(el.data, path, at)?;
                let mut inner = Cursor::new(&inflated, 0, endian, path, Some(at));
                let inner_el = inner.element("compressed variable")?;
                if inner_el.mi_type != MI_MATRIX {
                    return Err(inner.err(
                        "compressed variable",
                        0,
                        format!(
                            "holds data type {} where miMATRIX (14) was expected",
                            inner_el.mi_type
                        ),
                    ));
                }
                variables.push(inner.matrix(inner_el.data, inner_el.offset, "", 0)?);
            }
            MI_MATRIX => variables.push(cur.matrix(el.data, el.offset, "", 0)?),
            other => {
                return Err(cur.err(
                    "variable",
                    at,
                    format!(
                        "top-level data type {other} (expected miMATRIX 14 or miCOMPRESSED 15)"
                    ),
                ))
            }
        }
    }
    Ok(MatFile {
        description,
        endian,
        variables,
    })
}

/// Decompress one `miCOMPRESSED` element. The output is capped at zlib's maximum expansion
/// (1032:1) of the compressed size, so a corrupt length can never trigger a huge allocation.
fn inflate(data: &[u8], path: &Path, at: usize) -> Result<Vec<u8>> {
    let cap = (data.len() as u64).saturating_mul(1032).saturating_add(64);
    let mut out = Vec::new();
    ZlibDecoder::new(data)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| {
            IoError::invalid(
                path,
                "compressed variable",
                format!("byte {at}: zlib stream does not decompress: {e}"),
            )
        })?;
    Ok(out)
}

/// One data element: its type, its data bytes and where the data start.
struct Element<'a> {
    mi_type: u32,
    data: &'a [u8],
    offset: usize,
}

/// A bounds-checked reader over one buffer (the file, or one decompressed element).
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    endian: Endian,
    path: &'a Path,
    /// Set inside a decompressed element: the file offset of that element.
    compressed_at: Option<usize>,
}

impl<'a> Cursor<'a> {
    fn new(
        buf: &'a [u8],
        pos: usize,
        endian: Endian,
        path: &'a Path,
        compressed_at: Option<usize>,
    ) -> Self {
        Cursor {
            buf,
            pos,
            endian,
            path,
            compressed_at,
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    fn err(&self, field: &str, at: usize, msg: String) -> IoError {
        let loc = match self.compressed_at {
            Some(c) => format!("byte {at} of the compressed element at file byte {c}"),
            None => format!("byte {at}"),
        };
        let field = if field.is_empty() { "variable" } else { field };
        IoError::invalid(self.path, field, format!("{loc}: {msg}"))
    }

    fn u32_at(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        match self.endian {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        }
    }

    /// Read one data element at `pos` (either tag format), and move past it and its padding
    /// to the next 8-byte boundary (compressed elements are not padded).
    fn element(&mut self, field: &str) -> Result<Element<'a>> {
        let at = self.pos;
        let tag = self
            .buf
            .get(at..at.saturating_add(8))
            .ok_or_else(|| self.err(field, at, "truncated data-element tag".into()))?;
        let first = self.u32_at(&tag[0..4]);
        if first >> 16 != 0 {
            // Small data element: type and size share the first word, data in the second.
            let mi_type = first & 0xffff;
            let n = (first >> 16) as usize;
            if n > 4 {
                return Err(self.err(
                    field,
                    at,
                    format!("small data element claims {n} bytes (at most 4 fit)"),
                ));
            }
            self.pos = at + 8;
            return Ok(Element {
                mi_type,
                data: &self.buf[at + 4..at + 4 + n],
                offset: at + 4,
            });
        }
        let mi_type = first;
        let n = self.u32_at(&tag[4..8]) as usize;
        let start = at + 8;
        let data = self.buf.get(start..start.saturating_add(n)).ok_or_else(|| {
            self.err(
                field,
                at,
                format!(
                    "element of type {mi_type} claims {n} bytes but only {} remain (truncated file?)",
                    self.buf.len().saturating_sub(start)
                ),
            )
        })?;
        let end = start + n;
        self.pos = if mi_type == MI_COMPRESSED {
            end
        } else {
            // Pad to 8 bytes; tolerate a missing final padding at the end of the buffer.
            end.saturating_add((8 - end % 8) % 8).min(self.buf.len())
        };
        Ok(Element {
            mi_type,
            data,
            offset: start,
        })
    }

    /// Parse the contents of one miMATRIX element (`data`, starting at `offset` in `buf`).
    /// `parent` is the variable path so far (for errors).
    fn matrix(
        &self,
        data: &'a [u8],
        offset: usize,
        parent: &str,
        depth: usize,
    ) -> Result<MatArray> {
        if depth > MAX_DEPTH {
            return Err(self.err(
                parent,
                offset,
                format!("structs/cells nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        if data.is_empty() {
            // MATLAB writes an empty (0×0 double) array as a zero-length miMATRIX.
            return Ok(MatArray {
                name: String::new(),
                class: MatClass::Double,
                dims: vec![0, 0],
                logical: false,
                value: MatValue::Numeric {
                    real: Vec::new(),
                    imag: None,
                },
            });
        }
        let mut sub = Cursor::new(self.buf, offset, self.endian, self.path, self.compressed_at);
        // Restrict the sub-cursor to this element.
        sub.buf = &self.buf[..offset + data.len()];
        let field = if parent.is_empty() {
            "variable"
        } else {
            parent
        };

        let flags = sub.element(field)?;
        if flags.mi_type != MI_UINT32 || flags.data.len() != 8 {
            return Err(sub.err(
                field,
                flags.offset,
                format!(
                    "array flags: expected 8 bytes of miUINT32, found type {} with {} bytes",
                    flags.mi_type,
                    flags.data.len()
                ),
            ));
        }
        let word = self.u32_at(&flags.data[0..4]);
        let class = MatClass::from_code((word & 0xff) as u8);
        let complex = word & 0x0800 != 0;
        let logical = word & 0x0200 != 0;

        let dims_el = sub.element(field)?;
        if dims_el.mi_type != MI_INT32 || dims_el.data.len() < 8 || dims_el.data.len() % 4 != 0 {
            return Err(sub.err(
                field,
                dims_el.offset,
                format!(
                    "dimensions: expected at least two miINT32 values, found type {} with {} bytes",
                    dims_el.mi_type,
                    dims_el.data.len()
                ),
            ));
        }
        let mut dims = Vec::with_capacity(dims_el.data.len() / 4);
        for c in dims_el.data.chunks_exact(4) {
            let d = self.u32_at(c) as i32;
            if d < 0 {
                return Err(sub.err(field, dims_el.offset, format!("negative dimension {d}")));
            }
            dims.push(d as usize);
        }
        let numel = dims
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| {
                sub.err(
                    field,
                    dims_el.offset,
                    format!("dimensions {dims:?} overflow"),
                )
            })?;

        let name_el = sub.element(field)?;
        if !matches!(name_el.mi_type, MI_INT8 | MI_UINT8 | MI_UTF8) {
            return Err(sub.err(
                field,
                name_el.offset,
                format!(
                    "array name: expected miINT8 text, found type {}",
                    name_el.mi_type
                ),
            ));
        }
        let name = String::from_utf8_lossy(name_el.data)
            .trim_end_matches('\0')
            .to_string();
        let here = match (parent.is_empty(), name.is_empty()) {
            (true, _) => name.clone(),
            (false, true) => parent.to_string(),
            (false, false) => format!("{parent}.{name}"),
        };
        let here_field = if here.is_empty() {
            field.to_string()
        } else {
            here.clone()
        };

        let value = match class {
            c if c.is_numeric() => {
                let re = sub.element(&here_field)?;
                let real = sub.numbers(&re, numel, &here_field, "real part")?;
                let imag = if complex {
                    let im = sub.element(&here_field)?;
                    Some(sub.numbers(&im, numel, &here_field, "imaginary part")?)
                } else {
                    None
                };
                MatValue::Numeric { real, imag }
            }
            MatClass::Char => {
                let el = sub.element(&here_field)?;
                let chars = sub.chars(&el, &here_field)?;
                if chars.len() != numel {
                    return Err(sub.err(
                        &here_field,
                        el.offset,
                        format!("char array {dims:?} holds {} characters", chars.len()),
                    ));
                }
                MatValue::Char(chars)
            }
            MatClass::Struct => sub.structure(numel, &here_field, depth)?,
            MatClass::Cell => {
                let mut cells = Vec::new();
                for k in 0..numel {
                    let el = sub.element(&here_field)?;
                    if el.mi_type != MI_MATRIX {
                        return Err(sub.err(
                            &here_field,
                            el.offset,
                            format!(
                                "cell {k}: data type {} where miMATRIX was expected",
                                el.mi_type
                            ),
                        ));
                    }
                    let cell_path = format!("{here_field}{{{}}}", k + 1);
                    cells.push(sub.matrix(el.data, el.offset, &cell_path, depth + 1)?);
                }
                MatValue::Cell(cells)
            }
            _ => MatValue::Unsupported,
        };
        Ok(MatArray {
            name,
            class,
            dims,
            logical,
            value,
        })
    }

    /// Struct fields: name length, names, then `numel × nfields` miMATRIX elements.
    fn structure(&mut self, numel: usize, field: &str, depth: usize) -> Result<MatValue> {
        let len_el = self.element(field)?;
        if len_el.mi_type != MI_INT32 || len_el.data.len() != 4 {
            return Err(self.err(
                field,
                len_el.offset,
                format!(
                    "struct field-name length: expected one miINT32, found type {}",
                    len_el.mi_type
                ),
            ));
        }
        let name_len = self.u32_at(len_el.data) as usize;
        let names_el = self.element(field)?;
        if !matches!(names_el.mi_type, MI_INT8 | MI_UINT8) {
            return Err(self.err(
                field,
                names_el.offset,
                format!(
                    "struct field names: expected miINT8, found type {}",
                    names_el.mi_type
                ),
            ));
        }
        let fields: Vec<String> = if names_el.data.is_empty() {
            Vec::new()
        } else {
            if name_len == 0 || names_el.data.len() % name_len != 0 {
                return Err(self.err(
                    field,
                    names_el.offset,
                    format!(
                        "struct field names: {} bytes is not a multiple of the name length {name_len}",
                        names_el.data.len()
                    ),
                ));
            }
            names_el
                .data
                .chunks_exact(name_len)
                .map(|c| {
                    let end = c.iter().position(|&b| b == 0).unwrap_or(c.len());
                    String::from_utf8_lossy(&c[..end]).into_owned()
                })
                .collect()
        };
        let mut elements = Vec::new();
        for k in 0..numel {
            let mut values = Vec::with_capacity(fields.len());
            for f in &fields {
                let path = if numel == 1 {
                    format!("{field}.{f}")
                } else {
                    format!("{field}({}).{f}", k + 1)
                };
                let el = self.element(&path)?;
                if el.mi_type != MI_MATRIX {
                    return Err(self.err(
                        &path,
                        el.offset,
                        format!("data type {} where miMATRIX was expected", el.mi_type),
                    ));
                }
                let mut v = self.matrix(el.data, el.offset, &path, depth + 1)?;
                if v.name.is_empty() {
                    v.name = f.clone();
                }
                values.push(v);
            }
            elements.push(values);
        }
        Ok(MatValue::Struct { fields, elements })
    }

    /// Decode a numeric data element of any numeric storage type into `f64`; it must hold
    /// exactly `numel` values.
    fn numbers(&self, el: &Element<'_>, numel: usize, field: &str, part: &str) -> Result<Vec<f64>> {
        let width = match el.mi_type {
            MI_INT8 | MI_UINT8 => 1,
            MI_INT16 | MI_UINT16 => 2,
            MI_INT32 | MI_UINT32 | MI_SINGLE => 4,
            MI_DOUBLE | MI_INT64 | MI_UINT64 => 8,
            other => {
                return Err(self.err(
                    field,
                    el.offset,
                    format!("{part}: data type {other} is not numeric"),
                ))
            }
        };
        if el.data.len() % width != 0 || el.data.len() / width != numel {
            return Err(self.err(
                field,
                el.offset,
                format!(
                    "{part}: {} bytes of type {} is not the {numel} values the dimensions need",
                    el.data.len(),
                    el.mi_type
                ),
            ));
        }
        let big = self.endian == Endian::Big;
        let out = el
            .data
            .chunks_exact(width)
            .map(|c| {
                let mut b = [0u8; 8];
                b[..width].copy_from_slice(c);
                if big {
                    b[..width].reverse();
                }
                // `b` now holds the value little-endian in its first `width` bytes.
                match el.mi_type {
                    MI_INT8 => b[0] as i8 as f64,
                    MI_UINT8 => b[0] as f64,
                    MI_INT16 => i16::from_le_bytes([b[0], b[1]]) as f64,
                    MI_UINT16 => u16::from_le_bytes([b[0], b[1]]) as f64,
                    MI_INT32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
                    MI_UINT32 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
                    MI_SINGLE => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
                    MI_INT64 => i64::from_le_bytes(b) as f64,
                    MI_UINT64 => u64::from_le_bytes(b) as f64,
                    _ => f64::from_le_bytes(b),
                }
            })
            .collect();
        Ok(out)
    }

    /// Decode a char array's data element.
    fn chars(&self, el: &Element<'_>, field: &str) -> Result<Vec<char>> {
        let units = |w: usize| -> Vec<u32> {
            el.data
                .chunks_exact(w)
                .map(|c| match (w, self.endian) {
                    (2, Endian::Little) => u16::from_le_bytes([c[0], c[1]]) as u32,
                    (2, Endian::Big) => u16::from_be_bytes([c[0], c[1]]) as u32,
                    (_, _) => self.u32_at(c),
                })
                .collect()
        };
        match el.mi_type {
            MI_UINT16 | MI_UTF16 | MI_INT16 => {
                if el.data.len() % 2 != 0 {
                    return Err(self.err(
                        field,
                        el.offset,
                        "odd byte count for 16-bit text".into(),
                    ));
                }
                let u: Vec<u16> = units(2).into_iter().map(|x| x as u16).collect();
                // MATLAB chars are UTF-16 code units, one per element; lone surrogates become
                // U+FFFD so the element count is preserved.
                Ok(u.iter()
                    .map(|&x| char::from_u32(x as u32).unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect())
            }
            MI_UTF8 => Ok(String::from_utf8_lossy(el.data).chars().collect()),
            MI_INT8 | MI_UINT8 => Ok(el.data.iter().map(|&b| b as char).collect()),
            MI_UTF32 | MI_INT32 | MI_UINT32 => {
                if el.data.len() % 4 != 0 {
                    return Err(self.err(
                        field,
                        el.offset,
                        "byte count not a multiple of 4 for 32-bit text".into(),
                    ));
                }
                Ok(units(4)
                    .into_iter()
                    .map(|x| char::from_u32(x).unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect())
            }
            other => Err(self.err(field, el.offset, format!("char data of type {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(endian: Endian) -> Vec<u8> {
        let mut h = vec![b' '; 116];
        h[..10].copy_from_slice(b"MATLAB 5.0");
        h.extend_from_slice(&[0u8; 8]);
        match endian {
            Endian::Little => h.extend_from_slice(&[0x00, 0x01, b'I', b'M']),
            Endian::Big => h.extend_from_slice(&[0x01, 0x00, b'M', b'I']),
        }
        h
    }

    #[test]
    fn refuses_short_v4_and_v73_files() {
        let p = Path::new("x.mat");
        assert!(matches!(parse(b"MATLAB", p), Err(IoError::Invalid { .. })));
        let mut v4 = vec![0u8; 200];
        v4[0] = 0;
        assert!(matches!(parse(&v4, p), Err(IoError::Unsupported { .. })));
        let mut v73 = header(Endian::Little);
        v73[124] = 0x00;
        v73[125] = 0x02;
        assert!(matches!(parse(&v73, p), Err(IoError::Unsupported { .. })));
        // A header alone is a valid, empty file.
        let empty = parse(&header(Endian::Big), p).expect("empty file");
        assert_eq!(empty.endian, Endian::Big);
        assert!(empty.variables.is_empty());
    }

    #[test]
    fn truncated_element_is_an_error_naming_the_offset() {
        let mut f = header(Endian::Little);
        f.extend_from_slice(&14u32.to_le_bytes());
        f.extend_from_slice(&1000u32.to_le_bytes());
        f.extend_from_slice(&[0u8; 16]);
        match parse(&f, Path::new("t.mat")) {
            Err(IoError::Invalid { msg, path, .. }) => {
                assert!(
                    msg.contains("byte 128") && msg.contains("1000 bytes"),
                    "{msg}"
                );
                assert_eq!(path, Path::new("t.mat"));
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
}
