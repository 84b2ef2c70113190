//! Inputs and references for `scripts/golden/onnx_ort.py`: for every preset (12 leads, 2.5 s
//! at 100 Hz), the single-lead student and LCD's per-lead network, a network with random
//! weights and batch-norm statistics set from the data is saved as a checkpoint and exported to
//! ONNX; the 500 records of the PTB-XL sample (100 Hz, each lead standardised) go through
//! libtorch and through tract, and everything is written to OUT as raw little-endian f32
//! with `manifest.json`. The script then runs ONNX Runtime on the same inputs.
//!
//! `cargo run --release -p ecg-nn --example onnx_golden -- SAMPLE_DIR OUT`
use ecg_nn::{build, checkpoint, ModelSpec, PRESETS};
use ecg_onnx::meta::{Aggregate, Deploy, Standardizer, Windows, FORMAT};
use ecg_onnx::{OnnxModel, Weights};
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

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [sample, out] = args.as_slice() else {
        eprintln!("usage: onnx_golden SAMPLE_DIR OUT");
        std::process::exit(2);
    };
    std::fs::create_dir_all(out).expect("mkdir");
    tch::manual_seed(11);
    tch::set_num_threads(1);
    let x = records(sample);
    write_f32(&out.join("x.f32"), &x);
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

        // The label-correlation family takes its 250 samples; the others the whole 10 s.
        let len = if spec.fixed_length() { 250 } else { 1000 };
        let idx = Tensor::from_slice(&spec.leads.iter().map(|&l| l as i64).collect::<Vec<_>>());
        let xi = x.index_select(1, &idx).narrow(2, 0, len).contiguous();
        // Batch-norm running statistics from the data (20 train-mode passes over 50
        // records, momentum 0.1), so that the random network's probabilities are neither
        // trivial nor saturated.
        tch::no_grad(|| {
            let xb = xi.narrow(0, 0, 50);
            for _ in 0..20 {
                let _ = net.forward_t(&xb, true);
            }
        });
        let ck = out.join(format!("{name}.safetensors"));
        checkpoint::save(&vs, spec, &ck).expect("save");
        let onnx = out.join(format!("{name}.onnx"));
        let model = ecg_nn::export::to_onnx(spec, Weights::read(&ck).expect("w"), &deploy(spec))
            .expect("export");
        ecg_onnx::graph::write_model(&model, &onnx).expect("write");
        let mut rt = OnnxModel::load(&onnx).expect("load");
        let (mut pt, mut pr) = (Vec::new(), Vec::new());
        for b in 0..10 {
            let xb = xi.narrow(0, b * 50, 50);
            pt.push(tch::no_grad(|| net.forward_t(&xb, false).logits.sigmoid()));
            let v = Vec::<f32>::try_from(xb.flatten(0, -1)).expect("v");
            let p = rt.forward(&v, 50, len as usize).expect("tract");
            pr.push(Tensor::from_slice(&p).view([50, K]));
        }
        let (pt, pr) = (Tensor::cat(&pt, 0), Tensor::cat(&pr, 0));
        write_f32(&out.join(format!("{name}.torch.f32")), &pt);
        write_f32(&out.join(format!("{name}.tract.f32")), &pr);
        let d = f64::try_from((&pt - &pr).abs().max()).expect("max");
        eprintln!("{name}: tract vs libtorch max |Δp| = {d:.2e}");
        manifest.push(serde_json::json!({
            "name": name, "onnx": format!("{name}.onnx"), "leads": spec.leads,
            "len": len, "classes": K, "records": 500,
            "onnx_bytes": std::fs::metadata(&onnx).map(|m| m.len()).unwrap_or(0),
        }));
    }
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).expect("json"),
    )
    .expect("manifest");
}
