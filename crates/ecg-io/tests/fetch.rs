//! `fetch_ptbxl` end to end against a local HTTP server serving a small PTB-XL subset built
//! from /work/shared/data/ptbxl-sample (records 1–5 at 100 and 500 Hz, both tables), with
//! the dataset's own SHA256SUMS.txt lines for the files that match it; plus
//! `Sha256Sums` against the sample's real checksum list.
#[path = "support/http_server.rs"]
mod http_server;

use ecg_io::fetch::{fetch_ptbxl, FetchOptions};
use ecg_io::sha256sums::{hash_bytes, Sha256Sums};
use ecg_io::IoError;
use http_server::Server;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn sample_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if d.is_dir() {
        Some(d)
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(),
            "\n!!!!!!!! SKIPPED: PTB-XL sample not found at {} — fetch tests NOT run !!!!!!!!\n",
            d.display()
        );
        };
        None
    }
}

/// The sample's own checksum list: every listed file present in the sample verifies
/// (scp_statements.csv and records 1–100 at both rates: 401 files) except the truncated
/// ptbxl_database.csv and the sample's own LICENSE.txt, which must be refused.
#[test]
fn sample_files_verify_against_the_real_sha256sums() {
    let Some(dir) = sample_dir() else { return };
    let sums = Sha256Sums::read(&dir.join("SHA256SUMS.txt")).expect("list");
    let mut verified = Vec::new();
    for (rel, _) in sums.iter() {
        if rel == "ptbxl_database.csv" || rel == "LICENSE.txt" || !dir.join(rel).is_file() {
            continue;
        }
        sums.verify(&dir, rel).unwrap_or_else(|e| panic!("{e}"));
        verified.push(rel.to_string());
    }
    assert!(verified.iter().any(|r| r == "scp_statements.csv"));
    for id in [1, 50, 100] {
        for rel in [
            format!("records100/00000/{id:05}_lr.dat"),
            format!("records500/00000/{id:05}_hr.hea"),
        ] {
            assert!(verified.contains(&rel), "{rel} verified");
        }
    }
    assert_eq!(
        verified.len(),
        401,
        "scp_statements.csv + 100 records x 2 rates x 2 files"
    );
    for rel in ["ptbxl_database.csv", "LICENSE.txt"] {
        match sums.verify(&dir, rel) {
            Err(IoError::Sha256Mismatch { path, .. }) => assert!(path.ends_with(rel)),
            other => panic!("{rel} of the sample must not match: {other:?}"),
        }
    }
}

/// Files served: tables, records 1–5 at 100 and 500 Hz, and the SHA256SUMS.txt for them
/// (real lines where they match, a computed line for the truncated ptbxl_database.csv, plus
/// a listed-but-not-needed LICENSE.txt line).
fn served(dir: &Path) -> HashMap<String, Vec<u8>> {
    let real = Sha256Sums::read(&dir.join("SHA256SUMS.txt")).expect("list");
    let mut files = HashMap::new();
    let mut list = String::new();
    let mut rels = vec![
        "ptbxl_database.csv".to_string(),
        "scp_statements.csv".to_string(),
    ];
    for id in 1..=5 {
        for (rate, s) in [(100, "lr"), (500, "hr")] {
            for ext in ["hea", "dat"] {
                rels.push(format!("records{rate}/00000/{id:05}_{s}.{ext}"));
            }
        }
    }
    for rel in rels {
        let bytes = std::fs::read(dir.join(&rel)).expect("sample file");
        let digest = if rel == "ptbxl_database.csv" {
            hash_bytes(&bytes)
        } else {
            let d = *real.get(&rel).expect("listed in the real SHA256SUMS.txt");
            assert_eq!(d, hash_bytes(&bytes), "{rel} matches the real list");
            d
        };
        list.push_str(&format!("{digest} {rel}\n"));
        files.insert(rel, bytes);
    }
    let lic = real.get("LICENSE.txt").expect("LICENSE listed");
    list.push_str(&format!("{lic} LICENSE.txt\n"));
    files.insert("SHA256SUMS.txt".to_string(), list.into_bytes());
    files
}

