//! The losses and their gradients against PyTorch: golden values from
//! `scripts/golden/train_losses.py` (float64, torch.autograd for the gradients), compared
//! to 1e-9 in float64 and 1e-5 in float32.
use ecg_train::loss::{
    asl, bce, binary_kl, feature_loss, kd_loss, AslParams, FeatureNorm, KdWeights,
};
use serde_json::Value;
use std::path::Path;
use tch::{Kind, Tensor};

fn golden() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/train_losses.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("golden json")
}

fn tensor(g: &Value, key: &str, shape: &[i64], kind: Kind) -> Tensor {
    let v: Vec<f64> = g[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect();
    Tensor::from_slice(&v).reshape(shape).to_kind(kind)
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key}"))
}

fn check(kind: Kind, tol: f64) {
    let g = golden();
    let (b, k) = (num(&g, "batch") as i64, num(&g, "classes") as i64);
    let (ds, dt) = (num(&g, "student_dim") as i64, num(&g, "teacher_dim") as i64);
    let z = tensor(&g, "logits", &[b, k], kind);
    let t = tensor(&g, "teacher_logits", &[b, k], kind);
    let y = tensor(&g, "targets", &[b, k], kind);
    let hs = tensor(&g, "student_features", &[b, ds], kind);
    let ht = tensor(&g, "teacher_features", &[b, dt], kind);
    let w = tensor(&g, "adaptor_weight", &[dt, ds], kind);
    let bias = tensor(&g, "adaptor_bias", &[dt], kind);
    let close = |got: &Tensor, want: f64, what: &str| {
        let got = got.double_value(&[]);
        assert!(
            (got - want).abs() <= tol * want.abs().max(1.0),
            "{what}: {got} vs torch {want}"
        );
    };
    close(&bce(&z, &y), num(&g, "bce"), "bce");
    for case in g["asl"].as_array().expect("asl") {
        let p = AslParams {
            gamma_pos: num(case, "gamma_pos"),
            gamma_neg: num(case, "gamma_neg"),
            margin: num(case, "margin"),
        };
        close(&asl(&z, &y, &p), num(case, "value"), &format!("asl {p:?}"));
    }
    for case in g["kd_kl"].as_array().expect("kd") {
        let temp = num(case, "temperature");
        close(
            &binary_kl(&t, &z, temp),
            num(case, "value"),
            &format!("kd T={temp}"),
        );
    }
    let mapped = hs.linear(&w, Some(&bias));
    for (norm, key) in [
        (FeatureNorm::None, "feature_mse"),
        (FeatureNorm::L2, "feature_l2"),
        (FeatureNorm::Standardize, "feature_standardize"),
    ] {
        close(&feature_loss(&mapped, &ht, norm), num(&g, key), key);
    }
    // The gradient of each tensor, compared elementwise relative to its largest entry.
    let grads_close = |got: &Tensor, case: &Value, key: &str, shape: &[i64], what: &str| {
        let want = tensor(case, key, shape, kind);
        let scale = want.abs().max().double_value(&[]).max(1e-12);
        let err = (got - &want).abs().max().double_value(&[]) / scale;
        assert!(
            err <= tol * 10.0,
            "{what}: {key} differs from torch by {err} (relative)"
        );
    };
    for case in g["kd_full"].as_array().expect("kd_full") {
        let norm: FeatureNorm =
            serde_json::from_value(case["feature_norm"].clone()).expect("feature_norm");
        let wts = KdWeights {
            alpha: num(case, "alpha"),
            temperature: num(case, "temperature"),
            beta: num(case, "beta"),
            feature_norm: norm,
        };
        let zg = z.copy().set_requires_grad(true);
        let hsg = hs.copy().set_requires_grad(true);
        let wg = w.copy().set_requires_grad(true);
        let bg = bias.copy().set_requires_grad(true);
        let mapped = hsg.linear(&wg, Some(&bg));
        let terms = kd_loss(bce(&zg, &y), &t, &zg, Some((&mapped, &ht)), &wts);
        let what = format!("kd full {wts:?}");
        close(&terms.total, num(case, "value"), &what);
        close(&terms.feature, num(case, "feature"), &what);
        terms.total.backward();
        grads_close(&zg.grad(), case, "grad_logits", &[b, k], &what);
        grads_close(&hsg.grad(), case, "grad_student_features", &[b, ds], &what);
        grads_close(&wg.grad(), case, "grad_adaptor_weight", &[dt, ds], &what);
        grads_close(&bg.grad(), case, "grad_adaptor_bias", &[dt], &what);
    }
    for case in g["kd_grad"].as_array().expect("kd_grad") {
        let temp = num(case, "temperature");
        let zg = z.copy().set_requires_grad(true);
        (binary_kl(&t, &zg, temp) * (temp * temp)).backward();
        let what = format!("T²·KD, T = {temp}");
        grads_close(&zg.grad(), case, "grad_logits", &[b, k], &what);
        // And the closed form: T·(σ(s/T) − σ(t/T)) / (B·K).
        let closed = ((&z / temp).sigmoid() - (&t / temp).sigmoid()) * (temp / (b * k) as f64);
        let err = (zg.grad() - closed).abs().max().double_value(&[]);
        assert!(err <= tol, "{what}: closed form differs by {err}");
    }
}

#[test]
fn losses_match_pytorch_f64() {
    check(Kind::Double, 1e-9);
}

#[test]
fn losses_match_pytorch_f32() {
    check(Kind::Float, 1e-5);
}
