//! `scipy.signal.zpk2sos(z, p, k, pairing='nearest')` for digital filters: poles closest to
//! the unit circle go last, each paired with its nearest zero. The section order and the
//! pairing decide sosfilt's rounding, so this follows scipy's algorithm step by step.

use super::cplx::{self, C};

const TOL: f64 = 100.0 * f64::EPSILON;

/// Second-order sections from zeros, poles and gain (gain folded into the first section).
pub(crate) fn zpk2sos(z: &[C], p: &[C], k: f64) -> Vec<[f64; 6]> {
    if z.is_empty() && p.is_empty() {
        return vec![[k, 0.0, 0.0, 1.0, 0.0, 0.0]];
    }
    let zero = C::new(0.0, 0.0);
    let mut p = p.to_vec();
    let mut z = z.to_vec();
    let (np0, nz0) = (p.len(), z.len());
    p.extend(std::iter::repeat_n(zero, nz0.saturating_sub(np0)));
    z.extend(std::iter::repeat_n(zero, np0.saturating_sub(nz0)));
    let n_sections = p.len().max(z.len()).div_ceil(2);
    if p.len() % 2 == 1 {
        p.push(zero);
        z.push(zero);
    }
    let mut z = cplxreal_concat(&z);
    let mut p = cplxreal_concat(&p);

    let mut sos = vec![[0.0f64; 6]; n_sections];
    for si in (0..n_sections).rev() {
        let p1_idx = idx_worst(&p);
        let p1 = p.remove(p1_idx);
        let n_real_p = p.iter().filter(|x| cplx::is_real(**x)).count();
        let n_real_z = z.iter().filter(|x| cplx::is_real(**x)).count();
        if cplx::is_real(p1) && n_real_p == 0 {
            // Special case (1): last remaining real pole, paired with the nearest real zero.
            let z1 = take_nearest(&mut z, p1, Which::Real);
            sos[si] = single_zpksos(&[z1, zero], &[p1, zero]);
        } else if p.len() + 1 == z.len() && !cplx::is_real(p1) && n_real_p == 1 && n_real_z == 1 {
            // Special case (2): one real pole and one real zero left; must take a complex zero.
            let z1 = take_nearest(&mut z, p1, Which::Complex);
            sos[si] = single_zpksos(&[z1, z1.conj()], &[p1, p1.conj()]);
        } else {
            let p2 = if cplx::is_real(p1) {
                let real_idx: Vec<usize> = (0..p.len()).filter(|&i| cplx::is_real(p[i])).collect();
                let reals: Vec<C> = real_idx.iter().map(|&i| p[i]).collect();
                let idx = real_idx[idx_worst(&reals)];
                p.remove(idx)
            } else {
                p1.conj()
            };
            if z.is_empty() {
                sos[si] = single_zpksos(&[], &[p1, p2]);
            } else {
                let z1 = take_nearest(&mut z, p1, Which::Any);
                if !cplx::is_real(z1) {
                    sos[si] = single_zpksos(&[z1, z1.conj()], &[p1, p2]);
                } else if !z.is_empty() {
                    let z2 = take_nearest(&mut z, p1, Which::Real);
                    sos[si] = single_zpksos(&[z1, z2], &[p1, p2]);
                } else {
                    sos[si] = single_zpksos(&[z1], &[p1, p2]);
                }
            }
        }
    }
    for c in sos[0].iter_mut().take(3) {
        *c *= k;
    }
    sos
}

/// Index of the pole closest to the unit circle (first on ties, as `np.argmin`).
fn idx_worst(p: &[C]) -> usize {
    let mut best = 0;
    let mut best_d = f64::INFINITY;
    for (i, &x) in p.iter().enumerate() {
        let d = (1.0 - cplx::abs(x)).abs();
        if d < best_d {
            best_d = d;
            best = i;
        }
    }
    best
}

#[derive(Clone, Copy)]
enum Which {
    Real,
    Complex,
    Any,
}

