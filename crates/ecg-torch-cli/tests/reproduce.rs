//! The main job, end to end, in a reduced form that fits CI: `cargo xtask reproduce ptbxl
//! --data ../shared/data/ptbxl-sample --profile quick --tasks superdiagnostic --epochs 1`,
//! driven through the same library code as the command, with this package's `ecg` binary.
//!
//! Also: a run killed half way (the whole process group, SIGKILL) and started again skips
//! the stages that had finished and ends with results byte-identical to an uninterrupted run.
mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use xtask::reproduce::{run, Options, Profile};

fn sample() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if p.join("ptbxl_database.csv").exists() {
        Some(p)
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!!\n!!! SKIPPING reproduce end-to-end test: {} is absent\n!!!!!!!!\n",
                p.display()
            );
        };
        None
    }
}

fn opts(data: &Path, out: &Path) -> Options {
    Options {
        data: Some(data.to_path_buf()),
        profile: Profile::Quick,
        out: Some(out.to_path_buf()),
        device: "cpu".into(),
        device_auto: false,
        tasks: Some(vec!["superdiagnostic".into()]),
        epochs: Some(1),
        force: vec![],
        demo: false,
        records: 0,
        records_given: false,
        synthetic: false,
        seed: 7,
        data_seed: None,
        nproc: None,
        difficulty: "easy".into(),
    }
}

fn root() -> PathBuf {
    xtask::workspace_root()
}

fn ecg() -> PathBuf {
    support::ecg()
}

const MODELS: &[&str] = &[
    "teacher",
    "student",
    "student_kd",
    "student_lead1",
    "student_lead1_mvkt",
];

/// What must not change between runs: the test-fold scores (bytes) and the headline metrics.
fn results(run: &Path) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for m in MODELS {
        let dir = run.join("superdiagnostic").join(m);
        let scores =
            std::fs::read(dir.join("scores.npy")).unwrap_or_else(|e| panic!("{m}/scores.npy: {e}"));
        v.push((format!("{m}/scores.npy"), format!("{:016x}", fnv(&scores))));
        let mj: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("metrics.json"))
                .unwrap_or_else(|e| panic!("{m}/metrics.json: {e}")),
        )
        .expect("metrics.json is JSON");
        for k in ["macro_auc", "fmax", "thresholded", "per_label"] {
            v.push((format!("{m}/{k}"), mj[k].to_string()));
        }
    }
    v
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// Entry point for the child process of the kill test (does nothing in a normal run).
#[test]
fn child_entry() {
    let (Ok(data), Ok(out)) = (
        std::env::var("ECG_E2E_CHILD_DATA"),
        std::env::var("ECG_E2E_CHILD_OUT"),
    ) else {
        return;
    };
    run(&root(), &ecg(), &opts(Path::new(&data), Path::new(&out))).expect("child pipeline");
}

