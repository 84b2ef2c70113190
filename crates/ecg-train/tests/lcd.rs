//! LCD (Liu et al. 2025) end to end on the toy pack (2 leads): pretraining writes a loadable
//! single-lead encoder; the per-lead downstream network starts from it, frozen (linear
//! probe: the encoders stay exactly the pretrained weights) or fine-tuned (they move), on a
//! fraction of the training labels.
mod common;

use ecg_train::config::TrainConfig;
use ecg_train::{train, TrainOptions};
use std::collections::BTreeMap;
use std::path::Path;
use tch::Tensor;

static TORCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn weights(path: &Path) -> BTreeMap<String, Tensor> {
    Tensor::read_safetensors(path)
        .expect("read weights")
        .into_iter()
        .collect()
}

fn config(pack: &Path, out: &Path, epochs: usize, model: &str, extra_tables: &str) -> TrainConfig {
    let text = common::config_text(pack, out, epochs, "")
        .replace("preset = \"se_resnet1d\"", model)
        + extra_tables;
    TrainConfig::from_toml(&text, Path::new("lcd.toml")).expect("config")
}

#[test]
fn pretrain_then_probe_and_fine_tune_per_lead() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().expect("tmp");
    let pack = common::make_pack(dir.path(), 200, 11);
    let pre = dir.path().join("pretrain");
    let pcfg = config(
        &pack,
        &pre,
        3,
        "preset = \"se_resnet1d\"",
        "\n[lcd]\nhidden = 32\ndim = 16\n",
    );
    let o = ecg_train::lcd::pretrain(&pcfg, false, false).expect("pretrain");
    assert_eq!(o.epoch_losses.len(), 3);
    assert!(
        o.epoch_losses.iter().all(|l| l.is_finite()),
        "{:?}",
        o.epoch_losses
    );
    assert!(
        o.epoch_losses[2] < o.epoch_losses[0],
        "LCD loss did not fall: {:?}",
        o.epoch_losses
    );
    let (_, _, spec) = ecg_nn::checkpoint::load(&o.encoder, tch::Device::Cpu).expect("loadable");
    assert_eq!(spec.leads.len(), 1);
    assert_eq!(
        std::fs::read_to_string(pre.join("metrics.jsonl"))
            .expect("jsonl")
            .lines()
            .count(),
        3
    );
    // A second pretraining into the same folder is refused.
    assert!(ecg_train::lcd::pretrain(&pcfg, false, false).is_err());

    let enc = weights(&o.encoder);
    let model = |freeze: bool| {
        format!(
            "preset = \"per_lead\"\nencoder = \"{}\"\nfreeze_encoder = {freeze}",
            o.encoder.display()
        )
    };
    // Linear probe on 50 % of the training labels.
    let probe = dir.path().join("probe");
    let mut c = config(&pack, &probe, 2, &model(true), "");
    c.data.train_fraction = Some(0.5);
    let r = train(&c, &TrainOptions::default()).expect("probe");
    assert!(r.state.finished);
    let w = weights(&probe.join("checkpoint-last.safetensors"));
    for (name, t) in enc.iter().filter(|(n, _)| !n.starts_with("head.")) {
        for lead in 0..2 {
            let got = &w[&format!("lead{lead}.{name}")];
            assert!(got.equal(t), "linear probe changed lead{lead}.{name}");
        }
    }
    // Fine-tuning moves the encoders.
    let fine = dir.path().join("fine");
    let c = config(&pack, &fine, 2, &model(false), "");
    train(&c, &TrainOptions::default()).expect("fine-tune");
    let w = weights(&fine.join("checkpoint-last.safetensors"));
    let name = "stem.conv.weight";
    assert!(enc.contains_key(name), "{:?}", enc.keys());
    assert!(
        !w[&format!("lead0.{name}")].equal(&enc[name]),
        "fine-tuning left the encoder"
    );
    // The downstream checkpoint rebuilds and evaluates from its sidecars alone.
    let s = ecg_train::eval_checkpoint(
        &fine.join("checkpoint-best.safetensors"),
        &ecg_train::EvalOptions {
            out_dir: dir.path().join("eval"),
            bootstrap: 0,
            ..Default::default()
        },
    )
    .expect("eval");
    assert!(s.report.macro_auc.is_some());
}

