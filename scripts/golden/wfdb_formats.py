#!/usr/bin/env python3
"""Golden WFDB records in every supported signal format, written and read back by
wfdb-python (the reference), for crates/ecg-io/tests/wfdb_golden.rs.

For each format in 8 16 24 32 61 80 160 212 310 311 a tiny 3-signal record `f<fmt>` is
written (digital values spanning the format's range, one invalid sample where the format
has a marker): formats 16 24 32 80 with `wfdb.wrsamp(d_signal=..., fmt=[...])`; formats
wfdb-python cannot write (8 61 160 212 310 311) are packed here with numpy following
WFDB's signal(5) layout, with a hand-written header. Every record is then read back with
`wfdb.rdrecord(physical=True)` (the reference reader); its p_signal is saved transposed,
[leads, samples], float64, as `f<fmt>.npy`. Extra cases:
  - `multi`: a record spread over two data files (formats 16 and 212),
  - `offset`: format 16 with a 24-byte prefix (`16+24`), header written by hand,
  - `spf`: format 16 with 2 samples per frame for signal 0 (rdrecord smooth_frames=True),
  - `signedck`: a header that writes its checksums signed (as C WFDB does).

Usage: python scripts/golden/wfdb_formats.py [OUT_DIR]
(default crates/ecg-io/tests/golden/wfdb). Needs numpy and wfdb (tested with 4.3.1).
"""
import os
import sys

import numpy as np
import wfdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "crates/ecg-io/tests/golden/wfdb")
os.makedirs(OUT, exist_ok=True)
N = 37  # odd, not a multiple of 3: exercises the packed formats' partial groups
rng = np.random.default_rng(20240611)

BITS = {"8": 8, "16": 16, "24": 24, "32": 32, "61": 16, "80": 8, "160": 16,
        "212": 12, "310": 10, "311": 10}


def digital(fmt, n_sig):
    bits = BITS[fmt]
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if fmt == "8":
        # first differences must fit in 8 bits
        steps = rng.integers(-100, 101, size=(N, n_sig))
        d = np.cumsum(steps, axis=0) + 500
        return d.astype(np.int64)
    d = rng.integers(lo + 1, hi, size=(N, n_sig), endpoint=True).astype(np.int64)
    d[0, 0], d[1, 0] = lo + 1, hi  # the extremes
    d[5, n_sig - 1] = lo  # the invalid-sample marker -> NaN
    return d


def save(name):
    rec = wfdb.rdrecord(os.path.join(OUT, name), physical=True)
    np.save(os.path.join(OUT, name + ".npy"), rec.p_signal.T.astype(np.float64))


def wr(name, d, fmt, gains, baselines, names, **kw):
    wfdb.wrsamp(name, fs=250, units=["mV"] * d.shape[1], sig_name=names, d_signal=d,
                fmt=fmt, adc_gain=gains, baseline=baselines, write_dir=OUT, **kw)


def pack(fmt, flat):
    """Interleaved digital samples -> bytes of a WFDB data file (signal(5) layouts)."""
    v = flat.astype(np.int64)
    if fmt == "8":
        raise ValueError("format 8 is packed per signal, see pack8")
    if fmt == "61":
        return v.astype(">i2").tobytes()
    if fmt == "160":
        return (v + 32768).astype("<u2").tobytes()
    if fmt == "212":
        u = v & 0xFFF
        if len(u) % 2:
            u = np.append(u, 0)
        a, b = u[0::2], u[1::2]
        out = np.stack([a & 0xFF, (a >> 8) | ((b >> 8) << 4), b & 0xFF], axis=1).astype(np.uint8).ravel()
        return out[: int(np.ceil(len(v) * 1.5))].tobytes()
    u = v & 0x3FF
    n = len(u)
    pad = (-n) % 3
    u = np.append(u, np.zeros(pad, dtype=np.int64))
    a, b, c = u[0::3], u[1::3], u[2::3]
    if fmt == "310":
        w0 = (a << 1) | ((c & 0x1F) << 11)
        w1 = (b << 1) | ((c >> 5) << 11)
        out = np.stack([w0, w1], axis=1).astype("<u2").view(np.uint8).ravel()
        nbytes = n // 3 * 4 + {0: 0, 1: 2, 2: 4}[n % 3]
        return out[:nbytes].tobytes()
    if fmt == "311":
        w = a | (b << 10) | (c << 20)
        return w.astype("<u4").tobytes()  # whole words (as wfdb-python pads 311)
    raise ValueError(fmt)


def pack8(d, init):
    diffs = np.diff(np.concatenate([init[None, :], d], axis=0), axis=0)
    assert np.abs(diffs).max() <= 127
    return diffs.astype(np.int8).tobytes()  # frames of n_sig differences


