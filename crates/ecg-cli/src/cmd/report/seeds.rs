//! The report of a run over seeds (`cargo xtask demo|reproduce ptbxl --seeds …`): the
//! aggregate folder's run.json lists the seeds and their run folders (`seeds`,
//! `seed_runs`, each a complete run with its own report); this report reads their files
//! only: every model's macro-AUC and macro-F1 as mean ± standard deviation over seeds, the
//! per-label F1 change of calibration over seeds with the rare labels marked, then the
//! Claims section on the per-seed paired differences (Student t).
use super::claims::{self, RARE_PREVALENCE};
use super::json::{self, num};
use super::results::MODELS;
use super::split::{self, Split};
use super::table::Table;
use anyhow::{bail, Context, Result};
use ecg_metrics::Summary;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// (seed, run folder) of every seed run named in run.json.
fn seed_runs(run: &Path, info: &Value) -> Result<Vec<(u64, PathBuf)>> {
    let seeds: Vec<u64> = info["seeds"]
        .as_array()
        .and_then(|a| a.iter().map(Value::as_u64).collect())
        .context("run.json: `seeds` must be a list of whole numbers")?;
    let dirs: Vec<&str> = info["seed_runs"]
        .as_array()
        .and_then(|a| a.iter().map(Value::as_str).collect())
        .context("run.json: `seed_runs` must be a list of folder names")?;
    if seeds.is_empty() || seeds.len() != dirs.len() {
        bail!(
            "run.json: {} seeds but {} seed_runs (one folder per seed)",
            seeds.len(),
            dirs.len()
        );
    }
    let mut out = vec![];
    for (s, d) in seeds.into_iter().zip(dirs) {
        let dir = run.join(d);
        if !dir.join("run.json").is_file() {
            bail!(
                "run.json names the seed run {} (seed {s}), which has no run.json",
                dir.display()
            );
        }
        out.push((s, dir));
    }
    Ok(out)
}

/// "0.912 ± 0.010 (3)": mean ± standard deviation over the values that exist, and how many.
fn mean_std(values: &[f64]) -> String {
    match Summary::of(values, claims::LEVEL) {
        Ok(s) => match s.std {
            Some(sd) => format!("{:.3} ± {sd:.3} ({})", s.mean, s.n),
            None => format!("{:.3} (1)", s.mean),
        },
        Err(_) => "–".into(),
    }
}

