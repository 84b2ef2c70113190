#!/usr/bin/env python3
"""Tables of docs/results.md from demo run folders (until `cargo xtask demo --seeds` aggregates them):
    python3 scripts/aggregate_demo_seeds.py superdiagnostic runs/demo-s1 runs/demo-s2 runs/demo-s3
Paired differences use a Student-t 95 % interval over seeds."""
import json, sys, math, os, statistics as st
task = sys.argv[1]; runs = sys.argv[2:]
models = ["teacher", "student", "student_kd", "student_lead1", "student_lead1_mvkt"]
def load(p):
    try: return json.load(open(p))
    except Exception: return None
def epochs(d):
    p = os.path.join(d, "metrics.jsonl")
    if not os.path.exists(p): return None, None, None
    rows = [json.loads(l) for l in open(p)]
    best = max((r for r in rows if r.get("val_macro_auc") is not None), key=lambda r: r["val_macro_auc"], default=None)
    return len(rows), best and best["epoch"], best and best["val_macro_auc"]
res = {}
for r in runs:
    stages = load(os.path.join(r, "stages.json")) or []
    secs = {s["stage"]: s.get("seconds") for s in stages}
    for m in models:
        d = os.path.join(r, task, m)
        mj = load(os.path.join(d, "metrics.json")); mc = load(os.path.join(d, "metrics_calibrated.json"))
        n, be, bv = epochs(d)
        res.setdefault(m, []).append(dict(auc=mj and mj["macro_auc"], cal=mc and mc["macro_auc"],
            f1=mj and mj["thresholded"]["macro"]["f1"] if mj else None,
            f1c=mc and mc["thresholded"]["macro"]["f1"] if mc else None,
            ep=n, best_ep=be, val=bv, sec=secs.get(f"train/{task}/{m}")))
def ms(xs):
    xs = [x for x in xs if x is not None]
    if not xs: return "—"
    if len(xs) == 1: return f"{xs[0]:.3f}"
    return f"{st.mean(xs):.3f} ± {st.stdev(xs):.3f}"
def paired(a, b):
    d = [x - y for x, y in zip(a, b) if x is not None and y is not None]
    if len(d) < 2: return "—"
    t = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}.get(len(d) - 1, 2.0)
    m, s = st.mean(d), st.stdev(d)
    return f"{m:+.3f} [{m - t*s/math.sqrt(len(d)):+.3f}, {m + t*s/math.sqrt(len(d)):+.3f}] (n={len(d)}; " + ", ".join(f"{x:+.3f}" for x in d) + ")"
print(f"| model | test macro-AUC | best val AUC | epochs run (best) | train s |")
print("|---|---|---|---|---|")
for m in models:
    v = res[m]
    eps = ", ".join("%s(%s)" % (x["ep"], x["best_ep"]) for x in v)
    secs = ", ".join(str(round(x["sec"])) if x["sec"] else "—" for x in v)
    print(f"| {m} | {ms([x['auc'] for x in v])} | {ms([x['val'] for x in v])} | {eps} | {secs} |")
A = lambda m, k='auc': [x[k] for x in res[m]]
print()
print("teacher − student:", paired(A("teacher"), A("student")))
print("KD − no KD:", paired(A("student_kd"), A("student")))
print("MVKT − lead-I alone:", paired(A("student_lead1_mvkt"), A("student_lead1")))
for m in ["teacher", "student_kd", "student_lead1_mvkt"]:
    print(f"calibrated − raw AUC {m}:", paired(A(m, 'cal'), A(m)))
    print(f"calibrated − raw F1 {m}:", paired(A(m, 'f1c'), A(m, 'f1')))

# per-label F1 (raw vs calibrated), labels by training frequency
print()
for m in ["teacher", "student_kd", "student_lead1_mvkt"]:
    rows = {}
    for r in runs:
        d = os.path.join(r, task, m)
        mj = load(os.path.join(d, "metrics.json")); mc = load(os.path.join(d, "metrics_calibrated.json"))
        lam = load(os.path.join(d, "lambda.json"))
        if not mj or not mc: continue
        for k, v in mj["per_label"].items():
            rows.setdefault(k, []).append((v["f1"], mc["per_label"][k]["f1"], v["positives"]))
        rows.setdefault("_lambda", []).append(json.dumps(lam.get("lambda") if lam else None))
    print(m, "lambda:", rows.pop("_lambda", None))
    for k, v in rows.items():
        print(f"  {k}: pos {[p for _,_,p in v]} raw F1 {ms([a for a,_,_ in v])} cal F1 {ms([b for _,b,_ in v])} diff {paired([b for _,b,_ in v],[a for a,_,_ in v])}")

print()
W = {"student_kd": dict(task=0.5, kd=0.5*4, feature=0.05, clt=0), "student_lead1_mvkt": dict(task=0.5, kd=0.5, feature=0, clt=0.4)}
for m, w in W.items():
    for r in runs:
        p = os.path.join(r, task, m, "metrics.jsonl")
        if not os.path.exists(p): continue
        rows = [json.loads(l) for l in open(p)]
        for row in (rows[0], rows[-1]):
            print(m, os.path.basename(r), "epoch", row["epoch"], "weighted terms:",
                  {k: round(w[k] * (row.get(f"train_{k}_loss") or 0), 4) for k in w})
