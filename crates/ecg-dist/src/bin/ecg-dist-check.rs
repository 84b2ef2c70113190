//! One rank of a check job for ecg-dist's process group. Run it under a launcher:
//!
//!     torchrun --no-python --nproc-per-node 2 target/release/ecg-dist-check
//!     srun --ntasks 2 target/release/ecg-dist-check
//!
//! Scenarios (`--scenario`): `check` (default: all-reduce, broadcast, all-gather and barrier
//! values, exit 0 when all agree), `bench` (all-reduce time of `--numel` f32 values),
//! and the failure cases the tests use, where after a barrier the last rank stops taking part
//! and the others all-reduce: `dead-peer` (it exits), `hang` (it stops itself with SIGSTOP,
//! heartbeat included, as a hung machine), `stall` (its main thread sleeps while its
//! heartbeat goes on, as a rank stuck in its own code), `dead-host` (rank 0, the store's host,
//! exits instead and the others all-reduce); and `mismatch` (all-gather of
//! unequal shapes). Options: `--backend gloo|nccl`, `--timeout-ms N`, `--threads N`,
//! `--numel N`, `--iters N`. Exit status: 0 when the scenario's outcome is right, 1 on an
//! error.
use ecg_dist::{Backend, Launch, ProcessGroup};
use std::time::{Duration, Instant};
use tch::{Device, Kind, Tensor};

struct Args {
    scenario: String,
    backend: Backend,
    timeout: Duration,
    threads: i32,
    numel: i64,
    iters: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        scenario: "check".into(),
        backend: Backend::Gloo,
        timeout: Duration::from_secs(60),
        threads: 1,
        numel: 1 << 20,
        iters: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: bad number {v:?}"))
        };
        match flag.as_str() {
            "--scenario" => a.scenario = value()?,
            "--backend" => a.backend = value()?.parse().map_err(|e| format!("{e}"))?,
            "--timeout-ms" => a.timeout = Duration::from_millis(num(value()?)?),
            "--threads" => a.threads = i32::try_from(num(value()?)?).map_err(|e| e.to_string())?,
            "--numel" => a.numel = i64::try_from(num(value()?)?).map_err(|e| e.to_string())?,
            "--iters" => a.iters = usize::try_from(num(value()?)?).map_err(|e| e.to_string())?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

fn main() {
    let code = match run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ecg-dist-check: error: {e}");
            1
        }
    };
    std::process::exit(code);
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    tch::set_num_threads(args.threads);
    let launch = Launch::from_env().map_err(|e| e.to_string())?.ok_or(
        "no launcher variables (RANK/WORLD_SIZE/... or SLURM_PROCID): run under torchrun or srun",
    )?;
    let device = match args.backend {
        Backend::Gloo => Device::Cpu,
        Backend::Nccl => Device::Cuda(launch.local_rank),
    };
    let start = Instant::now();
    let pg = ProcessGroup::new(&launch, args.backend, args.timeout).map_err(|e| e.to_string())?;
    eprintln!(
        "ecg-dist-check: rank {} of {} joined ({:?}, {}, {} at {}) in {:.2}s",
        pg.rank(),
        pg.world_size(),
        launch.source,
        pg.backend(),
        if launch.agent_store {
            "agent store"
        } else {
            "store on rank 0"
        },
        launch.master(),
        start.elapsed().as_secs_f64()
    );
    match args.scenario.as_str() {
        "check" => check(&pg, device),
        "bench" => bench(&pg, device, args.numel, args.iters),
        // Every rank is past joining (the barrier) before the last one leaves or stops.
        "dead-peer" | "hang" | "stall" | "dead-host" if leaves(&args.scenario, &pg) => {
            pg.barrier().map_err(|e| e.to_string())?;
            match args.scenario.as_str() {
                "hang" => stop_myself()?,
                "stall" => std::thread::sleep(Duration::from_secs(3600)),
                _ => {}
            }
            std::process::exit(0)
        }
        "dead-peer" | "hang" | "stall" | "dead-host" => {
            pg.barrier().map_err(|e| e.to_string())?;
            let t = Tensor::ones([4], (Kind::Float, device));
            let started = Instant::now();
            let r = pg.all_reduce_sum(&[t]);
            eprintln!(
                "ecg-dist-check: all_reduce returned after {:.2}s",
                started.elapsed().as_secs_f64()
            );
            r.map_err(|e| e.to_string())
        }
        "mismatch" => {
            let t = Tensor::zeros([pg.rank() as i64 + 1, 2], (Kind::Float, device));
            pg.all_gather(&t).map(|_| ()).map_err(|e| e.to_string())
        }
        other => Err(format!("unknown scenario {other:?}")),
    }
}

