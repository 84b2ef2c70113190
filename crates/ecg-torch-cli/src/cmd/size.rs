//! A checkpoint's size and CPU speed, written by `ecg eval` as `size.json` beside
//! metrics.json, so that `ecg report` (which runs no network) can print the
//! "size and speed" table by reading files only.
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What `size.json` holds.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Size {
    pub params: i64,
    /// Multiply-accumulates counted as two FLOPs, for one record.
    pub flops: i64,
    /// Median wall time of one forward pass of one record, eval mode, on the CPU.
    pub cpu_latency_ms: f64,
    /// Timed forward passes (after one warm-up).
    pub latency_runs: usize,
    pub torch_threads: i32,
}

/// Parameters, FLOPs and median CPU latency (batch of one record) of a checkpoint.
pub fn measure(ckpt: &Path, runs: usize) -> Result<Size> {
    let (_vs, net, spec) = ecg_nn::checkpoint::load(ckpt, tch::Device::Cpu)
        .with_context(|| format!("loading {}", ckpt.display()))?;
    let (params, flops) = spec
        .params_and_flops()
        .with_context(|| format!("sizing {}", ckpt.display()))?;
    // [1, leads, samples]
    let x = tch::Tensor::randn(
        [1, spec.leads.len() as i64, spec.input_len],
        (tch::Kind::Float, tch::Device::Cpu),
    );
    let runs = runs.max(1);
    let mut times = Vec::with_capacity(runs);
    tch::no_grad(|| {
        let _ = net.forward_t(&x, false); // warm-up
        for _ in 0..runs {
            let t = std::time::Instant::now();
            let out = net.forward_t(&x, false);
            let _ = out.logits.sum(tch::Kind::Float).double_value(&[]);
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    });
    times.sort_by(f64::total_cmp);
    Ok(Size {
        params,
        flops,
        cpu_latency_ms: times[times.len() / 2],
        latency_runs: runs,
        torch_threads: tch::get_num_threads(),
    })
}

/// Measures `ckpt` and writes `out` atomically (temp file + rename).
pub fn write(ckpt: &Path, runs: usize, out: &Path) -> Result<Size> {
    let size = measure(ckpt, runs)?;
    let tmp = out.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&size)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))?;
    Ok(size)
}
