#!/usr/bin/env python3
"""The tables of docs/results.md from a folder of seed runs (scripts/seed_experiments.py or
`cargo xtask demo --seeds`): per model the test macro-AUC (mean ± std over seeds), the best
validation macro-AUC, epochs run (best epoch) and training time per seed; then paired
differences over seeds with a Student-t 95 % interval.

    python3 scripts/seed_tables.py RUN [A-B ...]     e.g. teacher-student student_kd-student

A model folder is `RUN/seed-S/superdiagnostic/<dir>`; `A-B` splits at the first `-` that
leaves two folder names that exist. `cal:DIR` is DIR's calibrated metrics."""
import json, math, os, sys, statistics as st

TASK = "superdiagnostic"
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def seeds(run):
    info = load(os.path.join(run, "run.json")) or {}
    if "seeds" in info:
        return list(zip(info["seeds"], info["seed_runs"]))
    found = [d for d in os.listdir(run) if d.startswith("seed-")]
    return sorted((int(d[5:]), d) for d in found)


def info(run, s, d):
    path = os.path.join(run, s, TASK, d)
    mj = load(os.path.join(path, "metrics.json"))
    mc = load(os.path.join(path, "metrics_calibrated.json"))
    tm = load(os.path.join(path, "timing.json")) or {}
    rows = []
    p = os.path.join(path, "metrics.jsonl")
    if os.path.exists(p):
        rows = [json.loads(l) for l in open(p) if l.strip()]
    vals = [r for r in rows if r.get("val_macro_auc") is not None]
    best = max(vals, key=lambda r: r["val_macro_auc"]) if vals else None
    return dict(
        auc=mj and mj["macro_auc"], cal=mc and mc["macro_auc"],
        f1=mj and mj["thresholded"]["macro"]["f1"], f1c=mc and mc["thresholded"]["macro"]["f1"],
        ep=len(rows), best_ep=best and best["epoch"], val=best and best["val_macro_auc"],
        wall=sum(r.get("seconds", 0) for r in rows), cpu=tm.get("train_cpu_s"),
        load=tm.get("loadavg_at_end"))


def ms(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "—"
    if len(xs) == 1:
        return f"{xs[0]:.3f}"
    return f"{st.mean(xs):.3f} ± {st.stdev(xs):.3f}"


def paired(a, b):
    d = [x - y for x, y in zip(a, b) if x is not None and y is not None]
    if not d:
        return "—"
    per = ", ".join(f"{x:+.3f}" for x in d)
    if len(d) < 2:
        return f"{d[0]:+.3f} (one seed)"
    m, s = st.mean(d), st.stdev(d)
    h = T975[len(d) - 1] * s / math.sqrt(len(d))
    return f"{m:+.3f} [{m - h:+.3f}, {m + h:+.3f}] (n = {len(d)}: {per})"


def main():
    run = sys.argv[1]
    ss = seeds(run)
    dirs = sorted({d for _, s in ss for d in os.listdir(os.path.join(run, s, TASK))
                   if os.path.exists(os.path.join(run, s, TASK, d, "metrics.jsonl"))})
    res = {d: [info(run, s, d) for _, s in ss] for d in dirs}
    print(f"seeds: {[s for s, _ in ss]}\n")
    print("| model | test macro-AUC | best val macro-AUC | epochs run (best) | train wall s | train CPU s |")
    print("|---|---|---|---|---|---|")
    for d in dirs:
        v = res[d]
        eps = ", ".join(f"{x['ep']} ({x['best_ep']})" for x in v if x["ep"])
        wall = ", ".join(f"{x['wall']:.0f}" for x in v if x["ep"])
        cpu = ", ".join(f"{x['cpu']:.0f}" if x["cpu"] else "—" for x in v if x["ep"])
        print(f"| {d} | {ms([x['auc'] for x in v])} | {ms([x['val'] for x in v])} | {eps} | {wall} | {cpu} |")
    print()
    for spec in sys.argv[2:]:
        key = "auc"
        parts = spec.split("-")
        for i in range(1, len(parts)):
            a, b = "-".join(parts[:i]), "-".join(parts[i:])
            if a in res and b in res:
                break
        else:
            print(f"{spec}: no such pair of folders")
            continue
        print(f"{a} − {b}, test macro-AUC: {paired([x[key] for x in res[a]], [x[key] for x in res[b]])}")
        print(f"{a} − {b}, best val macro-AUC: {paired([x['val'] for x in res[a]], [x['val'] for x in res[b]])}")
    for d in dirs:
        if any(x["cal"] is not None for x in res[d]):
            print(f"{d}: calibrated − raw macro-F1: {paired([x['f1c'] for x in res[d]], [x['f1'] for x in res[d]])}; "
                  f"macro-AUC: {paired([x['cal'] for x in res[d]], [x['auc'] for x in res[d]])}")


if __name__ == "__main__":
    main()
