//! Seeded augmentations on row-major `[leads, samples]` buffers. Every function takes the
//! random generator explicitly (`rand 0.9`; pass a seeded `rand_chacha::ChaCha8Rng` for
//! reproducible runs), so one seed fixes a whole pipeline.
//!
//! - [`gaussian_noise`]: add N(0, σ²) to every sample.
//! - [`amplitude_scale`]: multiply by a factor uniform in [lo, hi] (one factor, or one per lead).
//! - [`baseline_wander`]: add `a·sin(2π f t + φ)` per lead, a ∈ [0, max_amplitude],
//!   f ∈ [0.05 Hz, max_freq], φ ∈ [0, 2π).
//! - [`time_out`] (LCD, METHODS §5): zero a span of `⌊u·max_fraction·L⌋` samples (u uniform in
//!   [0, 1]; max_fraction 0.5 → 0–50 % of the length) at a uniform start, on all leads.
//! - [`random_resized_crop`] (LCD): keep a uniform 50–100 % (configurable) contiguous part,
//!   linearly resample it back to the full length (PyTorch `interpolate(mode='linear',
//!   align_corners=False)` sample positions).

use rand::Rng;
use rand_distr::{Distribution, Normal};

use crate::DspError;

fn leads_of(data: &[f32], samples: usize) -> Result<usize, DspError> {
    if samples == 0 || data.is_empty() || data.len() % samples != 0 {
        return Err(DspError::Shape {
            len: data.len(),
            samples,
        });
    }
    Ok(data.len() / samples)
}

fn param(name: &'static str, ok: bool, reason: impl FnOnce() -> String) -> Result<(), DspError> {
    if ok {
        Ok(())
    } else {
        Err(DspError::InvalidParameter {
            name,
            reason: reason(),
        })
    }
}

/// Add zero-mean Gaussian noise of standard deviation `std` to every value.
pub fn gaussian_noise<R: Rng + ?Sized>(
    data: &mut [f32],
    std: f64,
    rng: &mut R,
) -> Result<(), DspError> {
    param("std", std.is_finite() && std >= 0.0, || {
        format!("{std} must be finite and >= 0")
    })?;
    let normal = Normal::new(0.0, std).map_err(|e| DspError::InvalidParameter {
        name: "std",
        reason: e.to_string(),
    })?;
    for v in data.iter_mut() {
        *v = (f64::from(*v) + normal.sample(rng)) as f32;
    }
    Ok(())
}

/// Multiply by a factor drawn uniformly from `[lo, hi]`: one for the whole record, or one per
/// lead when `per_lead`.
pub fn amplitude_scale<R: Rng + ?Sized>(
    data: &mut [f32],
    samples: usize,
    lo: f64,
    hi: f64,
    per_lead: bool,
    rng: &mut R,
) -> Result<(), DspError> {
    leads_of(data, samples)?;
    param(
        "lo/hi",
        lo.is_finite() && hi.is_finite() && lo <= hi,
        || format!("need finite lo <= hi, got {lo}, {hi}"),
    )?;
    let draw = |rng: &mut R| lo + (hi - lo) * rng.random::<f64>();
    let mut factor = draw(rng);
    for (l, row) in data.chunks_exact_mut(samples).enumerate() {
        if per_lead && l > 0 {
            factor = draw(rng);
        }
        for v in row {
            *v = (f64::from(*v) * factor) as f32;
        }
    }
    Ok(())
}

/// Add a random low-frequency sinusoid to each lead (independent draws per lead).
pub fn baseline_wander<R: Rng + ?Sized>(
    data: &mut [f32],
    samples: usize,
    fs: f64,
    max_amplitude: f64,
    max_freq: f64,
    rng: &mut R,
) -> Result<(), DspError> {
    leads_of(data, samples)?;
    param("fs", fs.is_finite() && fs > 0.0, || {
        format!("{fs} must be > 0")
    })?;
    param(
        "max_amplitude",
        max_amplitude.is_finite() && max_amplitude >= 0.0,
        || format!("{max_amplitude} must be finite and >= 0"),
    )?;
    param(
        "max_freq",
        max_freq.is_finite() && max_freq >= 0.05 && max_freq < fs / 2.0,
        || format!("{max_freq} Hz must be in [0.05, fs/2)"),
    )?;
    for row in data.chunks_exact_mut(samples) {
        let a = max_amplitude * rng.random::<f64>();
        let f = 0.05 + (max_freq - 0.05) * rng.random::<f64>();
        let phi = std::f64::consts::TAU * rng.random::<f64>();
        for (i, v) in row.iter_mut().enumerate() {
            let t = i as f64 / fs;
            *v = (f64::from(*v) + a * (std::f64::consts::TAU * f * t + phi).sin()) as f32;
        }
    }
    Ok(())
}

