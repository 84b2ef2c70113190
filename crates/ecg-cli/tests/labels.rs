//! `ecg labels ptbxl` end to end on the PTB-XL sample: the CSVs must agree with the
//! committed pandas/numpy golden files (scripts/golden/labels_ptbxl.py) — counts exactly,
//! E and C to 1e-12 — from the CSV tables (--data) and from a pack (--pack); the heatmaps
//! are SVGs naming every class; bad input is a clear error.
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize)]
struct Golden {
    classes: Vec<String>,
    counts: Vec<Vec<f64>>,
    conditional: Vec<Vec<f64>>,
    cosine: Vec<Vec<f64>>,
}

fn ecg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecg"))
}

fn sample() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if d.join("ptbxl_database.csv").is_file() {
        Some(d)
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(),
            "\n\n!!!!! SKIPPED: PTB-XL sample not found at {} — `ecg labels` test NOT run !!!!!\n\n",
            d.display()
        );
        };
        None
    }
}

fn golden(task: &str) -> Golden {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../ecg-labels/tests/golden/ptbxl_{task}.json"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("run ecg");
    assert!(
        out.status.success(),
        "ecg labels failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses a names-as-header-and-first-column CSV into (names, matrix).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    assert_eq!(header[0], "", "{}: top-left cell", path.display());
    let names = header[1..].to_vec();
    let mut m = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], names[i], "{}: row name {i}", path.display());
        m.push(
            cells[1..]
                .iter()
                .map(|c| c.parse::<f64>().expect("number"))
                .collect(),
        );
    }
    (names, m)
}

fn compare(out: &Path, g: &Golden, task: &str) {
    for (file, want, tol) in [
        ("cooccurrence.csv", &g.counts, 0.0),
        ("conditional.csv", &g.conditional, 1e-12),
        ("cosine.csv", &g.cosine, 1e-12),
    ] {
        let (names, m) = read_csv(&out.join(file));
        assert_eq!(names, g.classes, "{task} {file}: classes");
        assert_eq!(m.len(), want.len(), "{task} {file}: rows");
        for (i, (row, wrow)) in m.iter().zip(want).enumerate() {
            assert_eq!(row.len(), wrow.len(), "{task} {file}: row {i}");
            for (j, (a, b)) in row.iter().zip(wrow).enumerate() {
                assert!(
                    (a - b).abs() <= tol,
                    "{task} {file}: [{}, {}] = {a}, golden {b}",
                    g.classes[i],
                    g.classes[j]
                );
            }
        }
    }
    for svg in ["conditional.svg", "cosine.svg"] {
        let text = std::fs::read_to_string(out.join(svg)).expect("svg");
        assert!(text.starts_with("<svg"), "{task} {svg}: not an SVG");
        for c in &g.classes {
            // plotters writes `<text ...>\nNAME\n</text>`.
            assert!(
                text.contains(&format!(">{c}<")) || text.contains(&format!(">\n{c}\n</text>")),
                "{task} {svg}: no label {c}"
            );
        }
    }
}

#[test]
fn from_csv_tables_matches_golden() {
    let Some(data) = sample() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    for task in ["superdiagnostic", "all"] {
        let out = tmp.path().join(task);
        run_ok(
            ecg()
                .args(["labels", "ptbxl", "--task", task, "--data"])
                .arg(&data)
                .arg("--out")
                .arg(&out),
        );
        compare(&out, &golden(task), task);
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("summary.json")).expect("summary"),
        )
        .expect("json");
        assert_eq!(summary["task"], task);
        assert_eq!(
            summary["train_folds"],
            serde_json::json!([1, 2, 3, 4, 5, 6, 7, 8])
        );
        assert!(summary["min_samples"].is_number() && summary["records_kept"].is_number());
    }
}

