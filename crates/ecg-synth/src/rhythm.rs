//! Beat schedules: when each beat's R peak falls and what kind of beat it is, for sinus
//! rhythm with heart-rate variability, atrial fibrillation and flutter, AV blocks,
//! supraventricular tachycardia and ectopic (premature) beats.
//!
//! A schedule covers [`T_START`, `T_END`) so that waves overlapping the 10-s window's
//! edges are rendered; it is rate-independent (drawn once per record).
use rand::Rng;
use rand_distr::{Distribution, Normal};
use std::f64::consts::PI;

/// Schedules start before 0 s so the first samples hold the previous beat's T wave.
pub const T_START: f64 = -1.6;
/// ... and end after the 10-s record.
pub const T_END: f64 = 11.0;

/// What drives a beat (selects its waves when rendered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeatKind {
    /// Sinus (or any conducted supraventricular) beat with its P wave.
    Sinus,
    /// Conducted beat without a visible P wave (AF, flutter, SVT, AV dissociation).
    NoP,
    /// Premature atrial beat: early, ectopic P wave, normal QRS.
    Pac,
    /// Premature ventricular beat: no P, wide bizarre QRS, discordant T.
    Pvc,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beat {
    /// R peak time in seconds (0 = first sample).
    pub t: f64,
    /// Seconds since the previous beat (drives the QT interval).
    pub rr: f64,
    pub kind: BeatKind,
}

/// Continuous atrial activity without discrete P waves.
#[derive(Debug, Clone, PartialEq)]
pub enum Atrial {
    None,
    /// Fibrillatory waves: a few sinusoids at 4–9 Hz (amplitude mV, Hz, phase).
    Fibrillation {
        components: Vec<(f64, f64, f64)>,
        direction: [f64; 3],
    },
    /// Flutter waves: a sawtooth at `rate_hz` (3 Fourier harmonics).
    Flutter {
        amplitude: f64,
        rate_hz: f64,
        phase: f64,
        direction: [f64; 3],
    },
}

/// The underlying rhythm of a record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RhythmKind {
    /// Sinus rhythm at `hr`/min with respiratory (`resp`, fraction of RR) and slow
    /// (`lf`) modulation plus beat-to-beat jitter (`jitter_s`).
    Sinus {
        hr: f64,
        resp: f64,
        lf: f64,
        jitter_s: f64,
    },
    /// Atrial fibrillation: independent RR intervals, log-normal with `cv`.
    Fibrillation { hr: f64, cv: f64 },
    /// Atrial flutter at `atrial_hr` with `ratio`:1 conduction (variable when `variable`).
    Flutter {
        atrial_hr: f64,
        ratio: u32,
        variable: bool,
    },
    /// Regular supraventricular tachycardia without visible P waves.
    Svt { hr: f64 },
    /// Second-degree AV block: every `every`-th P wave is not conducted.
    Avb2 { hr: f64, every: usize },
    /// Third-degree AV block: atria at `atrial_hr`, ventricles (escape) at `hr`.
    Avb3 { atrial_hr: f64, hr: f64 },
}

/// Beats replaced by premature ones after the rhythm is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ectopy {
    /// Number of isolated premature ventricular beats.
    pub pvc: usize,
    /// Number of isolated premature atrial beats.
    pub pac: usize,
    /// Every n-th beat is a PVC (2 = bigeminy, 3 = trigeminy).
    pub pvc_every: Option<usize>,
}

/// The beats and the P waves that conduct no beat.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub beats: Vec<Beat>,
    /// Times of P-wave centres without a following QRS (AV block).
    pub lone_p: Vec<f64>,
}

fn normal<R: Rng + ?Sized>(rng: &mut R, sd: f64) -> f64 {
    Normal::new(0.0, sd).map(|d| d.sample(rng)).unwrap_or(0.0)
}

