//! From a record's heart, beat schedule, electrode geometry and noise to 12 lead signals
//! at a sampling rate; and from physical to digital values.
//!
//! The model is continuous in time, so every rate is sampled from the same record: each
//! Gaussian event is first widened by the analytic equivalent of an anti-alias filter
//! (a Gaussian of σ = 0.3 / rate s, area preserved), then sampled.
use crate::effects::RecordHeart;
use crate::morphology::{dot, LeadSystem, Morphology, Wave};
use crate::noise::Noise;
use crate::rhythm::{Atrial, BeatKind, Schedule};
use std::f64::consts::TAU;

/// Record length in seconds (PTB-XL).
pub const DURATION_S: f64 = 10.0;
/// ADC gain: digital units per mV (PTB-XL: 1000, i.e. 1 µV per unit).
pub const GAIN: f64 = 1000.0;

/// Everything needed to render one record at any rate.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSpec {
    pub ecg_id: u32,
    pub heart: RecordHeart,
    pub schedule: Schedule,
    pub leads: LeadSystem,
    pub noise: Noise,
}

/// 12 lead signals in mV, PTB-XL lead order ([`crate::LEAD_NAMES`]), each `10 · rate` samples.
pub type Leads12 = [Vec<f64>; 12];

fn add_wave(dipole: &mut [Vec<f64>; 3], w: &Wave, centre: f64, rate: f64) {
    let sf = 0.3 / rate;
    let width = (w.width * w.width + sf * sf).sqrt();
    let amp = w.width / width;
    let n = dipole[0].len() as i64;
    let lo = (((centre - 4.0 * width) * rate).ceil() as i64).max(0);
    let hi = (((centre + 4.0 * width) * rate).floor() as i64).min(n - 1);
    let inv = 1.0 / (2.0 * width * width);
    for i in lo..=hi {
        let dt = i as f64 / rate - centre;
        let g = amp * (-dt * dt * inv).exp();
        let i = i as usize;
        dipole[0][i] += w.vector[0] * g;
        dipole[1][i] += w.vector[1] * g;
        dipole[2][i] += w.vector[2] * g;
    }
}

fn add_beat(dipole: &mut [Vec<f64>; 3], m: &Morphology, r: f64, rr: f64, with_p: bool, rate: f64) {
    if with_p {
        for w in &m.p {
            add_wave(dipole, w, r - m.pr + w.offset, rate);
        }
    }
    if let Some(s) = &m.spike {
        add_wave(dipole, s, r + s.offset, rate);
    }
    for w in &m.qrs {
        add_wave(dipole, w, r + w.offset, rate);
    }
    let k = rr.clamp(0.3, 2.0).sqrt() * m.qt_scale;
    for w in m.st.iter().chain(&m.t) {
        let scaled = Wave {
            offset: w.offset * k,
            width: w.width * k.sqrt(),
            vector: w.vector,
        };
        add_wave(dipole, &scaled, r + scaled.offset, rate);
    }
}

/// The noise-free cardiac dipole [x, y, z] at `rate` (mV).
pub fn dipole(spec: &RecordSpec, rate: u32) -> [Vec<f64>; 3] {
    let n = (DURATION_S * rate as f64).round() as usize;
    let fs = rate as f64;
    let mut d = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let h = &spec.heart;
    for b in &spec.schedule.beats {
        match b.kind {
            BeatKind::Sinus => add_beat(&mut d, &h.morph, b.t, b.rr, true, fs),
            BeatKind::NoP => add_beat(&mut d, &h.morph, b.t, b.rr, false, fs),
            BeatKind::Pac => {
                // ectopic atrial focus: low-atrial P (inverted in the inferior leads)
                let mut m = h.morph.clone();
                for p in &mut m.p {
                    p.vector[1] = -p.vector[1];
                }
                add_beat(&mut d, &m, b.t, b.rr, true, fs)
            }
            BeatKind::Pvc => add_beat(&mut d, &h.pvc, b.t, b.rr, false, fs),
        }
    }
    for &t in &spec.schedule.lone_p {
        for w in &h.morph.p {
            add_wave(&mut d, w, t + w.offset, fs);
        }
    }
    match &h.atrial {
        Atrial::None => {}
        Atrial::Fibrillation {
            components,
            direction,
        } => {
            for i in 0..n {
                let t = i as f64 / fs;
                let a: f64 = components
                    .iter()
                    .map(|&(a, f, p)| a * (TAU * f * t + p).sin())
                    .sum();
                for c in 0..3 {
                    d[c][i] += direction[c] * a;
                }
            }
        }
        Atrial::Flutter {
            amplitude,
            rate_hz,
            phase,
            direction,
        } => {
            for i in 0..n {
                let t = i as f64 / fs;
                // sawtooth: Σ sin(kωt)/k, 3 harmonics (all below 50 Hz)
                let a: f64 = (1..=3)
                    .map(|k| (k as f64 * (TAU * rate_hz * t + phase)).sin() / k as f64)
                    .sum::<f64>()
                    * amplitude
                    * 0.6;
                for c in 0..3 {
                    d[c][i] += direction[c] * a;
                }
            }
        }
    }
    d
}

/// Render the 12 leads at `rate` (100 or 500 Hz), in mV, with or without noise.
///
/// I, II and V1–V6 are projections of the dipole on the patient's lead vectors, plus
/// noise; III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2 exactly (in f64,
/// before quantisation).
pub fn render(spec: &RecordSpec, rate: u32, noise: bool) -> Leads12 {
    let d = dipole(spec, rate);
    let n = d[0].len();
    let mut ind: Vec<Vec<f64>> = spec
        .leads
        .vectors
        .iter()
        .map(|v| {
            (0..n)
                .map(|i| dot(*v, [d[0][i], d[1][i], d[2][i]]))
                .collect()
        })
        .collect();
    if noise {
        spec.noise.add_to(&mut ind, rate);
    }
    let (i1, i2) = (&ind[0], &ind[1]);
    let iii: Vec<f64> = (0..n).map(|k| i2[k] - i1[k]).collect();
    let avr: Vec<f64> = (0..n).map(|k| -(i1[k] + i2[k]) / 2.0).collect();
    let avl: Vec<f64> = (0..n).map(|k| i1[k] - i2[k] / 2.0).collect();
    let avf: Vec<f64> = (0..n).map(|k| i2[k] - i1[k] / 2.0).collect();
    let mut it = ind.into_iter();
    let mut next = || it.next().unwrap_or_default();
    let (l1, l2) = (next(), next());
    [
        l1,
        l2,
        iii,
        avr,
        avl,
        avf,
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    ]
}

/// Physical (mV) to digital (µV units, gain 1000, baseline 0), rounded half away from
/// zero and clipped to ±32767 (−32768 is format 16's invalid-sample marker).
pub fn quantise(leads: &Leads12) -> Vec<Vec<i32>> {
    leads
        .iter()
        .map(|l| {
            l.iter()
                .map(|&v| (v * GAIN).round().clamp(-32767.0, 32767.0) as i32)
                .collect()
        })
        .collect()
}