#[test]
fn from_pack_matches_golden() {
    let Some(data) = sample() else { return };
    // A pack of the sample's records with a 1-lead, 1-sample signal: the labels only
    // depend on the records' codes, folds and the statement table it carries.
    let db = ecg_io::ptbxl::load_database(&data.join("ptbxl_database.csv")).expect("database");
    let st = ecg_io::ptbxl::load_statements(&data.join("scp_statements.csv")).expect("statements");
    let records: Vec<ecg_io::pack::PackedRecord> = db
        .iter()
        .map(|r| ecg_io::pack::PackedRecord {
            id: r.ecg_id.to_string(),
            ecg_id: Some(r.ecg_id),
            patient_id: r.patient_id,
            fold: r.strat_fold,
            codes: r.scp_codes.clone(),
            codes_raw: String::new(),
            age: r.age,
            sex: r.sex.and_then(ecg_io::pack::Sex::from_ptbxl),
        })
        .collect();
    let meta = ecg_io::pack::PackMeta {
        dataset: "ptbxl".into(),
        version: "sample".into(),
        rate: 100,
        leads: vec!["I".into()],
        samples: 1,
        preprocessing: "none (labels test)".into(),
        bandpass: None,
        source: data.display().to_string(),
        statements: st,
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("sample.safetensors");
    ecg_io::pack::write_pack(&pack, &meta, &records, &vec![0.0f32; records.len()]).expect("pack");
    // `ecg labels pack` builds the task as training does, and gives the same numbers as
    // `ecg labels ptbxl`.
    for how in ["ptbxl", "pack"] {
        let out = tmp.path().join(format!("out-{how}"));
        run_ok(
            ecg()
                .args(["labels", how, "--task", "subdiagnostic", "--pack"])
                .arg(&pack)
                .arg("--out")
                .arg(&out),
        );
        let what = format!("subdiagnostic (labels {how} on a pack)");
        compare(&out, &golden("subdiagnostic"), &what);
    }
}

/// A CPSC2018-style pack counted on the run's own training folds (1-2 of a small run):
/// counts by hand, the fold outside them unseen.
#[test]
fn labels_pack_counts_class_tasks_on_the_given_training_folds() {
    let sets: [(&[&str], u8); 4] = [
        (&["AF", "RBBB"], 1),
        (&["AF"], 1),
        (&["Normal"], 2),
        (&["AF", "RBBB", "PVC"], 3),
    ];
    let records: Vec<ecg_io::pack::PackedRecord> = sets
        .iter()
        .enumerate()
        .map(|(i, (codes, fold))| ecg_io::pack::PackedRecord {
            id: format!("A{i:04}"),
            ecg_id: None,
            patient_id: None,
            fold: *fold,
            codes: codes.iter().map(|c| (c.to_string(), 100.0)).collect(),
            codes_raw: codes.join(","),
            age: None,
            sex: None,
        })
        .collect();
    let meta = ecg_io::pack::PackMeta {
        dataset: "cpsc2018".into(),
        version: String::new(),
        rate: 100,
        leads: vec!["I".into()],
        samples: 1,
        preprocessing: "none (labels test)".into(),
        bandpass: None,
        source: "hand-made".into(),
        statements: vec![],
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let pack = tmp.path().join("cpsc.safetensors");
    ecg_io::pack::write_pack(&pack, &meta, &records, &[0.0f32; 4]).expect("pack");
    let out = tmp.path().join("out");
    run_ok(
        ecg()
            .args([
                "labels",
                "pack",
                "--task",
                "classes",
                "--train-folds",
                "1-2",
                "--pack",
            ])
            .arg(&pack)
            .arg("--out")
            .arg(&out),
    );
    let (names, counts) = read_csv(&out.join("cooccurrence.csv"));
    let at = |a: &str, b: &str| {
        let i = names.iter().position(|n| n == a).expect("class");
        let j = names.iter().position(|n| n == b).expect("class");
        (i, j)
    };
    let count = |a, b| {
        let (i, j) = at(a, b);
        counts[i][j]
    };
    // Folds 1-2 only: PVC (fold 3) never counted, AF twice, AF+RBBB once.
    assert_eq!(
        (
            count("AF", "AF"),
            count("RBBB", "RBBB"),
            count("AF", "RBBB"),
            count("PVC", "PVC")
        ),
        (2.0, 1.0, 1.0, 0.0)
    );
    let (_, e) = read_csv(&out.join("conditional.csv"));
    let (i, j) = at("RBBB", "AF");
    // E[RBBB][AF] = t(RBBB, AF) / t(AF) = 1/2; E[AF][RBBB] = 1/1.
    assert_eq!((e[i][j], e[j][i]), (0.5, 1.0));
    let title = std::fs::read_to_string(out.join("cosine.svg")).expect("svg");
    assert!(title.contains("folds 1-2, 3 records"), "svg title");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["train_folds"], serde_json::json!([1, 2]));
    assert_eq!(summary["train_records"], 3);
    assert_eq!(summary["task"], "classes");
    assert!(summary["dataset"].is_string(), "{summary}");
    // A bad fold list and an unknown task are clear errors.
    let bad = ecg()
        .args([
            "labels",
            "pack",
            "--task",
            "classes",
            "--train-folds",
            "0-11",
            "--pack",
        ])
        .arg(&pack)
        .arg("--out")
        .arg(tmp.path().join("bad"))
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--train-folds"));
    let bad = ecg()
        .args(["labels", "pack", "--task", "nonsense", "--pack"])
        .arg(&pack)
        .arg("--out")
        .arg(tmp.path().join("bad"))
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("nonsense") && err.contains("cpsc.safetensors"),
        "{err}"
    );
}

#[test]
fn min_likelihood_option_matches_golden() {
    let Some(data) = sample() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("o");
    run_ok(
        ecg()
            .args([
                "labels",
                "ptbxl",
                "--task",
                "superdiagnostic",
                "--min-likelihood",
                "50",
                "--data",
            ])
            .arg(&data)
            .arg("--out")
            .arg(&out),
    );
    compare(
        &out,
        &golden("superdiagnostic_minlik50"),
        "superdiagnostic min_likelihood 50",
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = ecg()
        .args(["labels", "ptbxl", "--task", "superclass", "--data"])
        .arg(tmp.path())
        .arg("--out")
        .arg(tmp.path().join("o"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown PTB-XL task `superclass`"), "{err}");

    let out = ecg()
        .args(["labels", "ptbxl", "--task", "form", "--data"])
        .arg(tmp.path())
        .arg("--out")
        .arg(tmp.path().join("o"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ptbxl_database.csv"), "{err}");
}
