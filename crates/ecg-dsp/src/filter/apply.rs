//! Running second-order sections over signals: `sosfilt` (direct form II transposed, as
//! scipy's `_sosfilt` loop), `sosfilt_zi` (steady-state initial conditions) and the
//! zero-phase `sosfiltfilt` (odd extension of padlen samples at both ends, forward pass with
//! zi·ext[0], backward pass with zi·y[-1], trim). All arithmetic in f64.

use crate::DspError;

/// Check the section array: non-empty, a0 == 1, all coefficients finite.
pub(crate) fn validate_sos(sos: &[[f64; 6]]) -> Result<(), DspError> {
    if sos.is_empty() {
        return Err(DspError::EmptySos);
    }
    for (section, s) in sos.iter().enumerate() {
        if s.iter().any(|c| !c.is_finite()) {
            return Err(DspError::InvalidSos {
                section,
                reason: "non-finite coefficient",
            });
        }
        if s[3] != 1.0 {
            return Err(DspError::InvalidSos {
                section,
                reason: "a0 (element 3) must be 1",
            });
        }
    }
    Ok(())
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

/// Edge padding scipy's `sosfiltfilt` uses by default:
/// `3 * (2 * n_sections + 1 - min(#(b2 == 0), #(a2 == 0)))`.
pub fn sosfiltfilt_padlen(sos: &[[f64; 6]]) -> usize {
    let zb = sos.iter().filter(|s| s[2] == 0.0).count();
    let za = sos.iter().filter(|s| s[5] == 0.0).count();
    3 * (2 * sos.len() + 1 - zb.min(za))
}

/// Steady-state initial conditions of the cascade for a unit step (`scipy.signal.sosfilt_zi`),
/// one `[z0, z1]` per section.
pub fn sosfilt_zi(sos: &[[f64; 6]]) -> Result<Vec<[f64; 2]>, DspError> {
    validate_sos(sos)?;
    let mut scale = 1.0;
    let mut zi = Vec::with_capacity(sos.len());
    for s in sos {
        let z = lfilter_zi(s);
        zi.push([scale * z[0], scale * z[1]]);
        scale *= (s[0] + s[1] + s[2]) / (s[3] + s[4] + s[5]);
    }
    Ok(zi)
}

/// `scipy.signal.lfilter_zi` for one section with a0 = 1: solve (I - A^T) zi = B by LU with
/// partial pivoting (as LAPACK's gesv on the 2×2 system).
fn lfilter_zi(s: &[f64; 6]) -> [f64; 2] {
    let (b0, b1, b2, a1, a2) = (s[0], s[1], s[2], s[4], s[5]);
    // I - companion(a)^T = [[1 + a1, -1], [a2, 1]]
    let mut m = [[1.0 + a1, -1.0], [a2, 1.0]];
    let mut r = [b1 - a1 * b0, b2 - a2 * b0];
    if m[1][0].abs() > m[0][0].abs() {
        m.swap(0, 1);
        r.swap(0, 1);
    }
    let l = m[1][0] * (1.0 / m[0][0]);
    let u11 = m[1][1] - l * m[0][1];
    let y1 = r[1] - l * r[0];
    let x1 = y1 / u11;
    let x0 = (r[0] - m[0][1] * x1) / m[0][0];
    [x0, x1]
}

/// Run the cascade over `x` in place, starting from state `zi` (updated to the final state).
pub(crate) fn sosfilt_inplace(sos: &[[f64; 6]], x: &mut [f64], zi: &mut [[f64; 2]]) {
    for v in x.iter_mut() {
        let mut x_cur = *v;
        for (s, z) in sos.iter().zip(zi.iter_mut()) {
            let x_new = s[0] * x_cur + z[0];
            z[0] = s[1] * x_cur - s[4] * x_new + z[1];
            z[1] = s[2] * x_cur - s[5] * x_new;
            x_cur = x_new;
        }
        *v = x_cur;
    }
}

/// Causal filtering with zero initial state (`scipy.signal.sosfilt(sos, x)`), f64.
pub fn sosfilt_f64(sos: &[[f64; 6]], x: &[f64]) -> Result<Vec<f64>, DspError> {
    validate_sos(sos)?;
    check_finite(x)?;
    let mut y = x.to_vec();
    let mut zi = vec![[0.0; 2]; sos.len()];
    sosfilt_inplace(sos, &mut y, &mut zi);
    Ok(y)
}

/// Causal filtering with zero initial state (`scipy.signal.sosfilt(sos, x)`); computed in f64.
pub fn sosfilt(sos: &[[f64; 6]], x: &[f32]) -> Result<Vec<f32>, DspError> {
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    Ok(sosfilt_f64(sos, &x64)?
        .into_iter()
        .map(|v| v as f32)
        .collect())
}

/// Forward then backward pass over an odd-extended, lead-interleaved buffer
/// (`ext[t * leads + l]`), in place. Per lead this is exactly scipy's sequence of operations
/// (sosfilt with zi·ext[0], reverse, sosfilt with zi·y[-1], reverse); running the leads in
/// lockstep only lets independent leads overlap in the CPU (and vectorise).
fn zero_phase_interleaved(sos: &[[f64; 6]], zi: &[[f64; 2]], ext: &mut [f64], leads: usize) {
    let m = ext.len() / leads;
    let ns = sos.len();
    let mut z0 = vec![0.0f64; ns * leads];
    let mut z1 = vec![0.0f64; ns * leads];
    let mut pass = |ext: &mut [f64], order: &mut dyn Iterator<Item = usize>, first: usize| {
        for s in 0..ns {
            for l in 0..leads {
                let c = ext[first * leads + l];
                z0[s * leads + l] = zi[s][0] * c;
                z1[s * leads + l] = zi[s][1] * c;
            }
        }
        for t in order {
            let row = &mut ext[t * leads..(t + 1) * leads];
            for (s, c) in sos.iter().enumerate() {
                let z0 = &mut z0[s * leads..(s + 1) * leads];
                let z1 = &mut z1[s * leads..(s + 1) * leads];
                for l in 0..leads {
                    let x = row[l];
                    let y = c[0] * x + z0[l];
                    z0[l] = c[1] * x - c[4] * y + z1[l];
                    z1[l] = c[2] * x - c[5] * y;
                    row[l] = y;
                }
            }
        }
    };
    pass(ext, &mut (0..m), 0);
    pass(ext, &mut (0..m).rev(), m - 1);
}

/// Build the odd extension of `leads` rows (row `l` from `row(l)`) into a lead-interleaved
/// buffer of `n + 2 * edge` time steps.
fn odd_extend_interleaved<F: Fn(usize, usize) -> f64>(
    x: F,
    leads: usize,
    n: usize,
    edge: usize,
) -> Vec<f64> {
    let m = n + 2 * edge;
    let mut ext = vec![0.0f64; m * leads];
    for l in 0..leads {
        let (x0, xn) = (x(l, 0), x(l, n - 1));
        for i in 0..edge {
            ext[i * leads + l] = 2.0 * x0 - x(l, edge - i);
            ext[(edge + n + i) * leads + l] = 2.0 * xn - x(l, n - 2 - i);
        }
        for i in 0..n {
            ext[(edge + i) * leads + l] = x(l, i);
        }
    }
    ext
}

fn check_len(n: usize, sos: &[[f64; 6]]) -> Result<usize, DspError> {
    let edge = sosfiltfilt_padlen(sos);
    if n <= edge {
        return Err(DspError::TooShort {
            len: n,
            padlen: edge,
        });
    }
    Ok(edge)
}

/// Zero-phase filtering, `scipy.signal.sosfiltfilt(sos, x)` with its defaults
/// (`padtype='odd'`, `padlen` from [`sosfiltfilt_padlen`]), f64.
///
/// Errors: invalid sections, a non-finite sample, or `x.len() <= padlen` (scipy raises too).
pub fn sosfiltfilt_f64(sos: &[[f64; 6]], x: &[f64]) -> Result<Vec<f64>, DspError> {
    validate_sos(sos)?;
    check_finite(x)?;
    let n = x.len();
    let edge = check_len(n, sos)?;
    let zi = sosfilt_zi(sos)?;
    let mut ext = odd_extend_interleaved(|_, i| x[i], 1, n, edge);
    zero_phase_interleaved(sos, &zi, &mut ext, 1);
    ext.truncate(n + edge);
    ext.drain(..edge);
    Ok(ext)
}

/// Zero-phase filtering of one lead (see [`sosfiltfilt_f64`]); f32 in and out, f64 inside.
pub fn sosfiltfilt(sos: &[[f64; 6]], x: &[f32]) -> Result<Vec<f32>, DspError> {
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    Ok(sosfiltfilt_f64(sos, &x64)?
        .into_iter()
        .map(|v| v as f32)
        .collect())
}

/// Zero-phase filtering of every lead of a row-major `[leads, samples]` buffer, in place.
/// Each lead's result is identical to [`sosfiltfilt`] on that lead; the leads run in
/// lockstep for speed. `data` is left untouched on error (a non-finite sample names its lead).
pub fn sosfiltfilt_leads(
    sos: &[[f64; 6]],
    data: &mut [f32],
    samples: usize,
) -> Result<(), DspError> {
    if samples == 0 || data.len() % samples != 0 {
        return Err(DspError::Shape {
            len: data.len(),
            samples,
        });
    }
    validate_sos(sos)?;
    let leads = data.len() / samples;
    if leads == 0 {
        return Ok(());
    }
    for (lead, row) in data.chunks_exact(samples).enumerate() {
        if let Some(index) = row.iter().position(|v| !v.is_finite()) {
            return Err(DspError::NonFinite {
                index,
                value: f64::from(row[index]),
            }
            .in_lead(lead));
        }
    }
    let edge = check_len(samples, sos)?;
    let zi = sosfilt_zi(sos)?;
    let src: &[f32] = data;
    let mut ext =
        odd_extend_interleaved(|l, i| f64::from(src[l * samples + i]), leads, samples, edge);
    zero_phase_interleaved(sos, &zi, &mut ext, leads);
    for (l, row) in data.chunks_exact_mut(samples).enumerate() {
        for (i, v) in row.iter_mut().enumerate() {
            *v = ext[(edge + i) * leads + l] as f32;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{butter_sos, Band};

    fn bp() -> Vec<[f64; 6]> {
        butter_sos(3, Band::Bandpass(0.5, 40.0), 100.0).expect("valid design")
    }

    #[test]
    fn padlen_matches_scipy_rule() {
        // Band-pass order 3: 3 sections, no b2/a2 zero in all → 3 * 7 = 21.
        assert_eq!(sosfiltfilt_padlen(&bp()), 21);
        // Low-pass order 1: one section [b0, b1, 0, 1, a1, 0] → 3 * (3 - 1) = 6.
        let lp1 = butter_sos(1, Band::Lowpass(10.0), 100.0).expect("valid design");
        assert_eq!(sosfiltfilt_padlen(&lp1), 6);
    }

    #[test]
    fn errors_are_typed() {
        let sos = bp();
        assert_eq!(
            sosfiltfilt(&sos, &[0.0; 21]),
            Err(DspError::TooShort {
                len: 21,
                padlen: 21
            })
        );
        let mut x = vec![0.0f32; 100];
        x[7] = f32::NAN;
        assert!(matches!(
            sosfiltfilt(&sos, &x),
            Err(DspError::NonFinite { index: 7, .. })
        ));
        let mut data = vec![0.0f32; 200];
        data[150] = f32::INFINITY;
        match sosfiltfilt_leads(&sos, &mut data, 100) {
            Err(DspError::InLead { lead: 1, source }) => {
                assert!(matches!(*source, DspError::NonFinite { index: 50, .. }))
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            sosfiltfilt_leads(&sos, &mut data, 30),
            Err(DspError::Shape { .. })
        ));
        assert_eq!(sosfiltfilt(&[], &x), Err(DspError::EmptySos));
        let mut bad = sos.clone();
        bad[1][3] = 2.0;
        assert!(matches!(
            sosfiltfilt(&bad, &[0.0; 100]),
            Err(DspError::InvalidSos { section: 1, .. })
        ));
    }

    #[test]
    fn zi_is_the_step_steady_state() {
        let sos = butter_sos(4, Band::Lowpass(5.0), 100.0).expect("valid design");
        let mut zi = sosfilt_zi(&sos).expect("valid sos");
        let mut x = vec![1.0; 50];
        sosfilt_inplace(&sos, &mut x, &mut zi);
        for v in x {
            assert!((v - 1.0).abs() < 1e-12, "{v}");
        }
    }

    #[test]
    fn zero_phase_keeps_a_constant_and_removes_it_with_highpass() {
        let lp = butter_sos(3, Band::Lowpass(10.0), 100.0).expect("valid design");
        let y = sosfiltfilt_f64(&lp, &[2.5; 300]).expect("long enough");
        assert!(y.iter().all(|v| (v - 2.5).abs() < 1e-10));
        let y = sosfiltfilt_f64(&bp(), &[2.5; 300]).expect("long enough");
        assert!(y.iter().all(|v| v.abs() < 1e-10));
    }

    #[test]
    fn zero_phase_passband_sine_has_no_lag() {
        // A 10 Hz sine through a 0.5–40 Hz band-pass: |H|^2 ≈ 1 and no phase shift.
        let x: Vec<f64> = (0..1000)
            .map(|i| (2.0 * std::f64::consts::PI * 10.0 * i as f64 / 100.0).sin())
            .collect();
        let y = sosfiltfilt_f64(&bp(), &x).expect("long enough");
        // The 0.5 Hz high-pass edge transient decays over ~3 s; scipy's own max deviation on
        // samples 300..700 is 3.0e-3.
        for i in 300..700 {
            assert!(
                (y[i] - x[i]).abs() < 5e-3,
                "sample {i}: {} vs {}",
                y[i],
                x[i]
            );
        }
    }
}
