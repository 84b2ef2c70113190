//! A synthetic stand-in for the PhysioNet/CinC Challenge 2021 training set (Reyna et al.
//! 2021), in its layout: `training/<source>/g1/<name>.hea` + `<name>.mat` (MATLAB v4 `val`
//! int16 matrix; the header reads it as WFDB format 16 with a 24-byte offset, `16+24`),
//! comments `#Age`, `#Sex`, `#Dx` (SNOMED-CT codes), `#Rx`, `#Hx`, `#Sx` written as the
//! organisers write them (no space after `#`).
//!
//! Six sources at their own rates and lengths: cpsc_2018 (`A`, 500 Hz, 8–20 s),
//! st_petersburg_incart (`I`, 257 Hz, 30 s), ptb (`S`, 1000 Hz, 12 s), ptb-xl (`HR`, 500 Hz,
//! 10 s), georgia (`E`, 500 Hz, 10 s), ningbo (`JS`, 500 Hz, 10 s). Each record has 1–3
//! codes drawn from the 26 scored classes (either code of an equivalent pair), sometimes an
//! unscored code as well, and about 4 % only unscored codes. Waveforms are simple and
//! label-dependent (heart rate for sinus brady-/tachycardia, irregular RR without P waves
//! for atrial fibrillation, wide QRS for bundle branch blocks, inverted T for T-wave
//! abnormalities): enough for a pipeline test, not a physiological model.
//!
//! Deterministic: each record draws from an RNG keyed by (seed, index); records are written
//! in parallel, byte-identical for any thread count.
use crate::error::{Result, SynthError};
use crate::plan::rng_for;
use ecg_io::cinc2021::LEADS;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// (folder, name prefix, rate Hz, seconds min, seconds max, name digits)
const SOURCES: [(&str, &str, u32, f64, f64, usize); 6] = [
    ("cpsc_2018", "A", 500, 8.0, 20.0, 4),
    ("st_petersburg_incart", "I", 257, 30.0, 30.0, 4),
    ("ptb", "S", 1000, 12.0, 12.0, 4),
    ("ptb-xl", "HR", 500, 10.0, 10.0, 5),
    ("georgia", "E", 500, 10.0, 10.0, 5),
    ("ningbo", "JS", 500, 10.0, 10.0, 5),
];

/// Unscored codes (from the organisers' dx_mapping_unscored.csv) the generator also uses.
const UNSCORED: [&str; 3] = ["164884008", "429622005", "55827005"];

const GAIN: f64 = 1000.0;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct CincConfig {
    pub records: usize,
    pub seed: u64,
}

/// One generated record (for tests and summaries).
#[derive(Debug, Clone, PartialEq)]
pub struct CincRecord {
    pub path: PathBuf,
    pub source: &'static str,
    pub rate: u32,
    pub dx: Vec<String>,
}

/// Record i's source: round-robin, so every source appears once there are six records.
fn source_of(i: usize) -> (&'static str, &'static str, u32, f64, f64, usize) {
    SOURCES[i % SOURCES.len()]
}

fn draw_dx<R: Rng>(rng: &mut R, classes: &[Vec<String>]) -> Vec<String> {
    if rng.random::<f64>() < 0.04 {
        return vec![UNSCORED[rng.random_range(0..UNSCORED.len())].to_string()];
    }
    let k = rng.random_range(1..=3usize);
    let mut dx: Vec<String> = Vec::new();
    while dx.len() < k {
        let class = &classes[rng.random_range(0..classes.len())];
        let code = class[rng.random_range(0..class.len())].clone();
        if !dx.contains(&code) {
            dx.push(code);
        }
    }
    if rng.random::<f64>() < 0.15 {
        dx.push(UNSCORED[rng.random_range(0..UNSCORED.len())].to_string());
    }
    dx
}

/// Per-lead projections of the P, QRS and T waves (mV at unit amplitude).
const PROJ: [[f64; 3]; 12] = [
    [0.10, 0.9, 0.25],
    [0.15, 1.3, 0.35],
    [0.05, 0.4, 0.10],
    [-0.12, -1.1, -0.3],
    [0.03, 0.25, 0.08],
    [0.10, 0.85, 0.22],
    [0.06, -0.9, -0.1],
    [0.08, -0.5, 0.5],
    [0.08, 0.4, 0.55],
    [0.08, 1.2, 0.5],
    [0.07, 1.4, 0.4],
    [0.06, 1.1, 0.3],
];

fn gauss(t: f64, mu: f64, sigma: f64) -> f64 {
    (-(t - mu) * (t - mu) / (2.0 * sigma * sigma)).exp()
}

