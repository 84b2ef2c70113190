"""Golden values for ecg-io's MAT-5 reader and CPSC2018 loader (crates/ecg-io/tests/cpsc2018.rs).

Reference: scipy.io.loadmat.

1. `records.json`: for each of the 10 real CPSC2018 files in /work/shared/data/cpsc2018-sample,
   what scipy reads: N, sex, age, and per lead (12 rows of ECG.data) the sum, sum of squares,
   sum of absolute values and first/last samples (float64).
2. Small synthetic MAT-5 files written here by an independent, hand-written MAT-5 encoder
   (both byte orders, compressed and not, numeric classes stored as smaller types as MATLAB
   does, char, struct, cell, logical, complex, empty arrays). Each file is read back with
   scipy.io.loadmat; the script asserts scipy sees the intended values, and writes what
   scipy read to `<file>.json` as the expected value of the Rust reader.

Usage: python scripts/golden/cpsc2018_mat.py [DATA_DIR] [OUT_DIR]
Needs numpy, scipy.
"""
import json
import os
import struct
import sys
import warnings
import zlib

import numpy as np
import scipy.io as sio

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "cpsc2018-sample")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "crates", "ecg-io", "tests", "golden", "cpsc2018")

# ---------------------------------------------------------------- real records


def real_records():
    out = []
    names = sorted(f[:-4] for f in os.listdir(DATA) if f.endswith(".mat"))
    for name in names:
        m = sio.loadmat(os.path.join(DATA, name + ".mat"))
        ecg = m["ECG"][0, 0]
        data = np.asarray(ecg["data"], dtype=np.float64)
        assert data.shape[0] == 12, (name, data.shape)
        sex = ecg["sex"]
        sex = str(sex[0]) if sex.size else None
        age = ecg["age"]
        age = float(age.ravel()[0]) if age.size else None
        if age is not None and not np.isfinite(age):
            age = None
        out.append(
            {
                "name": name,
                "samples": int(data.shape[1]),
                "sex": sex,
                "age": age,
                "sum": [float(x) for x in data.sum(axis=1)],
                "sumsq": [float(x) for x in (data * data).sum(axis=1)],
                "sumabs": [float(x) for x in np.abs(data).sum(axis=1)],
                "first": [float(x) for x in data[:, 0]],
                "last": [float(x) for x in data[:, -1]],
            }
        )
    return out


# ---------------------------------------------------------------- a small MAT-5 encoder

MI = {"int8": 1, "uint8": 2, "int16": 3, "uint16": 4, "int32": 5, "uint32": 6, "single": 7,
      "double": 9, "int64": 12, "uint64": 13, "matrix": 14, "compressed": 15, "utf8": 16}
NP = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
      "single": "f4", "double": "f8", "int64": "i8", "uint64": "u8"}
MX = {"cell": 1, "struct": 2, "char": 4, "double": 6, "single": 7, "int8": 8, "uint8": 9,
      "int16": 10, "uint16": 11, "int32": 12, "uint32": 13, "int64": 14, "uint64": 15}