fn options(base: &str, out: &Path, rates: &[u32]) -> FetchOptions {
    FetchOptions {
        base_url: base.to_string(),
        out: out.to_path_buf(),
        rates: rates.to_vec(),
        threads: 3,
        attempts: 4,
        timeout: Duration::from_secs(10),
    }
}

fn assert_same_files(out: &Path, files: &HashMap<String, Vec<u8>>, prefix: &[&str]) {
    for (rel, bytes) in files {
        if rel == "SHA256SUMS.txt" || prefix.iter().any(|p| rel.starts_with(p)) {
            let got = std::fs::read(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert!(&got == bytes, "{rel} differs from the served file");
        }
    }
}

fn no_part_files(dir: &Path) -> bool {
    fn walk(d: &Path, found: &mut bool) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, found);
            } else if p.extension().is_some_and(|x| x == "part") {
                *found = true;
            }
        }
    }
    let mut found = false;
    walk(dir, &mut found);
    !found
}

/// Full fetch verifies every file and fetches only the rates asked for; a second run
/// downloads nothing but the checksum list; adding a rate downloads only that rate.
#[test]
fn full_fetch_then_nothing_to_do() {
    let Some(dir) = sample_dir() else { return };
    let files = served(&dir);
    let server = Server::start(files.clone());
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ptb-xl");

    let r = fetch_ptbxl(&options(&server.base_url, &out, &[100])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (r.files, r.downloaded.len(), r.skipped, r.resumed),
        (12, 12, 0, 0)
    );
    assert_same_files(&out, &files, &["records100/", "ptbxl_", "scp_"]);
    assert!(!out.join("records500").exists(), "500 Hz not requested");
    assert!(
        !out.join("LICENSE.txt").exists(),
        "only tables and records are fetched"
    );
    assert!(server
        .log()
        .iter()
        .all(|l| !l.path.starts_with("records500")));
    assert_eq!(
        server.log()[0].path,
        "SHA256SUMS.txt",
        "the list comes first"
    );
    assert!(no_part_files(&out));

    server.clear_log();
    let again = fetch_ptbxl(&options(&server.base_url, &out, &[100])).expect("second run");
    assert_eq!(
        (again.downloaded.len(), again.skipped, again.bytes),
        (0, 12, 0)
    );
    let paths: Vec<String> = server.log().into_iter().map(|l| l.path).collect();
    assert_eq!(
        paths,
        ["SHA256SUMS.txt"],
        "the second run re-downloads nothing"
    );

    server.clear_log();
    let both = fetch_ptbxl(&options(&server.base_url, &out, &[100, 500])).expect("add 500 Hz");
    assert_eq!(
        (both.files, both.downloaded.len(), both.skipped),
        (22, 10, 12)
    );
    assert!(both.downloaded.iter().all(|p| p.starts_with("records500/")));
    assert_same_files(&out, &files, &["records"]);
}

