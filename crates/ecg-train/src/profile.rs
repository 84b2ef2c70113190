//! `--profile-steps A:B`: global steps A, A+1, …, B−1 recorded with libtorch's own profiler
//! (Kineto, through `csrc/profiler.cpp`), each step a `ProfilerStep#N` range as
//! torch.profiler writes it, and the step's phases as `ecg::*` ranges. Rank 0 writes
//! `<run>/profile/trace.json` (Chrome trace: Perfetto, chrome://tracing, TensorBoard) and
//! `<run>/profile/summary.json`, computed from that trace alone ([`summarize`]).
use crate::error::TrainError;
use crate::shim::Range;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tch::Device;

/// Steps `start..end` (global step indices, end excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSteps {
    pub start: usize,
    pub end: usize,
}

impl std::str::FromStr for ProfileSteps {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("--profile-steps {s}: expected A:B with step indices A < B (e.g. 3:6)");
        let (a, b) = s.split_once(':').ok_or_else(bad)?;
        let start: usize = a.trim().parse().map_err(|_| bad())?;
        let end: usize = b.trim().parse().map_err(|_| bad())?;
        if start >= end {
            return Err(bad());
        }
        Ok(ProfileSteps { start, end })
    }
}

/// Starts and stops the profiler around the requested steps (rank 0 only).
pub struct StepProfiler {
    steps: Option<ProfileSteps>,
    dir: PathBuf,
    cuda: bool,
    active: bool,
    step_range: Option<Range>,
}

impl StepProfiler {
    pub fn new(steps: Option<ProfileSteps>, run_root: &Path, device: Device, writer: bool) -> Self {
        StepProfiler {
            steps: steps.filter(|_| writer),
            dir: run_root.join("profile"),
            cuda: device.is_cuda(),
            active: false,
            step_range: None,
        }
    }

    fn wants(&self, step: usize) -> bool {
        self.steps.is_some_and(|s| (s.start..s.end).contains(&step))
    }

    /// Before step `step`'s data wait: starts the profiler at the first requested step and
    /// opens the step's `ProfilerStep#N` range.
    pub fn begin_step(&mut self, step: usize) -> Result<(), TrainError> {
        if !self.wants(step) {
            return Ok(());
        }
        if !self.active {
            std::fs::create_dir_all(&self.dir).map_err(|e| TrainError::io(&self.dir, e))?;
            crate::shim::profiler_start(self.cuda)?;
            self.active = true;
        }
        self.step_range = Some(Range::new(&format!("ProfilerStep#{step}")));
        Ok(())
    }

    /// After step `step`: closes its range; after the last requested step, writes the trace
    /// and the summary.
    pub fn end_step(&mut self, step: usize) -> Result<(), TrainError> {
        self.step_range = None;
        if self.active && self.steps.is_some_and(|s| step + 1 >= s.end) {
            self.stop()?;
        }
        Ok(())
    }

    /// Writes what was recorded (also when training ended before the last requested step).
    pub fn stop(&mut self) -> Result<(), TrainError> {
        self.step_range = None;
        if !self.active {
            return Ok(());
        }
        self.active = false;
        self.steps = None;
        let trace = self.dir.join("trace.json");
        crate::shim::profiler_stop(&trace)?;
        let summary = summarize(&trace)?;
        crate::files::write_json(&self.dir.join("summary.json"), &summary)?;
        tracing::info!(
            "profile of {} step(s) written to {}",
            summary.steps.len(),
            self.dir.display()
        );
        Ok(())
    }
}

/// Time spent in each phase of a step (milliseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    pub data_wait: f64,
    pub forward: f64,
    pub backward: f64,
    pub gradient_sync: f64,
    pub optimizer: f64,
    /// Reading the loss and flags back (only in steps that log).
    pub log_read: f64,
}

/// One `ProfilerStep#N` of the trace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    pub step: usize,
    pub wall_ms: f64,
    /// ATen ops called by the step itself (not nested inside another op).
    pub aten_ops: usize,
    /// Of those, the ones inside the optimizer phase (clipping + AdamW).
    pub optimizer_aten_ops: usize,
    /// `aten::_local_scalar_dense` called from the step (a tensor's value read on the host,
    /// through `item()`): a device sync on CUDA.
    pub host_syncs: usize,
    /// `aten::_local_scalar_dense` inside another ATen op (libtorch's CPU kernels read CPU
    /// scalars, e.g. `_fused_adamw_`'s step counter; no device sync).
    pub scalar_reads_in_ops: usize,
    /// c10d collectives started in the step (`gloo:*`, `nccl:*` events).
    pub collectives: usize,
    /// Of those, the ones started during backward (the DDP engine's bucket all-reduces).
    #[serde(default)]
    pub collectives_in_backward: usize,
    /// Autograd functions (`autograd::engine::evaluate_function: *`) that began after the
    /// step's first collective had started: backward work overlapping the all-reduce.
    #[serde(default)]
    pub backward_fns_after_first_collective: usize,
    /// CUDA kernel launches (`cudaLaunchKernel*` runtime calls); 0 on the CPU.
    pub cuda_kernel_launches: usize,
    pub phases_ms: Phases,
}

