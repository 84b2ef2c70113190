#!/usr/bin/env python3
"""ONNX Runtime against the libtorch forward (and our tract runtime) on every exported preset.

For every preset of ecg-nn (12 leads), the single-lead student and LCD's per-lead network,
the example `onnx_golden` of ecg-nn exports a checkpoint with our Rust
exporter (ecg-nn `export`, no Python tracing) and writes the 500 records of the PTB-XL sample
at 100 Hz (250 samples for the label-correlation family, whose projection fixes the length,
the whole 1000 otherwise) with the libtorch and tract probabilities. This script runs each
ONNX file under ONNX Runtime (CPU, one thread) on the same inputs and checks

    max |p_ort - p_libtorch| <= 1e-5   and   max |p_tract - p_libtorch| <= 1e-5

over all 500 records and classes. Two weight sources:

- `--train EPOCHS` (what the committed ort_check.json holds): each network is trained by
  `ecg train` (`ecg pretrain` then `ecg train` for the per-lead network) on the sample packed
  at 100 Hz with the 0.5-40 Hz band-pass, EPOCHS epochs, one thread, into WORK_DIR/runs; the
  inputs are the pack's rows standardised with each checkpoint's own standardiser. Trained
  weights are what users export. `--trained RUNS PACK` reuses such runs.
- neither: random weights with batch-norm statistics set from the data (train-mode passes),
  inputs standardised per record.

Per network the JSON also holds `max_abs_ort_vs_tract` (do the two ONNX runtimes disagree
with each other too?) and `max_abs_libtorch_ulp`: libtorch against itself on the input
changed by one unit in the last place (x (1 +- 2^-23)), the output change a rounding-level
perturbation causes, i.e. the float32 conditioning of that network on these records; where a
runtime misses 1e-5, the same quantity at that record and class is `ulp_at_worst`.
It writes crates/ecg-nn/tests/golden/onnx/ort_check.json (or OUT_JSON) and exits non-zero if
a model exceeds 1e-5.

    python3 -m venv /tmp/py-ort && /tmp/py-ort/bin/pip install onnxruntime numpy
    export LIBTORCH=$PWD/.venv/torch
    cargo build --release -p ecg-cli -p ecg-torch-cli
    /tmp/py-ort/bin/python scripts/golden/onnx_ort.py ../shared/data/ptbxl-sample WORK_DIR --train 10

With WORK_DIR holding a finished run of the example (its manifest.json), the example is not
run again.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

OUT = os.path.join("crates", "ecg-nn", "tests", "golden", "onnx", "ort_check.json")
TOL = 1e-5
ECG = os.environ.get("ECG_BIN", os.path.join("target", "release", "ecg"))
FAMILY = ["teacher", "teacher-backbone", "teacher-embedding", "teacher-decoder", "student",
          "student-tiny", "se_resnet1d", "xresnet1d101", "resnet1d_wang", "inception1d",
          "fcn_wang"]


def config(path, out_dir, pack, epochs, preset, extra_data="", extra_model="", extra=""):
    with open(path, "w") as f:
        f.write(f"""[data]
