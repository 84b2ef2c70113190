//! The WFDB header (`.hea`) model, parser and writer.
//!
//! Record line: `name[/segments] n_sig [fs[/counter_freq[(base_counter)]] [n_samples
//! [base_time [base_date]]]]`. Signal line: `file format[xspf][:skew][+offset]
//! [gain[(baseline)][/units] [adc_res [adc_zero [init_value [checksum [block_size
//! [description...]]]]]]]`. Lines starting with `#` are comments.
//!
//! Optional fields are `Option`s holding exactly what the file says, so a header
//! round-trips; the accessor methods ([`SignalSpec::gain`], [`Header::fs`], ...) apply
//! WFDB's defaults.
use super::format::Format;
use crate::error::{IoError, Result};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

/// WFDB's default sampling frequency when the header gives none.
pub const DEFAULT_FS: f64 = 250.0;
/// WFDB's default ADC gain (units per physical unit) when the header gives none or 0.
pub const DEFAULT_GAIN: f64 = 200.0;

/// One signal line of a header.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    /// The data file, relative to the header's directory (`~` = no file).
    pub file_name: String,
    pub format: Format,
    /// Samples of this signal per frame (`x` suffix); `None` = 1.
    pub samples_per_frame: Option<u32>,
    /// Skew in frames (`:` suffix).
    pub skew: Option<u32>,
    /// Bytes to skip at the start of the data file (`+` suffix).
    pub byte_offset: Option<u64>,
    /// ADC units per physical unit; `None` or 0 means [`DEFAULT_GAIN`].
    pub adc_gain: Option<f64>,
    /// The ADC value of physical zero (in parentheses after the gain); `None` = ADC zero.
    pub baseline: Option<i64>,
    /// Physical units (after `/`); `None` = mV.
    pub units: Option<String>,
    /// ADC resolution in bits; `None` or 0 = the format's default.
    pub adc_res: Option<u32>,
    pub adc_zero: Option<i64>,
    /// The first sample's value (needed by format 8).
    pub init_value: Option<i64>,
    /// 16-bit sum of all samples, as written (signed or unsigned).
    pub checksum: Option<i64>,
    pub block_size: Option<u64>,
    /// Signal description, e.g. the lead name (may contain spaces).
    pub description: Option<String>,
}

impl SignalSpec {
    /// A signal line with only file and format; every other field absent.
    pub fn new(file_name: impl Into<String>, format: Format) -> Self {
        SignalSpec {
            file_name: file_name.into(),
            format,
            samples_per_frame: None,
            skew: None,
            byte_offset: None,
            adc_gain: None,
            baseline: None,
            units: None,
            adc_res: None,
            adc_zero: None,
            init_value: None,
            checksum: None,
            block_size: None,
            description: None,
        }
    }

    /// Effective gain (WFDB default 200 when absent or zero).
    pub fn gain(&self) -> f64 {
        match self.adc_gain {
            Some(g) if g != 0.0 => g,
            _ => DEFAULT_GAIN,
        }
    }

    /// Effective baseline: the header's baseline, else the ADC zero, else 0.
    pub fn baseline(&self) -> i64 {
        self.baseline.or(self.adc_zero).unwrap_or(0)
    }

    /// Effective units (`mV` when absent).
    pub fn units(&self) -> &str {
        self.units.as_deref().unwrap_or("mV")
    }

    /// Effective samples per frame (1 when absent).
    pub fn spf(&self) -> usize {
        self.samples_per_frame.unwrap_or(1).max(1) as usize
    }

    /// Effective ADC resolution in bits.
    pub fn resolution(&self) -> u32 {
        match self.adc_res {
            Some(r) if r != 0 => r,
            _ => self.format.default_adc_res(),
        }
    }

    /// The lead name: the description, else `sig{index}`.
    pub fn name(&self, index: usize) -> String {
        self.description
            .clone()
            .unwrap_or_else(|| format!("sig{index}"))
    }
}

/// A parsed `.hea` file (single-segment records).
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub record_name: String,
    /// Sampling frequency in Hz; `None` = [`DEFAULT_FS`].
    pub fs: Option<f64>,
    pub counter_freq: Option<f64>,
    pub base_counter: Option<f64>,
    /// Samples per signal; `None` = infer from the data file size.
    pub n_samples: Option<u64>,
    pub base_time: Option<String>,
    pub base_date: Option<String>,
    /// One entry per signal line; the record line's signal count is `signals.len()`.
    pub signals: Vec<SignalSpec>,
    /// Comment lines, without `#` and surrounding whitespace, in file order.
    pub comments: Vec<String>,
}