/// `summary.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub trace: String,
    pub steps: Vec<StepSummary>,
}

/// A complete ("X") event of the trace.
#[derive(Debug, Clone)]
struct Ev {
    name: String,
    cat: String,
    tid: String,
    ts: f64,
    end: f64,
}

fn events(trace: &Value) -> Vec<Ev> {
    let Some(list) = trace.get("traceEvents").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter(|e| e.get("ph").and_then(Value::as_str) == Some("X"))
        .filter_map(|e| {
            let ts = e.get("ts")?.as_f64()?;
            let dur = e.get("dur").and_then(Value::as_f64).unwrap_or(0.0);
            Some(Ev {
                name: e.get("name")?.as_str()?.to_string(),
                cat: e
                    .get("cat")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                tid: e.get("tid").map(Value::to_string).unwrap_or_default(),
                ts,
                end: ts + dur,
            })
        })
        .collect()
}

/// Trace timestamps are microseconds with three decimals: containment allows their rounding.
const EPS_US: f64 = 0.002;

fn inside(e: &Ev, outer: &Ev) -> bool {
    e.ts >= outer.ts - EPS_US && e.end <= outer.end + EPS_US
}

/// The per-step counts and times of a Chrome trace written by the profiler.
pub fn summarize(trace_path: &Path) -> Result<Summary, TrainError> {
    let text = std::fs::read_to_string(trace_path).map_err(|e| TrainError::io(trace_path, e))?;
    let trace: Value = serde_json::from_str(&text).map_err(|e| TrainError::Json {
        path: trace_path.to_path_buf(),
        source: e,
    })?;
    let evs = events(&trace);
    let mut steps: Vec<&Ev> = evs
        .iter()
        .filter(|e| e.cat == "user_annotation" && e.name.starts_with("ProfilerStep#"))
        .collect();
    steps.sort_by(|a, b| a.ts.total_cmp(&b.ts));
    let mut out = Vec::new();
    for s in steps {
        let step = s.name["ProfilerStep#".len()..]
            .parse()
            .map_err(|_| TrainError::Json {
                path: trace_path.to_path_buf(),
                source: serde::de::Error::custom(format!("range name `{}`", s.name)),
            })?;
        out.push(step_summary(&evs, s, step));
    }
    Ok(Summary {
        trace: trace_path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        steps: out,
    })
}

