//! `paired` against scipy.stats / numpy / scikit-learn, produced by
//! `scripts/golden/paired_stats.py`: Student-t quantiles, mean ± std with the Student-t
//! interval, and a paired bootstrap of macro ROC-AUC over explicit index sets.
use ecg_metrics::{macro_auc, paired_bootstrap, t_quantile, Summary};
use ndarray::Array2;
use serde_json::Value;
use std::path::Path;

fn golden() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/paired/expected.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: {got} vs scipy {want}"
    );
}

#[test]
fn t_quantiles_match_scipy() {
    for q in golden()["t_quantiles"].as_array().expect("list") {
        let (p, df) = (f(&q["p"]), f(&q["df"]));
        let got = t_quantile(p, df).expect("quantile");
        close(got, f(&q["t"]), 1e-9, &format!("t.ppf({p}, {df})"));
    }
}

#[test]
fn mean_std_and_t_interval_match_scipy() {
    for s in golden()["summaries"].as_array().expect("list") {
        let xs: Vec<f64> = s["x"].as_array().expect("x").iter().map(f).collect();
        let level = f(&s["level"]);
        let got = Summary::of(&xs, level).expect("summary");
        let what = format!("{xs:?} at {level}");
        close(got.mean, f(&s["mean"]), 1e-12, &what);
        close(got.std.expect("std"), f(&s["std"]), 1e-12, &what);
        let i = got.t_interval.expect("interval");
        close(i.lo, f(&s["lo"]), 1e-10, &what);
        close(i.hi, f(&s["hi"]), 1e-10, &what);
    }
}

fn matrix<T>(v: &Value, cell: impl Fn(&Value) -> T) -> Array2<T> {
    let rows = v.as_array().expect("rows");
    let cols = rows[0].as_array().expect("row").len();
    let flat: Vec<T> = rows
        .iter()
        .flat_map(|r| r.as_array().expect("row").iter().map(&cell))
        .collect();
    Array2::from_shape_vec((rows.len(), cols), flat).expect("shape")
}

#[test]
fn paired_bootstrap_of_macro_auc_matches_sklearn_and_numpy() {
    let g = &golden()["paired_bootstrap"];
    let y = matrix(&g["y"], |v| v.as_u64().expect("0/1") as u8);
    let (pa, pb) = (matrix(&g["pa"], f), matrix(&g["pb"], f));
    let samples: Vec<Vec<usize>> = g["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| {
            let row = s.as_array().expect("sample");
            row.iter()
                .map(|i| i.as_u64().expect("index") as usize)
                .collect()
        })
        .collect();
    let r = paired_bootstrap(y.view(), pa.view(), pb.view(), &samples, 0.95, |y, p| {
        Ok(macro_auc(y, p)?.macro_)
    })
    .expect("bootstrap");
    close(r.point.expect("point"), f(&g["point"]), 1e-12, "point");
    close(r.mean.expect("mean"), f(&g["mean"]), 1e-12, "mean");
    let i = r.interval.expect("interval");
    close(i.lo, f(&g["lo"]), 1e-12, "2.5th percentile");
    close(i.hi, f(&g["hi"]), 1e-12, "97.5th percentile");
    assert_eq!(r.n_undefined as u64, g["n_undefined"].as_u64().expect("n"));
    assert_eq!(r.n_samples, samples.len());
}