#[test]
fn train_fraction_keeps_a_seeded_subset_and_bad_configs_are_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let pack = common::make_pack(dir.path(), 200, 11);
    let mut c = config(
        &pack,
        &dir.path().join("x"),
        1,
        "preset = \"se_resnet1d\"",
        "",
    );
    let full = ecg_train::data::Prepared::from_config(&c)
        .expect("data")
        .train;
    c.data.train_fraction = Some(0.1);
    let a = ecg_train::data::Prepared::from_config(&c)
        .expect("data")
        .train;
    let b = ecg_train::data::Prepared::from_config(&c)
        .expect("data")
        .train;
    assert_eq!(a.len(), (0.1 * full.len() as f64).ceil() as usize);
    assert_eq!(a.ids, b.ids, "seeded");
    assert!(a.ids.iter().all(|id| full.ids.contains(id)));
    let bad = |model: &str, extra: &str| {
        let text = common::config_text(&pack, &dir.path().join("y"), 1, "")
            .replace("preset = \"se_resnet1d\"", model)
            + extra;
        TrainConfig::from_toml(&text, Path::new("bad.toml"))
            .unwrap_err()
            .to_string()
    };
    assert!(bad("preset = \"per_lead\"", "").contains("model.encoder"));
    assert!(bad("preset = \"se_resnet1d\"\nencoder = \"e\"", "").contains("model.encoder"));
    assert!(bad("preset = \"se_resnet1d\"", "\n[lcd]\nmomentum = 1.5\n").contains("lcd.momentum"));
    let text = common::config_text(&pack, &dir.path().join("y"), 1, "").replace(
        "task = \"classes\"",
        "task = \"classes\"\ntrain_fraction = 0",
    );
    let e = TrainConfig::from_toml(&text, Path::new("bad.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("data.train_fraction"), "{e}");
}

#[test]
fn pretraining_stopped_and_resumed_ends_bit_for_bit_where_an_uninterrupted_run_ends() {
    let _guard = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().expect("tmp");
    let pack = common::make_pack(dir.path(), 120, 11);
    let cfg = |out: &Path, stop: Option<usize>| {
        let mut c = config(
            &pack,
            out,
            2,
            "preset = \"se_resnet1d\"",
            "\n[lcd]\nhidden = 16\ndim = 8\n",
        );
        c.train.stop_after_steps = stop;
        c
    };
    let a = dir.path().join("a");
    let oa = ecg_train::lcd::pretrain(&cfg(&a, None), false, false).expect("a");
    assert!(
        oa.state.finished && oa.state.global_step == 12,
        "{:?}",
        oa.state
    );
    // 6 steps per epoch: stop in the middle of the second epoch.
    let b = dir.path().join("b");
    let ob = ecg_train::lcd::pretrain(&cfg(&b, Some(9)), false, false).expect("b1");
    assert!(ob.interrupted && ob.state.global_step == 9);
    assert!(
        ecg_train::lcd::pretrain(&cfg(&b, None), false, false).is_err(),
        "refused without --resume"
    );
    let ob = ecg_train::lcd::pretrain(&cfg(&b, None), true, false).expect("b2");
    assert!(ob.state.finished && ob.state.global_step == 12);
    for f in [
        "encoder.safetensors",
        "checkpoint-last.target.safetensors",
        "checkpoint-last.heads.safetensors",
    ] {
        let (wa, wb) = (weights(&a.join(f)), weights(&b.join(f)));
        assert_eq!(wa.len(), wb.len(), "{f}");
        for (k, t) in &wa {
            assert!(wb[k].equal(t), "{f}: {k} differs after resume");
        }
    }
}
