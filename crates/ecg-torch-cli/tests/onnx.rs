//! `ecg export onnx` and `ecg predict --model` end to end on the PTB-XL sample: a small
//! label-correlation student trained on the band-passed 100 Hz pack, exported, and
//! predicted by the light `ecg` (tract, no libtorch) equal to `ecg predict --checkpoint`
//! (libtorch) to 1e-5, a 500 Hz record included; both paths carry on past records that
//! cannot be predicted; `ecg` alone in an empty folder predicts from the ONNX file.
mod support;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ecg() -> Command {
    Command::new(support::ecg())
}

fn sample() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if p.join("ptbxl_database.csv").is_file() {
        Some(p)
    } else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "!!!! SKIPPED: {} not found; ONNX export/predict test not run !!!!",
            p.display()
        );
        None
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run ecg")
}

fn ok(cmd: &mut Command) -> String {
    let o = run(cmd);
    assert!(
        o.status.success(),
        "ecg failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// record → probabilities, from `ecg predict --json` output.
fn probabilities(json: &[u8]) -> Vec<(String, Vec<f64>)> {
    let v: serde_json::Value = serde_json::from_slice(json).expect("predict JSON");
    v["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["record"].as_str().expect("record").to_string(),
                r["probabilities"]
                    .as_array()
                    .expect("probabilities")
                    .iter()
                    .map(|p| p.as_f64().expect("number"))
                    .collect(),
            )
        })
        .collect()
}

