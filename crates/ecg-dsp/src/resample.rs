//! Polyphase rational resampling, `scipy.signal.resample_poly(x, up, down)` with its
//! defaults (`window=('kaiser', 5.0)`, `padtype='constant'`, zero padding): the factors are
//! reduced by their gcd; the anti-aliasing FIR is
//! `firwin(2 * 10 * max(up, down) + 1, 1 / max(up, down), window=('kaiser', 5.0)) * up`,
//! zero-padded in front by `down - half_len % down` so output sample 0 sits on input sample 0;
//! output length `ceil(len * up / down)`.

use crate::numeric::{bessel_i0, pairwise_sum, sinc};
use crate::DspError;

/// Kaiser window β used by resample_poly's default.
pub const KAISER_BETA: f64 = 5.0;

/// `scipy.signal.windows.kaiser(m, beta, sym=True)`.
pub fn kaiser(m: usize, beta: f64) -> Vec<f64> {
    if m <= 1 {
        return vec![1.0; m];
    }
    let alpha = (m as f64 - 1.0) / 2.0;
    let denom = bessel_i0(beta);
    (0..m)
        .map(|n| {
            let r = (n as f64 - alpha) / alpha;
            bessel_i0(beta * (1.0 - r * r).sqrt()) / denom
        })
        .collect()
}

/// Low-pass windowed-sinc FIR, `scipy.signal.firwin(numtaps, cutoff, window=('kaiser', beta))`
/// with `cutoff` relative to Nyquist (0 < cutoff < 1), scaled to unit DC gain.
pub fn firwin_kaiser(numtaps: usize, cutoff: f64, beta: f64) -> Result<Vec<f64>, DspError> {
    if numtaps == 0 {
        return Err(DspError::InvalidParameter {
            name: "numtaps",
            reason: "must be >= 1".into(),
        });
    }
    if !(cutoff > 0.0 && cutoff < 1.0) {
        return Err(DspError::InvalidParameter {
            name: "cutoff",
            reason: format!("{cutoff} is not inside (0, 1) (relative to Nyquist)"),
        });
    }
    let alpha = 0.5 * (numtaps as f64 - 1.0);
    let win = kaiser(numtaps, beta);
    let mut h: Vec<f64> = (0..numtaps)
        .map(|i| {
            let m = i as f64 - alpha;
            cutoff * sinc(cutoff * m) * win[i]
        })
        .collect();
    let s = pairwise_sum(&h);
    for v in &mut h {
        *v /= s;
    }
    Ok(h)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Length of `upfirdn`'s full output.
fn upfirdn_len(len_h: usize, n_in: usize, up: usize, down: usize) -> usize {
    ((n_in - 1) * up + len_h - 1) / down + 1
}

/// The resampling plan: reduced factors, padded filter, first kept output, output length.
#[derive(Debug, Clone)]
struct Plan {
    up: usize,
    down: usize,
    h: Vec<f64>,
    pre_remove: usize,
    n_out: usize,
}

fn plan(n_in: usize, up: usize, down: usize) -> Result<Option<Plan>, DspError> {
    if up == 0 || down == 0 {
        return Err(DspError::InvalidResampleFactors { up, down });
    }
    if n_in == 0 {
        return Err(DspError::Empty("resample_poly needs at least one sample"));
    }
    let g = gcd(up, down);
    let (up, down) = (up / g, down / g);
    if up == 1 && down == 1 {
        return Ok(None);
    }
    let n_out = (n_in * up).div_ceil(down);
    let max_rate = up.max(down);
    let half_len = 10 * max_rate;
    let taps = firwin_kaiser(2 * half_len + 1, 1.0 / max_rate as f64, KAISER_BETA)?;
    let n_pre_pad = down - half_len % down;
    let pre_remove = (half_len + n_pre_pad) / down;
    let mut n_post_pad = 0;
    while upfirdn_len(taps.len() + n_pre_pad + n_post_pad, n_in, up, down) < n_out + pre_remove {
        n_post_pad += 1;
    }
    let mut h = vec![0.0; n_pre_pad];
    h.extend(taps.iter().map(|&v| v * up as f64));
    h.extend(std::iter::repeat_n(0.0, n_post_pad));
    Ok(Some(Plan {
        up,
        down,
        h,
        pre_remove,
        n_out,
    }))
}

/// One output sample of upfirdn: `sum_k h[k] * xup[t - k]`, xup = x upsampled by zeros.
fn upfirdn_at(p: &Plan, x: &[f64], m: usize) -> f64 {
    let t = m * p.down;
    let mut k = t % p.up;
    let mut acc = 0.0;
    while k < p.h.len() && k <= t {
        let j = (t - k) / p.up;
        if j < x.len() {
            acc += p.h[k] * x[j];
        }
        k += p.up;
    }
    acc
}

/// Resample one lead by `up / down` (f64 in and out).
pub fn resample_poly_f64(x: &[f64], up: usize, down: usize) -> Result<Vec<f64>, DspError> {
    let Some(p) = plan(x.len(), up, down)? else {
        check_finite(x)?;
        return Ok(x.to_vec());
    };
    check_finite(x)?;
    Ok((p.pre_remove..p.pre_remove + p.n_out)
        .map(|m| upfirdn_at(&p, x, m))
        .collect())
}

fn check_finite(x: &[f64]) -> Result<(), DspError> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DspError::NonFinite {
            index,
            value: x[index],
        }),
        None => Ok(()),
    }
}