impl Header {
    /// Effective sampling frequency.
    pub fn fs(&self) -> f64 {
        self.fs.unwrap_or(DEFAULT_FS)
    }

    /// Read and parse `RECORD.hea` (`record` is the path without extension).
    pub fn read(record: &Path) -> Result<Header> {
        let path = hea_path(record);
        Header::parse(&read_text(&path)?, &path)
    }

    /// Parse header text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Header> {
        let (lines, comments) = split_lines(text);
        let Some(&(rec_no, rec_line)) = lines.first() else {
            return Err(IoError::parse(path, 0, "record line", "no record line"));
        };
        let (mut header, segments) = parse_record_line(rec_line, rec_no, path)?;
        if segments.is_some() {
            return Err(IoError::parse(
                path,
                rec_no,
                "record name",
                format!(
                    "`{}` is a multi-segment record: read it with `read_record` or `MultiHeader`",
                    rec_line.split_whitespace().next().unwrap_or("")
                ),
            ));
        }
        let n_sig: usize = field_parse(
            rec_line.split_whitespace().nth(1),
            rec_no,
            "number of signals",
            path,
        )?;
        let sig_lines = &lines[1..];
        if sig_lines.len() != n_sig {
            return Err(IoError::parse(
                path,
                rec_no,
                "number of signals",
                format!(
                    "the record line says {n_sig} signals but {} signal lines follow",
                    sig_lines.len()
                ),
            ));
        }
        for &(no, line) in sig_lines {
            header.signals.push(parse_signal_line(line, no, path)?);
        }
        header.comments = comments;
        Ok(header)
    }

    /// Write the header text (record line, signal lines, then comments as `# text`).
    /// Optional fields are written up to the last present one; an absent field before a
    /// present one is written as its WFDB default.
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = format!("{} {}", self.record_name, self.signals.len());
        let rec_fields: [bool; 4] = [
            self.fs.is_some() || self.counter_freq.is_some(),
            self.n_samples.is_some(),
            self.base_time.is_some(),
            self.base_date.is_some(),
        ];
        let last = rec_fields.iter().rposition(|&b| b);
        if let Some(last) = last {
            let _ = write!(line, " {}", num(self.fs()));
            if let Some(cf) = self.counter_freq {
                let _ = write!(line, "/{}", num(cf));
                if let Some(bc) = self.base_counter {
                    let _ = write!(line, "({})", num(bc));
                }
            }
            if last >= 1 {
                let _ = write!(line, " {}", self.n_samples.unwrap_or(0));
            }
            if last >= 2 {
                let _ = write!(line, " {}", self.base_time.as_deref().unwrap_or("0:00:00"));
            }
            if last >= 3 {
                let _ = write!(line, " {}", self.base_date.as_deref().unwrap_or(""));
            }
        }
        writeln!(f, "{line}")?;
        for s in &self.signals {
            writeln!(f, "{}", signal_line(s))?;
        }
        for c in &self.comments {
            writeln!(f, "# {c}")?;
        }
        Ok(())
    }
}

/// A header file's text. Headers are ASCII; a file that is not valid UTF-8 (e.g. a Latin-1
/// `°` in a comment) keeps its ASCII bytes only, as wfdb-python reads headers
/// (`encoding="ascii", errors="ignore"`).
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => e
            .into_bytes()
            .into_iter()
            .filter(u8::is_ascii)
            .map(char::from)
            .collect(),
    })
}

/// The non-comment lines of a header as (1-based line number, text), and its comments
/// (without `#` and surrounding whitespace).
pub(crate) fn split_lines(text: &str) -> (Vec<(usize, &str)>, Vec<String>) {
    let mut comments = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(c) = line.strip_prefix('#') {
            comments.push(c.trim().to_string());
        } else if !line.is_empty() {
            lines.push((i + 1, raw.trim_end()));
        }
    }
    (lines, comments)
}

/// `RECORD` → `RECORD.hea`.
pub fn hea_path(record: &Path) -> PathBuf {
    with_suffix(record, ".hea")
}

