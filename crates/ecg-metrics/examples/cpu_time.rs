//! CPU time (not wall time) of each metric on a PTB-XL-sized problem (21,837 x 71), for a
//! machine shared with other jobs where wall-clock benches are noisy. Linux only (reads
//! /proc/self/stat). Run: `RAYON_NUM_THREADS=1 cargo run --release -p ecg-metrics --example cpu_time`
use ecg_metrics::*;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// user + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the ")" of the command name; utime and stime are fields 14 and 15
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn time<R>(name: &str, reps: usize, mut f: impl FnMut() -> R) {
    let c0 = cpu_seconds();
    let w0 = std::time::Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f());
    }
    let cpu = (cpu_seconds() - c0) / reps as f64;
    let wall = w0.elapsed().as_secs_f64() / reps as f64;
    println!(
        "{name:<32} cpu {:>8.1} ms   wall {:>8.1} ms",
        cpu * 1e3,
        wall * 1e3
    );
}

fn data(n: usize, k: usize, seed: u64) -> (Array2<u8>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y = Array2::<u8>::zeros((n, k));
    let mut p = Array2::<f64>::zeros((n, k));
    for i in 0..n {
        for j in 0..k {
            let pos = rng.random::<f64>() < 0.01 + 0.3 * (j as f64 / k as f64);
            y[[i, j]] = u8::from(pos);
            let s: f64 = rng.random::<f64>() * 0.7 + if pos { 0.3 } else { 0.0 };
            p[[i, j]] = f64::from(s as f32);
        }
        if y.row(i).iter().all(|&v| v == 0) {
            y[[i, 0]] = 1;
        }
    }
    (y, p)
}

fn main() {
    let (y, p) = data(21_837, 71, 1);
    let (vy, vp) = data(2_183, 71, 2);
    let (y, p, vy, vp) = (y.view(), p.view(), vy.view(), vp.view());
    let reps = 10;
    time("macro_auc", reps, || macro_auc(y, p));
    time("micro_auc", reps, || micro_auc(y, p));
    time("macro_average_precision", reps, || {
        macro_average_precision(y, p)
    });
    time("fmax", reps, || fmax(y, p));
    time("fit_thresholds (2,183 val)", reps, || {
        fit_thresholds(vy, vp)
    });
    time("binarize + f1_report", reps, || {
        let q = binarize(p, &[0.5; 71]).expect("valid");
        f1_report(y, q.view())
    });
    let t = fit_thresholds(vy, vp).expect("valid");
    time("fit_thresholds + evaluate", reps, || {
        let t = fit_thresholds(vy, vp).expect("valid");
        let cfg = EvalConfig {
            thresholds: Some(&t),
            ..Default::default()
        };
        evaluate(y, p, &cfg)
    });
    let samples = draw_bootstrap_samples(y, 100, 0).expect("drawable");
    time("evaluate + 100 bootstrap", 2, || {
        let cfg = EvalConfig {
            thresholds: Some(&t),
            bootstrap: Some(&samples),
            ..Default::default()
        };
        evaluate(y, p, &cfg)
    });
}
