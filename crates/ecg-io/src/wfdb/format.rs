//! WFDB storage formats: which formats exist, their invalid-sample marker and default ADC
//! resolution, and the byte-level codecs between a file's bytes and i32 samples.
//!
//! Samples are handled as one interleaved stream per file: frame after frame, each frame
//! holding every signal of that file (with `samples_per_frame` samples each), as WFDB
//! writes them. Packed formats (212, 310, 311) pack consecutive samples of that stream
//! regardless of signal boundaries.
use std::fmt;

/// A WFDB signal storage format (the number in the second field of a signal line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A null signal: no samples stored (the signal lines of a multi-segment record's
    /// layout header, file `~`).
    F0,
    /// 8-bit first differences (needs the initial value).
    F8,
    /// 16-bit two's complement, little-endian.
    F16,
    /// 24-bit two's complement, little-endian.
    F24,
    /// 32-bit two's complement, little-endian.
    F32,
    /// 16-bit two's complement, big-endian.
    F61,
    /// 8-bit offset binary (value + 128).
    F80,
    /// 16-bit offset binary (value + 32768), little-endian.
    F160,
    /// Two 12-bit two's-complement samples in three bytes.
    F212,
    /// Three 10-bit samples in two little-endian 16-bit words (bit 0 of each unused).
    F310,
    /// Three 10-bit samples in one little-endian 32-bit word (bits 30-31 unused).
    F311,
    /// FLAC, at most 8 bits per sample: one FLAC stream per data file, one FLAC channel
    /// per signal (see [`super::flac`]).
    F508,
    /// FLAC, at most 16 bits per sample.
    F516,
    /// FLAC, at most 24 bits per sample.
    F524,
}

impl Format {
    /// The null format (layout headers only).
    pub const NULL: Format = Format::F0;

    /// The FLAC formats (decoded by [`super::flac`], not by [`decode`]).
    pub const FLAC: [Format; 3] = [Format::F508, Format::F516, Format::F524];

    /// Every format with a byte codec here ([`decode`]/[`encode`]); the FLAC formats are
    /// in [`Format::FLAC`].
    pub const ALL: [Format; 10] = [
        Format::F8,
        Format::F16,
        Format::F24,
        Format::F32,
        Format::F61,
        Format::F80,
        Format::F160,
        Format::F212,
        Format::F310,
        Format::F311,
    ];

    /// The format number as written in headers.
    pub fn code(self) -> u32 {
        match self {
            Format::F0 => 0,
            Format::F8 => 8,
            Format::F16 => 16,
            Format::F24 => 24,
            Format::F32 => 32,
            Format::F61 => 61,
            Format::F80 => 80,
            Format::F160 => 160,
            Format::F212 => 212,
            Format::F310 => 310,
            Format::F311 => 311,
            Format::F508 => 508,
            Format::F516 => 516,
            Format::F524 => 524,
        }
    }

    /// A FLAC format (508, 516, 524)?
    pub fn is_flac(self) -> bool {
        Format::FLAC.contains(&self)
    }

    /// The format for a header number, `None` if unknown or unsupported.
    pub fn from_code(code: u32) -> Option<Format> {
        Format::ALL
            .into_iter()
            .chain(Format::FLAC)
            .chain([Format::F0])
            .find(|f| f.code() == code)
    }

    /// Bits per sample (the amplitude range of a sample).
    pub fn bits(self) -> u32 {
        match self {
            Format::F0 => 0,
            Format::F8 | Format::F80 | Format::F508 => 8,
            Format::F16 | Format::F61 | Format::F160 | Format::F516 => 16,
            Format::F24 | Format::F524 => 24,
            Format::F32 => 32,
            Format::F212 => 12,
            Format::F310 | Format::F311 => 10,
        }
    }

    /// Default ADC resolution in bits when the header leaves it out (or writes 0).
    pub fn default_adc_res(self) -> u32 {
        self.bits()
    }

