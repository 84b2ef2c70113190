#!/usr/bin/env python3
"""Golden files for crates/ecg-metrics/src/challenge2021.rs from the PhysioNet/CinC Challenge
2021 organisers' evaluation code (Reyna et al. 2021), run unchanged.

The organisers' code is NOT in this repository. Get it (BSD 2-Clause) and pass its folder:
    git clone https://github.com/physionetchallenges/evaluation-2021 /tmp/evaluation-2021
    (the goldens were made at commit e2a75fc01f729cb74cc4e853e054ce81e28381fc)
    python3 -m venv /tmp/py-cinc && /tmp/py-cinc/bin/pip install numpy
    /tmp/py-cinc/bin/python scripts/golden/cinc2021_evaluate.py /tmp/evaluation-2021

For every case it writes label files (<record>.hea with #Dx) and output files (<record>.csv)
into a temporary folder, runs their `evaluate_model.evaluate_model(labels, outputs)` (which
reads their own weights.csv), and writes crates/ecg-metrics/tests/golden/cinc2021/<case>.json
holding the inputs (header and output file texts) and every number their function returns
(NaN written as null). Deterministic (fixed seeds).
"""
import json
import os
import random
import sys
import tempfile

import numpy as np

OUT = os.path.join("crates", "ecg-metrics", "tests", "golden", "cinc2021")


def scored_codes(eval_dir):
    with open(os.path.join(eval_dir, "weights.csv")) as f:
        head = f.readline().strip().split(",")[1:]
    return [c.split("|") for c in head]


UNSCORED = ["164884008", "429622005", "164931005", "55827005", "251120003"]


def header(name, dx, age="53", sex="Male"):
    lines = [f"{name} 12 500 5000"]
    for lead in ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]:
        lines.append(f"{name}.mat 16+24 1000/mV 16 0 0 0 0 {lead}")
    lines.append(f"#Age: {age}")
    lines.append(f"#Sex: {sex}")
    if dx is not None:
        lines.append("#Dx: " + ",".join(dx))
    lines += ["#Rx: Unknown", "#Hx: Unknown", "#Sx: Unknown"]
    return "\n".join(lines) + "\n"


def output(name, classes, binary, scalar):
    return f"#{name}\n" + ",".join(classes) + "\n" + ",".join(binary) + "\n" + ",".join(scalar) + "\n"


def fmt_bin(rng, b):
    return rng.choice(["1", "1.0", "True", "T", "t"]) if b else rng.choice(["0", "0.0", "False", "F"])


def random_case(rng, classes, n, joined_outputs=False):
    flat = [c for cl in classes for c in cl]
    recs = []
    for i in range(n):
        k = rng.randint(1, 3)
        dx = rng.sample(flat + UNSCORED, k)
        names = ["|".join(c) for c in classes] if joined_outputs else list(flat)
        rng.shuffle(names)
        scal = [round(rng.random(), rng.choice([1, 2, 17])) for _ in names]
        binv = [fmt_bin(rng, s > 0.6 or name.split("|")[0] in dx) for s, name in zip(scal, names)]
        recs.append((f"R{i:04d}", header(f"R{i:04d}", dx), output(f"R{i:04d}", names, binv, [repr(s) for s in scal])))
    return recs