/// A number of every seed's `<task>/<dir>/<file>` that has one.
fn over_seeds(
    runs: &[(u64, PathBuf)],
    task: &str,
    dir: &str,
    file: &str,
    path: &[&str],
) -> Result<Vec<f64>> {
    let mut out = vec![];
    for (_, run) in runs {
        let p = run.join(task).join(dir).join(file);
        if p.exists() {
            if let Some(v) = num(&json::read(&p)?, path) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Every model of the task: macro-AUC and macro-F1, mean ± std over seeds.
fn models_table(runs: &[(u64, PathBuf)], task: &str) -> Result<String> {
    let mut t = Table::new([
        "model",
        "macro-AUC, mean ± std (seeds)",
        "macro-F1, mean ± std (seeds)",
    ]);
    let mut any = false;
    for m in MODELS {
        for (file, suffix) in [
            ("metrics.json", ""),
            (
                "metrics_calibrated.json",
                " + label-correlation calibration",
            ),
        ] {
            let auc = over_seeds(runs, task, m.dir, file, &["macro_auc"])?;
            let f1 = over_seeds(runs, task, m.dir, file, &["thresholded", "macro", "f1"])?;
            if auc.is_empty() && f1.is_empty() {
                continue;
            }
            any = true;
            t.row([
                format!("{}{suffix}", m.name()),
                mean_std(&auc),
                mean_std(&f1),
            ]);
        }
    }
    Ok(if any {
        t.to_string()
    } else {
        format!("No model of task `{task}` has results in any seed run.\n\n")
    })
}

/// Training-fold prevalence per class from a seed run's `<task>/labels/summary.json`.
fn prevalences(tdir: &Path) -> Result<Vec<(String, f64)>> {
    let path = tdir.join("labels").join("summary.json");
    let s = json::read(&path)?;
    let names = s["classes"].as_array().context("classes")?;
    let counts = s["train_label_counts"]
        .as_array()
        .context("train_label_counts")?;
    let n = s["train_records"]
        .as_f64()
        .filter(|n| *n > 0.0)
        .context("train_records")?;
    names
        .iter()
        .zip(counts)
        .map(|(a, c)| Some((a.as_str()?.to_string(), c.as_f64()? / n)))
        .collect::<Option<_>>()
        .with_context(|| {
            format!(
                "{}: `classes` / `train_label_counts` malformed",
                path.display()
            )
        })
}

/// Per-label F1 before and after calibration over seeds, for the KD student (else the
/// teacher): mean ± std of each, and the change with its Student-t interval; rare labels
/// (training-fold prevalence below RARE_PREVALENCE) marked.
fn calibration_table(runs: &[(u64, PathBuf)], task: &str) -> Result<String> {
    let Some(dir) = ["student_kd", "teacher"].into_iter().find(|d| {
        runs.iter().any(|(_, r)| {
            r.join(task)
                .join(d)
                .join("metrics_calibrated.json")
                .exists()
        })
    }) else {
        return Ok(String::new());
    };
    let first = runs
        .iter()
        .map(|(_, r)| r.join(task))
        .find(|t| t.join(dir).join("metrics_calibrated.json").exists())
        .context("a calibrated seed run")?;
    let prev = prevalences(&first).unwrap_or_default();
    let names: Vec<String> = json::read(&first.join(dir).join("metrics.json"))?["per_label"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut t = Table::new([
        "label",
        "training prevalence",
        "F1 uncalibrated",
        "F1 calibrated",
        "change, mean [95 % t interval]",
    ]);
    for name in &names {
        let path = ["per_label", name.as_str(), "f1"];
        let mut before = vec![];
        let mut after = vec![];
        for (_, run) in runs {
            let d = run.join(task).join(dir);
            let (b, a) = (d.join("metrics.json"), d.join("metrics_calibrated.json"));
            if b.exists() && a.exists() {
                if let (Some(x), Some(y)) =
                    (num(&json::read(&b)?, &path), num(&json::read(&a)?, &path))
                {
                    before.push(x);
                    after.push(y);
                }
            }
        }
        let change = ecg_metrics::differences(&after, &before)?;
        let change = match Summary::of(&change, claims::LEVEL) {
            Ok(s) => match s.t_interval {
                Some(i) => format!("{:+.3} [{:+.3}, {:+.3}]", s.mean, i.lo, i.hi),
                None => format!("{:+.3}", s.mean),
            },
            Err(_) => "–".into(),
        };
        let p = prev.iter().find(|(n, _)| n == name).map(|(_, p)| *p);
        let rare = p.is_some_and(|p| p < RARE_PREVALENCE);
        t.row([
            if rare {
                format!("**{name}** (rare)")
            } else {
                name.clone()
            },
            p.map_or("–".into(), |p| format!("{:.1} %", p * 100.0)),
            mean_std(&before),
            mean_std(&after),
            change,
        ]);
    }
    Ok(format!(
        "### Per-label F1 before and after label-correlation calibration ({dir}), over seeds\n\n\
         Rare labels (training-fold prevalence below {:.0} %) in **bold**.\n\n{t}",
        RARE_PREVALENCE * 100.0
    ))
}

/// The aggregate's sections: per task the models over seeds and the calibration table,
/// then the Claims section, then links to each seed's own report.
pub fn sections(run: &Path, info: &Value, tasks: &[&str], split: &Split) -> Result<String> {
    let runs = seed_runs(run, info)?;
    let seeds: Vec<String> = runs.iter().map(|(s, _)| s.to_string()).collect();
    let mut md = format!(
        "This report aggregates {} runs that differ only in their training seed ({}). \
         Each number is the mean ± sample standard deviation (n − 1) over the seeds that \
         have it (their count in brackets); test {}, thresholds and calibration fitted on {}.\n\n",
        runs.len(),
        seeds.join(", "),
        split::name(&split.test),
        split::name(&split.validation)
    );
    for task in tasks {
        md.push_str(&format!("## Task `{task}` over seeds\n\n"));
        md.push_str(&models_table(&runs, task)?);
        md.push_str(&calibration_table(&runs, task)?);
    }
    let title = info["title"].as_str().unwrap_or("PTB-XL");
    let records = info["n_records"]
        .as_u64()
        .map_or(String::new(), |n| format!(", {n} records"));
    let data = format!(
        "{title}{records}, test {}, {} seed runs",
        split::name(&split.test),
        runs.len()
    );
    md.push_str(&claims::section(
        run,
        &claims::Runs::Seeds(&runs),
        tasks,
        &data,
    )?);
    md.push_str("## Seed runs\n\n");
    for (s, dir) in &runs {
        let name = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        md.push_str(&format!(
            "- seed {s}: [{name}/report.md]({name}/report.md)\n"
        ));
    }
    md.push('\n');
    Ok(md)
}
