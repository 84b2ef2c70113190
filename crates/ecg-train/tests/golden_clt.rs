//! CLT against CRD's reference code: golden values from `scripts/golden/clt_crd.py` (a
//! transcription of RepDistiller's ContrastMemory / ContrastLoss / Embed, float64). Two
//! consecutive steps with given contrast indices: the loss, Z fixed by the first step, and
//! both memory banks after each update.
use ecg_train::clt::Clt;
use ecg_train::config::CltConfig;
use serde_json::Value;
use std::path::Path;
use tch::{nn, Device, Kind, Tensor};

fn floats(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key}"))
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn t(v: &Value, key: &str, shape: &[i64]) -> Tensor {
    Tensor::from_slice(&floats(v, key))
        .reshape(shape)
        .to_kind(Kind::Float)
}

fn max_rel(a: &Tensor, b: &Tensor) -> f64 {
    let d = (a - b).abs().max().double_value(&[]);
    d / b.abs().max().double_value(&[]).max(1e-12)
}

#[test]
fn clt_matches_crd_reference_code() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/clt_crd.json");
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(&p).expect("golden")).expect("json");
    let u = |k: &str| g[k].as_i64().unwrap_or_else(|| panic!("{k}"));
    let (b, ds, dt, dim, n, neg) = (u("B"), u("DS"), u("DT"), u("DIM"), u("N"), u("NEG"));
    let cfg = CltConfig {
        weight: 1.0,
        dim: dim as usize,
        temperature: g["temperature"].as_f64().expect("T"),
        negatives: neg as usize,
        momentum: g["momentum"].as_f64().expect("momentum"),
        disease_aware: false,
    };
    let vs = nn::VarStore::new(Device::Cpu);
    let y = ndarray::Array2::<u8>::zeros((n as usize, 2));
    let clt = Clt::new(&vs.root(), &cfg, ds, dt, y.view(), 0).expect("clt");
    let vars = vs.variables();
    let set = |name: &str, value: Tensor| {
        let mut v = vars
            .get(name)
            .unwrap_or_else(|| panic!("{name}: {:?}", vars.keys()))
            .shallow_clone();
        tch::no_grad(|| v.copy_(&value));
    };
    set("clt_student.weight", t(&g, "w_s", &[dim, ds]));
    set("clt_student.bias", t(&g, "b_s", &[dim]));
    set("clt_teacher.weight", t(&g, "w_t", &[dim, dt]));
    set("clt_teacher.bias", t(&g, "b_t", &[dim]));
    set("clt_bank_student", t(&g, "mem_s", &[n, dim]));
    set("clt_bank_teacher", t(&g, "mem_t", &[n, dim]));
    for (i, st) in g["steps"].as_array().expect("steps").iter().enumerate() {
        let hs = t(st, "h_s", &[b, ds]);
        let ht = t(st, "h_t", &[b, dt]);
        let rows: Vec<usize> = floats(st, "rows").iter().map(|&r| r as usize).collect();
        let idx: Vec<i64> = floats(st, "idx").iter().map(|&r| r as i64).collect();
        let s = clt.step_with_indices(&hs, &ht, &rows, &idx);
        let loss = s.loss.double_value(&[]);
        let want = st["loss"].as_f64().expect("loss");
        assert!(
            (loss - want).abs() <= 1e-4 * want.abs(),
            "step {i}: loss {loss} vs CRD {want}"
        );
        let z = Tensor::from_slice(&floats(st, "z")).to_kind(Kind::Float);
        let zv = &vars["clt_z"];
        assert!(max_rel(zv, &z) < 1e-4, "step {i}: Z {zv:?} vs {z:?}");
        clt.update(&s);
        for (name, key) in [
            ("clt_bank_student", "mem_s_after"),
            ("clt_bank_teacher", "mem_t_after"),
        ] {
            let err = max_rel(&vars[name], &t(st, key, &[n, dim]));
            assert!(err < 1e-5, "step {i}: {name} differs from CRD by {err}");
        }
    }
}