    /// The digital value WFDB stores for "no sample here" (the most negative value of
    /// the format's range); it reads as NaN. Format 8 has none (as in wfdb-python).
    pub fn invalid_value(self) -> Option<i32> {
        match self {
            Format::F8 | Format::F0 => None,
            Format::F32 => Some(i32::MIN),
            f => Some(-(1i32 << (f.bits() - 1))),
        }
    }

    /// Smallest and largest storable value (format 8: any i32, as long as consecutive
    /// samples differ by at most 127).
    pub fn range(self) -> (i64, i64) {
        match self {
            Format::F0 => (0, 0),
            Format::F32 | Format::F8 => (i32::MIN as i64, i32::MAX as i64),
            f => {
                let half = 1i64 << (f.bits() - 1);
                (-half, half - 1)
            }
        }
    }

    /// Bytes needed to hold `n` samples of this format (packed formats round up to whole
    /// bytes; a trailing partial group is padded). FLAC (compressed): 0.
    pub fn bytes_for(self, n: usize) -> usize {
        match self {
            Format::F0 | Format::F508 | Format::F516 | Format::F524 => 0,
            Format::F8 | Format::F80 => n,
            Format::F16 | Format::F61 | Format::F160 => 2 * n,
            Format::F24 => 3 * n,
            Format::F32 => 4 * n,
            Format::F212 => (3 * n).div_ceil(2),
            Format::F310 | Format::F311 => {
                // Full groups of 3 samples take 4 bytes. A trailing partial group needs
                // (as wfdb-python reads it) 2 bytes for 1 sample; for 2 samples 4 bytes
                // (310) or 3 bytes (311). Writers pad 311 to a whole 4-byte word.
                let full = n / 3 * 4;
                match (self, n % 3) {
                    (_, 0) => full,
                    (_, 1) => full + 2,
                    (Format::F310, _) => full + 4,
                    _ => full + 3,
                }
            }
        }
    }

