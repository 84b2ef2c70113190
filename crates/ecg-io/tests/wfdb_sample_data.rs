//! WFDB skew, multi-segment records (fixed and variable layout, `~` gaps, sample ranges)
//! and FLAC formats 508/516/524, compared with wfdb-python 4.3's
//! `rdrecord(physical=True, m2s=True, smooth_frames=True)` over wfdb-python's own
//! sample-data and over records written with wfdb-python. Golden values and the committed
//! records: `scripts/golden/wfdb_sample_data.py` (see tests/golden/wfdb-sample/README.md).
//!
//! Per signal: NaN positions exact; every sample of three windows, min and max to
//! max(1e-5, 1e-6·|value|) (f32 holds 24 bits); sums over the whole range to
//! 1e-5·n + 1e-6·Σ|x|. The full sample-data folder (records too large to commit) is
//! checked when `WFDB_SAMPLE_DATA` names it.
use ecg_io::wfdb::{read_record, read_record_range, Layout, MultiHeader, Record, SampleRange};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/wfdb-sample")
}

fn records() -> PathBuf {
    golden_dir().join("records")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(golden_dir().join("golden.json")).expect("golden.json");
    let v: Value = serde_json::from_str(&text).expect("golden json");
    v["cases"].as_array().expect("cases").clone()
}

fn tol(x: f64) -> f64 {
    1e-5_f64.max(x.abs() * 1e-6)
}