/// Resample one lead by `up / down` as `scipy.signal.resample_poly(x, up, down)` on
/// `x.astype(float64)`; output length `ceil(len * up / down)` (after gcd reduction).
pub fn resample_poly(x: &[f32], up: usize, down: usize) -> Result<Vec<f32>, DspError> {
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    Ok(resample_poly_f64(&x64, up, down)?
        .into_iter()
        .map(|v| v as f32)
        .collect())
}

/// Resample every lead of a row-major `[leads, samples]` buffer; returns the new buffer and
/// its samples per lead.
pub fn resample_poly_leads(
    data: &[f32],
    samples: usize,
    up: usize,
    down: usize,
) -> Result<(Vec<f32>, usize), DspError> {
    if samples == 0 || data.len() % samples != 0 {
        return Err(DspError::Shape {
            len: data.len(),
            samples,
        });
    }
    let mut out = Vec::new();
    let mut n_out = 0;
    for (lead, row) in data.chunks_exact(samples).enumerate() {
        let y = resample_poly(row, up, down).map_err(|e| e.in_lead(lead))?;
        n_out = y.len();
        out.extend(y);
    }
    Ok((out, n_out))
}

/// Resample between integer sampling rates (Hz), e.g. 500 → 100: `up = to / g`,
/// `down = from / g` with `g = gcd(from, to)`.
pub fn resample_hz(x: &[f32], from_hz: usize, to_hz: usize) -> Result<Vec<f32>, DspError> {
    resample_poly(x, to_hz, from_hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lengths_follow_scipy() {
        let x = vec![1.0f32; 1001];
        assert_eq!(resample_poly(&x, 1, 5).map(|y| y.len()), Ok(201));
        assert_eq!(resample_poly(&x, 5, 1).map(|y| y.len()), Ok(5005));
        assert_eq!(resample_poly(&x, 2, 10).map(|y| y.len()), Ok(201));
        assert_eq!(resample_poly(&x, 18, 25).map(|y| y.len()), Ok(721));
        assert_eq!(resample_poly(&x, 3, 3), Ok(x.clone()));
        assert_eq!(resample_poly(&[2.0], 1, 5).map(|y| y.len()), Ok(1));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            resample_poly(&[1.0; 10], 0, 5),
            Err(DspError::InvalidResampleFactors { .. })
        ));
        assert!(matches!(resample_poly(&[], 1, 5), Err(DspError::Empty(_))));
        assert!(matches!(
            resample_poly(&[1.0, f32::NAN, 2.0], 1, 5),
            Err(DspError::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            resample_poly_leads(&[1.0; 10], 3, 1, 5),
            Err(DspError::Shape { .. })
        ));
    }

    #[test]
    fn firwin_has_unit_dc_gain_and_is_symmetric() {
        let h = firwin_kaiser(101, 0.2, 5.0).expect("valid");
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        for i in 0..50 {
            assert_eq!(h[i], h[100 - i]);
        }
    }

    #[test]
    fn interior_of_a_constant_survives_downsampling() {
        let x = vec![3.0f32; 2000];
        let y = resample_poly(&x, 1, 5).expect("valid");
        // Away from the zero-padded ends, the unit-DC-gain filter keeps the constant.
        for v in &y[20..380] {
            assert!((v - 3.0).abs() < 1e-3, "{v}");
        }
    }
}
