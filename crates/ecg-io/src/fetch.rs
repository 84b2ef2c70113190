//! Download PTB-XL from PhysioNet (or a mirror) with checksums, resume and parallelism.
//!
//! [`fetch_ptbxl`] first downloads `SHA256SUMS.txt` (the dataset's own checksum list, the
//! root of trust), then `ptbxl_database.csv`, `scp_statements.csv` and the record files of
//! the sampling rates asked for (`records100/…_lr.{hea,dat}`, `records500/…_hr.{hea,dat}`,
//! exactly as listed in `SHA256SUMS.txt`).
//!
//! Per file:
//! - a file already at its destination whose SHA-256 matches is skipped (not re-fetched);
//! - otherwise bytes go to `<file>.part`; an interrupted transfer is resumed with an HTTP
//!   `Range: bytes=<len>-` request (a server answering 200 instead of 206 restarts it);
//! - the finished `.part` is hashed; on a match it is renamed into place; on a mismatch it
//!   is deleted (a transfer that had resumed an old `.part` is retried once from scratch)
//!   and the fetch fails with [`IoError::Sha256Mismatch`] naming the file.
//!
//! Files are fetched by a few worker threads; the first error stops the others and is
//! returned. Progress is a tracing span with an indicatif bar (one tick per file).
//! Network failures are [`IoError::Download`] with a message saying what to check.
use crate::error::{IoError, Result};
use crate::sha256sums::{verify_file, Sha256Digest, Sha256Sums};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tracing_indicatif::span_ext::IndicatifSpanExt;

/// PTB-XL 1.0.3 on PhysioNet.
pub const PTBXL_BASE_URL: &str = "https://physionet.org/files/ptb-xl/1.0.3/";

/// The checksum list's name, relative to the base URL.
pub const SUMS_FILE: &str = "SHA256SUMS.txt";

/// The two metadata tables every PTB-XL download includes.
pub const PTBXL_TABLES: [&str; 2] = ["ptbxl_database.csv", "scp_statements.csv"];

/// What to fetch and how.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base URL of the dataset (a trailing `/` is added when missing).
    pub base_url: String,
    /// Destination directory (created when missing); the dataset's layout is kept below it.
    pub out: PathBuf,
    /// Sampling rates whose records to fetch: 100 and/or 500.
    pub rates: Vec<u32>,
    /// Parallel downloads.
    pub threads: usize,
    /// Attempts per file (each after the first resumes the `.part` file).
    pub attempts: u32,
    /// Connect timeout and per-read timeout.
    pub timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            base_url: PTBXL_BASE_URL.to_string(),
            out: PathBuf::from("ptb-xl"),
            rates: vec![100],
            threads: 4,
            attempts: 5,
            timeout: Duration::from_secs(30),
        }
    }
}

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FetchReport {
    /// Files selected from `SHA256SUMS.txt` (tables + records), not counting the list.
    pub files: usize,
    /// Files transferred in this run (relative paths, sorted).
    pub downloaded: Vec<String>,
    /// Files already present with a matching checksum.
    pub skipped: usize,
    /// Transfers that resumed a `.part` file with a Range request.
    pub resumed: usize,
    /// Body bytes received (excluding `SHA256SUMS.txt`).
    pub bytes: u64,
}

/// The files of a PTB-XL download for the given rates, as listed in `sums`: the two tables,
/// then each rate's `.hea`/`.dat` files in list order. Errors when a table is not listed,
/// a rate is not 100 or 500, or no record of a requested rate is listed.
pub fn select_ptbxl_files(sums: &Sha256Sums, rates: &[u32]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for t in PTBXL_TABLES {
        if sums.get(t).is_none() {
            return Err(IoError::invalid(
                sums.source(),
                "path",
                format!("`{t}` is not listed"),
            ));
        }
        out.push(t.to_string());
    }
    for &rate in rates {
        let suffix = match rate {
            100 => "_lr",
            500 => "_hr",
            other => {
                return Err(IoError::invalid(
                    sums.source(),
                    "rates",
                    format!("PTB-XL has records at 100 and 500 Hz, not {other} Hz"),
                ))
            }
        };
        let prefix = format!("records{rate}/");
        let before = out.len();
        for (p, _) in sums.iter() {
            let is_record = p.starts_with(&prefix)
                && (p.ends_with(&format!("{suffix}.hea")) || p.ends_with(&format!("{suffix}.dat")));
            if is_record && !out.iter().any(|q| q == p) {
                out.push(p.to_string());
            }
        }
        if out.len() == before {
            return Err(IoError::invalid(
                sums.source(),
                "path",
                format!("no `{prefix}*{suffix}.{{hea,dat}}` file is listed"),
            ));
        }
    }
    Ok(out)
}

