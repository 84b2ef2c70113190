//! Eval's writer on the PTB-XL benchmark's saved arrays (xresnet1d101, fold 9, task
//! `all`): the arrays round-trip through the written .npy files, and metrics.json holds
//! the benchmark's own macro-AUC, bootstrap interval and Fmax (expected.json).
use ecg_train::eval::write_split_outputs;
use std::path::Path;

#[test]
fn benchmark_arrays_round_trip() {
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-benchmark-val");
    if !data.is_dir() {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "!!!! SKIPPED: {} not found; benchmark round trip not run !!!!",
                data.display()
            );
        };
        return;
    }
    let y = ecg_metrics::npy::read_labels(&data.join("labels.npy")).expect("labels");
    let p = ecg_metrics::npy::read_scores(&data.join("scores.npy")).expect("scores");
    let boot = ecg_metrics::npy::read_index_sets(&data.join("bootstrap_ids.npy")).expect("boot");
    let names: Vec<String> = std::fs::read_to_string(data.join("classes.txt"))
        .expect("classes")
        .lines()
        .map(str::to_string)
        .collect();
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("expected.json")).expect("exp"))
            .expect("json");
    let dir = tempfile::tempdir().expect("tmp");
    let report = write_split_outputs(dir.path(), "", y.view(), &p, None, &names, Some(&boot), &[])
        .expect("write");
    // Arrays round-trip exactly.
    let y2 = ecg_metrics::npy::read_labels(&dir.path().join("labels.npy")).expect("y2");
    let p2 = ecg_metrics::npy::read_scores(&dir.path().join("scores.npy")).expect("p2");
    assert_eq!(y, y2);
    assert_eq!(p, p2);
    // metrics.json carries the benchmark's numbers.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("metrics.json")).expect("m"))
            .expect("json");
    let close = |a: Option<f64>, b: Option<f64>, what: &str| {
        let (a, b) = (a.expect(what), b.expect(what));
        assert!((a - b).abs() < 1e-9, "{what}: {a} vs benchmark {b}");
    };
    close(
        m["macro_auc"].as_f64(),
        expected["macro_auc"].as_f64(),
        "macro_auc",
    );
    close(m["fmax"].as_f64(), expected["fmax"].as_f64(), "fmax");
    close(
        report.macro_auc,
        expected["macro_auc"].as_f64(),
        "report macro_auc",
    );
    let b = &m["bootstrap"]["macro_auc"];
    let eb = &expected["macro_auc_bootstrap"];
    for (k, ek) in [("mean", "mean"), ("p05", "p05"), ("p95", "p95")] {
        close(b[k].as_f64(), eb[ek].as_f64(), &format!("bootstrap {k}"));
    }
}
