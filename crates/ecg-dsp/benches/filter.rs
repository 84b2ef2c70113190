//! Zero-phase band-pass (Butterworth 0.5–40 Hz, order 3) over 12-lead records of 10 s at
//! 100 Hz (12×1000) and 500 Hz (12×5000). Compare with `scripts/bench_dsp.py` (scipy).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ecg_dsp::filter::{butter_sos, sosfiltfilt_leads, Band};

/// A deterministic ECG-like test signal (values do not change the cost).
fn signal(leads: usize, samples: usize, fs: f64) -> Vec<f32> {
    (0..leads * samples)
        .map(|i| {
            let (l, n) = (i / samples, i % samples);
            let t = n as f64 / fs;
            let v = (std::f64::consts::TAU * 1.2 * t + l as f64).sin()
                + 0.3 * (std::f64::consts::TAU * 0.2 * t).sin()
                + 0.05 * (std::f64::consts::TAU * 50.0f64.min(fs / 2.5) * t).sin();
            v as f32
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (fs, samples) in [(100.0, 1000usize), (500.0, 5000usize)] {
        let sos = butter_sos(3, Band::Bandpass(0.5, 40.0), fs).expect("valid design");
        let x = signal(12, samples, fs);
        c.bench_function(&format!("sosfiltfilt_bandpass_o3_12x{samples}"), |b| {
            b.iter(|| {
                let mut data = x.clone();
                sosfiltfilt_leads(&sos, black_box(&mut data), samples).expect("long enough");
                black_box(data)
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