fn assert_close(a: &[(String, Vec<f64>)], b: &[(String, Vec<f64>)]) {
    assert_eq!(a.len(), b.len());
    for ((ra, pa), (rb, pb)) in a.iter().zip(b) {
        assert_eq!(ra, rb);
        for (x, y) in pa.iter().zip(pb) {
            assert!((x - y).abs() <= 1e-5, "{ra}: {x} vs {y}");
        }
    }
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

/// A 2-lead record (MLII, V5) over a sample record's samples, as a Holter record would
/// be: a 12-lead model cannot find its leads.
fn two_lead_record(src: &Path, dir: &Path) -> PathBuf {
    let dat = std::fs::read(src.join("records100/00000/00003_lr.dat")).expect("dat");
    std::fs::write(dir.join("holter.dat"), dat).expect("write dat");
    std::fs::write(
        dir.join("holter.hea"),
        "holter 2 100 1000\nholter.dat 16 1000.0(0)/mV 16 0 0 0 0 MLII\nholter.dat 16 1000.0(0)/mV 16 0 0 0 0 V5\n",
    )
    .expect("write hea");
    dir.join("holter")
}

#[test]
fn exported_student_predicts_like_the_checkpoint_without_libtorch() {
    let Some(src) = sample() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(ecg()
        .args([
            "pack",
            "ptbxl",
            "--rate",
            "100",
            "--bandpass",
            "0.5:40",
            "--data",
        ])
        .arg(&src)
        .arg("--out")
        .arg(d.join("sample.pack.safetensors")));
    std::fs::write(
        d.join("tiny.toml"),
        r#"
[data]
pack = "sample.pack.safetensors"
task = "superdiagnostic"
input = { kind = "crop", length = 250, stride = 125, aggregate = "max" }
[model]
preset = "student-tiny"
[optim]
lr = 3e-3
[train]
epochs = 1
batch_size = 64
seed = 5
device = "cpu"
output_dir = "runs/tiny"
"#,
    )
    .expect("config");
    ok(ecg().args(["train", "--config"]).arg(d.join("tiny.toml")));
    let ck = d.join("runs/tiny/checkpoint-best.safetensors");
    let onnx = d.join("tiny.onnx");
    let o = run(ecg()
        .args(["export", "onnx", "--checkpoint"])
        .arg(&ck)
        .arg("--out")
        .arg(&onnx));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // 20 records at 100 Hz and one at 500 Hz (resampled to the model's 100 Hz).
    let mut records: Vec<PathBuf> = (1..=20)
        .map(|i| src.join(format!("records100/00000/{i:05}_lr")))
        .collect();
    records.push(src.join("records500/00000/00021_hr"));
    let torch = ok(ecg()
        .args(["predict", "--json", "--checkpoint"])
        .arg(&ck)
        .args(&records));
    let light = ok(ecg()
        .args(["predict", "--json", "--model"])
        .arg(&onnx)
        .args(&records));
    let (pt, pl) = (
        probabilities(torch.as_bytes()),
        probabilities(light.as_bytes()),
    );
    assert_eq!(pt.len(), 21);
    assert_close(&pt, &pl);

    // Many records, some bad: a missing one and a 2-lead one among good ones. Both paths
    // predict the good ones, name each bad one with the reason, and exit non-zero.
    let holter = two_lead_record(&src, d);
    let mixed = vec![
        records[0].clone(),
        d.join("no-such-record"),
        holter.clone(),
        records[20].clone(),
    ];
    let mut outs = Vec::new();
    for flag in ["--checkpoint", "--model"] {
        let file = if flag == "--model" { &onnx } else { &ck };
        let o = run(ecg()
            .args(["predict", "--json", flag])
            .arg(file)
            .args(&mixed));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success(),
            "{flag}: a bad record must fail the command"
        );
        assert!(
            err.contains("no-such-record") && err.contains("holter") && err.contains("2 of 4"),
            "{flag}: stderr must name both bad records:\n{err}"
        );
        let p = probabilities(&o.stdout);
        assert_eq!(p.len(), 2, "{flag}: the two good records are predicted");
        outs.push(p);
    }
    assert_close(&outs[0], &outs[1]);
    assert_close(&outs[0], &[pt[0].clone(), pt[20].clone()]);

    // `ecg` alone in an empty folder (no ecg-torch beside it) predicts from the ONNX file,
    // and still refuses the libtorch path with a clear message.
    let alone = tempfile::tempdir().expect("tmp");
    let exe = alone.path().join("ecg");
    std::fs::copy(support::ecg(), &exe).expect("copy ecg");
    let lone = ok(Command::new(&exe)
        .args(["predict", "--json", "--model"])
        .arg(&onnx)
        .args(&records[..3]));
    assert_close(&probabilities(lone.as_bytes()), &pt[..3]);
    let o = run(Command::new(&exe)
        .args(["predict", "--checkpoint"])
        .arg(&ck)
        .arg(&records[0]));
    assert!(
        !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("ecg-torch"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Calibration: the λ and C that `ecg eval --calibrate` fitted travel in the model, and
    // `ecg predict --model --calibrated` reproduces eval's calibrated scores.
    let eval = d.join("eval");
    ok(ecg()
        .args(["eval", "--checkpoint"])
        .arg(&ck)
        .args([
            "--split",
            "test",
            "--calibrate",
            "--bootstrap",
            "0",
            "--latency-runs",
            "3",
            "--out",
        ])
        .arg(&eval));
    // size.json carries the exported model's size and a 10 s record's latency in both
    // runtimes (for the report's size section).
    let size: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval.join("size.json")).expect("size"))
            .expect("json");
    assert_eq!(
        size["onnx"]["record_input"],
        serde_json::json!([7, 12, 250]),
        "{size}"
    );
    for k in ["onnx_bytes", "record_libtorch_ms", "record_onnx_ms"] {
        assert!(
            size["onnx"][k].as_f64().is_some_and(|v| v > 0.0),
            "{k}: {size}"
        );
    }
    let cal = d.join("calibrated.onnx");
    ok(ecg()
        .args(["export", "onnx", "--checkpoint"])
        .arg(&ck)
        .arg("--calibration")
        .arg(&eval)
        .arg("--out")
        .arg(&cal));
    let ids: Vec<String> = std::fs::read_to_string(eval.join("ids.txt"))
        .expect("ids.txt")
        .lines()
        .map(str::to_string)
        .collect();
    let files = filenames(&src);
    let test_records: Vec<PathBuf> = ids[..4].iter().map(|i| src.join(&files[i])).collect();
    let scores =
        ecg_metrics::npy::read_scores(&eval.join("scores_calibrated.npy")).expect("scores");
    let got = probabilities(
        ok(ecg()
            .args(["predict", "--json", "--calibrated", "--model"])
            .arg(&cal)
            .args(&test_records))
        .as_bytes(),
    );
    for (row, (_, p)) in got.iter().enumerate() {
        for (j, v) in p.iter().enumerate() {
            let e = scores[[row, j]];
            assert!((v - e).abs() < 1e-4, "record {}: {v} vs eval {e}", ids[row]);
        }
    }
    let o = run(ecg()
        .args(["predict", "--calibrated", "--model"])
        .arg(&onnx)
        .arg(&records[0]));
    assert!(
        !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("no calibration"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A corrupt model file is an error naming it.
    let bad = d.join("corrupt.onnx");
    std::fs::write(&bad, b"not a model").expect("write");
    let o = run(ecg()
        .args(["predict", "--model"])
        .arg(&bad)
        .arg(&records[0]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("corrupt.onnx"), "{err}");
}
