//! Reading WFDB records: digital samples per signal and the physical signal
//! [leads, samples] as f32, with every header checksum verified.
use super::format::{self, Format};
use super::header::{with_suffix, Header};
use super::write::{checksum, file_groups};
use crate::error::{IoError, Result};
use std::path::Path;

/// A record read into memory.
#[derive(Debug, Clone)]
pub struct Record {
    pub header: Header,
    /// Number of leads (signals).
    pub leads: usize,
    /// Samples per lead (frames; signals with several samples per frame are averaged
    /// per frame as wfdb-python's `rdrecord(smooth_frames=True)` does: the mean of the
    /// digital samples, truncated toward zero, then converted).
    pub samples: usize,
    /// Physical values, row-major // [leads, samples]; invalid samples are NaN.
    pub data: Vec<f32>,
}

impl Record {
    /// One lead's physical samples.
    pub fn lead(&self, i: usize) -> &[f32] {
        &self.data[i * self.samples..(i + 1) * self.samples]
    }
}

/// Digital samples of one record, per signal (`samples * samples_per_frame` values each).
#[derive(Debug, Clone)]
pub struct Digital {
    /// Frames per signal.
    pub samples: usize,
    /// `adc[i]`: signal `i`'s samples in time order (format 8 already integrated).
    pub adc: Vec<Vec<i32>>,
}

/// Which frames of a record to read: `[from, to)`, `to = None` meaning the record's end
/// (wfdb-python's `sampfrom`/`sampto`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleRange {
    pub from: u64,
    pub to: Option<u64>,
}

impl SampleRange {
    /// `[from, to)`.
    pub fn new(from: u64, to: Option<u64>) -> Self {
        SampleRange { from, to }
    }

    /// The concrete `[from, to)` within a record of `n` frames, or an error naming `hea`.
    pub fn resolve(self, n: u64, hea: &Path) -> Result<(usize, usize)> {
        let to = self.to.unwrap_or(n);
        if to > n || self.from > to || (self.from == to && n > 0) {
            return Err(IoError::invalid(
                hea,
                "sample range",
                format!(
                    "[{}, {to}) is not a non-empty range within the record's {n} samples",
                    self.from
                ),
            ));
        }
        let too_big = || IoError::invalid(hea, "sample range", "too large for this machine");
        Ok((
            usize::try_from(self.from).map_err(|_| too_big())?,
            usize::try_from(to).map_err(|_| too_big())?,
        ))
    }
}

/// Read `RECORD.hea` and its data, verify checksums, return the physical signal.
/// `record` is the path without extension, as in WFDB tools. Single- and multi-segment
/// records (see [`super::multi`]) alike.
pub fn read_record(record: &Path) -> Result<Record> {
    read_record_range(record, SampleRange::default())
}

/// Read frames `[range.from, range.to)` of a record, as wfdb-python's
/// `rdrecord(record, sampfrom, sampto)` (physical, `smooth_frames=True`, `m2s=True`).
/// Every data file read is read whole and its checksums verified; the result is then cut
/// to the range (so a skewed signal's samples past the record's end are NaN in any range
/// that reaches them, and format 8 integrates from sample 0, not from the range's start as
/// wfdb-python does). The returned header of a single-segment record is the file's header;
/// [`Record::samples`] is the range's length.
pub fn read_record_range(record: &Path, range: SampleRange) -> Result<Record> {
    let hea = with_suffix(record, ".hea");
    let text = super::header::read_text(&hea)?;
    if super::multi::is_multi_segment(&text) {
        return super::multi::read_multi(record, &text, range);
    }
    let header = Header::parse(&text, &hea)?;
    let dig = read_digital(record, &header)?;
    let (from, to) = range.resolve(dig.samples as u64, &hea)?;
    let dig = dig.slice(&header, from, to);
    let data = to_physical(&header, &dig);
    Ok(Record {
        leads: header.signals.len(),
        samples: dig.samples,
        header,
        data,
    })
}

impl Digital {
    /// Frames `[from, to)` (within `0..=self.samples`) of every signal.
    pub fn slice(&self, header: &Header, from: usize, to: usize) -> Digital {
        if from == 0 && to == self.samples {
            return self.clone();
        }
        let adc = header
            .signals
            .iter()
            .zip(&self.adc)
            .map(|(s, v)| v[from * s.spf()..to * s.spf()].to_vec())
            .collect();
        Digital {
            samples: to - from,
            adc,
        }
    }
}

