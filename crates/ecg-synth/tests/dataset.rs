//! End-to-end checks of generated datasets: lead relations, WFDB headers and checksums
//! (read back with ecg-io and by hand), wfdb-python's reading (golden files from
//! `scripts/golden/synth_wfdb.py`), the database table, folds by patient, determinism.
use ecg_synth::tables::{parse_scp_codes, split_csv_line};
use ecg_synth::{
    generate_ptbxl, quantise, record_header, record_path, render, DatasetPlan, SynthConfig,
};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

fn cfg(records: usize, seed: u64, rates: &[u32]) -> SynthConfig {
    SynthConfig {
        records,
        seed,
        rates: rates.to_vec(),
        difficulty: ecg_synth::Difficulty::EASY,
    }
}

#[test]
fn lead_relations_hold() {
    let plan = DatasetPlan::new(&cfg(60, 3, &[100, 500])).unwrap();
    for r in &plan.records {
        let (spec, _) = plan.record_spec(r);
        for rate in [100, 500] {
            for noise in [false, true] {
                let l = render(&spec, rate, noise);
                assert!(l.iter().all(|x| x.len() == 10 * rate as usize));
                for k in 0..l[0].len() {
                    let (i, ii) = (l[0][k], l[1][k]);
                    // exact in f64 (derived leads are computed from I and II)
                    assert_eq!(l[2][k], ii - i, "III, record {}", r.ecg_id);
                    assert_eq!(l[3][k], -(i + ii) / 2.0, "aVR");
                    assert_eq!(l[4][k], i - ii / 2.0, "aVL");
                    assert_eq!(l[5][k], ii - i / 2.0, "aVF");
                    // the relations as physics states them, to rounding
                    assert!((l[2][k] + l[0][k] - l[1][k]).abs() < 1e-12);
                    assert!(
                        (l[3][k] + l[4][k] + l[5][k]).abs() < 1e-12,
                        "aVR + aVL + aVF = 0"
                    );
                }
                // after quantisation to 1 µV: within one unit
                let q = quantise(&l);
                for k in 0..q[0].len() {
                    assert!((q[2][k] - (q[1][k] - q[0][k])).abs() <= 1);
                    assert!((q[3][k] + q[4][k] + q[5][k]).abs() <= 2);
                }
            }
        }
    }
}

#[test]
fn headers_and_checksums_verify() {
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(25, 5, &[100, 500]);
    generate_ptbxl(&c, dir.path()).unwrap();
    let plan = DatasetPlan::new(&c).unwrap();
    for r in &plan.records {
        let (spec, _) = plan.record_spec(r);
        for rate in [100u32, 500] {
            let path = dir.path().join(record_path(r.ecg_id, rate));
            // ecg-io verifies every checksum while reading
            let rec = ecg_io::wfdb::read_record(&path).unwrap();
            let h = &rec.header;
            assert_eq!(h.fs, Some(rate as f64));
            assert_eq!(h.n_samples, Some(10 * rate as u64));
            assert_eq!(h, &{
                let mut e = record_header(r.ecg_id, rate);
                for (s, got) in e.signals.iter_mut().zip(&h.signals) {
                    s.init_value = got.init_value;
                    s.checksum = got.checksum;
                }
                e
            });
            let names: Vec<String> = h
                .signals
                .iter()
                .enumerate()
                .map(|(i, s)| s.name(i))
                .collect();
            assert_eq!(names, ecg_synth::LEAD_NAMES.map(String::from).to_vec());
            // checksums by hand from the raw bytes: 16-bit little-endian, interleaved
            let bytes = std::fs::read(path.with_extension("dat")).unwrap();
            assert_eq!(bytes.len(), 2 * 12 * 10 * rate as usize);
            let mut sums = [0u16; 12];
            let mut first = [None; 12];
            for (k, ch) in bytes.chunks_exact(2).enumerate() {
                let v = i16::from_le_bytes([ch[0], ch[1]]);
                sums[k % 12] = sums[k % 12].wrapping_add(v as u16);
                first[k % 12].get_or_insert(v as i64);
            }
            for (l, s) in h.signals.iter().enumerate() {
                assert_eq!(
                    s.checksum.map(|c| c.rem_euclid(65536)),
                    Some(sums[l] as i64)
                );
                assert_eq!(s.init_value, first[l]);
                assert_eq!(s.adc_gain, Some(1000.0));
                assert_eq!(s.format, ecg_io::wfdb::Format::F16);
            }
            // the samples are the model's, quantised
            let q = quantise(&render(&spec, rate, true));
            for l in 0..12 {
                for (k, &v) in rec.lead(l).iter().enumerate() {
                    assert_eq!(v, (q[l][k] as f64 / 1000.0) as f32);
                }
            }
        }
    }
}

