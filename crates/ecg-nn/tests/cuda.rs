//! CUDA tests: every preset's eval forward on the GPU matches the CPU's (same weights), a
//! train step on the GPU lowers the loss, a checkpoint written from the GPU loads on the CPU
//! bit for bit, and fp16 autocast gives finite logits close to fp32.
//!
//! They always compile. They run with the `cuda-tests` feature
//! (`cargo test --workspace --features ecg-nn/cuda-tests --test cuda`) or `ECG_CUDA_TESTS=1`,
//! and then fail when libtorch sees no CUDA device. Without either they print a loud skip.
use ecg_nn::{build, checkpoint, ModelSpec, PRESETS};
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

const K: i64 = 5;

fn cooc() -> Vec<f32> {
    (0..K * K)
        .map(|i| if i % (K + 1) == 0 { 1.0 } else { 0.2 })
        .collect()
}

/// The CUDA device when the tests are switched on; `None` (after a loud message) otherwise.
fn gpu(test: &str) -> Option<Device> {
    let on = cfg!(feature = "cuda-tests") || std::env::var_os("ECG_CUDA_TESTS").is_some();
    if !on {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ =
                writeln!(std::io::stderr(),
            "!!!! SKIPPED {test}: CUDA tests are off (enable the ecg-nn feature `cuda-tests` \
             or set ECG_CUDA_TESTS=1 on a machine with a GPU) !!!!"
        );
        };
        return None;
    }
    assert!(
        tch::Cuda::is_available(),
        "CUDA tests were requested but libtorch sees no CUDA device ({} devices); \
         is this a CUDA build of libtorch and is the binary linked with --no-as-needed?",
        tch::Cuda::device_count()
    );
    Some(Device::Cuda(0))
}

fn max_abs(a: &Tensor) -> f64 {
    a.abs().max().double_value(&[])
}

#[test]
fn every_preset_forward_on_cuda_matches_cpu() {
    let Some(cuda) = gpu("every_preset_forward_on_cuda_matches_cpu") else {
        return;
    };
    for preset in PRESETS {
        for (leads, len) in [((0..12).collect::<Vec<usize>>(), 250), (vec![0], 1000)] {
            tch::manual_seed(3);
            let spec = ModelSpec::preset(preset, K, leads.clone(), len).expect("preset");
            let mut vs = nn::VarStore::new(Device::Cpu);
            let net = build(&vs.root(), &spec, Some(&cooc())).expect("build");
            let xs = Tensor::randn([4, leads.len() as i64, len], (Kind::Float, Device::Cpu));
            let cpu = tch::no_grad(|| net.forward_t(&xs, false).logits);
            vs.set_device(cuda);
            let out = tch::no_grad(|| net.forward_t(&xs.to_device(cuda), false));
            assert_eq!(out.logits.device(), cuda, "{preset}");
            let gpu = out.logits.to_device(Device::Cpu);
            // cuDNN may use TF32 and other summation orders: relative tolerance.
            let err = max_abs(&(&gpu - &cpu)) / max_abs(&cpu).max(1.0);
            assert!(
                err < 1e-2,
                "{preset} {leads:?}×{len}: CPU vs CUDA relative error {err}"
            );
        }
    }
}

#[test]
fn a_train_step_on_cuda_lowers_the_loss() {
    let Some(cuda) = gpu("a_train_step_on_cuda_lowers_the_loss") else {
        return;
    };
    for preset in ["teacher", "student", "resnet1d_wang"] {
        tch::manual_seed(1);
        let spec = ModelSpec::preset(preset, K, (0..12).collect(), 250).expect("preset");
        let vs = nn::VarStore::new(cuda);
        let net = build(&vs.root(), &spec, Some(&cooc())).expect("build");
        let xs = Tensor::randn([16, 12, 250], (Kind::Float, cuda));
        let ys = Tensor::randint(2, [16, K], (Kind::Float, cuda));
        let mut opt = nn::Adam::default().build(&vs, 1e-3).expect("adam");
        let loss = |train: bool| {
            net.forward_t(&xs, train)
                .logits
                .binary_cross_entropy_with_logits::<Tensor>(&ys, None, None, tch::Reduction::Mean)
        };
        let before = tch::no_grad(|| loss(false)).double_value(&[]);
        for _ in 0..10 {
            opt.backward_step(&loss(true));
        }
        let after = tch::no_grad(|| loss(false)).double_value(&[]);
        assert!(after < before, "{preset}: loss {before} → {after}");
    }
}

#[test]
fn a_checkpoint_saved_from_cuda_loads_on_cpu_bit_for_bit() {
    let Some(cuda) = gpu("a_checkpoint_saved_from_cuda_loads_on_cpu_bit_for_bit") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.safetensors");
    tch::manual_seed(5);
    let spec = ModelSpec::preset("teacher", K, (0..12).collect(), 250).expect("preset");
    let vs = nn::VarStore::new(cuda);
    let _net = build(&vs.root(), &spec, Some(&cooc())).expect("build");
    checkpoint::save(&vs, &spec, &path).expect("save");
    let (loaded, _, spec2) = checkpoint::load(&path, Device::Cpu).expect("load");
    assert_eq!(spec, spec2);
    let a = vs.variables();
    let b = loaded.variables();
    assert_eq!(a.len(), b.len());
    for (name, t) in &a {
        let u = b
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing after load"));
        assert!(t.to_device(Device::Cpu).equal(u), "{name} differs");
    }
}

#[test]
fn fp16_autocast_logits_are_finite_and_close_to_fp32() {
    let Some(cuda) = gpu("fp16_autocast_logits_are_finite_and_close_to_fp32") else {
        return;
    };
    for preset in ["teacher", "student", "xresnet1d101"] {
        tch::manual_seed(2);
        let spec = ModelSpec::preset(preset, K, (0..12).collect(), 250).expect("preset");
        let vs = nn::VarStore::new(cuda);
        let net = build(&vs.root(), &spec, Some(&cooc())).expect("build");
        let xs = Tensor::randn([8, 12, 250], (Kind::Float, cuda));
        let full = tch::no_grad(|| net.forward_t(&xs, false).logits);
        let half = tch::no_grad(|| tch::autocast(true, || net.forward_t(&xs, false).logits))
            .to_kind(Kind::Float);
        assert!(
            bool::try_from(half.isfinite().all()).unwrap_or(false),
            "{preset}: non-finite fp16 logits"
        );
        let err = max_abs(&(&half - &full)) / max_abs(&full).max(1.0);
        assert!(err < 5e-2, "{preset}: fp16 vs fp32 relative error {err}");
    }
}
