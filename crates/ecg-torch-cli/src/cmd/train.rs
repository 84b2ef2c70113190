//! `ecg train`, `ecg distill`, `ecg pretrain`, `ecg eval`, `ecg predict`: thin over ecg-train.
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use ecg_train::config::DeviceChoice;
use ecg_train::{EvalOptions, Resume, TrainConfig, TrainOptions};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Cuda,
    Auto,
}

impl From<DeviceArg> for DeviceChoice {
    fn from(d: DeviceArg) -> Self {
        match d {
            DeviceArg::Cpu => DeviceChoice::Cpu,
            DeviceArg::Cuda => DeviceChoice::Cuda,
            DeviceArg::Auto => DeviceChoice::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// NCCL on CUDA, Gloo on the CPU.
    Auto,
    Gloo,
    Nccl,
}

/// Data-parallel options: used only when a launcher (torchrun, SLURM) set its variables.
#[derive(Debug, Clone, clap::Args)]
pub struct DistArgs {
    /// c10d backend of a data-parallel job (torchrun/SLURM); see docs/distributed.md.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendArg,
    /// Seconds a rank waits for the others in a collective before failing (a dead or hung
    /// rank stops the job within it).
    #[arg(long, default_value_t = 300)]
    dist_timeout: u64,
}

impl DistArgs {
    /// This process's group: its rank of a launched job, or one process.
    fn join(&self, cfg: &TrainConfig) -> Result<Box<dyn ecg_train::Collective>> {
        use ecg_train::collective::BackendChoice;
        let choice = match self.backend {
            BackendArg::Auto => BackendChoice::Auto,
            BackendArg::Gloo => BackendChoice::Gloo,
            BackendArg::Nccl => BackendChoice::Nccl,
        };
        let timeout = std::time::Duration::from_secs(self.dist_timeout.max(1));
        Ok(ecg_train::collective::join(
            choice,
            cfg.train.device,
            timeout,
        )?)
    }
}

/// The one value `--resume` takes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ResumeArg {
    /// Continue the run in the folder if there is one, else start it.
    Auto,
}

/// `--resume` (continue the run; refuse a folder without one), `--resume auto` (continue
/// it or start it), absent (start; refuse a folder that holds one). Restarted by torchrun
/// (TORCHELASTIC_RESTART_COUNT > 0), an absent `--resume` counts as `auto`: the restarted
/// ranks continue from the last checkpoint.
fn resume_mode(arg: Option<Option<ResumeArg>>) -> Resume {
    match arg {
        Some(Some(ResumeArg::Auto)) => Resume::Auto,
        Some(None) => Resume::Yes,
        None => {
            let restarts = std::env::var("TORCHELASTIC_RESTART_COUNT")
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
            if restarts > 0 {
                tracing::info!(
                    "restart {restarts} by torchrun (TORCHELASTIC_RESTART_COUNT): resuming as \
                     with --resume auto"
                );
                Resume::Auto
            } else {
                Resume::No
            }
        }
    }
}

/// Makes SIGTERM/SIGINT/SIGUSR1 stop the run at an agreed step (ecg_train::control).
fn install_signals() -> Result<()> {
    ecg_train::control::install_signal_handlers().context("installing the signal handlers")
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LambdaArg {
    Shared,
    PerLabel,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Train a network as a TOML config says (writes a run folder: config, checkpoints,
    /// metrics.jsonl).
    Train {
        /// The experiment config (configs/ptbxl/*.toml).
        #[arg(long)]
        config: PathBuf,
        /// Continue the run in the config's output_dir from its last checkpoint;
        /// `--resume auto`: continue it if there is one, else start it.
        #[arg(long, value_enum, num_args = 0..=1)]
        resume: Option<Option<ResumeArg>>,
        /// Override train.device.
        #[arg(long, value_enum)]
        device: Option<DeviceArg>,
        /// Override train.output_dir.
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Record global steps A..B (B excluded) with libtorch's profiler into
        /// <run>/profile/ (trace.json, summary.json); see docs/profiling.md.
        #[arg(long, value_name = "A:B")]
        profile_steps: Option<ecg_train::profile::ProfileSteps>,
        #[command(flatten)]
        dist: DistArgs,
    },
    /// LCD self-supervised pretraining of a single-lead encoder (LCD, Liu et al. 2025; the
    /// config needs an [lcd] table): writes encoder.safetensors for a `per_lead` model's
    /// `encoder`.
    Pretrain {
        #[arg(long)]
        config: PathBuf,
        /// Continue the pretraining in the config's output_dir where it stopped;
        /// `--resume auto`: continue it if there is one, else start it.
        #[arg(long, value_enum, num_args = 0..=1)]
        resume: Option<Option<ResumeArg>>,
        #[arg(long, value_enum)]
        device: Option<DeviceArg>,
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Record global steps A..B (B excluded) with libtorch's profiler into
        /// <run>/profile/ (trace.json, summary.json); see docs/profiling.md.
        #[arg(long, value_name = "A:B")]
        profile_steps: Option<ecg_train::profile::ProfileSteps>,
        #[command(flatten)]
        dist: DistArgs,
    },
    /// Train a student with knowledge distillation from a teacher checkpoint (the config
    /// needs a [distill] table).
    Distill {
        #[arg(long)]
        config: PathBuf,
        /// The teacher checkpoint (`checkpoint-best.safetensors` of a teacher run).
        #[arg(long)]
        teacher: Option<PathBuf>,
        /// Continue the run in the config's output_dir; `--resume auto`: continue it if
        /// there is one, else start it.
        #[arg(long, value_enum, num_args = 0..=1)]
        resume: Option<Option<ResumeArg>>,
        #[arg(long, value_enum)]
        device: Option<DeviceArg>,
        #[arg(long)]
        output_dir: Option<PathBuf>,
        /// Record global steps A..B (B excluded) with libtorch's profiler into
        /// <run>/profile/ (trace.json, summary.json); see docs/profiling.md.
        #[arg(long, value_name = "A:B")]
        profile_steps: Option<ecg_train::profile::ProfileSteps>,
        #[command(flatten)]
        dist: DistArgs,
    },
    /// Evaluate a checkpoint on a split: scores.npy, labels.npy, metrics.json (thresholds
    /// fitted on validation); --calibrate adds the label-correlation calibration.
    Eval {
        #[arg(long)]
        checkpoint: PathBuf,
        /// train, val or test.
        #[arg(long, default_value = "test")]
        split: String,
        /// Output folder (default: eval-<split> beside the checkpoint).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also calibrate with the cosine label correlation, λ fitted on validation.
        #[arg(long)]
        calibrate: bool,
        /// One λ for all labels or one per label.
        #[arg(long, value_enum, default_value = "shared")]
        lambda: LambdaArg,
        /// Use this pack instead of the one in the run's config.
        #[arg(long)]
        pack: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        #[arg(long, default_value_t = 256)]
        batch_size: usize,
        /// Bootstrap resamples for the confidence intervals (0: none).
        #[arg(long, default_value_t = 100)]
        bootstrap: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Also write size.json (parameters, FLOPs, median CPU latency of this many forward
        /// passes of one record) for `ecg report`; 0: skip.
        #[arg(long, default_value_t = 30)]
        latency_runs: usize,
    },
    /// Label probabilities for WFDB records (paths without extension), with the
    /// checkpoint's preprocessing; prints a tab-separated table. A record that cannot be
    /// predicted is named on stderr with the reason, the others are predicted, and the
    /// command then fails. `ecg predict --model model.onnx RECORD...` (a model written by
    /// `ecg export onnx`) runs in `ecg` itself, without libtorch, with the same outputs.
    Predict {
        #[arg(long)]
        checkpoint: PathBuf,
        /// WFDB record paths (without .hea).
        #[arg(required = true)]
        records: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "cpu")]
        device: DeviceArg,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn load_config(
    path: &PathBuf,
    device: Option<DeviceArg>,
    output_dir: Option<PathBuf>,
) -> Result<TrainConfig> {
    let mut cfg = TrainConfig::load(path).with_context(|| format!("loading {}", path.display()))?;
    if let Some(d) = device {
        cfg.train.device = d.into();
    }
    if let Some(o) = output_dir {
        cfg.train.output_dir = o;
    }
    Ok(cfg)
}

/// The summary (rank 0), and the exit code of a run a signal stopped.
fn report_outcome(o: &ecg_train::TrainOutcome, rank: usize) -> Result<()> {
    stopped_exit(o.stop.as_ref())?;
    if rank != 0 {
        return Ok(());
    }
    if o.interrupted {
        eprintln!(
            "stopped after step {} (train.stop_after_steps); continue with --resume",
            o.state.global_step
        );
    }
    match (o.state.best_val_auc, o.state.best_epoch) {
        (Some(a), Some(e)) => eprintln!(
            "best validation macro-AUC {a:.4} at epoch {e}; run folder {}",
            o.run_dir.display()
        ),
        _ => eprintln!("run folder {}", o.run_dir.display()),
    }
    Ok(())
}

/// A run stopped by a signal exits with [`ecg_train::control::EXIT_STOPPED`] once its
/// last checkpoint is written (docs/distributed.md).
fn stopped_exit(stop: Option<&ecg_train::control::Stop>) -> Result<()> {
    if let Some(ecg_train::control::Stop::Signal(_)) = stop {
        std::process::exit(ecg_train::control::EXIT_STOPPED);
    }
    Ok(())
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Train {
            config,
            resume,
            device,
            output_dir,
            profile_steps,
            dist,
        } => {
            let cfg = load_config(&config, device, output_dir)?;
            if cfg.distill.is_some() {
                anyhow::bail!(
                    "{}: has a [distill] table; use `ecg distill --config ... --teacher ...`",
                    config.display()
                );
            }
            if cfg.lcd.is_some() {
                anyhow::bail!(
                    "{}: has an [lcd] table; use `ecg pretrain --config ...`",
                    config.display()
                );
            }
            install_signals()?;
            let group = dist.join(&cfg)?;
            let opts = TrainOptions {
                resume: resume_mode(resume),
                teacher: None,
                progress: group.rank() == 0,
                profile_steps,
            };
            let o = ecg_train::train_with(&cfg, &opts, group.as_ref())
                .with_context(|| format!("training with {}", config.display()))?;
            report_outcome(&o, group.rank())?;
        }
        Cmd::Pretrain {
            config,
            resume,
            device,
            output_dir,
            profile_steps,
            dist,
        } => {
            let cfg = load_config(&config, device, output_dir)?;
            install_signals()?;
            let group = dist.join(&cfg)?;
            let rank = group.rank();
            let o = ecg_train::lcd::pretrain_with(
                &cfg,
                resume_mode(resume),
                rank == 0,
                profile_steps,
                group.as_ref(),
            )
            .with_context(|| format!("LCD pretraining with {}", config.display()))?;
            stopped_exit(o.stop.as_ref())?;
            if rank == 0 {
                eprintln!(
                    "LCD loss by epoch {:?}; encoder {}",
                    o.epoch_losses,
                    o.encoder.display()
                );
            }
        }
        Cmd::Distill {
            config,
            teacher,
            resume,
            device,
            output_dir,
            profile_steps,
            dist,
        } => {
            let cfg = load_config(&config, device, output_dir)?;
            if cfg.distill.is_none() {
                anyhow::bail!(
                    "{}: no [distill] table (alpha, temperature, beta)",
                    config.display()
                );
            }
            if let Some(t) = &teacher {
                anyhow::ensure!(t.is_file(), "--teacher {}: no such file", t.display());
            }
            install_signals()?;
            let group = dist.join(&cfg)?;
            let opts = TrainOptions {
                resume: resume_mode(resume),
                teacher,
                progress: group.rank() == 0,
                profile_steps,
            };
            let o = ecg_train::train_with(&cfg, &opts, group.as_ref())
                .with_context(|| format!("distilling with {}", config.display()))?;
            report_outcome(&o, group.rank())?;
        }
        Cmd::Eval {
            checkpoint,
            split,
            out,
            calibrate,
            lambda,
            pack,
            device,
            batch_size,
            bootstrap,
            seed,
            latency_runs,
        } => {
            anyhow::ensure!(
                checkpoint.is_file(),
                "--checkpoint {}: no such file",
                checkpoint.display()
            );
            let out_dir = out.unwrap_or_else(|| {
                checkpoint
                    .parent()
                    .unwrap_or(std::path::Path::new("."))
                    .join(format!("eval-{split}"))
            });
            let opts = EvalOptions {
                split,
                out_dir: out_dir.clone(),
                calibrate,
                lambda_mode: match lambda {
                    LambdaArg::Shared => ecg_labels::LambdaMode::Shared,
                    LambdaArg::PerLabel => ecg_labels::LambdaMode::PerLabel,
                },
                pack,
                device: device.into(),
                batch_size,
                bootstrap,
                seed,
            };
            let s = ecg_train::eval_checkpoint(&checkpoint, &opts)
                .with_context(|| format!("evaluating {}", checkpoint.display()))?;
            let fmt = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{x:.4}"));
            println!(
                "{}: macro-AUC {}  macro-F1 {:.4}  Fmax {}",
                s.split,
                fmt(s.report.macro_auc),
                s.report.thresholded.macro_.f1,
                fmt(s.report.fmax)
            );
            if let Some((fit, r)) = &s.calibrated {
                println!(
                    "calibrated (lambda {:?}): macro-AUC {}  macro-F1 {:.4}  Fmax {}",
                    fit.lambda,
                    fmt(r.macro_auc),
                    r.thresholded.macro_.f1,
                    fmt(r.fmax)
                );
            }
            if latency_runs > 0 {
                super::size::write(&checkpoint, latency_runs, &out_dir.join("size.json"))?;
            }
            eprintln!("wrote {}", out_dir.display());
        }
        Cmd::Predict {
            checkpoint,
            records,
            device,
            json,
        } => {
            anyhow::ensure!(
                checkpoint.is_file(),
                "--checkpoint {}: no such file",
                checkpoint.display()
            );
            let p = ecg_train::predict(&checkpoint, &records, device.into())
                .with_context(|| format!("predicting with {}", checkpoint.display()))?;
            // Every record that could be predicted is printed; the others are named on
            // stderr, and the command fails at the end.
            p.print(json).map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}
