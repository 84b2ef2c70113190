#!/usr/bin/env python3
"""Golden values for reading the 500-record PTB-XL sample at both rates, from
wfdb-python's `rdsamp` (the reference), for crates/ecg-io/tests/ptbxl_sample.rs.

Writes to crates/ecg-io/tests/golden/ptbxl/:
  - `stats.npy`  float64 [2, 500, 12, 5]: for rate index 0 (records100, `_lr`) and 1
    (records500, `_hr`), record ecg_id 1..500, lead 0..11: sum, sum of squares,
    time-weighted sum sum_t x[t]*(t+1)/n, min, max of rdsamp's p_signal (float64).
  - `full_00001_lr.npy`, `full_00250_lr.npy` float64 [12, 1000] and
    `full_00500_hr.npy` float64 [12, 5000]: complete physical signals.
  - `leads.json`: the lead names rdsamp reports (record 1).

Usage: python scripts/golden/wfdb_ptbxl.py [DATA_DIR]
(default ../shared/data/ptbxl-sample from the repository root). Needs numpy, wfdb 4.3.1.
"""
import json
import os
import sys

import numpy as np
import wfdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "../shared/data/ptbxl-sample")
OUT = os.path.join(ROOT, "crates/ecg-io/tests/golden/ptbxl")
os.makedirs(OUT, exist_ok=True)


def path(ecg_id, rate):
    d, suffix = ("records100", "lr") if rate == 100 else ("records500", "hr")
    return os.path.join(DATA, d, f"{(ecg_id // 1000) * 1000:05d}", f"{ecg_id:05d}_{suffix}")


stats = np.zeros((2, 500, 12, 5))
for r, rate in enumerate([100, 500]):
    for i in range(500):
        x, fields = wfdb.rdsamp(path(i + 1, rate))
        x = x.T  # [leads, samples]
        n = x.shape[1]
        w = np.arange(1, n + 1) / n
        stats[r, i, :, 0] = x.sum(axis=1)
        stats[r, i, :, 1] = (x * x).sum(axis=1)
        stats[r, i, :, 2] = (x * w).sum(axis=1)
        stats[r, i, :, 3] = x.min(axis=1)
        stats[r, i, :, 4] = x.max(axis=1)
        if i == 0 and r == 0:
            with open(os.path.join(OUT, "leads.json"), "w") as f:
                json.dump(fields["sig_name"], f)
np.save(os.path.join(OUT, "stats.npy"), stats)
for ecg_id, rate in [(1, 100), (250, 100), (500, 500)]:
    x, _ = wfdb.rdsamp(path(ecg_id, rate))
    tag = "lr" if rate == 100 else "hr"
    np.save(os.path.join(OUT, f"full_{ecg_id:05d}_{tag}.npy"), x.T.astype(np.float64))
print("wrote", sorted(os.listdir(OUT)))
