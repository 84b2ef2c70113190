//! `ecg report` on constructed run folders (no network, no training): the Claims section
//! appears in every report and reaches each verdict from the files — one run (paired
//! bootstrap over test records), a small test fold (no verdict), and an aggregate over
//! three seed runs (Student t over seeds).
use ndarray::Array2;
use ndarray_npy::WriteNpyExt;
use serde_json::json;
use std::path::Path;
use std::process::Command;

const CLASSES: [&str; 3] = ["A", "B", "R"];

/// Deterministic uniform numbers in [0, 1) (a 64-bit LCG; no test depends on its quality).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Test labels: A in 40 %, B in 20 %, the rare R in every 15th record (7 % of the test
/// fold; 3 % of the training folds, see `summary.json`).
fn labels(n: usize, rng: &mut Lcg) -> Array2<u8> {
    Array2::from_shape_fn((n, 3), |(i, j)| match j {
        0 => u8::from(rng.next() < 0.4),
        1 => u8::from(rng.next() < 0.2),
        _ => u8::from(i % 15 == 0),
    })
}

/// Scores `signal · y + (1 − signal) · noise`.
fn scores(y: &Array2<u8>, signal: f64, rng: &mut Lcg) -> Array2<f64> {
    y.mapv(|v| signal * f64::from(v) + (1.0 - signal) * rng.next())
}

fn write_npy<T: ndarray_npy::WritableElement>(path: &Path, a: &Array2<T>) {
    a.write_npy(std::fs::File::create(path).expect("create npy"))
        .expect("write npy");
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).expect("json")).expect("write json");
}

/// A model folder as `ecg eval` leaves it (scores, labels, thresholds 0.5, classes, ids).
fn model(
    tdir: &Path,
    dir: &str,
    y: &Array2<u8>,
    p: &Array2<f64>,
    calibrated: Option<&Array2<f64>>,
) {
    let d = tdir.join(dir);
    std::fs::create_dir_all(&d).expect("mkdir");
    write_npy(&d.join("labels.npy"), y);
    std::fs::write(d.join("classes.txt"), CLASSES.join("\n") + "\n").expect("classes");
    let ids: Vec<String> = (0..y.nrows()).map(|i| format!("r{i}")).collect();
    std::fs::write(d.join("ids.txt"), ids.join("\n") + "\n").expect("ids");
    let metrics = |auc: f64| {
        json!({
            "macro_auc": auc,
            "thresholded": {"thresholds": [0.5, 0.5, 0.5], "macro": {"f1": 0.5}},
            "per_label": {"A": {"f1": 0.6, "positives": 1}, "B": {"f1": 0.5, "positives": 1},
                          "R": {"f1": 0.3, "positives": 1}}
        })
    };
    write_npy(&d.join("scores.npy"), p);
    write_json(&d.join("metrics.json"), &metrics(0.8));
    if let Some(pc) = calibrated {
        write_npy(&d.join("scores_calibrated.npy"), pc);
        write_json(&d.join("metrics_calibrated.json"), &metrics(0.81));
    }
}

/// One run folder with task `superdiagnostic`: a strong teacher, a weaker student, a KD
/// student that learned nothing, two identical lead-I students, an unchanged calibration.
fn run_folder(run: &Path, n_test: usize, seed: u64) {
    let mut rng = Lcg(seed);
    let tdir = run.join("superdiagnostic");
    let y = labels(n_test, &mut rng);
    let teacher = scores(&y, 0.7, &mut rng);
    model(&tdir, "teacher", &y, &teacher, Some(&teacher));
    model(&tdir, "student", &y, &scores(&y, 0.3, &mut rng), None);
    let kd = scores(&y, 0.0, &mut rng);
    model(&tdir, "student_kd", &y, &kd, Some(&kd));
    let lead1 = scores(&y, 0.2, &mut rng);
    model(&tdir, "student_lead1", &y, &lead1, None);
    model(&tdir, "student_lead1_mvkt", &y, &lead1, None);
    for (dir, params) in [("teacher", 1000), ("student", 610), ("student_kd", 610)] {
        write_json(
            &tdir.join(dir).join("size.json"),
            &json!({"params": params, "flops": 10 * params, "cpu_latency_ms": 1.0,
                     "latency_runs": 3, "torch_threads": 1}),
        );
    }
    std::fs::create_dir_all(tdir.join("labels")).expect("mkdir");
    write_json(
        &tdir.join("labels/summary.json"),
        &json!({"classes": CLASSES, "train_records": 1000, "train_label_counts": [400, 200, 30]}),
    );
    write_json(
        &run.join("run.json"),
        &json!({"title": "constructed", "tasks": ["superdiagnostic"], "seed": seed,
                "n_records": n_test * 10}),
    );
}