def cases(classes):
    flat = [c for cl in classes for c in cl]
    rng = random.Random(2021)
    out = {}
    out["random"] = random_case(rng, classes, 60)
    out["random_joined_classes"] = random_case(rng, classes, 40, joined_outputs=True)
    # Every record predicted as sinus rhythm only; scalar outputs all tied.
    recs = []
    for i in range(25):
        dx = rng.sample(flat, rng.randint(1, 2))
        bins = ["1" if c == "426783006" else "0" for c in flat]
        recs.append((f"S{i:03d}", header(f"S{i:03d}", dx), output(f"S{i:03d}", flat, bins, ["0.5"] * len(flat))))
    out["all_sinus_rhythm"] = recs
    # Empty predictions: nothing positive, all scalars 0; one record without any #Dx line.
    recs = []
    for i in range(12):
        dx = None if i == 3 else rng.sample(flat, 1)
        recs.append((f"E{i:03d}", header(f"E{i:03d}", dx), output(f"E{i:03d}", flat, ["0"] * len(flat), ["0"] * len(flat))))
    out["empty_predictions"] = recs
    # Labels given only by the second code of an equivalent pair, outputs by the first;
    # records with only unscored codes; classes without positives.
    pairs = [c for c in classes if len(c) == 2]
    recs = []
    for i in range(16):
        pair = pairs[i % len(pairs)]
        dx = [pair[1]] if i % 4 != 3 else [rng.choice(UNSCORED)]
        names = [pair[0], "426783006", rng.choice(UNSCORED)]
        binv = ["1" if rng.random() < 0.6 else "0", "1" if i % 3 == 0 else "0", "1"]
        scal = [repr(round(rng.random(), 2)), repr(round(rng.random(), 2)), "0.9"]
        recs.append((f"Q{i:03d}", header(f"Q{i:03d}", dx), output(f"Q{i:03d}", names, binv, scal)))
    out["equivalent_only"] = recs
    # One record.
    out["single_record"] = [("A0001", header("A0001", ["164889003", "59118001"]),
                             output("A0001", flat, ["1" if c in ("164889003", "713427006") else "0" for c in flat],
                                    [repr(round(0.1 + 0.03 * j, 2)) for j in range(len(flat))]))]
    # Perfect binary outputs; non-finite and missing scalar entries, classes missing from outputs.
    recs = []
    for i in range(20):
        dx = rng.sample(flat, rng.randint(1, 3))
        names = [c for c in flat if c in dx or rng.random() < 0.5]
        binv = ["1" if c in dx else "0" for c in names]
        scal = [rng.choice(["nan", "inf", "", "x"]) if rng.random() < 0.15 else repr(round(rng.random(), 3)) for _ in names]
        recs.append((f"P{i:03d}", header(f"P{i:03d}", dx, age=rng.choice(["NaN", "61"])), output(f"P{i:03d}", names, binv, scal)))
    out["perfect_binary_messy_scalars"] = recs
    return out


def nan_to_none(x):
    if isinstance(x, (list, tuple, np.ndarray)):
        return [nan_to_none(v) for v in x]
    x = float(x)
    return None if np.isnan(x) else x


def main():
    eval_dir = os.path.abspath(sys.argv[1])
    sys.path.insert(0, eval_dir)
    import evaluate_model  # the organisers' module, unchanged

    classes = scored_codes(eval_dir)
    os.makedirs(OUT, exist_ok=True)
    repo = os.getcwd()
    for name, recs in cases(classes).items():
        with tempfile.TemporaryDirectory() as tmp:
            lab, outd = os.path.join(tmp, "labels"), os.path.join(tmp, "outputs")
            os.makedirs(lab)
            os.makedirs(outd)
            for rec, hea, csv in recs:
                with open(os.path.join(lab, rec + ".hea"), "w") as f:
                    f.write(hea)
                with open(os.path.join(outd, rec + ".csv"), "w") as f:
                    f.write(csv)
            os.chdir(eval_dir)  # evaluate_model reads 'weights.csv' from the working folder
            try:
                res = evaluate_model.evaluate_model(lab, outd)
            finally:
                os.chdir(repo)
        cls, auroc, auprc, auroc_c, auprc_c, acc, f, f_c, cm = res
        doc = {
            "made_by": "scripts/golden/cinc2021_evaluate.py with evaluation-2021 evaluate_model.py",
            "records": [{"name": r, "header": h, "output": c} for r, h, c in recs],
            "expected": {
                "classes": ["|".join(sorted(x)) for x in cls],
                "auroc": nan_to_none(auroc),
                "auprc": nan_to_none(auprc),
                "auroc_classes": nan_to_none(auroc_c),
                "auprc_classes": nan_to_none(auprc_c),
                "accuracy": nan_to_none(acc),
                "f_measure": nan_to_none(f),
                "f_measure_classes": nan_to_none(f_c),
                "challenge_metric": nan_to_none(cm),
            },
        }
        with open(os.path.join(OUT, name + ".json"), "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
        print(name, len(recs), "records, challenge metric", cm)


if __name__ == "__main__":
    main()