pub(crate) fn with_suffix(record: &Path, suffix: &str) -> PathBuf {
    let mut s = record.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Numbers as WFDB tools write them: integral values without a decimal point.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Gains as wfdb-python writes them (`1000.0`).
fn gain_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn signal_line(s: &SignalSpec) -> String {
    let mut line = format!("{} {}", s.file_name, s.format.code());
    if let Some(spf) = s.samples_per_frame {
        let _ = write!(line, "x{spf}");
    }
    if let Some(skew) = s.skew {
        let _ = write!(line, ":{skew}");
    }
    if let Some(off) = s.byte_offset {
        let _ = write!(line, "+{off}");
    }
    let present = [
        s.adc_gain.is_some() || s.baseline.is_some() || s.units.is_some(),
        s.adc_res.is_some(),
        s.adc_zero.is_some(),
        s.init_value.is_some(),
        s.checksum.is_some(),
        s.block_size.is_some(),
        s.description.is_some(),
    ];
    let Some(last) = present.iter().rposition(|&b| b) else {
        return line;
    };
    let _ = write!(line, " {}", gain_text(s.adc_gain.unwrap_or(0.0)));
    if let Some(b) = s.baseline {
        let _ = write!(line, "({b})");
    }
    if let Some(u) = &s.units {
        let _ = write!(line, "/{u}");
    }
    if last >= 1 {
        let _ = write!(line, " {}", s.adc_res.unwrap_or(0));
    }
    if last >= 2 {
        let _ = write!(line, " {}", s.adc_zero.unwrap_or(0));
    }
    if last >= 3 {
        let _ = write!(line, " {}", s.init_value.unwrap_or(0));
    }
    if last >= 4 {
        let _ = write!(line, " {}", s.checksum.unwrap_or(0));
    }
    if last >= 5 {
        let _ = write!(line, " {}", s.block_size.unwrap_or(0));
    }
    if last >= 6 {
        let _ = write!(line, " {}", s.description.as_deref().unwrap_or(""));
    }
    line
}

pub(crate) fn field_parse<T: std::str::FromStr>(
    tok: Option<&str>,
    line: usize,
    field: &str,
    path: &Path,
) -> Result<T> {
    let tok = tok.ok_or_else(|| IoError::parse(path, line, field, "missing"))?;
    tok.parse::<T>().map_err(|_| {
        IoError::parse(
            path,
            line,
            field,
            format!("`{tok}` is not a valid {}", std::any::type_name::<T>()),
        )
    })
}

fn opt_parse<T: std::str::FromStr>(
    tok: Option<&str>,
    line: usize,
    field: &str,
    path: &Path,
) -> Result<Option<T>> {
    match tok {
        None => Ok(None),
        Some(t) => field_parse(Some(t), line, field, path).map(Some),
    }
}

fn finite(v: f64, line: usize, field: &str, path: &Path) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(IoError::parse(
            path,
            line,
            field,
            format!("{v} is not finite"),
        ))
    }
}

/// The record line: fields as a [`Header`] without signals, and the segment count of a
/// multi-segment record (`name/segments`).
pub(crate) fn parse_record_line(
    line: &str,
    no: usize,
    path: &Path,
) -> Result<(Header, Option<usize>)> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    let (name_tok, segments) = match toks[0].split_once('/') {
        Some((name, n)) => {
            let n: usize = field_parse(Some(n), no, "number of segments", path)?;
            if n == 0 {
                return Err(IoError::parse(
                    path,
                    no,
                    "number of segments",
                    "must be at least 1",
                ));
            }
            (name, Some(n))
        }
        None => (toks[0], None),
    };
    let mut h = Header {
        record_name: name_tok.to_string(),
        fs: None,
        counter_freq: None,
        base_counter: None,
        n_samples: None,
        base_time: None,
        base_date: None,
        signals: Vec::new(),
        comments: Vec::new(),
    };
    if let Some(&fs_tok) = toks.get(2) {
        let (fs_part, counter) = match fs_tok.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (fs_tok, None),
        };
        let fs: f64 = field_parse(Some(fs_part), no, "sampling frequency", path)?;
        let fs = finite(fs, no, "sampling frequency", path)?;
        if fs <= 0.0 {
            return Err(IoError::parse(
                path,
                no,
                "sampling frequency",
                format!("{fs} is not positive"),
            ));
        }
        h.fs = Some(fs);
        if let Some(c) = counter {
            let (cf, base) = match c.split_once('(') {
                Some((a, b)) => {
                    let b = b.strip_suffix(')').ok_or_else(|| {
                        IoError::parse(path, no, "base counter value", format!("`{c}` lacks `)`"))
                    })?;
                    (a, Some(b))
                }
                None => (c, None),
            };
            let cf: f64 = field_parse(Some(cf), no, "counter frequency", path)?;
            h.counter_freq = Some(finite(cf, no, "counter frequency", path)?);
            if let Some(b) = base {
                let b: f64 = field_parse(Some(b), no, "base counter value", path)?;
                h.base_counter = Some(finite(b, no, "base counter value", path)?);
            }
        }
    }
    h.n_samples = opt_parse(toks.get(3).copied(), no, "number of samples", path)?;
    h.base_time = toks.get(4).map(|s| s.to_string());
    h.base_date = toks.get(5).map(|s| s.to_string());
    if toks.len() > 6 {
        return Err(IoError::parse(
            path,
            no,
            "record line",
            format!("unexpected extra field `{}`", toks[6]),
        ));
    }
    Ok((h, segments))
}

