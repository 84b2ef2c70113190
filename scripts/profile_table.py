#!/usr/bin/env python3
"""The per-step figures of docs/profiling.md, from the project's own `--profile-steps` output.

For the teacher and resnet1d_wang on the PTB-XL sample (packed at 100 Hz, band-pass 0.5-40 Hz,
superdiagnostic, batch 32, 250-sample crops, CPU): one process, and 2 Gloo ranks under
torchrun with `train.broadcast_buffers` off and on, and with small gradient buckets
(`train.bucket_mb = 0.1`: several all-reduces, each started inside backward). Each run stops after step 6 and profiles
steps 3..5; the table gives the median over those steps of rank 0's summary.json.

Usage (from the repo root; stdlib only):
    python3 scripts/profile_table.py --bin target/debug [--threads 2] [--work /tmp/profile-table]
"""
import argparse
import json
import os
import statistics
import subprocess

SAMPLE = "/work/shared/data/ptbxl-sample"

CONFIG = """[data]
pack = "{pack}"
task = "superdiagnostic"
input = {{ kind = "crop", length = 250, stride = 125, aggregate = "max" }}
workers = 1
prefetch = 2
[model]
preset = "{preset}"
[optim]
lr = 1e-3
grad_clip = 1.0
[train]
epochs = 1
batch_size = 32
seed = 3
device = "cpu"
output_dir = "{out}"
stop_after_steps = 6
broadcast_buffers = {bb}
{extra}
"""


def run(cmd, env):
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--work", default="/tmp/profile-table")
    ap.add_argument("--torchrun", default=".venv/bin/torchrun")
    args = ap.parse_args()
    ecg = os.path.abspath(os.path.join(args.bin, "ecg"))
    os.makedirs(args.work, exist_ok=True)
    pack = os.path.join(args.work, "sample.safetensors")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    if not os.path.exists(pack):
        run([ecg, "pack", "ptbxl", "--rate", "100", "--bandpass", "0.5:40", "--data", SAMPLE, "--out", pack], env)
    rows = []
    for preset in ["teacher", "resnet1d_wang"]:
        for ranks, bb, extra in [(1, "true", ""), (2, "false", ""), (2, "true", ""),
                                 (2, "false", "bucket_mb = 0.1")]:
            name = f"{preset}-{ranks}-{bb}" + ("-small-buckets" if extra else "")
            out = os.path.join(args.work, name)
            subprocess.run(["rm", "-rf", out], check=True)
            cfg = os.path.join(args.work, name + ".toml")
            with open(cfg, "w") as f:
                f.write(CONFIG.format(pack=pack, preset=preset, out=out, bb=bb, extra=extra))
            cmd = [ecg, "train", "--config", cfg, "--profile-steps", "3:6"]
            if ranks > 1:
                cmd = [args.torchrun, "--standalone", "--nproc-per-node", str(ranks), "--no-python"] + cmd
                env_r = dict(env, OMP_NUM_THREADS=str(max(1, args.threads // ranks)))
            else:
                env_r = env
            run(cmd, env_r)
            steps = json.load(open(os.path.join(out, "profile", "summary.json")))["steps"]
            med = lambda k: statistics.median(s[k] for s in steps)
            rows.append((preset, ranks, bb if ranks > 1 else "–", extra.split(" = ")[-1] if extra else "25",
                         med("optimizer_aten_ops"), med("aten_ops"),
                         med("host_syncs"), med("scalar_reads_in_ops"), med("collectives"),
                         med("collectives_in_backward"), med("backward_fns_after_first_collective"),
                         statistics.median(s["wall_ms"] for s in steps),
                         statistics.median(s["phases_ms"]["optimizer"] for s in steps)))
    print("| network | ranks | broadcast_buffers | bucket MB | clipping + AdamW: top-level ATen ops "
          "| step: top-level ATen ops | host syncs | scalar reads inside ops | collectives "
          "| of which started in backward | autograd functions after the first all-reduce began "
          "| step ms | optimizer ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(round(x, 1)) if isinstance(x, float) else str(x) for x in r) + " |")


if __name__ == "__main__":
    main()
