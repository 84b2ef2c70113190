//! Multi-segment WFDB records: the master header (`name/segments n_sig fs n_samples ...`
//! followed by one `segment_name n_samples` line per segment) and reading the segments into
//! one physical signal, as wfdb-python 4.3's `rdrecord(..., m2s=True)` returns it.
//!
//! Layout: *variable* when the first segment has 0 samples (that segment is the layout
//! header: one line per signal of the whole record, file `~`), else *fixed* (every
//! segment has the record's signals in the same order). A segment named `~` is a gap:
//! NaN on every signal. In a variable layout each segment's signals are matched to the
//! layout's by name (first match); a layout signal absent from a segment is NaN there.
//! Each segment is converted with its own gain and baseline.
use super::header::{field_parse, hea_path, parse_record_line, split_lines, Header};
use super::read::{read_digital, to_physical, Record, SampleRange};
use crate::error::{IoError, Result};
use std::fmt;
use std::path::Path;

/// One segment line of a master header.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSpec {
    /// The segment's record name, relative to the master header's directory; `~` = a gap.
    pub name: String,
    pub n_samples: u64,
}

impl SegmentSpec {
    /// A gap (`~`) segment?
    pub fn is_null(&self) -> bool {
        self.name == "~"
    }
}

/// How the segments' signals relate to the record's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every segment has the record's signals, in order.
    Fixed,
    /// Segment 0 (0 samples) is the layout header; segments hold subsets, matched by name.
    Variable,
}

/// A parsed multi-segment master header.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiHeader {
    /// Record-line fields (`signals` is empty: the signals live in the segments).
    pub record: Header,
    /// The signal count on the record line.
    pub n_sig: usize,
    pub segments: Vec<SegmentSpec>,
}

/// Does this header text describe a multi-segment record (`name/segments` record line)?
pub fn is_multi_segment(text: &str) -> bool {
    let (lines, _) = split_lines(text);
    lines
        .first()
        .and_then(|(_, l)| l.split_whitespace().next())
        .is_some_and(|name| name.contains('/'))
}

impl MultiHeader {
    /// Read and parse `RECORD.hea`.
    pub fn read(record: &Path) -> Result<MultiHeader> {
        let path = hea_path(record);
        MultiHeader::parse(&super::header::read_text(&path)?, &path)
    }

    /// Parse master-header text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<MultiHeader> {
        let (lines, comments) = split_lines(text);
        let Some(&(no, line)) = lines.first() else {
            return Err(IoError::parse(path, 0, "record line", "no record line"));
        };
        let (mut record, n_seg) = parse_record_line(line, no, path)?;
        let Some(n_seg) = n_seg else {
            return Err(IoError::parse(
                path,
                no,
                "record name",
                "not a multi-segment record (no `/segments`)",
            ));
        };
        let n_sig: usize = field_parse(
            line.split_whitespace().nth(1),
            no,
            "number of signals",
            path,
        )?;
        let seg_lines = &lines[1..];
        if seg_lines.len() != n_seg {
            return Err(IoError::parse(
                path,
                no,
                "number of segments",
                format!(
                    "the record line says {n_seg} segments but {} segment lines follow",
                    seg_lines.len()
                ),
            ));
        }
        let mut segments = Vec::with_capacity(n_seg);
        for &(no, l) in seg_lines {
            let mut toks = l.split_whitespace();
            let name = toks.next().unwrap_or("").to_string();
            let n_samples = field_parse(toks.next(), no, "segment length", path)?;
            if let Some(extra) = toks.next() {
                return Err(IoError::parse(
                    path,
                    no,
                    "segment line",
                    format!("unexpected extra field `{extra}`"),
                ));
            }
            segments.push(SegmentSpec { name, n_samples });
        }
        record.comments = comments;
        let h = MultiHeader {
            record,
            n_sig,
            segments,
        };
        h.check(path)?;
        Ok(h)
    }

    fn check(&self, path: &Path) -> Result<()> {
        for (i, s) in self.segments.iter().enumerate() {
            if s.n_samples == 0 && i > 0 {
                return Err(IoError::invalid(
                    path,
                    "segment length",
                    format!(
                        "segment {i} (`{}`) has 0 samples; only the layout segment (the first) may",
                        s.name
                    ),
                ));
            }
        }
        if self.layout() == Layout::Variable && self.segments[0].is_null() {
            return Err(IoError::invalid(
                path,
                "layout",
                "the layout segment (0 samples) is named `~`",
            ));
        }
        let total = self.total_samples();
        if let Some(n) = self.record.n_samples {
            if n != total {
                return Err(IoError::invalid(
                    path,
                    "number of samples",
                    format!("the record line says {n} samples, the segments add up to {total}"),
                ));
            }
        }
        Ok(())
    }

    /// Fixed or variable layout.
    pub fn layout(&self) -> Layout {
        match self.segments.first() {
            Some(s) if s.n_samples == 0 => Layout::Variable,
            _ => Layout::Fixed,
        }
    }

    /// The record's length: the sum of the segment lengths.
    pub fn total_samples(&self) -> u64 {
        self.segments.iter().map(|s| s.n_samples).sum()
    }
}

