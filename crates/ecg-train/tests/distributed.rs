//! Data-parallel training by hand: one step with 2 Gloo ranks (torchrun on 127.0.0.1) equals
//! one process that runs the two shards itself and averages their gradients.
//!
//! The parent test launches this test binary twice under `torchrun --no-python`; each copy
//! runs the ignored test `rank_of_one_step` as one rank and writes its gradients and updated
//! weights. Every child is bounded by a deadline (killed past it), never timed.
use ecg_train::collective::{broadcast_state, reduce_step};
use ecg_train::data::Shard;
use ecg_train::optim::{AdamW, AdamWConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tch::nn::{self, ModuleT};
use tch::{Device, Kind, Tensor};

const GLOBAL_BATCH: i64 = 8;

/// Conv → BatchNorm → ReLU → mean over time → linear: batch norm makes per-shard statistics
/// matter.
fn net(vs: &nn::VarStore) -> nn::SequentialT {
    let p = vs.root();
    nn::seq_t()
        // No bias before batch norm: its gradient is rounding noise around zero, which
        // AdamW's normalised update would turn into a ±lr step either way.
        .add(nn::conv1d(
            &p / "conv",
            2,
            4,
            3,
            nn::ConvConfig {
                bias: false,
                ..Default::default()
            },
        ))
        .add(nn::batch_norm1d(&p / "bn", 4, Default::default()))
        .add_fn(|x| x.relu().mean_dim(2, false, Kind::Float))
        .add(nn::linear(&p / "fc", 4, 3, Default::default()))
}

/// The global batch: x [8, 2, 16], multi-hot y [8, 3].
fn batch() -> (Tensor, Tensor) {
    let x = (Tensor::arange(GLOBAL_BATCH * 2 * 16, (Kind::Float, Device::Cpu)) * 0.37)
        .sin()
        .view([GLOBAL_BATCH, 2, 16]);
    let y = (Tensor::arange(GLOBAL_BATCH * 3, (Kind::Float, Device::Cpu)) * 1.3)
        .sin()
        .gt(0.0)
        .to_kind(Kind::Float)
        .view([GLOBAL_BATCH, 3]);
    (x, y)
}

/// Rows of the global batch that `shard` takes (DistributedSampler positions).
fn rows(shard: Shard) -> Tensor {
    let p: Vec<i64> = shard
        .positions(GLOBAL_BATCH as usize)
        .into_iter()
        .map(|p| p as i64)
        .collect();
    Tensor::from_slice(&p)
}

fn loss(net: &nn::SequentialT, x: &Tensor, y: &Tensor) -> Tensor {
    net.forward_t(x, true)
        .binary_cross_entropy_with_logits::<Tensor>(y, None, None, tch::Reduction::Mean)
}

fn optimizer(vs: &nn::VarStore) -> AdamW {
    let cfg = AdamWConfig {
        lr: 0.05,
        grad_clip: Some(0.5),
        ..Default::default()
    };
    AdamW::new(cfg, &[("m", vs)])
}

/// Grads (`grad.<name>`) and weights after the step (`w.<name>`) of the parameters
/// (batch-norm buffers are each rank's own until the next step broadcasts rank 0's).
fn snapshot(vs: &nn::VarStore) -> BTreeMap<String, Tensor> {
    let mut out = BTreeMap::new();
    for (name, t) in vs.variables() {
        if t.requires_grad() {
            out.insert(format!("grad.{name}"), t.grad().copy());
            out.insert(format!("w.{name}"), t.detach().copy());
        }
    }
    out
}

/// The reference: one process, each shard forward/backward on its own (its own batch-norm
/// statistics), gradients averaged by hand, then the same clipping + AdamW step.
fn reference() -> BTreeMap<String, Tensor> {
    tch::manual_seed(11);
    let vs = nn::VarStore::new(Device::Cpu);
    let m = net(&vs);
    let mut opt = optimizer(&vs);
    let (x, y) = batch();
    let mut sum: BTreeMap<String, Tensor> = BTreeMap::new();
    for rank in 0..2 {
        let r = rows(Shard { rank, world: 2 });
        opt.zero_grad().expect("zero_grad");
        loss(&m, &x.index_select(0, &r), &y.index_select(0, &r)).backward();
        for (name, t) in vs.trainable_variables().iter().enumerate() {
            let g = t.grad().copy();
            sum.entry(name.to_string())
                .and_modify(|s| *s = &*s + &g)
                .or_insert(g);
        }
    }
    tch::no_grad(|| {
        for (i, t) in vs.trainable_variables().iter().enumerate() {
            t.grad().copy_(&(&sum[&i.to_string()] / 2.0));
        }
    });
    let _ = opt.step(0.05, None).expect("step");
    snapshot(&vs)
}

/// Runs `cmd` to completion or kills it after `limit` (a bound, not a timing assertion).
fn run_bounded(cmd: &mut Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
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
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("output")
}

fn torchrun() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/torchrun");
    if p.is_file() {
        Some(p)
    } else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "!!!! SKIPPED: {} not found (cargo xtask setup); 2-rank test not run !!!!",
            p.display()
        );
        None
    }
}