fn golden_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn wfdb_python_reads_generated_record_identically() {
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden_dir().join("synth_wfdb_seed7_rec2.json")).unwrap(),
    )
    .unwrap();
    let (seed, records, ecg_id) = (
        meta["seed"].as_u64().unwrap(),
        meta["records"].as_u64().unwrap() as usize,
        meta["ecg_id"].as_u64().unwrap() as u32,
    );
    let plan = DatasetPlan::new(&cfg(records, seed, &[100, 500])).unwrap();
    let r = plan.records.iter().find(|r| r.ecg_id == ecg_id).unwrap();
    let (spec, heart) = plan.record_spec(r);
    for rate in [100u32, 500] {
        let p: ndarray::Array2<f64> = ndarray_npy::read_npy(
            golden_dir().join(format!("synth_wfdb_seed{seed}_rec{ecg_id}_{rate}.npy")),
        )
        .unwrap();
        let n = 10 * rate as usize;
        assert_eq!(p.shape(), &[n, 12]);
        let q = quantise(&render(&spec, rate, true));
        let mut max_err = 0.0f64;
        for l in 0..12 {
            for k in 0..n {
                max_err = max_err.max((p[[k, l]] - q[l][k] as f64 / 1000.0).abs());
            }
        }
        assert!(
            max_err <= 1e-9,
            "{rate} Hz: max |wfdb-python − ours| = {max_err}"
        );
        let m = &meta[rate.to_string()];
        assert_eq!(m["fs"].as_f64(), Some(rate as f64));
        assert_eq!(m["sig_len"].as_u64(), Some(n as u64));
        let names: Vec<&str> = m["sig_name"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(names, ecg_synth::LEAD_NAMES.to_vec());
        for l in 0..12 {
            assert_eq!(m["fmt"][l].as_str(), Some("16"));
            assert_eq!(m["adc_gain"][l].as_f64(), Some(1000.0));
            assert_eq!(m["baseline"][l].as_i64(), Some(0));
            assert_eq!(m["units"][l].as_str(), Some("mV"));
            assert_eq!(m["init_value"][l].as_i64(), Some(q[l][0] as i64));
            let ours = ecg_io::wfdb::checksum(&q[l]) as i64;
            assert_eq!(
                m["checksum"][l].as_i64().map(|c| c.rem_euclid(65536)),
                Some(ours)
            );
            assert_eq!(m["checksum_recomputed"][l].as_i64(), Some(ours));
        }
    }
    // pandas read the same 28 columns and this row's values
    let cols: Vec<&str> = meta["csv_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(cols, ecg_synth::database::COLUMNS.to_vec());
    let row = &meta["csv_row"];
    assert_eq!(row["patient_id"].as_f64(), Some(r.patient_id as f64));
    assert_eq!(row["age"].as_f64(), Some(r.age));
    assert_eq!(row["scp_codes"].as_str(), Some(r.labels.raw.as_str()));
    assert_eq!(row["strat_fold"].as_u64(), Some(r.strat_fold as u64));
    assert_eq!(
        row["recording_date"].as_str(),
        Some(r.recording_date.as_str())
    );
    assert_eq!(row["heart_axis"].as_str().unwrap_or(""), heart.heart_axis);
    assert_eq!(
        row["filename_lr"].as_str(),
        Some(record_path(ecg_id, 100).as_str())
    );
}

#[test]
fn database_table_has_ptbxl_columns_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    generate_ptbxl(&cfg(300, 9, &[100]), dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("ptbxl_database.csv")).unwrap();
    let mut lines = text.lines();
    let head = split_csv_line(lines.next().unwrap());
    assert_eq!(head.len(), 28);
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let mut n = 0;
    for (i, line) in lines.enumerate() {
        let f = split_csv_line(line);
        assert_eq!(f.len(), 28, "row {i}: {line}");
        let id: u32 = f[col("ecg_id")].parse().unwrap();
        assert_eq!(id as usize, i + 1);
        assert!(f[col("patient_id")].ends_with(".0"));
        let fold: u8 = f[col("strat_fold")].parse().unwrap();
        assert!((1..=10).contains(&fold));
        assert!(parse_scp_codes(&f[col("scp_codes")]).is_ok());
        assert_eq!(f[col("filename_lr")], record_path(id, 100));
        assert_eq!(f[col("filename_hr")], record_path(id, 500));
        assert!(dir
            .path()
            .join(format!("{}.hea", f[col("filename_lr")]))
            .exists());
        assert!(
            !dir.path()
                .join(format!("{}.hea", f[col("filename_hr")]))
                .exists(),
            "500 Hz not requested"
        );
        let d = &f[col("recording_date")];
        assert_eq!(d.len(), 19);
        assert!(["True", "False"].contains(&f[col("validated_by_human")].as_str()));
        if fold >= 9 {
            assert_eq!(f[col("validated_by_human")], "True");
        }
        n += 1;
    }
    assert_eq!(n, 300);
    let st = std::fs::read_to_string(dir.path().join("scp_statements.csv")).unwrap();
    assert_eq!(st, ecg_synth::tables::SCP_STATEMENTS_CSV);
}

