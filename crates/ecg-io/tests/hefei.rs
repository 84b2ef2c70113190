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

fn pack_opts(d: &Path) -> hefei::pack::HefeiOptions {
    hefei::pack::HefeiOptions {
        data: d.to_path_buf(),
        labels: None,
        mv_per_unit: DEFAULT_MV_PER_UNIT,
        fold_seed: 5,
    }
}

fn pack(d: &Path, out: &Path, rate: u32) -> ecg_io::Result<ecg_io::pack::PackedDataset> {
    let prep = ecg_io::packer::Prep::new(rate, None)?;
    hefei::pack::pack_hefei(&pack_opts(d), &prep, out)?;
    ecg_io::pack::PackedDataset::open(out)
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
    let out = d.join("p.safetensors");
    let p = pack(d, &out, 500).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.len(), 12);
    assert_eq!(p.meta().version, "round1");
    assert_eq!((p.meta().leads.len(), p.meta().samples), (12, 5000));
    let r = &p.records()[2];
    assert_eq!((r.id.as_str(), r.ecg_id), ("3", Some(3)));
    assert_eq!(
        r.codes,
        [("SR".to_string(), 100.0), ("CLBBB".to_string(), 100.0)]
    );
    assert_eq!(r.codes_raw, "窦性心律\t完全性左束支传导阻滞");
    assert!(p.records().iter().all(|r| (1..=10).contains(&r.fold)));
    // The first record's lead I as read (no preprocessing): row t holds I = t units.
    assert!((p.signal(0)[1] - DEFAULT_MV_PER_UNIT as f32).abs() < 1e-7);
    let folds: Vec<u8> = p.records().iter().map(|r| r.fold).collect();
    drop(p);
    // Same seed, same folds; at 100 Hz the records are resampled to 1000 samples.
    let p = pack(d, &out, 100).expect("again");
    assert_eq!(p.meta().samples, 1000);
    assert_eq!(
        p.records().iter().map(|r| r.fold).collect::<Vec<_>>(),
        folds
    );
    drop(p);

    // A name outside the table: refused with the file and the line, and no pack written.
    let out2 = d.join("q.safetensors");
    write(
        &labels,
        &format!("{rows}13.txt\t60\tMALE\t窦性心律\t心房扑动\n"),
    );
    match pack(d, &out2, 500) {
        Err(e @ IoError::Parse { line: 13, .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("hf_round1_label.txt:13") && msg.contains("心房扑动"),
                "{msg}"
            );
        }
        other => panic!("expected a parse error on line 13, got {other:?}"),
    }
    assert!(!out2.exists());
}
