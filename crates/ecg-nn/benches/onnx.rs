//! Per-record latency of the exported students in our ONNX runtime (tract) against the
//! libtorch forward, one thread each: `cargo bench -p ecg-nn --bench onnx`.
//!
//! A record is 10 s at 100 Hz: `ecg predict` cuts it into the 7 windows of 250 samples
//! (stride 125) and runs them as one batch `[7, leads, 250]`; `window` is one `[1, leads,
//! 250]` forward (what `size.json`'s `cpu_latency_ms` times). Weights are random (the cost
//! does not depend on their values).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ecg_nn::{build, checkpoint, ModelSpec};
use ecg_onnx::meta::{Aggregate, Deploy, Standardizer, Windows, FORMAT};
use ecg_onnx::{OnnxModel, Weights};
use tch::{nn, Device, Kind, Tensor};

const K: i64 = 5;

fn deploy(spec: &ModelSpec) -> Deploy {
    let n = spec.leads.len();
    Deploy {
        format: FORMAT.into(),
        preset: spec.preset.clone(),
        rate: 100,
        leads: spec
            .leads
            .iter()
            .map(|&l| ecg_nn::LEAD_NAMES[l].to_string())
            .collect(),
        bandpass: None,
        pack_preprocessing: "none".into(),
        standardizer: Standardizer {
            mode: "none".into(),
            mean: vec![0.0; n],
            std: vec![1.0; n],
        },
        windows: Windows::Crop {
            length: 250,
            stride: 125,
            aggregate: Aggregate::Max,
        },
        input_len: spec.fixed_length().then_some(spec.input_len as usize),
        class_names: (0..spec.num_classes).map(|k| format!("c{k}")).collect(),
        calibration: None,
    }
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
        let model = ecg_nn::export::to_onnx(&spec, Weights::read(&ck).expect("w"), &deploy(&spec))
            .expect("export");
        let path = dir.path().join(format!("{name}.onnx"));
        ecg_onnx::graph::write_model(&model, &path).expect("write");
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
