//! Training-time augmentations of one crop `[leads * len]`, built from `ecg_dsp::augment`
//! and driven by the record's RNG.
//!
//! Invariant: the draws depend on the record and on the *standard* lead index, not on how
//! many leads the crop holds, so two views of one record (the 12-lead teacher's and a
//! single-lead student's, MVKT-ECG, Qin et al. 2023) receive the same amplitude factor, the same time-out
//! span and, lead for lead, the same noise.
use crate::config::AugmentConfig;
use crate::data::mix_seed;
use crate::error::TrainError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Applies, in order: amplitude scaling (one factor per record), Gaussian noise (an RNG per
/// standard lead, seeded from one record draw), time-out (one span on all leads). A zero
/// setting skips the step without drawing from the RNG. `standard_leads[i]` is the standard
/// lead index (0 = I … 11 = V6) of row `i` of `x`.
pub fn apply(
    x: &mut [f32],
    standard_leads: &[usize],
    len: usize,
    cfg: &AugmentConfig,
    rng: &mut ChaCha8Rng,
) -> Result<(), TrainError> {
    let dsp = |e: ecg_dsp::DspError| TrainError::Data(format!("augment: {e}"));
    if x.len() != standard_leads.len() * len {
        return Err(TrainError::Data(format!(
            "augment: crop of {} values is not {} leads × {len} samples",
            x.len(),
            standard_leads.len()
        )));
    }
    if cfg.amplitude_scale > 0.0 {
        let s = cfg.amplitude_scale;
        ecg_dsp::augment::amplitude_scale(x, len, 1.0 - s, 1.0 + s, false, rng).map_err(dsp)?;
    }
    if cfg.gaussian_noise > 0.0 {
        let base: u64 = rng.random();
        for (row, &lead) in x.chunks_exact_mut(len).zip(standard_leads) {
            let mut lead_rng = ChaCha8Rng::seed_from_u64(mix_seed(base, &[lead as u64]));
            ecg_dsp::augment::gaussian_noise(row, cfg.gaussian_noise, &mut lead_rng)
                .map_err(dsp)?;
        }
    }
    if cfg.time_out > 0.0 {
        ecg_dsp::augment::time_out(x, len, cfg.time_out, rng).map_err(dsp)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_config_is_identity_and_timeout_zeroes_all_leads() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut x: Vec<f32> = (0..20).map(|v| v as f32 + 1.0).collect();
        let orig = x.clone();
        apply(&mut x, &[0, 1], 10, &AugmentConfig::default(), &mut rng).expect("ok");
        assert_eq!(x, orig);
        let cfg = AugmentConfig {
            time_out: 1.0,
            ..Default::default()
        };
        let mut zeroed_equal = false;
        for _ in 0..20 {
            let mut y = orig.clone();
            apply(&mut y, &[0, 1], 10, &cfg, &mut rng).expect("ok");
            let z0: Vec<bool> = y[..10].iter().map(|v| *v == 0.0).collect();
            let z1: Vec<bool> = y[10..].iter().map(|v| *v == 0.0).collect();
            assert_eq!(z0, z1, "time-out spans all leads alike");
            zeroed_equal |= z0.iter().any(|z| *z);
        }
        assert!(zeroed_equal);
    }

    #[test]
    fn a_lead_gets_the_same_augmentation_in_every_view() {
        let cfg = AugmentConfig {
            amplitude_scale: 0.2,
            gaussian_noise: 0.3,
            time_out: 0.5,
        };
        let len = 50;
        // Twelve leads, lead k holding the constant k + 1.
        let full: Vec<f32> = (0..12)
            .flat_map(|k| std::iter::repeat_n(k as f32 + 1.0, len))
            .collect();
        for seed in 0..10 {
            let mut a = full.clone();
            let all: Vec<usize> = (0..12).collect();
            apply(
                &mut a,
                &all,
                len,
                &cfg,
                &mut ChaCha8Rng::seed_from_u64(seed),
            )
            .expect("ok");
            // The single-lead view of lead II (index 1), and a two-lead view (V6, I).
            let mut b = full[len..2 * len].to_vec();
            apply(
                &mut b,
                &[1],
                len,
                &cfg,
                &mut ChaCha8Rng::seed_from_u64(seed),
            )
            .expect("ok");
            assert_eq!(b, a[len..2 * len], "seed {seed}");
            let mut c = [&full[11 * len..], &full[..len]].concat();
            apply(
                &mut c,
                &[11, 0],
                len,
                &cfg,
                &mut ChaCha8Rng::seed_from_u64(seed),
            )
            .expect("ok");
            assert_eq!(c[..len], a[11 * len..], "seed {seed}");
            assert_eq!(c[len..], a[..len], "seed {seed}");
            assert_ne!(a, full, "something was applied");
        }
    }

    #[test]
    fn a_wrong_shape_is_an_error() {
        let mut x = vec![0.0f32; 21];
        let e = apply(
            &mut x,
            &[0, 1],
            10,
            &AugmentConfig::default(),
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap_err();
        assert!(e.to_string().contains("2 leads × 10"), "{e}");
    }
}
