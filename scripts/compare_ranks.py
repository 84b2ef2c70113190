#!/usr/bin/env python3
"""Data-parallel throughput, whole process against whole process: the same training config
run as 1 rank x T threads (`ecg train`, OMP_NUM_THREADS=T) and as N ranks x 1 thread
(`torchrun --standalone --no-python --nproc-per-node N ecg train`, Gloo, OMP_NUM_THREADS=1),
alternating, --repeat times. Reads `records_per_second` and `gradient_sync_seconds` from
rank 0's metrics.jsonl (epochs after the first, whose time includes warm-up) and prints the
medians and the ratio.

Usage: python3 scripts/compare_ranks.py --config RUN/configs/superdiagnostic-teacher.toml
           [--ecg target/release/ecg] [--nproc 2] [--threads 2] [--epochs 3] [--repeat 3]
The config is any `ecg train` config (e.g. one that `cargo xtask reproduce` wrote); its
epochs and output_dir are replaced. Standard library only (plus the project's .venv for
torchrun).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def config_for(src, out_dir, epochs, tmp):
    text = open(src).read()
    text = re.sub(r'(?m)^output_dir = .*$', f'output_dir = "{out_dir}"', text)
    text = re.sub(r'(?m)^epochs = .*$', f'epochs = {epochs}', text)
    path = os.path.join(tmp, os.path.basename(out_dir) + ".toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def train(args, ranks, threads, out_dir, tmp):
    shutil.rmtree(out_dir, ignore_errors=True)
    cfg = config_for(args.config, out_dir, args.epochs, tmp)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), GLOO_SOCKET_IFNAME="lo")
    cmd = [args.ecg, "train", "--config", cfg]
    if ranks > 1:
        cmd = [os.path.join(ROOT, ".venv/bin/torchrun"), "--standalone", "--no-python",
               "--nproc-per-node", str(ranks)] + cmd
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    rows = [json.loads(l) for l in open(os.path.join(out_dir, "metrics.jsonl")) if l.strip()]
    rows = [r for r in rows if r.get("epoch", 0) > 1]
    rps = statistics.median(r["records_per_second"] for r in rows)
    sync = [r["gradient_sync_seconds"] for r in rows if "gradient_sync_seconds" in r]
    return rps, (statistics.median(sync) if sync else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--ecg", default=os.path.join(ROOT, "target/release/ecg"))
    ap.add_argument("--nproc", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    one, many, syncs = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            one.append(train(args, 1, args.threads, os.path.join(tmp, "one"), tmp)[0])
            rps, sync = train(args, args.nproc, 1, os.path.join(tmp, "many"), tmp)
            many.append(rps)
            if sync is not None:
                syncs.append(sync)
    a, b = statistics.median(one), statistics.median(many)
    print(json.dumps({
        "one_rank_threads": args.threads, "ranks": args.nproc, "repeat": args.repeat,
        "one_rank_records_per_s": one, "ranks_records_per_s": many,
        "median_one_rank": round(a, 2), "median_ranks": round(b, 2),
        "ratio_ranks_over_one_rank": round(b / a, 2),
        "gradient_sync_seconds_median": statistics.median(syncs) if syncs else None,
    }))


if __name__ == "__main__":
    sys.exit(main())
