//! End to end: all 500 records of the PTB-XL sample at 100 Hz and 500 Hz read with verified
//! checksums and equal wfdb-python's `rdsamp` (per-lead sums, sums of squares,
//! time-weighted sums, min, max; three records sample by sample) to 1e-5 mV.
//! Golden files: `scripts/golden/wfdb_ptbxl.py`.
use ecg_io::wfdb::read_record;
use ndarray::{Array2, Array4};
use std::path::{Path, PathBuf};

fn data() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if d.is_dir() {
        Some(d)
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! SKIPPED: PTB-XL sample not found at {} !!!\n",
                d.display()
            );
        };
        None
    }
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/ptbxl")
        .join(name)
}

fn record_path(data: &Path, ecg_id: u32, rate: u32) -> PathBuf {
    let (dir, suffix) = if rate == 100 {
        ("records100", "lr")
    } else {
        ("records500", "hr")
    };
    data.join(dir)
        .join(format!("{:05}", ecg_id / 1000 * 1000))
        .join(format!("{ecg_id:05}_{suffix}"))
}

#[test]
fn all_500_records_at_both_rates_match_wfdb_python() {
    let Some(data) = data() else { return };
    let stats: Array4<f64> = ndarray_npy::read_npy(golden("stats.npy")).expect("stats.npy");
    let leads: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(golden("leads.json")).expect("leads"))
            .expect("json");
    for (r, rate) in [100u32, 500].into_iter().enumerate() {
        let n = rate as usize * 10;
        for id in 1..=500u32 {
            let rec = read_record(&record_path(&data, id, rate))
                .unwrap_or_else(|e| panic!("record {id} at {rate} Hz: {e}"));
            assert_eq!((rec.leads, rec.samples), (12, n), "record {id}");
            let names: Vec<String> = (0..12).map(|i| rec.header.signals[i].name(i)).collect();
            assert_eq!(names, leads, "record {id}: lead names");
            for l in 0..12 {
                let x = rec.lead(l);
                let g = |k: usize| stats[[r, id as usize - 1, l, k]];
                let sum: f64 = x.iter().map(|&v| v as f64).sum();
                let sq: f64 = x.iter().map(|&v| (v as f64) * (v as f64)).sum();
                let tw: f64 = x
                    .iter()
                    .enumerate()
                    .map(|(t, &v)| v as f64 * (t + 1) as f64 / n as f64)
                    .sum();
                let min = x.iter().fold(f64::INFINITY, |m, &v| m.min(v as f64));
                let max = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
                let ctx = format!("record {id} at {rate} Hz, lead {l}");
                // per-sample agreement to 1e-5 bounds the sums by n * 1e-5
                let tol = n as f64 * 1e-5;
                assert!((sum - g(0)).abs() <= tol, "{ctx}: sum {sum} vs {}", g(0));
                assert!(
                    (sq - g(1)).abs() <= tol * (1.0 + g(4).abs().max(g(3).abs())) * 2.0,
                    "{ctx}: sum of squares {sq} vs {}",
                    g(1)
                );
                assert!(
                    (tw - g(2)).abs() <= tol,
                    "{ctx}: weighted sum {tw} vs {}",
                    g(2)
                );
                assert!((min - g(3)).abs() <= 1e-5, "{ctx}: min {min} vs {}", g(3));
                assert!((max - g(4)).abs() <= 1e-5, "{ctx}: max {max} vs {}", g(4));
            }
        }
    }
}

#[test]
fn three_full_records_match_wfdb_python_sample_by_sample() {
    let Some(data) = data() else { return };
    for (id, rate, file) in [
        (1u32, 100u32, "full_00001_lr.npy"),
        (250, 100, "full_00250_lr.npy"),
        (500, 500, "full_00500_hr.npy"),
    ] {
        let want: Array2<f64> = ndarray_npy::read_npy(golden(file)).expect("npy");
        let rec = read_record(&record_path(&data, id, rate)).expect("reads");
        assert_eq!((rec.leads, rec.samples), want.dim());
        let mut worst = 0.0f64;
        for l in 0..12 {
            for (a, b) in rec.lead(l).iter().zip(want.row(l)) {
                worst = worst.max((*a as f64 - b).abs());
            }
        }
        assert!(
            worst <= 1e-5,
            "record {id} at {rate} Hz: max |diff| = {worst}"
        );
    }
}

