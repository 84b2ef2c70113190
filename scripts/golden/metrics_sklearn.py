#!/usr/bin/env python3
"""Golden files for crates/ecg-metrics from scikit-learn (and independent re-implementations
of the PTB-XL benchmark's Fmax / challenge metrics and of the documented threshold rule).

Run from the repository root with a venv holding numpy + scikit-learn (outside the repo):
    python3 -m venv /work/py-metrics && /work/py-metrics/bin/pip install numpy scikit-learn
    /work/py-metrics/bin/python scripts/golden/metrics_sklearn.py
Writes crates/ecg-metrics/tests/golden/<case>/{y,p,val_y,val_p,boot}.npy and expected.json.
"""
import json
import os
import shutil
from fractions import Fraction

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
)

OUT = os.path.join("crates", "ecg-metrics", "tests", "golden")


def auc_or_none(y, p):
    if len(np.unique(y)) < 2:
        return None  # roc_auc_score raises: "Only one class present in y_true"
    return float(roc_auc_score(y, p))


def ap_or_none(y, p):
    if y.sum() == 0:
        return None  # undefined; sklearn returns an arbitrary number with a warning
    return float(average_precision_score(y, p))


def mean_defined(v):
    d = [x for x in v if x is not None]
    return float(np.mean(d)) if d else None


