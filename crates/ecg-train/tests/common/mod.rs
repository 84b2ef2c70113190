//! A tiny learnable pack for the trainer tests: 2 leads × 500 samples at 100 Hz, classes
//! A, B, C each adding its own pattern, folds i % 10 + 1.
#![allow(dead_code)]
use ecg_io::pack::write_pack;
use ecg_io::pack::{PackMeta, PackedRecord};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

pub const SAMPLES: usize = 500;

pub fn make_pack(dir: &Path, n: usize, seed: u64) -> PathBuf {
    make_scaled_pack(dir, n, seed, 1.0)
}

/// [`make_pack`] with every sample multiplied by `scale` (e.g. near `f32::MAX`: a saturated
/// recording whose activations overflow).
pub fn make_scaled_pack(dir: &Path, n: usize, seed: u64, scale: f64) -> PathBuf {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut records = Vec::with_capacity(n);
    let mut signals = Vec::with_capacity(n * 2 * SAMPLES);
    for i in 0..n {
        let mut labels = Vec::new();
        for c in ["A", "B", "C"] {
            if rng.random_bool(0.4) {
                labels.push(c);
            }
        }
        if labels.is_empty() {
            labels.push(["A", "B", "C"][i % 3]);
        }
        let phase: f64 = rng.random_range(0.0..6.28);
        for lead in 0..2 {
            for s in 0..SAMPLES {
                let t = s as f64 / 100.0;
                let mut v: f64 = rng.random_range(-0.4..0.4);
                if lead == 0 && labels.contains(&"A") {
                    v += (2.0 * std::f64::consts::PI * 5.0 * t + phase).sin();
                }
                if lead == 1 && labels.contains(&"B") {
                    v += if (s / 25) % 2 == 0 { 0.8 } else { -0.8 };
                }
                if labels.contains(&"C") {
                    v += 0.7 * (2.0 * std::f64::consts::PI * 1.5 * t + phase).sin();
                }
                signals.push((v * scale) as f32);
            }
        }
        records.push(PackedRecord {
            id: format!("r{i:04}"),
            ecg_id: Some(i as u32 + 1),
            patient_id: None,
            fold: (i % 10 + 1) as u8,
            codes: labels.iter().map(|l| (l.to_string(), 100.0)).collect(),
            codes_raw: labels.join(","),
            age: None,
            sex: None,
        });
    }
    let meta = PackMeta {
        dataset: "toy".into(),
        version: "1".into(),
        rate: 100,
        leads: vec!["I".into(), "II".into()],
        samples: SAMPLES,
        preprocessing: "none".into(),
        bandpass: None,
        source: "tests/common".into(),
        statements: Vec::new(),
    };
    let path = dir.join("toy.pack.safetensors");
    write_pack(&path, &meta, &records, &signals).expect("write pack");
    path
}

/// A config for the toy pack.
pub fn config_text(pack: &Path, out: &Path, epochs: usize, extra: &str) -> String {
    format!(
        r#"
[data]
pack = "{}"
task = "classes"
input = {{ kind = "crop", length = 250, stride = 125, aggregate = "max" }}
workers = 2
prefetch = 2

[model]
preset = "se_resnet1d"

[optim]
lr = 3e-3

[schedule]
kind = "onecycle"

[augment]
amplitude_scale = 0.1
gaussian_noise = 0.02

[train]
epochs = {epochs}
batch_size = 16
eval_batch_size = 64
seed = 7
device = "cpu"
output_dir = "{}"
{extra}
"#,
        pack.display(),
        out.display()
    )
}