    /// How many whole samples `nbytes` bytes hold (FLAC, compressed: 0).
    pub fn samples_in(self, nbytes: usize) -> usize {
        match self {
            Format::F0 | Format::F508 | Format::F516 | Format::F524 => 0,
            Format::F8 | Format::F80 => nbytes,
            Format::F16 | Format::F61 | Format::F160 => nbytes / 2,
            Format::F24 => nbytes / 3,
            Format::F32 => nbytes / 4,
            Format::F212 => nbytes * 2 / 3,
            Format::F310 => {
                let extra = match nbytes % 4 {
                    0 | 1 => 0,
                    _ => 1,
                };
                nbytes / 4 * 3 + extra
            }
            Format::F311 => {
                let extra = match nbytes % 4 {
                    0 | 1 => 0,
                    2 => 1,
                    _ => 2,
                };
                nbytes / 4 * 3 + extra
            }
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[inline]
fn sext(v: u32, bits: u32) -> i32 {
    let shift = 32 - bits;
    ((v << shift) as i32) >> shift
}

/// Decode the first `n` samples of an interleaved stream. `bytes` must hold at least
/// `format.bytes_for(n)` bytes (the caller checks this and reports the file). Format 8
/// yields the raw differences; [`undifference`] turns them into values. FLAC formats are
/// not byte codecs (see [`super::flac`]): they yield nothing here.
pub fn decode(format: Format, bytes: &[u8], n: usize, out: &mut Vec<i32>) {
    out.clear();
    out.reserve(n);
    match format {
        Format::F0 | Format::F508 | Format::F516 | Format::F524 => {}
        Format::F8 => out.extend(bytes[..n].iter().map(|&b| b as i8 as i32)),
        Format::F80 => out.extend(bytes[..n].iter().map(|&b| b as i32 - 128)),
        Format::F16 => out.extend(
            bytes[..2 * n]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as i32),
        ),
        Format::F61 => out.extend(
            bytes[..2 * n]
                .chunks_exact(2)
                .map(|c| i16::from_be_bytes([c[0], c[1]]) as i32),
        ),
        Format::F160 => out.extend(
            bytes[..2 * n]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]) as i32 - 32768),
        ),
        Format::F24 => out.extend(
            bytes[..3 * n]
                .chunks_exact(3)
                .map(|c| sext(c[0] as u32 | (c[1] as u32) << 8 | (c[2] as u32) << 16, 24)),
        ),
        Format::F32 => out.extend(
            bytes[..4 * n]
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        Format::F212 => {
            for g in bytes.chunks(3) {
                if out.len() >= n {
                    break;
                }
                let b0 = g[0] as u32;
                let b1 = g.get(1).copied().unwrap_or(0) as u32;
                out.push(sext(b0 | (b1 & 0x0f) << 8, 12));
                if out.len() < n {
                    let b2 = g.get(2).copied().unwrap_or(0) as u32;
                    out.push(sext(b2 | (b1 & 0xf0) << 4, 12));
                }
            }
        }
        Format::F310 => {
            for g in bytes.chunks(4) {
                if out.len() >= n {
                    break;
                }
                let w0 = g[0] as u32 | (g.get(1).copied().unwrap_or(0) as u32) << 8;
                let w1 = g.get(2).copied().unwrap_or(0) as u32
                    | (g.get(3).copied().unwrap_or(0) as u32) << 8;
                out.push(sext((w0 >> 1) & 0x3ff, 10));
                if out.len() < n {
                    out.push(sext((w1 >> 1) & 0x3ff, 10));
                }
                if out.len() < n {
                    out.push(sext((w0 >> 11) | ((w1 >> 11) << 5), 10));
                }
            }
        }
        Format::F311 => {
            for g in bytes.chunks(4) {
                if out.len() >= n {
                    break;
                }
                let mut w = 0u32;
                for (i, &b) in g.iter().enumerate() {
                    w |= (b as u32) << (8 * i);
                }
                for k in 0..3 {
                    if out.len() < n {
                        out.push(sext((w >> (10 * k)) & 0x3ff, 10));
                    }
                }
            }
        }
    }
}