impl fmt::Display for MultiHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rec = self.record.clone();
        rec.signals.clear();
        rec.comments.clear();
        let line = rec.to_string();
        let line = line.trim_end();
        let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.split_once(' ').map_or("", |(_, r)| r);
        write!(f, "{name}/{} {}", self.segments.len(), self.n_sig)?;
        if !rest.is_empty() {
            write!(f, " {rest}")?;
        }
        writeln!(f)?;
        for s in &self.segments {
            writeln!(f, "{} {}", s.name, s.n_samples)?;
        }
        for c in &self.record.comments {
            writeln!(f, "# {c}")?;
        }
        Ok(())
    }
}

/// Read frames `range` of the multi-segment record whose master header text is `text`.
pub(crate) fn read_multi(record: &Path, text: &str, range: SampleRange) -> Result<Record> {
    let hea = hea_path(record);
    let mh = MultiHeader::parse(text, &hea)?;
    let dir = record.parent().unwrap_or(Path::new(""));
    let reference = reference_header(&mh, dir, &hea)?;
    let (from, to) = range.resolve(mh.total_samples(), &hea)?;
    let len = to - from;
    let mut data = vec![f32::NAN; mh.n_sig * len];
    let mut start = 0usize;
    for (i, seg) in mh.segments.iter().enumerate() {
        let seg_len = seg.n_samples as usize;
        let (a, b) = (start.max(from), (start + seg_len).min(to));
        start += seg_len;
        if a >= b || seg.is_null() || (i == 0 && mh.layout() == Layout::Variable) {
            continue;
        }
        let seg_path = dir.join(&seg.name);
        let (h, phys) = read_segment(
            &mh,
            &seg_path,
            seg,
            a + seg_len - start,
            b + seg_len - start,
        )?;
        let n = b - a;
        for (ch, spec) in reference.signals.iter().enumerate() {
            let src = match mh.layout() {
                Layout::Fixed => Some(ch),
                Layout::Variable => h
                    .signals
                    .iter()
                    .position(|s| s.description == spec.description),
            };
            if let Some(src) = src {
                check_spf(&mh, &seg_path, &h, src, spec.spf())?;
                let out = ch * len + (a - from);
                data[out..out + n].copy_from_slice(&phys[src * n..(src + 1) * n]);
            }
        }
    }
    let mut header = reference;
    header.record_name = mh.record.record_name.clone();
    header.n_samples = Some(mh.total_samples());
    header.comments = mh.record.comments.clone();
    Ok(Record {
        leads: mh.n_sig,
        samples: len,
        header,
        data,
    })
}

/// The record's signals: the layout header's (variable) or the first real segment's
/// (fixed), with the master's record-line fields; file names `~`.
fn reference_header(mh: &MultiHeader, dir: &Path, hea: &Path) -> Result<Header> {
    let seg = match mh.layout() {
        Layout::Variable => &mh.segments[0],
        Layout::Fixed => match mh.segments.iter().find(|s| !s.is_null()) {
            Some(s) => s,
            None => {
                return Err(IoError::invalid(
                    hea,
                    "layout",
                    "every segment is a gap (`~`)",
                ));
            }
        },
    };
    let seg_path = dir.join(&seg.name);
    let h = Header::read(&seg_path)?;
    if h.signals.len() != mh.n_sig {
        return Err(IoError::invalid(
            hea_path(&seg_path),
            "number of signals",
            format!(
                "layout mismatch: this segment has {} signals, the master header {} says {}",
                h.signals.len(),
                hea.display(),
                mh.n_sig
            ),
        ));
    }
    let mut out = mh.record.clone();
    out.signals = h.signals;
    for s in &mut out.signals {
        s.file_name = "~".into();
        s.init_value = None;
        s.checksum = None;
        s.skew = None;
        s.byte_offset = None;
    }
    Ok(out)
}

