//! Writing WFDB records: header plus data file(s), with initial values and checksums
//! computed from the samples.
use super::format::{self, Format};
use super::header::{with_suffix, Header};
use crate::error::{IoError, Result};
use std::path::Path;

/// Write `RECORD.hea` and the data file(s) named in `header`'s signal lines (relative to
/// `record`'s directory). `adc[i]` holds signal `i`'s digital samples
/// (`n_samples * samples_per_frame` values). The written header (returned) has the record
/// name set to `record`'s file name, `n_samples`, and every signal's `init_value` and
/// `checksum` (unsigned 16-bit sum) computed from the samples; other fields are kept.
///
/// Signals sharing a file name are interleaved frame by frame and must share a format.
/// A byte offset is written as that many zero bytes. Skew is not supported for writing.
pub fn write_record(record: &Path, header: &Header, adc: &[Vec<i32>]) -> Result<Header> {
    let hea = with_suffix(record, ".hea");
    if adc.len() != header.signals.len() {
        return Err(IoError::invalid(
            &hea,
            "number of signals",
            format!(
                "the header has {} signals but {} sample vectors were given",
                header.signals.len(),
                adc.len()
            ),
        ));
    }
    let mut h = header.clone();
    if let Some(name) = record.file_name().and_then(|n| n.to_str()) {
        h.record_name = name.to_string();
    } else {
        return Err(IoError::invalid(
            &hea,
            "record name",
            "the record path has no UTF-8 file name",
        ));
    }
    // samples per signal
    let mut n_samples: Option<usize> = None;
    for (i, (s, v)) in h.signals.iter().zip(adc).enumerate() {
        if s.skew.unwrap_or(0) != 0 {
            return Err(IoError::unsupported(
                &hea,
                "skew",
                format!("signal {i}: writing skewed signals"),
            ));
        }
        if s.format.is_flac() || s.format == Format::F0 {
            return Err(IoError::unsupported(
                &hea,
                "format",
                format!("signal {i}: writing format {} (FLAC or null)", s.format),
            ));
        }
        let spf = s.spf();
        if v.len() % spf != 0 {
            return Err(IoError::invalid(
                &hea,
                "samples per frame",
                format!(
                    "signal {i}: {} samples is not a multiple of {spf} per frame",
                    v.len()
                ),
            ));
        }
        let n = v.len() / spf;
        match n_samples {
            Some(m) if m != n => {
                return Err(IoError::invalid(
                    &hea,
                    "number of samples",
                    format!("signal {i} has {n} frames, signal 0 has {m}"),
                ))
            }
            _ => n_samples = Some(n),
        }
        let (lo, hi) = s.format.range();
        if let Some(pos) = v.iter().position(|&x| (x as i64) < lo || (x as i64) > hi) {
            return Err(IoError::invalid(
                &hea,
                "sample value",
                format!(
                    "signal {i} (`{}`), sample {pos}: {} does not fit format {} ({lo}..={hi})",
                    s.name(i),
                    v[pos],
                    s.format
                ),
            ));
        }
    }
    let n = n_samples.unwrap_or(0);
    h.n_samples = Some(n as u64);
    for (s, v) in h.signals.iter_mut().zip(adc) {
        s.init_value = Some(v.first().copied().unwrap_or(0) as i64);
        s.checksum = Some(checksum(v) as i64);
    }

    let dir = record.parent().unwrap_or(Path::new(""));
    for (file, members) in file_groups(&h) {
        let path = dir.join(&file);
        let fmt = h.signals[members[0]].format;
        if let Some(&bad) = members.iter().find(|&&m| h.signals[m].format != fmt) {
            return Err(IoError::invalid(
                &hea,
                "format",
                format!(
                    "signals {} and {bad} share `{file}` but have different formats",
                    members[0]
                ),
            ));
        }
        // per-signal streams (format 8: differences along each signal)
        let streams: Vec<std::borrow::Cow<[i32]>> = members
            .iter()
            .map(|&m| {
                if fmt == Format::F8 {
                    let init = h.signals[m].init_value.unwrap_or(0);
                    format::difference(&adc[m], init)
                        .map(std::borrow::Cow::Owned)
                        .map_err(|pos| {
                            IoError::invalid(
                                &hea,
                                "sample value",
                                format!("signal {m}, sample {pos}: step too large for format 8 (|difference| > 127)"),
                            )
                        })
                } else {
                    Ok(std::borrow::Cow::Borrowed(adc[m].as_slice()))
                }
            })
            .collect::<Result<_>>()?;
        let spfs: Vec<usize> = members.iter().map(|&m| h.signals[m].spf()).collect();
        let frame: usize = spfs.iter().sum();
        let mut inter = Vec::with_capacity(n * frame);
        for t in 0..n {
            for (st, &spf) in streams.iter().zip(&spfs) {
                inter.extend_from_slice(&st[t * spf..(t + 1) * spf]);
            }
        }
        let offset = h.signals[members[0]].byte_offset.unwrap_or(0) as usize;
        let mut bytes = vec![0u8; offset];
        format::encode(fmt, &inter, &mut bytes);
        std::fs::write(&path, &bytes).map_err(|e| IoError::io(&path, e))?;
    }
    std::fs::write(&hea, h.to_string()).map_err(|e| IoError::io(&hea, e))?;
    Ok(h)
}

