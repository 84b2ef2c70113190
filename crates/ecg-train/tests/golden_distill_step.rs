//! One whole distillation step against PyTorch: `ecg_train::distill::forward` (what the
//! trainer runs for every batch) on fixed teacher, student, adaptor and CLT weights and one
//! batch, against `scripts/golden/distill_step.py` (METHODS §5 written independently in
//! PyTorch, float64). Checks each term, the total, the gradient of every trainable
//! variable, and the mode of each network:
//! - the teacher runs in eval mode under no-grad: its logits are the eval-mode logits (not
//!   the training-mode ones), its batch-norm running statistics do not change, no gradient
//!   reaches it, and two passes agree (dropout off);
//! - the student runs in training mode: batch statistics, dropout drawn from torch's
//!   generator (the same libtorch generator as PyTorch's, seeded alike), running statistics
//!   updated as PyTorch updates them.
use ecg_nn::models::fcn_wang::FcnWangConfig;
use ecg_nn::{ArchConfig, EcgNet, ModelSpec};
use ecg_train::config::{CltConfig, DistillConfig};
use ecg_train::data::Batch;
use ecg_train::distill::{forward, Teacher};
use ecg_train::loss::{FeatureNorm, TaskLoss};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use tch::{nn, Device, Kind, Tensor};

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

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key}"))
}

fn ints(v: &Value) -> Vec<i64> {
    floats(v).iter().map(|&x| x as i64).collect()
}

/// An fcn_wang network of the given size with every variable set from `params`.
fn network(
    leads: &[i64],
    filters: Vec<i64>,
    kernels: Vec<i64>,
    k: i64,
    len: i64,
    params: &Value,
) -> (nn::VarStore, Box<dyn EcgNet>) {
    let spec = ModelSpec {
        preset: "fcn_wang".into(),
        num_classes: k,
        leads: leads.iter().map(|&l| l as usize).collect(),
        input_len: len,
        arch: ArchConfig::FcnWang(FcnWangConfig { filters, kernels }),
        label_names: Vec::new(),
    };
    let vs = nn::VarStore::new(Device::Cpu);
    let net = ecg_nn::build(&vs.root(), &spec, None).expect("network");
    set_all(&vs, params, "");
    (vs, net)
}

/// Copies every `params` entry whose name starts with `prefix` into the VarStore's
/// variable of that name; every variable of the store must be given.
fn set_all(vs: &nn::VarStore, params: &Value, prefix: &str) {
    let vars = vs.variables();
    let mut set = 0;
    for (name, value) in params.as_object().expect("params") {
        if !name.starts_with(prefix) {
            continue;
        }
        let Some(var) = vars.get(name) else {
            continue;
        };
        let mut var = var.shallow_clone();
        let want = tensor(value, &var.size());
        tch::no_grad(|| var.copy_(&want));
        set += 1;
    }
    assert_eq!(
        set,
        vars.len(),
        "golden file sets {set} of the store's variables {:?}",
        vars.keys()
    );
}

fn snapshot(vs: &nn::VarStore) -> HashMap<String, Tensor> {
    vs.variables()
        .into_iter()
        .map(|(k, v)| (k, v.detach().copy()))
        .collect()
}

fn rel_err(got: &Tensor, want: &Tensor) -> f64 {
    let scale = want.abs().max().double_value(&[]).max(1e-6);
    (got - want).abs().max().double_value(&[]) / scale
}

fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 2e-5 * want.abs().max(1.0),
        "{what}: {got} vs PyTorch {want}"
    );
}