pack = "{pack}"
task = "{'all' if extra else 'superdiagnostic'}"
input = {{ kind = "crop", length = 250, stride = 125, aggregate = "max" }}
{extra_data}
[model]
preset = "{preset}"
{extra_model}
{extra}
[optim]
lr = 1e-3
[train]
epochs = {epochs}
batch_size = 32
seed = 5
device = "cpu"
output_dir = "{out_dir}"
""")


def train(sample, work, epochs):
    """Packs the sample (100 Hz, 0.5-40 Hz band-pass) and trains every network, one thread."""
    pack = os.path.abspath(os.path.join(work, "sample.pack.safetensors"))
    runs = os.path.abspath(os.path.join(work, "runs"))
    cfg = os.path.join(work, "configs")
    os.makedirs(cfg, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1")

    def ecg(*args):
        t = time.time()
        subprocess.run([ECG, *args], check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"  ecg {' '.join(args[:3])}: {time.time() - t:.0f} s", flush=True)

    if not os.path.isfile(pack):
        ecg("pack", "ptbxl", "--rate", "100", "--bandpass", "0.5:40", "--data", sample,
            "--out", pack)
    jobs = [(n, n, "") for n in FAMILY] + [("student-single-lead", "student", 'leads = ["I"]')]
    for name, preset, data in jobs:
        if os.path.isfile(os.path.join(runs, name, "checkpoint-best.safetensors")):
            continue
        c = os.path.join(cfg, f"{name}.toml")
        config(c, os.path.join(runs, name), pack, epochs, preset, extra_data=data)
        ecg("train", "--config", c)
    # LCD (Liu et al. 2025): self-supervised pretraining of the single-lead encoder, then the
    # per-lead network fine-tuned from it.
    enc = os.path.join(runs, "lcd-pretrain", "encoder.safetensors")
    if not os.path.isfile(enc):
        c = os.path.join(cfg, "lcd-pretrain.toml")
        config(c, os.path.join(runs, "lcd-pretrain"), pack, max(1, epochs // 3), "se_resnet1d",
               extra="[lcd]\nhidden = 512\ndim = 128")
        ecg("pretrain", "--config", c)
    if not os.path.isfile(os.path.join(runs, "per_lead", "checkpoint-best.safetensors")):
        c = os.path.join(cfg, "per_lead.toml")
        config(c, os.path.join(runs, "per_lead"), pack, max(1, epochs // 2), "per_lead",
               extra_model=f'encoder = "{enc}"\nfreeze_encoder = false')
        ecg("train", "--config", c)
    return runs, pack


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sample", nargs="?", default="../shared/data/ptbxl-sample")
    ap.add_argument("work", nargs="?", default=None)
    ap.add_argument("--train", type=int, metavar="EPOCHS")
    ap.add_argument("--trained", nargs=2, metavar=("RUNS", "PACK"))
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="onnx-golden-")
    os.makedirs(work, exist_ok=True)
    trained = a.trained
    if a.train:
        trained = train(a.sample, work, a.train)
    gold = os.path.join(work, "golden")
    if not os.path.isfile(os.path.join(gold, "manifest.json")):
        # --workspace: the workspace's feature set, so the release build is reused.
        subprocess.run(["cargo", "build", "--release", "--quiet", "--workspace", "--example",
                        "onnx_golden"], check=True)
        cmd = [os.path.join("target", "release", "examples", "onnx_golden"), a.sample, gold]
        if trained:
            cmd += ["--trained", *trained]
        subprocess.run(cmd, check=True)
    manifest = json.load(open(os.path.join(gold, "manifest.json")))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    rows, worst = [], 0.0
    for m in manifest:
        name, k = m["name"], m["classes"]
        f32 = lambda suffix, shape: np.fromfile(  # noqa: E731
            os.path.join(gold, f"{name}.{suffix}.f32"), dtype="<f4").reshape(shape)
        xi = f32("x", (500, len(m["leads"]), m["len"]))
        sess = ort.InferenceSession(os.path.join(gold, m["onnx"]), opts,
                                    providers=["CPUExecutionProvider"])
        meta = sess.get_modelmeta().custom_metadata_map
        assert "ecg.leads" in meta and "ecg.standardizer" in meta, meta.keys()
        p_ort = np.concatenate([sess.run(["probabilities"], {"signals": xi[b:b + 50]})[0]
                                for b in range(0, 500, 50)])
        p_torch, p_tract, p_ulp = (f32(s, (500, k)) for s in ("torch", "tract", "torch_ulp"))
        e_ort, e_tract = np.abs(p_ort - p_torch), np.abs(p_tract - p_torch)
        e_ulp = np.abs(p_ulp - p_torch)
        d_ort, d_tract = float(e_ort.max()), float(e_tract.max())
        row = {"model": name, "weights": m["weights"], "records": 500,
               "input": [len(m["leads"]), m["len"]], "onnx_bytes": m["onnx_bytes"],
               "max_abs_ort_vs_libtorch": d_ort, "max_abs_tract_vs_libtorch": d_tract,
               "max_abs_ort_vs_tract": float(np.abs(p_ort - p_tract).max()),
               "max_abs_libtorch_ulp": float(e_ulp.max()),
               "saturated_fraction": float(((p_torch < 1e-6) | (p_torch > 1 - 1e-6)).mean())}
        row["pass"] = d_ort <= TOL and d_tract <= TOL
        if not row["pass"]:
            e = np.maximum(e_ort, e_tract)
            r, c = np.unravel_index(int(e.argmax()), e.shape)
            row["worst"] = {"record": int(r) + 1, "class": int(c), "p_libtorch": float(p_torch[r, c]),
                            "ort": float(e_ort[r, c]), "tract": float(e_tract[r, c]),
                            "ulp_at_worst": float(e_ulp[r, c]),
                            "records_over_tol": int((e > TOL).any(axis=1).sum())}
        worst = max(worst, d_ort, d_tract)
        rows.append(row)
        print(f"{name:22s} ORT {d_ort:.2e}  tract {d_tract:.2e}  "
              f"ORT vs tract {row['max_abs_ort_vs_tract']:.2e}  ulp {row['max_abs_libtorch_ulp']:.2e}"
              + ("" if row["pass"] else f"  worst {row['worst']}"))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"onnxruntime": ort.__version__, "tolerance": TOL,
                   "weights": "trained" if trained else "random", "models": rows}, f, indent=1)
        f.write("\n")
    print(f"wrote {a.out}; worst {worst:.2e}")
    sys.exit(0 if worst <= TOL else 1)


if __name__ == "__main__":
    main()