#[test]
fn reproduce_quick_on_the_sample_then_kill_and_resume() {
    let Some(data) = sample() else { return };
    let base = std::env::temp_dir().join(format!("ecg-e2e-reproduce-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);

    // 1. Uninterrupted run: the full report.
    let a = base.join("a");
    let run_a = run(&root(), &ecg(), &opts(&data, &a)).expect("pipeline");
    let report = std::fs::read_to_string(run_a.join("report.md")).expect("report.md");
    assert!(
        report.contains("SMALL SAMPLE"),
        "a 500-record run says it is small-sample"
    );
    assert!(report.contains("## Task `superdiagnostic`"), "{report}");
    assert!(
        report.contains("published: xresnet1d101 (PTB-XL benchmark, Strodthoff et al. 2021)"),
        "published numbers beside ours"
    );
    assert!(
        report.contains("Teacher (label-correlation network, Zhang & Sun 2024)")
            && report.contains("## References")
            && report.contains("https://doi.org/10.1016/j.asoc.2025.112871"),
        "papers named by their authors, full citations at the end"
    );
    assert!(
        !report.to_lowercase().contains("seed 00"),
        "no internal paper numbers in the report"
    );
    assert!(
        report.contains("after label-correlation calibration"),
        "calibrated row present"
    );
    assert!(
        report.contains("## Claims") && report.contains("**Decision rule.**"),
        "every report has the Claims section with its rule"
    );
    assert!(
        report.contains("| teacher − student (no KD) | macro-AUC |")
            && report.contains("not measurable: the test fold has")
            && !report.contains("| **reproduced** |")
            && !report.contains("| **not reproduced** |"),
        "the 500-record sample gets no verdict, only 'not measurable'"
    );
    assert!(
        run_a.join("claims.svg").exists(),
        "the paired differences are plotted"
    );
    assert!(
        report.contains("size vs teacher") && report.contains("measured by `ecg eval`"),
        "size/latency table present (from the size.json files of ecg eval)"
    );
    let metrics: serde_json::Value = serde_json::from_slice(
        &std::fs::read(run_a.join("superdiagnostic/teacher/metrics.json"))
            .expect("teacher metrics"),
    )
    .expect("json");
    let auc = metrics["macro_auc"]
        .as_f64()
        .expect("macro_auc at the top level");
    assert!((0.0..=1.0).contains(&auc), "macro_auc {auc}");
    for svg in [
        "superdiagnostic/f1_calibration.svg",
        "superdiagnostic/teacher/roc.svg",
        "superdiagnostic/labels/cosine.svg",
    ] {
        let text =
            std::fs::read_to_string(run_a.join(svg)).unwrap_or_else(|e| panic!("{svg}: {e}"));
        assert!(text.contains("<svg"), "{svg} is an SVG");
    }

    // 2. Same command again: every stage but the report is skipped, nothing changes.
    let before = results(&run_a);
    run(&root(), &ecg(), &opts(&data, &a)).expect("second run");
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_a.join("stages.json")).expect("stages.json"))
            .expect("json");
    for st in log.as_array().expect("list") {
        let name = st["stage"].as_str().unwrap_or_default();
        if name != "report" {
            assert_eq!(
                st["skipped"],
                serde_json::Value::Bool(true),
                "{name} was redone"
            );
        }
    }
    assert_eq!(results(&run_a), before, "a second run changes nothing");

    // 2b. --force on a finished training stage redoes it (its stale folder is cleared) and
    //     its evaluation, and nothing else; training is deterministic, so results are equal.
    let mut forced = opts(&data, &a);
    forced.force = vec!["train/superdiagnostic/student".into()];
    run(&root(), &ecg(), &forced).expect("forced run");
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_a.join("stages.json")).expect("stages.json"))
            .expect("json");
    let redone: Vec<&str> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["skipped"] == false)
        .filter_map(|s| s["stage"].as_str())
        .collect();
    assert_eq!(
        redone,
        [
            "train/superdiagnostic/student",
            "eval/superdiagnostic/student",
            "report"
        ],
        "{log}"
    );
    assert_eq!(
        results(&run_a),
        before,
        "a forced re-run of a deterministic stage gives the same results"
    );

    // 3. Kill a run half way (after the teacher finished), then run again.
    let b = base.join("b");
    let mut child = Command::new(std::env::current_exe().expect("test binary"));
    child
        .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
        .env("ECG_E2E_CHILD_DATA", &data)
        .env("ECG_E2E_CHILD_OUT", &b);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut child, 0);
    let mut child = child.spawn().expect("spawn child");
    let teacher_stamp = b
        .join(".stamps")
        .join("eval__superdiagnostic__teacher.json");
    let t0 = Instant::now();
    while !teacher_stamp.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("child ended ({status}) before the teacher was evaluated");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(900),
            "teacher stage never finished"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pgid = child.id();
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status();
    let _ = child.wait();
    run(&root(), &ecg(), &opts(&data, &b)).expect("resumed run");
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("stages.json")).expect("stages.json"))
            .expect("json");
    let skipped = |n: &str| {
        log.as_array()
            .into_iter()
            .flatten()
            .any(|s| s["stage"] == n && s["skipped"] == true)
    };
    for done in [
        "pack",
        "labels/superdiagnostic",
        "train/superdiagnostic/teacher",
        "eval/superdiagnostic/teacher",
    ] {
        assert!(
            skipped(done),
            "{done} finished before the kill and must not be redone: {log}"
        );
    }
    assert_eq!(
        results(&b),
        before,
        "killed-and-resumed run gives the same results as an uninterrupted one"
    );
    let _ = std::fs::remove_dir_all(&base);
}

/// `--nproc 2`: every training stage runs as 2 Gloo ranks under torchrun (the run records
/// it; each training folder says world size 2) and the evaluations and report follow.
#[test]
fn reproduce_quick_with_two_ranks_per_training_stage() {
    let Some(data) = sample() else { return };
    if !root().join(".venv/bin/torchrun").is_file() {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "!!!! SKIPPED: .venv/bin/torchrun not found; --nproc pipeline test not run !!!!"
        );
        return;
    }
    let base = std::env::temp_dir().join(format!("ecg-e2e-nproc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let mut o = opts(&data, &base.join("r"));
    o.nproc = Some(2);
    let run_dir = run(&root(), &ecg(), &o).expect("pipeline with --nproc 2");
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(info["nproc"], 2);
    for m in MODELS {
        let w: serde_json::Value = serde_json::from_slice(
            &std::fs::read(run_dir.join(format!("superdiagnostic/{m}/distributed.json")))
                .expect("distributed.json"),
        )
        .expect("json");
        assert_eq!(w["world_size"], 2, "{m}");
        assert!(run_dir
            .join(format!("superdiagnostic/{m}/metrics.json"))
            .is_file());
    }
    assert!(run_dir.join("report.md").is_file());
    let _ = std::fs::remove_dir_all(&base);
}