def prf(y, pred):
    p, r, f, _ = precision_recall_fscore_support(y, pred, average=None, zero_division=0)
    out = {"per_label": {"precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist()}}
    for avg in ("macro", "micro"):
        p, r, f, _ = precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    out["label_accuracy"] = float(np.mean([accuracy_score(y[:, j], pred[:, j]) for j in range(y.shape[1])]))
    out["subset_accuracy"] = float(accuracy_score(y, pred))
    return out


def fit_threshold_bruteforce(y, p):
    """The documented rule, brute force: candidates = distinct scores, positive iff
    score >= t, maximise F1 = 2TP/(2TP+FP+FN) exactly (Fractions), ties -> largest t."""
    best_t, best_f = None, None
    for t in sorted(set(p.tolist()), reverse=True):
        pred = p >= t
        tp = int(np.sum(pred & (y == 1)))
        fp = int(np.sum(pred & (y == 0)))
        fn = int(np.sum(~pred & (y == 1)))
        f = Fraction(2 * tp, 2 * tp + fp + fn)
        if best_f is None or f > best_f:
            best_t, best_f = t, f
    return best_t, best_f


def check_with_pr_curve(y, p, best_f):
    """Independent check of the brute force: the best F1 over sklearn's PR curve points."""
    if y.sum() == 0:
        return
    prec, rec, _ = precision_recall_curve(y, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    assert abs(float(np.max(f[:-1])) - float(best_f)) < 1e-12, (np.max(f), best_f)


def fmax_benchmark(y, p):
    """PTB-XL benchmark utils.F_max (thresholds np.arange(0, 1.01, 0.01), score >= t)."""
    if (y.sum(axis=1) == 0).any():
        return None
    thresholds = np.arange(0.00, 1.01, 1.0 / 100, float)
    pred = p[None, :, :] >= thresholds[:, None, None]
    tp = np.sum(np.logical_and(y[None] == 1, pred), axis=2)
    den = pred.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = tp / den
        precision[den == 0] = np.nan
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            av_p = np.nanmean(precision, axis=1)
        av_r = np.mean(tp / y.sum(axis=1)[None, :], axis=1)
        f = 2 * av_p * av_r / (av_p + av_r)
    if np.all(np.isnan(f)):
        return None
    i = int(np.nanargmax(f))
    return {"fmax": float(f[i]), "threshold": float(thresholds[i]),
            "precision": float(av_p[i]), "recall": float(av_r[i])}


def challenge(y, pred, beta=2.0):
    """benchmark challenge_metrics, with 0/0 -> 0."""
    w = y.sum(axis=1)
    if (w == 0).any():
        return None
    fb, gb = [], []
    for j in range(y.shape[1]):
        tp = fp = fn = 0.0
        for i in range(y.shape[0]):
            if y[i, j] == 1 and pred[i, j] == 1:
                tp += 1.0 / w[i]
            elif y[i, j] == 0 and pred[i, j] == 1:
                fp += 1.0 / w[i]
            elif y[i, j] == 1 and pred[i, j] == 0:
                fn += 1.0 / w[i]
        d1 = (1 + beta**2) * tp + fp + beta**2 * fn
        d2 = tp + fp + beta * fn
        fb.append((1 + beta**2) * tp / d1 if d1 else 0.0)
        gb.append(tp / d2 if d2 else 0.0)
    return {"f_beta_macro": float(np.mean(fb)), "g_beta_macro": float(np.mean(gb)),
            "f_beta": fb, "g_beta": gb}


def draw_boot(rng, y, n):
    out = []
    while len(out) < n:
        idx = rng.integers(0, len(y), len(y))
        if y[idx].sum(axis=0).min() > 0:
            out.append(idx)
    return np.array(out, dtype=np.int64)


def write_case(name, y, p, val_y, val_p, boot=None, note=""):
    y = y.astype(np.uint8)
    val_y = val_y.astype(np.uint8)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "y.npy"), y)
    np.save(os.path.join(d, "p.npy"), p)
    np.save(os.path.join(d, "val_y.npy"), val_y)
    np.save(os.path.join(d, "val_p.npy"), val_p)
    k = y.shape[1]
    auc = [auc_or_none(y[:, j], p[:, j]) for j in range(k)]
    ap = [ap_or_none(y[:, j], p[:, j]) for j in range(k)]
    yr, pr = y.ravel(), p.ravel()
    exp = {
        "note": note,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "auc": auc,
        "macro_auc": mean_defined(auc),
        "micro_auc": auc_or_none(yr, pr),
        "ap": ap,
        "macro_ap": mean_defined(ap),
        "micro_ap": ap_or_none(yr, pr),
        "at_0_5": prf(y, (p >= 0.5).astype(np.uint8)),
    }
    thresholds = []
    for j in range(k):
        t, f = fit_threshold_bruteforce(val_y[:, j], val_p[:, j])
        check_with_pr_curve(val_y[:, j], val_p[:, j], f)
        thresholds.append(float(t))
    exp["fitted_thresholds"] = thresholds
    pred_fit = (p >= np.array(thresholds)[None, :]).astype(np.uint8)
    exp["at_fitted"] = prf(y, pred_fit)
    exp["fmax"] = fmax_benchmark(y, p)
    exp["challenge_at_0_5"] = challenge(y, (p >= 0.5).astype(np.uint8))
    if boot is not None:
        np.save(os.path.join(d, "boot.npy"), boot)
        vals = []
        for idx in boot:
            vals.append(float(np.mean([roc_auc_score(y[idx, j], p[idx, j]) for j in range(k)])))
        exp["bootstrap_macro_auc"] = {
            "point": mean_defined(auc),
            "mean": float(np.mean(vals)),
            "p05": float(np.percentile(vals, 5)),
            "p95": float(np.percentile(vals, 95)),
        }
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
        f.write("\n")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    rng = np.random.default_rng(20240607)

    def labelled(n, k, prev):
        y = (rng.random((n, k)) < prev).astype(np.uint8)
        return y

    def informative(y, noise):
        return np.clip(0.35 * y + rng.random(y.shape) * noise, 0, 1)

    # 1. random continuous scores, every record with >= 1 label
    n, k = 80, 6
    prev = np.linspace(0.08, 0.5, k)
    y = labelled(n, k, prev); y[y.sum(1) == 0, 0] = 1
    vy = labelled(n, k, prev); vy[vy.sum(1) == 0, 0] = 1
    write_case("random", y, informative(y, 0.7), vy, informative(vy, 0.7),
               boot=draw_boot(rng, y, 30), note="continuous scores, float64")

    # 2. heavy ties: scores on a 0.1 grid, float32-valued
    n, k = 60, 5
    y = labelled(n, k, np.full(k, 0.3)); y[y.sum(1) == 0, 1] = 1
    vy = labelled(n, k, np.full(k, 0.3)); vy[vy.sum(1) == 0, 1] = 1
    tie = lambda yy: (np.round(informative(yy, 0.6) * 10) / 10).astype(np.float32).astype(np.float64)
    write_case("ties", y, tie(y), vy, tie(vy), boot=draw_boot(rng, y, 20),
               note="scores rounded to 0.1 and stored as float32 values")

    # 3. heavier ties: three score levels
    n, k = 40, 4
    y = labelled(n, k, np.full(k, 0.4)); y[y.sum(1) == 0, 2] = 1
    vy = labelled(n, k, np.full(k, 0.4)); vy[vy.sum(1) == 0, 2] = 1
    lv = lambda yy: np.array([0.0, 0.5, 1.0])[np.clip(yy + rng.integers(0, 2, yy.shape), 0, 2)]
    write_case("three_levels", y, lv(y), vy, lv(vy), note="scores in {0, 0.5, 1}")

    # 4. degenerate labels: all-negative, all-positive, constant scores, a record without labels
    n, k = 30, 5
    y = labelled(n, k, np.full(k, 0.4))
    y[:, 1] = 0  # all-negative label
    y[:, 2] = 1  # all-positive label
    p = informative(y, 0.8)
    p[:, 3] = 0.5  # constant scores
    vy = labelled(n, k, np.full(k, 0.4)); vy[:, 1] = 0; vy[:, 2] = 1
    vp = informative(vy, 0.8); vp[:, 3] = 0.5
    write_case("degenerate", y, p, vy, vp,
               note="label 1 all negative, label 2 all positive, label 3 constant score")

    # 4b. a record without any label: Fmax and F_beta/G_beta undefined
    n, k = 20, 3
    y = labelled(n, k, np.full(k, 0.5)); y[y.sum(1) == 0, 0] = 1
    y[3, :] = 0
    vy = labelled(n, k, np.full(k, 0.5))
    write_case("unlabelled_record", y, informative(y, 0.8), vy, informative(vy, 0.8),
               note="record 3 has no label")

    # 5. tiny n
    y = np.array([[1, 0], [0, 1]]); p = np.array([[0.6, 0.6], [0.2, 0.7]])
    vy = np.array([[0, 1], [1, 0], [1, 1]]); vp = np.array([[0.3, 0.9], [0.3, 0.1], [0.8, 0.9]])
    write_case("tiny", y, p, vy, vp, note="two records")

    # 6. signed zeros and negative (logit-like) scores
    n, k = 25, 3
    y = labelled(n, k, np.full(k, 0.5)); y[y.sum(1) == 0, 0] = 1
    p = np.round(rng.normal(size=(n, k)) + y, 1); p[p == 0] = -0.0
    vy = labelled(n, k, np.full(k, 0.5)); vy[vy.sum(1) == 0, 0] = 1
    vp = np.round(rng.normal(size=(n, k)) + vy, 1)
    write_case("logits", y, p, vy, vp, note="unbounded scores with ties and -0.0")


if __name__ == "__main__":
    main()