/// Physical values [leads, samples] from digital samples: `(adc − baseline) / gain`,
/// invalid-sample marker → NaN, several samples per frame averaged (truncated digital
/// mean, as wfdb-python).
pub fn to_physical(header: &Header, dig: &Digital) -> Vec<f32> {
    let n = dig.samples;
    let mut out = Vec::with_capacity(header.signals.len() * n);
    for (s, adc) in header.signals.iter().zip(&dig.adc) {
        let gain = s.gain();
        let base = s.baseline() as f64;
        let invalid = s.format.invalid_value();
        let spf = s.spf();
        let phys = |v: i32| -> f64 {
            if Some(v) == invalid {
                f64::NAN
            } else {
                (v as f64 - base) / gain
            }
        };
        if spf == 1 {
            out.extend(adc.iter().map(|&v| phys(v) as f32));
        } else {
            // as wfdb-python's smooth_frames: the digital mean, truncated toward zero
            out.extend(adc.chunks_exact(spf).map(|c| {
                let sum: i64 = c.iter().map(|&v| v as i64).sum();
                phys((sum as f64 / spf as f64).trunc() as i32) as f32
            }));
        }
    }
    out
}

/// Read the digital samples of every signal of a record whose header is already parsed,
/// verifying the data file sizes against the header and every signal's checksum (over the
/// stored samples), then applying each signal's skew (see [`apply_skew`]).
pub fn read_digital(record: &Path, header: &Header) -> Result<Digital> {
    let hea = with_suffix(record, ".hea");
    let dir = record.parent().unwrap_or(Path::new(""));
    let mut samples: Option<usize> = header
        .n_samples
        .map(usize::try_from)
        .transpose()
        .map_err(|_| IoError::invalid(&hea, "number of samples", "too large for this machine"))?;
    let mut adc: Vec<Vec<i32>> = vec![Vec::new(); header.signals.len()];
    for (file, members) in file_groups(header) {
        check_group(&hea, header, &file, &members)?;
        let path = dir.join(&file);
        let (n, signals) = if header.signals[members[0]].format.is_flac() {
            read_flac_group(&path, &hea, header, &members, samples)?
        } else {
            read_dat_group(&path, &hea, header, &members, samples)?
        };
        samples = Some(n);
        for (&m, v) in members.iter().zip(signals) {
            adc[m] = v;
        }
    }
    verify_checksums(&hea, header, &adc)?;
    let n = samples.unwrap_or(0);
    for (file, members) in file_groups(header) {
        apply_skew(&hea, &file, header, &members, n, &mut adc)?;
    }
    Ok(Digital { samples: n, adc })
}

/// Signals sharing a data file must share its format; `~` (no file) is refused.
fn check_group(hea: &Path, header: &Header, file: &str, members: &[usize]) -> Result<()> {
    if file == "~" {
        return Err(IoError::unsupported(
            hea,
            "file name",
            "signals without a data file (`~`) outside a multi-segment record",
        ));
    }
    let first = &header.signals[members[0]];
    if first.format == Format::F0 {
        return Err(IoError::invalid(
            hea,
            "format",
            format!("format 0 (a null signal) names the data file `{file}`; it stores no samples"),
        ));
    }
    for &m in members {
        let s = &header.signals[m];
        if s.format != first.format {
            return Err(IoError::invalid(
                hea,
                "format",
                format!(
                    "signals {} and {m} share `{file}` but have different formats",
                    members[0]
                ),
            ));
        }
        if first.format.is_flac() && s.spf() != first.spf() {
            return Err(IoError::invalid(
                hea,
                "samples per frame",
                format!(
                    "signals {} and {m} share the FLAC file `{file}` but have different samples per frame",
                    members[0]
                ),
            ));
        }
    }
    Ok(())
}

