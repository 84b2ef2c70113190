//! Golden comparisons against scikit-learn (and independent Python re-implementations of the
//! benchmark's Fmax / challenge metrics and of the documented threshold rule), produced by
//! `scripts/golden/metrics_sklearn.py`. Tolerance 1e-12.
use ecg_metrics::npy::{read_index_sets, read_labels, read_scores};
use ecg_metrics::*;
use ndarray::Array2;
use serde_json::Value;
use std::path::{Path, PathBuf};

const TOL: f64 = 1e-12;
const CASES: [&str; 7] = [
    "random",
    "ties",
    "three_levels",
    "degenerate",
    "unlabelled_record",
    "tiny",
    "logits",
];

struct Case {
    name: &'static str,
    dir: PathBuf,
    y: Array2<u8>,
    p: Array2<f64>,
    val_y: Array2<u8>,
    val_p: Array2<f64>,
    exp: Value,
}

fn load(name: &'static str) -> Case {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let exp: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("golden expected.json"),
    )
    .expect("parse expected.json");
    Case {
        name,
        y: read_labels(&dir.join("y.npy")).expect("y.npy"),
        p: read_scores(&dir.join("p.npy")).expect("p.npy"),
        val_y: read_labels(&dir.join("val_y.npy")).expect("val_y.npy"),
        val_p: read_scores(&dir.join("val_p.npy")).expect("val_p.npy"),
        dir,
        exp,
    }
}

fn opt(v: &Value) -> Option<f64> {
    if v.is_null() {
        None
    } else {
        Some(v.as_f64().expect("number or null"))
    }
}

fn vec_f(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn close(case: &str, what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOL,
        "{case}: {what}: got {got:.17}, sklearn {want:.17}"
    );
}

fn close_opt(case: &str, what: &str, got: Option<f64>, want: Option<f64>) {
    match (got, want) {
        (Some(g), Some(w)) => close(case, what, g, w),
        (None, None) => {}
        _ => panic!("{case}: {what}: got {got:?}, reference {want:?}"),
    }
}

fn check_prf(case: &str, tag: &str, r: &F1Report, exp: &Value, y: &Array2<u8>, pred: &Array2<u8>) {
    for (field, get) in [
        ("precision", (|p: &Prf| p.precision) as fn(&Prf) -> f64),
        ("recall", |p: &Prf| p.recall),
        ("f1", |p: &Prf| p.f1),
    ] {
        let want = vec_f(&exp["per_label"][field]);
        assert_eq!(want.len(), r.per_label.len());
        for (j, (l, w)) in r.per_label.iter().zip(&want).enumerate() {
            close(case, &format!("{tag} {field}[{j}]"), get(&l.prf), *w);
        }
        close(
            case,
            &format!("{tag} macro {field}"),
            get(&r.macro_),
            exp["macro"][field].as_f64().expect("n"),
        );
        close(
            case,
            &format!("{tag} micro {field}"),
            get(&r.micro),
            exp["micro"][field].as_f64().expect("n"),
        );
    }
    let la = label_accuracy(y.view(), pred.view()).expect("valid");
    close(
        case,
        &format!("{tag} label_accuracy"),
        la,
        exp["label_accuracy"].as_f64().expect("n"),
    );
    let sa = subset_accuracy(y.view(), pred.view()).expect("valid");
    close(
        case,
        &format!("{tag} subset_accuracy"),
        sa,
        exp["subset_accuracy"].as_f64().expect("n"),
    );
}

