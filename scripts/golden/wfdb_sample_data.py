#!/usr/bin/env python3
"""Golden values for WFDB skew, multi-segment records and FLAC formats (508/516/524), from
wfdb-python 4.3 (`wfdb.rdrecord(..., physical=True, m2s=True, smooth_frames=True)`, its
defaults), for crates/ecg-io/tests/wfdb_sample_data.rs.

Two sources of records:
  1. wfdb-python's own `sample-data/` folder (tag v4.3.1 of MIT-LCP/wfdb-python), given as
     SAMPLE_DATA. Every record there is read (whole, and by sample ranges where the whole
     record cannot be read because the repository lacks some of its files); a covering
     subset (COMMIT below, about 3 MB) is copied into OUT/records/ so the tests can read
     it; the golden values of every record are kept, so the full folder can be checked
     too (`WFDB_SAMPLE_DATA=... cargo test -p ecg-io --test wfdb_sample_data`).
  2. Records this script writes with wfdb-python where sample-data lacks a case
     (OUT/records/synth/): skew in several files and formats, FLAC with invalid
     samples and samples per frame, fixed and variable multi-segment records with null
     (`~`) segments, missing channels and per-segment gains.

Golden file OUT/golden.json: one entry per (record, sampfrom, sampto) with, per signal,
the name, NaN runs [start, end) (exact), the sum and sum of |x| over non-NaN samples,
min and max, and three windows of samples (start, middle, end; NaN as null). Values are
float64 as wfdb-python returns them. An entry whose read fails in wfdb-python records
the error instead (such records are listed in the README).

Usage: python scripts/golden/wfdb_sample_data.py SAMPLE_DATA [OUT]
(default OUT crates/ecg-io/tests/golden/wfdb-sample). Needs wfdb==4.3.* and soundfile
(libsndfile, for FLAC), in a throwaway venv: python -m venv /tmp/v &&
/tmp/v/bin/pip install 'wfdb==4.3.*' soundfile.
"""
import glob
import json
import os
import shutil
import sys

import numpy as np
import wfdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SD = os.path.abspath(sys.argv[1])
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    ROOT, "crates/ecg-io/tests/golden/wfdb-sample")
REC = os.path.join(OUT, "records")
SYN = os.path.join(REC, "synth")
WIN = 40  # samples per window

# sample-data files copied into the repository (globs relative to SAMPLE_DATA)
COMMIT = [
    "binformats.*", "flacformats.*", "flac_3_constant.*", "mixedsignals*",
    "test01_00s.dat", "test01_00s*.hea", "03700181.hea", "03700181.dat",
    "100_3chan.*", "3000003_0003.*", "310derive*", "311derive*",
    "a103l.hea", "a103l-no-len.hea", "a103l.mat",
    "multi-segment/041s/*", "multi-segment/fixed1/*", "multi-segment/p000878/*",
    "multi-segment/s25047/*",
    "multi-segment/s00001/*.hea", "multi-segment/s00001/3975656n.dat",
    "multi-segment/s00001/3248903n.dat",
    "multi-segment/s00001/3975656_000[1-4].dat", "multi-segment/s00001/3975656_001[2-6].dat",
]