/// Whether this rank is the one that stops taking part: rank 0 (the store's host) in
/// `dead-host`, the last rank otherwise.
fn leaves(scenario: &str, pg: &ProcessGroup) -> bool {
    if scenario == "dead-host" {
        pg.rank() == 0
    } else {
        pg.rank() + 1 == pg.world_size()
    }
}

/// SIGSTOP to this whole process (every thread stops until SIGCONT or SIGKILL).
fn stop_myself() -> Result<(), String> {
    std::process::Command::new("kill")
        .args(["-STOP", &std::process::id().to_string()])
        .status()
        .map_err(|e| format!("kill -STOP: {e}"))?;
    Ok(())
}

fn expect_eq(what: &str, got: &Tensor, want: &Tensor) -> Result<(), String> {
    if got.size() == want.size() && got.kind() == want.kind() && got.equal(want) {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?} {got}, expected {want}"))
    }
}

fn check(pg: &ProcessGroup, dev: Device) -> Result<(), String> {
    let (r, w) = (pg.rank() as i64, pg.world_size() as i64);
    let e = |x: ecg_dist::DistError| x.to_string();
    // all_reduce: independent tensors of several dtypes, one of them non-contiguous.
    let a = Tensor::full([3], (r + 1) as f64, (Kind::Float, dev));
    let b = (Tensor::arange(6, (Kind::Int64, dev)).reshape([2, 3]) * (r + 1)).tr();
    let c = Tensor::from(r as f64).to_device(dev);
    pg.all_reduce_sum(&[a.shallow_clone(), b.shallow_clone(), c.shallow_clone()])
        .map_err(e)?;
    let tri = w * (w + 1) / 2;
    expect_eq(
        "all_reduce f32",
        &a,
        &Tensor::full([3], tri as f64, (Kind::Float, dev)),
    )?;
    let b_want = (Tensor::arange(6, (Kind::Int64, dev)).reshape([2, 3]) * tri).tr();
    expect_eq("all_reduce i64 (transposed)", &b, &b_want)?;
    expect_eq(
        "all_reduce f64 scalar",
        &c,
        &Tensor::from((w * (w - 1) / 2) as f64).to_device(dev),
    )?;
    // broadcast from the last rank, into a parameter that requires grad too.
    let root = w - 1;
    let x = Tensor::full([2, 2], r as f64, (Kind::Float, dev));
    let p = Tensor::full([3], r as f64, (Kind::Double, dev)).set_requires_grad(true);
    pg.broadcast(&[x.shallow_clone(), p.shallow_clone()], root as usize)
        .map_err(e)?;
    expect_eq(
        "broadcast",
        &x,
        &Tensor::full([2, 2], root as f64, (Kind::Float, dev)),
    )?;
    expect_eq(
        "broadcast (parameter)",
        &p.detach(),
        &Tensor::full([3], root as f64, (Kind::Double, dev)),
    )?;
    // all_gather: rows in rank order.
    let t = Tensor::from_slice(&[r as f32, 2.0 * r as f32])
        .reshape([1, 2])
        .to_device(dev);
    let g = pg.all_gather(&t).map_err(e)?;
    let want: Vec<f32> = (0..w).flat_map(|i| [i as f32, 2.0 * i as f32]).collect();
    expect_eq(
        "all_gather",
        &g,
        &Tensor::from_slice(&want).reshape([w, 2]).to_device(dev),
    )?;
    let s = pg
        .all_gather(&Tensor::from(r * 10).to_device(dev))
        .map_err(e)?;
    let want: Vec<i64> = (0..w).map(|i| i * 10).collect();
    expect_eq(
        "all_gather (0-dim)",
        &s,
        &Tensor::from_slice(&want).to_device(dev),
    )?;
    pg.barrier().map_err(e)?;
    println!("rank {r}: ok");
    Ok(())
}

/// Times `iters` all-reduces of `numel` f32 values (after 3 warm-up calls). Rank 0 prints
/// one line: numel, MB, mean and median milliseconds per all-reduce.
fn bench(pg: &ProcessGroup, dev: Device, numel: i64, iters: usize) -> Result<(), String> {
    let t = Tensor::randn([numel], (Kind::Float, dev));
    let e = |x: ecg_dist::DistError| x.to_string();
    for _ in 0..3 {
        pg.all_reduce_sum(&[t.shallow_clone()]).map_err(e)?;
    }
    pg.barrier().map_err(e)?;
    let mut ms = Vec::with_capacity(iters);
    for _ in 0..iters {
        let s = Instant::now();
        pg.all_reduce_sum(&[t.shallow_clone()]).map_err(e)?;
        ms.push(s.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    if pg.rank() == 0 {
        println!(
            "all_reduce numel={numel} mb={:.2} ranks={} iters={iters} mean_ms={mean:.3} median_ms={:.3}",
            numel as f64 * 4.0 / 1e6,
            pg.world_size(),
            ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN)
        );
    }
    pg.barrier().map_err(e)
}
