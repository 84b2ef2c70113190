//! Golden comparisons against the PhysioNet/CinC Challenge 2021 organisers' `evaluate_model.py`
//! (physionetchallenges/evaluation-2021), produced by `scripts/golden/cinc2021_evaluate.py`:
//! the same label (.hea) and output (.csv) texts go through our parsing and scoring, and every
//! number they return must agree to 1e-9 (NaN where ours is `None`).
use ecg_metrics::challenge2021::{dx_codes_as_organisers, evaluate, OutputFile, Weights};
use ndarray::Array2;
use serde_json::Value;
use std::path::Path;

const TOL: f64 = 1e-9;
const CASES: [&str; 7] = [
    "random",
    "random_joined_classes",
    "all_sinus_rhythm",
    "empty_predictions",
    "equivalent_only",
    "single_record",
    "perfect_binary_messy_scalars",
];

fn close(what: &str, case: &str, ours: Option<f64>, theirs: &Value) {
    match (ours, theirs.as_f64()) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!((a - b).abs() <= TOL, "{case} {what}: ours {a}, theirs {b}"),
        (a, _) => panic!("{case} {what}: ours {a:?}, theirs {theirs}"),
    }
}

fn run(case: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/cinc2021")
        .join(format!("{case}.json"));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("golden file")).expect("json");
    let w = Weights::official().expect("weights");
    let recs = doc["records"].as_array().expect("records");
    let n = recs.len();
    let mut y = Array2::<u8>::zeros((n, w.len()));
    let mut b = Array2::<u8>::zeros((n, w.len()));
    let mut s = Array2::<f64>::zeros((n, w.len()));
    for (i, r) in recs.iter().enumerate() {
        let codes = dx_codes_as_organisers(r["header"].as_str().expect("header"));
        y.row_mut(i)
            .assign(&ndarray::Array1::from(w.encode_labels(&codes)));
        let out =
            OutputFile::parse(r["output"].as_str().expect("output"), "golden").expect("output");
        let (bi, sc) = w.encode_outputs(&out);
        b.row_mut(i).assign(&ndarray::Array1::from(bi));
        s.row_mut(i).assign(&ndarray::Array1::from(sc));
    }
    let got = evaluate(&w, y.view(), b.view(), s.view()).expect("evaluate");
    let exp = &doc["expected"];
    let names: Vec<String> = exp["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|v| v.as_str().expect("name").to_string())
        .collect();
    assert_eq!(got.classes, names, "{case}: class names");
    close(
        "challenge metric",
        case,
        Some(got.challenge_metric),
        &exp["challenge_metric"],
    );
    close("accuracy", case, Some(got.accuracy), &exp["accuracy"]);
    close("AUROC", case, got.auroc, &exp["auroc"]);
    close("AUPRC", case, got.auprc, &exp["auprc"]);
    close("F-measure", case, got.f_measure, &exp["f_measure"]);
    for (what, ours, theirs) in [
        ("AUROC", &got.auroc_classes, &exp["auroc_classes"]),
        ("AUPRC", &got.auprc_classes, &exp["auprc_classes"]),
        (
            "F-measure",
            &got.f_measure_classes,
            &exp["f_measure_classes"],
        ),
    ] {
        let theirs = theirs.as_array().expect("per-class array");
        assert_eq!(ours.len(), theirs.len(), "{case} {what}: class count");
        for (k, (o, t)) in ours.iter().zip(theirs).enumerate() {
            close(&format!("{what} of class {}", names[k]), case, *o, t);
        }
    }
}

#[test]
fn challenge2021_scores_equal_evaluate_model_py() {
    for case in CASES {
        run(case);
    }
}

#[test]
fn goldens_cover_the_degenerate_cases() {
    // The cases must really be degenerate where their names say so (else the test above
    // would prove less than it claims).
    let load = |c: &str| -> Value {
        let p =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/cinc2021/{c}.json"));
        serde_json::from_str(&std::fs::read_to_string(p).expect("golden")).expect("json")
    };
    let single = load("single_record");
    assert_eq!(single["records"].as_array().map(Vec::len), Some(1));
    assert!(single["expected"]["auroc"].is_null());
    let empty = load("empty_predictions");
    assert!(empty["expected"]["f_measure_classes"]
        .as_array()
        .expect("array")
        .iter()
        .any(Value::is_null));
    assert!(load("all_sinus_rhythm")["expected"]["challenge_metric"].as_f64() == Some(0.0));
    let eq = load("equivalent_only");
    let w = Weights::official().expect("weights");
    let pairs: Vec<&Vec<String>> = w.classes.iter().filter(|c| c.len() == 2).collect();
    assert!(eq["records"].as_array().expect("records").iter().any(|r| {
        let codes = dx_codes_as_organisers(r["header"].as_str().expect("header"));
        codes.len() == 1 && pairs.iter().any(|p| p[1] == codes[0])
    }));
}
