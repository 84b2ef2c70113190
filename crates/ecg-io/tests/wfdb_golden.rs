//! WFDB records in every supported format (plus multi-file, byte offset, samples per frame,
//! signed checksums), compared with wfdb-python's `rdrecord(physical=True)`.
//! Golden files: `scripts/golden/wfdb_formats.py`.
use ecg_io::wfdb::{read_record, Header};
use ndarray::Array2;
use std::path::{Path, PathBuf};

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/wfdb")
}

fn compare(name: &str) {
    let rec = read_record(&golden().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let want: Array2<f64> =
        ndarray_npy::read_npy(golden().join(format!("{name}.npy"))).expect("golden npy");
    assert_eq!(
        (rec.leads, rec.samples),
        want.dim(),
        "{name}: shape [leads, samples]"
    );
    let mut nans = 0;
    for l in 0..rec.leads {
        for (t, (&got, &exp)) in rec.lead(l).iter().zip(want.row(l)).enumerate() {
            if exp.is_nan() {
                assert!(
                    got.is_nan(),
                    "{name}: lead {l} sample {t}: want NaN, got {got}"
                );
                nans += 1;
            } else {
                let tol = 1e-5_f64.max(exp.abs() * 1e-6);
                assert!(
                    (got as f64 - exp).abs() <= tol,
                    "{name}: lead {l} sample {t}: got {got}, wfdb-python {exp}"
                );
            }
        }
    }
    // every record except format 8 (no marker) and spf carries invalid samples
    if !matches!(name, "f8" | "spf") {
        assert!(
            nans >= 1,
            "{name}: the invalid-sample marker was not exercised"
        );
    }
}

#[test]
fn every_format_matches_wfdb_python() {
    for f in [
        "8", "16", "24", "32", "61", "80", "160", "212", "310", "311",
    ] {
        compare(&format!("f{f}"));
    }
}

#[test]
fn multi_file_offset_spf_and_signed_checksums_match_wfdb_python() {
    for name in ["multi", "offset", "spf", "signedck"] {
        compare(name);
    }
    let h = Header::read(&golden().join("signedck")).expect("header");
    assert!(h.signals.iter().any(|s| s.checksum.is_some_and(|c| c < 0)));
    let h = Header::read(&golden().join("offset")).expect("header");
    assert_eq!(h.signals[0].byte_offset, Some(24));
    assert_eq!(h.comments, vec!["a comment line"]);
}

#[test]
fn golden_headers_round_trip_through_the_writer() {
    for entry in std::fs::read_dir(golden()).expect("golden dir") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "hea") {
            let text = std::fs::read_to_string(&p).expect("read");
            let h = Header::parse(&text, &p).expect("parse");
            let again = Header::parse(&h.to_string(), &p).expect("reparse");
            assert_eq!(h, again, "{}", p.display());
        }
    }
}

/// Copy a golden record into a temp dir so it can be damaged.
fn scratch(name: &str, files: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in files {
        std::fs::copy(golden().join(f), dir.path().join(f)).expect("copy");
    }
    let rec = dir.path().join(name);
    (dir, rec)
}

#[test]
fn a_flipped_sample_is_a_checksum_error_naming_record_and_lead() {
    let (_d, rec) = scratch("f16", &["f16.hea", "f16.dat"]);
    let dat = rec.with_extension("dat");
    let mut bytes = std::fs::read(&dat).expect("read");
    // sample 3 of lead 2 (3 leads, 2 bytes each)
    bytes[(3 * 3 + 2) * 2] ^= 0x01;
    std::fs::write(&dat, bytes).expect("write");
    let e = read_record(&rec).expect_err("checksum").to_string();
    assert!(
        e.contains("f16") && e.contains("lead 2") && e.contains("V1") && e.contains("checksum"),
        "{e}"
    );
}

#[test]
fn truncated_or_oversized_data_and_missing_files_are_clear_errors() {
    let (_d, rec) = scratch("f212", &["f212.hea", "f212.dat"]);
    let dat = rec.with_extension("dat");
    let bytes = std::fs::read(&dat).expect("read");
    std::fs::write(&dat, &bytes[..bytes.len() - 5]).expect("write");
    let e = read_record(&rec).expect_err("truncated").to_string();
    assert!(e.contains("f212.dat") && e.contains("truncated"), "{e}");
    let mut more = bytes.clone();
    more.extend_from_slice(&[0; 30]);
    std::fs::write(&dat, &more).expect("write");
    let e = read_record(&rec).expect_err("oversized").to_string();
    assert!(e.contains("f212.dat") && e.contains("37 samples"), "{e}");
    std::fs::remove_file(&dat).expect("rm");
    let e = read_record(&rec).expect_err("missing").to_string();
    assert!(e.contains("f212.dat"), "{e}");
    let e = read_record(&rec.with_file_name("nope"))
        .expect_err("no header")
        .to_string();
    assert!(e.contains("nope.hea"), "{e}");
}

#[test]
fn a_header_without_a_sample_count_takes_it_from_the_file() {
    let (_d, rec) = scratch("f310", &["f310.hea", "f310.dat"]);
    let hea = rec.with_extension("hea");
    let text = std::fs::read_to_string(&hea).expect("read");
    let text = text.replacen("f310 3 250 37", "f310 3 250", 1);
    std::fs::write(&hea, text).expect("write");
    let r = read_record(&rec).expect("reads");
    assert_eq!(r.samples, 37);
}