#[test]
fn sample_files_listed_in_sha256sums_verify() {
    let Some(data) = data() else { return };
    let sums = ecg_io::sha256sums::Sha256Sums::read(&data.join("SHA256SUMS.txt")).expect("list");
    let mut verified = 0;
    for rate in [100u32, 500] {
        for id in 1..=500u32 {
            let rec = record_path(&data, id, rate);
            let rel = rec
                .strip_prefix(&data)
                .expect("under data")
                .to_str()
                .expect("utf-8")
                .replace('\\', "/");
            for ext in ["hea", "dat"] {
                let f = format!("{rel}.{ext}");
                if sums.get(&f).is_some() {
                    sums.verify(&data, &f).unwrap_or_else(|e| panic!("{e}"));
                    verified += 1;
                }
            }
        }
    }
    sums.verify(&data, "scp_statements.csv")
        .expect("scp_statements.csv");
    // every listed record file of ids 1..=500 is present in the sample (400 files)
    let listed = sums
        .iter()
        .filter(|(p, _)| {
            p.starts_with("records")
                && p.rsplit('/')
                    .next()
                    .and_then(|f| f.get(..5))
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|id| (1..=500).contains(&id))
        })
        .count();
    assert_eq!(verified, listed, "files verified");
    assert!(verified >= 400, "only {verified} files verified");
    // the sample's ptbxl_database.csv is cut to 500 rows, so its listed digest must not match
    let e = sums
        .verify(&data, "ptbxl_database.csv")
        .expect_err("truncated table differs");
    assert!(e.to_string().contains("ptbxl_database.csv"), "{e}");
}

#[cfg(feature = "polars")]
#[test]
fn tables_load_with_folds_as_documented() {
    let Some(data) = data() else { return };
    let db = ecg_io::ptbxl::load_database(&data.join("ptbxl_database.csv")).expect("database");
    assert_eq!(db.len(), 500);
    assert_eq!(db[0].ecg_id, 1);
    assert_eq!(db[0].patient_id, Some(15709));
    assert_eq!(db[0].filename_lr, "records100/00000/00001_lr");
    assert_eq!(
        db[0].scp_codes,
        vec![
            ("NORM".to_string(), 100.0),
            ("LVOLT".to_string(), 0.0),
            ("SR".to_string(), 0.0)
        ]
    );
    // fold counts from the sample's NOTE.md
    let mut folds = [0usize; 10];
    for r in &db {
        folds[r.strat_fold as usize - 1] += 1;
    }
    assert_eq!(folds, [58, 51, 34, 42, 47, 33, 44, 44, 81, 66]);
    let st = ecg_io::ptbxl::load_statements(&data.join("scp_statements.csv")).expect("statements");
    assert_eq!(st.len(), 71);
    let norm = st.iter().find(|s| s.code == "NORM").expect("NORM");
    assert!(norm.diagnostic && !norm.rhythm);
    assert_eq!(norm.diagnostic_class.as_deref(), Some("NORM"));
}

#[cfg(feature = "polars")]
#[test]
fn a_malformed_scp_codes_cell_is_reported_with_its_row() {
    let Some(data) = data() else { return };
    let text = std::fs::read_to_string(data.join("ptbxl_database.csv")).expect("csv");
    let bad = text.replacen(
        "{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}",
        "{'NORM': 100.0, 'LVOLT' 0.0}",
        1,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("ptbxl_database.csv");
    std::fs::write(&p, bad).expect("write");
    let e = ecg_io::ptbxl::load_database(&p)
        .expect_err("malformed")
        .to_string();
    assert!(
        e.contains("ptbxl_database.csv:1") && e.contains("scp_codes"),
        "{e}"
    );
}
