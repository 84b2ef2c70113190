#!/usr/bin/env python3
"""Whole process vs whole process: the same preprocessing in Python (wfdb + scipy + numpy)
and with `ecg pack`, timed as separate processes (interpreter / binary start-up included).

Work: read the 500 PTB-XL sample records at 100 Hz (ptbxl_database.csv order), band-pass
0.5-40 Hz Butterworth order 3 zero-phase (scipy.signal.sosfiltfilt), stack into one float32
array [records, 12, 1000], save it (numpy .npy for Python, the safetensors pack for ecg).
The two outputs are compared (max |difference|) so the timing compares equal work.

Usage: python scripts/compare_pack.py [--ecg target/release/ecg] [--data DIR] [--repeat 5]
Build the binary first: cargo build --release -p ecg-cli
Needs numpy, pandas, scipy, wfdb and safetensors (a throwaway venv will do).
Reports the median and the minimum of --repeat runs of each, and their ratios.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PY_WORK = r'''
import sys, numpy as np, pandas as pd, wfdb
from scipy.signal import butter, sosfiltfilt
data, out = sys.argv[1], sys.argv[2]
db = pd.read_csv(data + "/ptbxl_database.csv", index_col="ecg_id")
sos = butter(3, [0.5, 40], btype="bandpass", output="sos", fs=100)
x = np.stack([sosfiltfilt(sos, wfdb.rdsamp(data + "/" + f)[0].T, axis=1) for f in db.filename_lr])
np.save(out, x.astype(np.float32))
'''


CPU = {}


def timed(cmd):
    """Wall seconds; the child's CPU seconds (user + system) are collected in CPU[cmd[0]]
    (on a shared machine the CPU time is the steadier number)."""
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(cmd[0], []).append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecg", default=os.path.join(ROOT, "target/release/ecg"))
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/ptbxl-sample"))
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        npy = os.path.join(tmp, "py.npy")
        pack = os.path.join(tmp, "ecg.safetensors")
        py_cmd = [sys.executable, "-c", PY_WORK, a.data, npy]
        ecg_cmd = [a.ecg, "pack", "ptbxl", "--data", a.data, "--rate", "100",
                   "--bandpass", "0.5:40", "--order", "3", "--out", pack]
        # Interleaved, so a load change on a shared machine hits both sides alike.
        py_t, ec_t = [], []
        for _ in range(a.repeat):
            py_t.append(timed(py_cmd))
            ec_t.append(timed(ecg_cmd))
        import numpy as np
        from safetensors.numpy import load_file
        x = np.load(npy)
        y = load_file(pack)["signals"]
        diff = float(np.abs(x - y).max())
    py, ec = statistics.median(py_t), statistics.median(ec_t)
    res = {"python_median_s": round(py, 3), "ecg_median_s": round(ec, 3),
           "speedup_median": round(py / ec, 1),
           "python_min_s": round(min(py_t), 3), "ecg_min_s": round(min(ec_t), 3),
           "speedup_min": round(min(py_t) / min(ec_t), 1),
           "python_cpu_median_s": round(statistics.median(CPU[py_cmd[0]]), 3),
           "ecg_cpu_median_s": round(statistics.median(CPU[ecg_cmd[0]]), 3),
           "ecg_records_per_s_median": round(x.shape[0] / ec),
           "max_abs_diff_mV": diff, "records": int(x.shape[0]), "runs": a.repeat}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
