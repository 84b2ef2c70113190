//! `ecg train`, `ecg distill`, `ecg eval`, `ecg predict` end to end on the 500-record
//! PTB-XL sample (100 Hz, superdiagnostic; small, CPU), plus config errors naming the key.
mod support;
use std::path::{Path, PathBuf};
use std::process::Command;

fn ecg() -> Command {
    Command::new(support::ecg())
}

fn sample() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if p.join("ptbxl_database.csv").is_file() {
        Some(p)
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "!!!! SKIPPED: {} not found; ecg train/eval sample test not run !!!!",
                p.display()
            );
        };
        None
    }
}

/// Packs the sample's 100 Hz records with `ecg pack ptbxl`, band-passed 0.5–40 Hz (so
/// predict must replay the filter to agree with eval).
fn pack_sample(src: &Path, out: &Path) -> PathBuf {
    let path = out.join("sample.pack.safetensors");
    run_ok(
        ecg()
            .args([
                "pack",
                "ptbxl",
                "--rate",
                "100",
                "--bandpass",
                "0.5:40",
                "--data",
            ])
            .arg(src)
            .arg("--out")
            .arg(&path),
    );
    path
}

/// `ecg_id` → `filename_lr` from the sample's database.
fn filenames(src: &Path) -> std::collections::HashMap<String, String> {
    use ecg_synth::tables::split_csv_line;
    let db = std::fs::read_to_string(src.join("ptbxl_database.csv")).expect("database");
    let mut lines = db.lines();
    let header = split_csv_line(lines.next().expect("header"));
    let col = |n: &str| header.iter().position(|h| h == n).expect(n);
    let (c_id, c_file) = (col("ecg_id"), col("filename_lr"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v = split_csv_line(l);
            (v[c_id].clone(), v[c_file].clone())
        })
        .collect()
}

fn config(dir: &Path, name: &str, preset: &str, out: &str, extra: &str) -> PathBuf {
    let text = format!(
        r#"
[data]
pack = "sample.pack.safetensors"
task = "superdiagnostic"
input = {{ kind = "crop", length = 250, stride = 125, aggregate = "max" }}

[model]
preset = "{preset}"

[optim]
lr = 3e-3

[train]
epochs = 2
batch_size = 32
seed = 3
device = "cpu"
output_dir = "{out}"
{extra}
"#
    );
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write config");
    p
}

fn run_ok(cmd: &mut Command) -> String {
    let o = cmd.output().expect("run ecg");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        o.status.success(),
        "ecg failed\nstdout:\n{out}\nstderr:\n{err}"
    );
    out.into_owned()
}