/// WFDB's checksum: the sum of all samples modulo 65536.
pub fn checksum(samples: &[i32]) -> u16 {
    samples
        .iter()
        .fold(0u16, |acc, &v| acc.wrapping_add(v as u16))
}

/// Signals grouped by data file, in order of first appearance: (file name, signal indices).
pub(crate) fn file_groups(h: &Header) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, s) in h.signals.iter().enumerate() {
        match groups.iter_mut().find(|(f, _)| *f == s.file_name) {
            Some((_, v)) => v.push(i),
            None => groups.push((s.file_name.clone(), vec![i])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wfdb::header::SignalSpec;
    use crate::wfdb::read::{read_digital, read_record};

    fn header(formats: &[(&str, Format, Option<u32>)]) -> Header {
        Header {
            record_name: "x".into(),
            fs: Some(500.0),
            counter_freq: None,
            base_counter: None,
            n_samples: None,
            base_time: None,
            base_date: None,
            signals: formats
                .iter()
                .enumerate()
                .map(|(i, &(file, f, spf))| {
                    let mut s = SignalSpec::new(file, f);
                    s.samples_per_frame = spf;
                    s.adc_gain = Some(200.0 + i as f64);
                    s.baseline = Some(i as i64 - 1);
                    s.units = Some("mV".into());
                    s.adc_res = Some(f.bits());
                    s.adc_zero = Some(0);
                    s.init_value = Some(0);
                    s.checksum = Some(0);
                    s.block_size = Some(0);
                    s.description = Some(format!("lead {i}"));
                    s
                })
                .collect(),
            comments: vec!["written by a test".into()],
        }
    }

    fn wave(len: usize, k: i32, f: Format) -> Vec<i32> {
        let (lo, hi) = f.range();
        (0..len as i32)
            .map(|t| {
                let v = if f == Format::F8 {
                    ((t * 13 + k * 5) % 50 - 25) as i64 // steps fit 8 bits
                } else {
                    ((t * 37 + k * 11) % 200 - 100) as i64
                };
                v.clamp(lo + 1, hi) as i32
            })
            .collect()
    }

    #[test]
    fn every_format_round_trips_through_disk_with_checksums() {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in Format::ALL {
            for n in [0usize, 1, 2, 3, 4, 7] {
                let h = header(&[("a.dat", f, None), ("a.dat", f, None), ("a.dat", f, None)]);
                let adc: Vec<Vec<i32>> = (0..3).map(|k| wave(n, k, f)).collect();
                let rec = dir.path().join(format!("r{f}_{n}"));
                let written = write_record(&rec, &h, &adc).expect("writes");
                assert_eq!(written.record_name, format!("r{f}_{n}"));
                let back = Header::read(&rec).expect("header reads");
                assert_eq!(back, written);
                let dig = read_digital(&rec, &back).expect("data reads");
                assert_eq!(dig.samples, n);
                assert_eq!(dig.adc, adc, "format {f}, n={n}");
            }
        }
    }

    #[test]
    fn multi_file_records_samples_per_frame_and_byte_offsets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut h = header(&[
            ("a.dat", Format::F16, Some(2)),
            ("a.dat", Format::F16, None),
            ("b.dat", Format::F212, None),
        ]);
        h.signals[0].byte_offset = Some(24);
        h.signals[1].byte_offset = Some(24);
        let n = 5;
        let adc = vec![
            wave(2 * n, 0, Format::F16),
            wave(n, 1, Format::F16),
            wave(n, 2, Format::F212),
        ];
        let rec = dir.path().join("multi");
        write_record(&rec, &h, &adc).expect("writes");
        let r = read_record(&rec).expect("reads");
        assert_eq!((r.leads, r.samples), (3, n));
        // signal 0 is averaged per frame
        for t in 0..n {
            let s = &r.header.signals[0];
            let mean = ((adc[0][2 * t] + adc[0][2 * t + 1]) as f64 / 2.0).trunc();
            let want = (mean - s.baseline() as f64) / s.gain();
            assert!((r.lead(0)[t] as f64 - want).abs() < 1e-6);
        }
        let s2 = &r.header.signals[2];
        for t in 0..n {
            let want = (adc[2][t] as f64 - s2.baseline() as f64) / s2.gain();
            assert!((r.lead(2)[t] as f64 - want).abs() < 1e-6);
        }
    }

    #[test]
    fn invalid_samples_read_as_nan_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = header(&[("v.dat", Format::F16, None)]);
        let rec = dir.path().join("nan");
        write_record(&rec, &h, &[vec![5, -32768, 7]]).expect("writes");
        let r = read_record(&rec).expect("reads");
        assert!(r.data[1].is_nan());
        assert!(r.data[0].is_finite() && r.data[2].is_finite());
        let h212 = header(&[("w.dat", Format::F212, None)]);
        let e = write_record(&dir.path().join("big"), &h212, &[vec![0, 5000]])
            .expect_err("out of range");
        assert!(e.to_string().contains("5000"), "{e}");
        let h8 = header(&[("d.dat", Format::F8, None)]);
        let e =
            write_record(&dir.path().join("d8"), &h8, &[vec![0, 300]]).expect_err("step too big");
        assert!(e.to_string().contains("format 8"), "{e}");
    }
}
