//! Reading WFDB records: digital samples per signal and the physical signal
//! [leads, samples] as f32, with every header checksum verified.
use super::format::{self, Format};
use super::header::{with_suffix, Header};
use super::write::{checksum, file_groups};
use crate::error::{IoError, Result};
use std::path::{Path, PathBuf};

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

/// Read `RECORD.hea` and its data, verify checksums, return the physical signal.
/// `record` is the path without extension, as in WFDB tools.
pub fn read_record(record: &Path) -> Result<Record> {
    let header = Header::read(record)?;
    let dig = read_digital(record, &header)?;
    let data = to_physical(&header, &dig);
    Ok(Record {
        leads: header.signals.len(),
        samples: dig.samples,
        header,
        data,
    })
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
/// verifying the data file sizes against the header and every signal's checksum.
pub fn read_digital(record: &Path, header: &Header) -> Result<Digital> {
    let hea = with_suffix(record, ".hea");
    let dir = record.parent().unwrap_or(Path::new(""));
    let name = &header.record_name;
    let mut samples: Option<usize> = header
        .n_samples
        .map(|n| usize::try_from(n))
        .transpose()
        .map_err(|_| IoError::invalid(&hea, "number of samples", "too large for this machine"))?;
    let mut adc: Vec<Vec<i32>> = vec![Vec::new(); header.signals.len()];
    let mut scratch = Vec::new();
    for (file, members) in file_groups(header) {
        let first = &header.signals[members[0]];
        if file == "~" {
            return Err(IoError::unsupported(
                &hea,
                "file name",
                "signals without a data file (`~`)",
            ));
        }
        for &m in &members {
            let s = &header.signals[m];
            if s.format != first.format {
                return Err(IoError::invalid(
                    &hea,
                    "format",
                    format!(
                        "signals {} and {m} share `{file}` but have different formats",
                        members[0]
                    ),
                ));
            }
            if s.skew.unwrap_or(0) != 0 {
                return Err(IoError::unsupported(
                    &hea,
                    "skew",
                    format!(
                        "signal {m} (`{}`) has skew {}; skewed signals are not supported",
                        s.name(m),
                        s.skew.unwrap_or(0)
                    ),
                ));
            }
        }
        let fmt = first.format;
        let path = dir.join(&file);
        let bytes = std::fs::read(&path).map_err(|e| IoError::io(&path, e))?;
        let offset = first.byte_offset.unwrap_or(0) as usize;
        if bytes.len() < offset {
            return Err(IoError::invalid(
                &path,
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
                check_size(&path, &hea, fmt, body.len(), n, frame)?;
                n
            }
            None => {
                let n = fmt.samples_in(body.len()) / frame;
                samples = Some(n);
                n
            }
        };
        format::decode(fmt, body, n * frame, &mut scratch);
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
            adc[m] = v;
        }
    }
    for (i, (s, v)) in header.signals.iter().zip(&adc).enumerate() {
        if let Some(expected) = s.checksum {
            let actual = checksum(v);
            if expected.rem_euclid(65536) != actual as i64 {
                return Err(IoError::Checksum {
                    path: hea.clone(),
                    record: name.clone(),
                    lead: i,
                    lead_name: s.name(i),
                    expected,
                    actual,
                });
            }
        }
    }
    Ok(Digital {
        samples: samples.unwrap_or(0),
        adc,
    })
}

/// The data file must hold exactly `n` frames (packed formats may pad the last group).
fn check_size(
    path: &PathBuf,
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
