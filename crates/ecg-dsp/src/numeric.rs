//! Small numeric kernels shared by the modules, written to follow NumPy's evaluation order.

/// `np.sum` of a contiguous f64 array: NumPy's pairwise summation (8 accumulators on blocks
/// of at most 128, recursive halving above), so sums agree with NumPy bit for bit.
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// Modified Bessel function of the first kind, order 0, by its power series
/// `sum_k ((x/2)^k / k!)^2` (all terms positive, so accurate to a few ulp for the
/// |x| <= ~20 used by Kaiser windows).
pub(crate) fn bessel_i0(x: f64) -> f64 {
    let q = (x / 2.0) * (x / 2.0);
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > sum * 1e-18 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// `np.sinc(x) = sin(pi x) / (pi x)`, with NumPy's substitution of 1e-20 for x = 0.
pub(crate) fn sinc(x: f64) -> f64 {
    let y = std::f64::consts::PI * if x == 0.0 { 1.0e-20 } else { x };
    y.sin() / y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i0_known_values() {
        // Abramowitz & Stegun table 9.8: I0(1) = 1.266065878, I0(5) = 27.23987182.
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-16);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-15);
        assert!((bessel_i0(5.0) - 27.239_871_823_604_45).abs() < 1e-12);
    }

    #[test]
    fn pairwise_sum_equals_plain_sum_on_exact_values() {
        for n in [0usize, 3, 8, 9, 100, 128, 129, 1000] {
            let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert_eq!(pairwise_sum(&a), (n * n.saturating_sub(1) / 2) as f64);
        }
    }
}
