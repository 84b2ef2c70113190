//! The torch side: the commands that run a network live in the sibling executable
//! `ecg-torch` (crates/ecg-torch-cli), which links libtorch; this binary does not. `ecg`
//! lists them in its help and hands them over, the way cargo and git find their
//! subcommands: `ecg train ARGS` runs `<folder of ecg>/ecg-torch train ARGS` with the same
//! standard streams and exit code (on Unix the process is replaced by it).
use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (command, one-line help) of every top-level command of `ecg-torch`. A test in
/// ecg-torch-cli checks that this list and ecg-torch's own command list agree.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "train",
        "Train a network as a TOML config says (runs in ecg-torch)",
    ),
    (
        "pretrain",
        "LCD self-supervised pretraining of a single-lead encoder (LCD, Liu et al. 2025; runs in ecg-torch)",
    ),
    (
        "distill",
        "Train a student with knowledge distillation from a teacher checkpoint (runs in ecg-torch)",
    ),
    (
        "eval",
        "Evaluate a checkpoint on a split: scores, metrics, size and CPU latency (runs in ecg-torch)",
    ),
    (
        "predict",
        "Label probabilities for WFDB records with a checkpoint (runs in ecg-torch)",
    ),
    (
        "export",
        "Export a checkpoint as ONNX for prediction without libtorch (runs in ecg-torch)",
    ),
    (
        "model",
        "Networks: presets, shapes, parameters, FLOPs (runs in ecg-torch)",
    ),
];

/// Adds the torch commands to `ecg`'s command list: each takes any arguments (its own
/// `--help` included) and passes them on.
pub fn add_commands(mut cli: clap::Command) -> clap::Command {
    for (name, about) in COMMANDS {
        cli = cli.subcommand(
            clap::Command::new(*name)
                .about(*about)
                .disable_help_flag(true)
                .arg(
                    clap::Arg::new("args")
                        .num_args(0..)
                        .trailing_var_arg(true)
                        .allow_hyphen_values(true)
                        .value_parser(clap::value_parser!(OsString)),
                ),
        );
    }
    cli
}

pub fn is_command(name: &str) -> bool {
    COMMANDS.iter().any(|(n, _)| *n == name)
}

/// Where `ecg-torch` must be: beside this executable.
pub fn path() -> Result<PathBuf> {
    let me = std::env::current_exe().context("finding the path of this `ecg` executable")?;
    let dir = me
        .parent()
        .with_context(|| format!("{} has no parent folder", me.display()))?;
    Ok(dir.join(format!("ecg-torch{}", std::env::consts::EXE_SUFFIX)))
}

/// `ecg-torch`'s path, or an error naming the path it was looked for at.
pub fn find() -> Result<PathBuf> {
    let p = path()?;
    if !p.is_file() {
        bail!(
            "this command runs a network, which `ecg` hands to `ecg-torch`, but {} does not \
             exist (it must sit beside `ecg`); build both with \
             `cargo build --release -p ecg-cli -p ecg-torch-cli`",
            p.display()
        );
    }
    Ok(p)
}

/// Runs `ecg-torch` with this process's arguments; returns only on failure to start it
/// (Unix) or with its exit code (elsewhere).
pub fn hand_over() -> Result<i32> {
    let exe = find()?;
    let mut cmd = Command::new(&exe);
    cmd.args(std::env::args_os().skip(1));
    replace_process(cmd, &exe)
}

/// Unix: `exec` (the process becomes ecg-torch: same pid, streams and exit code).
#[cfg(unix)]
fn replace_process(mut cmd: Command, exe: &Path) -> Result<i32> {
    use std::os::unix::process::CommandExt as _;
    // argv[0] `ecg`: ecg-torch's usage lines then name the command the user typed.
    let err = cmd.arg0("ecg").exec();
    Err(err).with_context(|| format!("running {}", exe.display()))
}

/// Elsewhere: a child with inherited streams, and its exit code.
#[cfg(not(unix))]
fn replace_process(mut cmd: Command, exe: &Path) -> Result<i32> {
    let status = cmd
        .status()
        .with_context(|| format!("running {}", exe.display()))?;
    Ok(status.code().unwrap_or(1))
}

/// `ecg-torch doctor --json`: the libtorch and CUDA facts, or why they are unknown.
pub fn environment() -> std::result::Result<serde_json::Value, String> {
    let exe = find().map_err(|e| format!("{e:#}"))?;
    let out = Command::new(&exe)
        .args(["doctor", "--json"])
        .output()
        .map_err(|e| format!("running {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} doctor failed ({}): {}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{} doctor --json: not JSON: {e}", exe.display()))
}
