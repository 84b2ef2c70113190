//! `ecg read`, `ecg inspect`, `ecg pack` end to end over the real sample data.
use std::path::{Path, PathBuf};
use std::process::Command;

fn ecg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecg"))
}

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

#[test]
fn read_writes_an_npy_equal_to_the_library_reader() {
    let Some(data) = data() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.npy");
    let rec = data.join("records100/00000/00001_lr");
    let st = ecg()
        .arg("read")
        .arg(&rec)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("runs");
    assert!(st.success());
    let bytes = std::fs::read(&out).expect("npy");
    assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).expect("ascii");
    assert!(
        header.contains("'shape': (12, 1000)") && header.contains("<f4"),
        "{header}"
    );
    let vals: Vec<f32> = bytes[10 + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let r = ecg_io::wfdb::read_record(&rec).expect("reads");
    assert_eq!(vals, r.data);
}

#[test]
fn inspect_prints_a_table_and_errors_name_the_file() {
    let Some(data) = data() else { return };
    let o = ecg()
        .arg("inspect")
        .arg(data.join("records500/00000/00001_hr"))
        .output()
        .expect("runs");
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("fs 500 Hz") && text.contains("samples 5000"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains("V6") && l.contains("1000")),
        "{text}"
    );
    let o = ecg()
        .arg("inspect")
        .arg("/nonexistent/rec")
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/rec.hea"));
}

#[test]
fn pack_ptbxl_writes_a_pack_that_opens() {
    let Some(data) = data() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("p.safetensors");
    let st = ecg()
        .args([
            "pack",
            "ptbxl",
            "--rate",
            "100",
            "--bandpass",
            "0.5:40",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("runs");
    assert!(st.success());
    let p = ecg_io::pack::PackedDataset::open(&out).expect("opens");
    assert_eq!(p.len(), 500);
    assert_eq!(p.meta().samples, 1000);
    assert!(p.meta().preprocessing.contains("0.5-40"));
    assert_eq!(p.records()[0].ecg_id, Some(1));
    assert_eq!(
        p.records()[0].codes_raw,
        "{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}"
    );
    assert_eq!(p.meta().statements.len(), 71);
    let o = ecg()
        .args(["pack", "ptbxl", "--bandpass", "40:0.5", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--bandpass"));
}
