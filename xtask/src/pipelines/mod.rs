//! `cargo xtask reproduce cpsc2018|hefei`: the datasets beside PTB-XL, as per-dataset
//! plans ([`cpsc2018`], [`hefei`]) run by one driver ([`run`]) on the stage machinery of
//! [`crate::stage`] (fingerprints, stamps, resumable training) that `reproduce ptbxl` uses.
//!
//! data (`--data DIR`, or `--synthetic`: `ecg synth <dataset>`) → `ecg pack` → per task and
//! model: train (or distill from the task's teacher) → `ecg eval --split test` (with
//! label-correlation calibration where the plan says so) → `ecg report`.
use crate::reproduce::{self, Options};
use crate::stage::{write_atomic, Runner, Stage};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

pub mod cpsc2018;
pub mod hefei;

/// One model of a plan.
#[derive(Debug, Clone)]
pub struct Model {
    /// Folder name under `<run>/<task>/`.
    pub dir: &'static str,
    /// Config template in `configs/<dataset>/`.
    pub template: &'static str,
    /// `model.preset` set over the template's (e.g. an ablation of the teacher).
    pub preset: Option<&'static str>,
    /// Distilled from the task's `teacher`.
    pub distill: bool,
    /// Evaluated also after label-correlation calibration.
    pub calibrate: bool,
}

/// A dataset's pipeline.
#[derive(Clone)]
pub struct Plan {
    /// `cpsc2018`, `hefei`: the `ecg pack` / `ecg synth` subcommand and `configs/` folder.
    pub dataset: &'static str,
    /// Title in run.json / the report.
    pub title: &'static str,
    /// The file in the data folder whose contents identify the data (the label file).
    pub label_file: fn(&Path) -> Result<PathBuf>,
    /// `ecg pack <dataset>` arguments after `--data DIR`.
    pub pack_args: Vec<String>,
    pub default_tasks: &'static [&'static str],
    pub tasks: &'static [&'static str],
    pub models: Vec<Model>,
    /// Records `--synthetic` plans by default (fewer are written: those without a label
    /// of the dataset are skipped).
    pub synthetic_records: usize,
    /// Epochs of a synthetic run unless `--epochs` says otherwise.
    pub synthetic_epochs: usize,
}

/// Below this many packed records (e.g. the 10-record CPSC2018 sample) one fold cannot
/// hold the two validation records training needs: folds 1–6 train, 7–8 validation, 9–10
/// test instead of 1–8 / 9 / 10 (stated in run.json and the report's header).
pub const SMALL_DATA: u64 = 100;

/// (train, validation, test) folds of a run with `records` records.
pub fn split(records: Option<u64>) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    if records.is_some_and(|n| n < SMALL_DATA) {
        ((1..=6).collect(), vec![7, 8], vec![9, 10])
    } else {
        ((1..=8).collect(), vec![9], vec![10])
    }
}

/// The run's config for one model: `configs/<dataset>/<template>` with the run's keys.
#[allow(clippy::too_many_arguments)]
fn write_config(
    root: &Path,
    run: &Path,
    plan: &Plan,
    task: &str,
    m: &Model,
    pack: &Path,
    folds: &(Vec<u8>, Vec<u8>, Vec<u8>),
    opts: &Options,
) -> Result<PathBuf> {
    use reproduce::set_key;
    use toml::Value;
    let template = root.join("configs").join(plan.dataset).join(m.template);
    let text = std::fs::read_to_string(&template)
        .with_context(|| format!("reading {}", template.display()))?;
    let mut doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", template.display()))?;
    let s = |v: String| Value::String(v);
    set_key(&mut doc, "data.pack", s(pack.display().to_string()))?;
    set_key(&mut doc, "data.task", s(task.into()))?;
    let list = |f: &[u8]| Value::Array(f.iter().map(|&x| Value::Integer(x.into())).collect());
    set_key(&mut doc, "data.train_folds", list(&folds.0))?;
    set_key(&mut doc, "data.val_folds", list(&folds.1))?;
    set_key(&mut doc, "data.test_folds", list(&folds.2))?;
    if let Some(p) = m.preset {
        set_key(&mut doc, "model.preset", s(p.into()))?;
    }
    let epochs = opts
        .epochs
        .or(opts.synthetic.then_some(plan.synthetic_epochs));
    if let Some(e) = epochs {
        set_key(&mut doc, "train.epochs", Value::Integer(e as i64))?;
    }
    set_key(&mut doc, "train.seed", Value::Integer(opts.seed as i64))?;
    set_key(&mut doc, "train.device", s(opts.device.clone()))?;
    let out_dir = run.join(task).join(m.dir);
    set_key(
        &mut doc,
        "train.output_dir",
        s(out_dir.display().to_string()),
    )?;
    if m.distill {
        let teacher = teacher_checkpoint(run, task);
        set_key(
            &mut doc,
            "distill.teacher",
            s(teacher.display().to_string()),
        )?;
    }
    let path = run.join("configs").join(format!("{task}-{}.toml", m.dir));
    let header = format!(
        "# Written by `cargo xtask reproduce {}` from configs/{}/{} (task {task}).\n",
        plan.dataset, plan.dataset, m.template
    );
    write_atomic(&path, (header + &toml::to_string_pretty(&doc)?).as_bytes())?;
    Ok(path)
}

