//! Per-record latency of the exported students in our ONNX runtime (tract) against the
//! libtorch forward, one thread each: `cargo bench --workspace --bench onnx`.
//!
//! A record is 10 s at 100 Hz: `ecg predict` cuts it into the 7 windows of 250 samples
//! (stride 125) and runs them as one batch `[7, leads, 250]`; `window` is one `[1, leads,
//! 250]` forward (what `size.json`'s `cpu_latency_ms` times); `cold` is a record from a
//! model file not yet loaded: `checkpoint::load` (libtorch) or `OnnxModel::load` plus tract's
//! planning for that input shape (`into_optimized`), then the forward. Weights are random
//! (the cost does not depend on their values).
//!
//! Each case is timed twice: wall time (groups `*/1thr`) and this thread's CPU time (groups
//! `*/1thr-cpu`, from /proc/thread-self/schedstat: on a machine shared with other jobs the
//! time spent waiting for a core is not counted; both runtimes run on the calling thread
//! with one thread).
#[path = "../tests/onnx_support/mod.rs"]
mod onnx_support;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ecg_nn::{build, checkpoint, ModelSpec};
use ecg_onnx::OnnxModel;
use std::time::Duration;
use tch::{nn, Device, Kind, Tensor};

const K: i64 = 5;

/// CPU time this thread has run (Linux; ns).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat")
}

/// `f` timed in wall time (group `{what}/1thr`) and in thread CPU time (`{what}/1thr-cpu`).
fn both<R>(c: &mut Criterion, what: &str, id: BenchmarkId, mut f: impl FnMut() -> R) {
    let mut g = c.benchmark_group(format!("{what}/1thr"));
    g.sample_size(20);
    g.bench_function(id.clone(), |b| b.iter(&mut f));
    g.finish();
    let mut g = c.benchmark_group(format!("{what}/1thr-cpu"));
    g.sample_size(20);
    g.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let c0 = cpu_ns();
            for _ in 0..iters {
                std::hint::black_box(f());
            }
            Duration::from_nanos(cpu_ns() - c0)
        })
    });
    g.finish();
}

fn onnx(c: &mut Criterion) {
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().expect("tmp");
    let e: Vec<f32> = (0..K * K)
        .map(|i| if i % (K + 1) == 0 { 1.0 } else { 0.2 })
        .collect();
    for (name, preset, leads) in [
        ("student", "student", (0..12).collect::<Vec<usize>>()),
        ("student-single-lead", "student", vec![0]),
        ("student-tiny", "student-tiny", (0..12).collect()),
    ] {
        tch::manual_seed(0);
        let spec = ModelSpec::preset(preset, K, leads.clone(), 250).expect("preset");
        let vs = nn::VarStore::new(Device::Cpu);
        let net = build(&vs.root(), &spec, Some(&e)).expect("build");
        let ck = dir.path().join(format!("{name}.safetensors"));
        checkpoint::save(&vs, &spec, &ck).expect("save");
        let path = dir.path().join(format!("{name}.onnx"));
        onnx_support::write_bare(&ck, &path);
        let mut rt = OnnxModel::load(&path).expect("load");
        let c_ = leads.len() as i64;
        for (what, batch) in [("record_10s_100hz", 7i64), ("window", 1)] {
            let xs = Tensor::randn([batch, c_, 250], (Kind::Float, Device::Cpu));
            let v = Vec::<f32>::try_from(xs.flatten(0, -1)).expect("v");
            rt.forward(&v, batch as usize, 250).expect("warm-up plan");
            both(c, what, BenchmarkId::new("libtorch", name), || {
                tch::no_grad(|| net.forward_t(&xs, false).logits.sigmoid())
            });
            both(c, what, BenchmarkId::new("tract", name), || {
                rt.forward(&v, batch as usize, 250).expect("forward")
            });
        }
        let xs = Tensor::randn([7, c_, 250], (Kind::Float, Device::Cpu));
        let v = Vec::<f32>::try_from(xs.flatten(0, -1)).expect("v");
        both(c, "cold", BenchmarkId::new("libtorch", name), || {
            let (_vs, net, _) = checkpoint::load(&ck, Device::Cpu).expect("load");
            tch::no_grad(|| net.forward_t(&xs, false).logits.sigmoid())
        });
        both(c, "cold", BenchmarkId::new("tract", name), || {
            let mut rt = OnnxModel::load(&path).expect("load");
            rt.forward(&v, 7, 250).expect("forward")
        });
    }
}

criterion_group!(benches, onnx);
criterion_main!(benches);