fn check_case(c: &Case) {
    let (y, p, e, n) = (c.y.view(), c.p.view(), &c.exp, c.name);

    // ranking metrics
    let auc = macro_auc(y, p).expect("valid");
    let want_auc: Vec<Option<f64>> = e["auc"].as_array().expect("auc").iter().map(opt).collect();
    for (j, (g, w)) in auc.per_label.iter().zip(&want_auc).enumerate() {
        close_opt(n, &format!("auc[{j}]"), *g, *w);
        let single = roc_auc(y.column(j), p.column(j)).expect("valid");
        close_opt(n, &format!("roc_auc[{j}]"), single, *w);
    }
    close_opt(n, "macro_auc", auc.macro_, opt(&e["macro_auc"]));
    close_opt(
        n,
        "micro_auc",
        micro_auc(y, p).expect("valid"),
        opt(&e["micro_auc"]),
    );
    let ap = macro_average_precision(y, p).expect("valid");
    let want_ap: Vec<Option<f64>> = e["ap"].as_array().expect("ap").iter().map(opt).collect();
    for (j, (g, w)) in ap.per_label.iter().zip(&want_ap).enumerate() {
        close_opt(n, &format!("ap[{j}]"), *g, *w);
        let single = average_precision(y.column(j), p.column(j)).expect("valid");
        close_opt(n, &format!("average_precision[{j}]"), single, *w);
    }
    close_opt(n, "macro_ap", ap.macro_, opt(&e["macro_ap"]));
    close_opt(
        n,
        "micro_ap",
        micro_average_precision(y, p).expect("valid"),
        opt(&e["micro_ap"]),
    );

    // thresholded at 0.5
    let k = c.y.ncols();
    let pred = binarize(p, &vec![0.5; k]).expect("valid");
    let r = f1_report(y, pred.view()).expect("valid");
    check_prf(n, "@0.5", &r, &e["at_0_5"], &c.y, &pred);

    // fitted thresholds (validation) applied to the test split
    let t = fit_thresholds(c.val_y.view(), c.val_p.view()).expect("valid");
    let want_t = vec_f(&e["fitted_thresholds"]);
    for (j, (g, w)) in t.iter().zip(&want_t).enumerate() {
        close(n, &format!("threshold[{j}]"), *g, *w);
        let single = fit_threshold(c.val_y.column(j), c.val_p.column(j)).expect("valid");
        assert_eq!(single, *g);
    }
    let pred_fit = binarize(p, &t).expect("valid");
    let r = f1_report(y, pred_fit.view()).expect("valid");
    check_prf(n, "@fitted", &r, &e["at_fitted"], &c.y, &pred_fit);

    // Fmax
    let f = fmax(y, p);
    if e["fmax"].is_null() {
        assert!(
            matches!(f, Err(MetricsError::RecordWithoutLabels { .. }) | Ok(None)),
            "{n}: Fmax should be undefined, got {f:?}"
        );
    } else {
        let f = f.expect("valid").expect("defined");
        for (field, got) in [
            ("fmax", f.fmax),
            ("threshold", f.threshold),
            ("precision", f.precision),
            ("recall", f.recall),
        ] {
            close(
                n,
                &format!("fmax.{field}"),
                got,
                e["fmax"][field].as_f64().expect("n"),
            );
        }
    }

    // F_beta / G_beta at 0.5
    let ch = f_beta_g_beta(y, pred.view(), CHALLENGE_BETA);
    if e["challenge_at_0_5"].is_null() {
        assert!(
            matches!(ch, Err(MetricsError::RecordWithoutLabels { .. })),
            "{n}: {ch:?}"
        );
    } else {
        let ch = ch.expect("valid");
        let w = &e["challenge_at_0_5"];
        close(
            n,
            "f_beta_macro",
            ch.f_beta_macro,
            w["f_beta_macro"].as_f64().expect("n"),
        );
        close(
            n,
            "g_beta_macro",
            ch.g_beta_macro,
            w["g_beta_macro"].as_f64().expect("n"),
        );
        for (j, (a, b)) in ch.f_beta.iter().zip(vec_f(&w["f_beta"])).enumerate() {
            close(n, &format!("f_beta[{j}]"), *a, b);
        }
        for (j, (a, b)) in ch.g_beta.iter().zip(vec_f(&w["g_beta"])).enumerate() {
            close(n, &format!("g_beta[{j}]"), *a, b);
        }
    }

    // evaluate agrees with the pieces
    let names: Vec<String> = (0..k).map(|j| format!("L{j}")).collect();
    let boot = c
        .dir
        .join("boot.npy")
        .is_file()
        .then(|| read_index_sets(&c.dir.join("boot.npy")).expect("boot.npy"));
    let cfg = EvalConfig {
        class_names: Some(&names),
        thresholds: Some(&t),
        bootstrap: boot.as_deref(),
    };
    let rep = evaluate(y, p, &cfg).expect("evaluate");
    close_opt(n, "report.macro_auc", rep.macro_auc, opt(&e["macro_auc"]));
    close_opt(n, "report.micro_auc", rep.micro_auc, opt(&e["micro_auc"]));
    close_opt(n, "report.macro_ap", rep.macro_ap, opt(&e["macro_ap"]));
    close(
        n,
        "report.macro_f1",
        rep.thresholded.macro_.f1,
        e["at_fitted"]["macro"]["f1"].as_f64().expect("n"),
    );
    close(
        n,
        "report.macro_f1@0.5",
        rep.at_0_5.macro_.f1,
        e["at_0_5"]["macro"]["f1"].as_f64().expect("n"),
    );
    close_opt(n, "report.fmax", rep.fmax, opt(&e["fmax"]["fmax"]));
    assert_eq!(rep.threshold_source, ThresholdSource::Fitted);
    if let Some(b) = &rep.bootstrap {
        let w = &e["bootstrap_macro_auc"];
        close_opt(n, "bootstrap.point", b.macro_auc.point, opt(&w["point"]));
        close_opt(n, "bootstrap.mean", b.macro_auc.mean, opt(&w["mean"]));
        close_opt(n, "bootstrap.p05", b.macro_auc.p05, opt(&w["p05"]));
        close_opt(n, "bootstrap.p95", b.macro_auc.p95, opt(&w["p95"]));
    } else {
        assert!(
            e["bootstrap_macro_auc"].is_null(),
            "{n}: bootstrap golden without boot.npy"
        );
    }
    let json = serde_json::to_value(&rep).expect("serialize");
    assert!(json["per_label"]["L0"]["auc"].is_number() || json["per_label"]["L0"]["auc"].is_null());
}

#[test]
fn golden_cases_match_sklearn() {
    for name in CASES {
        check_case(&load(name));
    }
}

#[test]
fn degenerate_case_skips_and_lists() {
    let c = load("degenerate");
    let auc = macro_auc(c.y.view(), c.p.view()).expect("valid");
    // all-negative (1) and all-positive (2) labels are skipped; constant scores give 0.5
    assert_eq!(auc.skipped, vec![1, 2]);
    assert_eq!(auc.per_label[3], Some(0.5));
    let ap = macro_average_precision(c.y.view(), c.p.view()).expect("valid");
    assert_eq!(ap.skipped, vec![1]);
}
