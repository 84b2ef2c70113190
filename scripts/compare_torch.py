#!/usr/bin/env python3
"""Training throughput of ecg-nn (Rust/tch) vs PyTorch eager on the same libtorch build.

Builds resnet1d_wang exactly as the PTB-XL benchmark does (code/models/resnet1d.py:
BasicBlock1d, layers [1, 1, 1], 128 channels, stem kernel 7, kernels [5, 3]; concat-pool head
BN -> dropout 0.25 -> linear 128 -> ReLU -> BN -> dropout 0.5 -> linear K), checks that its
parameter count equals ours, then times training steps (Adam, BCE with logits, batch 32,
12 x 250 inputs) on N CPU threads in both and prints samples/s and the ratio ours / PyTorch.

Usage (from the repo root; uses the torch in /work/main/.venv):
    .venv/bin/python scripts/compare_torch.py [--threads 2] [--steps 20] [--repeats 3]
It runs `cargo run --profile PROFILE -p ecg-nn --example train_speed` for our side (set
CARGO_TARGET_DIR to reuse a build).

The whole trainer (`ecg train`: loader threads, the step, AdamW with clipping) against PyTorch
eager on the same pack, batch and threads, for one or more builds of `ecg` (e.g. before and
after a change):
    .venv/bin/python scripts/compare_torch.py trainer --bin before=/work/main/target/release \
        --bin after=target/release [--pack P] [--threads 2] [--batch 32] [--repeats 3]
Our side: `ecg train` (resnet1d_wang, superdiagnostic, 250-sample crops, BCE, AdamW, clip 1.0)
stopped after S1 and after S2 steps of the first epoch (`train.stop_after_steps`, no
validation in between); steps/s = (S2 - S1) / (wall(S2) - wall(S1)), so start-up cancels.
PyTorch's side: the same network, crops, loss, AdamW (its default CPU implementation) and
clipping, steps S1..S2 timed. Without --pack, the PTB-XL sample is packed at 100 Hz first.
"""
import argparse
import json
import os
import math
import struct
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn


