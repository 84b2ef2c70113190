#!/usr/bin/env python3
"""ONNX Runtime against the libtorch forward (and our tract runtime) on every exported preset.

For every preset of ecg-nn (12 leads), the single-lead student and LCD's per-lead network,
`cargo run --release -p ecg-nn --example onnx_golden` saves a checkpoint with random weights
and batch-norm statistics set from the data (train-mode passes), exports it with our Rust exporter (ecg-nn `export`, no
Python tracing), and writes the 500 records of the PTB-XL sample (100 Hz, each lead
standardised; 250 samples for the label-correlation family, whose projection fixes the length,
the whole 1000 otherwise) with the libtorch and tract probabilities. This script runs each
ONNX file under ONNX Runtime (CPU, one thread) on the same inputs and checks

    max |p_ort - p_libtorch| <= 1e-5   and   max |p_tract - p_libtorch| <= 1e-5

over all 500 records and classes.
Where a model misses 1e-5, `max_abs_ort_vs_tract` tells whether the two ONNX runtimes also
disagree with each other (float32 conditioning of that network) or agree (a mapping error). It writes the per-model maxima to
crates/ecg-nn/tests/golden/onnx/ort_check.json and exits non-zero if a model exceeds 1e-5.

    python3 -m venv /tmp/py-ort && /tmp/py-ort/bin/pip install onnxruntime numpy
    LIBTORCH=$PWD/.venv/torch /tmp/py-ort/bin/python scripts/golden/onnx_ort.py \
        ../shared/data/ptbxl-sample [WORK_DIR]

With WORK_DIR holding a finished run of the example (its manifest.json), the example is not
run again (e.g. one built in the dev profile: `target/debug/examples/onnx_golden SAMPLE DIR`).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

OUT = os.path.join("crates", "ecg-nn", "tests", "golden", "onnx", "ort_check.json")
TOL = 1e-5


def main():
    sample = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ptbxl-sample"
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="onnx-golden-")
    if not os.path.isfile(os.path.join(work, "manifest.json")):
        subprocess.run(
            ["cargo", "run", "--release", "--quiet", "-p", "ecg-nn", "--example", "onnx_golden",
             "--", sample, work],
            check=True,
        )
    manifest = json.load(open(os.path.join(work, "manifest.json")))
    x = np.fromfile(os.path.join(work, "x.f32"), dtype="<f4").reshape(500, 12, 1000)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    rows, worst = [], 0.0
    for m in manifest:
        name, k = m["name"], m["classes"]
        xi = np.ascontiguousarray(x[:, m["leads"], : m["len"]])
        sess = ort.InferenceSession(os.path.join(work, m["onnx"]), opts,
                                    providers=["CPUExecutionProvider"])
        meta = sess.get_modelmeta().custom_metadata_map
        assert "ecg.leads" in meta and "ecg.standardizer" in meta, meta.keys()
        p_ort = np.concatenate([sess.run(["probabilities"], {"signals": xi[b:b + 50]})[0]
                                for b in range(0, 500, 50)])
        p_torch = np.fromfile(os.path.join(work, f"{name}.torch.f32"), dtype="<f4").reshape(500, k)
        p_tract = np.fromfile(os.path.join(work, f"{name}.tract.f32"), dtype="<f4").reshape(500, k)
        d_ort = float(np.abs(p_ort - p_torch).max())
        d_tract = float(np.abs(p_tract - p_torch).max())
        row = {"model": name, "records": 500, "input": [len(m["leads"]), m["len"]],
               "onnx_bytes": m["onnx_bytes"],
               "max_abs_ort_vs_libtorch": d_ort, "max_abs_tract_vs_libtorch": d_tract}
        row["max_abs_ort_vs_tract"] = float(np.abs(p_ort - p_tract).max())
        row["pass"] = d_ort <= TOL and d_tract <= TOL
        worst = max(worst, d_ort, d_tract)
        rows.append(row)
        print(f"{name:22s} ORT {d_ort:.2e}  tract {d_tract:.2e}  "
              f"ORT vs tract {row['max_abs_ort_vs_tract']:.2e}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"onnxruntime": ort.__version__, "tolerance": TOL, "models": rows}, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}; worst {worst:.2e}")
    sys.exit(0 if worst <= TOL else 1)


if __name__ == "__main__":
    main()