/// The record's 12 leads in ADC units (1 µV), // [leads][samples].
fn render<R: Rng>(rng: &mut R, dx: &[String], rate: u32, samples: usize) -> Vec<Vec<i32>> {
    let has = |c: &[&str]| dx.iter().any(|d| c.contains(&d.as_str()));
    let af = has(&["164889003", "164890007"]);
    let wide = has(&[
        "6374002",
        "733534002",
        "164909002",
        "713427006",
        "59118001",
        "698252002",
    ]);
    let t_inv = has(&["164934002", "59931005"]);
    let hr: f64 = if has(&["426177001", "426627000"]) {
        rng.random_range(42.0..56.0)
    } else if has(&["427084000"]) {
        rng.random_range(105.0..140.0)
    } else {
        rng.random_range(60.0..95.0)
    };
    let dur = samples as f64 / f64::from(rate);
    let mut beats = Vec::new();
    let mut t = rng.random_range(0.0..0.5);
    while t < dur + 1.0 {
        beats.push(t);
        let rr = 60.0 / hr;
        t += if af {
            rr * rng.random_range(0.6..1.4)
        } else {
            rr * rng.random_range(0.97..1.03)
        };
    }
    let qrs_sigma = if wide { 0.030 } else { 0.012 };
    let t_sign = if t_inv { -1.0 } else { 1.0 };
    let amp: f64 = rng.random_range(0.8..1.2);
    // The three wave components once per sample (beats are in time order, so only the
    // ones within 1 s of the sample are visited), then projected onto each lead.
    let mut waves = vec![[0f64; 3]; samples];
    let mut first = 0;
    for (s, w) in waves.iter_mut().enumerate() {
        let time = s as f64 / f64::from(rate);
        while first < beats.len() && beats[first] < time - 1.0 {
            first += 1;
        }
        for &b in beats[first..].iter().take_while(|&&b| b < time + 1.0) {
            if !af {
                w[0] += gauss(time, b - 0.16, 0.02);
            }
            w[1] += gauss(time, b, qrs_sigma);
            w[2] += t_sign * gauss(time, b + 0.28, 0.05);
        }
    }
    (0..LEADS.len())
        .map(|l| {
            let [p, q, tw] = PROJ[l];
            waves
                .iter()
                .map(|w| {
                    let z: f64 = rng.sample(StandardNormal);
                    let mv = amp * (p * w[0] + q * w[1] + tw * w[2]) + 0.01 * z;
                    (mv * GAIN).round().clamp(-32767.0, 32767.0) as i32
                })
                .collect()
        })
        .collect()
}

fn write_one(out: &Path, i: usize, seed: u64, classes: &[Vec<String>]) -> Result<CincRecord> {
    let (folder, prefix, rate, lo, hi, digits) = source_of(i);
    let mut rng = rng_for(seed, 0xC1_2021, i as u64);
    let seconds = if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    };
    let samples = (seconds * f64::from(rate)).round() as usize;
    let dx = draw_dx(&mut rng, classes);
    let age = if rng.random::<f64>() < 0.05 {
        "NaN".to_string()
    } else {
        rng.random_range(18..90u32).to_string()
    };
    let sex = ["Male", "Female", "Male", "Female", "Unknown"][rng.random_range(0..5)];
    let adc = render(&mut rng, &dx, rate, samples);
    let name = format!("{prefix}{:0digits$}", i / SOURCES.len() + 1);
    let dir = out.join("training").join(folder).join("g1");
    let record = dir.join(&name);
    let comments = ecg_io::cinc2021::Comments {
        age,
        sex: sex.to_string(),
        dx: dx.clone(),
    };
    ecg_io::cinc2021::write_record(&record, rate, GAIN, &adc, &comments).map_err(|source| {
        SynthError::Wfdb {
            ecg_id: i as u32,
            rate,
            source,
        }
    })?;
    Ok(CincRecord {
        path: record,
        source: folder,
        rate,
        dx,
    })
}

/// Write `config.records` records under `out/training/<source>/g1/`.
pub fn generate_cinc2021(config: &CincConfig, out: &Path) -> Result<Vec<CincRecord>> {
    if config.records == 0 {
        return Err(SynthError::Config {
            field: "records",
            msg: "must be at least 1".into(),
        });
    }
    let classes = ecg_metrics::challenge2021::Weights::official()
        .map_err(|e| SynthError::table("weights.csv", e.to_string()))?
        .classes;
    for (folder, ..) in SOURCES {
        let d = out.join("training").join(folder).join("g1");
        std::fs::create_dir_all(&d).map_err(|e| SynthError::io(&d, e))?;
    }
    (0..config.records)
        .into_par_iter()
        .map(|i| write_one(out, i, config.seed, &classes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_challenge_layout_readable_by_ecg_io() {
        let dir = tempfile::tempdir().expect("tempdir");
        let recs = generate_cinc2021(
            &CincConfig {
                records: 12,
                seed: 3,
            },
            dir.path(),
        )
        .expect("generate");
        let headers = ecg_io::cinc2021::scan(dir.path()).expect("scan");
        assert_eq!(headers.len(), 12);
        let rates: std::collections::BTreeSet<u32> =
            headers.iter().map(|h| h.rate().expect("rate")).collect();
        assert_eq!(rates.into_iter().collect::<Vec<_>>(), vec![257, 500, 1000]);
        for r in &recs {
            let h = headers.iter().find(|h| h.record == r.path).expect("found");
            assert_eq!(h.dx, r.dx);
            assert_eq!(h.source.id(), r.source);
            let sig = ecg_io::cinc2021::read_signal(h).expect("signal");
            assert_eq!(sig.leads, 12);
            let text = std::fs::read_to_string(ecg_io::wfdb::hea_path(&r.path)).expect("hea");
            assert!(text.contains("16+24") && text.contains("\n#Dx: "), "{text}");
            let mat = std::fs::read(r.path.with_extension("mat")).expect("mat");
            assert_eq!(&mat[20..24], b"val\0");
            assert_eq!(mat.len(), 24 + 2 * 12 * sig.samples);
        }
        let again = tempfile::tempdir().expect("tempdir");
        generate_cinc2021(
            &CincConfig {
                records: 12,
                seed: 3,
            },
            again.path(),
        )
        .expect("generate");
        for r in &recs {
            let rel = r.path.strip_prefix(dir.path()).expect("rel");
            for ext in ["hea", "mat"] {
                let a = std::fs::read(r.path.with_extension(ext)).expect("a");
                let b = std::fs::read(again.path().join(rel).with_extension(ext)).expect("b");
                assert_eq!(a, b, "{} differs between runs", rel.display());
            }
        }
    }
}
