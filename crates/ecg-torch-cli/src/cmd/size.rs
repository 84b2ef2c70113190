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
    /// The exported model (`ecg export onnx`) and one 10 s record at 100 Hz as `ecg
    /// predict` feeds it (its windows as one batch), one thread: libtorch against our ONNX
    /// runtime (tract). Absent in size.json files written before the export existed, or
    /// when the checkpoint cannot be exported (no preprocessing sidecar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnx: Option<OnnxSize>,
}

/// The exported model's size and single-record latency, beside libtorch's.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct OnnxSize {
    pub onnx_bytes: u64,
    /// `[windows, leads, samples]` of one 10 s record at 100 Hz.
    pub record_input: Vec<usize>,
    /// Median wall time (ms) of that batch through libtorch, one thread.
    pub record_libtorch_ms: f64,
    /// The same through tract (pure Rust), one thread.
    pub record_onnx_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Exports `ckpt` to a temporary ONNX file and times one 10 s, 100 Hz record through both
/// runtimes on one thread.
fn measure_onnx(ckpt: &Path, net: &dyn ecg_nn::EcgNet, runs: usize) -> Result<OnnxSize> {
    let dir = tempfile::tempdir().context("temporary folder for the ONNX export")?;
    let onnx = dir.path().join("model.onnx");
    ecg_train::export::export_onnx(ckpt, &onnx, None)
        .with_context(|| format!("exporting {}", ckpt.display()))?;
    let onnx_bytes = std::fs::metadata(&onnx)?.len();
    let mut rt = ecg_onnx::OnnxModel::load(&onnx)?;
    let d = rt.deploy().clone();
    let samples = 1000usize; // 10 s at 100 Hz
    let (w, len) = match d.windows {
        ecg_onnx::meta::Windows::Crop { length, .. } => {
            (d.windows.offsets(samples.max(length)).len(), length)
        }
        ecg_onnx::meta::Windows::Whole { samples } => (1, samples),
    };
    let shape = [w as i64, d.leads.len() as i64, len as i64];
    let x = tch::Tensor::randn(shape, (tch::Kind::Float, tch::Device::Cpu));
    let v = Vec::<f32>::try_from(x.flatten(0, -1)).context("input to a vector")?;
    let threads = tch::get_num_threads();
    tch::set_num_threads(1);
    let mut t_torch = Vec::with_capacity(runs);
    tch::no_grad(|| {
        let _ = net.forward_t(&x, false); // warm-up
        for _ in 0..runs {
            let t = std::time::Instant::now();
            let p = net.forward_t(&x, false).logits.sigmoid();
            let _ = p.sum(tch::Kind::Float).double_value(&[]);
            t_torch.push(t.elapsed().as_secs_f64() * 1e3);
        }
    });
    tch::set_num_threads(threads);
    rt.forward(&v, w, len)?; // warm-up (plans the graph for this shape)
    let mut t_onnx = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = std::time::Instant::now();
        rt.forward(&v, w, len)?;
        t_onnx.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(OnnxSize {
        onnx_bytes,
        record_input: vec![w, d.leads.len(), len],
        record_libtorch_ms: median(t_torch),
        record_onnx_ms: median(t_onnx),
    })
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
    let onnx = match measure_onnx(ckpt, net.as_ref(), runs) {
        Ok(o) => Some(o),
        Err(e) => {
            tracing::warn!("size.json without the ONNX columns: {e:#}");
            None
        }
    };
    Ok(Size {
        params,
        flops,
        cpu_latency_ms: median(times),
        latency_runs: runs,
        torch_threads: tch::get_num_threads(),
        onnx,
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
