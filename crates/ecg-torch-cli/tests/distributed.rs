//! Data-parallel `ecg train`, `ecg distill` and `ecg pretrain` with 2 Gloo ranks on
//! 127.0.0.1 over the real PTB-XL sample: under torchrun, rank 0's checkpoints evaluate;
//! a killed rank stops the other within `--dist-timeout` and the rerun resumes; a 2-rank run
//! stopped (or killed) and resumed ends bit for bit where the uninterrupted one ends.
//! Every child process is bounded by a deadline (killed past it); nothing is timed.
mod support;

use support::jobs::*;

use std::path::Path;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(600);

#[test]
fn two_ranks_train_distil_with_clt_and_pretrain_lcd_then_rank_0_evaluates() {
    let Some((src, torchrun)) = inputs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    pack(&src, d);
    let t = config(d, "teacher.toml", "se_resnet1d", "runs/teacher", 2, "");
    torchrun2(
        &torchrun,
        d,
        &["train", "--config", &t, "--dist-timeout", "120"],
    );
    let teacher = d.join("runs/teacher/checkpoint-best.safetensors");
    let w = world(&d.join("runs/teacher"));
    assert_eq!(w["world_size"], 2);
    assert_eq!(w["backend"], "gloo");
    assert_eq!(w["bit_exact"], true);
    let lines = std::fs::read_to_string(d.join("runs/teacher/metrics.jsonl")).expect("metrics");
    assert_eq!(
        lines.lines().count(),
        2,
        "rank 0 alone writes metrics.jsonl"
    );

    let s = config(d, "student.toml", "fcn_wang", "runs/student", 2, "");
    let mut text = std::fs::read_to_string(d.join(&s)).expect("read");
    text.push_str(
        "\n[distill]\nalpha = 0.5\ntemperature = 2.0\nbeta = 1.0\n\
         [distill.clt]\ndim = 16\nnegatives = 32\n",
    );
    std::fs::write(d.join(&s), text).expect("write");
    let teacher_s = teacher.to_str().expect("utf-8");
    torchrun2(
        &torchrun,
        d,
        &["distill", "--config", &s, "--teacher", teacher_s],
    );
    let metrics = std::fs::read_to_string(d.join("runs/student/metrics.jsonl")).expect("m");
    let last: serde_json::Value =
        serde_json::from_str(metrics.lines().last().expect("line")).expect("json");
    assert!(last["train_clt_loss"].as_f64().expect("clt").is_finite());

    let l = config(d, "lcd.toml", "se_resnet1d", "runs/lcd", 2, "");
    let mut text = std::fs::read_to_string(d.join(&l)).expect("read");
    text.push_str("\n[lcd]\nhidden = 32\ndim = 16\n");
    std::fs::write(d.join(&l), text).expect("write");
    torchrun2(&torchrun, d, &["pretrain", "--config", &l]);
    assert!(d.join("runs/lcd/encoder.safetensors").is_file());
    assert_eq!(world(&d.join("runs/lcd"))["world_size"], 2);

    for run in ["teacher", "student"] {
        let ckpt = d.join(format!("runs/{run}/checkpoint-best.safetensors"));
        let out = d.join(format!("eval-{run}"));
        ecg(
            d,
            &[
                "eval",
                "--checkpoint",
                ckpt.to_str().expect("utf-8"),
                "--split",
                "test",
                "--bootstrap",
                "5",
                "--out",
                out.to_str().expect("utf-8"),
            ],
        );
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("m"))
                .expect("json");
        let auc = m["macro_auc"].as_f64().expect("macro_auc");
        assert!((0.0..=1.0).contains(&auc), "{run}: macro-AUC {auc}");
    }
}

/// A free TCP port on 127.0.0.1 for a hand-launched job's store.
fn epochs_logged(run: &Path) -> usize {
    std::fs::read_to_string(run.join("metrics.jsonl")).map_or(0, |t| t.lines().count())
}