class Enc:
    def __init__(self, big):
        self.e = ">" if big else "<"
        self.big = big

    def element(self, mi, payload, small_ok=True):
        n = len(payload)
        if small_ok and n <= 4 and mi != MI["matrix"]:
            return struct.pack(self.e + "I", (n << 16) | mi) + payload + b"\0" * (4 - n)
        pad = (8 - n % 8) % 8
        return struct.pack(self.e + "II", mi, n) + payload + b"\0" * pad

    def values(self, storage, vals):
        return np.asarray(vals).astype(np.dtype(self.e + NP[storage])).tobytes()

    def matrix(self, name, cls, dims, body, logical=False, complex_=False):
        word = MX[cls] | (0x200 if logical else 0) | (0x800 if complex_ else 0)
        p = self.element(MI["uint32"], struct.pack(self.e + "II", word, 0))
        p += self.element(MI["int32"], struct.pack(self.e + "i" * len(dims), *dims))
        p += self.element(MI["int8"], name.encode())
        p += body
        return self.element(MI["matrix"], p, small_ok=False)

    def numeric(self, name, cls, arr, storage, logical=False):
        arr = np.asarray(arr)
        if arr.ndim < 2:
            arr = arr.reshape(1, -1)
        col = arr.ravel(order="F")
        if np.iscomplexobj(col):
            body = self.element(MI[storage], self.values(storage, col.real))
            body += self.element(MI[storage], self.values(storage, col.imag))
            return self.matrix(name, cls, arr.shape, body, logical, complex_=True)
        return self.matrix(name, cls, arr.shape, self.element(MI[storage], self.values(storage, col)), logical)

    def char(self, name, text, dims=None, storage="uint16"):
        dims = dims or (1, len(text))
        if storage == "uint16":
            payload = np.array([ord(c) for c in text], dtype=self.e + "u2").tobytes()
        else:
            payload = text.encode("utf-8")
        return self.matrix(name, "char", dims, self.element(MI[storage], payload))

    def struct(self, name, fields, elements, dims=(1, 1)):
        """elements: list (column-major) of lists of field arrays (matrix bytes, name '')."""
        flen = 32
        body = self.element(MI["int32"], struct.pack(self.e + "i", flen))
        body += self.element(MI["int8"], b"".join(f.encode().ljust(flen, b"\0") for f in fields))
        for el in elements:
            body += b"".join(el)
        return self.matrix(name, "struct", dims, body)

    def cell(self, name, items, dims):
        return self.matrix(name, "cell", dims, b"".join(items))

    def empty(self):
        # A zero-length miMATRIX: MATLAB's encoding of [] inside structs and cells.
        return struct.pack(self.e + "II", MI["matrix"], 0)

    def file(self, variables, compress):
        text = b"MATLAB 5.0 MAT-file, Platform: ecg-io golden, written by scripts/golden/cpsc2018_mat.py"
        head = text.ljust(116, b" ") + b"\0" * 8
        head += struct.pack(self.e + "H", 0x0100) + (b"MI" if self.big else b"IM")
        body = b""
        for v in variables:
            if compress:
                z = zlib.compress(v)
                body += struct.pack(self.e + "II", MI["compressed"], len(z)) + z
            else:
                body += v
        return head + body


# ---------------------------------------------------------------- scipy's view, as JSON


def num(x):
    x = float(x)
    return x if np.isfinite(x) else None


def describe(v, vc):
    """What scipy read, in the Rust reader's terms (dims, column-major data). `v` is read
    with mat_dtype=False (values; keeps complex parts), `vc` the same variable read with
    mat_dtype=True (its dtype is the MATLAB class, not the storage type)."""
    if isinstance(v, np.ndarray) and v.dtype.names is not None:
        return {
            "kind": "struct",
            "dims": list(v.shape),
            "fields": list(v.dtype.names),
            "elements": [[describe(el[f], elc[f]) for f in v.dtype.names]
                         for el, elc in zip(v.ravel(order="F"), vc.ravel(order="F"))],
        }
    if isinstance(v, np.ndarray) and v.dtype == object:
        return {"kind": "cell", "dims": list(v.shape),
                "items": [describe(x, xc) for x, xc in zip(v.ravel(order="F"), vc.ravel(order="F"))]}
    if isinstance(v, np.ndarray) and v.dtype.kind == "U":
        return {"kind": "char", "dims": list(v.shape), "text": "".join(v.ravel(order="F"))}
    v = np.asarray(v)
    dtype = np.asarray(vc).dtype.name
    if np.iscomplexobj(v):
        dtype = {"complex128": "float64", "complex64": "float32"}.get(v.dtype.name, dtype)
    d = {"kind": "numeric", "dtype": dtype, "dims": list(v.shape)}
    col = v.ravel(order="F")
    if np.iscomplexobj(col):
        d["real"] = [num(x) for x in col.real]
        d["imag"] = [num(x) for x in col.imag]
    else:
        d["real"] = [num(x) for x in col.astype(np.float64)]
    return d


def scipy_view(path):
    kw = dict(chars_as_strings=False, squeeze_me=False)
    m = sio.loadmat(path, mat_dtype=False, **kw)
    with warnings.catch_warnings():
        # mat_dtype=True casts complex data to the real class dtype; only dtypes are used.
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        mc = sio.loadmat(path, mat_dtype=True, **kw)
    return {k: describe(v, mc[k]) for k, v in m.items() if not k.startswith("__")}