/// Split a line into (token, byte start) pairs.
fn tokens(line: &str) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((&line[s..i], s));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((&line[s..], s));
    }
    out
}

fn parse_format_spec(tok: &str, no: usize, path: &Path, s: &mut SignalSpec) -> Result<()> {
    let err = |msg: String| IoError::parse(path, no, "format", msg);
    let digits_end = tok.find(|c: char| !c.is_ascii_digit()).unwrap_or(tok.len());
    let code: u32 = tok[..digits_end]
        .parse()
        .map_err(|_| err(format!("`{tok}` does not start with a format number")))?;
    s.format = Format::from_code(code).ok_or_else(|| {
        err(format!(
            "unknown or unsupported signal format {code} (supported: 0, 8, 16, 24, 32, 61, 80, 160, 212, 310, 311, 508, 516, 524)"
        ))
    })?;
    let mut rest = &tok[digits_end..];
    let take = |prefix: char, field: &str, rest: &mut &str| -> Result<Option<u64>> {
        if let Some(r) = rest.strip_prefix(prefix) {
            let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            let v: u64 = r[..end].parse().map_err(|_| {
                IoError::parse(
                    path,
                    no,
                    field,
                    format!("`{tok}`: expected digits after `{prefix}`"),
                )
            })?;
            *rest = &r[end..];
            Ok(Some(v))
        } else {
            Ok(None)
        }
    };
    let spf = take('x', "samples per frame", &mut rest)?;
    let skew = take(':', "skew", &mut rest)?;
    let off = take('+', "byte offset", &mut rest)?;
    if !rest.is_empty() {
        return Err(err(format!("`{tok}`: unexpected `{rest}`")));
    }
    let to_u32 = |v: Option<u64>, field: &str| -> Result<Option<u32>> {
        v.map(|v| {
            u32::try_from(v)
                .map_err(|_| IoError::parse(path, no, field, format!("{v} is too large")))
        })
        .transpose()
    };
    s.samples_per_frame = to_u32(spf, "samples per frame")?;
    if s.samples_per_frame == Some(0) {
        return Err(IoError::parse(
            path,
            no,
            "samples per frame",
            "must be at least 1",
        ));
    }
    s.skew = to_u32(skew, "skew")?;
    s.byte_offset = off;
    Ok(())
}

fn parse_gain(tok: &str, no: usize, path: &Path, s: &mut SignalSpec) -> Result<()> {
    let (gain_base, units) = match tok.split_once('/') {
        Some((a, u)) => (a, Some(u)),
        None => (tok, None),
    };
    let (gain, base) = match gain_base.split_once('(') {
        Some((g, b)) => {
            let b = b.strip_suffix(')').ok_or_else(|| {
                IoError::parse(path, no, "baseline", format!("`{tok}`: missing `)`"))
            })?;
            (g, Some(b))
        }
        None => (gain_base, None),
    };
    let g: f64 = field_parse(Some(gain), no, "ADC gain", path)?;
    s.adc_gain = Some(finite(g, no, "ADC gain", path)?);
    s.baseline = opt_parse(base, no, "baseline", path)?;
    // `gain/` with nothing after the slash (e.g. a Latin-1 `°` dropped on reading) means
    // the default units, as wfdb-python reads it
    s.units = units.filter(|u| !u.is_empty()).map(str::to_string);
    Ok(())
}

