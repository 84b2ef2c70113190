#!/usr/bin/env python3
"""Golden files for ecg-synth: read a generated record with wfdb-python (and the database
row with pandas) and write what they read.

Generates a 3-record dataset with seed 7 through the ecg-synth example (no libtorch),
then reads record 2 at 100 Hz and 500 Hz.

Writes crates/ecg-synth/tests/golden/synth_wfdb_seed7_rec2_{100,500}.npy  (p_signal, float64 [samples, 12])
       crates/ecg-synth/tests/golden/synth_wfdb_seed7_rec2.json        (header fields, checksums, the CSV row)

Usage (needs numpy, pandas, wfdb):  python3 scripts/golden/synth_wfdb.py
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import wfdb

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
golden = os.path.join(root, "crates", "ecg-synth", "tests", "golden")
os.makedirs(golden, exist_ok=True)
SEED, RECORDS, ECG_ID = 7, 3, 2

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(
        ["cargo", "run", "-q", "-p", "ecg-synth", "--example", "write_dataset", "--",
         tmp, str(RECORDS), str(SEED), "100,500"],
        cwd=root, check=True)
    out = {"seed": SEED, "records": RECORDS, "ecg_id": ECG_ID, "wfdb_version": wfdb.__version__}
    db = pd.read_csv(os.path.join(tmp, "ptbxl_database.csv"), index_col="ecg_id")
    out["csv_columns"] = list(db.reset_index().columns)
    row = db.loc[ECG_ID]
    out["csv_row"] = {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
    for rate, col in [(100, "filename_lr"), (500, "filename_hr")]:
        path = os.path.join(tmp, row[col])
        rec = wfdb.rdrecord(path)
        dig = wfdb.rdrecord(path, physical=False)
        sums = [int(s) for s in (dig.d_signal.astype(np.int64).sum(axis=0) % 65536)]
        assert sums == [int(c) % 65536 for c in dig.checksum], (sums, dig.checksum)
        np.save(os.path.join(golden, f"synth_wfdb_seed{SEED}_rec{ECG_ID}_{rate}.npy"), rec.p_signal.astype(np.float64))
        out[str(rate)] = {
            "record_name": rec.record_name,
            "fs": rec.fs,
            "sig_len": rec.sig_len,
            "n_sig": rec.n_sig,
            "sig_name": rec.sig_name,
            "units": rec.units,
            "fmt": rec.fmt,
            "adc_gain": rec.adc_gain,
            "baseline": rec.baseline,
            "adc_res": rec.adc_res,
            "adc_zero": rec.adc_zero,
            "init_value": rec.init_value,
            "checksum": rec.checksum,
            "checksum_recomputed": sums,
        }
with open(os.path.join(golden, f"synth_wfdb_seed{SEED}_rec{ECG_ID}.json"), "w") as f:
    json.dump(out, f, indent=1, default=str)
    f.write("\n")
print("wrote golden files to", golden)