fn report(run: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ecg"))
        .args(["report", "--run"])
        .arg(run)
        .output()
        .expect("run ecg report");
    assert!(
        out.status.success(),
        "ecg report failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(run.join("report.md")).expect("report.md")
}

/// The verdict cell of the Claims row whose comparison and metric are given.
fn verdict<'a>(report: &'a str, comparison: &str, metric: &str) -> &'a str {
    let line = report
        .lines()
        .find(|l| l.contains(&format!("| {comparison} | {metric} |")))
        .unwrap_or_else(|| panic!("no Claims row `{comparison}`, {metric}:\n{report}"));
    line.split(" | ").nth(7).expect("verdict cell")
}

#[test]
fn one_run_gets_verdicts_from_a_paired_bootstrap() {
    let dir = tempfile::tempdir().expect("tmp");
    run_folder(dir.path(), 300, 7);
    let md = report(dir.path());
    assert!(
        md.contains("## Claims") && md.contains("**Decision rule.**"),
        "{md}"
    );
    assert!(md.contains("seed 7, paired bootstrap over 300 test records, 1000 resamples"));
    assert!(md.contains("**One training seed.**"), "single-seed caution");
    let auc = "macro-AUC";
    assert_eq!(
        verdict(&md, "teacher − student (no KD)", auc),
        "**reproduced**"
    );
    assert_eq!(
        verdict(&md, "KD student − student (no KD)", auc),
        "**not reproduced**"
    );
    assert_eq!(
        verdict(&md, "KD student − teacher", auc),
        "**not reproduced**"
    );
    let same = verdict(&md, "MVKT lead-I student − lead-I student alone", auc);
    assert!(
        same.starts_with("not measurable: inconclusive at one seed"),
        "{same}"
    );
    let rare = verdict(
        &md,
        "teacher: calibrated − uncalibrated",
        "macro-F1, rare labels",
    );
    assert!(rare.starts_with("not measurable: inconclusive"), "{rare}");
    assert!(
        md.contains("rare labels: R (3.0 %)"),
        "R is rare in training: {md}"
    );
    assert!(
        md.contains("student_kd has 0.61× the parameters of teacher")
            && !md.contains("1.00× the parameters"),
        "sizes named where they differ: {md}"
    );
    let lcd = md
        .lines()
        .find(|l| l.contains("(e) LCD pretraining") && l.contains("| superdiagnostic |"))
        .expect("claim (e) row");
    assert!(
        md.contains("| (a) the label-correlation teacher beats plain networks | label-correlation network, Zhang & Sun 2024 | 1 | 0 | 0 |"),
        "the verdicts per claim, counted: {md}"
    );
    assert!(
        lcd.contains("not measurable: the run has no LCD model"),
        "{lcd}"
    );
    let svg = std::fs::read_to_string(dir.path().join("claims.svg")).expect("claims.svg");
    assert!(
        svg.contains("reproduced")
            && md.contains("![paired differences with intervals](claims.svg)")
    );
}

#[test]
fn a_small_test_fold_gets_no_verdict() {
    let dir = tempfile::tempdir().expect("tmp");
    run_folder(dir.path(), 60, 3);
    let md = report(dir.path());
    let v = verdict(&md, "teacher − student (no KD)", "macro-AUC");
    assert_eq!(
        v,
        "not measurable: the test fold has 60 records, fewer than 100"
    );
    assert!(!md.contains("| **reproduced** |"), "{md}");
}

#[test]
fn seed_runs_aggregate_with_student_t() {
    let dir = tempfile::tempdir().expect("tmp");
    let seeds = [1u64, 2, 3];
    for s in seeds {
        run_folder(&dir.path().join(format!("seed-{s}")), 200, s);
    }
    write_json(
        &dir.path().join("run.json"),
        &json!({"title": "constructed, over 3 seeds", "tasks": ["superdiagnostic"],
                "seeds": seeds, "seed_runs": ["seed-1", "seed-2", "seed-3"]}),
    );
    let md = report(dir.path());
    assert!(md.contains("## Task `superdiagnostic` over seeds"), "{md}");
    assert!(
        md.contains("0.800 ± 0.000 (3)"),
        "mean ± std over seeds: {md}"
    );
    assert!(md.contains("**R** (rare)"), "rare label marked: {md}");
    assert!(
        md.contains("3 seeds (1, 2, 3), Student t; 200 test records"),
        "{md}"
    );
    assert_eq!(
        verdict(&md, "teacher − student (no KD)", "macro-AUC"),
        "**reproduced**"
    );
    assert_eq!(
        verdict(&md, "KD student − student (no KD)", "macro-AUC"),
        "**not reproduced**"
    );
    let same = verdict(
        &md,
        "MVKT lead-I student − lead-I student alone",
        "macro-AUC",
    );
    assert!(
        same.starts_with("not measurable: inconclusive at 3 seeds"),
        "{same}"
    );
    assert!(md.contains("[seed-2/report.md](seed-2/report.md)"));

    // A seed run named in run.json but absent is an error naming it.
    std::fs::remove_dir_all(dir.path().join("seed-3")).expect("rm");
    let out = Command::new(env!("CARGO_BIN_EXE_ecg"))
        .args(["report", "--run"])
        .arg(dir.path())
        .output()
        .expect("run ecg report");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("seed-3") && err.contains("no run.json"),
        "{err}"
    );
}
