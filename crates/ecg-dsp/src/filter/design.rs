//! Digital Butterworth design as scipy's `butter(N, Wn, btype, output='sos', fs=fs)` does it:
//! analog prototype (`buttap`) → frequency transform (`lp2lp_zpk` / `lp2hp_zpk` /
//! `lp2bp_zpk`) on pre-warped edges → `bilinear_zpk` → `zpk2sos(pairing='nearest')`.
//! Each step keeps scipy's operation order so coefficients agree to ~1e-15.

use std::f64::consts::PI;

use super::cplx::{self, C};
use super::sos::zpk2sos;
use crate::DspError;

/// Filter type and its edge frequencies in Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Band {
    /// Pass below the cutoff (Hz).
    Lowpass(f64),
    /// Pass above the cutoff (Hz).
    Highpass(f64),
    /// Pass between `low` and `high` (Hz), `low < high`.
    Bandpass(f64, f64),
}

/// Zeros, poles and gain of a digital filter.
#[derive(Debug, Clone)]
pub(crate) struct Zpk {
    pub z: Vec<C>,
    pub p: Vec<C>,
    pub k: f64,
}

/// Design a digital Butterworth filter of `order` for `band` at sampling rate `fs` (Hz), as
/// second-order sections `[b0, b1, b2, a0 = 1, a1, a2]`, equal to
/// `scipy.signal.butter(order, edges, btype, output='sos', fs=fs)`.
///
/// A band-pass of order N has N sections' worth of poles (2N poles), as in scipy.
pub fn butter_sos(order: usize, band: Band, fs: f64) -> Result<Vec<[f64; 6]>, DspError> {
    let zpk = butter_zpk(order, band, fs)?;
    Ok(zpk2sos(&zpk.z, &zpk.p, zpk.k))
}

/// Normalised critical frequency `f / (fs/2)`, checked to lie in (0, 1).
fn normalise(freq: f64, fs: f64) -> Result<f64, DspError> {
    let nyquist = fs / 2.0;
    let wn = freq / nyquist;
    if wn > 0.0 && wn < 1.0 {
        Ok(wn)
    } else {
        Err(DspError::FrequencyOutOfRange { freq, nyquist })
    }
}

/// scipy's `iirfilter` pre-warping for the bilinear transform at fs = 2: `4 tan(pi Wn / 2)`.
fn warp(wn: f64) -> f64 {
    2.0 * 2.0 * (PI * wn / 2.0).tan()
}

pub(crate) fn butter_zpk(order: usize, band: Band, fs: f64) -> Result<Zpk, DspError> {
    if order == 0 {
        return Err(DspError::ZeroOrder);
    }
    if !(fs.is_finite() && fs > 0.0) {
        return Err(DspError::InvalidSamplingRate(fs));
    }
    let p = buttap(order);
    let analog = match band {
        Band::Lowpass(f) => lp2lp(&p, warp(normalise(f, fs)?)),
        Band::Highpass(f) => lp2hp(&p, warp(normalise(f, fs)?)),
        Band::Bandpass(lo, hi) => {
            let wlo = normalise(lo, fs)?;
            let whi = normalise(hi, fs)?;
            if wlo >= whi {
                return Err(DspError::BandEdgesNotIncreasing { low: lo, high: hi });
            }
            let (w0, w1) = (warp(wlo), warp(whi));
            lp2bp(&p, (w0 * w1).sqrt(), w1 - w0)
        }
    };
    Ok(bilinear(analog))
}

/// Analog Butterworth prototype poles `-exp(i pi m / 2N)`, m = -N+1, -N+3, ..., N-1.
fn buttap(n: usize) -> Vec<C> {
    let nf = n as f64;
    // NumPy evaluates (1j*pi*m) / (2N) as a complex division by 2N + 0i: a multiply by 1/(2N).
    let inv = 1.0 / (2.0 * nf);
    (0..n)
        .map(|i| {
            let m = -nf + 1.0 + 2.0 * i as f64;
            let theta = (PI * m) * inv;
            let e = C::new(theta.cos(), theta.sin());
            -e
        })
        .collect()
}

fn lp2lp(p: &[C], wo: f64) -> Zpk {
    let degree = p.len();
    Zpk {
        z: Vec::new(),
        p: p.iter().map(|&x| x * wo).collect(),
        k: wo.powf(degree as f64),
    }
}

fn lp2hp(p: &[C], wo: f64) -> Zpk {
    let degree = p.len();
    let k = cplx::div(C::new(1.0, 0.0), cplx::prod(p.iter().map(|&x| -x))).re;
    Zpk {
        z: vec![C::new(0.0, 0.0); degree],
        p: p.iter().map(|&x| cplx::div(C::new(wo, 0.0), x)).collect(),
        k,
    }
}

