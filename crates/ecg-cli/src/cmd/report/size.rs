//! Teacher and students: size and speed, from the size.json that `ecg eval` writes beside
//! each model's metrics.json (the report itself runs no network).
use super::json;
use super::results::Present;
use super::table::Table;
use anyhow::{Context, Result};
use std::path::Path;

/// One model's size.json.
#[derive(Debug)]
struct Size {
    task: String,
    dir: &'static str,
    name: String,
    params: i64,
    flops: i64,
    latency_ms: f64,
    runs: i64,
    threads: i64,
    /// (ONNX bytes, 10 s record libtorch ms, 10 s record ONNX ms), when measured.
    onnx: Option<(f64, f64, f64)>,
}

/// The sizes of every model of every task, collected task by task.
#[derive(Debug, Default)]
pub struct Sizes(Vec<Size>);

impl Sizes {
    /// Reads the size.json of each present model of `task` that has one.
    pub fn collect(&mut self, tdir: &Path, task: &str, present: &[Present]) -> Result<()> {
        for p in present {
            let path = tdir.join(p.model.dir).join("size.json");
            if !path.exists() {
                continue;
            }
            let v = json::read(&path)?;
            let int = |k: &str| {
                v.get(k)
                    .and_then(serde_json::Value::as_i64)
                    .with_context(|| {
                        format!("{}: field `{k}` missing or not an integer", path.display())
                    })
            };
            let latency_ms = json::num(&v, &["cpu_latency_ms"]).with_context(|| {
                format!(
                    "{}: field `cpu_latency_ms` missing or not a number",
                    path.display()
                )
            })?;
            let onnx = match v.get("onnx") {
                None | Some(serde_json::Value::Null) => None,
                Some(o) => {
                    let f = |k: &str| {
                        json::num(o, &[k]).with_context(|| {
                            format!(
                                "{}: field `onnx.{k}` missing or not a number",
                                path.display()
                            )
                        })
                    };
                    Some((
                        f("onnx_bytes")?,
                        f("record_libtorch_ms")?,
                        f("record_onnx_ms")?,
                    ))
                }
            };
            self.0.push(Size {
                task: task.to_string(),
                dir: p.model.dir,
                name: p.model.name(),
                params: int("params")?,
                flops: int("flops")?,
                latency_ms,
                runs: int("latency_runs")?,
                threads: int("torch_threads")?,
                onnx,
            });
        }
        Ok(())
    }

    /// The section, or nothing when no model has a size.json.
    pub fn section(&self) -> String {
        let Some(first) = self.0.first() else {
            return String::new();
        };
        let mut t = Table::new([
            "task",
            "model",
            "parameters",
            "FLOPs / record",
            "size vs teacher",
            "CPU latency (ms)",
            "ONNX file (KiB)",
            "10 s record, libtorch (ms)",
            "10 s record, ONNX/tract (ms)",
        ]);
        for s in &self.0 {
            let teacher = self
                .0
                .iter()
                .find(|t| t.task == s.task && t.dir == "teacher");
            let ratio = teacher.map_or("–".into(), |t| {
                format!("{:.3}×", s.params as f64 / t.params as f64)
            });
            t.row([
                s.task.clone(),
                s.name.clone(),
                s.params.to_string(),
                format!("{:.3e}", s.flops as f64),
                ratio,
                format!("{:.2}", s.latency_ms),
                s.onnx
                    .map_or("–".into(), |o| format!("{:.1}", o.0 / 1024.0)),
                s.onnx.map_or("–".into(), |o| format!("{:.2}", o.1)),
                s.onnx.map_or("–".into(), |o| format!("{:.2}", o.2)),
            ]);
        }
        format!(
            "## Teacher and students: size and speed\n\nCPU latency: median of {} forward \
             passes of one record (eval mode, {} torch threads) on this machine, measured by \
             `ecg eval` (size.json). The ONNX columns: the model exported by `ecg export onnx` \
             and one 10 s record at 100 Hz as `ecg predict` feeds it (its windows as one \
             batch), median wall time on one thread in libtorch and in our ONNX runtime \
             (tract, the light `ecg`); see docs/deploy.md.\n\n{t}",
            first.runs, first.threads
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(dir: &'static str, onnx: Option<(f64, f64, f64)>) -> Size {
        Size {
            task: "superdiagnostic".into(),
            dir,
            name: dir.into(),
            params: 1000,
            flops: 2_000_000,
            latency_ms: 1.5,
            runs: 30,
            threads: 1,
            onnx,
        }
    }

    #[test]
    fn the_onnx_columns_show_what_size_json_measured_and_a_dash_otherwise() {
        let s = Sizes(vec![
            size("teacher", None),
            size("student", Some((2048.0, 2.25, 0.75))),
        ]);
        let md = s.section();
        assert!(md.contains("ONNX file (KiB)") && md.contains("10 s record, ONNX/tract (ms)"));
        let student = md.lines().find(|l| l.contains("| student |")).expect("row");
        assert!(
            student.contains("| 2.0 |")
                && student.contains("| 2.25 |")
                && student.contains("| 0.75 |"),
            "{student}"
        );
        let teacher = md.lines().find(|l| l.contains("| teacher |")).expect("row");
        assert_eq!(teacher.matches('–').count(), 3, "{teacher}");
    }
}
