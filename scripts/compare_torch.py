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
"""
import argparse
import json
import os
import subprocess
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


if __name__ == "__main__":
    main()