def by_hand(name, d, fmt, gains, baselines, names):
    n, n_sig = d.shape
    init = d[0].copy()
    data = pack8(d, init) if fmt == "8" else pack(fmt, d.ravel())
    with open(os.path.join(OUT, name + ".dat"), "wb") as f:
        f.write(data)
    ck = [int(x) % 65536 for x in d.sum(axis=0)]
    with open(os.path.join(OUT, name + ".hea"), "w") as f:
        f.write(f"{name} {n_sig} 250 {n}\n")
        for i in range(n_sig):
            f.write(f"{name}.dat {fmt} {gains[i]}({baselines[i]})/mV {BITS[fmt]} 0 "
                    f"{init[i]} {ck[i]} 0 {names[i]}\n")


for fmt in BITS:
    d = digital(fmt, 3)
    args = (d, [200.0, 1000.0, 12.5], [0, -7, 33], ["I", "II", "V1"])
    if fmt in ("16", "24", "32", "80"):
        wr(f"f{fmt}", args[0], [fmt] * 3, *args[1:])
    else:
        by_hand(f"f{fmt}", d, fmt, *args[1:])
    save(f"f{fmt}")

# two data files in one record (formats 16 and 212), written by hand
d = np.concatenate([digital("16", 2), digital("212", 1)], axis=1)
with open(os.path.join(OUT, "multi_a.dat"), "wb") as f:
    f.write(d[:, :2].astype("<i2").tobytes())
with open(os.path.join(OUT, "multi_b.dat"), "wb") as f:
    f.write(pack("212", d[:, 2]))
ck = [int(x) % 65536 for x in d.sum(axis=0)]
spec = [("multi_a.dat", "16", "200.0(1)/mV", 16), ("multi_a.dat", "16", "400.0(2)/mV", 16),
        ("multi_b.dat", "212", "100.0(3)/uV", 12)]
with open(os.path.join(OUT, "multi.hea"), "w") as f:
    f.write(f"multi 3 360 {N}\n")
    for i, (fn, fmt, g, res) in enumerate(spec):
        f.write(f"{fn} {fmt} {g} {res} 0 {d[0, i]} {ck[i]} 0 {'abc'[i]}\n")
save("multi")

# byte offset: a 24-byte prefix before format-16 samples, header by hand
d = digital("16", 2)
with open(os.path.join(OUT, "offset.dat"), "wb") as f:
    f.write(b"PREFIX-24-BYTES-OF-JUNK!")
    f.write(d.astype("<i2").tobytes())
ck = [int(x) % 65536 for x in d.sum(axis=0)]
with open(os.path.join(OUT, "offset.hea"), "w") as f:
    f.write(f"offset 2 500 {N}\n")
    for i in range(2):
        f.write(f"offset.dat 16+24 500.0(10)/mV 16 0 {d[0, i]} {ck[i]} 0 lead {i}\n")
    f.write("# a comment line\n")
save("offset")

# two samples per frame for signal 0 (expanded signal written, smoothed on read)
e0 = digital("16", 1)[:, 0]
e0 = np.concatenate([e0, e0[::-1] // 2])  # 2N samples
e1 = digital("16", 1)[:, 0]
e0[5] = -32768 + 1
rec = wfdb.Record(record_name="spf", n_sig=2, fs=100, sig_len=N, file_name=["spf.dat"] * 2,
                  fmt=["16", "16"], samps_per_frame=[2, 1], adc_gain=[100.0, 100.0],
                  baseline=[0, 0], units=["mV", "mV"], sig_name=["fast", "slow"],
                  e_d_signal=[e0.astype(np.int64), e1.astype(np.int64)],
                  adc_res=[16, 16], adc_zero=[0, 0], block_size=[0, 0])
rec.init_value = [int(e0[0]), int(e1[0])]
rec.checksum = [int(e0.sum()) % 65536, int(e1.sum()) % 65536]
rec.wrsamp(expanded=True, write_dir=OUT)
rec = wfdb.rdrecord(os.path.join(OUT, "spf"), physical=True, smooth_frames=True)
np.save(os.path.join(OUT, "spf.npy"), rec.p_signal.T.astype(np.float64))

# signed checksums (C WFDB style): same data as f16, header rewritten
with open(os.path.join(OUT, "f16.hea")) as f:
    lines = f.read().splitlines()
out = [lines[0].replace("f16", "signedck", 1)]
for ln in lines[1:]:
    if ln.startswith("#") or not ln.strip():
        out.append(ln)
        continue
    t = ln.split(" ")
    t[0] = "f16.dat"
    ck = int(t[6])
    t[6] = str(ck - 65536 if ck > 32767 else ck)
    out.append(" ".join(t))
with open(os.path.join(OUT, "signedck.hea"), "w") as f:
    f.write("\n".join(out) + "\n")
save("signedck")

print("wrote", sorted(os.listdir(OUT)))