/// A variable-layout segment's signal must have the layout's samples per frame (as
/// wfdb-python 4.3 requires: "Incorrect samples per frame").
fn check_spf(mh: &MultiHeader, seg_path: &Path, h: &Header, src: usize, want: usize) -> Result<()> {
    let got = h.signals[src].spf();
    if mh.layout() == Layout::Variable && got != want {
        return Err(IoError::invalid(
            hea_path(seg_path),
            "samples per frame",
            format!(
                "layout mismatch: signal `{}` has {got} samples per frame here, {want} in the layout header",
                h.signals[src].name(src)
            ),
        ));
    }
    Ok(())
}

/// Read frames `[a, b)` of one segment (whole data files read, checksums verified) after
/// checking it against the master header: (segment header, physical [signals, b − a]).
fn read_segment(
    mh: &MultiHeader,
    seg_path: &Path,
    seg: &SegmentSpec,
    a: usize,
    b: usize,
) -> Result<(Header, Vec<f32>)> {
    let seg_hea = hea_path(seg_path);
    let h = Header::read(seg_path)?;
    let mismatch = |field: &str, msg: String| {
        IoError::invalid(&seg_hea, field, format!("layout mismatch: {msg}"))
    };
    if h.n_samples.is_some_and(|n| n != seg.n_samples) {
        return Err(mismatch(
            "number of samples",
            format!(
                "this segment says {} samples, the master header `{}` says {}",
                h.n_samples.unwrap_or(0),
                mh.record.record_name,
                seg.n_samples
            ),
        ));
    }
    if (h.fs() - mh.record.fs()).abs() > 1e-9 * mh.record.fs() {
        return Err(mismatch(
            "sampling frequency",
            format!(
                "{} Hz here, {} Hz in the master header",
                h.fs(),
                mh.record.fs()
            ),
        ));
    }
    if mh.layout() == Layout::Fixed && h.signals.len() != mh.n_sig {
        return Err(mismatch(
            "number of signals",
            format!(
                "{} signals here, the fixed-layout master header says {}",
                h.signals.len(),
                mh.n_sig
            ),
        ));
    }
    let dig = read_digital(seg_path, &h)?;
    if dig.samples as u64 != seg.n_samples {
        return Err(mismatch(
            "number of samples",
            format!(
                "the data hold {} samples, the master header says {}",
                dig.samples, seg.n_samples
            ),
        ));
    }
    let dig = dig.slice(&h, a, b);
    let phys = to_physical(&h, &dig);
    Ok((h, phys))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAR: &str =
        "rec/4 2 125 300 10:00:00\nrec_layout 0\n~ 100\nrec_0001 150\nrec_0002 50\n# a note\n";

    #[test]
    fn parses_a_variable_layout_master_header_and_writes_it_back() {
        assert!(is_multi_segment(VAR));
        assert!(!is_multi_segment("rec 2 125 300\n"));
        let h = MultiHeader::parse(VAR, Path::new("m.hea")).expect("parses");
        assert_eq!(h.layout(), Layout::Variable);
        assert_eq!((h.n_sig, h.total_samples()), (2, 300));
        assert!(h.segments[1].is_null() && !h.segments[2].is_null());
        assert_eq!(h.record.base_time.as_deref(), Some("10:00:00"));
        assert_eq!(h.record.comments, vec!["a note"]);
        assert_eq!(h.to_string(), VAR);
    }

    #[test]
    fn bad_master_headers_name_the_field() {
        let cases = [
            ("rec/x 2 125\na 1\n", "number of segments"),
            ("rec/0 2 125\n", "number of segments"),
            ("rec/2 2 125\na 1\n", "number of segments"),
            ("rec/2 2 125\na 1\nb x\n", "segment length"),
            ("rec/2 2 125\na 1\nb 0\n", "segment length"),
            ("rec/2 2 125 9\na 1\nb 2\n", "number of samples"),
            ("rec/2 2 125\n~ 0\nb 2\n", "layout"),
            ("rec/1 2 125\na 1 extra\n", "segment line"),
            ("rec 2 125\n", "record name"),
        ];
        for (text, field) in cases {
            let e = MultiHeader::parse(text, Path::new("m.hea"))
                .expect_err(text)
                .to_string();
            assert!(e.contains("m.hea") && e.contains(field), "{text:?}: {e}");
        }
    }
}