/// The signals of one byte-coded data file: (frames, per-signal expanded samples).
fn read_dat_group(
    path: &Path,
    hea: &Path,
    header: &Header,
    members: &[usize],
    samples: Option<usize>,
) -> Result<(usize, Vec<Vec<i32>>)> {
    let first = &header.signals[members[0]];
    let fmt = first.format;
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let offset = first.byte_offset.unwrap_or(0) as usize;
    if bytes.len() < offset {
        return Err(IoError::invalid(
            path,
            "byte offset",
            format!(
                "offset {offset} lies beyond the end of the file ({} bytes)",
                bytes.len()
            ),
        ));
    }
    let body = &bytes[offset..];
    let spfs: Vec<usize> = members.iter().map(|&m| header.signals[m].spf()).collect();
    let frame: usize = spfs.iter().sum();
    let n = match samples {
        Some(n) => {
            check_size(path, hea, fmt, body.len(), n, frame)?;
            n
        }
        None => fmt.samples_in(body.len()) / frame,
    };
    let mut scratch = Vec::new();
    format::decode(fmt, body, n * frame, &mut scratch);
    let mut out = Vec::with_capacity(members.len());
    for (k, (&m, &spf)) in members.iter().zip(&spfs).enumerate() {
        let before: usize = spfs[..k].iter().sum();
        let mut v = Vec::with_capacity(n * spf);
        if frame == 1 {
            v.extend_from_slice(&scratch);
        } else {
            for t in 0..n {
                let at = t * frame + before;
                v.extend_from_slice(&scratch[at..at + spf]);
            }
        }
        if fmt == Format::F8 {
            format::undifference(&mut v, header.signals[m].init_value.unwrap_or(0));
        }
        out.push(v);
    }
    Ok((n, out))
}

/// The signals of one FLAC data file (formats 508/516/524, see [`super::flac`]).
fn read_flac_group(
    path: &Path,
    hea: &Path,
    header: &Header,
    members: &[usize],
    samples: Option<usize>,
) -> Result<(usize, Vec<Vec<i32>>)> {
    let first = &header.signals[members[0]];
    let spf = first.spf();
    let offset = first.byte_offset.unwrap_or(0);
    let flac = super::flac::read_flac(path, first.format, members.len(), offset)?;
    if flac.len % spf != 0 {
        return Err(IoError::invalid(
            path,
            "length",
            format!(
                "the FLAC stream holds {} samples per channel, not a whole number of {spf}-sample frames",
                flac.len
            ),
        ));
    }
    let held = flac.len / spf;
    if let Some(n) = samples {
        if n != held {
            let what = if held < n { "truncated: " } else { "" };
            return Err(IoError::invalid(
                path,
                "length",
                format!(
                    "{what}the header ({}) says {n} samples per signal, the FLAC stream holds {held}",
                    hea.display()
                ),
            ));
        }
    }
    Ok((held, flac.channels))
}

fn verify_checksums(hea: &Path, header: &Header, adc: &[Vec<i32>]) -> Result<()> {
    for (i, (s, v)) in header.signals.iter().zip(adc).enumerate() {
        if let Some(expected) = s.checksum {
            let actual = checksum(v);
            if expected.rem_euclid(65536) != actual as i64 {
                return Err(IoError::Checksum {
                    path: hea.to_path_buf(),
                    record: header.record_name.clone(),
                    lead: i,
                    lead_name: s.name(i),
                    expected,
                    actual,
                });
            }
        }
    }
    Ok(())
}

/// Skew, as wfdb-python 4.3's `rdrecord` applies it (`_signal._skew_sig`): a signal with
/// skew `k` frames takes its frame `t` from the file's frame `t + k`; its last `k` frames,
/// past the end of the record, hold the format's invalid value (NaN when physical).
/// Differences from wfdb-python, where it cannot give a right answer:
/// - wfdb-python raises (a numpy broadcast error) when one data file holds signals with
///   two different non-zero skews; each signal is shifted by its own skew here, as C WFDB.
/// - for a skewed signal with several samples per frame, wfdb-python marks only the last
///   `k` *samples* invalid and pads the rest with zeros (so the smoothed frames there mix
///   zeros and the invalid value into numbers); here all `k` frames past the end are NaN.
/// - format 8 has no invalid value (wfdb-python raises a TypeError) and wfdb-python's
///   FLAC reader does not apply skew (a shape error): both are refused with an error that
///   names the file and the field.
pub fn apply_skew(
    hea: &Path,
    file: &str,
    header: &Header,
    members: &[usize],
    n: usize,
    adc: &mut [Vec<i32>],
) -> Result<()> {
    for &m in members {
        let s = &header.signals[m];
        let k = s.skew.unwrap_or(0) as usize;
        if k == 0 {
            continue;
        }
        let marker = match s.format.invalid_value() {
            Some(v) if !s.format.is_flac() => v,
            _ => {
                return Err(IoError::unsupported(
                    hea,
                    "skew",
                    format!(
                        "signal {m} (`{}`, file `{file}`) has skew {k} in format {}: {}",
                        s.name(m),
                        s.format,
                        if s.format.is_flac() {
                            "skew in FLAC files (wfdb-python 4.3 cannot read it either)"
                        } else {
                            "format 8 has no invalid value for the samples past the record's end (wfdb-python 4.3 cannot read it either)"
                        }
                    ),
                ))
            }
        };
        let spf = s.spf();
        let v = &mut adc[m];
        v.drain(..(k * spf).min(v.len()));
        v.resize(n * spf, marker);
    }
    Ok(())
}

