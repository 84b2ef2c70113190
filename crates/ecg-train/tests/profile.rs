//! `--profile-steps 3:6` on the CPU: libtorch's profiler writes a Chrome trace with ATen
//! events and one `ProfilerStep#N` range per step, `summary.json` agrees with the trace, and
//! the step's own figures hold: clipping + AdamW in at most 40 top-level ATen ops, no host
//! sync in a step that does not log, no collective in a one-process step.
mod common;

use ecg_train::config::TrainConfig;
use ecg_train::profile::{summarize, Summary};
use ecg_train::{train, TrainOptions};
use serde_json::Value;
use std::path::Path;

#[test]
fn profile_steps_write_a_chrome_trace_and_a_summary_that_agrees_with_it() {
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().expect("tmp");
    let pack = common::make_pack(dir.path(), 120, 11);
    let out = dir.path().join("run");
    // The teacher network (label-correlation family), stopped after step 6 of epoch 1.
    let text = common::config_text(&pack, &out, 1, "stop_after_steps = 6")
        .replace("preset = \"se_resnet1d\"", "preset = \"teacher\"");
    let cfg = TrainConfig::from_toml(&text, Path::new("t.toml")).expect("config");
    let opts = TrainOptions {
        profile_steps: Some("3:6".parse().expect("steps")),
        ..Default::default()
    };
    let o = train(&cfg, &opts).expect("train");
    assert_eq!(o.state.global_step, 6);

    let trace_path = out.join("profile/trace.json");
    let trace: Value =
        serde_json::from_str(&std::fs::read_to_string(&trace_path).expect("trace")).expect("json");
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let named = |cat: &str, pred: &dyn Fn(&str) -> bool| {
        events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] == cat)
            .filter(|e| pred(e["name"].as_str().unwrap_or("")))
            .count()
    };
    assert!(
        named("cpu_op", &|n| n == "aten::_fused_adamw_") >= 3,
        "the fused kernel ran"
    );
    assert!(named("cpu_op", &|n| n.starts_with("aten::conv")) > 0);
    let mut steps: Vec<String> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "user_annotation")
        .filter_map(|e| e["name"].as_str())
        .filter(|n| n.starts_with("ProfilerStep#"))
        .map(String::from)
        .collect();
    steps.sort();
    assert_eq!(
        steps,
        ["ProfilerStep#3", "ProfilerStep#4", "ProfilerStep#5"]
    );

    let text = std::fs::read_to_string(out.join("profile/summary.json")).expect("summary");
    let summary: Summary = serde_json::from_str(&text).expect("summary json");
    assert_eq!(
        summary,
        summarize(&trace_path).expect("summarize"),
        "summary = the trace's"
    );
    assert_eq!(
        summary.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    for s in &summary.steps {
        assert!(
            (1..=40).contains(&s.optimizer_aten_ops),
            "step {}: clipping + AdamW took {} top-level ATen ops",
            s.step,
            s.optimizer_aten_ops
        );
        assert_eq!(s.host_syncs, 0, "step {} read a value to the host", s.step);
        assert_eq!(s.collectives, 0);
        assert_eq!(s.cuda_kernel_launches, 0);
        assert!(s.aten_ops > s.optimizer_aten_ops);
        let p = &s.phases_ms;
        assert!(
            p.forward > 0.0 && p.backward > 0.0 && p.optimizer > 0.0,
            "{p:?}"
        );
        assert!(p.forward + p.backward + p.optimizer <= s.wall_ms + 1e-3);
    }
}
