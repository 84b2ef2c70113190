#!/usr/bin/env python3
"""Fit the tables ecg-synth embeds from the real PTB-XL sample (standard library only).

Reads   <data>/ptbxl_database.csv and <data>/scp_statements.csv
Writes  crates/ecg-synth/data/sample_fit.json   (label-set and metadata frequencies)
        crates/ecg-synth/data/scp_statements.csv (byte copy of the official vocabulary)

Label co-occurrence is modelled by the empirical distribution of whole `scp_codes` dict
literals: each synthetic record draws one real record's statement set (codes and
likelihoods), so every pairwise and higher-order co-occurrence matches the sample.

Usage: python3 scripts/golden/synth_fit_sample.py [/work/shared/data/ptbxl-sample]
"""
import collections
import csv
import json
import os
import shutil
import sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data", "ptbxl-sample")
out = os.path.join(root, "crates", "ecg-synth", "data")
os.makedirs(out, exist_ok=True)

with open(os.path.join(data, "ptbxl_database.csv"), newline="") as f:
    rows = list(csv.DictReader(f))

sets = collections.Counter(r["scp_codes"] for r in rows)
reports = collections.defaultdict(collections.Counter)
for r in rows:
    reports[r["scp_codes"]][r["report"]] += 1


def freq(col):
    return [[v, c] for v, c in sorted(collections.Counter(r[col] for r in rows).items(), key=lambda x: (-x[1], x[0]))]


fit = {
    "source": "PTB-XL 1.0.x records 1-500 (ptbxl_database.csv), fitted by scripts/golden/synth_fit_sample.py",
    "records": len(rows),
    "label_sets": [
        {"scp_codes": s, "count": c, "report": reports[s].most_common(1)[0][0]}
        for s, c in sorted(sets.items(), key=lambda x: (-x[1], x[0]))
    ],
}
for col in ["nurse", "site", "device", "validated_by", "second_opinion", "baseline_drift",
            "static_noise", "burst_noise", "electrodes_problems", "extra_beats"]:
    fit[col] = freq(col)
with open(os.path.join(out, "sample_fit.json"), "w") as f:
    json.dump(fit, f, indent=1, ensure_ascii=True)
    f.write("\n")
shutil.copyfile(os.path.join(data, "scp_statements.csv"), os.path.join(out, "scp_statements.csv"))
print(f"{len(rows)} records, {len(sets)} label sets -> {out}")