# (record relative to SAMPLE_DATA, [(sampfrom, sampto or None)])
S1 = "multi-segment/s00001/s00001-2896-10-10-00-31"
SAMPLE_CASES = [
    ("binformats", [(0, None), (3, 101)]),
    ("flacformats", [(0, None), (17, 333)]),
    ("flac_3_constant", [(0, None), (4_999_990, 5_000_100)]),
    ("mixedsignals", [(0, None), (1001, 2222)]),
    ("test01_00s", [(0, None)]),
    ("test01_00s_frame", [(0, None)]),
    ("test01_00s_skew", [(0, None), (3990, 3999), (100, 200)]),
    ("test01_00s_skewframe", [(0, None), (3995, 4000)]),
    ("03700181", [(0, None), (74990, 74998), (5, 1000)]),
    ("100", [(0, None)]),
    ("100-no-len", [(0, None)]),
    ("100skew", [(0, None), (649_990, 650_000)]),
    ("100_3chan", [(0, None)]),
    ("3000003_0003", [(0, None)]),
    ("310derive", [(0, None)]), ("310derive_2", [(0, None)]), ("310derive_3", [(0, None)]),
    ("311derive", [(0, None)]), ("311derive_2", [(0, None)]), ("311derive_3", [(0, None)]),
    ("311derive_4", [(0, None)]),
    ("a103l", [(0, None)]), ("a103l-no-len", [(0, None)]),
    ("p10143", [(0, None)]), ("s0010_re", [(0, None)]), ("test_generator_2", [(0, None)]),
    ("v102s", [(0, None)]),
    ("1003", [(0, None)]), ("12726", [(0, None)]), ("drive02", [(0, None)]),
    ("n16", [(0, None)]), ("n8_evoked_raw_95_F1_R9", [(0, None)]), ("wave_4", [(0, None)]),
    ("multi-segment/041s/041s", [(0, None), (500, 1700)]),
    ("multi-segment/fixed1/v102s", [(0, None), (0, 75000), (70000, 80000)]),
    ("multi-segment/p000878/p000878-2137-10-26-16-57",
     [(0, None), (3550, 7500), (0, 3750), (3700, 3800)]),
    ("multi-segment/s25047/s25047-2704-05-04-10-44", [(0, None), (25000, 60000)]),
    ("multi-segment/s25047/s25047-2704-05-04-10-44n", [(0, None)]),
    (S1, [(0, None), (14428365, 14428375), (3000, 12002),
          (14_428_365, 14_518_365)]),
    (S1 + "n", [(0, None)]),
    ("multi-segment/s00001/s00001-2896-10-09-01-56", [(0, None), (0, 1000)]),
    ("multi-segment/s00001/s00001-2896-10-09-01-56n", [(0, None)]),
]


