"""Golden values for ecg-metrics `paired` (crates/ecg-metrics/tests/golden_paired.rs).

Student-t quantiles and intervals from scipy.stats, standard deviations from numpy
(ddof=1), and a paired bootstrap of macro ROC-AUC (scikit-learn's roc_auc_score per label,
labels with one class left out of the mean) over explicit index sets, with numpy's default
linear percentiles. Run:

    python3 -m venv /tmp/v && /tmp/v/bin/pip install numpy scipy scikit-learn
    /tmp/v/bin/python scripts/golden/paired_stats.py

Writes crates/ecg-metrics/tests/golden/paired/expected.json.
"""
import json
import pathlib

import numpy as np
import scipy
import scipy.stats as st
import sklearn
from sklearn.metrics import roc_auc_score

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates/ecg-metrics/tests/golden/paired"


def macro_auc(y, p):
    aucs = [roc_auc_score(y[:, j], p[:, j]) for j in range(y.shape[1]) if 0 < y[:, j].sum() < len(y)]
    return float(np.mean(aucs)) if aucs else None


def main():
    quantiles = []
    for p in [0.975, 0.95, 0.025, 0.5, 0.995, 0.8]:
        for df in [1, 2, 3, 4, 9, 29, 100]:
            quantiles.append({"p": p, "df": df, "t": float(st.t.ppf(p, df))})

    rng = np.random.default_rng(19)
    samples = [
        [0.012, -0.004, 0.021],
        [0.91, 0.93, 0.905, 0.922, 0.917],
        [-0.05, -0.02],
        list(map(float, rng.normal(0.01, 0.02, size=10).round(6))),
        [0.3, 0.3, 0.3],
    ]
    summaries = []
    for xs in samples:
        a = np.asarray(xs)
        n = len(a)
        std = float(a.std(ddof=1))
        for level in [0.95, 0.9]:
            lo, hi = st.t.interval(level, n - 1, loc=a.mean(), scale=st.sem(a)) if std > 0 else (a.mean(), a.mean())
            summaries.append({"x": xs, "level": level, "mean": float(a.mean()), "std": std,
                              "lo": float(lo), "hi": float(hi)})

    n, k = 40, 3
    y = (rng.random((n, k)) < [0.5, 0.3, 0.15]).astype(np.uint8)
    pa = np.clip(y * 0.35 + rng.random((n, k)) * 0.65, 0, 1).round(6)
    pb = np.clip(y * 0.15 + rng.random((n, k)) * 0.85, 0, 1).round(6)
    idx = rng.integers(0, n, size=(60, n))
    diffs = []
    for s in idx:
        a, b = macro_auc(y[s], pa[s]), macro_auc(y[s], pb[s])
        if a is not None and b is not None:
            diffs.append(a - b)
    diffs = np.asarray(diffs)
    boot = {
        "y": y.tolist(), "pa": pa.tolist(), "pb": pb.tolist(), "samples": idx.tolist(),
        "point": macro_auc(y, pa) - macro_auc(y, pb),
        "mean": float(diffs.mean()),
        "lo": float(np.percentile(diffs, 2.5)),
        "hi": float(np.percentile(diffs, 97.5)),
        "n_undefined": int(len(idx) - len(diffs)),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "expected.json").write_text(json.dumps({
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "t_quantiles": quantiles, "summaries": summaries, "paired_bootstrap": boot,
    }, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
