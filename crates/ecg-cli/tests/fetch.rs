//! `ecg fetch ptbxl` against a local HTTP server (the same one ecg-io's fetch tests use),
//! serving records 1–3 at 100 Hz and both tables from /work/shared/data/ptbxl-sample with a
//! SHA256SUMS.txt computed for them.
#[path = "../../ecg-io/tests/support/http_server.rs"]
mod http_server;

use ecg_io::sha256sums::hash_bytes;
use http_server::Server;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn sample_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if d.is_dir() {
        Some(d)
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(),
            "\n!!!!!!!! SKIPPED: PTB-XL sample not found at {} — ecg fetch NOT tested !!!!!!!!\n",
            d.display()
        );
        };
        None
    }
}

fn served(dir: &Path) -> HashMap<String, Vec<u8>> {
    let mut files = HashMap::new();
    let mut list = String::new();
    let mut rels = vec![
        "ptbxl_database.csv".to_string(),
        "scp_statements.csv".to_string(),
    ];
    for id in 1..=3 {
        for ext in ["hea", "dat"] {
            rels.push(format!("records100/00000/{id:05}_lr.{ext}"));
        }
    }
    for rel in rels {
        let bytes = std::fs::read(dir.join(&rel)).expect("sample file");
        list.push_str(&format!("{}  {rel}\n", hash_bytes(&bytes)));
        files.insert(rel, bytes);
    }
    files.insert("SHA256SUMS.txt".into(), list.into_bytes());
    files
}

fn ecg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ecg"))
        .args(args)
        .output()
        .expect("run ecg")
}

#[test]
fn fetch_ptbxl_downloads_verifies_and_refuses() {
    let Some(dir) = sample_dir() else { return };
    let files = served(&dir);
    let server = Server::start(files.clone());
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ptb-xl");
    let out_s = out.to_str().expect("utf-8 path");

    let o = ecg(&[
        "fetch",
        "ptbxl",
        "--out",
        out_s,
        "--rates",
        "100",
        "--base-url",
        &server.base_url,
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("8 files verified") && stdout.contains("8 downloaded"),
        "{stdout}"
    );
    for (rel, bytes) in &files {
        assert_eq!(
            &std::fs::read(out.join(rel)).expect("fetched"),
            bytes,
            "{rel}"
        );
    }

    let again = ecg(&[
        "fetch",
        "ptbxl",
        "--out",
        out_s,
        "--base-url",
        &server.base_url,
    ]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 downloaded, 8 already present"));

    // A corrupt file on the server: refused, exit status 1, the file named.
    let rel = "records100/00000/00003_lr.dat";
    let mut bad = files[rel].clone();
    bad[100] ^= 0xff;
    server.set_file(rel, bad);
    std::fs::remove_file(out.join(rel)).expect("rm");
    let o = ecg(&[
        "fetch",
        "ptbxl",
        "--out",
        out_s,
        "--base-url",
        &server.base_url,
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("00003_lr.dat") && stderr.contains("SHA-256 mismatch"),
        "{stderr}"
    );
    assert!(!out.join(rel).exists() && !out.join(format!("{rel}.part")).exists());

    // Nothing listening: a clear message.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let o = ecg(&[
        "fetch",
        "ptbxl",
        "--out",
        out_s,
        "--base-url",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && stderr.contains("unreachable"),
        "{stderr}"
    );

    // Bad rate: refused before any record is fetched.
    let o = ecg(&[
        "fetch",
        "ptbxl",
        "--out",
        out_s,
        "--rates",
        "250",
        "--base-url",
        &server.base_url,
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("250 Hz"));
}
