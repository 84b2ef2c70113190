#!/usr/bin/env python3
"""Whole process vs whole process: macro-AUC and macro average precision of a PTB-XL-sized
problem (21,837 records x 71 labels, random labels and scores) with scikit-learn
(roc_auc_score + average_precision_score, macro) and with `ecg metrics` (which computes
those and every other metric of METHODS §6, F1 at fixed thresholds, Fmax, ...). Interpreter
and binary start-up and reading the .npy files are included on both sides. The two
macro-AUCs are compared, so the timing compares equal work.

Usage: python scripts/compare_metrics.py [--ecg target/release/ecg] [--repeat 5]
Needs numpy and scikit-learn (a throwaway venv will do).
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
import sys, json, numpy as np
from sklearn.metrics import roc_auc_score, average_precision_score
y, p = np.load(sys.argv[1]), np.load(sys.argv[2])
print(json.dumps({"macro_auc": roc_auc_score(y, p, average="macro"),
                  "macro_ap": average_precision_score(y, p, average="macro")}))
'''


def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    return time.perf_counter() - t, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecg", default=os.path.join(ROOT, "target/release/ecg"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--records", type=int, default=21837)
    ap.add_argument("--labels", type=int, default=71)
    a = ap.parse_args()
    import numpy as np
    rng = np.random.default_rng(1)
    n, k = a.records, a.labels
    # Label j positive with probability 1 % .. 31 %; scores shifted up for positives.
    rate = 0.01 + 0.3 * np.arange(k) / k
    y = (rng.random((n, k)) < rate).astype(np.uint8)
    p = (rng.random((n, k)) * 0.7 + 0.3 * y).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        yp, pp = os.path.join(tmp, "y.npy"), os.path.join(tmp, "p.npy")
        np.save(yp, y)
        np.save(pp, p)
        py_cmd = [sys.executable, "-c", PY_WORK, yp, pp]
        ecg_cmd = [a.ecg, "metrics", "--labels", yp, "--scores", pp]
        py_t, ec_t = [], []
        for _ in range(a.repeat):  # interleaved: load changes hit both alike
            t, py_out = timed(py_cmd)
            py_t.append(t)
            t, ec_out = timed(ecg_cmd)
            ec_t.append(t)
    ours = json.loads(ec_out)["macro_auc"]
    theirs = json.loads(py_out)["macro_auc"]
    py, ec = statistics.median(py_t), statistics.median(ec_t)
    print(json.dumps({
        "records": n, "labels": k, "runs": a.repeat,
        "sklearn_median_s": round(py, 3), "ecg_median_s": round(ec, 3),
        "speedup_median": round(py / ec, 1),
        "sklearn_min_s": round(min(py_t), 3), "ecg_min_s": round(min(ec_t), 3),
        "macro_auc_ecg": ours, "macro_auc_sklearn": theirs,
        "macro_auc_abs_diff": abs(ours - theirs),
    }))


if __name__ == "__main__":
    main()
