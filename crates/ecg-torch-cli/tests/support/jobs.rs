//! Training jobs as users start them (`ecg`, `torchrun`, ranks launched by hand) over the
//! real PTB-XL sample, each child bounded by a deadline (killed past it; nothing is
//! timed), and what tests read back from their run folders.
#![allow(dead_code)] // each test file uses a part
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The bound on every child process.
pub const LIMIT: Duration = Duration::from_secs(600);

/// The user's `ecg`, which hands train/distill/pretrain/eval to `ecg-torch` (same process).
pub fn ecg_bin() -> PathBuf {
    super::ecg()
}

fn skip(what: &Path, why: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "!!!! SKIPPED: {} not found ({why}); data-parallel CLI test not run !!!!",
        what.display()
    );
}

/// The sample and torchrun, or None (loudly) when either is absent.
pub fn inputs() -> Option<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sample = root.join("../shared/data/ptbxl-sample");
    let torchrun = root.join(".venv/bin/torchrun");
    if !sample.join("ptbxl_database.csv").is_file() {
        skip(&sample, "../shared is absent");
        return None;
    }
    if !torchrun.is_file() {
        skip(&torchrun, "run cargo xtask setup");
        return None;
    }
    Some((sample, torchrun))
}

/// Waits for `child` until `limit`, killing it past that (a bound, not an assertion).
pub fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running after {limit:?}, killed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

pub fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("OMP_NUM_THREADS", "1")
        .spawn()
        .expect("spawn")
}

pub fn ok(out: Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{what} failed:\n{err}");
    err
}

/// `torchrun --standalone --nproc-per-node 2 <extra> --no-python ecg <args>`.
pub fn torchrun2_cmd(torchrun: &Path, dir: &Path, extra: &[&str], args: &[&str]) -> Command {
    let mut cmd = Command::new(torchrun);
    cmd.current_dir(dir)
        .args(["--standalone", "--nproc-per-node", "2"])
        .args(extra)
        .arg("--no-python")
        .arg(ecg_bin())
        .args(args);
    cmd
}

/// `ecg <args>` as 2 ranks under `torchrun --standalone --no-python`; its stderr.
pub fn torchrun2(torchrun: &Path, dir: &Path, args: &[&str]) -> String {
    let out = wait_bounded(spawn(&mut torchrun2_cmd(torchrun, dir, &[], args)), LIMIT);
    ok(out, &format!("torchrun 2 × ecg {}", args.join(" ")))
}

pub fn ecg_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(ecg_bin());
    cmd.current_dir(dir).args(args);
    cmd
}

/// `ecg <args>` in `dir`, which must succeed; its stderr.
pub fn ecg(dir: &Path, args: &[&str]) -> String {
    let out = wait_bounded(spawn(&mut ecg_cmd(dir, args)), LIMIT);
    ok(out, &format!("ecg {}", args.join(" ")))
}

/// Packs the sample's 100 Hz records (as the other e2e tests do).
pub fn pack(src: &Path, dir: &Path) {
    let src = src.to_str().expect("utf-8 path");
    ecg(
        dir,
        &[
            "pack",
            "ptbxl",
            "--rate",
            "100",
            "--bandpass",
            "0.5:40",
            "--data",
            src,
            "--out",
            "sample.pack.safetensors",
        ],
    );
}

/// A small training config over the packed sample; `extra` goes into `[train]`.
pub fn config(
    dir: &Path,
    name: &str,
    preset: &str,
    out: &str,
    epochs: usize,
    extra: &str,
) -> String {
    let text = format!(
        r#"
[data]
pack = "sample.pack.safetensors"
task = "superdiagnostic"
input = {{ kind = "crop", length = 250, stride = 125, aggregate = "max" }}

[model]
preset = "{preset}"

[optim]
lr = 3e-3

[train]
epochs = {epochs}
batch_size = 32
seed = 3
device = "cpu"
output_dir = "{out}"
{extra}
"#
    );
    std::fs::write(dir.join(name), text).expect("write config");
    name.to_string()
}

/// `distributed.json` of a run folder.
pub fn world(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("distributed.json")).expect("json"))
        .expect("parse")
}

pub fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The resume state of a run folder, once written.
pub fn state(run: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(run.join("checkpoint-last.state.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The global step of the run's last checkpoint (0 before the first).
pub fn saved_step(run: &Path) -> u64 {
    state(run).map_or(0, |s| s["global_step"].as_u64().expect("global_step"))
}

/// Waits until the run's last checkpoint is at `step` or later, while `alive` holds.
pub fn wait_for_step(run: &Path, step: u64, mut alive: impl FnMut() -> bool) {
    let start = Instant::now();
    while saved_step(run) < step {
        assert!(start.elapsed() < LIMIT, "no checkpoint at step {step}");
        assert!(alive(), "the job ended before step {step}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A free TCP port on 127.0.0.1 for a hand-launched job's store.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// One rank of a 2-rank job launched by hand (torchrun's variables, rank 0 hosts the store).
pub fn rank(dir: &Path, r: usize, port: u16, args: &[&str]) -> Child {
    spawn(
        Command::new(ecg_bin())
            .current_dir(dir)
            .args(args)
            .env("RANK", r.to_string())
            .env("LOCAL_RANK", r.to_string())
            .env("WORLD_SIZE", "2")
            .env("LOCAL_WORLD_SIZE", "2")
            .env("MASTER_ADDR", "127.0.0.1")
            .env("MASTER_PORT", port.to_string())
            .env_remove("TORCHELASTIC_USE_AGENT_STORE"),
    )
}

/// Sends `signal` (a name `kill -s` takes: TERM, USR1, KILL) to process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -s {signal} {pid}")])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -s {signal} {pid} failed");
}

/// The children of process `pid` (Linux: /proc/<pid>/task/*/children).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(t.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out
}

/// A variable of process `pid`'s environment.
pub fn env_of(pid: u32, key: &str) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    raw.split(|&b| b == 0).find_map(|kv| {
        let kv = String::from_utf8_lossy(kv);
        kv.strip_prefix(&format!("{key}="))
            .map(std::string::ToString::to_string)
    })
}

/// The worker of a torchrun job with RANK `r`.
pub fn torchrun_worker(torchrun_pid: u32, r: usize) -> Option<u32> {
    children(torchrun_pid)
        .into_iter()
        .find(|&c| env_of(c, "RANK").as_deref() == Some(&r.to_string()))
}

/// The step named in the first `after step N` of a log.
pub fn stop_step(log: &str) -> Option<u64> {
    let at = log.find("after step ")? + "after step ".len();
    log[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