/// Encode samples (already range-checked by the caller, see [`Format::range`]) into
/// `out` (311 pads a trailing partial group to a whole 4-byte word, like wfdb-python).
/// Format 8 expects the differences, see [`difference`]. FLAC formats write nothing (the
/// writer refuses them).
pub fn encode(format: Format, samples: &[i32], out: &mut Vec<u8>) {
    out.reserve(format.bytes_for(samples.len()));
    match format {
        Format::F0 | Format::F508 | Format::F516 | Format::F524 => {}
        Format::F8 => out.extend(samples.iter().map(|&v| v as i8 as u8)),
        Format::F80 => out.extend(samples.iter().map(|&v| (v + 128) as u8)),
        Format::F16 => {
            for &v in samples {
                out.extend_from_slice(&(v as i16).to_le_bytes());
            }
        }
        Format::F61 => {
            for &v in samples {
                out.extend_from_slice(&(v as i16).to_be_bytes());
            }
        }
        Format::F160 => {
            for &v in samples {
                out.extend_from_slice(&((v + 32768) as u16).to_le_bytes());
            }
        }
        Format::F24 => {
            for &v in samples {
                out.extend_from_slice(&v.to_le_bytes()[..3]);
            }
        }
        Format::F32 => {
            for &v in samples {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Format::F212 => {
            for pair in samples.chunks(2) {
                let a = pair[0] as u32 & 0xfff;
                let b = pair.get(1).map_or(0, |&v| v as u32 & 0xfff);
                out.push(a as u8);
                out.push(((a >> 8) | ((b >> 8) << 4)) as u8);
                if pair.len() == 2 {
                    out.push(b as u8);
                }
            }
        }
        Format::F310 => {
            for tri in samples.chunks(3) {
                let a = tri[0] as u32 & 0x3ff;
                let b = tri.get(1).map_or(0, |&v| v as u32 & 0x3ff);
                let c = tri.get(2).map_or(0, |&v| v as u32 & 0x3ff);
                let w0 = (a << 1) | ((c & 0x1f) << 11);
                let w1 = (b << 1) | ((c >> 5) << 11);
                out.extend_from_slice(&(w0 as u16).to_le_bytes());
                if tri.len() > 1 {
                    out.extend_from_slice(&(w1 as u16).to_le_bytes());
                }
            }
        }
        Format::F311 => {
            for tri in samples.chunks(3) {
                let mut w = 0u32;
                for (k, &v) in tri.iter().enumerate() {
                    w |= (v as u32 & 0x3ff) << (10 * k);
                }
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
    }
}

/// Format 8: turn per-signal differences (in place, one signal's stream) into values,
/// starting from the header's initial value: `x[k] = init + d[0] + ... + d[k]`.
pub fn undifference(diffs: &mut [i32], init: i64) {
    let mut acc = init;
    for d in diffs.iter_mut() {
        acc += *d as i64;
        *d = acc as i32;
    }
}

/// Format 8: differences of one signal's values from `init` (`None` at the first index
/// whose difference does not fit in 8 bits).
pub fn difference(values: &[i32], init: i64) -> Result<Vec<i32>, usize> {
    let mut prev = init;
    let mut out = Vec::with_capacity(values.len());
    for (i, &v) in values.iter().enumerate() {
        let d = v as i64 - prev;
        if !(-128..=127).contains(&d) {
            return Err(i);
        }
        out.push(d as i32);
        prev = v as i64;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_round_trips_full_range_values_at_every_length() {
        for f in Format::ALL {
            let (lo, hi) = f.range();
            let vals: Vec<i32> = [lo, hi, 0, -1, 1, lo + 1, hi - 1, 7]
                .iter()
                .map(|&v| v as i32)
                .collect();
            for n in 0..=vals.len() {
                let s = &vals[..n];
                let mut bytes = Vec::new();
                if f == Format::F8 {
                    // differences in range: clamp values to a slow ramp
                    let ramp: Vec<i32> = (0..n as i32).map(|i| i * 100 - 50).collect();
                    let d = difference(&ramp, 0).expect("ramp fits 8 bits");
                    encode(f, &d, &mut bytes);
                    assert_eq!(bytes.len(), f.bytes_for(n));
                    let mut back = Vec::new();
                    decode(f, &bytes, n, &mut back);
                    undifference(&mut back, 0);
                    assert_eq!(back, ramp);
                    continue;
                }
                encode(f, s, &mut bytes);
                if f == Format::F311 {
                    assert_eq!(bytes.len(), n.div_ceil(3) * 4, "311 pads to a whole word");
                } else {
                    assert_eq!(bytes.len(), f.bytes_for(n), "format {f}, n={n}");
                }
                assert!(f.samples_in(bytes.len()) >= n, "format {f}, n={n}");
                let mut back = Vec::new();
                decode(f, &bytes, n, &mut back);
                assert_eq!(back, s, "format {f}, n={n}");
            }
        }
    }

    #[test]
    fn known_212_layout() {
        // signal(5): byte 0 = low 8 bits of sample 0; byte 1 = high nibble of sample 1
        // (upper 4 bits) and of sample 0 (lower 4 bits); byte 2 = low 8 bits of sample 1.
        let mut b = Vec::new();
        encode(Format::F212, &[0x123, 0x456], &mut b);
        assert_eq!(b, vec![0x23, 0x41, 0x56]);
    }

    #[test]
    fn difference_rejects_big_steps() {
        assert_eq!(difference(&[0, 127, 0, -200], 0), Err(3));
    }
}