/// Zero a random span on all leads; its length is `⌊u · max_fraction · samples⌋` with `u`
/// uniform in [0, 1], its start uniform over the positions where it fits. Returns
/// `(start, length)`.
pub fn time_out<R: Rng + ?Sized>(
    data: &mut [f32],
    samples: usize,
    max_fraction: f64,
    rng: &mut R,
) -> Result<(usize, usize), DspError> {
    leads_of(data, samples)?;
    param("max_fraction", (0.0..=1.0).contains(&max_fraction), || {
        format!("{max_fraction} must be in [0, 1]")
    })?;
    let max_len = (max_fraction * samples as f64).floor() as usize;
    let len = ((rng.random::<f64>() * max_len as f64).floor() as usize).min(max_len);
    let start = rng.random_range(0..=samples - len);
    for row in data.chunks_exact_mut(samples) {
        row[start..start + len].fill(0.0);
    }
    Ok((start, len))
}

/// Linear resampling of one lead to `n` samples with PyTorch's `align_corners=False`
/// positions: output i reads source position `(i + 0.5) · len / n − 0.5`, clamped.
pub fn resize_linear(x: &[f32], n: usize) -> Result<Vec<f32>, DspError> {
    if x.is_empty() {
        return Err(DspError::Empty("resize_linear needs at least one sample"));
    }
    let scale = x.len() as f64 / n as f64;
    let last = x.len() - 1;
    Ok((0..n)
        .map(|i| {
            let pos = ((i as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (pos.floor() as usize).min(last);
            let i1 = (i0 + 1).min(last);
            let w = pos - i0 as f64;
            (f64::from(x[i0]) * (1.0 - w) + f64::from(x[i1]) * w) as f32
        })
        .collect())
}

/// Keep a contiguous part of `keep ∈ [min_keep, max_keep]` (uniform) of the length, at a
/// uniform start, and stretch it back to `samples` by linear interpolation (all leads alike).
/// Returns the new `[leads, samples]` buffer and the kept `(start, length)`.
pub fn random_resized_crop<R: Rng + ?Sized>(
    data: &[f32],
    samples: usize,
    min_keep: f64,
    max_keep: f64,
    rng: &mut R,
) -> Result<(Vec<f32>, (usize, usize)), DspError> {
    leads_of(data, samples)?;
    param(
        "min_keep/max_keep",
        min_keep > 0.0 && min_keep <= max_keep && max_keep <= 1.0,
        || format!("need 0 < min_keep <= max_keep <= 1, got {min_keep}, {max_keep}"),
    )?;
    let keep = min_keep + (max_keep - min_keep) * rng.random::<f64>();
    let len = ((keep * samples as f64).round() as usize).clamp(1, samples);
    let start = rng.random_range(0..=samples - len);
    let mut out = Vec::with_capacity(data.len());
    for row in data.chunks_exact(samples) {
        out.extend(resize_linear(&row[start..start + len], samples)?);
    }
    Ok((out, (start, len)))
}

/// One augmentation step with its parameters, for config-driven pipelines.
#[derive(Debug, Clone, PartialEq)]
pub enum Augmentation {
    GaussianNoise {
        std: f64,
    },
    AmplitudeScale {
        lo: f64,
        hi: f64,
        per_lead: bool,
    },
    BaselineWander {
        fs: f64,
        max_amplitude: f64,
        max_freq: f64,
    },
    TimeOut {
        max_fraction: f64,
    },
    RandomResizedCrop {
        min_keep: f64,
        max_keep: f64,
    },
}

impl Augmentation {
    /// Apply in place to a `[leads, samples]` buffer.
    pub fn apply<R: Rng + ?Sized>(
        &self,
        data: &mut [f32],
        samples: usize,
        rng: &mut R,
    ) -> Result<(), DspError> {
        match *self {
            Augmentation::GaussianNoise { std } => gaussian_noise(data, std, rng),
            Augmentation::AmplitudeScale { lo, hi, per_lead } => {
                amplitude_scale(data, samples, lo, hi, per_lead, rng)
            }
            Augmentation::BaselineWander {
                fs,
                max_amplitude,
                max_freq,
            } => baseline_wander(data, samples, fs, max_amplitude, max_freq, rng),
            Augmentation::TimeOut { max_fraction } => {
                time_out(data, samples, max_fraction, rng).map(|_| ())
            }
            Augmentation::RandomResizedCrop { min_keep, max_keep } => {
                let (out, _) = random_resized_crop(data, samples, min_keep, max_keep, rng)?;
                data.copy_from_slice(&out);
                Ok(())
            }
        }
    }
}

/// Apply a list of augmentations in order.
pub fn apply_all<R: Rng + ?Sized>(
    steps: &[Augmentation],
    data: &mut [f32],
    samples: usize,
    rng: &mut R,
) -> Result<(), DspError> {
    for s in steps {
        s.apply(data, samples, rng)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn ramp(leads: usize, samples: usize) -> Vec<f32> {
        (0..leads * samples)
            .map(|i| (i % samples) as f32 + 1.0)
            .collect()
    }

    #[test]
    fn noise_has_the_requested_std_and_is_seeded() {
        let mut a = vec![0.0f32; 20000];
        gaussian_noise(&mut a, 0.1, &mut ChaCha8Rng::seed_from_u64(3)).expect("ok");
        let var = a.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / a.len() as f64;
        assert!((var.sqrt() - 0.1).abs() < 0.003, "{}", var.sqrt());
        let mut b = vec![0.0f32; 20000];
        gaussian_noise(&mut b, 0.1, &mut ChaCha8Rng::seed_from_u64(3)).expect("ok");
        assert_eq!(a, b);
        assert!(gaussian_noise(&mut b, -1.0, &mut ChaCha8Rng::seed_from_u64(3)).is_err());
    }

    #[test]
    fn amplitude_scale_range_and_per_lead() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut x = vec![1.0f32; 30];
        amplitude_scale(&mut x, 10, 0.5, 2.0, true, &mut rng).expect("ok");
        let f: Vec<f32> = x.chunks(10).map(|r| r[0]).collect();
        assert!(f.iter().all(|&v| (0.5..=2.0).contains(&v)));
        assert!(x.chunks(10).all(|r| r.iter().all(|&v| v == r[0])));
        assert!(f[0] != f[1] || f[1] != f[2]);
        let mut y = vec![1.0f32; 30];
        amplitude_scale(&mut y, 10, 0.5, 2.0, false, &mut rng).expect("ok");
        assert!(y.iter().all(|&v| v == y[0]));
    }

    #[test]
    fn baseline_wander_is_bounded() {
        let mut x = vec![0.0f32; 2 * 1000];
        baseline_wander(
            &mut x,
            1000,
            100.0,
            0.2,
            0.5,
            &mut ChaCha8Rng::seed_from_u64(9),
        )
        .expect("ok");
        assert!(x.iter().all(|v| v.abs() <= 0.2 + 1e-6));
        assert!(x.iter().any(|&v| v != 0.0));
        assert!(baseline_wander(
            &mut x,
            1000,
            100.0,
            0.2,
            60.0,
            &mut ChaCha8Rng::seed_from_u64(9)
        )
        .is_err());
    }

    #[test]
    fn time_out_zeroes_one_span_on_all_leads() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut max_seen = 0;
        for _ in 0..300 {
            let mut x = ramp(3, 100);
            let (s, l) = time_out(&mut x, 100, 0.5, &mut rng).expect("ok");
            assert!(l <= 50 && s + l <= 100);
            max_seen = max_seen.max(l);
            for row in x.chunks(100) {
                for (i, &v) in row.iter().enumerate() {
                    assert_eq!(v == 0.0, (s..s + l).contains(&i));
                }
            }
        }
        assert!(max_seen >= 45, "spans reach ~50 %: {max_seen}");
    }

    #[test]
    fn resize_linear_identity_and_stretch() {
        let x = [1.0f32, 2.0, 3.0, 4.0];
        assert_eq!(resize_linear(&x, 4).expect("ok"), x.to_vec());
        // torch.nn.functional.interpolate([1, 2], size=4, mode='linear') = [1, 1.25, 1.75, 2].
        assert_eq!(
            resize_linear(&[1.0, 2.0], 4).expect("ok"),
            vec![1.0, 1.25, 1.75, 2.0]
        );
    }

    #[test]
    fn random_resized_crop_keeps_a_stretched_part() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let x = ramp(2, 200);
        for _ in 0..50 {
            let (y, (s, l)) = random_resized_crop(&x, 200, 0.5, 1.0, &mut rng).expect("ok");
            assert_eq!(y.len(), x.len());
            assert!((100..=200).contains(&l) && s + l <= 200);
            // The ramp's values stay within the kept part, and the ends are near its ends.
            for row in y.chunks(200) {
                assert!(row
                    .iter()
                    .all(|&v| v >= s as f32 + 1.0 && v <= (s + l) as f32));
                assert!((row[0] - (s as f32 + 1.0)).abs() < 0.5);
            }
        }
        let mut rng2 = ChaCha8Rng::seed_from_u64(13);
        let mut a = ramp(2, 200);
        let steps = [
            Augmentation::RandomResizedCrop {
                min_keep: 0.5,
                max_keep: 1.0,
            },
            Augmentation::TimeOut { max_fraction: 0.5 },
            Augmentation::GaussianNoise { std: 0.01 },
        ];
        apply_all(&steps, &mut a, 200, &mut rng2).expect("ok");
        let mut b = ramp(2, 200);
        apply_all(&steps, &mut b, 200, &mut ChaCha8Rng::seed_from_u64(13)).expect("ok");
        assert_eq!(a, b);
    }
}
