//! Recording noise, added to the 8 independent leads (I, II, V1–V6) before III, aVR, aVL
//! and aVF are derived, so the lead relations hold for the noisy signals too:
//!
//! - baseline wander: per lead two sinusoids at 0.05–0.5 Hz plus a shared respiratory
//!   one (0.15–0.4 Hz), amplitude scaled by a per-record level;
//! - muscle (EMG) noise: white Gaussian noise at 500 Hz smoothed by [¼, ½, ¼]; the 100 Hz
//!   signal takes the mean of each 5 samples (PTB-XL's 100 Hz files are decimated from
//!   500 Hz, whose anti-alias filter removes most of the EMG band);
//! - power-line interference: 50 Hz (German mains), only at 500 Hz (at 100 Hz it sits at
//!   Nyquist and PTB-XL's decimation removed it).
//!
//! All of it is drawn once per record (at 500 Hz), so both rates show the same noise.
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::TAU;

/// The rate the noise is drawn at.
pub const NOISE_RATE: u32 = 500;
/// Samples per lead at [`NOISE_RATE`] over 10 s.
pub const NOISE_SAMPLES: usize = 5000;

/// One record's noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Noise {
    /// Per independent lead: (amplitude mV, Hz, phase) sinusoids.
    pub wander: [[(f64, f64, f64); 2]; 8],
    /// Shared respiratory wander: per-lead amplitude, Hz, phase.
    pub resp: ([f64; 8], f64, f64),
    /// EMG standard deviation per lead (mV).
    pub emg_sd: [f64; 8],
    /// Unit-variance smoothed EMG at 500 Hz, [8 × 5000] row-major.
    pub emg: Vec<f32>,
    /// 50 Hz amplitude (mV) and per-lead phase.
    pub mains: (f64, [f64; 8]),
}

impl Noise {
    /// `wander_level` and `emg_level` are multipliers (1 = typical; the database's
    /// `baseline_drift` / `static_noise` columns raise them).
    pub fn draw<R: Rng + ?Sized>(rng: &mut R, wander_level: f64, emg_level: f64) -> Noise {
        let mut wander = [[(0.0, 0.0, 0.0); 2]; 8];
        for lead in &mut wander {
            for s in lead.iter_mut() {
                *s = (
                    wander_level * rng.random_range(0.005..0.06),
                    rng.random_range(0.05..0.5),
                    rng.random_range(0.0..TAU),
                );
            }
        }
        let mut resp_amp = [0.0; 8];
        for a in &mut resp_amp {
            *a = wander_level * rng.random_range(0.0..0.05);
        }
        let resp = (
            resp_amp,
            rng.random_range(0.15..0.4),
            rng.random_range(0.0..TAU),
        );
        let base_emg = rng.random_range(0.003..0.02);
        let mut emg_sd = [0.0; 8];
        for s in &mut emg_sd {
            *s = emg_level * base_emg * rng.random_range(0.6..1.4);
        }
        let mut emg = Vec::with_capacity(8 * NOISE_SAMPLES);
        let mut white = vec![0.0f32; NOISE_SAMPLES + 2];
        for _ in 0..8 {
            for w in &mut white {
                *w = StandardNormal.sample(rng);
            }
            // [1/4, 1/2, 1/4] has gain sqrt(3/8) on white noise; renormalise to unit sd.
            let k = (8.0f32 / 3.0).sqrt();
            emg.extend(
                white
                    .windows(3)
                    .map(|w| k * (0.25 * w[0] + 0.5 * w[1] + 0.25 * w[2])),
            );
        }
        let mut phases = [0.0; 8];
        for p in &mut phases {
            *p = rng.random_range(0.0..TAU);
        }
        let mains = (rng.random_range(0.0..0.015), phases);
        Noise {
            wander,
            resp,
            emg_sd,
            emg,
            mains,
        }
    }

    /// Add this noise to the 8 independent leads (`leads[i]` has `n` samples at `rate`,
    /// which divides 500).
    pub fn add_to(&self, leads: &mut [Vec<f64>], rate: u32) {
        let factor = (NOISE_RATE / rate.max(1)) as usize;
        for (l, sig) in leads.iter_mut().enumerate().take(8) {
            let emg = &self.emg[l * NOISE_SAMPLES..(l + 1) * NOISE_SAMPLES];
            let (ra, rf, rp) = (self.resp.0[l], self.resp.1, self.resp.2);
            for (i, v) in sig.iter_mut().enumerate() {
                let t = i as f64 / rate as f64;
                let mut x = ra * (TAU * rf * t + rp).sin();
                for &(a, f, p) in &self.wander[l] {
                    x += a * (TAU * f * t + p).sin();
                }
                let e =
                    &emg[(i * factor).min(NOISE_SAMPLES)..((i + 1) * factor).min(NOISE_SAMPLES)];
                if !e.is_empty() {
                    x += self.emg_sd[l] * e.iter().map(|&v| v as f64).sum::<f64>() / e.len() as f64;
                }
                if rate >= 2 * 50 + 1 {
                    x += self.mains.0 * (TAU * 50.0 * t + self.mains.1[l]).sin();
                }
                *v += x;
            }
        }
    }
}
