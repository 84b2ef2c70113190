//! The optimizer step against PyTorch: `clip_grad_norm_(foreach=True)` then
//! `torch.optim.AdamW(fused=True)` over 50 steps with the same gradients and learning rates
//! (golden values from `scripts/golden/fused_adamw.py`), to 1e-6 relative.
use ecg_train::optim::{AdamW, AdamWConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use tch::{nn, Device, Kind, Tensor};

fn golden() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/fused_adamw.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("golden json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn tensor(v: &Value, shape: &[i64]) -> Tensor {
    Tensor::from_slice(&floats(v))
        .to_kind(Kind::Float)
        .reshape(shape)
}

/// |got − want| ≤ 1e-6·|want| elementwise (1e-12 absolute near zero).
fn assert_close(got: &Tensor, want: &[f64], what: &str) {
    let got: Vec<f64> = Vec::try_from(got.to_kind(Kind::Double).reshape([-1])).expect("values");
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-6 * w.abs().max(1e-6),
            "{what}[{i}]: {g} vs PyTorch {w}"
        );
    }
}

#[test]
fn clipping_and_adamw_equal_pytorch_fused_over_50_steps() {
    let g = golden();
    let h = &g["hyper"];
    let num = |k: &str| h[k].as_f64().expect(k);
    let vs = nn::VarStore::new(Device::Cpu);
    let mut shapes: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut params: BTreeMap<String, Tensor> = BTreeMap::new();
    for (name, shape) in g["shapes"].as_object().expect("shapes") {
        let shape: Vec<i64> = floats(shape).iter().map(|&d| d as i64).collect();
        let (module, leaf) = name.split_once('.').expect("module.leaf");
        let init = tensor(&g["initial"][name], &shape);
        let p = (vs.root() / module).var_copy(leaf, &init);
        shapes.insert(name.clone(), shape);
        params.insert(name.clone(), p);
    }
    let cfg = AdamWConfig {
        lr: 1e-3,
        weight_decay: num("weight_decay"),
        beta1: num("beta1"),
        beta2: num("beta2"),
        eps: num("eps"),
        grad_clip: Some(num("max_norm")),
    };
    let mut opt = AdamW::new(cfg, &[("m", &vs)]);
    let lrs = floats(&g["lr"]);
    let want_norms = floats(&g["norms"]);
    for (step, lr) in lrs.iter().enumerate() {
        opt.zero_grad().expect("zero_grad");
        // d/dp Σ p·g = g exactly: the golden gradients become the parameters' gradients.
        let loss = params
            .iter()
            .map(|(name, p)| (p * tensor(&g["grads"][step][name], &shapes[name])).sum(Kind::Float))
            .reduce(|a, b| a + b)
            .expect("params");
        loss.backward();
        let norm = opt.step(*lr, None).expect("step");
        assert_close(
            &norm,
            &want_norms[step..=step],
            &format!("norm of step {step}"),
        );
    }
    assert_eq!(opt.steps() as f64, g["steps"].as_f64().expect("steps"));
    for (name, p) in &params {
        assert_close(
            p,
            &floats(&g["final"][name]),
            &format!("{name} after 50 steps"),
        );
    }
    // The moments as saved (and resumed from) equal torch's exp_avg / exp_avg_sq.
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("opt.safetensors");
    opt.save(&path).expect("save");
    let saved: BTreeMap<String, Tensor> = Tensor::read_safetensors(&path)
        .expect("read")
        .into_iter()
        .collect();
    for name in params.keys() {
        assert_close(
            &saved[&format!("m.m.{name}")],
            &floats(&g["exp_avg"][name]),
            name,
        );
        assert_close(
            &saved[&format!("v.m.{name}")],
            &floats(&g["exp_avg_sq"][name]),
            name,
        );
    }
}