fn step_summary(evs: &[Ev], s: &Ev, step: usize) -> StepSummary {
    // The step thread's ops, outermost first; each op's outermost enclosing op.
    let mut ops: Vec<&Ev> = evs
        .iter()
        .filter(|e| e.cat == "cpu_op" && e.tid == s.tid && inside(e, s))
        .collect();
    ops.sort_by(|a, b| a.ts.total_cmp(&b.ts).then(b.end.total_cmp(&a.end)));
    let mut tops: Vec<(&Ev, &Ev)> = Vec::new(); // (op, its top-level ancestor)
    let mut stack: Vec<&Ev> = Vec::new();
    for e in ops {
        while stack.last().is_some_and(|o| !inside(e, o)) {
            stack.pop();
        }
        let top = stack.first().copied().unwrap_or(e);
        tops.push((e, top));
        stack.push(e);
    }
    let ranges: Vec<&Ev> = evs
        .iter()
        .filter(|e| {
            e.cat == "user_annotation"
                && e.tid == s.tid
                && e.name.starts_with("ecg::")
                && inside(e, s)
        })
        .collect();
    let mut phase_us: BTreeMap<&str, f64> = BTreeMap::new();
    for r in &ranges {
        *phase_us.entry(r.name.as_str()).or_default() += r.end - r.ts;
    }
    let ms = |k: &str| phase_us.get(k).copied().unwrap_or(0.0) / 1000.0;
    let top_level = |e: &Ev, top: &Ev| std::ptr::eq(e, top);
    let optimizer: Vec<&&Ev> = ranges
        .iter()
        .filter(|r| r.name == "ecg::optimizer")
        .collect();
    let backward: Vec<&&Ev> = ranges
        .iter()
        .filter(|r| r.name == "ecg::backward")
        .collect();
    let colls: Vec<&Ev> = evs
        .iter()
        .filter(|e| {
            (e.name.starts_with("gloo:") || e.name.starts_with("nccl:"))
                && e.ts >= s.ts - EPS_US
                && e.ts <= s.end + EPS_US
        })
        .collect();
    let first_coll = colls.iter().map(|e| e.ts).min_by(f64::total_cmp);
    let lsd = "aten::_local_scalar_dense";
    let host_read = |top: &Ev| top.name == lsd || top.name == "aten::item";
    StepSummary {
        step,
        wall_ms: (s.end - s.ts) / 1000.0,
        aten_ops: tops
            .iter()
            .filter(|(e, t)| top_level(e, t) && e.name.starts_with("aten::"))
            .count(),
        optimizer_aten_ops: tops
            .iter()
            .filter(|(e, t)| {
                top_level(e, t)
                    && e.name.starts_with("aten::")
                    && optimizer.iter().any(|r| inside(e, r))
            })
            .count(),
        host_syncs: tops
            .iter()
            .filter(|(e, t)| e.name == lsd && host_read(t))
            .count(),
        scalar_reads_in_ops: tops
            .iter()
            .filter(|(e, t)| e.name == lsd && !host_read(t))
            .count(),
        collectives: colls.len(),
        collectives_in_backward: colls
            .iter()
            .filter(|c| backward.iter().any(|b| c.ts >= b.ts && c.ts <= b.end))
            .count(),
        backward_fns_after_first_collective: first_coll.map_or(0, |t0| {
            evs.iter()
                .filter(|e| {
                    e.name.starts_with("autograd::engine::evaluate_function")
                        && e.ts > t0
                        && inside(e, s)
                })
                .count()
        }),
        cuda_kernel_launches: evs
            .iter()
            .filter(|e| {
                e.cat == "cuda_runtime"
                    && e.name.contains("LaunchKernel")
                    && e.ts >= s.ts - EPS_US
                    && e.ts <= s.end + EPS_US
            })
            .count(),
        phases_ms: Phases {
            data_wait: ms("ecg::data_wait"),
            forward: ms("ecg::forward"),
            backward: ms("ecg::backward"),
            gradient_sync: ms("ecg::grad_sync"),
            optimizer: ms("ecg::optimizer"),
            log_read: ms("ecg::log_read"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_step_ranges() {
        assert_eq!("3:6".parse(), Ok(ProfileSteps { start: 3, end: 6 }));
        assert!("6:3".parse::<ProfileSteps>().is_err());
        assert!("3".parse::<ProfileSteps>().is_err());
    }

    /// A hand-made trace: nesting decides what is top-level and what is a host sync.
    #[test]
    fn counts_top_level_ops_and_host_reads() {
        let x = |name: &str, cat: &str, ts: f64, dur: f64| serde_json::json!({"ph": "X", "name": name, "cat": cat, "tid": 7, "pid": 1, "ts": ts, "dur": dur});
        let trace = serde_json::json!({"traceEvents": [
            x("ProfilerStep#4", "user_annotation", 0.0, 100.0),
            x("ecg::optimizer", "user_annotation", 50.0, 40.0),
            x("aten::add", "cpu_op", 1.0, 5.0),
            x("aten::empty", "cpu_op", 2.0, 1.0),
            x("aten::item", "cpu_op", 10.0, 3.0),
            x("aten::_local_scalar_dense", "cpu_op", 11.0, 1.0),
            x("aten::_fused_adamw_", "cpu_op", 55.0, 20.0),
            x("aten::_local_scalar_dense", "cpu_op", 56.0, 1.0),
            x("ecg::backward", "user_annotation", 20.0, 25.0),
            x("autograd::engine::evaluate_function: AddBackward0", "cpu_op", 25.0, 2.0),
            x("gloo:all_reduce", "cpu_op", 30.0, 1.0),
            x("autograd::engine::evaluate_function: MulBackward0", "cpu_op", 35.0, 2.0),
            x("aten::mul", "cpu_op", 200.0, 1.0),
        ]});
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("trace.json");
        std::fs::write(&p, trace.to_string()).expect("write");
        let s = summarize(&p).expect("summary");
        assert_eq!(s.steps.len(), 1);
        let st = &s.steps[0];
        assert_eq!(st.step, 4);
        assert_eq!(st.aten_ops, 3, "add, item, _fused_adamw_");
        assert_eq!(st.optimizer_aten_ops, 1);
        assert_eq!((st.host_syncs, st.scalar_reads_in_ops), (1, 1));
        assert_eq!(st.collectives, 1);
        assert_eq!(st.collectives_in_backward, 1);
        assert_eq!(
            st.backward_fns_after_first_collective, 1,
            "MulBackward0 only"
        );
        assert!((st.phases_ms.optimizer - 0.04).abs() < 1e-12);
    }
}