fn lp2bp(p: &[C], wo: f64, bw: f64) -> Zpk {
    let degree = p.len();
    let p_lp: Vec<C> = p.iter().map(|&x| (x * bw) / 2.0).collect();
    let wo2 = wo * wo;
    let roots: Vec<C> = p_lp
        .iter()
        .map(|&x| cplx::sqrt(C::new(x.re * x.re - x.im * x.im, x.re * x.im + x.im * x.re) - wo2))
        .collect();
    let mut pb: Vec<C> = p_lp.iter().zip(&roots).map(|(&x, &r)| x + r).collect();
    pb.extend(p_lp.iter().zip(&roots).map(|(&x, &r)| x - r));
    Zpk {
        z: vec![C::new(0.0, 0.0); degree],
        p: pb,
        k: bw.powf(degree as f64),
    }
}

/// `bilinear_zpk` at fs = 2 (scipy designs digital filters on that normalised scale).
fn bilinear(a: Zpk) -> Zpk {
    let fs2 = C::new(4.0, 0.0);
    let degree = a.p.len() - a.z.len();
    let mut z: Vec<C> = a.z.iter().map(|&x| cplx::div(fs2 + x, fs2 - x)).collect();
    z.extend(std::iter::repeat_n(C::new(-1.0, 0.0), degree));
    let p: Vec<C> = a.p.iter().map(|&x| cplx::div(fs2 + x, fs2 - x)).collect();
    let num = cplx::prod(a.z.iter().map(|&x| fs2 - x));
    let den = cplx::prod(a.p.iter().map(|&x| fs2 - x));
    let k = a.k * cplx::div(num, den).re;
    Zpk { z, p, k }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_design_inputs() {
        assert_eq!(
            butter_sos(0, Band::Lowpass(10.0), 100.0),
            Err(DspError::ZeroOrder)
        );
        assert!(matches!(
            butter_sos(2, Band::Lowpass(50.0), 100.0),
            Err(DspError::FrequencyOutOfRange { .. })
        ));
        assert!(matches!(
            butter_sos(2, Band::Highpass(0.0), 100.0),
            Err(DspError::FrequencyOutOfRange { .. })
        ));
        assert!(matches!(
            butter_sos(2, Band::Highpass(-1.0), 100.0),
            Err(DspError::FrequencyOutOfRange { .. })
        ));
        assert!(matches!(
            butter_sos(2, Band::Lowpass(f64::NAN), 100.0),
            Err(DspError::FrequencyOutOfRange { .. })
        ));
        assert!(matches!(
            butter_sos(2, Band::Bandpass(40.0, 0.5), 100.0),
            Err(DspError::BandEdgesNotIncreasing { .. })
        ));
        assert!(matches!(
            butter_sos(2, Band::Bandpass(0.5, 60.0), 100.0),
            Err(DspError::FrequencyOutOfRange { .. })
        ));
        assert!(matches!(
            butter_sos(2, Band::Lowpass(10.0), 0.0),
            Err(DspError::InvalidSamplingRate(_))
        ));
    }

    #[test]
    fn unit_dc_gain_lowpass_and_unit_nyquist_gain_highpass() {
        for order in 1..=6 {
            let sos = butter_sos(order, Band::Lowpass(10.0), 100.0).expect("valid design");
            let dc: f64 = sos
                .iter()
                .map(|s| (s[0] + s[1] + s[2]) / (s[3] + s[4] + s[5]))
                .product();
            assert!((dc - 1.0).abs() < 1e-12, "order {order}: dc gain {dc}");
            let sos = butter_sos(order, Band::Highpass(10.0), 100.0).expect("valid design");
            let ny: f64 = sos
                .iter()
                .map(|s| (s[0] - s[1] + s[2]) / (s[3] - s[4] + s[5]))
                .product();
            assert!((ny - 1.0).abs() < 1e-12, "order {order}: nyquist gain {ny}");
        }
    }

    #[test]
    fn section_counts() {
        assert_eq!(
            butter_sos(1, Band::Lowpass(10.0), 100.0).map(|s| s.len()),
            Ok(1)
        );
        assert_eq!(
            butter_sos(3, Band::Lowpass(10.0), 100.0).map(|s| s.len()),
            Ok(2)
        );
        assert_eq!(
            butter_sos(3, Band::Bandpass(0.5, 40.0), 100.0).map(|s| s.len()),
            Ok(3)
        );
    }
}
