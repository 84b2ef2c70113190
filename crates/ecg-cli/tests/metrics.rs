//! `ecg metrics` end to end: the PTB-XL benchmark's saved arrays must give the benchmark's
//! numbers (expected.json) to 1e-9; fitted thresholds match the scikit-learn golden case;
//! bad input is a clear error, not a panic.
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn ecg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecg"))
}

fn golden(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ecg-metrics/tests/golden")
        .join(case)
}

fn run_json(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("run ecg");
    assert!(
        out.status.success(),
        "ecg metrics failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn ptbxl_benchmark_numbers() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-benchmark-val");
    if !dir.join("expected.json").is_file() {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n\n!!!!! SKIPPED: PTB-XL benchmark golden data not found at {} !!!!!\n\n",
                dir.display()
            );
        };
        return;
    }
    let exp: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("read expected.json"),
    )
    .expect("parse expected.json");
    let r = run_json(
        ecg()
            .arg("metrics")
            .arg("--labels")
            .arg(dir.join("labels.npy"))
            .arg("--scores")
            .arg(dir.join("scores.npy"))
            .arg("--classes")
            .arg(dir.join("classes.txt"))
            .arg("--bootstrap-ids")
            .arg(dir.join("bootstrap_ids.npy")),
    );
    let close = |name: &str, got: f64, want: f64| {
        assert!(
            (got - want).abs() <= 1e-9,
            "{name}: got {got}, benchmark {want}"
        );
    };
    close("macro_auc", f(&r["macro_auc"]), f(&exp["macro_auc"]));
    close("fmax", f(&r["fmax"]), f(&exp["fmax"]));
    for k in ["mean", "p05", "p95"] {
        close(
            &format!("bootstrap {k}"),
            f(&r["bootstrap"]["macro_auc"][k]),
            f(&exp["macro_auc_bootstrap"][k]),
        );
    }
    assert!(f(&r["micro_auc"]) > 0.5);
    assert_eq!(r["threshold_source"], "fixed");
    let per_label = r["per_label"].as_object().expect("per_label object");
    assert_eq!(per_label.len(), 71);
    for key in ["auc", "ap", "f1"] {
        assert!(per_label["NORM"][key].is_number(), "per_label.NORM.{key}");
    }
}

#[test]
fn fitted_thresholds_from_validation_split() {
    let g = golden("random");
    let exp: Value = serde_json::from_str(
        &std::fs::read_to_string(g.join("expected.json")).expect("golden expected.json"),
    )
    .expect("parse");
    let r = run_json(
        ecg()
            .arg("metrics")
            .arg("--labels")
            .arg(g.join("y.npy"))
            .arg("--scores")
            .arg(g.join("p.npy"))
            .arg("--val-labels")
            .arg(g.join("val_y.npy"))
            .arg("--val-scores")
            .arg(g.join("val_p.npy"))
            .args(["--bootstrap", "10", "--seed", "3"]),
    );
    assert_eq!(r["threshold_source"], "fitted");
    let got = r["thresholded"]["thresholds"]
        .as_array()
        .expect("thresholds");
    let want = exp["fitted_thresholds"]
        .as_array()
        .expect("golden thresholds");
    assert_eq!(got.len(), want.len());
    for (a, b) in got.iter().zip(want) {
        assert!((f(a) - f(b)).abs() <= 1e-12);
    }
    let m = f(&r["thresholded"]["macro"]["f1"]);
    assert!((m - f(&exp["at_fitted"]["macro"]["f1"])).abs() <= 1e-12);
    assert_eq!(r["bootstrap"]["macro_auc"]["n_samples"], 10);
}

/// A minimal little-endian float64 .npy writer for the bad-input cases.
fn write_f64_npy(path: &Path, rows: usize, cols: usize, data: &[f64]) {
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).expect("write npy");
}

fn fails_with(labels: &Path, scores: &Path, extra: &[&str], needle: &str) {
    let out = ecg()
        .arg("metrics")
        .arg("--labels")
        .arg(labels)
        .arg("--scores")
        .arg(scores)
        .args(extra)
        .output()
        .expect("run ecg");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {needle}");
    assert!(!err.contains("panicked"), "panic instead of error: {err}");
    assert!(
        err.contains(needle),
        "stderr should mention {needle:?}: {err}"
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("ecg-metrics-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let tiny = golden("tiny");
    let (y, p) = (tiny.join("y.npy"), tiny.join("p.npy"));
    // shapes disagree
    let p3 = dir.join("p3.npy");
    write_f64_npy(&p3, 3, 2, &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    fails_with(&y, &p3, &[], "shape mismatch");
    // NaN score
    let pn = dir.join("pnan.npy");
    write_f64_npy(&pn, 2, 2, &[0.1, f64::NAN, 0.3, 0.4]);
    fails_with(&y, &pn, &[], "must be finite");
    // labels other than 0/1
    let y2 = dir.join("y2.npy");
    write_f64_npy(&y2, 2, 2, &[1.0, 0.0, 2.0, 1.0]);
    fails_with(&y2, &p, &[], "not 0 or 1");
    // empty set
    let ye = dir.join("ye.npy");
    write_f64_npy(&ye, 0, 2, &[]);
    let pe = dir.join("pe.npy");
    write_f64_npy(&pe, 0, 2, &[]);
    fails_with(&ye, &pe, &[], "empty");
    // bootstrap index sets must be integers
    let b = dir.join("b.npy");
    write_f64_npy(&b, 1, 2, &[0.0, 5.0]);
    let bs = b.to_string_lossy().into_owned();
    fails_with(&y, &p, &["--bootstrap-ids", &bs], "integer array");
    // missing file
    fails_with(&dir.join("missing.npy"), &p, &[], "missing.npy");
    let _ = std::fs::remove_dir_all(&dir);
}
