//! Jobs that survive what clusters do to them, on the real PTB-XL sample over 127.0.0.1
//! (CPU, Gloo): a rank killed under `torchrun --max-restarts 1` (the restarted group
//! continues from the last step checkpoint), SIGUSR1 to a 2-rank job and SIGTERM to one
//! process (they stop at one agreed step, exit 75, and `--resume auto` continues), a second
//! signal (exits at once, leaves a whole checkpoint), and a checkpoint write past a file-size
//! limit (the previous checkpoint stays, the error names the file). Each ends bit for bit
//! where the uninterrupted run ends. Every child is bounded by a deadline; nothing is timed.
mod support;

use std::path::Path;
use std::process::Command;
use support::jobs::*;

const EPOCHS: usize = 3;

/// The last checkpoint's weights of a run.
fn last(d: &Path, run: &str) -> Vec<u8> {
    bytes(&d.join(format!("runs/{run}/checkpoint-last.safetensors")))
}

#[test]
fn torchrun_restarts_a_killed_rank_and_sigusr1_stops_both_ranks_at_one_step() {
    let Some((src, torchrun)) = inputs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    pack(&src, d);
    // 11 steps per epoch at 2 × 16 records; a step checkpoint every 3 steps.
    let every = "checkpoint_every_steps = 3";
    let u = config(d, "u.toml", "se_resnet1d", "runs/u", EPOCHS, every);
    torchrun2(&torchrun, d, &["train", "--config", &u]);
    let want = last(d, "u");

    // One rank killed in the middle of epoch 2: torchrun restarts both, which continue
    // from the step checkpoint (no --resume on the command line).
    let k = config(d, "k.toml", "se_resnet1d", "runs/k", EPOCHS, every);
    let mut job = spawn(&mut torchrun2_cmd(
        &torchrun,
        d,
        &["--max-restarts", "1"],
        &["train", "--config", &k],
    ));
    let pid = job.id();
    wait_for_step(&d.join("runs/k"), 12, || {
        job.try_wait().expect("wait").is_none()
    });
    let r1 = torchrun_worker(pid, 1).expect("rank 1 of the torchrun job");
    signal(r1, "KILL");
    let err = ok(wait_bounded(job, LIMIT), "torchrun --max-restarts 1");
    assert!(
        err.contains("TORCHELASTIC_RESTART_COUNT"),
        "the restarted ranks say they resume:\n{err}"
    );
    assert!(
        last(d, "k") == want,
        "a rank killed and restarted by torchrun differs from the uninterrupted run"
    );
    assert_eq!(world(&d.join("runs/k"))["bit_exact"], true);

    // SIGUSR1 (what SLURM's --signal sends) to both ranks, one after the other: they stop
    // at one step, write the checkpoint and exit 75; the rerun continues.
    let s = config(d, "s.toml", "se_resnet1d", "runs/s", EPOCHS, every);
    let port = free_port();
    let args = ["train", "--config", &s, "--resume", "auto"];
    let mut r0 = rank(d, 0, port, &args);
    let r1 = rank(d, 1, port, &args);
    wait_for_step(&d.join("runs/s"), 3, || {
        r0.try_wait().expect("wait").is_none()
    });
    signal(r1.id(), "USR1");
    signal(r0.id(), "USR1");
    let (o0, o1) = (wait_bounded(r0, LIMIT), wait_bounded(r1, LIMIT));
    let (e0, e1) = (
        String::from_utf8_lossy(&o0.stderr),
        String::from_utf8_lossy(&o1.stderr),
    );
    assert_eq!(o0.status.code(), Some(75), "rank 0:\n{e0}");
    assert_eq!(o1.status.code(), Some(75), "rank 1:\n{e1}");
    let step = stop_step(&e0).unwrap_or_else(|| panic!("rank 0 names its stop step:\n{e0}"));
    assert_eq!(
        stop_step(&e1),
        Some(step),
        "rank 1 stops at rank 0's step:\n{e1}"
    );
    assert!(
        e1.contains("rank 1: "),
        "rank 1's lines carry its rank:\n{e1}"
    );
    assert!(
        !e1.contains("INFO"),
        "rank 1 prints warnings and errors only:\n{e1}"
    );
    assert!(!e0.contains('\x1b'), "no colour codes in a pipe:\n{e0}");
    assert_eq!(saved_step(&d.join("runs/s")), step);
    assert!(
        step < (EPOCHS * 11) as u64,
        "the run ended before the signal"
    );
    torchrun2(&torchrun, d, &["train", "--config", &s, "--resume", "auto"]);
    assert!(
        last(d, "s") == want,
        "2-rank SIGUSR1 stop + --resume auto differs from the uninterrupted run"
    );
}

/// `ecg <args>` under a file-size limit of 64 blocks of the shell's `ulimit -f` (32 or
/// 64 KiB: above config.toml and distributed.json, below a checkpoint).
fn ecg_with_file_limit(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir)
        .args(["-c", "ulimit -f 64 && exec \"$0\" \"$@\""])
        .arg(ecg_bin())
        .args(args);
    cmd
}

