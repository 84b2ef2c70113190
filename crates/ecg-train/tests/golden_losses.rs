//! The losses against PyTorch: golden values from `scripts/golden/train_losses.py`
//! (float64), compared to 1e-9 in float64 and 1e-5 in float32.
use ecg_train::loss::{asl, bce, binary_kl, kd_loss, AslParams, KdWeights};
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
    for case in g["kd_full"].as_array().expect("kd_full") {
        let wts = KdWeights {
            alpha: num(case, "alpha"),
            temperature: num(case, "temperature"),
            beta: num(case, "beta"),
        };
        let terms = kd_loss(bce(&z, &y), &t, &z, Some((&mapped, &ht)), &wts);
        close(
            &terms.total,
            num(case, "value"),
            &format!("kd full {wts:?}"),
        );
        close(&terms.feature, num(&g, "feature_mse"), "feature mse");
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
