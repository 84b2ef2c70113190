//! Training-time augmentations of one crop `[leads * len]`, driven by a per-record RNG.
//! (Minimal set used by the configs; ecg-dsp holds the general signal augmentations.)
use crate::config::AugmentConfig;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Applies, in order: amplitude scaling, Gaussian noise, time-out. A zero setting skips
/// the step without drawing from the RNG.
pub fn apply(x: &mut [f32], leads: usize, len: usize, cfg: &AugmentConfig, rng: &mut ChaCha8Rng) {
    if cfg.amplitude_scale > 0.0 {
        let f = rng.random_range(1.0 - cfg.amplitude_scale..=1.0 + cfg.amplitude_scale) as f32;
        x.iter_mut().for_each(|v| *v *= f);
    }
    if cfg.gaussian_noise > 0.0 {
        if let Ok(n) = Normal::new(0.0f32, cfg.gaussian_noise as f32) {
            x.iter_mut().for_each(|v| *v += n.sample(rng));
        }
    }
    if cfg.time_out > 0.0 && len > 0 {
        let span = rng.random_range(0..=((cfg.time_out * len as f64) as usize).min(len));
        let start = rng.random_range(0..=len - span);
        for l in 0..leads {
            x[l * len + start..l * len + start + span]
                .iter_mut()
                .for_each(|v| *v = 0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn zero_config_is_identity_and_timeout_zeroes_all_leads() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut x: Vec<f32> = (0..20).map(|v| v as f32 + 1.0).collect();
        let orig = x.clone();
        apply(&mut x, 2, 10, &AugmentConfig::default(), &mut rng);
        assert_eq!(x, orig);
        let cfg = AugmentConfig {
            time_out: 1.0,
            ..Default::default()
        };
        let mut zeroed_equal = false;
        for _ in 0..20 {
            let mut y = orig.clone();
            apply(&mut y, 2, 10, &cfg, &mut rng);
            let z0: Vec<bool> = y[..10].iter().map(|v| *v == 0.0).collect();
            let z1: Vec<bool> = y[10..].iter().map(|v| *v == 0.0).collect();
            assert_eq!(z0, z1, "time-out spans all leads alike");
            zeroed_equal |= z0.iter().any(|z| *z);
        }
        assert!(zeroed_equal);
    }
}
