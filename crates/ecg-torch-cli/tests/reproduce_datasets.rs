//! `cargo xtask reproduce cpsc2018` and `cargo xtask reproduce hefei`, end to end in a
//! reduced form (1 epoch per model), driven through the same library code as the command:
//! on synthetic data in each dataset's layout (`ecg synth`), and CPSC2018 also on the 10
//! real recordings of ../shared/data/cpsc2018-sample. Each run must write every model's
//! metrics (and calibrated metrics where the plan calibrates) and a report with the papers'
//! numbers beside ours. The Hefei run trains as 2 ranks under torchrun (`--nproc 2`).
mod support;
use std::path::{Path, PathBuf};
use xtask::pipelines::{self, Plan};
use xtask::reproduce::{Options, Profile};

fn opts(out: &Path, data: Option<PathBuf>, records: usize) -> Options {
    Options {
        synthetic: data.is_none(),
        data,
        profile: Profile::Quick,
        out: Some(out.to_path_buf()),
        device: "cpu".into(),
        device_auto: false,
        tasks: None,
        epochs: Some(1),
        force: vec![],
        demo: false,
        records,
        records_given: true,
        seed: 5,
        data_seed: None,
        nproc: None,
        difficulty: "easy".into(),
    }
}

fn ecg() -> PathBuf {
    support::ecg()
}

fn run(plan: &Plan, o: &Options) -> PathBuf {
    pipelines::run(&xtask::workspace_root(), &ecg(), plan, o).unwrap_or_else(|e| panic!("{e:#}"))
}

/// Every model of the plan has its metrics; the report names the papers' numbers.
fn check(run: &Path, plan: &Plan, task: &str, published: &[&str]) {
    for m in &plan.models {
        let dir = run.join(task).join(m.dir);
        assert!(dir.join("metrics.json").exists(), "{}", dir.display());
        if m.calibrate {
            assert!(
                dir.join("metrics_calibrated.json").exists(),
                "{}",
                dir.display()
            );
        }
    }
    let report = std::fs::read_to_string(run.join("report.md")).expect("report.md");
    // E and C of the run's training folds, drawn and linked from the report.
    for f in ["conditional.svg", "cosine.svg", "cosine.csv"] {
        let p = run.join(task).join("labels").join(f);
        assert!(p.is_file(), "{} missing", p.display());
    }
    assert!(
        report.contains("### Label statistics (") && report.contains("labels/cosine.svg"),
        "report lacks the label statistics:\n{report}"
    );
    for p in published {
        assert!(report.contains(p), "report lacks {p}:\n{report}");
    }
}

#[test]
fn reproduce_hefei_on_synthetic_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = pipelines::hefei::plan();
    // As 2 data-parallel ranks under torchrun (Gloo, 127.0.0.1): the datasets beside
    // PTB-XL take `--nproc` the same way.
    let mut o = opts(tmp.path(), None, 80);
    o.nproc = Some(2);
    let out = run(&plan, &o);
    check(
        &out,
        &plan,
        "zhou2024",
        &[
            "0.824",
            "0.816",
            "0.837",
            "0.799",
            "Zhou et al. 2024",
            "Per-label F1 beside the papers",
        ],
    );
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(info["dataset"], "hefei");
    assert_eq!(info["synthetic"], true);
    assert_eq!(info["nproc"], 2);
    let report = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(
        report.contains("| data-parallel ranks (training stages) | 2 |"),
        "{report}"
    );
    for m in &plan.models {
        let p = out.join("zhou2024").join(m.dir).join("distributed.json");
        let w: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        )
        .expect("json");
        assert_eq!(w["world_size"], 2, "{}", m.dir);
    }
}

#[test]
fn reproduce_cpsc2018_on_synthetic_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = pipelines::cpsc2018::plan();
    let out = run(&plan, &opts(tmp.path(), None, 80));
    check(
        &out,
        &plan,
        "classes",
        &[
            "0.829",
            "0.606",
            "0.797",
            "0.769",
            "0.596",
            "Zhang & Sun 2024",
            "Teacher ablation, backbone only",
        ],
    );
}

#[test]
fn reproduce_cpsc2018_on_the_real_sample() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cpsc2018-sample");
    if !dir.join("REFERENCE.csv").exists() {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!!\n!!! SKIPPING reproduce cpsc2018 on the sample: {} is absent\n!!!!!!!!\n",
            dir.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let plan = pipelines::cpsc2018::plan();
    let out = run(&plan, &opts(tmp.path(), Some(dir), 0));
    check(
        &out,
        &plan,
        "classes",
        &[
            "0.829",
            "folds 1, 2, 3, 4, 5, 6 train, 7, 8 validation, 9, 10 test",
            // The results and curves name the small run's folds, not PTB-XL's 9 and 10.
            "Test folds 9–10.",
            "thresholds fitted on folds 7–8",
        ],
    );
    let report = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(!report.contains("Test fold 10."), "{report}");
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json"))
            .expect("json");
    assert_eq!(info["n_records"], 10);
}
