#!/usr/bin/env python3
"""Golden files for ecg-labels: PTB-XL label tasks and label statistics.

Reproduces the PTB-XL benchmark's label construction (helme/ecg_ptbxl_benchmarking,
code/utils/utils.py: compute_label_aggregations + select_data, scikit-learn's
MultiLabelBinarizer) with pandas, then counts t(i), t(i,j) on the training folds 1-8 and
computes the conditional co-occurrence matrix E[i][j] = t(i,j)/t(j) and the cosine matrix
C[i][j] = t(i,j)/sqrt(t(i) t(j)) with numpy (zero counts -> 0), as docs/METHODS.md §1-2.

Usage: python scripts/golden/labels_ptbxl.py [PTBXL_DIR] [OUT_DIR]
  defaults: ../shared/data/ptbxl-sample (relative to the repo root), crates/ecg-labels/tests/golden
Needs: numpy, pandas, scikit-learn.

Each case writes ptbxl_<case>.json with: task, min_likelihood, min_samples, classes (the
binarizer's classes_), ecg_ids (kept records, file order), folds, y (multi-hot rows),
counts (t(i,j) on folds 1-8, diagonal t(i)), conditional (E), cosine (C).
"""
import ast
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.preprocessing import MultiLabelBinarizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TASKS = ["all", "diagnostic", "subdiagnostic", "superdiagnostic", "form", "rhythm"]
TRAIN_FOLDS = list(range(1, 9))


def compute_label_aggregations(df, statements, ctype):
    """The benchmark's compute_label_aggregations, verbatim in behaviour."""
    aggregation_df = statements
    if ctype in ["diagnostic", "subdiagnostic", "superdiagnostic"]:
        diag_agg_df = aggregation_df[aggregation_df.diagnostic == 1.0]

        def aggregate_all_diagnostic(y_dic):
            return list(set(k for k in y_dic.keys() if k in diag_agg_df.index))

        def aggregate_subdiagnostic(y_dic):
            tmp = []
            for key in y_dic.keys():
                if key in diag_agg_df.index:
                    c = diag_agg_df.loc[key].diagnostic_subclass
                    if str(c) != "nan":
                        tmp.append(c)
            return list(set(tmp))

        def aggregate_diagnostic(y_dic):
            tmp = []
            for key in y_dic.keys():
                if key in diag_agg_df.index:
                    c = diag_agg_df.loc[key].diagnostic_class
                    if str(c) != "nan":
                        tmp.append(c)
            return list(set(tmp))

        fn = {
            "diagnostic": aggregate_all_diagnostic,
            "subdiagnostic": aggregate_subdiagnostic,
            "superdiagnostic": aggregate_diagnostic,
        }[ctype]
        df[ctype] = df.scp_codes.apply(fn)
    elif ctype in ["form", "rhythm"]:
        agg_df = aggregation_df[aggregation_df[ctype] == 1.0]
        df[ctype] = df.scp_codes.apply(lambda d: list(set(k for k in d.keys() if k in agg_df.index)))
    elif ctype == "all":
        df[ctype] = df.scp_codes.apply(lambda d: list(set(d.keys())))
    df[ctype + "_len"] = df[ctype].apply(len)
    return df


def select_data(YY, ctype, min_samples):
    """The benchmark's select_data (labels only). As in the benchmark, `diagnostic` is not
    filtered by min_samples."""
    mlb = MultiLabelBinarizer()
    if ctype != "diagnostic":
        counts = pd.Series(np.concatenate(YY[ctype].values)).value_counts()
        counts = counts[counts > min_samples]
        keep = set(counts.index.values)
        YY[ctype] = YY[ctype].apply(lambda x: list(set(x).intersection(keep)))
        YY[ctype + "_len"] = YY[ctype].apply(len)
    Y = YY[YY[ctype + "_len"] > 0]
    mlb.fit(Y[ctype].values)
    y = mlb.transform(Y[ctype].values)
    return Y, y, mlb


def statistics(y):
    """t(i,j) (diagonal t(i)), E and C; zero counts give 0, never NaN."""
    t = (y.T.astype(np.int64) @ y.astype(np.int64)).astype(np.float64)
    d = np.diag(t).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(d[None, :] > 0, t / d[None, :], 0.0)
        denom = np.sqrt(np.outer(d, d))
        c = np.where(denom > 0, t / denom, 0.0)
    return t, e, c


def case(db, statements, ctype, min_likelihood=0.0, min_samples=0):
    df = db.copy()
    df["scp_codes"] = df.scp_codes.apply(
        lambda d: {k: v for k, v in d.items() if v >= min_likelihood}
    )
    df = compute_label_aggregations(df, statements, ctype)
    Y, y, mlb = select_data(df, ctype, min_samples)
    train = Y.strat_fold.isin(TRAIN_FOLDS).values
    t, e, c = statistics(y[train])
    return {
        "task": ctype,
        "min_likelihood": min_likelihood,
        "min_samples": min_samples,
        "classes": [str(x) for x in mlb.classes_],
        "ecg_ids": [int(i) for i in Y.index.values],
        "folds": [int(f) for f in Y.strat_fold.values],
        "y": y.astype(int).tolist(),
        "counts": t.astype(int).tolist(),
        "conditional": e.tolist(),
        "cosine": c.tolist(),
    }


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data", "ptbxl-sample")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "crates", "ecg-labels", "tests", "golden")
    os.makedirs(out, exist_ok=True)
    db = pd.read_csv(os.path.join(data, "ptbxl_database.csv"), index_col="ecg_id")
    db.scp_codes = db.scp_codes.apply(ast.literal_eval)
    statements = pd.read_csv(os.path.join(data, "scp_statements.csv"), index_col=0)
    cases = [(t, t, 0.0, 0) for t in TASKS]
    cases += [
        ("superdiagnostic_minlik50", "superdiagnostic", 50.0, 0),
        ("all_minlik100", "all", 100.0, 0),
        ("all_minsamples10", "all", 0.0, 10),
    ]
    for name, ctype, min_lik, min_samples in cases:
        res = case(db, statements, ctype, min_lik, min_samples)
        path = os.path.join(out, f"ptbxl_{name}.json")
        with open(path, "w") as f:
            json.dump(res, f, separators=(",", ":"))
        print(f"{path}: {len(res['classes'])} classes, {len(res['ecg_ids'])} records")


if __name__ == "__main__":
    main()
