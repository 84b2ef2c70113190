//! Hefei-Tianchi records and label files written here in the challenge's format, including
//! malformed ones (wrong column count, non-integer, short file, bad header, unknown record
//! in the label file). Expected values are the challenge's lead relations applied by hand.
use ecg_io::hefei::{self, ReadOptions, DEFAULT_MV_PER_UNIT, LEADS};
use ecg_io::IoError;
use std::path::Path;

const HEADER: &str = "I II V1 V2 V3 V4 V5 V6";

/// A record of `n` rows; row t holds (I, II, V1..V6) = (t, 2t+1, -t, 3, 0, t % 7, -5, 100).
fn record_text(n: usize) -> String {
    let mut s = format!("{HEADER}\n");
    for t in 0..n as i32 {
        s.push_str(&format!(
            "{} {} {} 3 0 {} -5 100\n",
            t,
            2 * t + 1,
            -t,
            t % 7
        ));
    }
    s
}

fn write(p: &Path, text: &str) {
    std::fs::write(p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

#[test]
fn full_length_record_has_12_standard_leads_in_mv() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("1.txt");
    write(&p, &record_text(5000));
    let r = hefei::read_record(&p, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (r.name.as_str(), r.samples, r.data.len()),
        ("1.txt", 5000, 12 * 5000)
    );
    assert_eq!(
        LEADS,
        ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    );
    let u = DEFAULT_MV_PER_UNIT;
    for t in [0usize, 1, 2500, 4999] {
        let (i, ii) = (t as f64 * u, (2 * t + 1) as f64 * u);
        let want = [
            i,
            ii,
            ii - i,
            -(i + ii) / 2.0,
            i - ii / 2.0,
            ii - i / 2.0,
            -(t as f64) * u,
            3.0 * u,
            0.0,
            (t % 7) as f64 * u,
            -5.0 * u,
            100.0 * u,
        ];
        for (lead, w) in want.iter().enumerate() {
            let got = r.lead(lead)[t] as f64;
            assert!(
                (got - w).abs() <= 1e-6 * w.abs().max(1e-3),
                "{} t={t}: {got} vs {w}",
                LEADS[lead]
            );
        }
    }
}

#[test]
fn malformed_records_are_errors_naming_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("7.txt");
    let opts = ReadOptions {
        expected_samples: Some(4),
        ..ReadOptions::default()
    };
    let good = record_text(4);
    assert!(hefei::parse_record(&good, "7.txt", &p, &opts).is_ok());
    let cases: Vec<(String, Option<usize>, &str)> = vec![
        // wrong column count (7 and 9 values) on the third sample row = line 4
        (
            good.replacen("2 5 -2 3 0 2 -5 100", "2 5 -2 3 0 2 -5", 1),
            Some(4),
            "7 columns",
        ),
        (
            good.replacen("2 5 -2 3 0 2 -5 100", "2 5 -2 3 0 2 -5 100 1", 1),
            Some(4),
            "9 columns",
        ),
        // non-integer values
        (
            good.replacen("1 3 -1 3", "1 3.5 -1 3", 1),
            Some(3),
            "not an integer",
        ),
        (
            good.replacen("1 3 -1 3", "1 x -1 3", 1),
            Some(3),
            "not an integer",
        ),
        // short file (3 of 4 rows) and an empty one
        (record_text(3), None, "3 sample rows, expected 4"),
        (String::new(), Some(1), "empty file"),
        // a header that is not the 8 stored leads
        (
            good.replacen(HEADER, "I II III V1 V2 V3 V4 V5", 1),
            Some(1),
            "expected `I II V1",
        ),
    ];
    for (text, line, needle) in cases {
        write(&p, &text);
        match hefei::read_record(&p, &opts) {
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("7.txt") && msg.contains(needle),
                    "{needle}: {msg}"
                );
                if let (Some(l), IoError::Parse { line: got, .. }) = (line, &e) {
                    assert_eq!(*got, l, "{msg}");
                }
            }
            Ok(_) => panic!("{needle}: must be refused"),
        }
    }
    assert!(matches!(
        hefei::read_record(&tmp.path().join("missing.txt"), &opts),
        Err(IoError::Io { .. })
    ));
}