#[test]
fn train_distill_eval_predict_on_the_ptbxl_sample() {
    let Some(src) = sample() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    pack_sample(&src, d);
    let teacher_cfg = config(d, "teacher.toml", "se_resnet1d", "runs/teacher", "");
    run_ok(ecg().args(["train", "--config"]).arg(&teacher_cfg));
    let teacher = d.join("runs/teacher/checkpoint-best.safetensors");
    assert!(teacher.is_file());
    let student_cfg = config(d, "student.toml", "fcn_wang", "runs/student", "");
    let mut text = std::fs::read_to_string(&student_cfg).expect("read");
    text.push_str("\n[distill]\nalpha = 0.5\ntemperature = 2.0\nbeta = 1.0\n");
    std::fs::write(&student_cfg, text).expect("write");
    run_ok(
        ecg()
            .args(["distill", "--config"])
            .arg(&student_cfg)
            .arg("--teacher")
            .arg(&teacher),
    );
    let student = d.join("runs/student/checkpoint-best.safetensors");
    let eval_dir = d.join("eval");
    let out = run_ok(
        ecg()
            .args(["eval", "--checkpoint"])
            .arg(&student)
            .args([
                "--split",
                "test",
                "--calibrate",
                "--bootstrap",
                "10",
                "--out",
            ])
            .arg(&eval_dir),
    );
    assert!(out.contains("macro-AUC"), "{out}");
    for f in [
        "scores.npy",
        "labels.npy",
        "metrics.json",
        "metrics_calibrated.json",
        "lambda.json",
    ] {
        assert!(eval_dir.join(f).is_file(), "missing {f}");
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval_dir.join("metrics.json")).expect("m"))
            .expect("json");
    assert!(
        m["macro_auc"]
            .as_f64()
            .is_some_and(|a| (0.0..=1.0).contains(&a)),
        "{m}"
    );
    // `ecg metrics` on eval's own files reproduces metrics.json key for key (uncalibrated
    // and calibrated): the written arrays are the whole story.
    for stem in ["", "_calibrated"] {
        let json = run_ok(
            ecg()
                .arg("metrics")
                .arg("--labels")
                .arg(eval_dir.join("labels.npy"))
                .arg("--scores")
                .arg(eval_dir.join(format!("scores{stem}.npy")))
                .arg("--val-labels")
                .arg(eval_dir.join("val_labels.npy"))
                .arg("--val-scores")
                .arg(eval_dir.join(format!("val_scores{stem}.npy")))
                .arg("--bootstrap-ids")
                .arg(eval_dir.join("bootstrap_ids.npy"))
                .arg("--classes")
                .arg(eval_dir.join("classes.txt")),
        );
        let cli: serde_json::Value = serde_json::from_str(&json).expect("ecg metrics JSON");
        let written: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(eval_dir.join(format!("metrics{stem}.json"))).expect("m"),
        )
        .expect("json");
        let keys = cli.as_object().expect("object");
        assert!(
            keys.contains_key("macro_auc") && keys.contains_key("bootstrap"),
            "{cli}"
        );
        for (k, v) in keys {
            assert_eq!(
                Some(v),
                written.get(k),
                "metrics{stem}.json and `ecg metrics` differ at `{k}`"
            );
        }
    }
    // predict on raw WFDB files replays the pack's band-pass and standardiser: its
    // probabilities equal eval's for the same test records.
    let ids: Vec<String> = std::fs::read_to_string(eval_dir.join("ids.txt"))
        .expect("ids.txt")
        .lines()
        .map(str::to_string)
        .collect();
    let scores = ecg_metrics::npy::read_scores(&eval_dir.join("scores.npy")).expect("scores");
    assert_eq!(ids.len(), scores.nrows());
    let files = filenames(&src);
    let mut pcmd = ecg();
    pcmd.args(["predict", "--checkpoint"]).arg(&student);
    for id in &ids[..3] {
        pcmd.arg(src.join(&files[id]));
    }
    let table = run_ok(&mut pcmd);
    for (row, line) in table.lines().skip(1).enumerate() {
        let probs: Vec<f64> = line
            .split('\t')
            .skip(1)
            .map(|v| v.parse().expect("probability"))
            .collect();
        for (j, p) in probs.iter().enumerate() {
            let e = scores[[row, j]];
            assert!(
                (p - e).abs() < 1e-4,
                "record {}: predict {p} vs eval {e} for class {j}",
                ids[row]
            );
        }
    }
    let table = run_ok(
        ecg()
            .args(["predict", "--checkpoint"])
            .arg(&student)
            .arg(src.join("records100/00000/00001_lr"))
            .arg(src.join("records100/00000/00002_lr")),
    );
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert_eq!(lines[0], "record\tCD\tHYP\tMI\tNORM\tSTTC");
}

#[test]
fn bad_configs_name_the_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::write(d.join("sample.pack.safetensors"), b"").expect("touch");
    let check = |extra: &str, find: &str| {
        let p = config(d, "bad.toml", "se_resnet1d", "runs/x", extra);
        let o = ecg()
            .args(["train", "--config"])
            .arg(&p)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(find),
            "expected `{find}` in:\n{err}"
        );
    };
    check("learning_rate = 3", "learning_rate");
    check("patience = \"ten\"", "patience");
    let p = config(d, "nopack.toml", "se_resnet1d", "runs/x", "");
    let text = std::fs::read_to_string(&p)
        .expect("r")
        .replace("sample.pack.safetensors", "missing.pack");
    std::fs::write(&p, text).expect("w");
    let o = ecg()
        .args(["train", "--config"])
        .arg(&p)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("data.pack") && err.contains("missing.pack"),
        "{err}"
    );
    let o = ecg()
        .args(["train", "--config"])
        .arg(d.join("absent.toml"))
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("absent.toml"), "{err}");
}
