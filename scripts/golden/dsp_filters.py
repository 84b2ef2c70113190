#!/usr/bin/env python3
"""Golden files for crates/ecg-dsp: scipy.signal butter/sosfilt/sosfiltfilt/firwin/resample_poly
on real PTB-XL records, and the 500 -> 100 Hz resample_poly vs the dataset's own 100 Hz records.

Usage (from the repository root, with numpy, scipy and wfdb installed):
    python scripts/golden/dsp_filters.py [--data /work/shared/data/ptbxl-sample]

Writes crates/ecg-dsp/tests/golden/dsp_*.{json,npy}. Inputs are stored as float32 (what
ecg-io hands to ecg-dsp); every scipy reference is computed on input.astype(float64), as the
Rust code computes in f64 from the same f32 values.
"""
import argparse
import json
import math
import pathlib
import sys

import numpy as np
import scipy
import scipy.signal as sig
import wfdb

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "ecg-dsp" / "tests" / "golden"

# Records stored whole at 100 Hz and on three leads at 500 Hz.
RECORDS = [10, 123, 400]
LEADS_500 = [0, 1, 7]  # I, II, V2


def read(data, rec, fs):
    sub = f"records{fs}/{(rec // 1000) * 1000:05d}/{rec:05d}_{'lr' if fs == 100 else 'hr'}"
    r = wfdb.rdrecord(str(data / sub))
    assert r.fs == fs, (sub, r.fs)
    return r.p_signal.T.astype(np.float32)  # [leads, samples]


def band_args(kind, freqs):
    return (freqs[0] if kind in ("lowpass", "highpass") else list(freqs)), kind


