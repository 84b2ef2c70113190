//! The trainer end to end on a tiny learnable pack (CPU, seeded): learning, bitwise
//! repeatability, resume after a stop, KD with α = β = 0 equal to plain training, eval
//! outputs consistent with ecg-metrics.
mod common;

use ecg_train::config::TrainConfig;
use ecg_train::{eval_checkpoint, train, EvalOptions, TrainOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tch::Tensor;

fn cfg(pack: &Path, out: &Path, epochs: usize, extra: &str) -> TrainConfig {
    let text = common::config_text(pack, out, epochs, extra);
    TrainConfig::from_toml(&text, Path::new("test.toml")).expect("config")
}

fn weights(path: &Path) -> BTreeMap<String, Tensor> {
    Tensor::read_safetensors(path)
        .expect("read weights")
        .into_iter()
        .collect()
}

fn same_weights(a: &Path, b: &Path) -> bool {
    let (wa, wb) = (weights(a), weights(b));
    wa.len() == wb.len()
        && wa
            .iter()
            .all(|(k, ta)| wb.get(k).is_some_and(|tb| ta.equal(tb)))
}

/// torch's generator is process-global (weight init, dropout): tests that train run one
/// at a time so that their seeds are not interleaved.
static TORCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn setup(n: usize) -> (tempfile::TempDir, PathBuf) {
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().expect("tmp");
    let pack = common::make_pack(dir.path(), n, 11);
    (dir, pack)
}

#[test]
fn learns_and_writes_a_run_folder_then_evaluates() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(300);
    let out = dir.path().join("run");
    let o = train(&cfg(&pack, &out, 3, ""), &TrainOptions::default()).expect("train");
    assert!(o.state.finished && !o.interrupted);
    assert_eq!(o.epoch_losses.len(), 3);
    assert!(
        o.epoch_losses[2] < o.epoch_losses[0],
        "loss did not decrease: {:?}",
        o.epoch_losses
    );
    let best = o.state.best_val_auc.expect("auc");
    assert!(best > 0.6, "validation macro-AUC {best}");
    for f in [
        "config.toml",
        "checkpoint-best.safetensors",
        "checkpoint-best.safetensors.json",
        "checkpoint-best.safetensors.train.json",
        "checkpoint-last.safetensors",
        "checkpoint-last.optim.safetensors",
        "checkpoint-last.state.json",
        "metrics.jsonl",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let lines = std::fs::read_to_string(out.join("metrics.jsonl")).expect("jsonl");
    assert_eq!(lines.lines().count(), 3);

    // A second run into the same folder without --resume is refused.
    let e = train(&cfg(&pack, &out, 3, ""), &TrainOptions::default()).unwrap_err();
    assert!(e.to_string().contains("--resume"), "{e}");

    // Eval: files written, metrics.json agrees with ecg-metrics on the written arrays.
    let eval_dir = dir.path().join("eval");
    let opts = EvalOptions {
        out_dir: eval_dir.clone(),
        calibrate: true,
        bootstrap: 10,
        ..Default::default()
    };
    let s = eval_checkpoint(&out.join("checkpoint-best.safetensors"), &opts).expect("eval");
    let y = ecg_metrics::npy::read_labels(&eval_dir.join("labels.npy")).expect("labels");
    let p = ecg_metrics::npy::read_scores(&eval_dir.join("scores.npy")).expect("scores");
    let auc = ecg_metrics::macro_auc(y.view(), p.view())
        .expect("auc")
        .macro_;
    assert_eq!(auc, s.report.macro_auc);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval_dir.join("metrics.json")).expect("m"))
            .expect("json");
    assert_eq!(json["macro_auc"].as_f64(), auc);
    assert!(eval_dir.join("metrics_calibrated.json").is_file());
    assert!(eval_dir.join("lambda.json").is_file());
    assert!(s.calibrated.is_some());
}

#[test]
fn repeatable_and_resume_is_exact() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(120);
    // 96 training records (folds 1-8 of 120), batch 16: 6 steps per epoch.
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let c = dir.path().join("c");
    train(&cfg(&pack, &a, 2, ""), &TrainOptions::default()).expect("a");
    train(&cfg(&pack, &b, 2, ""), &TrainOptions::default()).expect("b");
    assert!(same_weights(
        &a.join("checkpoint-last.safetensors"),
        &b.join("checkpoint-last.safetensors")
    ));
    // Stop in the middle of the second epoch, then resume.
    let o = train(
        &cfg(&pack, &c, 2, "stop_after_steps = 9"),
        &TrainOptions::default(),
    )
    .expect("c1");
    assert!(o.interrupted && o.state.global_step == 9);
    let resumed = TrainOptions {
        resume: ecg_train::checkpoint::Resume::Yes,
        ..Default::default()
    };
    let o = train(&cfg(&pack, &c, 2, ""), &resumed).expect("c2");
    assert!(o.state.finished && o.state.global_step == 12);
    assert!(
        same_weights(
            &a.join("checkpoint-last.safetensors"),
            &c.join("checkpoint-last.safetensors")
        ),
        "resumed weights differ from the uninterrupted run"
    );
}