#[test]
fn a_killed_rank_stops_the_other_and_two_rank_runs_resume_bit_for_bit() {
    let Some((src, torchrun)) = inputs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    pack(&src, d);
    const EPOCHS: usize = 30;
    // The uninterrupted 2-rank run.
    let u = config(d, "u.toml", "se_resnet1d", "runs/u", EPOCHS, "");
    torchrun2(&torchrun, d, &["train", "--config", &u]);
    let last = |run: &str| bytes(&d.join(format!("runs/{run}/checkpoint-last.safetensors")));
    let want = last("u");

    // Stopped in the middle of epoch 2 (11 steps per epoch at 2 × 16 records), resumed.
    let s = config(
        d,
        "s.toml",
        "se_resnet1d",
        "runs/s",
        EPOCHS,
        "stop_after_steps = 16",
    );
    torchrun2(&torchrun, d, &["train", "--config", &s]);
    let s2 = config(d, "s2.toml", "se_resnet1d", "runs/s", EPOCHS, "");
    torchrun2(&torchrun, d, &["train", "--config", &s2, "--resume"]);
    assert!(
        last("s") == want,
        "2-rank stop + resume differs from the uninterrupted run"
    );

    // Killed: rank 1 dies after two epochs; rank 0 fails within --dist-timeout.
    let k = config(d, "k.toml", "se_resnet1d", "runs/k", EPOCHS, "");
    let port = free_port();
    let args = ["train", "--config", &k, "--dist-timeout", "20"];
    let r0 = rank(d, 0, port, &args);
    let mut r1 = rank(d, 1, port, &args);
    let start = Instant::now();
    while epochs_logged(&d.join("runs/k")) < 2 {
        assert!(
            start.elapsed() < LIMIT,
            "the killed run never logged 2 epochs"
        );
        assert!(r1.try_wait().expect("wait").is_none(), "rank 1 ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    r1.kill().expect("kill rank 1");
    let _ = r1.wait();
    let out = wait_bounded(r0, Duration::from_secs(120));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "rank 0 succeeded after rank 1 died:\n{err}"
    );
    assert!(
        err.contains("data-parallel rank 0 of 2"),
        "the error names the rank:\n{err}"
    );
    assert!(
        err.contains("rank 1 is lost"),
        "the error names the lost rank:\n{err}"
    );
    assert!(
        epochs_logged(&d.join("runs/k")) < EPOCHS,
        "the run ended before the kill"
    );
    // The rerun resumes from the last complete checkpoint and ends where `u` ends.
    torchrun2(&torchrun, d, &["train", "--config", &k, "--resume"]);
    assert!(
        last("k") == want,
        "2-rank kill + resume differs from the uninterrupted run"
    );
    assert_eq!(world(&d.join("runs/k"))["bit_exact"], true);
}

/// `--profile-steps` under 2 ranks: rank 0's summary shows one collective per step (the
/// gradients with the loss parts and flags; buffers not broadcast), started by libtorch's DDP
/// engine inside backward, no host sync in a step that does not log, and clipping + AdamW in
/// at most 40 top-level ATen ops. With small buckets (`train.bucket_mb`) the step makes one
/// all-reduce per bucket, every one started during backward, with backward still computing
/// gradients after the first has started: the all-reduce overlaps backward.
#[test]
fn a_profiled_two_rank_step_makes_one_collective_and_no_host_sync() {
    let Some((src, torchrun)) = inputs() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    pack(&src, d);
    let steps = |run: &str, extra: &str| -> Vec<serde_json::Value> {
        let extra = format!("stop_after_steps = 5\nbroadcast_buffers = false\n{extra}");
        let c = config(
            d,
            &format!("{run}.toml"),
            "resnet1d_wang",
            &format!("runs/{run}"),
            1,
            &extra,
        );
        torchrun2(
            &torchrun,
            d,
            &["train", "--config", &c, "--profile-steps", "2:5"],
        );
        let p = d.join(format!("runs/{run}/profile/summary.json"));
        let text = std::fs::read_to_string(p).expect("summary");
        let summary: serde_json::Value = serde_json::from_str(&text).expect("json");
        let steps = summary["steps"].as_array().expect("steps").clone();
        assert_eq!(steps.len(), 3, "{text}");
        steps
    };
    for s in steps("p", "") {
        assert_eq!(s["collectives"], 1, "{s}");
        assert_eq!(s["collectives_in_backward"], 1, "{s}");
        assert_eq!(s["host_syncs"], 0, "{s}");
        let ops = s["optimizer_aten_ops"].as_u64().expect("ops");
        assert!((1..=40).contains(&ops), "{s}");
    }
    for s in steps("b", "bucket_mb = 0.1") {
        let n = s["collectives"].as_u64().expect("collectives");
        assert!(n > 1, "{s}");
        assert_eq!(s["collectives_in_backward"], n, "{s}");
        let after = s["backward_fns_after_first_collective"]
            .as_u64()
            .expect("fns");
        assert!(after > 0, "{s}");
        assert_eq!(s["host_syncs"], 0, "{s}");
    }
}
