//! `ecg synth ptbxl` end to end: writes the PTB-XL layout, is deterministic for a seed,
//! and rejects bad arguments with a clear message.
use std::path::Path;
use std::process::Command;

fn ecg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecg"))
}

fn synth(out: &Path, records: &str, seed: &str, rates: &str) -> std::process::Output {
    ecg()
        .args([
            "synth",
            "ptbxl",
            "--records",
            records,
            "--seed",
            seed,
            "--rates",
            rates,
            "--out",
        ])
        .arg(out)
        .output()
        .expect("run ecg")
}

#[test]
fn writes_ptbxl_layout_deterministically() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [a.path(), b.path()] {
        let o = synth(d, "12", "4", "100,500");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let db = std::fs::read_to_string(a.path().join("ptbxl_database.csv")).unwrap();
    assert_eq!(db.lines().count(), 13);
    assert_eq!(db.lines().next().unwrap().split(',').count(), 28);
    assert!(a.path().join("scp_statements.csv").exists());
    for id in 1..=12u32 {
        for (rate, suf) in [(100, "lr"), (500, "hr")] {
            let rec = format!("records{rate}/00000/{id:05}_{suf}");
            let r = ecg_io::wfdb::read_record(&a.path().join(&rec)).unwrap();
            assert_eq!((r.leads, r.samples), (12, 10 * rate as usize));
            for ext in ["hea", "dat"] {
                let f = format!("{rec}.{ext}");
                assert_eq!(
                    std::fs::read(a.path().join(&f)).unwrap(),
                    std::fs::read(b.path().join(&f)).unwrap(),
                    "{f}"
                );
            }
        }
    }
    assert_eq!(
        db,
        std::fs::read_to_string(b.path().join("ptbxl_database.csv")).unwrap()
    );
}

#[test]
fn bad_arguments_are_clear_errors() {
    let d = tempfile::tempdir().unwrap();
    let o = synth(d.path(), "5", "1", "250");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rates") && err.contains("250"), "{err}");
    let o = synth(d.path(), "0", "1", "100");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("records"));
}