fn teacher_checkpoint(run: &Path, task: &str) -> PathBuf {
    run.join(task)
        .join("teacher")
        .join("checkpoint-best.safetensors")
}

fn absolute(p: &Path) -> Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    })
}

/// Run a dataset's pipeline with the given `ecg` binary; returns the run folder.
pub fn run(root: &Path, ecg: &Path, plan: &Plan, opts: &Options) -> Result<PathBuf> {
    reproduce::check_torchrun(root, opts)?;
    let tasks: Vec<String> = match &opts.tasks {
        Some(t) => t.clone(),
        None => plan.default_tasks.iter().map(|s| s.to_string()).collect(),
    };
    if let Some(t) = tasks.iter().find(|t| !plan.tasks.contains(&t.as_str())) {
        bail!(
            "unknown {} task `{t}`; tasks: {}",
            plan.dataset,
            plan.tasks.join(", ")
        );
    }
    if opts.synthetic == opts.data.is_some() {
        bail!(
            "give exactly one of --data DIR (the {} folder) or --synthetic",
            plan.dataset
        );
    }
    let run = match &opts.out {
        Some(o) => absolute(o)?,
        None if opts.synthetic => root
            .join("runs")
            .join(format!("{}-synthetic", plan.dataset)),
        None => root.join("runs").join(plan.dataset),
    };
    std::fs::create_dir_all(&run).with_context(|| format!("creating {}", run.display()))?;
    let mut runner = Runner::new(&run, reproduce::binary_id(ecg)?, opts.force.clone());

    // Data.
    let (data, data_stage) = match &opts.data {
        Some(d) => (absolute(d)?, None),
        None => {
            let dir = run.join("data").join(format!("synthetic-{}", plan.dataset));
            let records = if opts.records_given {
                opts.records
            } else {
                plan.synthetic_records
            };
            let st = Stage::new("synth", ecg)
                .args(["synth", plan.dataset, "--records"])
                .args([records.to_string(), "--seed".into(), opts.seed.to_string()])
                .args(["--out"])
                .arg_path(&dir)
                .output(&dir);
            runner.run(&st)?;
            (dir, Some("synth"))
        }
    };
    let labels = (plan.label_file)(&data)?;

    // Pack (the fingerprint covers the label file's contents).
    let pack = run
        .join("data")
        .join(format!("{}.safetensors", plan.dataset));
    let mut st = Stage::new("pack", ecg)
        .args(["pack", plan.dataset, "--data"])
        .arg_path(&data)
        .args(&plan.pack_args)
        .args(["--seed", &opts.seed.to_string(), "--out"])
        .arg_path(&pack)
        .content(&labels)
        .output(&pack);
    if let Some(d) = data_stage {
        st = st.after(d);
    }
    runner.run(&st)?;
    let n_records = reproduce::pack_records(&pack);
    let folds = split(n_records);
    reproduce::write_run_json(
        root,
        ecg,
        &run,
        json!({
            "dataset": plan.dataset,
            "title": if opts.synthetic { format!("synthetic {} (ecg synth)", plan.title) } else { plan.title.to_string() },
            "synthetic": opts.synthetic,
            "data_source": data.display().to_string(),
            "n_records": n_records,
            "folds": { "train": folds.0, "validation": folds.1, "test": folds.2 },
            "profile": "quick",
            "tasks": tasks,
            "models": plan.models.iter().map(|m| m.dir).collect::<Vec<_>>(),
            "device": opts.device_label(),
            "seed": opts.seed,
            "nproc": opts.nproc.unwrap_or(1),
        }),
    )?;

    let train_folds = folds
        .0
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(",");
    for task in &tasks {
        // E and C on the run's training folds, as the teacher's embedding and the
        // calibration see them; the report draws them.
        runner.run(&reproduce::labels_stage(
            ecg,
            &run,
            task,
            &pack,
            &["pack", "--train-folds", &train_folds],
        ))?;
        for m in &plan.models {
            let cfg = write_config(root, &run, plan, task, m, &pack, &folds, opts)?;
            train_and_eval(root, ecg, &run, &mut runner, task, m, &cfg, opts)?;
        }
    }
    runner.force.push("report".into());
    let mut rep = Stage::new("report", ecg)
        .args(["report", "--run"])
        .arg_path(&run)
        .output(&run.join("report.md"));
    for task in &tasks {
        for m in &plan.models {
            rep = rep.after(&format!("eval/{task}/{}", m.dir));
        }
    }
    runner.run(&rep)?;
    write_atomic(
        &run.join("stages.json"),
        serde_json::to_string_pretty(&runner.log)?.as_bytes(),
    )?;
    eprintln!("xtask: report: {}", run.join("report.md").display());
    Ok(run)
}

