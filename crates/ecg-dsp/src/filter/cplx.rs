//! Complex helpers that follow NumPy's own formulas, so that filter design agrees with
//! scipy to the last bits (division: NumPy's Smith-style loop; square root: the
//! hypot-based principal branch as in C99 `csqrt`).

use num_complex::Complex64;

pub(crate) type C = Complex64;

/// `a / b` as NumPy's complex128 divide loop computes it.
pub(crate) fn div(a: C, b: C) -> C {
    let (ar, ai, br, bi) = (a.re, a.im, b.re, b.im);
    if br.abs() >= bi.abs() {
        if br == 0.0 && bi == 0.0 {
            return C::new(ar / br.abs(), ai / br.abs());
        }
        let rat = bi / br;
        let scl = 1.0 / (br + bi * rat);
        C::new((ar + ai * rat) * scl, (ai - ar * rat) * scl)
    } else {
        let rat = br / bi;
        let scl = 1.0 / (bi + br * rat);
        C::new((ar * rat + ai) * scl, (ai * rat - ar) * scl)
    }
}

/// Principal square root (branch cut on the negative real axis, sign of the imaginary
/// part kept), as C99 `csqrt`.
pub(crate) fn sqrt(z: C) -> C {
    let (x, y) = (z.re, z.im);
    if x == 0.0 && y == 0.0 {
        return C::new(0.0, y);
    }
    let t = ((x.abs() + x.hypot(y)) * 0.5).sqrt();
    if x >= 0.0 {
        C::new(t, y / (2.0 * t))
    } else {
        C::new(y.abs() / (2.0 * t), t.copysign(y))
    }
}

/// |z| as NumPy computes it (hypot).
pub(crate) fn abs(z: C) -> f64 {
    z.re.hypot(z.im)
}

/// `np.isreal`: imaginary part exactly zero.
pub(crate) fn is_real(z: C) -> bool {
    z.im == 0.0
}

/// Product of all values, left to right (NumPy's multiply reduction), 1 for none.
pub(crate) fn prod(v: impl IntoIterator<Item = C>) -> C {
    v.into_iter().fold(C::new(1.0, 0.0), |acc, x| acc * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_branches() {
        let r = sqrt(C::new(-4.0, 0.0));
        assert_eq!((r.re, r.im), (0.0, 2.0));
        let r = sqrt(C::new(-4.0, -0.0));
        assert_eq!((r.re, r.im), (0.0, -2.0));
        let r = sqrt(C::new(3.0, 4.0));
        assert!((r.re - 2.0).abs() < 1e-15 && (r.im - 1.0).abs() < 1e-15);
    }

    #[test]
    fn div_matches_definition() {
        let a = C::new(1.5, -2.0);
        let b = C::new(0.25, 3.0);
        let q = div(a, b);
        let back = q * b;
        assert!((back - a).norm() < 1e-14);
        let q = div(a, C::new(-3.0, 0.5));
        assert!((q * C::new(-3.0, 0.5) - a).norm() < 1e-14);
    }
}