#[test]
fn kd_with_alpha_and_beta_zero_equals_plain_training() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(120);
    let teacher = dir.path().join("teacher");
    train(&cfg(&pack, &teacher, 1, ""), &TrainOptions::default()).expect("teacher");
    let plain = dir.path().join("plain");
    train(&cfg(&pack, &plain, 1, ""), &TrainOptions::default()).expect("plain");
    let kd = dir.path().join("kd");
    let mut kcfg = cfg(&pack, &kd, 1, "");
    kcfg.distill = Some(ecg_train::config::DistillConfig {
        teacher: Some(teacher.join("checkpoint-best.safetensors")),
        alpha: 0.0,
        temperature: 2.0,
        beta: 0.0,
        feature: Default::default(),
        feature_norm: Default::default(),
        clt: None,
    });
    train(&kcfg, &TrainOptions::default()).expect("kd");
    assert!(same_weights(
        &plain.join("checkpoint-last.safetensors"),
        &kd.join("checkpoint-last.safetensors")
    ));
    // With α > 0 the student differs.
    let kd2 = dir.path().join("kd2");
    let mut k2 = kcfg.clone();
    k2.train.output_dir = kd2.clone();
    if let Some(d) = k2.distill.as_mut() {
        d.alpha = 0.5;
        d.beta = 1.0;
    }
    train(&k2, &TrainOptions::default()).expect("kd2");
    assert!(!same_weights(
        &plain.join("checkpoint-last.safetensors"),
        &kd2.join("checkpoint-last.safetensors")
    ));
    assert!(kd2.join("checkpoint-last.adaptor.safetensors").is_file());
}

/// A config for a student that reads only `leads` (toy pack: I, II), standardised per lead.
fn lead_cfg(pack: &Path, out: &Path, epochs: usize, leads: &str) -> TrainConfig {
    let text = common::config_text(pack, out, epochs, "").replace(
        "task = \"classes\"",
        &format!("task = \"classes\"\nleads = {leads}\nstandardize = \"per-lead\""),
    );
    TrainConfig::from_toml(&text, Path::new("test.toml")).expect("config")
}