fn read(path: &Path) -> BTreeMap<String, Tensor> {
    Tensor::read_safetensors(path)
        .expect("read")
        .into_iter()
        .collect()
}

#[test]
fn two_gloo_ranks_make_the_step_of_one_process_averaging_the_two_shards() {
    let Some(torchrun) = torchrun() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let exe = std::env::current_exe().expect("exe");
    let out = run_bounded(
        Command::new(torchrun)
            .args(["--standalone", "--nproc-per-node", "2", "--no-python"])
            .arg(&exe)
            .args(["--ignored", "--exact", "rank_of_one_step", "--nocapture"])
            .env("ECG_TEST_RANK_OUT", dir.path())
            .env("OMP_NUM_THREADS", "1"),
        Duration::from_secs(300),
    );
    assert!(
        out.status.success(),
        "torchrun failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = reference();
    assert_eq!(want.len(), 10, "grads and weights of 5 parameters");
    for rank in 0..2 {
        let got = read(&dir.path().join(format!("rank{rank}.safetensors")));
        for (key, w) in &want {
            let g = got
                .get(key)
                .unwrap_or_else(|| panic!("rank {rank}: no {key}"));
            let diff = (g - w).abs().max().double_value(&[]);
            assert!(diff <= 1e-6, "rank {rank} {key}: max |diff| {diff}");
        }
    }
    // By design (per-shard batch norm), not one process on the double batch.
    let (x, y) = batch();
    tch::manual_seed(11);
    let vs = nn::VarStore::new(Device::Cpu);
    let m = net(&vs);
    loss(&m, &x, &y).backward();
    let double = snapshot(&vs);
    let conv = "grad.conv.weight";
    let diff = (&double[conv] - &want[conv]).abs().max().double_value(&[]);
    assert!(
        diff > 1e-6,
        "per-shard batch norm should differ from the double batch"
    );
}

/// One rank of the test above (run by it under torchrun; does nothing useful alone).
#[test]
#[ignore = "a rank of two_gloo_ranks_make_the_step_of_one_process_averaging_the_two_shards"]
fn rank_of_one_step() {
    let out = PathBuf::from(std::env::var("ECG_TEST_RANK_OUT").expect("ECG_TEST_RANK_OUT"));
    let launch = ecg_dist::Launch::from_env()
        .expect("launcher variables")
        .expect("run under torchrun");
    let pg = ecg_dist::ProcessGroup::new(&launch, ecg_dist::Backend::Gloo, Duration::from_secs(60))
        .expect("process group");
    let shard = Shard {
        rank: pg.rank(),
        world: pg.world_size(),
    };
    // Different initial weights on each rank: the broadcast must give rank 0's (seed 11).
    tch::manual_seed(if shard.rank == 0 { 11 } else { 99 });
    let vs = nn::VarStore::new(Device::Cpu);
    let m = net(&vs);
    broadcast_state(&pg, &[&vs]).expect("broadcast");
    let mut opt = optimizer(&vs);
    let (x, y) = batch();
    let r = rows(shard);
    opt.zero_grad().expect("zero_grad");
    loss(&m, &x.index_select(0, &r), &y.index_select(0, &r)).backward();
    // The trainer's one collective: gradients and the step's loss vector together.
    let values = Tensor::ones([10], (Kind::Float, Device::Cpu));
    reduce_step(&pg, &opt.params(), &values).expect("reduce");
    assert_eq!(
        Vec::<f32>::try_from(&values).expect("values"),
        vec![2.0; 10],
        "the loss vector is summed over the 2 ranks"
    );
    let _ = opt.step(0.05, None).expect("step");
    let snap: Vec<(String, Tensor)> = snapshot(&vs).into_iter().collect();
    Tensor::write_safetensors(&snap, out.join(format!("rank{}.safetensors", shard.rank)))
        .expect("write");
}
