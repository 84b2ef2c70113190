//! Inputs and references for `scripts/golden/onnx_ort.py`: for every preset (12 leads, 2.5 s
//! at 100 Hz), the single-lead student and LCD's per-lead network, a network is exported to
//! ONNX and the 500 records of the PTB-XL sample go through libtorch and through tract;
//! everything is written to OUT as raw little-endian f32 with `manifest.json`. The script
//! then runs ONNX Runtime on the same inputs.
//!
//! - `onnx_golden SAMPLE_DIR OUT`: random weights, batch-norm statistics set from the data;
//!   inputs are the records at 100 Hz, each lead standardised per record.
//! - `onnx_golden SAMPLE_DIR OUT --trained RUNS PACK`: the checkpoints
//!   `RUNS/<name>/checkpoint-best.safetensors` trained by `ecg train` on PACK (what users
//!   export); inputs are PACK's rows (the pack's band-pass) standardised with each
//!   checkpoint's own standardiser (its `.train.json` sidecar), as training and `ecg predict`
//!   do.
//!
//! For each network it also writes the libtorch output on the input perturbed by one unit
//! in the last place (each element times `1 ± 2⁻²³`, random sign): how far a rounding-level
//! change moves the output, i.e. the float32 conditioning of that network on each record.
//!
//! `cargo run --release -p ecg-nn --example onnx_golden -- SAMPLE_DIR OUT [--trained RUNS PACK]`
#[path = "../tests/onnx_support/mod.rs"]
mod onnx_support;
use ecg_nn::{build, checkpoint, ModelSpec, PRESETS};
use ecg_onnx::OnnxModel;
use std::path::{Path, PathBuf};
use tch::{nn, Device, Kind, Tensor};

const K: i64 = 5;

fn write_f32(path: &Path, t: &Tensor) {
    let v = Vec::<f32>::try_from(t.contiguous().flatten(0, -1)).expect("f32");
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("write");
}

/// `[500, 12, 1000]`: every record of the sample at 100 Hz, each lead standardised.
fn records(sample: &Path) -> Tensor {
    let leads: Vec<String> = ecg_nn::LEAD_NAMES.iter().map(|s| s.to_string()).collect();
    let rows: Vec<Tensor> = (1..=500)
        .map(|i| {
            let r = sample.join(format!("records100/00000/{i:05}_lr"));
            let p = ecg_io::packer::read_wfdb(&r, &leads, true).expect("record");
            let x = Tensor::from_slice(&p.data).view([12, p.samples as i64]);
            let m = x.mean_dim(1, true, Kind::Float);
            let s = x.std_dim(1, true, true) + 1e-3;
            (x - m) / s
        })
        .collect();
    Tensor::stack(&rows, 0)
}

