//! Training throughput of one preset on CPU, printed as one JSON line; used by
//! scripts/compare_torch.py. `cargo run --release -p ecg-nn --example train_speed --
//! PRESET THREADS BATCH STEPS [LENGTH]`.
use ecg_nn::{build, ModelSpec};
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or_else(|| d.to_string());
    let preset = arg(1, "resnet1d_wang");
    let threads: i32 = arg(2, "2").parse()?;
    let batch: i64 = arg(3, "32").parse()?;
    let steps: usize = arg(4, "20").parse()?;
    let len: i64 = arg(5, "250").parse()?;
    let k = 5;
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    let spec = ModelSpec::preset(&preset, k, (0..12).collect(), len)?;
    let e: Vec<f32> = (0..k * k)
        .map(|i| if i % (k + 1) == 0 { 1.0 } else { 0.2 })
        .collect();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = build(&vs.root(), &spec, Some(&e))?;
    let mut opt = nn::Adam::default().build(&vs, 1e-3)?;
    let xs = Tensor::randn([batch, 12, len], (Kind::Float, Device::Cpu));
    let ys = Tensor::randint(2, [batch, k], (Kind::Float, Device::Cpu));
    let step = |opt: &mut nn::Optimizer| {
        let loss = net
            .forward_t(&xs, true)
            .logits
            .binary_cross_entropy_with_logits::<Tensor>(&ys, None, None, tch::Reduction::Mean);
        opt.backward_step(&loss);
    };
    for _ in 0..3 {
        step(&mut opt);
    }
    let t0 = std::time::Instant::now();
    for _ in 0..steps {
        step(&mut opt);
    }
    let secs = t0.elapsed().as_secs_f64();
    let eval_t0 = std::time::Instant::now();
    for _ in 0..steps {
        let _ = tch::no_grad(|| net.forward_t(&xs, false).logits);
    }
    let eval_secs = eval_t0.elapsed().as_secs_f64();
    let (params, flops) = spec.params_and_flops()?;
    println!(
        "{{\"preset\": \"{preset}\", \"threads\": {threads}, \"batch\": {batch}, \"steps\": {steps}, \"params\": {params}, \"flops\": {flops}, \"train_samples_per_s\": {:.3}, \"eval_ms_per_record\": {:.4}}}",
        (steps as i64 * batch) as f64 / secs,
        eval_secs * 1000.0 / (steps as i64 * batch) as f64
    );
    Ok(())
}
