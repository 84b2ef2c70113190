//! Per-record latency of the exported students in our ONNX runtime (tract) against the
//! libtorch forward, one thread each: `cargo bench -p ecg-nn --bench onnx`.
//!
//! A record is 10 s at 100 Hz: `ecg predict` cuts it into the 7 windows of 250 samples
//! (stride 125) and runs them as one batch `[7, leads, 250]`; `window` is one `[1, leads,
//! 250]` forward (what `size.json`'s `cpu_latency_ms` times). Weights are random (the cost
//! does not depend on their values).
#[path = "../tests/onnx_support/mod.rs"]
mod onnx_support;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ecg_nn::{build, checkpoint, ModelSpec};
use ecg_onnx::OnnxModel;
use tch::{nn, Device, Kind, Tensor};

const K: i64 = 5;

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
            let mut g = c.benchmark_group(format!("{what}/1thr"));
            g.sample_size(30);
            g.bench_function(BenchmarkId::new("libtorch", name), |b| {
                b.iter(|| tch::no_grad(|| net.forward_t(&xs, false).logits.sigmoid()))
            });
            g.bench_function(BenchmarkId::new("tract", name), |b| {
                b.iter(|| rt.forward(&v, batch as usize, 250).expect("forward"))
            });
            g.finish();
        }
    }
}

criterion_group!(benches, onnx);
criterion_main!(benches);