#[test]
fn a_distillation_step_matches_pytorch_with_the_teacher_frozen_in_eval_mode() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/distill_step.json");
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(&p).expect("golden")).expect("json");
    let (b, len, k) = (
        num(&g, "B") as i64,
        num(&g, "L") as i64,
        num(&g, "K") as i64,
    );
    let raw = tensor(&g["raw"], &[b, 12, len]);
    let y = tensor(&g["y"], &[b, k]);
    let gt = &g["teacher"];
    let tst = floats(&gt["standardizer"]);
    let x_teacher = (&raw - tst[0]) / tst[1];
    for case in g["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        // The teacher, loaded and frozen as `load_teacher` does.
        let (tvs, tnet) = network(
            &(0..12).collect::<Vec<i64>>(),
            ints(&gt["filters"]),
            ints(&gt["kernels"]),
            k,
            len,
            &gt["params"],
        );
        let teacher_before = snapshot(&tvs);
        let leads = ints(&case["lead_subset"]);
        let (svs, snet) = network(
            &leads,
            ints(&case["filters"]),
            ints(&case["kernels"]),
            k,
            len,
            &case["params"],
        );
        let x = match case["standardizer"].as_array() {
            Some(_) => {
                let st = floats(&case["standardizer"]);
                (raw.index_select(1, &Tensor::from_slice(&leads)) - st[0]) / st[1]
            }
            None => x_teacher.shallow_clone(),
        };
        let clt = case["clt"].as_object().map(|c| CltConfig {
            weight: c["weight"].as_f64().expect("weight"),
            dim: c["dim"].as_u64().expect("dim") as usize,
            temperature: c["temperature"].as_f64().expect("temperature"),
            negatives: c["negatives"].as_u64().expect("negatives") as usize,
            momentum: c["momentum"].as_f64().expect("momentum"),
            disease_aware: false,
        });
        let feature_norm: FeatureNorm =
            serde_json::from_value(case["feature_norm"].clone()).expect("feature_norm");
        let d = DistillConfig {
            teacher: None,
            alpha: num(case, "alpha"),
            temperature: num(case, "temperature"),
            beta: num(case, "beta"),
            feature: Default::default(),
            feature_norm,
            clt,
        };
        // Two training records: every negative of record r is the other record, so CLT's
        // contrast indices are the script's.
        let rows: Vec<usize> = match case["clt"].as_object() {
            Some(c) => floats(&c["rows"]).iter().map(|&r| r as usize).collect(),
            None => (0..b as usize).collect(),
        };
        let n_train = rows.iter().max().map_or(0, |m| m + 1).max(2);
        let train_y = ndarray::Array2::<u8>::zeros((n_train, k as usize));
        let teacher = Teacher::new(
            tnet,
            tvs,
            snet.as_ref(),
            leads.len() as i64,
            len,
            &d,
            train_y.view(),
            0,
        )
        .expect("teacher");
        {
            // The adaptor, CLT's maps and memory banks (Z starts unset, as in training).
            let vars = teacher.adaptor_vs.variables();
            let given = case["params"].as_object().expect("params").iter();
            let banks = case["banks"].as_object().expect("banks").iter();
            let mut set = 0;
            for (name, value) in given.chain(banks) {
                if name.starts_with("adaptor") || name.starts_with("clt_") {
                    let mut v = vars[name].shallow_clone();
                    tch::no_grad(|| v.copy_(&tensor(value, &v.size())));
                    set += 1;
                }
            }
            let unset: Vec<&String> = vars.keys().filter(|k| *k != "clt_z").collect();
            assert_eq!(set, unset.len(), "{name}: adaptor store {unset:?}");
        }
        let same_view = case["standardizer"].is_null();
        let batch = Batch {
            x: x.shallow_clone(),
            x_teacher: (!same_view).then(|| x_teacher.shallow_clone()),
            y: y.shallow_clone(),
            rows,
            index: 0,
            copied: None,
        };

        tch::manual_seed(num(case, "seed") as i64);
        let step = forward(snet.as_ref(), Some(&teacher), &TaskLoss::Bce, &batch, 0);
        // The parts stay on the device (the step log reads them); read them here.
        assert!(step.parts.len() >= 3, "{name}: distillation parts");
        let part = |i: usize| step.parts.get(i).map_or(0.0, |t| t.double_value(&[]));
        close(part(0), num(case, "task"), &format!("{name}: task"));
        close(part(1), num(case, "kd"), &format!("{name}: KD"));
        close(part(2), num(case, "feature"), &format!("{name}: feature"));
        close(part(3), num(case, "clt_value"), &format!("{name}: CLT"));
        close(
            step.total.double_value(&[]),
            num(case, "total"),
            &format!("{name}: total"),
        );
        step.total.backward();

        // The gradient of every trainable variable of the student, the adaptor and CLT.
        let grads = case["grads"].as_object().expect("grads");
        let mut vars = svs.trainable_variables();
        vars.extend(teacher.adaptor_vs.trainable_variables());
        let named: HashMap<String, Tensor> = svs
            .variables()
            .into_iter()
            .chain(teacher.adaptor_vs.variables())
            .collect();
        assert_eq!(grads.len(), vars.len(), "{name}: {:?}", grads.keys());
        for (var, want) in grads {
            let v = &named[var];
            let err = rel_err(&v.grad(), &tensor(want, &v.size()));
            assert!(
                err < 1e-4,
                "{name}: gradient of {var} differs from PyTorch by {err}"
            );
        }
        // The student trained in training mode: its running statistics moved as PyTorch's.
        for (var, want) in case["running_after"].as_object().expect("running") {
            let v = &named[var];
            let err = rel_err(v, &tensor(want, &v.size()));
            assert!(err < 1e-5, "{name}: student {var} after the step: {err}");
        }

        // The teacher: unchanged (running statistics included), no gradient, eval mode.
        let tvars = teacher.net_variables();
        for (var, before) in &teacher_before {
            let now = &tvars[var];
            assert!(
                now.equal(before),
                "{name}: teacher {var} changed in the step"
            );
            assert!(!now.requires_grad(), "{name}: teacher {var} requires grad");
            assert!(
                !now.grad().defined(),
                "{name}: a gradient reached teacher {var}"
            );
        }
        let want_t = tensor(&case["teacher_logits"], &[b, k]);
        let eval = tch::no_grad(|| teacher.net().forward_t(&x_teacher, false).logits);
        let again = tch::no_grad(|| teacher.net().forward_t(&x_teacher, false).logits);
        assert!(eval.equal(&again), "{name}: two eval passes differ");
        assert!(rel_err(&eval, &want_t) < 1e-5, "{name}: teacher logits");
        // The check can fail: the teacher in training mode gives other logits.
        tch::manual_seed(0);
        let train_mode = tch::no_grad(|| teacher.net().forward_t(&x_teacher, true).logits);
        assert!(
            rel_err(&train_mode, &want_t) > 1e-2,
            "{name}: training-mode teacher logits should differ from eval mode's"
        );
    }
}