fn parse_signal_line(line: &str, no: usize, path: &Path) -> Result<SignalSpec> {
    let toks = tokens(line);
    let mut s = SignalSpec::new(toks[0].0, Format::F16);
    let fmt_tok = toks
        .get(1)
        .ok_or_else(|| IoError::parse(path, no, "format", "missing"))?;
    parse_format_spec(fmt_tok.0, no, path, &mut s)?;
    if let Some(&(g, _)) = toks.get(2) {
        parse_gain(g, no, path, &mut s)?;
    }
    let t = |i: usize| toks.get(i).map(|t| t.0);
    s.adc_res = opt_parse(t(3), no, "ADC resolution", path)?;
    s.adc_zero = opt_parse(t(4), no, "ADC zero", path)?;
    s.init_value = opt_parse(t(5), no, "initial value", path)?;
    s.checksum = opt_parse(t(6), no, "checksum", path)?;
    s.block_size = opt_parse(t(7), no, "block size", path)?;
    if let Some(&(_, start)) = toks.get(8) {
        s.description = Some(line[start..].trim_end().to_string());
    }
    if let Some(c) = s.checksum {
        if !(-32768..=65535).contains(&c) {
            return Err(IoError::parse(
                path,
                no,
                "checksum",
                format!("{c} is not a 16-bit value"),
            ));
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const PTBXL: &str = "00001_lr 12 100 1000\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -119 1508 0 I\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -55 723 0 II\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 64 64758 0 III\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 86 64423 0 AVR\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -91 1211 0 AVL\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 4 7 0 AVF\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -69 63827 0 V1\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -31 6999 0 V2\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 0 63759 0 V3\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -26 61447 0 V4\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -39 64979 0 V5\n\
00001_lr.dat 16 1000.0(0)/mV 16 0 -79 832 0 V6\n";

    fn p(text: &str) -> Result<Header> {
        Header::parse(text, Path::new("t.hea"))
    }

    #[test]
    fn parses_a_ptbxl_header_and_writes_it_back_byte_for_byte() {
        let h = p(PTBXL).expect("parses");
        assert_eq!(h.record_name, "00001_lr");
        assert_eq!(h.fs, Some(100.0));
        assert_eq!(h.n_samples, Some(1000));
        assert_eq!(h.signals.len(), 12);
        let s = &h.signals[2];
        assert_eq!(s.adc_gain, Some(1000.0));
        assert_eq!(s.baseline, Some(0));
        assert_eq!(s.units.as_deref(), Some("mV"));
        assert_eq!(s.adc_res, Some(16));
        assert_eq!(s.init_value, Some(64));
        assert_eq!(s.checksum, Some(64758));
        assert_eq!(s.block_size, Some(0));
        assert_eq!(s.description.as_deref(), Some("III"));
        assert_eq!(h.to_string(), PTBXL);
    }

    #[test]
    fn parses_offsets_spf_skew_comments_and_defaults() {
        let text = "# leading comment\nrec 2 360/1000(5) 650000 12:30:00 01/02/2000\n\
                    rec.dat 212x2:3+24 200(1024)/uV 11 1024 995 -22131 0 MLII lead\n\
                    rec.dat 212\n# Age: 69\n";
        let h = p(text).expect("parses");
        assert_eq!(h.fs, Some(360.0));
        assert_eq!(h.counter_freq, Some(1000.0));
        assert_eq!(h.base_counter, Some(5.0));
        assert_eq!(h.base_time.as_deref(), Some("12:30:00"));
        assert_eq!(h.base_date.as_deref(), Some("01/02/2000"));
        let s = &h.signals[0];
        assert_eq!(
            (s.samples_per_frame, s.skew, s.byte_offset),
            (Some(2), Some(3), Some(24))
        );
        assert_eq!(s.baseline(), 1024);
        assert_eq!(s.units(), "uV");
        assert_eq!(s.checksum, Some(-22131));
        assert_eq!(s.description.as_deref(), Some("MLII lead"));
        let d = &h.signals[1];
        assert_eq!(d.gain(), DEFAULT_GAIN);
        assert_eq!(d.resolution(), 12);
        assert_eq!(d.units(), "mV");
        assert_eq!(h.comments, vec!["leading comment", "Age: 69"]);
        assert_eq!(p(&h.to_string()).expect("reparses"), h);
    }

    #[test]
    fn clear_errors_name_line_and_field() {
        let cases = [
            ("", "record line"),
            ("r 2 100 10\nr.dat 16\n", "number of signals"),
            ("r x 100\n", "number of signals"),
            ("r 1 abc\nr.dat 16\n", "sampling frequency"),
            ("r 1 100 ten\nr.dat 16\n", "number of samples"),
            ("r 1 100 10\nr.dat 999\n", "format"),
            ("r 1 100 10\nr.dat\n", "format"),
            ("r 1 100 10\nr.dat 16x\n", "samples per frame"),
            ("r 1 100 10\nr.dat 16 200(3/mV\n", "baseline"),
            ("r 1 100 10\nr.dat 16 gain\n", "ADC gain"),
            ("r 1 100 10\nr.dat 16 200 12 0 0 abc\n", "checksum"),
            ("r 1 100 10\nr.dat 16 200 12 0 0 70000\n", "checksum"),
        ];
        for (text, field) in cases {
            let e = p(text).expect_err(text).to_string();
            assert!(e.contains("t.hea"), "{e}");
            assert!(e.contains(field), "{text:?}: {e}");
        }
        let e = p("r/2 1 100\n").expect_err("multi-segment").to_string();
        assert!(e.contains("multi-segment"), "{e}");
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn signal() -> impl Strategy<Value = SignalSpec> {
        (
            "[a-z0-9_]{1,8}\\.dat",
            prop::sample::select(Format::ALL.to_vec()),
            prop::option::of(1u32..5),
            prop::option::of(0u32..3),
            prop::option::of(0u64..512),
            0usize..=7,
            (-1e6f64..1e6, -40000i64..40000, "[A-Za-z]{1,4}", 0u32..33),
            (
                -40000i64..40000,
                -40000i64..40000,
                0i64..65536,
                0u64..1024,
                "[A-Za-z0-9][A-Za-z0-9 ]{0,10}[A-Za-z0-9]",
            ),
        )
            .prop_map(
                |(
                    file,
                    format,
                    spf,
                    skew,
                    off,
                    present,
                    (gain, base, units, res),
                    (zero, init, ck, block, desc),
                )| {
                    let mut s = SignalSpec::new(file, format);
                    s.samples_per_frame = spf;
                    s.skew = skew;
                    s.byte_offset = off;
                    if present >= 1 {
                        s.adc_gain = Some(gain);
                        s.baseline = Some(base);
                        s.units = Some(units);
                    }
                    if present >= 2 {
                        s.adc_res = Some(res);
                    }
                    if present >= 3 {
                        s.adc_zero = Some(zero);
                    }
                    if present >= 4 {
                        s.init_value = Some(init);
                    }
                    if present >= 5 {
                        s.checksum = Some(ck);
                    }
                    if present >= 6 {
                        s.block_size = Some(block);
                    }
                    if present >= 7 {
                        s.description = Some(desc);
                    }
                    s
                },
            )
    }

    fn header() -> impl Strategy<Value = Header> {
        (
            "[A-Za-z0-9_]{1,10}",
            prop::option::of(0.5f64..5000.0),
            prop::option::of(0u64..10_000_000),
            prop::collection::vec(signal(), 1..6),
            prop::collection::vec("[A-Za-z0-9:][A-Za-z0-9: ,.]{0,20}[A-Za-z0-9.]", 0..3),
        )
            .prop_map(|(name, fs, n, signals, comments)| Header {
                record_name: name,
                fs: fs.or(n.map(|_| DEFAULT_FS)),
                counter_freq: None,
                base_counter: None,
                n_samples: n,
                base_time: None,
                base_date: None,
                signals,
                comments,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn written_headers_parse_back_identically(h in header()) {
            let text = h.to_string();
            let back = Header::parse(&text, Path::new("p.hea")).expect("own output parses");
            prop_assert_eq!(back, h);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = Header::parse(&s, Path::new("p.hea"));
        }

        #[test]
        fn header_like_text_never_panics(s in "[a-z0-9 .()/+x:#\\n-]{0,200}") {
            let _ = Header::parse(&s, Path::new("p.hea"));
        }

        #[test]
        fn mutated_real_headers_never_panic(pos in 0usize..400, byte in any::<u8>()) {
            let mut b = super::tests::PTBXL.as_bytes().to_vec();
            let i = pos % b.len();
            b[i] = byte;
            let s = String::from_utf8_lossy(&b);
            let _ = Header::parse(&s, Path::new("p.hea"));
        }
    }
}