def save(name, arr):
    np.save(OUT / name, arr)
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/ptbxl-sample")
    data = pathlib.Path(ap.parse_args().data)
    OUT.mkdir(parents=True, exist_ok=True)

    manifest = {
        "generator": "scripts/golden/dsp_filters.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "wfdb": wfdb.__version__,
        "records": [],
        "butter": [],
        "filtfilt": [],
        "sosfilt": [],
        "firwin": [],
        "resample": [],
    }

    rec100, rec500 = {}, {}
    for rec in RECORDS:
        rec100[rec] = read(data, rec, 100)
        rec500[rec] = read(data, rec, 500)[LEADS_500]
        manifest["records"].append({
            "record": rec,
            "file_100": save(f"dsp_rec{rec:05d}_100hz.npy", rec100[rec]),
            "file_500": save(f"dsp_rec{rec:05d}_500hz.npy", rec500[rec]),
            "leads_500": LEADS_500,
        })

    # 1. Coefficients only: many designs (orders 1-6, four sampling rates).
    designs = {
        "lowpass": [(1.0,), (10.0,), (25.0,), (40.0,)],
        "highpass": [(0.05,), (0.5,), (1.0,), (20.0,)],
        "bandpass": [(0.5, 40.0), (1.0, 30.0), (5.0, 15.0), (0.05, 45.0)],
    }
    for fs in (100.0, 250.0, 360.0, 500.0):
        for kind, fl in designs.items():
            for freqs in fl:
                for order in range(1, 7):
                    wn, bt = band_args(kind, freqs)
                    sos = sig.butter(order, wn, bt, output="sos", fs=fs)
                    manifest["butter"].append({
                        "order": order, "band": kind, "freqs": list(freqs), "fs": fs,
                        "sos": sos.tolist(),
                    })

    # 2. Zero-phase filtering of real leads: orders 1-5 x low/high/band x 100/500 Hz.
    configs = [("lowpass", (40.0,)), ("highpass", (0.5,)), ("bandpass", (0.5, 40.0))]
    for fs in (100, 500):
        outs, i = [], 0
        for kind, freqs in configs:
            for order in range(1, 6):
                rec = RECORDS[i % len(RECORDS)]
                x = (rec100[rec] if fs == 100 else rec500[rec])
                lead = i % x.shape[0]
                wn, bt = band_args(kind, freqs)
                sos = sig.butter(order, wn, bt, output="sos", fs=fs)
                y = sig.sosfiltfilt(sos, x[lead].astype(np.float64))
                manifest["filtfilt"].append({
                    "order": order, "band": kind, "freqs": list(freqs), "fs": float(fs),
                    "record": rec, "row": lead, "input": f"dsp_rec{rec:05d}_{fs}hz.npy",
                    "output": f"dsp_filtfilt_{fs}hz.npy", "output_row": len(outs),
                })
                outs.append(y)
                i += 1
        save(f"dsp_filtfilt_{fs}hz.npy", np.stack(outs))

    # 3. Causal sosfilt (zero initial state) on a few leads.
    outs = []
    for j, (kind, freqs, order) in enumerate([("bandpass", (0.5, 40.0), 3), ("lowpass", (25.0,), 4),
                                              ("highpass", (1.0,), 2)]):
        rec = RECORDS[j]
        wn, bt = band_args(kind, freqs)
        sos = sig.butter(order, wn, bt, output="sos", fs=100)
        outs.append(sig.sosfilt(sos, rec100[rec][j + 2].astype(np.float64)))
        manifest["sosfilt"].append({
            "order": order, "band": kind, "freqs": list(freqs), "fs": 100.0, "record": rec,
            "row": j + 2, "input": f"dsp_rec{rec:05d}_100hz.npy", "output": "dsp_sosfilt.npy",
            "output_row": j,
        })
    save("dsp_sosfilt.npy", np.stack(outs))

    # 4. The anti-aliasing FIR resample_poly designs, and resampling of real leads.
    for up, down in [(1, 5), (5, 1), (1, 2), (18, 25), (32, 25)]:
        m = max(up, down)
        h = sig.firwin(2 * 10 * m + 1, 1.0 / m, window=("kaiser", 5.0))
        manifest["firwin"].append({"numtaps": 2 * 10 * m + 1, "cutoff": 1.0 / m, "beta": 5.0,
                                   "h": h.tolist()})
    cases = [(500, 1, 5), (500, 2, 10), (500, 1, 2), (500, 18, 25), (100, 5, 1), (100, 32, 25),
             (100, 3, 7)]
    for k, (fs, up, down) in enumerate(cases):
        rec = RECORDS[k % len(RECORDS)]
        x = rec100[rec] if fs == 100 else rec500[rec]
        row = k % x.shape[0]
        y = sig.resample_poly(x[row].astype(np.float64), up, down)
        name = save(f"dsp_resample_{fs}hz_{up}_{down}.npy", y)
        manifest["resample"].append({"record": rec, "row": row, "up": up, "down": down,
                                     "input": f"dsp_rec{rec:05d}_{fs}hz.npy", "output": name})

    # 5. 500 -> 100 Hz with resample_poly vs the dataset's own 100 Hz records, all records.
    heas = sorted((data / "records500").glob("*/*_hr.hea"))
    # resample_poly zero-pads outside the record, so the first and last EDGE output samples
    # (the FIR's half length, 50 input samples = 10 output samples) are pulled towards 0;
    # the interior statistics leave them out.
    EDGE = 10
    sq, n, mx, per = 0.0, 0, 0.0, []
    isq, i_n, imx = 0.0, 0, 0.0
    for hea in heas:
        rec = int(hea.stem.split("_")[0])
        x500 = read(data, rec, 500).astype(np.float64)
        x100 = read(data, rec, 100).astype(np.float64)
        y = sig.resample_poly(x500, 1, 5, axis=1)
        d = y - x100
        sq += float(np.sum(d * d))
        n += d.size
        rmax = float(np.max(np.abs(d)))
        mx = max(mx, rmax)
        di = d[:, EDGE:-EDGE]
        isq += float(np.sum(di * di))
        i_n += di.size
        imx = max(imx, float(np.max(np.abs(di))))
        per.append((rec, math.sqrt(float(np.mean(d * d))), rmax))
    rms = math.sqrt(sq / n)
    rec_rms = np.array([p[1] for p in per])
    golden_recs = {str(p[0]): {"rms_3leads": None, "rms_all_leads": p[1], "max_all_leads": p[2]}
                   for p in per if p[0] in RECORDS}
    # The Rust check uses the three stored 500 Hz leads: give their numbers too.
    for rec in RECORDS:
        y = sig.resample_poly(rec500[rec].astype(np.float64), 1, 5, axis=1)
        d = y - rec100[rec][LEADS_500].astype(np.float64)
        golden_recs[str(rec)]["rms_3leads"] = math.sqrt(float(np.mean(d * d)))
        golden_recs[str(rec)]["max_3leads"] = float(np.max(np.abs(d)))
    manifest["resample_vs_100hz"] = {
        "records": len(per),
        "values": n,
        "rms_mv": rms,
        "max_abs_mv": mx,
        "interior_edge_samples_dropped": EDGE,
        "interior_rms_mv": math.sqrt(isq / i_n),
        "interior_max_abs_mv": imx,
        "per_record_rms_mv_median": float(np.median(rec_rms)),
        "per_record_rms_mv_p95": float(np.percentile(rec_rms, 95)),
        "per_record_rms_mv_max": float(rec_rms.max()),
        "golden_records": golden_recs,
    }
    with open(OUT / "dsp_manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({k: v for k, v in manifest["resample_vs_100hz"].items()
                      if k != "golden_records"}, indent=1))
    print("wrote", OUT, file=sys.stderr)


if __name__ == "__main__":
    main()
