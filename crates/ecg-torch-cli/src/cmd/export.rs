//! `ecg export onnx`: a checkpoint to one ONNX file (thin over `ecg_train::export`).
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Export a checkpoint for deployment without libtorch.
    #[command(subcommand)]
    Export(ExportCmd),
}

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// Write an ONNX model (opset 17, dynamic batch) with the preprocessing that `ecg predict
    /// --model` replays in its metadata_props (docs/deploy.md).
    Onnx(OnnxArgs),
}

#[derive(Args, Debug)]
pub struct OnnxArgs {
    /// Checkpoint (`.safetensors` with its `.json` and `.train.json` sidecars).
    #[arg(long)]
    checkpoint: PathBuf,
    /// The ONNX file to write.
    #[arg(long)]
    out: PathBuf,
    /// An `ecg eval --calibrate` output folder of this checkpoint: its λ (`lambda.json`) and
    /// C (`label_cosine.json`) go into the metadata, for `ecg predict --model --calibrated`.
    #[arg(long)]
    calibration: Option<PathBuf>,
}

pub fn run(cmd: Cmd) -> Result<()> {
    let Cmd::Export(ExportCmd::Onnx(a)) = cmd;
    anyhow::ensure!(
        a.checkpoint.is_file(),
        "--checkpoint {}: no such file",
        a.checkpoint.display()
    );
    let e = ecg_train::export::export_onnx(&a.checkpoint, &a.out, a.calibration.as_deref())
        .with_context(|| format!("exporting {} to ONNX", a.checkpoint.display()))?;
    eprintln!(
        "wrote {} ({}, {} nodes, opset {}, {:.1} KiB)",
        a.out.display(),
        e.preset,
        e.nodes,
        e.opset,
        e.bytes as f64 / 1024.0
    );
    Ok(())
}