/// Download PTB-XL (see the module docs).
pub fn fetch_ptbxl(opts: &FetchOptions) -> Result<FetchReport> {
    let base = if opts.base_url.ends_with('/') {
        opts.base_url.clone()
    } else {
        format!("{}/", opts.base_url)
    };
    fs::create_dir_all(&opts.out).map_err(|e| IoError::io(&opts.out, e))?;
    let agent = make_agent(opts.timeout, &base);

    // 1. The checksum list (always fetched fresh: it is the root of trust).
    let sums_url = format!("{base}{SUMS_FILE}");
    let sums_path = opts.out.join(SUMS_FILE);
    let text = get_text(&agent, &sums_url)?;
    write_atomically(&sums_path, text.as_bytes())?;
    let sums = Sha256Sums::parse(&text, &sums_path)?;

    // 2. The selection, checked for paths that would leave `out`.
    let files = select_ptbxl_files(&sums, &opts.rates)?;
    for f in &files {
        safe_relative(f, &sums_path)?;
    }
    tracing::info!(
        "{}: {} files ({} Hz) from {base}",
        opts.out.display(),
        files.len(),
        opts.rates
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 3. Workers pull from a shared index; the first error cancels the rest.
    let span = tracing::info_span!("fetch", dataset = "ptb-xl");
    span.pb_set_length(files.len() as u64);
    let next = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let bytes = AtomicU64::new(0);
    let resumed = AtomicUsize::new(0);
    let skipped = AtomicUsize::new(0);
    let downloaded: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<IoError>> = Mutex::new(None);
    let threads = opts.threads.clamp(1, 16).min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(rel) = files.get(i) else { break };
                let Some(expected) = sums.get(rel) else { break };
                let job = Job {
                    agent: &agent,
                    url: format!("{base}{rel}"),
                    dest: opts.out.join(rel),
                    expected,
                    attempts: opts.attempts.max(1),
                    cancel: &cancel,
                };
                match job.run() {
                    Ok(Outcome::Skipped) => {
                        skipped.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Outcome::Downloaded {
                        bytes: b,
                        resumed: r,
                    }) => {
                        bytes.fetch_add(b, Ordering::Relaxed);
                        resumed.fetch_add(r, Ordering::Relaxed);
                        if let Ok(mut d) = downloaded.lock() {
                            d.push(rel.clone());
                        }
                    }
                    Err(e) => {
                        cancel.store(true, Ordering::Relaxed);
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                        break;
                    }
                }
                span.pb_inc(1);
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut downloaded = downloaded.into_inner().unwrap_or_default();
    downloaded.sort();
    let report = FetchReport {
        files: files.len(),
        downloaded,
        skipped: skipped.into_inner(),
        resumed: resumed.into_inner(),
        bytes: bytes.into_inner(),
    };
    tracing::info!(
        "{}: {} files verified ({} downloaded, {} already present, {} resumed, {} bytes)",
        opts.out.display(),
        report.files,
        report.downloaded.len(),
        report.skipped,
        report.resumed,
        report.bytes
    );
    Ok(report)
}

/// The HTTP agent: status codes handled here, timeouts, and no proxy for loopback base URLs
/// (a `HTTP_PROXY` in the environment must not capture a local mirror or test server).
fn make_agent(timeout: Duration, base: &str) -> ureq::Agent {
    let authority = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1");
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(timeout))
        .timeout_per_read(Some(timeout))
        .user_agent(concat!("ecg-io/", env!("CARGO_PKG_VERSION")));
    if loopback {
        config = config.proxy(None);
    }
    ureq::Agent::new_with_config(config.build())
}

/// A `Download` error whose message says what failed and what to check.
fn net_error(url: &str, e: &ureq::Error) -> IoError {
    let hint = match e {
        ureq::Error::HostNotFound => {
            "host not found: is the network reachable (DNS)? Use --base-url for a mirror"
        }
        ureq::Error::ConnectionFailed | ureq::Error::Timeout(_) => {
            "cannot connect: the network or the server is unreachable (check the connection, \
             a proxy, or use --base-url for a mirror)"
        }
        // Failing before any response (refused, DNS lookup, reset): unreachable.
        ureq::Error::Io(_) => {
            "cannot connect: the network or the server is unreachable (check the connection, \
             DNS, a proxy, or use --base-url for a mirror)"
        }
        _ => "download failed",
    };
    IoError::Download {
        url: url.to_string(),
        msg: format!("{hint}: {e}"),
    }
}

