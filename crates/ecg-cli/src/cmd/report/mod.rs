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
//! `protocol`, `references`; `datasets` for what only CPSC2018 and Hefei-Tianchi runs
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

pub fn run(cmd: Cmd) -> Result<()> {
    let Cmd::Report { run } = cmd;
    let info = json::read(&run.join("run.json"))?;
    let tasks: Vec<&str> = info["tasks"]
        .as_array()
        .context("run.json: field `tasks` missing or not a list")?
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    if tasks.is_empty() {
        bail!("run.json: `tasks` is empty");
    }
    let dataset = info["dataset"].as_str().unwrap_or("ptbxl");
    let split = split::Split::from_run(&info)?;
    let mut md = header::section(&info);
    let mut sizes = size::Sizes::default();
    for task in &tasks {
        md.push_str(&task_sections(&run, dataset, task, &split, &mut sizes)?);
    }
    md.push_str(&sizes.section());
    md.push_str(&datasets::protocol(dataset, &info).unwrap_or_else(protocol::section));
    md.push_str(&references::section());
    let out = run.join("report.md");
    let tmp = run.join("report.md.tmp");
    std::fs::write(&tmp, md).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
    tracing::info!("wrote {}", out.display());
    Ok(())
}