def conv(cin, cout, k, stride=1):
    return nn.Conv1d(cin, cout, k, stride=stride, padding=(k - 1) // 2, bias=False)


class BasicBlock1d(nn.Module):
    def __init__(self, c, stride, kernels=(5, 3)):
        super().__init__()
        self.conv1, self.bn1 = conv(c, c, kernels[0], stride), nn.BatchNorm1d(c)
        self.conv2, self.bn2 = conv(c, c, kernels[1]), nn.BatchNorm1d(c)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (
            nn.Sequential(nn.Conv1d(c, c, 1, stride=stride, bias=False), nn.BatchNorm1d(c)) if stride != 1 else None
        )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        res = x if self.downsample is None else self.downsample(x)
        out += res
        return self.relu(out)


class ConcatPoolHead(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.net = nn.Sequential(
            nn.BatchNorm1d(2 * c), nn.Dropout(0.25), nn.Linear(2 * c, 128), nn.ReLU(inplace=True),
            nn.BatchNorm1d(128), nn.Dropout(0.5), nn.Linear(128, k),
        )

    def forward(self, x):
        return self.net(torch.cat([x.amax(-1), x.mean(-1)], 1))


def resnet1d_wang(leads=12, k=5, c=128):
    return nn.Sequential(
        conv(leads, c, 7), nn.BatchNorm1d(c), nn.ReLU(inplace=True),
        BasicBlock1d(c, 1), BasicBlock1d(c, 2), BasicBlock1d(c, 2),
        ConcatPoolHead(c, k),
    )


def torch_speed(threads, batch, steps, length=250, k=5):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = resnet1d_wang(k=k)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 12, length)
    y = torch.randint(0, 2, (batch, k)).float()
    model.train()

    def step():
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    secs = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    return params, steps * batch / secs


def ours_speed(threads, batch, steps, root, profile):
    out = subprocess.run(
        ["cargo", "run", "-q", "--profile", profile, "-p", "ecg-nn", "--example", "train_speed", "--",
         "resnet1d_wang", str(threads), str(batch), str(steps)],
        cwd=root, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--profile", default="release", help="cargo profile of our side (dev also works: libtorch does the work)")
    ap.add_argument("--repeats", type=int, default=3, help="alternate runs; the best of each side counts")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, {args.steps} steps")
    ours, theirs, params = [], [], None
    for r in range(args.repeats):
        o = ours_speed(args.threads, args.batch, args.steps, root, args.profile)
        params, t = torch_speed(args.threads, args.batch, args.steps)
        ours.append(o["train_samples_per_s"])
        theirs.append(t)
        print(f"run {r + 1}: ours {o['train_samples_per_s']:.1f} samples/s, pytorch {t:.1f} samples/s")
    if params != o["params"]:
        raise SystemExit(f"parameter counts differ: pytorch {params}, ours {o['params']}")
    best_o, best_t = max(ours), max(theirs)
    print(json.dumps({
        "model": "resnet1d_wang", "params": params, "threads": args.threads,
        "ours_samples_per_s": round(best_o, 2), "pytorch_samples_per_s": round(best_t, 2),
        "ratio": round(best_o / best_t, 3),
    }))


TRAINER_TOML = """[data]
pack = "{pack}"
task = "superdiagnostic"
input = {{ kind = "crop", length = 250, stride = 125, aggregate = "max" }}
standardize = "global"
workers = 1
prefetch = 2
[model]
preset = "resnet1d_wang"
[loss]
kind = "bce"
[optim]
lr = 1e-3
weight_decay = 1e-2
grad_clip = 1.0
[train]
epochs = 1
batch_size = {batch}
seed = 1
device = "cpu"
output_dir = "{out}"
stop_after_steps = {stop}
"""


def ours_trainer_seconds(ecg, pack, batch, stop, threads, work):
    out = os.path.join(work, f"run-{os.getpid()}-{time.monotonic_ns()}")
    cfg = out + ".toml"
    with open(cfg, "w") as f:
        f.write(TRAINER_TOML.format(pack=pack, batch=batch, out=out, stop=stop))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    t0 = time.perf_counter()
    subprocess.run([ecg, "train", "--config", cfg], check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def read_pack(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    t = hdr["signals"]
    a, b = t["data_offsets"]
    return torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(t["shape"])


def torch_trainer_steps_per_s(pack, batch, s1, s2, threads):
    torch.set_num_threads(threads)
    X = read_pack(pack)
    N, L = X.shape[0], X.shape[2]
    g = torch.Generator().manual_seed(0)
    Y = torch.randint(0, 2, (N, 5), generator=g).float()
    mu, sd = X.mean(), X.std()
    net = resnet1d_wang(12, 5)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
    lossf = nn.BCEWithLogitsLoss()
    perm = torch.randperm(N, generator=g)
    t0 = None
    for s in range(s2):
        if s == s1:
            t0 = time.perf_counter()
        idx = perm[(s * batch) % (N - batch):][:batch]
        off = torch.randint(0, L - 250 + 1, (len(idx),), generator=g)
        xb = torch.stack([X[i, :, o:o + 250] for i, o in zip(idx.tolist(), off.tolist())])
        xb = (xb - mu) / sd
        loss = lossf(net(xb), Y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
    return (s2 - s1) / (time.perf_counter() - t0)


def trainer_main(argv):
    ap = argparse.ArgumentParser(prog="compare_torch.py trainer")
    ap.add_argument("--bin", action="append", required=True, help="NAME=DIR: a folder with ecg and ecg-torch")
    ap.add_argument("--pack")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--s1", type=int, default=3)
    ap.add_argument("--s2", type=int, default=11, help="at most the steps of one epoch")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    bins = dict(b.split("=", 1) for b in args.bin)
    work = tempfile.mkdtemp(prefix="compare-torch-")
    pack = args.pack
    if pack is None:
        pack = os.path.join(work, "ptbxl-sample-100hz.safetensors")
        ecg = os.path.join(next(iter(bins.values())), "ecg")
        subprocess.run([ecg, "pack", "ptbxl", "--rate", "100", "--data", "/work/shared/data/ptbxl-sample",
                        "--out", pack], check=True, capture_output=True)
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, steps {args.s1}..{args.s2}, "
          f"pack {pack}")
    best = {name: 0.0 for name in bins}
    best_torch = 0.0
    for r in range(args.repeats):
        for name, d in bins.items():
            ecg = os.path.join(d, "ecg")
            t1 = ours_trainer_seconds(ecg, pack, args.batch, args.s1, args.threads, work)
            t2 = ours_trainer_seconds(ecg, pack, args.batch, args.s2, args.threads, work)
            sps = (args.s2 - args.s1) / max(t2 - t1, 1e-9)
            best[name] = max(best[name], sps)
            print(f"run {r + 1}: {name} {sps:.2f} steps/s")
        t = torch_trainer_steps_per_s(pack, args.batch, args.s1, args.s2, args.threads)
        best_torch = max(best_torch, t)
        print(f"run {r + 1}: pytorch {t:.2f} steps/s")
    print(json.dumps({
        "model": "resnet1d_wang", "threads": args.threads, "batch": args.batch,
        "pytorch_steps_per_s": round(best_torch, 3),
        **{f"{n}_steps_per_s": round(v, 3) for n, v in best.items()},
        **{f"{n}_over_pytorch": round(v / best_torch, 3) for n, v in best.items()},
    }))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "trainer":
        trainer_main(sys.argv[2:])
    else:
        main()