#[test]
fn dataset_joins_label_file_and_refuses_unknown_records() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(&d.join("1.txt"), &record_text(5000));
    write(&d.join("2.txt"), &record_text(5000));
    let labels = d.join("hf_round1_label.txt");
    write(
        &labels,
        "1.txt\t56\tFEMALE\t窦性心律\tT波改变\n2.txt\t\t\t心房颤动\n",
    );
    let ds =
        hefei::load_dataset(d, &labels, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ds.len(), 2);
    assert_eq!(ds[0].meta.labels, ["窦性心律", "T波改变"]);
    assert_eq!(
        (ds[0].meta.age, ds[0].meta.sex.as_deref()),
        (Some(56.0), Some("FEMALE"))
    );
    assert_eq!((ds[1].meta.age, ds[1].meta.sex.as_deref()), (None, None));
    assert_eq!(ds[1].record.name, "2.txt");

    for (text, needle) in [
        (
            "1.txt\t56\tFEMALE\t窦性心律\n3.txt\t40\tMALE\t心房颤动\n",
            "3.txt",
        ),
        ("1.txt\t56\tFEMALE\n", "no label"),
        (
            "1.txt\t56\tFEMALE\tA\n1.txt\t56\tFEMALE\tB\n",
            "listed twice",
        ),
        ("1.txt\tfifty\tFEMALE\tA\n", "not a number"),
        ("1.txt 56 FEMALE A\n", "tab-separated"),
    ] {
        write(&labels, text);
        match hefei::load_dataset(d, &labels, &ReadOptions::default()) {
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(needle) && msg.contains("hf_round1_label.txt"),
                    "{needle}: {msg}"
                );
            }
            Ok(_) => panic!("{text:?} must be refused"),
        }
    }
    std::fs::write(&labels, [0xb4u8, 0xb0, b'\t', b'\n']).expect("write");
    assert!(hefei::load_labels(&labels).is_err(), "non-UTF-8 label file");
}

fn identity(_: &mut [f32], _: usize) -> Result<(), String> {
    Ok(())
}

fn pack_opts(d: &Path) -> hefei::pack::HefeiOptions {
    hefei::pack::HefeiOptions {
        data: d.to_path_buf(),
        labels: None,
        rate: 500,
        mv_per_unit: DEFAULT_MV_PER_UNIT,
        fold_seed: 5,
        preprocessing: "none".into(),
        bandpass: None,
    }
}

/// `ecg pack hefei`'s builder: the label file in DIR, the records in DIR/train; classes as
/// stable English identifiers, the Chinese text kept raw; folds in 1..=10.
#[test]
fn pack_maps_classes_and_refuses_unknown_names_with_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    std::fs::create_dir(d.join("train")).expect("mkdir");
    for i in 1..=12 {
        write(
            &d.join("train").join(format!("{i}.txt")),
            &record_text(5000),
        );
    }
    let rows: String = (1..=12)
        .map(|i| {
            let l = if i % 3 == 0 {
                "窦性心律\t完全性左束支传导阻滞"
            } else {
                "起搏心律"
            };
            format!("{i}.txt\t60\tMALE\t{l}\n")
        })
        .collect();
    let labels = d.join("hf_round1_label.txt");
    write(&labels, &rows);
    let built =
        hefei::pack::build_hefei(&pack_opts(d), None, &identity).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.records.len(), 12);
    assert_eq!(built.meta.version, "round1");
    assert_eq!(built.meta.leads.len(), 12);
    let r = &built.records[2];
    assert_eq!((r.id.as_str(), r.ecg_id), ("3", Some(3)));
    assert_eq!(
        r.codes,
        [("SR".to_string(), 100.0), ("CLBBB".to_string(), 100.0)]
    );
    assert_eq!(r.codes_raw, "窦性心律\t完全性左束支传导阻滞");
    assert!(built.records.iter().all(|r| (1..=10).contains(&r.fold)));
    // The first record's lead I as read (identity preprocessing).
    assert!((built.signals[1] - DEFAULT_MV_PER_UNIT as f32).abs() < 1e-7);
    // Same seed, same folds.
    let again = hefei::pack::build_hefei(&pack_opts(d), None, &identity).expect("again");
    let folds = |b: &ecg_io::packer::Built| b.records.iter().map(|r| r.fold).collect::<Vec<_>>();
    assert_eq!(folds(&built), folds(&again));

    // A name outside the table: refused with the file and the line.
    write(
        &labels,
        &format!("{rows}13.txt\t60\tMALE\t窦性心律\t心房扑动\n"),
    );
    match hefei::pack::build_hefei(&pack_opts(d), None, &identity) {
        Err(e @ IoError::Parse { line: 13, .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("hf_round1_label.txt:13") && msg.contains("心房扑动"),
                "{msg}"
            );
        }
        other => panic!("expected a parse error on line 13, got {other:?}"),
    }
    // Another rate without a resampler is refused.
    let mut o = pack_opts(d);
    o.rate = 100;
    assert!(hefei::pack::build_hefei(&o, None, &identity).is_err());
}