/// The standardiser of a trained checkpoint (`<ck>.train.json`), one mean and std per input
/// lead (a global one repeated).
fn standardizer(ck: &Path, leads: usize) -> (Vec<f32>, Vec<f32>) {
    let side = PathBuf::from(format!("{}.train.json", ck.display()));
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&side).unwrap_or_else(|e| panic!("{}: {e}", side.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", side.display()));
    let s = &v["standardizer"];
    let get = |k: &str| -> Vec<f32> {
        let a: Vec<f32> = s[k]
            .as_array()
            .unwrap_or_else(|| panic!("{}: standardizer.{k}", side.display()))
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect();
        match a.len() {
            1 => vec![a[0]; leads],
            n if n == leads => a,
            n => panic!(
                "{}: standardizer.{k} has {n} values for {leads} leads",
                side.display()
            ),
        }
    };
    if s["mode"] == "none" {
        (vec![0.0; leads], vec![1.0; leads])
    } else {
        (get("mean"), get("std"))
    }
}

/// The network of one case: built with random weights (batch-norm statistics from train-mode
/// passes over `x`) and saved to `ck`, or loaded from a trained checkpoint.
fn network(
    spec: &ModelSpec,
    trained: Option<&Path>,
    x_stats: &Tensor,
    ck: &Path,
) -> (nn::VarStore, Box<dyn ecg_nn::EcgNet>, ModelSpec) {
    if let Some(src) = trained {
        let (vs, net, spec) = checkpoint::load(src, Device::Cpu).expect("trained checkpoint");
        checkpoint::save(&vs, &spec, ck).expect("save");
        return (vs, net, spec);
    }
    let vs = nn::VarStore::new(Device::Cpu);
    let e: Vec<f32> = (0..K * K)
        .map(|i| {
            if i % (K + 1) == 0 {
                1.0
            } else {
                0.05 * (i % 5) as f32
            }
        })
        .collect();
    let net = build(&vs.root(), spec, Some(&e)).expect("build");
    // Batch-norm running statistics from the data (20 train-mode passes over 50 records,
    // momentum 0.1), so that the random network's probabilities are neither trivial nor
    // saturated.
    tch::no_grad(|| {
        let xb = x_stats.narrow(0, 0, 50);
        for _ in 0..20 {
            let _ = net.forward_t(&xb, true);
        }
    });
    checkpoint::save(&vs, spec, ck).expect("save");
    (vs, net, spec.clone())
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (sample, out, trained) = match args.as_slice() {
        [s, o] => (s, o, None),
        [s, o, flag, runs, pack] if flag.as_os_str() == "--trained" => {
            (s, o, Some((runs.clone(), pack.clone())))
        }
        _ => {
            eprintln!("usage: onnx_golden SAMPLE_DIR OUT [--trained RUNS PACK]");
            std::process::exit(2);
        }
    };
    std::fs::create_dir_all(out).expect("mkdir");
    tch::manual_seed(11);
    tch::set_num_threads(1);
    // Random weights: the records, each lead standardised per record. Trained: the pack's
    // rows, standardised below with each checkpoint's standardiser.
    let x = match &trained {
        None => records(sample),
        Some((_, pack)) => Tensor::read_safetensors(pack)
            .expect("pack")
            .into_iter()
            .find(|(k, _)| k == "signals")
            .expect("pack has no `signals`")
            .1
            .to_kind(Kind::Float),
    };
    assert_eq!(
        x.size(),
        [500, 12, 1000],
        "the sample's 500 records at 100 Hz"
    );
    let all: Vec<usize> = (0..12).collect();
    let mut specs: Vec<(String, ModelSpec)> = PRESETS
        .iter()
        .map(|p| {
            (
                p.to_string(),
                ModelSpec::preset(p, K, all.clone(), 250).expect("preset"),
            )
        })
        .collect();
    specs.push((
        "student-single-lead".into(),
        ModelSpec::preset("student", K, vec![0], 250).expect("single"),
    ));
    let ModelSpec {
        arch: ecg_nn::ArchConfig::SeResNet1d(enc),
        ..
    } = ModelSpec::preset("se_resnet1d", K, vec![0], 250).expect("enc")
    else {
        unreachable!()
    };
    specs.push((
        "per_lead".into(),
        ModelSpec::per_lead(enc, false, K, vec![0, 1, 6], 250).expect("per-lead"),
    ));
    let mut manifest = Vec::new();
    for (name, spec) in &specs {
        let src = trained
            .as_ref()
            .map(|(runs, _)| runs.join(name).join("checkpoint-best.safetensors"));
        // The label-correlation family takes its 250 samples; the others the whole 10 s.
        let len = if spec.fixed_length() { 250 } else { 1000 };
        let ck = out.join(format!("{name}.safetensors"));
        let idx = Tensor::from_slice(&spec.leads.iter().map(|&l| l as i64).collect::<Vec<_>>());
        let x_rand = x.index_select(1, &idx).narrow(2, 0, len).contiguous();
        let (_vs, net, spec) = network(spec, src.as_deref(), &x_rand, &ck);
        let xi = match &src {
            None => x_rand,
            Some(src) => {
                let idx =
                    Tensor::from_slice(&spec.leads.iter().map(|&l| l as i64).collect::<Vec<_>>());
                let (m, s) = standardizer(src, spec.leads.len());
                let c = spec.leads.len() as i64;
                let m = Tensor::from_slice(&m).view([1, c, 1]);
                let s = Tensor::from_slice(&s).view([1, c, 1]);
                ((x.index_select(1, &idx).narrow(2, 0, len) - m) / s).contiguous()
            }
        };
        let k = spec.num_classes;
        let onnx = out.join(format!("{name}.onnx"));
        onnx_support::write_bare(&ck, &onnx);
        let mut rt = OnnxModel::load(&onnx).expect("load");
        let (mut pt, mut pu, mut pr) = (Vec::new(), Vec::new(), Vec::new());
        for b in 0..10 {
            let xb = xi.narrow(0, b * 50, 50);
            pt.push(tch::no_grad(|| net.forward_t(&xb, false).logits.sigmoid()));
            // One unit in the last place: x (1 ± 2^-23), random sign per element.
            let sign = Tensor::randint(2, xb.size(), (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
            let xu = &xb * (sign * 2f64.powi(-23) + 1.0);
            pu.push(tch::no_grad(|| net.forward_t(&xu, false).logits.sigmoid()));
            let v = Vec::<f32>::try_from(xb.flatten(0, -1)).expect("v");
            let p = rt.forward(&v, 50, len as usize).expect("tract");
            pr.push(Tensor::from_slice(&p).view([50, k]));
        }
        let (pt, pu, pr) = (
            Tensor::cat(&pt, 0),
            Tensor::cat(&pu, 0),
            Tensor::cat(&pr, 0),
        );
        write_f32(&out.join(format!("{name}.x.f32")), &xi);
        write_f32(&out.join(format!("{name}.torch.f32")), &pt);
        write_f32(&out.join(format!("{name}.torch_ulp.f32")), &pu);
        write_f32(&out.join(format!("{name}.tract.f32")), &pr);
        let d = f64::try_from((&pt - &pr).abs().max()).expect("max");
        let du = f64::try_from((&pt - &pu).abs().max()).expect("max");
        eprintln!("{name}: tract vs libtorch max |Δp| = {d:.2e}; libtorch, one-ulp input change: {du:.2e}");
        manifest.push(serde_json::json!({
            "name": name, "onnx": format!("{name}.onnx"), "x": format!("{name}.x.f32"),
            "leads": spec.leads, "len": len, "classes": k, "records": 500,
            "weights": if src.is_some() { "trained" } else { "random" },
            "onnx_bytes": std::fs::metadata(&onnx).map(|m| m.len()).unwrap_or(0),
        }));
    }
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).expect("json"),
    )
    .expect("manifest");
}
