//! `ecg --version` and `ecg doctor`: what this binary is and what the torch side can use.
//! `ecg` does not link libtorch; the libtorch and CUDA facts come from `ecg-torch doctor
//! --json` (see `crate::torch`), and the output says so plainly when ecg-torch is absent.
use anyhow::Result;
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Versions, CUDA/cuDNN availability, the libtorch folder in use, thread count and the
    /// compiled data-parallel (c10d) backends (asked of ecg-torch, beside `ecg`).
    Doctor {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// What `doctor --json` prints: ecg-torch's facts (libtorch_version, cuda_available, ...)
/// with `ecg_version` and `ecg_torch` (its path) added, or `ecg_torch_error` without them.
pub fn environment() -> Value {
    let path = crate::torch::path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match crate::torch::environment() {
        Ok(Value::Object(mut m)) => {
            m.insert("ecg_version".into(), json!(env!("CARGO_PKG_VERSION")));
            m.insert("ecg_torch".into(), json!(path));
            Value::Object(m)
        }
        Ok(other) => json!({
            "ecg_version": env!("CARGO_PKG_VERSION"),
            "ecg_torch": path,
            "ecg_torch_error": format!("doctor --json printed {other}, not an object"),
        }),
        Err(e) => json!({
            "ecg_version": env!("CARGO_PKG_VERSION"),
            "ecg_torch": path,
            "ecg_torch_error": e,
        }),
    }
}

fn text(e: &Value, key: &str) -> String {
    match e.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "(unknown)".into(),
        Some(v) => v.to_string(),
    }
}

fn cuda_line(e: &Value) -> String {
    if e["cuda_available"].as_bool() == Some(true) {
        let n = e["cuda_device_count"].as_i64().unwrap_or(0);
        format!(
            "CUDA available ({n} device{}), cuDNN {}",
            if n == 1 { "" } else { "s" },
            match e["cudnn_version"].as_i64() {
                Some(v) => format!("available (version {v})"),
                None => "not available".into(),
            }
        )
    } else {
        "CUDA not available (0 devices), cuDNN not available".into()
    }
}

/// The line printed instead of the libtorch facts when ecg-torch cannot answer.
fn torch_missing(e: &Value) -> Option<String> {
    e.get("ecg_torch_error").map(|err| {
        format!(
            "libtorch, CUDA: unknown (ecg-torch, which runs the network commands, did not \
             answer: {})",
            err.as_str().unwrap_or_default()
        )
    })
}

pub fn print_version() {
    let e = environment();
    println!("ecg {}", text(&e, "ecg_version"));
    match torch_missing(&e) {
        Some(line) => println!("{line}"),
        None => {
            println!("libtorch {} (in ecg-torch)", text(&e, "libtorch_version"));
            println!("{}", cuda_line(&e));
        }
    }
}

pub fn run(cmd: Cmd) -> Result<()> {
    let Cmd::Doctor { json } = cmd;
    let e = environment();
    if json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    println!("ecg            {}", text(&e, "ecg_version"));
    println!("ecg-torch      {}", text(&e, "ecg_torch"));
    if let Some(line) = torch_missing(&e) {
        println!("{line}");
        return Ok(());
    }
    println!("libtorch       {}", text(&e, "libtorch_version"));
    println!("libtorch lib   {}", text(&e, "libtorch_lib"));
    println!("venv           {}", text(&e, "venv"));
    println!("devices        {}", cuda_line(&e));
    println!(
        "threads        {} intra-op, {} inter-op",
        text(&e, "torch_threads"),
        text(&e, "torch_interop_threads")
    );
    println!("distributed    {}", text(&e, "distributed"));
    Ok(())
}