#[test]
fn folds_keep_patients_whole_and_are_balanced() {
    let plan = DatasetPlan::new(&cfg(6000, 21, &[100])).unwrap();
    let mut fold_of: HashMap<u32, u8> = HashMap::new();
    let mut per_fold = [0usize; 10];
    let mut class_fold: BTreeMap<String, [usize; 10]> = BTreeMap::new();
    for r in &plan.records {
        assert_eq!(
            *fold_of.entry(r.patient_id).or_insert(r.strat_fold),
            r.strat_fold,
            "patient {}",
            r.patient_id
        );
        per_fold[r.strat_fold as usize - 1] += 1;
        for c in &r.superclasses {
            class_fold.entry(c.clone()).or_default()[r.strat_fold as usize - 1] += 1;
        }
    }
    assert!(
        plan.patients < plan.records.len(),
        "some patients have several records"
    );
    for n in per_fold {
        assert!(
            (n as f64 - 600.0).abs() <= 600.0 * 0.03,
            "records per fold {per_fold:?}"
        );
    }
    for (c, f) in &class_fold {
        let mean = f.iter().sum::<usize>() as f64 / 10.0;
        for &n in f {
            assert!(
                (n as f64 - mean).abs() <= (0.1 * mean).max(3.0),
                "{c} per fold {f:?}"
            );
        }
    }
    assert_eq!(
        class_fold.keys().cloned().collect::<Vec<_>>(),
        ["CD", "HYP", "MI", "NORM", "STTC"]
    );
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_gives_byte_identical_output_for_any_thread_count() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let conf = cfg(40, 77, &[100, 500]);
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| generate_ptbxl(&conf, a.path()))
        .unwrap();
    rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap()
        .install(|| generate_ptbxl(&conf, b.path()))
        .unwrap();
    generate_ptbxl(&cfg(40, 78, &[100, 500]), c.path()).unwrap();
    let (ta, tb, tc) = (
        read_tree(a.path()),
        read_tree(b.path()),
        read_tree(c.path()),
    );
    assert_eq!(ta.len(), 2 + 2 * 2 * 40);
    assert!(ta == tb, "same seed, different bytes");
    let differing = ta.iter().filter(|(k, v)| tc.get(*k) != Some(*v)).count();
    assert!(
        differing > 150,
        "another seed changed only {differing} files"
    );
}

#[test]
fn hard_difficulty_is_byte_stable_across_thread_counts_and_changes_the_signals() {
    let (a, b, e) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let hard = SynthConfig {
        difficulty: ecg_synth::Difficulty::parse("hard").unwrap(),
        ..cfg(30, 5, &[100])
    };
    for (threads, dir) in [(1, &a), (3, &b)] {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| generate_ptbxl(&hard, dir.path()))
            .unwrap();
    }
    generate_ptbxl(&cfg(30, 5, &[100]), e.path()).unwrap();
    let (ta, tb, te) = (
        read_tree(a.path()),
        read_tree(b.path()),
        read_tree(e.path()),
    );
    assert!(ta == tb, "hard: same seed, different bytes");
    // the plan (patients, labels, folds) is the same; every signal differs
    assert_eq!(
        DatasetPlan::new(&hard).unwrap().records,
        DatasetPlan::new(&cfg(30, 5, &[100])).unwrap().records
    );
    let dat: Vec<&String> = ta.keys().filter(|k| k.ends_with(".dat")).collect();
    assert_eq!(dat.len(), 30);
    assert!(
        dat.iter().all(|k| ta[*k] != te[*k]),
        "hard left a signal unchanged"
    );
}