def synthetic(rng):
    files = {}

    # A: big-endian, uncompressed. double `data` stored as miDOUBLE, `age` (double) stored
    # as miUINT8 in a small data element, an int32 array stored as miINT8, logical, single,
    # cell, complex.
    e = Enc(big=True)
    data_a = rng.normal(size=(12, 7)).round(6)
    ecg = e.struct("ECG", ["sex", "age", "data"], [[
        e.char("", "Female"),
        e.numeric("", "double", [[63]], "uint8"),
        e.numeric("", "double", data_a, "double"),
    ]])
    files["synthetic_be.mat"] = (e.file([
        ecg,
        e.numeric("counts", "int32", np.array([[-3, 0, 7], [100, -128, 127]]), "int8"),
        e.numeric("flag", "uint8", np.array([[1, 0, 1, 1]]), "uint8", logical=True),
        e.numeric("single_v", "single", np.array([[0.5, -1.25, 3.0e-3]], dtype=np.float32), "single"),
        e.cell("c", [e.char("", "ab"), e.numeric("", "double", [[2.5]], "double")], (1, 2)),
        e.numeric("z", "double", np.array([[1 + 2j, -0.5 - 1j]]), "double"),
    ], compress=False), {"ECG.data": data_a})

    # B: little-endian, compressed. double `data` of integers stored as miINT16 (MATLAB's
    # space saving), `age` of class uint8, an empty field, uint16/int64 classes, a 2x3 char
    # matrix, a 1x2 struct array.
    e = Enc(big=False)
    data_b = rng.integers(-2000, 2000, size=(12, 9))
    ecg = e.struct("ECG", ["sex", "age", "data", "note"], [[
        e.char("", "Male"),
        e.numeric("", "uint8", [[52]], "uint8"),
        e.numeric("", "double", data_b, "int16"),
        e.empty(),
    ]])
    sa = e.struct("sa", ["x"], [[e.numeric("", "double", [[1.0]], "double")],
                                 [e.numeric("", "double", [[2.0, 3.0]], "uint8")]], dims=(1, 2))
    files["synthetic_le_z.mat"] = (e.file([
        ecg,
        e.numeric("u16", "uint16", np.array([[65535, 0, 1234]]), "uint16"),
        e.numeric("i64", "int64", np.array([[-(2 ** 40), 5]]), "int64"),
        e.char("cm", "aBcDeF", dims=(2, 3)),
        sa,
    ], compress=True), {"ECG.data": data_b})

    # C: big-endian, compressed. double `data` stored as miINT32, empty `sex`, UTF-8 char.
    e = Enc(big=True)
    data_c = rng.integers(-100000, 100000, size=(12, 5))
    ecg = e.struct("ECG", ["sex", "age", "data"], [[
        e.char("", "", dims=(0, 0)),
        e.numeric("", "double", [[np.nan]], "double"),
        e.numeric("", "double", data_c, "int32"),
    ]])
    files["synthetic_be_z.mat"] = (e.file([ecg, e.char("u8", "µV", storage="utf8")], compress=True),
                                   {"ECG.data": data_c})
    return files


def main():
    os.makedirs(OUT, exist_ok=True)
    recs = real_records()
    with open(os.path.join(OUT, "records.json"), "w") as f:
        json.dump(recs, f, indent=1)
    rng = np.random.default_rng(2018)
    for name, (blob, intended) in synthetic(rng).items():
        path = os.path.join(OUT, name)
        with open(path, "wb") as f:
            f.write(blob)
        view = scipy_view(path)
        # Self-check of the encoder: scipy must read the intended data.
        got = np.array(view["ECG"]["elements"][0][view["ECG"]["fields"].index("data")]["real"], dtype=float)
        assert np.array_equal(got, np.asarray(intended["ECG.data"], dtype=np.float64).ravel(order="F")), name
        with open(path + ".json", "w") as f:
            json.dump(view, f, indent=1)
        print(f"wrote {path} ({len(blob)} bytes) and its scipy view")
    print(f"wrote {len(recs)} records to {os.path.join(OUT, 'records.json')}")


if __name__ == "__main__":
    main()
