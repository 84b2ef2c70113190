//! Forward (eval) latency per record and training-step throughput on CPU with 1 and 2
//! threads, for the teacher and each student: `cargo bench -p ecg-nn --bench nets`.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ecg_nn::{build, ModelSpec};
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

const K: i64 = 5;
const BATCH: i64 = 32;

fn nets(c: &mut Criterion) {
    let e: Vec<f32> = (0..K * K)
        .map(|i| if i % (K + 1) == 0 { 1.0 } else { 0.2 })
        .collect();
    for threads in [1, 2] {
        tch::set_num_threads(threads);
        for preset in [
            "teacher",
            "student",
            "student-tiny",
            "se_resnet1d",
            "resnet1d_wang",
        ] {
            tch::manual_seed(0);
            let spec = ModelSpec::preset(preset, K, (0..12).collect(), 250).expect("preset");
            let vs = nn::VarStore::new(Device::Cpu);
            let net = build(&vs.root(), &spec, Some(&e)).expect("build");
            let xs = Tensor::randn([BATCH, 12, 250], (Kind::Float, Device::Cpu));
            let ys = Tensor::randint(2, [BATCH, K], (Kind::Float, Device::Cpu));

            let mut g = c.benchmark_group(format!("forward_eval/{threads}thr"));
            g.throughput(Throughput::Elements(BATCH as u64));
            g.sample_size(10);
            g.bench_function(BenchmarkId::from_parameter(preset), |b| {
                b.iter(|| tch::no_grad(|| net.forward_t(&xs, false).logits))
            });
            g.finish();

            let mut opt = nn::Adam::default().build(&vs, 1e-3).expect("adam");
            let mut g = c.benchmark_group(format!("train_step/{threads}thr"));
            g.throughput(Throughput::Elements(BATCH as u64));
            g.sample_size(10);
            g.bench_function(BenchmarkId::from_parameter(preset), |b| {
                b.iter(|| {
                    let loss = net
                        .forward_t(&xs, true)
                        .logits
                        .binary_cross_entropy_with_logits::<Tensor>(
                            &ys,
                            None,
                            None,
                            tch::Reduction::Mean,
                        );
                    opt.backward_step(&loss);
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, nets);
criterion_main!(benches);