#[test]
fn sigterm_a_second_signal_and_a_full_disk_each_resume_to_the_uninterrupted_weights() {
    let Some((src, _)) = inputs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    pack(&src, d);
    let every = "checkpoint_every_steps = 2";
    let u = config(d, "u.toml", "se_resnet1d", "runs/u", EPOCHS, every);
    ecg(d, &["train", "--config", &u]);
    let want = last(d, "u");

    // SIGTERM in the middle of epoch 1: exit 75 after the checkpoint of the stop step.
    let s = config(d, "s.toml", "se_resnet1d", "runs/s", EPOCHS, every);
    let run = d.join("runs/s");
    let args = ["train", "--config", &s, "--resume", "auto"];
    let mut job = spawn(&mut ecg_cmd(d, &args));
    wait_for_step(&run, 4, || job.try_wait().expect("wait").is_none());
    signal(job.id(), "TERM");
    let out = wait_bounded(job, LIMIT);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{err}");
    let step = stop_step(&err).unwrap_or_else(|| panic!("names its stop step:\n{err}"));
    assert!(err.contains("SIGTERM"), "{err}");
    assert_eq!(saved_step(&run), step);
    let st = state(&run).expect("state");
    assert_eq!(st["epochs_done"], 0, "stopped before the end of epoch 1");

    // A checkpoint write past the file-size limit fails (EFBIG: SIGXFSZ is caught); the
    // error names the file and the previous checkpoint is left whole.
    let before = (last(d, "s"), bytes(&run.join("checkpoint-last.state.json")));
    let out = wait_bounded(spawn(&mut ecg_with_file_limit(d, &args)), LIMIT);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "fails with an error:\n{err}");
    assert!(
        err.contains("checkpoint-last.safetensors") && err.contains("intact"),
        "the error names the file and says the previous checkpoint is intact:\n{err}"
    );
    assert!(
        err.to_lowercase().contains("file too large"),
        "the error says why:\n{err}"
    );
    let after = (last(d, "s"), bytes(&run.join("checkpoint-last.state.json")));
    assert!(before == after, "the previous checkpoint changed");
    let staged: Vec<_> = std::fs::read_dir(&run)
        .expect("run folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.file_name())
        .collect();
    assert!(staged.is_empty(), "left behind: {staged:?}");

    // Without the limit the same command continues; a second SIGTERM exits at once
    // (128 + 15) without waiting for the step, and what it leaves resumes too.
    let mut job = spawn(&mut ecg_cmd(d, &args));
    wait_for_step(&run, step + 4, || job.try_wait().expect("wait").is_none());
    // 10 ms apart: two signals pending at once would count as one; the stop after the
    // first one (a step, a checkpoint) takes longer.
    let twice = format!("kill -s TERM {0}; sleep 0.01; kill -s TERM {0}", job.id());
    let sent = Command::new("sh")
        .args(["-c", &twice])
        .status()
        .expect("sh");
    assert!(sent.success(), "{twice}");
    let out = wait_bounded(job, LIMIT);
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ecg(d, &args);
    assert!(
        last(d, "s") == want,
        "SIGTERM + full disk + second signal + --resume auto differ from the uninterrupted run"
    );
    // One metrics line per epoch, each over the whole epoch (the interrupted epochs'
    // sums travel with their step checkpoints; through JSON, so up to its last bits).
    let (ms, mu) = (metrics(d, "s"), metrics(d, "u"));
    assert_eq!(ms.len(), EPOCHS, "{ms:?}");
    for (a, b) in ms.iter().zip(&mu) {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()) || x == y;
        assert!(
            a.0 == b.0
                && a.1 == b.1
                && close(a.2, b.2)
                && (close(a.3, b.3) || (a.3.is_nan() && b.3.is_nan())),
            "metrics differ: {a:?} vs {b:?}"
        );
    }
}

/// Per epoch of a run's metrics.jsonl: (epoch, global step, train loss, validation AUC).
fn metrics(d: &Path, run: &str) -> Vec<(u64, u64, f64, f64)> {
    let text = std::fs::read_to_string(d.join(format!("runs/{run}/metrics.jsonl"))).expect("m");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            (
                v["epoch"].as_u64().expect("epoch"),
                v["global_step"].as_u64().expect("step"),
                v["train_loss"].as_f64().expect("loss"),
                v["val_macro_auc"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

#[test]
fn resume_auto_starts_an_empty_folder_and_still_refuses_another_config() {
    let Some((src, _)) = inputs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    pack(&src, d);
    let a = config(d, "a.toml", "fcn_wang", "runs/a", 1, "");
    let err = ecg(d, &["train", "--config", &a, "--resume", "auto"]);
    assert!(err.contains("starting one"), "{err}");
    let b = config(d, "b.toml", "fcn_wang", "runs/a", 2, "");
    let out = wait_bounded(
        spawn(&mut ecg_cmd(
            d,
            &["train", "--config", &b, "--resume", "auto"],
        )),
        LIMIT,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("differs from the run's") && err.contains("train.epochs"),
        "{err}"
    );
    // Plain --resume keeps its meaning: continue (here: a finished run, nothing to do).
    let err = ecg(d, &["train", "--config", &a, "--resume"]);
    assert!(err.contains("already finished"), "{err}");
}
