//! How hard the synthetic benchmark is: three multipliers on the generator's spreads.
//!
//! - `effect` multiplies every statement's strength `s` (smaller = subtler ST shifts, Q
//!   waves, T inversions, voltage and interval changes; effects with a fixed part, such as a
//!   bundle branch block's QRS or atrial fibrillation, stay recognisable);
//! - `noise` multiplies the recording noise (baseline wander and EMG);
//! - `variation` multiplies the between-patient spread (heart rotation, amplitude, per-wave
//!   vectors and widths, resting rate) and the per-record electrode spread.
//!
//! [`Difficulty::EASY`] (all 1) is the generator as it always was: its output is
//! byte-identical to the files written before this setting existed. A number `d ≥ 0`
//! means `effect = 1 / (1 + d)`, `noise = 1 + 2d`, `variation = 1 + d / 2`; the names are
//! `easy` (0), `medium` (1) and `hard` (2).
use crate::error::{Result, SynthError};

/// Multipliers on the generator's spreads (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difficulty {
    pub effect: f64,
    pub noise: f64,
    pub variation: f64,
}

impl Default for Difficulty {
    fn default() -> Self {
        Difficulty::EASY
    }
}

impl Difficulty {
    /// The generator as it always was (byte-identical output).
    pub const EASY: Difficulty = Difficulty {
        effect: 1.0,
        noise: 1.0,
        variation: 1.0,
    };
    /// Names and their levels.
    pub const NAMES: [(&'static str, f64); 3] = [("easy", 0.0), ("medium", 1.0), ("hard", 2.0)];

    /// The difficulty of level `d ≥ 0` (0 = [`Difficulty::EASY`] exactly).
    pub fn level(d: f64) -> Result<Difficulty> {
        if !d.is_finite() || !(0.0..=10.0).contains(&d) {
            return Err(SynthError::Config {
                field: "difficulty",
                msg: format!("{d} is outside 0..=10"),
            });
        }
        Ok(Difficulty {
            effect: 1.0 / (1.0 + d),
            noise: 1.0 + 2.0 * d,
            variation: 1.0 + 0.5 * d,
        })
    }

    /// `easy`, `medium`, `hard` or a number in 0..=10.
    pub fn parse(s: &str) -> Result<Difficulty> {
        let s = s.trim();
        if let Some((_, d)) = Self::NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
            return Self::level(*d);
        }
        match s.parse::<f64>() {
            Ok(d) => Self::level(d),
            Err(_) => Err(SynthError::Config {
                field: "difficulty",
                msg: format!("`{s}` is neither easy, medium, hard nor a number in 0..=10"),
            }),
        }
    }
}

impl std::str::FromStr for Difficulty {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Difficulty> {
        Difficulty::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Difficulty::parse("easy").unwrap(), Difficulty::EASY);
        assert_eq!(Difficulty::parse("0").unwrap(), Difficulty::EASY);
        let h = Difficulty::parse("HARD").unwrap();
        assert_eq!(h, Difficulty::parse("2").unwrap());
        assert!((h.effect - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!((h.noise, h.variation), (5.0, 2.0));
        assert!(Difficulty::parse("extreme").is_err());
        assert!(Difficulty::parse("-1").is_err());
        assert!(Difficulty::parse("NaN").is_err());
    }
}
