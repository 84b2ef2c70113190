//! `ecg report --run DIR`: the run's report (`report.md`) and its plots (SVG), built only
//! from the files the pipeline's stages wrote into the run directory (it runs no network):
//!
//! ```text
//! DIR/run.json                              what was run (xtask writes it)
//! DIR/<task>/labels/{conditional,cosine}.svg  E and C heatmaps (`ecg labels`)
//! DIR/<task>/<model>/metrics.json           `ecg eval` (macro_auc at the top level)
//! DIR/<task>/<model>/metrics_calibrated.json `ecg eval --calibrate`
//! DIR/<task>/<model>/{scores,labels}.npy     test-fold scores and labels
//! DIR/<task>/<model>/metrics.jsonl           training curve (`ecg train` / `ecg distill`)
//! DIR/<task>/<model>/size.json              parameters, FLOPs, CPU latency, ONNX size and
//!                                            latency (libtorch vs tract) (`ecg eval`)
//! ```
//!
//! One file per section (`header`, `results`, `calibration`, `curves`, `labels`, `size`,
//! `claims` — every paper's claim with our verdict, in every report —, `protocol`,
//! `references`; `seeds` for a run over seeds, whose run.json names its seed runs; `datasets` for what only CPSC2018 and Hefei-Tianchi runs
//! have: the papers' per-label F1 and their protocol), each a function returning its
//! Markdown. Every table is a
//! [`table::Table`] and every chart goes through [`plot::draw`]. Published numbers are data
//! in `published` (one table per dataset, keyed by run.json's `dataset`, default `ptbxl`):
//! adding a dataset's published numbers is adding its table there; the papers are named
//! through `references` (method, authors, year) and listed in full at the end.
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};

mod calibration;
mod claims;
mod curves;
mod datasets;
mod header;
mod json;
mod labels;
mod plot;
mod protocol;
mod published;
mod references;
mod results;
mod seeds;
mod size;
mod split;
mod table;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Write report.md and SVG plots for a pipeline run directory.
    Report {
        /// The run directory (holds run.json and one folder per task).
        #[arg(long)]
        run: PathBuf,
    },
}

/// The Markdown of one task's sections; `sizes` collects the task's size.json files.
fn task_sections(
    run: &Path,
    dataset: &str,
    task: &str,
    split: &split::Split,
    sizes: &mut size::Sizes,
) -> Result<String> {
    let tdir = run.join(task);
    let (mut md, present) = results::section(&tdir, dataset, task, split)?;
    md.push_str(&datasets::per_label_section(&tdir, dataset)?);
    md.push_str(&calibration::section(&tdir, task)?);
    md.push_str(&curves::roc_section(&tdir, task, &present)?);
    md.push_str(&curves::training_section(&tdir, task, &present, split)?);
    md.push_str(&labels::section(&tdir, task, split));
    sizes.collect(&tdir, task, &present)?;
    Ok(md)
}

/// run.json's `tasks`.
fn tasks(info: &serde_json::Value) -> Result<Vec<&str>> {
    let tasks: Vec<&str> = info["tasks"]
        .as_array()
        .context("run.json: field `tasks` missing or not a list")?
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    if tasks.is_empty() {
        bail!("run.json: `tasks` is empty");
    }
    Ok(tasks)
}

/// What a run's numbers rest on: "synthetic PTB-XL (demo), 2000 records, test fold 10".
fn data_text(info: &serde_json::Value, split: &split::Split) -> String {
    let title = info["title"].as_str().unwrap_or("PTB-XL");
    let records = info["n_records"]
        .as_u64()
        .map_or(String::new(), |n| format!(", {n} records"));
    format!("{title}{records}, test {}", split::name(&split.test))
}

pub fn run(cmd: Cmd) -> Result<()> {
    let Cmd::Report { run } = cmd;
    let info = json::read(&run.join("run.json"))?;
    let tasks = tasks(&info)?;
    let dataset = info["dataset"].as_str().unwrap_or("ptbxl");
    let split = split::Split::from_run(&info)?;
    let mut md = header::section(&info);
    if info.get("seeds").is_some() {
        // An aggregate over seed runs (`cargo xtask demo|reproduce ptbxl --seeds`).
        md.push_str(&seeds::sections(&run, &info, &tasks, &split)?);
    } else {
        let mut sizes = size::Sizes::default();
        for task in &tasks {
            md.push_str(&task_sections(&run, dataset, task, &split, &mut sizes)?);
        }
        let seed = info["seed"].as_u64().unwrap_or(0);
        let runs = claims::Runs::One { run: &run, seed };
        md.push_str(&claims::section(
            &run,
            &runs,
            &tasks,
            &data_text(&info, &split),
        )?);
        md.push_str(&sizes.section());
    }
    md.push_str(&datasets::protocol(dataset, &info).unwrap_or_else(protocol::section));
    md.push_str(&references::section());
    let out = run.join("report.md");
    let tmp = run.join("report.md.tmp");
    std::fs::write(&tmp, md).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
    tracing::info!("wrote {}", out.display());
    Ok(())
}