def runs(mask):
    """[start, end) runs of True in a boolean vector."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return [[int(a), int(b)] for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1))]


def win(v, start):
    return [start, [None if np.isnan(x) else float(x) for x in v[start:start + WIN]]]


def describe(sig, names):
    n = sig.shape[0]
    out = []
    for j in range(sig.shape[1]):
        v = sig[:, j]
        nan = np.isnan(v)
        ok = v[~nan]
        out.append({
            "name": names[j],
            "nan_runs": runs(nan),
            "sum": float(ok.sum()) if ok.size else 0.0,
            "sum_abs": float(np.abs(ok).sum()) if ok.size else 0.0,
            "min": float(ok.min()) if ok.size else None,
            "max": float(ok.max()) if ok.size else None,
            "windows": [win(v, 0), win(v, max(0, n // 2 - WIN // 2)), win(v, max(0, n - WIN))],
        })
    return out


def golden(path, rel, sampfrom, sampto):
    entry = {"record": rel, "sampfrom": sampfrom, "sampto": sampto}
    try:
        r = wfdb.rdrecord(path, sampfrom=sampfrom, sampto=sampto)
        sig = r.p_signal.astype(np.float64)
        entry.update({"shape": list(sig.shape), "fs": float(r.fs),
                      "signals": describe(sig, list(r.sig_name))})
        if sampfrom > 0 and "8" in (r.fmt or []):
            # format 8 from sampfrom > 0: wfdb-python restarts the integration at sampfrom
            # from the header's initial value (wrong, as its own comment says); ecg-io
            # integrates from sample 0. Keep the whole read, cut, as the golden values.
            whole = wfdb.rdrecord(path).p_signal[sampfrom:sampto].astype(np.float64)
            entry["format8_from_whole_read"] = describe(whole, list(r.sig_name))
    except Exception as e:  # noqa: BLE001 - the failure itself is the golden value
        entry["wfdb_python_error"] = f"{type(e).__name__}: {e}"
    return entry


# ---------------------------------------------------------------- synthetic records
rng = np.random.default_rng(20251202)


def walk(n, lo, hi, start=0):
    """A random walk kept inside [lo, hi] (first differences fit in 8 bits)."""
    v = start + np.cumsum(rng.integers(-40, 41, size=n))
    return np.clip(v, lo, hi).astype(np.int64)


def write(name, d, fmt, gains, baselines, names, spf=None, skew=None, files=None, fs=250):
    """A record from digital samples (list of per-signal arrays when spf is given)."""
    n_sig = len(names)
    kw = {}
    if spf is not None:
        kw["e_d_signal"] = d
        sig_len = len(d[0]) // spf[0]
    else:
        kw["d_signal"] = d
        sig_len = d.shape[0]
    rec = wfdb.Record(record_name=name, n_sig=n_sig, fs=fs, sig_len=sig_len,
                      file_name=files or [name + ".dat"] * n_sig, fmt=fmt,
                      samps_per_frame=spf or [1] * n_sig, adc_gain=gains, baseline=baselines,
                      units=["mV"] * n_sig, sig_name=names, adc_res=[0] * n_sig,
                      adc_zero=[0] * n_sig, block_size=[0] * n_sig,
                      skew=skew or [None] * n_sig, **kw)
    rec.set_d_features(expanded=spf is not None)
    rec.wrsamp(expanded=spf is not None, write_dir=SYN)


def synth():
    os.makedirs(SYN, exist_ok=True)
    cases = []
    n = 300
    # skew: one file, two equally skewed signals among three, invalid samples inside
    d = np.stack([walk(n, -2000, 2000) for _ in range(3)], axis=1)
    d[7, 1] = -2048
    write("skew212", d, ["212"] * 3, [200.0, 100.0, 50.0], [0, 10, -3], ["I", "II", "III"],
          skew=[5, None, 5])
    cases.append(("synth/skew212", [(0, None), (290, 300), (10, 20), (0, 296)]))
    # skew in a second file (16) beside an unskewed file (24); samples per frame 2 unskewed
    e = [walk(2 * n, -30000, 30000), walk(n, -30000, 30000), walk(n, -8_000_000, 8_000_000)]
    write("skewfiles", e, ["16", "16", "24"], [1000.0, 500.0, 20000.0], [5, 0, 7],
          ["A", "B", "C"], spf=[2, 1, 1], skew=[None, 4, 2],
          files=["skewfiles_a.dat", "skewfiles_a.dat", "skewfiles_b.dat"])
    cases.append(("synth/skewfiles", [(0, None), (295, 300), (100, 150)]))
    # FLAC: 508/516/524, two signals per FLAC stream, invalid samples, samples per frame 3
    for fmt, bits in (("508", 8), ("516", 16), ("524", 24)):
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        e = [walk(3 * n, lo + 1, hi, 0), walk(3 * n, lo + 1, hi, 10)]
        e[0][9:12] = lo  # a whole frame invalid: NaN after smoothing
        e[1][3 * n - 3:] = lo
        e[1][30] = lo  # one invalid sample in a frame: a number after smoothing
        write(f"flac{fmt}", e, [fmt, fmt], [100.0, 7.0], [0, -2], ["x", "y"], spf=[3, 3])
        cases.append((f"synth/flac{fmt}", [(0, None), (123, 245)]))
    # FLAC with a `+offset` (counted in FLAC samples, as wfdb-python/libsndfile seek):
    # flac516.dat again, 2 frames (6 samples) skipped, header by hand
    spec = ["516x3+6 100.0(0)/mV", "516x3+6 7.0(-2)/mV"]
    with open(os.path.join(SYN, "flacoff.hea"), "w") as f:
        f.write(f"flacoff 2 250 {n - 2}\n" + "".join(f"flac516.dat {s}\n" for s in spec))
    e = wfdb.rdrecord(os.path.join(SYN, "flacoff"), physical=False, smooth_frames=False)
    ck = [int(np.sum(x, dtype=np.int64)) % 65536 for x in e.e_d_signal]
    init = [int(x[0]) for x in e.e_d_signal]
    with open(os.path.join(SYN, "flacoff.hea"), "w") as f:
        f.write(f"flacoff 2 250 {n - 2}\n" + "".join(
            f"flac516.dat {s} 16 0 {i} {c} 0 {nm}\n"
            for s, i, c, nm in zip(spec, init, ck, ["x", "y"])))
    cases.append(("synth/flacoff", [(0, None), (3, 40)]))
    # multi-segment, fixed layout: 3 segments, per-segment gains and baselines
    segs = []
    for k, m in enumerate([120, 80, 150]):
        d = np.stack([walk(m, -2000, 2000), walk(m, -2000, 2000)], axis=1)
        if k == 1:
            d[5, 0] = -32768
        nm = f"fixedms_{k + 1}"
        write(nm, d, ["16", "16"], [200.0 * (k + 1), 100.0], [k, -k], ["ECG", "ABP"], fs=125)
        segs.append((nm, m))
    ms = wfdb.MultiRecord(record_name="fixedms", n_sig=2, fs=125, sig_len=sum(m for _, m in segs),
                     seg_name=[s for s, _ in segs], seg_len=[m for _, m in segs],
                     layout="fixed")
    ms.n_seg = len(segs)
    ms.wrheader(write_dir=SYN)
    cases.append(("synth/fixedms", [(0, None), (100, 210), (121, 130), (0, 120), (200, 350)]))
    # multi-segment, variable layout: layout segment, null segments, channel subsets and
    # orders, a channel absent from a whole segment, different gains per segment
    with open(os.path.join(SYN, "varms_layout.hea"), "w") as f:
        f.write("varms_layout 3 125 0\n~ 0 200/mV 16 0 0 0 0 II\n"
                "~ 0 100/mV 16 0 0 0 0 V\n~ 0 1.25(-100)/mmHg 16 0 0 0 0 ABP\n")
    plan = [("~", 40), (["II", "V"], 100), (["ABP", "II"], 60), ("~", 25),
            (["V"], 70), (["II", "ABP", "V"], 90)]
    seg_name, seg_len = ["varms_layout"], [0]
    for k, (chans, m) in enumerate(plan):
        if chans == "~":
            seg_name.append("~")
            seg_len.append(m)
            continue
        nm = f"varms_{k + 1:04d}"
        d = np.stack([walk(m, -3000, 3000) for _ in chans], axis=1)
        d[m - 1, 0] = -32768
        gains = [{"II": 200.0, "V": 100.0, "ABP": 1.25}[c] * (1 + k) for c in chans]
        write(nm, d, ["16"] * len(chans), gains, [k] * len(chans), chans, fs=125)
        seg_name.append(nm)
        seg_len.append(m)
    ms = wfdb.MultiRecord(record_name="varms", n_sig=3, fs=125, sig_len=sum(seg_len),
                          seg_name=seg_name, seg_len=seg_len, layout="variable")
    ms.n_seg = len(seg_name)
    ms.wrheader(write_dir=SYN)
    cases.append(("synth/varms", [(0, None), (30, 45), (39, 141), (150, 230), (225, 300),
                                  (0, 40), (200, 225)]))
    return cases


def main():
    if os.path.isdir(REC):
        shutil.rmtree(REC)
    os.makedirs(REC)
    committed = set()
    for g in COMMIT:
        hits = glob.glob(os.path.join(SD, g))
        assert hits, g
        for p in hits:
            rel = os.path.relpath(p, SD)
            os.makedirs(os.path.dirname(os.path.join(REC, rel)), exist_ok=True)
            shutil.copyfile(p, os.path.join(REC, rel))
            committed.add(rel)
    entries = []
    for rel, ranges in SAMPLE_CASES:
        for a, b in ranges:
            e = golden(os.path.join(SD, rel), rel, a, b)
            # committed: the copy in the repository reads the same (all its files are there)
            e["committed"] = "signals" in e and golden(os.path.join(REC, rel), rel, a, b) == e
            entries.append(e)
    for rel, ranges in synth():
        for a, b in ranges:
            e = golden(os.path.join(REC, rel), rel, a, b)
            e["committed"] = "signals" in e
            entries.append(e)
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump({"wfdb_python": wfdb.__version__, "cases": entries}, f, indent=0)
    print("committed cases:", sum(e["committed"] for e in entries))
    for e in entries:
        if not e["committed"] and "signals" in e:
            print("not committed (files too large):", e["record"], e["sampfrom"], e["sampto"])
        if "wfdb_python_error" in e:
            print("wfdb-python cannot read", e["record"], e["sampfrom"], e["sampto"], ":",
                  e["wfdb_python_error"][:120])
    size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(REC, "**"), recursive=True)
               if os.path.isfile(p))
    print(f"{len(entries)} cases, {size / 1e6:.2f} MB of records in {REC}")


if __name__ == "__main__":
    main()