#[test]
fn a_two_lead_teacher_sees_the_same_augmented_crops_as_a_single_lead_student() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(120);
    let teacher = dir.path().join("teacher");
    train(
        &lead_cfg(&pack, &teacher, 1, r#"["I", "II"]"#),
        &TrainOptions::default(),
    )
    .expect("teacher");
    let tprep =
        ecg_train::checkpoint::read_preprocessing(&teacher.join("checkpoint-best.safetensors"))
            .expect("sidecar");
    // Student on lead II only; augmentations on (amplitude, noise, and a time-out).
    let mut scfg = lead_cfg(&pack, &dir.path().join("s"), 1, r#"["II"]"#);
    scfg.augment.time_out = 0.3;
    let mut data = ecg_train::data::Prepared::from_config(&scfg).expect("data");
    assert!(data.teacher_view.is_none());
    data.attach_teacher(&tprep, Path::new("t")).expect("attach");
    let view = data.teacher_view.clone().expect("a second view");
    assert_eq!(view.standard_leads, vec![0, 1]);
    let data = std::sync::Arc::new(data);
    let mut n = 0;
    for b in ecg_train::data::TrainLoader::new(data, &scfg, 0, 0, tch::Device::Cpu) {
        let b = b.expect("batch");
        let xt = b.x_teacher.expect("teacher batch");
        assert_eq!(xt.size()[1], 2);
        assert_eq!(b.x.size()[1], 1);
        // Lead II of the teacher's view is the student's input, bit for bit (per-lead
        // standardisation fitted on the same folds, the same crop and augmentation draws).
        let diff = (xt.narrow(1, 1, 1) - &b.x).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "batch {}: max difference {diff}", b.index);
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn a_single_lead_student_distils_from_a_two_lead_teacher() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(300);
    let teacher = dir.path().join("teacher");
    train(&cfg(&pack, &teacher, 3, ""), &TrainOptions::default()).expect("teacher");
    let kd = dir.path().join("kd");
    let mut kcfg = lead_cfg(&pack, &kd, 3, r#"["II"]"#);
    kcfg.distill = Some(ecg_train::config::DistillConfig {
        teacher: Some(teacher.join("checkpoint-best.safetensors")),
        alpha: 0.5,
        temperature: 2.0,
        beta: 1.0,
        feature: Default::default(),
        feature_norm: Default::default(),
        clt: None,
    });
    let o = train(&kcfg, &TrainOptions::default()).expect("kd across lead sets");
    assert!(o.state.finished);
    let lines = std::fs::read_to_string(kd.join("metrics.jsonl")).expect("jsonl");
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let kd_loss = v["train_kd_loss"].as_f64().expect("kd term");
        assert!(kd_loss.is_finite() && kd_loss > 0.0, "{line}");
    }
    // The student is single-lead: its checkpoint evaluates on lead II alone.
    let prep = ecg_train::checkpoint::read_preprocessing(&kd.join("checkpoint-best.safetensors"))
        .expect("sidecar");
    assert_eq!(prep.leads, vec!["II".to_string()]);
    let s = eval_checkpoint(
        &kd.join("checkpoint-best.safetensors"),
        &EvalOptions {
            out_dir: dir.path().join("eval"),
            ..Default::default()
        },
    )
    .expect("eval");
    assert!(s.report.macro_auc.is_some());

    // A teacher that reads a lead the pack lacks is refused, naming the lead.
    let mut bad =
        ecg_train::checkpoint::read_preprocessing(&teacher.join("checkpoint-best.safetensors"))
            .expect("sidecar");
    bad.leads = vec!["I".into(), "V5".into()];
    let mut data = ecg_train::data::Prepared::from_config(&kcfg).expect("data");
    let e = data
        .attach_teacher(&bad, Path::new("teacher.safetensors"))
        .unwrap_err();
    assert!(e.to_string().contains("V5"), "{e}");
}

#[test]
fn a_non_finite_loss_stops_training_with_a_clear_error_and_keeps_the_last_checkpoint() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().expect("tmp");
    // Finite samples near f32::MAX, not standardised: the first convolution overflows.
    let bad_dir = dir.path().join("saturated");
    std::fs::create_dir_all(&bad_dir).expect("mkdir");
    let pack = common::make_scaled_pack(&bad_dir, 120, 11, 1e38);
    let out = dir.path().join("run");
    let text = common::config_text(&pack, &out, 2, "").replace(
        "task = \"classes\"",
        "task = \"classes\"\nstandardize = \"none\"",
    );
    let c = TrainConfig::from_toml(&text, Path::new("test.toml")).expect("config");
    let e = train(&c, &TrainOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            ecg_train::TrainError::NonFinite {
                epoch: 1,
                step: 0,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("epoch 1") && msg.contains("step 0"), "{msg}");
    // Nothing half-written: no state to resume from a poisoned step.
    assert!(!out.join("checkpoint-last.state.json").exists());

    // A run stopped in its second epoch on good data, resumed after the pack on disk was
    // replaced by the saturated one: the error names epoch 2, step 8, and the saved state
    // (8 good steps) survives it.
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("mkdir");
    let good = common::make_pack(&data_dir, 120, 11);
    let out2 = dir.path().join("run2");
    let text = |extra: &str| {
        common::config_text(&good, &out2, 2, extra).replace(
            "task = \"classes\"",
            "task = \"classes\"\nstandardize = \"none\"",
        )
    };
    let c = TrainConfig::from_toml(&text("stop_after_steps = 8"), Path::new("t.toml")).expect("c");
    let o = train(&c, &TrainOptions::default()).expect("good steps");
    assert!(o.interrupted && o.state.global_step == 8);
    assert_eq!(common::make_scaled_pack(&data_dir, 120, 11, 1e38), good);
    let resumed = TrainOptions {
        resume: ecg_train::checkpoint::Resume::Yes,
        ..Default::default()
    };
    let c2 = TrainConfig::from_toml(&text(""), Path::new("t.toml")).expect("c2");
    let e = train(&c2, &resumed).unwrap_err();
    assert!(
        matches!(
            e,
            ecg_train::TrainError::NonFinite {
                epoch: 2,
                step: 8,
                ..
            }
        ),
        "{e:?}"
    );
    let state = std::fs::read_to_string(out2.join("checkpoint-last.state.json")).expect("state");
    assert!(
        state.contains("\"epochs_done\": 1") && state.contains("\"global_step\": 8"),
        "{state}"
    );
}

#[test]
fn resume_refuses_a_different_config_and_names_the_keys() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(120);
    let out = dir.path().join("run");
    let o = train(
        &cfg(&pack, &out, 2, "stop_after_steps = 3"),
        &TrainOptions::default(),
    )
    .expect("start");
    assert!(o.interrupted);
    let resumed = TrainOptions {
        resume: ecg_train::checkpoint::Resume::Yes,
        ..Default::default()
    };
    let mut other = cfg(&pack, &out, 3, "");
    other.optim.lr *= 2.0;
    let e = train(&other, &resumed).unwrap_err().to_string();
    assert!(
        e.contains("train.epochs (2 → 3)") && e.contains("optim.lr") && e.contains("config.toml"),
        "{e}"
    );
    // Workers, prefetch and the stop step may change: the run continues.
    let mut same = cfg(&pack, &out, 2, "");
    same.data.workers = 1;
    let o = train(&same, &resumed).expect("resume");
    assert!(o.state.finished && o.state.global_step == 12);
}

