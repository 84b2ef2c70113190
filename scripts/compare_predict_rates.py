#!/usr/bin/env python3
"""`ecg predict` on PTB-XL's 500 Hz files with a 100 Hz model vs the same model on the
dataset's own 100 Hz files of the same records, and the signals themselves.

predict resamples 500 -> 100 Hz with the packers' resampler (scipy.signal.resample_poly
with its defaults, which ecg-dsp reproduces); PTB-XL made its 100 Hz files with its own
downsampling. This prints, as JSON: the largest probability difference (and the records
and classes above 0.01), and for the signals: the largest |difference| in mV between
resample_poly(x500, 1, 5) and the 100 Hz file, before and after the model's band-pass,
and the time shift (in 100 Hz samples, cross-correlation) that best aligns them.

Usage: python scripts/compare_predict_rates.py --ecg ECG --checkpoint CKPT [--data DIR]
       [--bandpass 0.5:40 --order 3]   (needs wfdb, scipy, pandas, numpy)
"""
import argparse
import json
import os
import subprocess

import numpy as np
import pandas as pd
import wfdb
from scipy.signal import butter, resample_poly, sosfiltfilt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def predict(ecg, ckpt, records):
    out = subprocess.run([ecg, "predict", "--checkpoint", ckpt, *records], check=True,
                         capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    classes = lines[0].split("\t")[1:]
    probs = np.array([[float(v) for v in l.split("\t")[1:]] for l in lines[1:]])
    return classes, probs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecg", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/ptbxl-sample"))
    ap.add_argument("--bandpass", default="0.5:40")
    ap.add_argument("--order", type=int, default=3)
    ap.add_argument("--edge-test", metavar="DIR",
                    help="also write, in DIR, 100 Hz records equal to resample_poly(x500) "
                         "except the first and last 0.5 s taken from PTB-XL's 100 Hz file, "
                         "and report predict's largest difference on them (how much of the "
                         "difference comes from the zero-padded ends)")
    a = ap.parse_args()
    db = pd.read_csv(os.path.join(a.data, "ptbxl_database.csv"), index_col="ecg_id")
    lr = [os.path.join(a.data, f) for f in db.filename_lr]
    hr = [os.path.join(a.data, f) for f in db.filename_hr]
    classes, p_lr = predict(a.ecg, a.checkpoint, lr)
    _, p_hr = predict(a.ecg, a.checkpoint, hr)
    d = np.abs(p_lr - p_hr)
    above = [{"ecg_id": int(db.index[i]), "class": classes[j], "p_100Hz_file": p_lr[i, j],
              "p_500Hz_resampled": p_hr[i, j]} for i, j in zip(*np.nonzero(d > 0.01))]
    lo, hi = (float(v) for v in a.bandpass.split(":"))
    sos = butter(a.order, [lo, hi], btype="bandpass", output="sos", fs=100)
    raw, filt, shifts, edge, mid = [], [], [], [], []
    for f_lr, f_hr in zip(lr, hr):
        x100 = wfdb.rdsamp(f_lr)[0].T.astype(np.float64)
        x500 = wfdb.rdsamp(f_hr)[0].T.astype(np.float64)
        y = resample_poly(x500, 1, 5, axis=1)
        raw.append(np.abs(y - x100).max())
        mid.append(np.abs(y - x100)[:, 50:-50].max())
        edge.append(max(np.abs(y - x100)[:, :50].max(), np.abs(y - x100)[:, -50:].max()))
        filt.append(np.abs(sosfiltfilt(sos, y, axis=1) - sosfiltfilt(sos, x100, axis=1)).max())
        # best integer shift of the 100 Hz file against the resampled 500 Hz signal
        errs = {s: np.abs(np.roll(x100, s, axis=1) - y)[:, 10:-10].mean() for s in range(-3, 4)}
        shifts.append(min(errs, key=errs.get))
    res = {
        "records": len(lr),
        "classes": classes,
        "max_prob_diff": float(d.max()),
        "mean_prob_diff": float(d.mean()),
        "pairs_above_0.01": len(above),
        "above_0.01": above[:20],
        "signal_max_abs_diff_mV": float(np.max(raw)),
        "signal_median_of_record_max_abs_diff_mV": float(np.median(raw)),
        "signal_max_abs_diff_first_last_0.5s_mV": float(np.max(edge)),
        "signal_max_abs_diff_interior_mV": float(np.max(mid)),
        "bandpassed_max_abs_diff_mV": float(np.max(filt)),
        "best_shift_counts": {str(k): shifts.count(k) for k in sorted(set(shifts))},
    }
    if a.edge_test:
        os.makedirs(a.edge_test, exist_ok=True)
        hyb = []
        for k, (f_lr, f_hr) in enumerate(zip(lr, hr)):
            x100, fields = wfdb.rdsamp(f_lr)
            y = resample_poly(wfdb.rdsamp(f_hr)[0], 1, 5, axis=0)
            y[:50], y[-50:] = x100[:50], x100[-50:]
            name = f"h{k:05d}"
            wfdb.wrsamp(name, fs=100, units=fields["units"], sig_name=fields["sig_name"],
                        p_signal=y, fmt=["16"] * y.shape[1], adc_gain=[1000.0] * y.shape[1],
                        baseline=[0] * y.shape[1], write_dir=a.edge_test)
            hyb.append(os.path.join(a.edge_test, name))
        _, p_h = predict(a.ecg, a.checkpoint, hyb)
        dh = np.abs(p_lr - p_h)
        res["edge_test_max_prob_diff"] = float(dh.max())
        res["edge_test_pairs_above_0.01"] = int((dh > 0.01).sum())
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
