//! Learning on synthetic PTB-XL (ecg-synth), superdiagnostic task, CPU.
//!
//! - `small_synthetic_run_learns` (normal suite): a few hundred records, a few epochs;
//!   the loss falls and validation macro-AUC exceeds 0.6.
//! - `teacher_kd_calibration_on_synthetic_ptbxl` (normal suite, about 2.5 min on 2 cores):
//!   `ECG_SYNTH_RECORDS` (default 3000) records, `ECG_SYNTH_EPOCHS` (default 8); the
//!   label-correlation `teacher` preset (`ECG_SYNTH_TEACHER`) must reach fold-10 macro-AUC
//!   ≥ 0.90 (0.935 measured), then a KD `student` (`ECG_SYNTH_STUDENT`) and calibration;
//!   `--nocapture` prints the numbers. CPU training is bitwise-repeatable for the seed.
mod synth;

use ecg_train::config::TrainConfig;
use ecg_train::{eval_checkpoint, train, EvalOptions, TrainOptions};
use std::path::Path;

fn config(
    pack: &Path,
    out: &Path,
    preset: &str,
    epochs: usize,
    batch: usize,
    lr: f64,
    extra: &str,
) -> TrainConfig {
    let text = format!(
        r#"
[data]
pack = "{}"
task = "superdiagnostic"
input = {{ kind = "crop", length = 250, stride = 125, aggregate = "max" }}
workers = 2
prefetch = 4

[model]
preset = "{preset}"

[optim]
lr = {lr}

[schedule]
kind = "onecycle"

[train]
epochs = {epochs}
batch_size = {batch}
eval_batch_size = 256
seed = 1
device = "cpu"
output_dir = "{}"
{extra}
"#,
        pack.display(),
        out.display()
    );
    TrainConfig::from_toml(&text, Path::new("synthetic.toml")).expect("config")
}

#[test]
fn small_synthetic_run_learns() {
    let dir = tempfile::tempdir().expect("tmp");
    let pack = synth::synth_pack(dir.path(), 300, 5);
    let out = dir.path().join("run");
    let o = train(
        &config(&pack, &out, "se_resnet1d", 3, 32, 3e-3, ""),
        &TrainOptions::default(),
    )
    .expect("train");
    let l = &o.epoch_losses;
    assert!(l[l.len() - 1] < l[0], "loss did not fall: {l:?}");
    let auc = o.state.best_val_auc.expect("auc");
    assert!(auc > 0.6, "validation macro-AUC {auc}");
}

#[test]
fn teacher_kd_calibration_on_synthetic_ptbxl() {
    let n: usize = std::env::var("ECG_SYNTH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let epochs: usize = std::env::var("ECG_SYNTH_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let teacher_preset = std::env::var("ECG_SYNTH_TEACHER").unwrap_or_else(|_| "teacher".into());
    let student_preset = std::env::var("ECG_SYNTH_STUDENT").unwrap_or_else(|_| "student".into());
    let keep = std::env::var("ECG_SYNTH_DIR").ok();
    let tmp = tempfile::tempdir().expect("tmp");
    let root = keep
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&root).expect("dir");
    let t0 = std::time::Instant::now();
    let pack = synth::synth_pack(&root, n, 2024);
    eprintln!(
        "synthetic pack: {n} records in {:.1}s",
        t0.elapsed().as_secs_f64()
    );

    let progress = TrainOptions {
        progress: false,
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let teacher_dir = root.join("teacher");
    let o = train(
        &config(&pack, &teacher_dir, &teacher_preset, epochs, 64, 1e-2, ""),
        &progress,
    )
    .expect("teacher");
    eprintln!(
        "teacher ({teacher_preset}): val AUCs {:?} in {:.0}s",
        o.val_aucs,
        t.elapsed().as_secs_f64()
    );
    let ckpt = teacher_dir.join("checkpoint-best.safetensors");
    let opts = EvalOptions {
        out_dir: teacher_dir.join("eval-test"),
        calibrate: true,
        ..Default::default()
    };
    let s = eval_checkpoint(&ckpt, &opts).expect("eval teacher");
    let auc = s.report.macro_auc.expect("auc");
    eprintln!(
        "teacher test: macro-AUC {auc:.4} macro-F1 {:.4} Fmax {:?}",
        s.report.thresholded.macro_.f1, s.report.fmax
    );
    if let Some((fit, r)) = &s.calibrated {
        eprintln!(
            "teacher calibrated (lambda {:?}): macro-AUC {:?} macro-F1 {:.4}",
            fit.lambda, r.macro_auc, r.thresholded.macro_.f1
        );
    }

    let t = std::time::Instant::now();
    let student_dir = root.join("student-kd");
    let mut scfg = config(&pack, &student_dir, &student_preset, epochs, 64, 1e-2, "");
    scfg.distill = Some(ecg_train::config::DistillConfig {
        teacher: Some(ckpt.clone()),
        alpha: 0.5,
        temperature: 2.0,
        beta: 1.0,
        feature: Default::default(),
        feature_norm: Default::default(),
        clt: None,
    });
    let so = train(&scfg, &progress).expect("student");
    eprintln!(
        "KD student ({student_preset}): val AUCs {:?} in {:.0}s",
        so.val_aucs,
        t.elapsed().as_secs_f64()
    );
    let sopts = EvalOptions {
        out_dir: student_dir.join("eval-test"),
        calibrate: true,
        ..Default::default()
    };
    let ss = eval_checkpoint(&student_dir.join("checkpoint-best.safetensors"), &sopts)
        .expect("eval student");
    eprintln!(
        "KD student test: macro-AUC {:?} macro-F1 {:.4} Fmax {:?}",
        ss.report.macro_auc, ss.report.thresholded.macro_.f1, ss.report.fmax
    );
    if let Some((fit, r)) = &ss.calibrated {
        eprintln!(
            "KD student calibrated (lambda {:?}): macro-AUC {:?} macro-F1 {:.4}",
            fit.lambda, r.macro_auc, r.thresholded.macro_.f1
        );
    }
    assert!(auc >= 0.90, "teacher fold-10 macro-AUC {auc} < 0.90");
    let kd_auc = ss.report.macro_auc.expect("KD student AUC");
    assert!(
        kd_auc >= 0.85,
        "KD student fold-10 macro-AUC {kd_auc} < 0.85"
    );
    assert!(
        s.calibrated.is_some() && ss.calibrated.is_some(),
        "calibration ran"
    );
}