#[allow(clippy::too_many_arguments)]
fn train_and_eval(
    root: &Path,
    ecg: &Path,
    run: &Path,
    runner: &mut Runner,
    task: &str,
    m: &Model,
    cfg: &Path,
    opts: &Options,
) -> Result<()> {
    let out_dir = run.join(task).join(m.dir);
    let ckpt = out_dir.join("checkpoint-best.safetensors");
    let train_name = format!("train/{task}/{}", m.dir);
    // `ecg` itself, or N ranks of it under torchrun (`--nproc N`).
    let stage = reproduce::training_stage(&train_name, ecg, root, opts);
    let mut st = if m.distill {
        stage
            .args(["distill", "--config"])
            .arg_path(cfg)
            .args(["--teacher"])
            .arg_path(&teacher_checkpoint(run, task))
            .after(&format!("train/{task}/teacher"))
    } else {
        stage.args(["train", "--config"]).arg_path(cfg)
    };
    st = st.content(cfg).after("pack").output(&ckpt);
    reproduce::prepare_training(run, runner, &mut st, &out_dir)?;
    runner.run(&st)?;
    let mut ev = Stage::new(format!("eval/{task}/{}", m.dir), ecg)
        .args(["eval", "--split", "test", "--device", &opts.device])
        .args(["--seed", &opts.seed.to_string(), "--checkpoint"])
        .arg_path(&ckpt)
        .args(["--out"])
        .arg_path(&out_dir)
        .after(&train_name)
        .output(&out_dir.join("metrics.json"))
        .output(&out_dir.join("scores.npy"));
    if m.calibrate {
        ev = ev
            .args(["--calibrate"])
            .output(&out_dir.join("metrics_calibrated.json"));
    }
    runner.run(&ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_runs_get_two_validation_and_two_test_folds() {
        assert_eq!(
            split(Some(10)),
            ((1..=6).collect(), vec![7, 8], vec![9, 10])
        );
        assert_eq!(split(Some(500)), ((1..=8).collect(), vec![9], vec![10]));
        assert_eq!(split(None), ((1..=8).collect(), vec![9], vec![10]));
        for p in [cpsc2018::plan(), hefei::plan()] {
            let root = crate::workspace_root();
            for m in &p.models {
                let t = root.join("configs").join(p.dataset).join(m.template);
                assert!(t.is_file(), "{}", t.display());
            }
            assert!(p.models.iter().any(|m| m.dir == "teacher"));
        }
    }
}