/// The data file must hold exactly `n` frames (packed formats may pad the last group).
fn check_size(
    path: &Path,
    hea: &Path,
    fmt: Format,
    len: usize,
    n: usize,
    frame: usize,
) -> Result<()> {
    let need = n
        .checked_mul(frame)
        .map(|s| fmt.bytes_for(s))
        .ok_or_else(|| IoError::invalid(hea, "number of samples", format!("{n} is too large")))?;
    let group = match fmt {
        Format::F212 => 3,
        Format::F310 | Format::F311 => 4,
        _ => 0,
    };
    let slack = fmt.bytes_for(frame).max(group);
    if len < need {
        let held = fmt.samples_in(len) / frame.max(1);
        return Err(IoError::invalid(
            path,
            "length",
            format!(
                "truncated: the header ({}) says {n} samples per signal ({need} bytes of format {fmt}), the file holds {len} bytes ({held} samples)",
                hea.display()
            ),
        ));
    }
    if len - need >= slack {
        let held = fmt.samples_in(len) / frame.max(1);
        return Err(IoError::invalid(
            path,
            "length",
            format!(
                "the header ({}) says {n} samples per signal ({need} bytes of format {fmt}) but the file holds {len} bytes ({held} samples)",
                hea.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wfdb::header::SignalSpec;

    #[test]
    fn sample_ranges_resolve_or_name_the_field() {
        let hea = Path::new("r.hea");
        assert_eq!(
            SampleRange::default().resolve(10, hea).expect("whole"),
            (0, 10)
        );
        assert_eq!(
            SampleRange::new(3, Some(7)).resolve(10, hea).expect("part"),
            (3, 7)
        );
        assert_eq!(
            SampleRange::default()
                .resolve(0, hea)
                .expect("empty record"),
            (0, 0)
        );
        for bad in [
            SampleRange::new(3, Some(11)),
            SampleRange::new(5, Some(5)),
            SampleRange::new(6, Some(5)),
        ] {
            let e = bad.resolve(10, hea).expect_err("bad range").to_string();
            assert!(e.contains("r.hea") && e.contains("sample range"), "{e}");
        }
    }

    fn header(specs: Vec<SignalSpec>) -> Header {
        let mut h = Header::parse("r 1 100 4\nr.dat 16\n", Path::new("r.hea")).expect("header");
        h.signals = specs;
        h
    }

    #[test]
    fn skew_shifts_each_signal_by_whole_frames_and_marks_the_end_invalid() {
        let mut a = SignalSpec::new("r.dat", Format::F16);
        a.skew = Some(1);
        a.samples_per_frame = Some(2);
        let mut b = SignalSpec::new("r.dat", Format::F16);
        b.skew = Some(2);
        let h = header(vec![a, b, SignalSpec::new("r.dat", Format::F16)]);
        let mut adc = vec![
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            vec![10, 11, 12, 13],
            vec![20, 21, 22, 23],
        ];
        apply_skew(Path::new("r.hea"), "r.dat", &h, &[0, 1, 2], 4, &mut adc).expect("skews");
        let m = -32768;
        assert_eq!(adc[0], vec![3, 4, 5, 6, 7, 8, m, m]);
        assert_eq!(adc[1], vec![12, 13, m, m]);
        assert_eq!(adc[2], vec![20, 21, 22, 23]);
        // a skew longer than the record: all invalid
        let mut c = SignalSpec::new("r.dat", Format::F212);
        c.skew = Some(9);
        let h = header(vec![c]);
        let mut adc = vec![vec![1, 2, 3]];
        apply_skew(Path::new("r.hea"), "r.dat", &h, &[0], 3, &mut adc).expect("skews");
        assert_eq!(adc[0], vec![-2048; 3]);
    }
}
