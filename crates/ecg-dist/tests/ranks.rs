//! Real multi-process jobs on 127.0.0.1 with the Gloo backend: `ecg-dist-check` started as 2
//! ranks by hand (RANK/WORLD_SIZE/MASTER_*), and under torchrun (agent store); lost ranks
//! (exited, stopped, stalled, never started; the survivors name the lost rank from the
//! heartbeats in the store) and unequal all-gather shapes. Every process is bounded in time
//! and killed (with its process group) when it overruns.
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ecg-dist-check");
/// Generous: 2 ranks share 2 cores with whatever else the machine runs.
const BOUND: Duration = Duration::from_secs(120);
/// Seconds a survivor watches the heartbeats before naming the lost rank (`peers::WINDOW`).
const WINDOW: f64 = 2.0;
/// The documented bound on naming beyond the window: two store readings of at most 2 s each
/// (`PROBE_BUDGET` in group.rs, docs/distributed.md).
const PROBES: f64 = 2.0 * 2.0;

/// A free port below Linux's ephemeral range (32768-60999), so no socket bound to port 0
/// (a Gloo pair, a client connection) can take it between this check and rank 0's bind;
/// distinct for every call of this process.
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(7919)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
    for _ in 0..1000 {
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20000 + (seed.wrapping_add(k.wrapping_mul(104_729)) % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..32000");
}

/// A command with no launcher variables inherited, bound to the loopback interface, in its
/// own process group (so an overrun kills torchrun's workers too).
fn clean(program: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let mut c = Command::new(program);
    for (k, _) in std::env::vars() {
        let launcher = [
            "RANK",
            "WORLD_SIZE",
            "LOCAL_RANK",
            "MASTER_ADDR",
            "MASTER_PORT",
        ]
        .contains(&k.as_str())
            || k.starts_with("SLURM_")
            || k.starts_with("TORCHELASTIC_");
        if launcher {
            c.env_remove(&k);
        }
    }
    c.env("GLOO_SOCKET_IFNAME", "lo")
        .env("OMP_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    c
}

fn rank(r: usize, world: usize, port: u16, args: &[&str]) -> Child {
    clean(BIN)
        .args(args)
        .env("RANK", r.to_string())
        .env("WORLD_SIZE", world.to_string())
        .env("LOCAL_RANK", r.to_string())
        .env("MASTER_ADDR", "127.0.0.1")
        .env("MASTER_PORT", port.to_string())
        .spawn()
        .expect("spawn ecg-dist-check")
}

struct Done {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn kill_group(child: &Child) {
    // The child leads its own process group (process_group(0)): end that group only.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
}

/// Waits at most `bound`; an overrun kills the process group and fails the test.
fn finish(mut child: Child, bound: Duration) -> Done {
    let start = Instant::now();
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > bound {
            kill_group(&child);
            let _ = child.wait();
            panic!(
                "process {} ran past {bound:?} and was killed; stderr:\n{}",
                child.id(),
                t_err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Done {
        status,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}

/// The all-reduce's own duration as the check binary reports it.
fn all_reduce_secs(stderr: &str) -> f64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("ecg-dist-check: all_reduce returned after "))
        .and_then(|s| s.trim_end_matches('s').parse().ok())
        .unwrap_or_else(|| panic!("no all_reduce timing in:\n{stderr}"))
}

#[test]
fn two_ranks_agree_on_every_collective() {
    let port = free_port();
    let ranks: Vec<Child> = (0..2).map(|r| rank(r, 2, port, &[])).collect();
    for (r, child) in ranks.into_iter().enumerate() {
        let d = finish(child, BOUND);
        assert!(d.status.success(), "rank {r}: {}\n{}", d.status, d.stderr);
        assert!(d.stdout.contains(&format!("rank {r}: ok")), "{}", d.stdout);
    }
}

#[test]
fn two_ranks_under_torchrun_use_the_agent_store() {
    let torchrun = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/torchrun");
    assert!(
        torchrun.exists(),
        "{} is missing: run `cargo xtask setup` (it installs torch, which ships torchrun)",
        torchrun.display()
    );
    let port = free_port().to_string();
    let child = clean(&torchrun.to_string_lossy())
        .args([
            "--no-python",
            "--nproc-per-node",
            "2",
            "--master-addr",
            "127.0.0.1",
            "--master-port",
            &port,
            BIN,
        ])
        .spawn()
        .expect("spawn torchrun");
    let d = finish(child, BOUND);
    assert!(d.status.success(), "torchrun: {}\n{}", d.status, d.stderr);
    for r in 0..2 {
        assert!(d.stdout.contains(&format!("rank {r}: ok")), "{}", d.stdout);
    }
    assert!(
        d.stderr.contains("Torchrun") && d.stderr.contains("agent store"),
        "ranks did not see torchrun's agent store:\n{}",
        d.stderr
    );
}

#[test]
fn a_rank_that_exits_makes_the_other_fail_within_the_timeout() {
    let port = free_port();
    let args = ["--scenario", "dead-peer", "--timeout-ms", "4000"];
    let ranks: Vec<Child> = (0..2).map(|r| rank(r, 2, port, &args)).collect();
    let mut done: Vec<Done> = ranks.into_iter().map(|c| finish(c, BOUND)).collect();
    let one = done.pop().expect("rank 1");
    let zero = done.pop().expect("rank 0");
    assert!(
        one.status.success(),
        "rank 1 leaves cleanly: {}",
        one.stderr
    );
    assert_eq!(zero.status.code(), Some(1), "rank 0: {}", zero.stderr);
    assert!(
        zero.stderr
            .contains("rank 0 of 2: all_reduce_sum failed (gloo, timeout 4s)")
            && zero
                .stderr
                .contains(": rank 1 is lost (no heartbeat for 2s"),
        "{}",
        zero.stderr
    );
    let secs = all_reduce_secs(&zero.stderr);
    assert!(
        secs < 4.0 + WINDOW + PROBES,
        "all_reduce took {secs}s with a 4s timeout"
    );
}

#[test]
fn of_three_ranks_both_survivors_name_the_one_that_exits() {
    let port = free_port();
    let args = ["--scenario", "dead-peer", "--timeout-ms", "4000"];
    let ranks: Vec<Child> = (0..3).map(|r| rank(r, 3, port, &args)).collect();
    let mut done: Vec<Done> = ranks.into_iter().map(|c| finish(c, BOUND)).collect();
    let two = done.pop().expect("rank 2");
    assert!(
        two.status.success(),
        "rank 2 leaves cleanly: {}",
        two.stderr
    );
    for (r, d) in done.iter().enumerate() {
        assert_eq!(d.status.code(), Some(1), "rank {r}: {}", d.stderr);
        let survivor = 1 - r;
        assert!(
            d.stderr
                .contains(&format!("rank {r} of 3: all_reduce_sum failed"))
                && d.stderr.contains("rank 2 is lost (no heartbeat")
                && !d.stderr.contains(&format!("rank {survivor} is lost"))
                && !d.stderr.contains("ranks "),
            "rank {r}: {}",
            d.stderr
        );
    }
}

#[test]
fn a_hanging_rank_makes_the_other_fail_within_the_timeout() {
    // Rank 1 stops itself (SIGSTOP) after the barrier: its heartbeat stops with it.
    let port = free_port();
    let args = ["--scenario", "hang", "--timeout-ms", "3000"];
    let zero = rank(0, 2, port, &args);
    let one = rank(1, 2, port, &args);
    let d = finish(zero, BOUND);
    kill_group(&one);
    let _ = finish(one, BOUND);
    assert_eq!(d.status.code(), Some(1), "rank 0: {}", d.stderr);
    assert!(
        d.stderr.contains("rank 0 of 2: all_reduce_sum failed")
            && d.stderr.contains(": rank 1 is lost (no heartbeat for 2s"),
        "{}",
        d.stderr
    );
    let secs = all_reduce_secs(&d.stderr);
    assert!(
        (2.5 + WINDOW..3.0 + WINDOW + PROBES).contains(&secs),
        "all_reduce returned after {secs}s with a 3s timeout"
    );
}

#[test]
fn when_the_store_host_exits_the_survivor_names_it() {
    let port = free_port();
    let args = ["--scenario", "dead-host", "--timeout-ms", "4000"];
    let ranks: Vec<Child> = (0..2).map(|r| rank(r, 2, port, &args)).collect();
    let mut done: Vec<Done> = ranks.into_iter().map(|c| finish(c, BOUND)).collect();
    let one = done.pop().expect("rank 1");
    let zero = done.pop().expect("rank 0");
    assert!(
        zero.status.success(),
        "rank 0 leaves cleanly: {}",
        zero.stderr
    );
    assert_eq!(one.status.code(), Some(1), "rank 1: {}", one.stderr);
    let want =
        format!("the store (hosted by rank 0 at 127.0.0.1:{port}) is unreachable: rank 0 is lost");
    assert!(
        one.stderr.contains("rank 1 of 2: all_reduce_sum failed") && one.stderr.contains(&want),
        "{}",
        one.stderr
    );
    let secs = all_reduce_secs(&one.stderr);
    assert!(
        secs < 4.0 + WINDOW + PROBES,
        "all_reduce took {secs}s with a 4s timeout"
    );
}

#[test]
fn a_stalled_rank_with_a_live_heartbeat_is_not_called_lost() {
    // Rank 1's main thread sleeps after the barrier; its heartbeat thread goes on.
    let port = free_port();
    let args = ["--scenario", "stall", "--timeout-ms", "3000"];
    let zero = rank(0, 2, port, &args);
    let one = rank(1, 2, port, &args);
    let d = finish(zero, BOUND);
    kill_group(&one);
    let _ = finish(one, BOUND);
    assert_eq!(d.status.code(), Some(1), "rank 0: {}", d.stderr);
    assert!(
        d.stderr.contains("rank 0 of 2: all_reduce_sum failed")
            && d.stderr.contains(": no rank is known lost")
            && !d.stderr.contains("is lost"),
        "{}",
        d.stderr
    );
}

#[test]
fn a_rank_that_never_arrives_is_an_error_within_the_timeout() {
    // Rank 0 hosts the store and waits for rank 1; rank 1 alone finds no store.
    for r in 0..2 {
        let d = finish(rank(r, 2, free_port(), &["--timeout-ms", "3000"]), BOUND);
        assert_eq!(d.status.code(), Some(1), "rank {r}: {}", d.stderr);
        let want = format!("rank {r} of 2: joining the gloo process group at 127.0.0.1:");
        assert!(d.stderr.contains(&want), "rank {r}: {}", d.stderr);
        assert!(
            d.elapsed < Duration::from_secs(3 + 30),
            "rank {r} took {:?}",
            d.elapsed
        );
    }
}

#[test]
fn unequal_all_gather_shapes_are_named() {
    let port = free_port();
    let ranks: Vec<Child> = (0..2)
        .map(|r| {
            rank(
                r,
                2,
                port,
                &["--scenario", "mismatch", "--timeout-ms", "20000"],
            )
        })
        .collect();
    for (r, child) in ranks.into_iter().enumerate() {
        let d = finish(child, BOUND);
        assert_eq!(d.status.code(), Some(1), "rank {r}: {}", d.stderr);
        assert!(
            d.stderr
                .contains("all_gather needs equal shapes on every rank")
                && d.stderr.contains("has Float [1, 2]")
                && d.stderr.contains("has Float [2, 2]"),
            "rank {r}: {}",
            d.stderr
        );
    }
}
