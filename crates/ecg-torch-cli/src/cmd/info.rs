//! `ecg --version` and `ecg doctor`: what this binary is and what it can use.
use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Versions, CUDA/cuDNN availability, the libtorch folder in use, thread count and the
    /// compiled data-parallel (c10d) backends.
    Doctor {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Everything `--version` and `doctor` report, measured at run time.
#[derive(Debug, Serialize)]
pub struct Environment {
    pub ecg_version: &'static str,
    pub libtorch_version: String,
    pub libtorch_lib: Option<PathBuf>,
    pub venv: Option<PathBuf>,
    pub cuda_available: bool,
    pub cuda_device_count: i64,
    pub cudnn_available: bool,
    pub cudnn_version: Option<i64>,
    pub torch_threads: i32,
    pub torch_interop_threads: i32,
    /// c10d backends compiled into ecg-dist (`gloo`, `nccl`) for data-parallel runs.
    pub distributed_backends: Vec<String>,
    /// The doctor line: `gloo, nccl (c10d)`, or what is missing and why.
    pub distributed: String,
}

/// The folder of the libtorch actually loaded into this process (Linux: from
/// /proc/self/maps), falling back to the one the binary was linked against.
fn loaded_libtorch_dir() -> Option<PathBuf> {
    if let Ok(maps) = std::fs::read_to_string("/proc/self/maps") {
        for line in maps.lines() {
            if let Some(idx) = line.find('/') {
                let path = &line[idx..];
                if path.ends_with("/libtorch_cpu.so") || path.ends_with("/libtorch.so") {
                    return PathBuf::from(path).parent().map(PathBuf::from);
                }
            }
        }
    }
    option_env!("ECG_LIBTORCH_LIB").map(PathBuf::from)
}

/// torch's Python package keeps its version in `torch/version.py` beside `torch/lib`.
fn libtorch_version(lib: Option<&PathBuf>) -> String {
    let from_file = lib
        .and_then(|l| l.parent().map(|p| p.join("version.py")))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("__version__ = ")
                    .map(|v| v.trim().trim_matches('\'').to_string())
            })
        });
    from_file.unwrap_or_else(|| "2.11.0 (linked; version.py not found)".to_string())
}

pub fn environment() -> Environment {
    let lib = loaded_libtorch_dir();
    // .../.venv/lib/python3.X/site-packages/torch/lib -> .../.venv
    let venv = lib.as_ref().and_then(|l| {
        l.ancestors()
            .find(|a| a.join("pyvenv.cfg").exists())
            .map(PathBuf::from)
    });
    let cuda = tch::Cuda::is_available();
    let cudnn = tch::Cuda::cudnn_is_available();
    let backends = ecg_dist::compiled_backends();
    Environment {
        ecg_version: env!("CARGO_PKG_VERSION"),
        libtorch_version: libtorch_version(lib.as_ref()),
        libtorch_lib: lib,
        venv,
        cuda_available: cuda,
        cuda_device_count: tch::Cuda::device_count(),
        cudnn_available: cudnn,
        cudnn_version: if cudnn {
            Some(tch::utils::version_cudnn())
        } else {
            None
        },
        torch_threads: tch::get_num_threads(),
        torch_interop_threads: tch::get_num_interop_threads(),
        distributed_backends: backends.iter().map(ToString::to_string).collect(),
        distributed: distributed_line(&backends, ecg_dist::build_notes()),
    }
}

/// `gloo, nccl (c10d)`, or `none (c10d)`, with the build's reason for a missing backend.
fn distributed_line(backends: &[ecg_dist::Backend], notes: &str) -> String {
    let names: Vec<String> = backends.iter().map(ToString::to_string).collect();
    let list = if names.is_empty() {
        "none (c10d)".to_owned()
    } else {
        format!("{} (c10d)", names.join(", "))
    };
    if notes.is_empty() {
        list
    } else {
        format!("{list}; {notes}")
    }
}

fn cuda_line(e: &Environment) -> String {
    if e.cuda_available {
        format!(
            "CUDA available ({} device{}), cuDNN {}",
            e.cuda_device_count,
            if e.cuda_device_count == 1 { "" } else { "s" },
            match e.cudnn_version {
                Some(v) => format!("available (version {v})"),
                None => "not available".into(),
            }
        )
    } else {
        "CUDA not available (0 devices), cuDNN not available".into()
    }
}

pub fn print_version() {
    let e = environment();
    println!("ecg {}", e.ecg_version);
    println!("libtorch {}", e.libtorch_version);
    println!("{}", cuda_line(&e));
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Doctor { json } => {
            let e = environment();
            if json {
                println!("{}", serde_json::to_string_pretty(&e)?);
                return Ok(());
            }
            let show = |p: &Option<PathBuf>| {
                p.as_ref()
                    .map_or("(unknown)".to_string(), |p| p.display().to_string())
            };
            println!("ecg            {}", e.ecg_version);
            println!("libtorch       {}", e.libtorch_version);
            println!("libtorch lib   {}", show(&e.libtorch_lib));
            println!("venv           {}", show(&e.venv));
            println!("devices        {}", cuda_line(&e));
            println!(
                "threads        {} intra-op, {} inter-op",
                e.torch_threads, e.torch_interop_threads
            );
            println!("distributed    {}", e.distributed);
            Ok(())
        }
    }
}
