#!/usr/bin/env python3
"""Stage times of the main job, release build against dev (debug) build, same pipeline.

Runs `cargo xtask reproduce ptbxl` twice on the same data with the same options, once with
the `ecg`/`ecg-torch` pair of each profile (ECG_BIN), each into its own run folder, and
prints every stage's seconds (from the run's stages.json, written by xtask) side by side
with the ratio debug / release. Whole processes: every stage is an `ecg` command.

Usage: python3 scripts/compare_profiles.py [--data ../shared/data/ptbxl-sample]
           [--tasks superdiagnostic] [--epochs 2] [--out runs/profiles]
Build both first:
    cargo build --release -p ecg-cli -p ecg-torch-cli
    cargo build -p ecg-cli -p ecg-torch-cli
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(profile, folder, args):
    out = os.path.join(args.out, profile)
    env = dict(os.environ, ECG_BIN=os.path.join(ROOT, "target", folder))
    cmd = ["cargo", "xtask", "reproduce", "ptbxl", "--data", args.data, "--out", out,
           "--tasks", args.tasks, "--epochs", str(args.epochs), "--force", "all"]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - t
    with open(os.path.join(out, "stages.json")) as f:
        stages = {s["stage"]: s["seconds"] for s in json.load(f) if not s.get("skipped")}
    return stages, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/ptbxl-sample"))
    ap.add_argument("--tasks", default="superdiagnostic")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "runs/profiles"))
    args = ap.parse_args()
    release, rwall = run("release", "release", args)
    debug, dwall = run("debug", "debug", args)
    print(f"{'stage':<44} {'debug s':>9} {'release s':>10} {'debug/release':>14}")
    for name in release:
        d, r = debug.get(name), release[name]
        ratio = f"{d / r:.2f}" if d is not None and r > 0 else "-"
        print(f"{name:<44} {d if d is not None else float('nan'):>9.1f} {r:>10.1f} {ratio:>14}")
    td, tr = sum(debug.values()), sum(release.values())
    print(f"{'all stages':<44} {td:>9.1f} {tr:>10.1f} {td / tr:>14.2f}")
    print(f"{'whole xtask run (wall)':<44} {dwall:>9.1f} {rwall:>10.1f} {dwall / rwall:>14.2f}")


if __name__ == "__main__":
    sys.exit(main())