fn is_connect_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | NotConnected | AddrNotAvailable | NetworkUnreachable | HostUnreachable
    )
}

fn get_text(agent: &ureq::Agent, url: &str) -> Result<String> {
    let resp = agent
        .get(url)
        .header("Accept-Encoding", "identity")
        .call()
        .map_err(|e| net_error(url, &e))?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(IoError::Download {
            url: url.to_string(),
            msg: format!("HTTP status {status}"),
        });
    }
    let mut body = Vec::new();
    resp.into_body()
        .into_reader()
        .read_to_end(&mut body)
        .map_err(|e| IoError::Download {
            url: url.to_string(),
            msg: format!("connection broke while reading: {e}"),
        })?;
    String::from_utf8(body).map_err(|_| IoError::Download {
        url: url.to_string(),
        msg: "not UTF-8 text".into(),
    })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = part_path(path);
    fs::write(&tmp, bytes).map_err(|e| IoError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| IoError::io(path, e))
}

/// `dir/name.ext` → `dir/name.ext.part`.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// Refuse a listed path that is absolute or climbs out of the destination directory.
fn safe_relative(rel: &str, list: &Path) -> Result<()> {
    let p = Path::new(rel);
    let ok = !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(IoError::invalid(
            list,
            "path",
            format!("`{rel}` is not a plain relative path"),
        ))
    }
}

enum Outcome {
    Skipped,
    Downloaded { bytes: u64, resumed: usize },
}

/// One file's download.
struct Job<'a> {
    agent: &'a ureq::Agent,
    url: String,
    dest: PathBuf,
    expected: &'a Sha256Digest,
    attempts: u32,
    cancel: &'a AtomicBool,
}

/// How one transfer attempt ended.
enum Attempt {
    /// The body was received completely.
    Complete,
    /// The connection broke; the `.part` file keeps what arrived.
    Broken(String),
}