fn nan_runs(v: &[f32]) -> Vec<[u64; 2]> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, x) in v.iter().enumerate() {
        match (x.is_nan(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push([s as u64, i as u64]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push([s as u64, v.len() as u64]);
    }
    out
}

fn read_case(root: &Path, case: &Value) -> Result<Record, String> {
    let rec = root.join(case["record"].as_str().expect("record"));
    let range = SampleRange::new(
        case["sampfrom"].as_u64().expect("sampfrom"),
        case["sampto"].as_u64(),
    );
    read_record_range(&rec, range).map_err(|e| e.to_string())
}

/// Compare one golden case; `Err` describes the first difference.
fn check(root: &Path, case: &Value) -> Result<(), String> {
    let rec = read_case(root, case)?;
    let shape: Vec<usize> = case["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|x| x.as_u64().expect("dim") as usize)
        .collect();
    if [rec.samples, rec.leads] != shape[..] {
        return Err(format!(
            "shape [samples, leads] {:?}, wfdb-python {shape:?}",
            [rec.samples, rec.leads]
        ));
    }
    // format 8 read from sampfrom > 0: compared with wfdb-python's whole read, cut (its
    // range read restarts the integration at sampfrom; see the README)
    let signals = case
        .get("format8_from_whole_read")
        .unwrap_or(&case["signals"]);
    for (l, g) in signals.as_array().expect("signals").iter().enumerate() {
        let v = rec.lead(l);
        let name = rec.header.signals[l].name(l);
        if g["name"].as_str() != Some(name.as_str()) {
            return Err(format!(
                "lead {l}: name `{name}`, wfdb-python {}",
                g["name"]
            ));
        }
        let want: Vec<[u64; 2]> = serde_json::from_value(g["nan_runs"].clone()).expect("runs");
        if nan_runs(v) != want {
            return Err(format!(
                "lead {l} `{name}`: NaN runs {:?}, wfdb-python {want:?}",
                nan_runs(v)
            ));
        }
        let ok: Vec<f64> = v
            .iter()
            .filter(|x| !x.is_nan())
            .map(|&x| x as f64)
            .collect();
        let (sum, sum_abs) = (
            ok.iter().sum::<f64>(),
            ok.iter().map(|x| x.abs()).sum::<f64>(),
        );
        let (gs, ga) = (
            g["sum"].as_f64().expect("sum"),
            g["sum_abs"].as_f64().expect("sum_abs"),
        );
        let stol = 1e-5 * ok.len() as f64 + 1e-6 * ga;
        if (sum - gs).abs() > stol || (sum_abs - ga).abs() > stol {
            return Err(format!(
                "lead {l} `{name}`: sum {sum} / Σ|x| {sum_abs}, wfdb-python {gs} / {ga}"
            ));
        }
        for (key, got) in [
            ("min", ok.iter().cloned().fold(f64::INFINITY, f64::min)),
            ("max", ok.iter().cloned().fold(f64::NEG_INFINITY, f64::max)),
        ] {
            if let Some(w) = g[key].as_f64() {
                if (got - w).abs() > tol(w) {
                    return Err(format!("lead {l} `{name}`: {key} {got}, wfdb-python {w}"));
                }
            }
        }
        for w in g["windows"].as_array().expect("windows") {
            let start = w[0].as_u64().expect("start") as usize;
            for (k, x) in w[1].as_array().expect("values").iter().enumerate() {
                let got = v[start + k];
                let bad = match x.as_f64() {
                    None => !got.is_nan(),
                    Some(x) => got.is_nan() || (got as f64 - x).abs() > tol(x),
                };
                if bad {
                    return Err(format!(
                        "lead {l} `{name}`, sample {}: {got}, wfdb-python {x}",
                        start + k
                    ));
                }
            }
        }
    }
    Ok(())
}

fn label(case: &Value) -> String {
    format!(
        "{} [{}, {})",
        case["record"].as_str().unwrap_or("?"),
        case["sampfrom"],
        case["sampto"]
    )
}

#[test]
fn every_committed_record_reads_equal_to_wfdb_python() {
    let mut failures = Vec::new();
    let mut n = 0;
    for case in cases().iter().filter(|c| c["committed"] == true) {
        n += 1;
        if let Err(e) = check(&records(), case) {
            failures.push(format!("{}: {e}", label(case)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(n >= 70, "only {n} committed cases");
}

#[test]
fn the_whole_sample_data_folder_reads_equal_to_wfdb_python() {
    let Some(root) = std::env::var_os("WFDB_SAMPLE_DATA").map(PathBuf::from) else {
        eprintln!(
            "SKIPPING the uncommitted sample-data records: set WFDB_SAMPLE_DATA to wfdb-python's \
             sample-data folder (tag v4.3.1) to check them too"
        );
        return;
    };
    let mut failures = Vec::new();
    let (mut equal, mut both_refuse) = (0, 0);
    for case in cases() {
        let root = if case["record"]
            .as_str()
            .is_some_and(|r| r.starts_with("synth/"))
        {
            records()
        } else {
            root.clone()
        };
        if case.get("wfdb_python_error").is_some() {
            // wfdb-python cannot read it (files missing): we must refuse it too, by name
            match read_case(&root, &case) {
                Ok(_) => failures.push(format!("{}: reads, wfdb-python cannot", label(&case))),
                Err(e) if e.contains(".hea") || e.contains(".dat") => both_refuse += 1,
                Err(e) => failures.push(format!("{}: error names no file: {e}", label(&case))),
            }
            continue;
        }
        match check(&root, &case) {
            Ok(()) => equal += 1,
            Err(e) => failures.push(format!("{}: {e}", label(&case))),
        }
    }
    eprintln!("{equal} cases equal to wfdb-python, {both_refuse} refused by both");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn master_headers_parse_and_write_back() {
    let r = records().join("multi-segment");
    let fixed = MultiHeader::read(&r.join("fixed1/v102s")).expect("fixed");
    assert_eq!(fixed.layout(), Layout::Fixed);
    assert_eq!(
        (fixed.segments.len(), fixed.n_sig, fixed.total_samples()),
        (3, 4, 225_000)
    );
    let var = MultiHeader::read(&r.join("s25047/s25047-2704-05-04-10-44")).expect("variable");
    assert_eq!(var.layout(), Layout::Variable);
    assert!(var.segments[1].is_null());
    assert_eq!(var.record.base_date.as_deref(), Some("04/05/2704"));
    for h in [fixed, var] {
        let again = MultiHeader::parse(&h.to_string(), Path::new("x.hea")).expect("reparse");
        assert_eq!(again, h);
    }
}

#[test]
fn a_multi_segment_record_has_the_layouts_signals() {
    let r = read_record(&records().join("synth/varms")).expect("reads");
    let names: Vec<String> = (0..3).map(|i| r.header.signals[i].name(i)).collect();
    assert_eq!(names, ["II", "V", "ABP"]);
    assert_eq!((r.header.fs(), r.header.n_samples), (125.0, Some(385)));
    // the first segment is a gap: NaN everywhere
    assert!((0..3).all(|l| r.lead(l)[..40].iter().all(|x| x.is_nan())));
}