#[test]
fn mvkt_clt_trains_a_single_lead_student_and_resumes_exactly() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(120);
    let teacher = dir.path().join("teacher");
    train(&cfg(&pack, &teacher, 1, ""), &TrainOptions::default()).expect("teacher");
    let mvkt = |out: &Path, extra: &str| {
        let mut c = lead_cfg(&pack, out, 2, r#"["II"]"#);
        if !extra.is_empty() {
            c.train.stop_after_steps = extra.parse().ok();
        }
        c.distill = Some(ecg_train::config::DistillConfig {
            teacher: Some(teacher.join("checkpoint-best.safetensors")),
            alpha: 0.5,
            temperature: 1.0,
            beta: 0.0,
            feature: Default::default(),
            feature_norm: Default::default(),
            clt: Some(ecg_train::config::CltConfig {
                weight: 0.4,
                dim: 16,
                negatives: 32,
                ..Default::default()
            }),
        });
        c
    };
    let a = dir.path().join("a");
    let o = train(&mvkt(&a, ""), &TrainOptions::default()).expect("mvkt");
    assert!(o.state.finished);
    let lines = std::fs::read_to_string(a.join("metrics.jsonl")).expect("jsonl");
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let clt = v["train_clt_loss"].as_f64().expect("clt term");
        assert!(clt.is_finite() && clt > 0.0, "{line}");
    }
    // The banks are saved with the adaptor, and a stop + resume ends bit for bit where the
    // uninterrupted run ended (banks, Z and negatives included).
    let banks = weights(&a.join("checkpoint-last.adaptor.safetensors"));
    assert!(
        banks.contains_key("clt_bank_student") && banks.contains_key("clt_z"),
        "{:?}",
        banks.keys()
    );
    let b = dir.path().join("b");
    let o = train(&mvkt(&b, "9"), &TrainOptions::default()).expect("b1");
    assert!(o.interrupted);
    let resumed = TrainOptions {
        resume: ecg_train::checkpoint::Resume::Yes,
        ..Default::default()
    };
    train(&mvkt(&b, ""), &resumed).expect("b2");
    assert!(same_weights(
        &a.join("checkpoint-last.safetensors"),
        &b.join("checkpoint-last.safetensors")
    ));
    assert!(same_weights(
        &a.join("checkpoint-last.adaptor.safetensors"),
        &b.join("checkpoint-last.adaptor.safetensors")
    ));
}

#[test]
fn bf16_autocast_trains_on_cpu_and_keeps_fp32_weights() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, pack) = setup(300);
    let out = dir.path().join("bf16");
    let mut c = cfg(&pack, &out, 3, "autocast = true");
    assert_eq!(
        c.train.autocast_dtype,
        ecg_train::precision::AutocastDtype::Bf16,
        "bf16 is the default"
    );
    c.train.autocast = true;
    let o = train(&c, &TrainOptions::default()).expect("bf16 training");
    let l = &o.epoch_losses;
    assert!(l.iter().all(|v| v.is_finite()) && l[2] < l[0], "{l:?}");
    assert!(o.state.best_val_auc.expect("auc") > 0.6, "{:?}", o.val_aucs);
    // Not the fp32 run: autocast changed the arithmetic.
    let fp32 = dir.path().join("fp32");
    train(&cfg(&pack, &fp32, 3, ""), &TrainOptions::default()).expect("fp32");
    assert!(!same_weights(
        &out.join("checkpoint-last.safetensors"),
        &fp32.join("checkpoint-last.safetensors")
    ));
    for (name, t) in weights(&out.join("checkpoint-best.safetensors")) {
        assert!(
            matches!(t.kind(), tch::Kind::Float | tch::Kind::Int64),
            "{name} saved as {:?}",
            t.kind()
        );
    }
    // The autocast state does not leak out of training.
    assert_eq!(
        ecg_train::precision::state(tch::Device::Cpu)
            .expect("state")
            .0,
        false
    );
}