/// `_nearest_real_complex_idx` followed by `np.delete`. The caller guarantees a candidate of
/// the requested kind exists (Butterworth designs always have one); if not, the nearest
/// zero of any kind is taken.
fn take_nearest(z: &mut Vec<C>, to: C, which: Which) -> C {
    let mut order: Vec<usize> = (0..z.len()).collect();
    // Stable sort: NumPy's argsort is an insertion sort (stable) on arrays this small.
    order.sort_by(|&a, &b| cplx::abs(z[a] - to).total_cmp(&cplx::abs(z[b] - to)));
    let pick = order
        .iter()
        .copied()
        .find(|&i| match which {
            Which::Any => true,
            Which::Real => cplx::is_real(z[i]),
            Which::Complex => !cplx::is_real(z[i]),
        })
        .unwrap_or(order[0]);
    z.remove(pick)
}

/// `_cplxreal` then concatenation (complex representatives first, then reals): one element
/// per conjugate pair (averaged), reals with their imaginary part set to exactly zero.
fn cplxreal_concat(z: &[C]) -> Vec<C> {
    let mut z = z.to_vec();
    // np.lexsort((abs(z.imag), z.real)): by real part, then |imag|; stable.
    z.sort_by(|a, b| {
        a.re.total_cmp(&b.re)
            .then(a.im.abs().total_cmp(&b.im.abs()))
    });
    let is_real_tol = |x: &C| x.im.abs() <= TOL * cplx::abs(*x);
    let reals: Vec<C> = z
        .iter()
        .filter(|x| is_real_tol(x))
        .map(|x| C::new(x.re, 0.0))
        .collect();
    let rest: Vec<C> = z.iter().filter(|x| !is_real_tol(x)).copied().collect();
    let mut zp: Vec<C> = rest.iter().filter(|x| x.im > 0.0).copied().collect();
    let mut zn: Vec<C> = rest.iter().filter(|x| x.im < 0.0).copied().collect();
    // Butterworth poles always come in exact conjugate pairs; keep the pairs aligned anyway
    // by sorting runs with (nearly) equal real parts by |imag|, as scipy does.
    let mut start = 0;
    while start < zp.len() {
        let mut stop = start + 1;
        while stop < zp.len() && zp[stop].re - zp[stop - 1].re <= TOL * cplx::abs(zp[stop - 1]) {
            stop += 1;
        }
        if stop - start > 1 {
            zp[start..stop].sort_by(|a, b| a.im.abs().total_cmp(&b.im.abs()));
            let end = stop.min(zn.len());
            if start < end {
                zn[start..end].sort_by(|a, b| a.im.abs().total_cmp(&b.im.abs()));
            }
        }
        start = stop;
    }
    let mut out: Vec<C> = zp
        .iter()
        .zip(&zn)
        .map(|(&a, &b)| (a + b.conj()) / 2.0)
        .collect();
    out.extend(reals);
    out
}

/// `_single_zpksos(z, p, 1)`: one section from up to two zeros and two poles.
fn single_zpksos(z: &[C], p: &[C]) -> [f64; 6] {
    let b = poly(z);
    let a = poly(p);
    let mut s = [0.0; 6];
    for (i, &c) in b.iter().enumerate() {
        s[3 - b.len() + i] = c;
    }
    for (i, &c) in a.iter().enumerate() {
        s[6 - a.len() + i] = c;
    }
    s
}

/// `np.poly`: coefficients of prod (x - r), real part (the roots are real or conjugate pairs).
fn poly(roots: &[C]) -> Vec<f64> {
    let mut a = vec![C::new(1.0, 0.0)];
    for &r in roots {
        let mut next = vec![C::new(0.0, 0.0); a.len() + 1];
        for (i, &c) in a.iter().enumerate() {
            next[i] += c;
            next[i + 1] += c * (-r);
        }
        a = next;
    }
    a.iter().map(|c| c.re).collect()
}
