//! `ecg model summary`: the table, `--json` with params and FLOPs equal to the library's,
//! lead subsets, and a clear error for a length the pooling cannot take.
mod support;
use std::process::Command;

fn ecg(args: &[&str]) -> std::process::Output {
    Command::new(support::ecg())
        .args(args)
        .output()
        .expect("run ecg")
}

#[test]
fn summary_json_matches_the_library() {
    for preset in ecg_nn::PRESETS {
        let out = ecg(&["model", "summary", "--preset", preset, "--json"]);
        assert!(
            out.status.success(),
            "{preset}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let spec = ecg_nn::ModelSpec::preset(preset, 5, (0..12).collect(), 250).expect("preset");
        let (p, f) = spec.params_and_flops().expect("count");
        assert_eq!(v["params"].as_i64(), Some(p), "{preset}");
        assert_eq!(v["flops"].as_i64(), Some(f), "{preset}");
        assert!(v["layers"].as_array().is_some_and(|l| !l.is_empty()));
    }
}

#[test]
fn summary_table_lead_subset_and_length_errors() {
    let out = ecg(&[
        "model", "summary", "--preset", "teacher", "--leads", "I", "--length", "1000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[batch, 1, 1000]"), "{text}");
    assert!(
        text.contains("backbone.block_a1") && text.contains("total"),
        "{text}"
    );

    let out = ecg(&["model", "summary", "--preset", "teacher", "--length", "100"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("input length 100") && err.contains("125"),
        "{err}"
    );

    let out = ecg(&["model", "summary", "--preset", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown model preset"));
}
