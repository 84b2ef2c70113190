//! All metrics on a PTB-XL-sized problem: 21,837 records x 71 labels.
use criterion::{criterion_group, criterion_main, Criterion};
use ecg_metrics::{evaluate, fit_thresholds, EvalConfig};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data(n: usize, k: usize, seed: u64) -> (Array2<u8>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y = Array2::<u8>::zeros((n, k));
    let mut p = Array2::<f64>::zeros((n, k));
    for i in 0..n {
        for j in 0..k {
            let prevalence = 0.01 + 0.3 * (j as f64 / k as f64);
            let pos = rng.random::<f64>() < prevalence;
            y[[i, j]] = u8::from(pos);
            // float32-like scores with ties
            let s: f64 = rng.random::<f64>() * 0.7 + if pos { 0.3 } else { 0.0 };
            p[[i, j]] = f64::from(s as f32);
        }
        if y.row(i).iter().all(|&v| v == 0) {
            y[[i, 0]] = 1;
        }
    }
    (y, p)
}

fn bench(c: &mut Criterion) {
    let (y, p) = data(21_837, 71, 1);
    let (vy, vp) = data(2_183, 71, 2);
    let mut g = c.benchmark_group("ptbxl_21837x71");
    g.sample_size(10);
    g.bench_function("fit_thresholds+evaluate", |b| {
        b.iter(|| {
            let t = fit_thresholds(vy.view(), vp.view()).expect("valid");
            let cfg = EvalConfig {
                thresholds: Some(&t),
                ..Default::default()
            };
            evaluate(y.view(), p.view(), &cfg).expect("valid")
        })
    });
    g.bench_function("evaluate_fixed_0.5", |b| {
        b.iter(|| evaluate(y.view(), p.view(), &EvalConfig::default()).expect("valid"))
    });
    g.bench_function("part/macro_auc", |b| {
        b.iter(|| ecg_metrics::macro_auc(y.view(), p.view()).expect("valid"))
    });
    g.bench_function("part/micro_auc", |b| {
        b.iter(|| ecg_metrics::micro_auc(y.view(), p.view()).expect("valid"))
    });
    g.bench_function("part/fmax", |b| {
        b.iter(|| ecg_metrics::fmax(y.view(), p.view()).expect("valid"))
    });
    g.bench_function("part/binarize+f1_report", |b| {
        b.iter(|| {
            let q = ecg_metrics::binarize(p.view(), &[0.5; 71]).expect("valid");
            ecg_metrics::f1_report(y.view(), q.view()).expect("valid")
        })
    });
    let samples =
        ecg_metrics::draw_bootstrap_samples(y.view(), 100, 0).expect("every label has a positive");
    g.bench_function("evaluate+100_bootstrap", |b| {
        b.iter(|| {
            let cfg = EvalConfig {
                bootstrap: Some(&samples),
                ..Default::default()
            };
            evaluate(y.view(), p.view(), &cfg).expect("valid")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