/// A connection closed mid-body is resumed with a Range request from the bytes received.
#[test]
fn interrupted_download_resumes_with_range() {
    let Some(dir) = sample_dir() else { return };
    let files = served(&dir);
    let server = Server::start(files.clone());
    let rel = "records100/00000/00003_lr.dat";
    assert!(files[rel].len() > 5000);
    server.cut_once(rel, 4096);
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = fetch_ptbxl(&options(&server.base_url, tmp.path(), &[100]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.resumed, 1);
    assert_eq!(r.downloaded.len(), 12);
    let log: Vec<_> = server.log().into_iter().filter(|l| l.path == rel).collect();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].range, None);
    assert_eq!(log[1].range.as_deref(), Some("bytes=4096-"));
    assert_eq!(
        std::fs::read(tmp.path().join(rel)).expect("file"),
        files[rel]
    );
    assert!(no_part_files(tmp.path()));

    // A .part left by an earlier, killed run is resumed too.
    let rel2 = "records100/00000/00004_lr.dat";
    std::fs::remove_file(tmp.path().join(rel2)).expect("rm");
    std::fs::write(
        tmp.path().join(format!("{rel2}.part")),
        &files[rel2][..1000],
    )
    .expect("part");
    server.clear_log();
    let r2 = fetch_ptbxl(&options(&server.base_url, tmp.path(), &[100])).expect("resume");
    assert_eq!(
        (r2.downloaded.as_slice(), r2.resumed),
        (&[rel2.to_string()][..], 1)
    );
    let log: Vec<_> = server
        .log()
        .into_iter()
        .filter(|l| l.path == rel2)
        .collect();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].range.as_deref(), Some("bytes=1000-"));
    assert_eq!(
        std::fs::read(tmp.path().join(rel2)).expect("file"),
        files[rel2]
    );

    // A stale .part (bytes that are not a prefix of the file) fails the checksum after the
    // resume, and the whole file is fetched once more.
    std::fs::remove_file(tmp.path().join(rel2)).expect("rm");
    std::fs::write(tmp.path().join(format!("{rel2}.part")), vec![0x55u8; 1000]).expect("part");
    server.clear_log();
    let r3 = fetch_ptbxl(&options(&server.base_url, tmp.path(), &[100])).expect("fresh retry");
    assert_eq!(r3.downloaded, [rel2]);
    let ranges: Vec<_> = server
        .log()
        .into_iter()
        .filter(|l| l.path == rel2)
        .map(|l| l.range)
        .collect();
    assert_eq!(ranges, [Some("bytes=1000-".to_string()), None]);
    assert_eq!(
        std::fs::read(tmp.path().join(rel2)).expect("file"),
        files[rel2]
    );
    assert!(no_part_files(tmp.path()));
}

/// A served file whose bytes do not match SHA256SUMS.txt is refused: error naming the file,
/// no file and no .part left behind. A present-but-corrupt local file is downloaded again.
#[test]
fn corrupt_file_is_refused() {
    let Some(dir) = sample_dir() else { return };
    let files = served(&dir);
    let server = Server::start(files.clone());
    let rel = "records100/00000/00002_lr.hea";
    let mut bad = files[rel].clone();
    bad[0] ^= 0x20;
    server.set_file(rel, bad);
    let tmp = tempfile::tempdir().expect("tempdir");
    match fetch_ptbxl(&options(&server.base_url, tmp.path(), &[100])) {
        Err(e @ IoError::Sha256Mismatch { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("00002_lr.hea"), "{msg}");
        }
        other => panic!("expected a checksum refusal, got {other:?}"),
    }
    assert!(!tmp.path().join(rel).exists());
    assert!(no_part_files(tmp.path()));

    // Repaired server; a local file damaged after download is fetched again.
    server.set_file(rel, files[rel].clone());
    fetch_ptbxl(&options(&server.base_url, tmp.path(), &[100])).expect("repaired");
    let dat = tmp.path().join("records100/00000/00001_lr.dat");
    let mut local = std::fs::read(&dat).expect("read");
    local[10] ^= 1;
    std::fs::write(&dat, local).expect("damage");
    let r = fetch_ptbxl(&options(&server.base_url, tmp.path(), &[100])).expect("refetch");
    assert_eq!(r.downloaded, ["records100/00000/00001_lr.dat"]);
    assert_eq!(
        std::fs::read(&dat).expect("read"),
        files["records100/00000/00001_lr.dat"]
    );
}

/// Nothing listening: a Download error that says the network/server is unreachable.
#[test]
fn unreachable_server_gives_a_clear_message() {
    // Bind then drop a listener to get a port with nothing on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let tmp = tempfile::tempdir().expect("tempdir");
    let base = format!("http://127.0.0.1:{port}/");
    match fetch_ptbxl(&options(&base, tmp.path(), &[100])) {
        Err(e @ IoError::Download { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("unreachable") && msg.contains("SHA256SUMS.txt"),
                "{msg}"
            );
        }
        other => panic!("expected a download error, got {other:?}"),
    }
    // A missing list (404) is an HTTP error naming the URL.
    let server = Server::start(HashMap::new());
    match fetch_ptbxl(&options(&server.base_url, tmp.path(), &[100])) {
        Err(e @ IoError::Download { .. }) => assert!(e.to_string().contains("404"), "{e}"),
        other => panic!("expected a 404, got {other:?}"),
    }
}