impl Job<'_> {
    fn run(&self) -> Result<Outcome> {
        if self.dest.is_file() {
            match verify_file(&self.dest, self.expected) {
                Ok(()) => return Ok(Outcome::Skipped),
                Err(IoError::Sha256Mismatch { .. }) => {
                    tracing::warn!(
                        "{}: checksum mismatch, downloading again",
                        self.dest.display()
                    );
                    fs::remove_file(&self.dest).map_err(|e| IoError::io(&self.dest, e))?;
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(dir) = self.dest.parent() {
            fs::create_dir_all(dir).map_err(|e| IoError::io(dir, e))?;
        }
        let part = part_path(&self.dest);
        let mut bytes = 0u64;
        let mut resumed = 0usize;
        let mut last_problem = String::new();
        let mut fresh_retry = false;
        for attempt in 0..self.attempts + 1 {
            if attempt == self.attempts && !fresh_retry {
                break;
            }
            if self.cancel.load(Ordering::Relaxed) {
                return Err(IoError::Download {
                    url: self.url.clone(),
                    msg: "cancelled after another file failed".into(),
                });
            }
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200 * u64::from(attempt)));
            }
            let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
            if have > 0 {
                resumed += 1;
            }
            match self.transfer(&part, have, &mut bytes)? {
                Attempt::Complete => match self.finish(&part, bytes, resumed) {
                    // A resumed file that fails its checksum may have started from a stale
                    // `.part` (another version, a damaged disk): `finish` deleted it; fetch
                    // the whole file once more before refusing.
                    Err(IoError::Sha256Mismatch { .. }) if resumed > 0 && !fresh_retry => {
                        tracing::warn!(
                            "{}: checksum mismatch after resuming; downloading the whole file again",
                            self.dest.display()
                        );
                        fresh_retry = true;
                    }
                    other => return other,
                },
                Attempt::Broken(msg) => {
                    tracing::debug!("{}: {msg}; resuming", self.url);
                    last_problem = msg;
                }
            }
        }
        Err(IoError::Download {
            url: self.url.clone(),
            msg: format!(
                "gave up after {} attempts (the partial file {} is kept for the next run): {last_problem}",
                self.attempts,
                part.display()
            ),
        })
    }

    /// One request: ask for the bytes after `have` and append them to `part`.
    fn transfer(&self, part: &Path, have: u64, bytes: &mut u64) -> Result<Attempt> {
        let mut req = self
            .agent
            .get(&self.url)
            .header("Accept-Encoding", "identity");
        if have > 0 {
            req = req.header("Range", format!("bytes={have}-"));
        }
        let resp = match req.call() {
            Ok(r) => r,
            // Unreachable at all: fail now with a clear message.
            Err(e @ (ureq::Error::HostNotFound | ureq::Error::ConnectionFailed)) => {
                return Err(net_error(&self.url, &e))
            }
            Err(ureq::Error::Io(io)) if is_connect_error(&io) => {
                return Err(net_error(&self.url, &ureq::Error::Io(io)))
            }
            Err(e) => return Ok(Attempt::Broken(e.to_string())),
        };
        let status = resp.status().as_u16();
        let append = match status {
            206 if have > 0 => true,
            200 => false,
            416 if have > 0 => {
                // Nothing after `have`: the part is already complete (or longer than the
                // file, which the checksum will tell).
                return Ok(Attempt::Complete);
            }
            _ => {
                return Err(IoError::Download {
                    url: self.url.clone(),
                    msg: format!("HTTP status {status}"),
                })
            }
        };
        let file = if append {
            OpenOptions::new().append(true).open(part)
        } else {
            File::create(part)
        };
        let mut file = file.map_err(|e| IoError::io(part, e))?;
        let mut reader = resp.into_body().into_reader();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    file.flush().map_err(|e| IoError::io(part, e))?;
                    return Ok(Attempt::Broken(format!(
                        "connection broke while reading: {e}"
                    )));
                }
            };
            file.write_all(&buf[..n])
                .map_err(|e| IoError::io(part, e))?;
            *bytes += n as u64;
        }
        file.flush().map_err(|e| IoError::io(part, e))?;
        Ok(Attempt::Complete)
    }

    /// Verify the finished `.part`; rename it into place, or delete it and refuse.
    fn finish(&self, part: &Path, bytes: u64, resumed: usize) -> Result<Outcome> {
        match verify_file(part, self.expected) {
            Ok(()) => {
                fs::rename(part, &self.dest).map_err(|e| IoError::io(&self.dest, e))?;
                Ok(Outcome::Downloaded { bytes, resumed })
            }
            Err(IoError::Sha256Mismatch {
                expected, actual, ..
            }) => {
                let _ = fs::remove_file(part);
                Err(IoError::Sha256Mismatch {
                    path: self.dest.clone(),
                    expected,
                    actual,
                })
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(text: &str) -> Sha256Sums {
        Sha256Sums::parse(text, Path::new("SHA256SUMS.txt")).expect("list")
    }

    const D: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn selects_tables_and_the_requested_rates_only() {
        let list = sums(&format!(
            "{D} LICENSE.txt\n{D} ptbxl_database.csv\n{D} records100/00000/00001_lr.dat\n\
             {D} records100/00000/00001_lr.hea\n{D} records500/00000/00001_hr.dat\n\
             {D} records500/00000/00001_hr.hea\n{D} scp_statements.csv\n{D} example_physionet.py\n"
        ));
        let lr = select_ptbxl_files(&list, &[100]).expect("100 Hz");
        assert_eq!(
            lr,
            [
                "ptbxl_database.csv",
                "scp_statements.csv",
                "records100/00000/00001_lr.dat",
                "records100/00000/00001_lr.hea"
            ]
        );
        let both = select_ptbxl_files(&list, &[100, 500]).expect("both");
        assert_eq!(both.len(), 6);
        assert!(select_ptbxl_files(&list, &[250]).is_err());
        let no_tables = sums(&format!("{D} records100/00000/00001_lr.dat\n"));
        assert!(select_ptbxl_files(&no_tables, &[100]).is_err());
        let no_500 = sums(&format!(
            "{D} ptbxl_database.csv\n{D} scp_statements.csv\n{D} records100/a_lr.dat\n"
        ));
        assert!(select_ptbxl_files(&no_500, &[500]).is_err());
    }

    #[test]
    fn refuses_paths_leaving_the_destination() {
        let l = Path::new("S");
        assert!(safe_relative("records100/00000/00001_lr.dat", l).is_ok());
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "./a"] {
            assert!(safe_relative(bad, l).is_err(), "{bad}");
        }
        assert_eq!(part_path(Path::new("a/b.dat")), Path::new("a/b.dat.part"));
    }
}