/// Lay out the beats of `kind`, then apply `ectopy`.
pub fn schedule<R: Rng + ?Sized>(kind: RhythmKind, ectopy: Ectopy, rng: &mut R) -> Schedule {
    let mut times: Vec<(f64, BeatKind)> = Vec::new();
    let mut lone_p = Vec::new();
    match kind {
        RhythmKind::Sinus {
            hr,
            resp,
            lf,
            jitter_s,
        } => {
            let rr0 = 60.0 / hr;
            let (fr, pr) = (
                rng.random_range(0.15..0.35),
                rng.random_range(0.0..2.0 * PI),
            );
            let (fl, pl) = (
                rng.random_range(0.04..0.12),
                rng.random_range(0.0..2.0 * PI),
            );
            let mut t = T_START + rng.random_range(0.0..rr0);
            while t < T_END {
                times.push((t, BeatKind::Sinus));
                let m = 1.0
                    + resp * (2.0 * PI * fr * t + pr).sin()
                    + lf * (2.0 * PI * fl * t + pl).sin();
                t += (rr0 * m + normal(rng, jitter_s)).max(0.25);
            }
        }
        RhythmKind::Fibrillation { hr, cv } => {
            let rr0 = 60.0 / hr;
            let mut t = T_START + rng.random_range(0.0..rr0);
            while t < T_END {
                times.push((t, BeatKind::NoP));
                t += (rr0 * (normal(rng, cv) - cv * cv / 2.0).exp()).clamp(0.28, 2.2);
            }
        }
        RhythmKind::Flutter {
            atrial_hr,
            ratio,
            variable,
        } => {
            let ta = 60.0 / atrial_hr;
            let mut t = T_START + rng.random_range(0.0..ta * ratio as f64);
            while t < T_END {
                times.push((t, BeatKind::NoP));
                let k = if variable {
                    rng.random_range(2..=4)
                } else {
                    ratio
                };
                t += ta * k as f64;
            }
        }
        RhythmKind::Svt { hr } => {
            let rr0 = 60.0 / hr;
            let mut t = T_START + rng.random_range(0.0..rr0);
            while t < T_END {
                times.push((t, BeatKind::NoP));
                t += rr0 + normal(rng, 0.004);
            }
        }
        RhythmKind::Avb2 { hr, every } => {
            let rr0 = 60.0 / hr;
            let mut t = T_START + rng.random_range(0.0..rr0);
            let mut i = rng.random_range(0..every.max(1));
            while t < T_END {
                i += 1;
                if i % every.max(2) == 0 {
                    lone_p.push(t);
                } else {
                    times.push((t, BeatKind::Sinus));
                }
                t += rr0 + normal(rng, 0.015);
            }
        }
        RhythmKind::Avb3 { atrial_hr, hr } => {
            let (ta, rr0) = (60.0 / atrial_hr, 60.0 / hr);
            let mut t = T_START + rng.random_range(0.0..ta);
            while t < T_END {
                lone_p.push(t);
                t += ta + normal(rng, 0.01);
            }
            let mut t = T_START + rng.random_range(0.0..rr0);
            while t < T_END {
                times.push((t, BeatKind::NoP));
                t += rr0 + normal(rng, 0.01);
            }
        }
    }
    apply_ectopy(&mut times, ectopy, rng);
    let mut beats = Vec::with_capacity(times.len());
    let mut prev: Option<f64> = None;
    for (t, kind) in times {
        let rr = prev.map(|p| t - p).unwrap_or(0.8);
        beats.push(Beat { t, rr, kind });
        prev = Some(t);
    }
    Schedule { beats, lone_p }
}

/// Move chosen beats earlier (coupling 55–80 % of the cycle) and mark them premature;
/// the following beat keeps its time (compensatory pause).
fn apply_ectopy<R: Rng + ?Sized>(times: &mut [(f64, BeatKind)], e: Ectopy, rng: &mut R) {
    // beats inside the visible window, with a predecessor
    let visible: Vec<usize> = (1..times.len())
        .filter(|&i| (0.3..9.7).contains(&times[i].0))
        .collect();
    if visible.is_empty() {
        return;
    }
    fn make<R: Rng + ?Sized>(times: &mut [(f64, BeatKind)], i: usize, kind: BeatKind, rng: &mut R) {
        let c = match kind {
            BeatKind::Pvc => rng.random_range(0.55..0.7),
            _ => rng.random_range(0.65..0.8),
        };
        times[i].0 = times[i - 1].0 + c * (times[i].0 - times[i - 1].0);
        times[i].1 = kind;
    }
    if let Some(n) = e.pvc_every {
        let start = rng.random_range(0..n.max(1));
        for &i in visible.iter().skip(start).step_by(n.max(2)) {
            make(times, i, BeatKind::Pvc, rng);
        }
    }
    for (count, kind) in [(e.pvc, BeatKind::Pvc), (e.pac, BeatKind::Pac)] {
        for _ in 0..count {
            let i = visible[rng.random_range(0..visible.len())];
            // keep ectopics isolated: neither neighbour already premature
            let free = |j: usize| {
                times
                    .get(j)
                    .is_none_or(|b| matches!(b.1, BeatKind::Sinus | BeatKind::NoP))
            };
            if free(i) && free(i - 1) && free(i + 1) {
                make(times, i, kind, rng);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rr_cv(s: &Schedule) -> f64 {
        let rr: Vec<f64> = s.beats.iter().skip(1).map(|b| b.rr).collect();
        let m = rr.iter().sum::<f64>() / rr.len() as f64;
        (rr.iter().map(|r| (r - m).powi(2)).sum::<f64>() / rr.len() as f64).sqrt() / m
    }

    #[test]
    fn sinus_is_regular_and_afib_is_not() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let s = schedule(
            RhythmKind::Sinus {
                hr: 70.0,
                resp: 0.02,
                lf: 0.01,
                jitter_s: 0.01,
            },
            Ectopy::default(),
            &mut rng,
        );
        let a = schedule(
            RhythmKind::Fibrillation { hr: 90.0, cv: 0.25 },
            Ectopy::default(),
            &mut rng,
        );
        assert!(rr_cv(&s) < 0.06, "{}", rr_cv(&s));
        assert!(rr_cv(&a) > 0.12, "{}", rr_cv(&a));
        let n10 = s
            .beats
            .iter()
            .filter(|b| (0.0..10.0).contains(&b.t))
            .count();
        assert!((10..=13).contains(&n10), "{n10} beats at 70/min");
    }

    #[test]
    fn bigeminy_alternates() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let s = schedule(
            RhythmKind::Sinus {
                hr: 70.0,
                resp: 0.0,
                lf: 0.0,
                jitter_s: 0.0,
            },
            Ectopy {
                pvc_every: Some(2),
                ..Default::default()
            },
            &mut rng,
        );
        let k: Vec<BeatKind> = s
            .beats
            .iter()
            .filter(|b| (1.0..9.0).contains(&b.t))
            .map(|b| b.kind)
            .collect();
        assert!(k.windows(2).all(|w| w[0] != w[1]), "{k:?}");
    }
}
