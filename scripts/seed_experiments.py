#!/usr/bin/env python3
"""Issue 19's over-seeds experiments on the demo's benchmark, outside `cargo xtask demo`
(whose budgets and student preset are fixed in xtask): the same run-folder layout as
`cargo xtask demo --seeds`, so `ecg report --run OUT` writes the over-seeds report with its
Claims section from these files.

    python3 scripts/seed_experiments.py PLAN[@S,..] ... --out /work/runs19/p1 --seeds 1,2,3 [--jobs 2]

PLAN names a set of models (see PLANS below). Data: `ecg synth ptbxl --records 2000
--difficulty medium --seed DATA_SEED` (default: the first seed, as `--seeds` does), packed
at 100 Hz, shared by every seed. Each model's config is its template in configs/ptbxl/
with the demo's input (2.5 s crops, windows of stride 1.25 s) and the overrides below;
every training and evaluation process runs with one thread (OMP_NUM_THREADS=1, one data
worker), at most --jobs at once. A model whose metrics.json exists is skipped (re-running
continues a plan; training resumes with `--resume auto`). Each model folder gets
timing.json: wall and CPU seconds of its training and of its evaluation, and the load
average when it finished. Choices are made on validation (fold 9) by the caller; the test
fold (10) is only evaluated.
"""
import argparse, json, os, subprocess, sys, threading, time, tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ECG = os.path.join(ROOT, "target", "release", "ecg")
TASK = "superdiagnostic"


def model(dir, template, distill=False, leads=None, calibrate=False, **over):
    return dict(dir=dir, template=template, distill=distill, leads=leads,
                calibrate=calibrate, over=over)


# Budget of issue 19's follow-up: up to 30 epochs, stop after 5 without a better
# validation macro-AUC, best checkpoint evaluated.
B = {"train.epochs": 30, "train.patience": 5}


# The CLT-weight screening's budget (priority 2 on a shared 2-core machine): 15 epochs
# (a complete cosine schedule), patience 5.
B15 = {"train.epochs": 15, "train.patience": 5}


def clt(w):
    return {"distill.clt.weight": w}


PLANS = {
    # Priority 1: teacher to convergence, the 0.61x student alone and with KD.
    "p1": [
        model("teacher", "teacher.toml", calibrate=True, **B),
        model("student", "student.toml", **B),
        model("student_kd", "student-kd.toml", distill=True, calibrate=True, **B),
    ],
    # Priority 2: MVKT's CLT weight on validation (lead-I, the 0.61x student preset).
    "p2-sweep": [
        model("student_lead1", "student.toml", leads=["I"], **B),
        model("student_lead1_mvkt", "student-lead1-mvkt.toml", distill=True, leads=["I"], calibrate=True, **B),
        model("student_lead1_mvkt_w0.1", "student-lead1-mvkt.toml", distill=True, leads=["I"], **B, **clt(0.1)),
        model("student_lead1_mvkt_w0.02", "student-lead1-mvkt.toml", distill=True, leads=["I"], **B, **clt(0.02)),
        model("student_lead1_mvkt_w0", "student-lead1-mvkt.toml", distill=True, leads=["I"], **B, **clt(0.0)),
    ],
    # The same screening at 15 epochs.
    "p2-sweep15": [
        model("student_lead1", "student.toml", leads=["I"], **B15),
        model("student_lead1_mvkt", "student-lead1-mvkt.toml", distill=True, leads=["I"], calibrate=True, **B15),
        model("student_lead1_mvkt_w0.1", "student-lead1-mvkt.toml", distill=True, leads=["I"], **B15, **clt(0.1)),
        model("student_lead1_mvkt_w0.02", "student-lead1-mvkt.toml", distill=True, leads=["I"], **B15, **clt(0.02)),
        model("student_lead1_mvkt_w0", "student-lead1-mvkt.toml", distill=True, leads=["I"], **B15, **clt(0.0)),
    ],
    # Over more seeds: lead-I alone, MKD only (w = 0, chosen on validation by p2-sweep15 on
    # seed 1) and the paper's w = 0.4, at the screening's budget.
    "p2-confirm": [
        model("student_lead1", "student.toml", leads=["I"], **B15),
        model("student_lead1_mvkt_w0", "student-lead1-mvkt.toml", distill=True, leads=["I"], **B15, **clt(0.0)),
        model("student_lead1_mvkt", "student-lead1-mvkt.toml", distill=True, leads=["I"], calibrate=True, **B15),
    ],
    # Priority 3: the teacher's ablations at the teacher's budget.
    "p3-backbone": [
        model("teacher_backbone", "teacher.toml", **B, **{"model.preset": "teacher-backbone"}),
    ],
    "p3": [
        model("teacher_backbone", "teacher.toml", **B, **{"model.preset": "teacher-backbone"}),
        model("teacher_embedding", "teacher.toml", **B, **{"model.preset": "teacher-embedding"}),
        model("teacher_decoder", "teacher.toml", **B, **{"model.preset": "teacher-decoder"}),
    ],
}


def plan_models(name):
    """`p1`, `p2-sweep`, `p3`, or `lead1:W` (lead-I alone + MVKT with CLT weight W, whose
    folder is student_lead1_mvkt so the report's claim reads it), or `kd:A,T,BETA`."""
    if name in PLANS:
        return PLANS[name]
    if name.startswith("lead1:"):
        w = float(name.split(":", 1)[1])
        return [model("student_lead1", "student.toml", leads=["I"], **B),
                model("student_lead1_mvkt", "student-lead1-mvkt.toml", distill=True,
                      leads=["I"], calibrate=True, **B, **clt(w))]
    if name.startswith("kd:"):
        a, t, b = (float(x) for x in name.split(":", 1)[1].split(","))
        return [model(f"student_kd_a{a:g}_t{t:g}_b{b:g}", "student-kd.toml", distill=True, **B,
                      **{"distill.alpha": a, "distill.temperature": t, "distill.beta": b})]
    sys.exit(f"unknown plan {name}; plans: {', '.join(PLANS)}, lead1:W, kd:A,T,BETA")


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def dump_toml(doc):
    out = []
    for table, kv in doc.items():
        out.append(f"[{table}]")
        out += [f"{k} = {toml_value(v)}" for k, v in kv.items()]
        out.append("")
    return "\n".join(out)


def set_key(doc, dotted, value):
    *path, last = dotted.split(".")
    cur = doc
    for p in path:
        cur = cur.setdefault(p, {})
    cur[last] = value


def run_timed(cmd, log):
    """Run cmd with one thread; returns (wall s, CPU s of the child)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    t0 = time.time()
    with open(log, "ab") as f:
        f.write(("\n$ " + " ".join(cmd) + "\n").encode())
        f.flush()
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.time() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}; see {log}")
    return wall, ru.ru_utime + ru.ru_stime


def write_config(run, m, pack, seed):
    with open(os.path.join(ROOT, "configs", "ptbxl", m["template"]), "rb") as f:
        doc = tomllib.load(f)
    out_dir = os.path.join(run, TASK, m["dir"])
    set_key(doc, "data.pack", pack)
    set_key(doc, "data.task", TASK)
    set_key(doc, "data.input", {"kind": "crop", "length": 250, "stride": 125})
    set_key(doc, "data.workers", 1)
    set_key(doc, "data.prefetch", 4)
    if m["leads"]:
        set_key(doc, "data.leads", m["leads"])
    for k, v in m["over"].items():
        set_key(doc, k, v)
    set_key(doc, "train.seed", seed)
    set_key(doc, "train.device", "cpu")
    set_key(doc, "train.output_dir", out_dir)
    if m["distill"]:
        set_key(doc, "distill.teacher", os.path.join(run, TASK, "teacher", "checkpoint-best.safetensors"))
    os.makedirs(os.path.join(run, "configs"), exist_ok=True)
    path = os.path.join(run, "configs", f"{TASK}-{m['dir']}.toml")
    with open(path, "w") as f:
        f.write(f"# Written by scripts/seed_experiments.py from configs/ptbxl/{m['template']}.\n")
        f.write(dump_toml(doc))
    return path, out_dir


def job(run, m, pack, seed, log):
    cfg, out_dir = write_config(run, m, pack, seed)
    if os.path.exists(os.path.join(out_dir, "metrics.json")):
        return
    ckpt = os.path.join(out_dir, "checkpoint-best.safetensors")
    cmd = [ECG, "distill" if m["distill"] else "train", "--config", cfg, "--resume", "auto"]
    if m["distill"]:
        cmd += ["--teacher", os.path.join(run, TASK, "teacher", "checkpoint-best.safetensors")]
    tw, tc = run_timed(cmd, log)
    ev = [ECG, "eval", "--split", "test", "--device", "cpu", "--seed", str(seed),
          "--checkpoint", ckpt, "--out", out_dir, "--latency-runs", "3"]
    if m["calibrate"]:
        ev.append("--calibrate")
    # metrics.json marks the model done: written last, after timing.json.
    ew, ec = run_timed(ev, log)
    timing = dict(train_wall_s=round(tw, 1), train_cpu_s=round(tc, 1), eval_wall_s=round(ew, 1),
                  eval_cpu_s=round(ec, 1), loadavg_at_end=os.getloadavg(), finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    with open(os.path.join(out_dir, "timing.json"), "w") as f:
        json.dump(timing, f, indent=1)
    print(f"[{time.strftime('%H:%M:%S')}] seed {seed} {m['dir']}: train {tw:.0f} s wall / {tc:.0f} s CPU", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plans", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--data-seed", type=int)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--difficulty", default="medium")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    data_seed = a.data_seed if a.data_seed is not None else seeds[0]
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    log = os.path.join(out, "log.txt")
    data = os.path.join(out, "data", "synthetic-ptbxl")
    pack = os.path.join(out, "data", "ptbxl-100hz.safetensors")
    if not os.path.exists(pack):
        run_timed([ECG, "synth", "ptbxl", "--records", str(a.records), "--seed", str(data_seed),
                   "--rates", "100", "--difficulty", a.difficulty, "--out", data], log)
        run_timed([ECG, "pack", "ptbxl", "--rate", "100", "--data", data, "--out", pack], log)
    # `PLAN@S1,S2` runs PLAN for those seeds only (e.g. a sweep on the first seed).
    plans = []
    for p in a.plans:
        name, _, only = p.partition("@")
        plans.append((plan_models(name), [int(x) for x in only.split(",")] if only else seeds))
    common = dict(title="synthetic PTB-XL (demo's benchmark; scripts/seed_experiments.py)",
                  synthetic=True, data_source=data, n_records=a.records, profile="quick",
                  tasks=[TASK], device="cpu", data_seed=data_seed, nproc=1,
                  difficulty=a.difficulty, command=sys.argv)
    jobs = []  # (seed, model, depends-on-teacher)
    for s in seeds:
        run = os.path.join(out, f"seed-{s}")
        os.makedirs(run, exist_ok=True)
        with open(os.path.join(run, "run.json"), "w") as f:
            json.dump(dict(common, seed=s), f, indent=1)
        labels = os.path.join(run, TASK, "labels")
        if not os.path.exists(os.path.join(labels, "summary.json")):
            run_timed([ECG, "labels", "ptbxl", "--task", TASK, "--pack", pack, "--out", labels], log)
    # Plan by plan in the order given, seed by seed within a plan.
    for models, only in plans:
        for s in only:
            for m in models:
                jobs.append((s, m))
    done, failed, running = set(), [], set()
    lock = threading.Lock()

    def ready(s, m):
        if not m["distill"]:
            return True
        t = os.path.join(out, f"seed-{s}", TASK, "teacher", "metrics.json")
        return os.path.exists(t)

    def worker():
        while True:
            with lock:
                pick = next((i for i, j in enumerate(jobs) if i not in done and i not in running and ready(*j)), None)
                if pick is None:
                    if len(done) == len(jobs) or not running:
                        return
                else:
                    running.add(pick)
            if pick is None:
                time.sleep(5)
                continue
            s, m = jobs[pick]
            try:
                job(os.path.join(out, f"seed-{s}"), m, pack, s, log)
            except Exception as e:  # noqa: BLE001 — report and go on with the others
                print(f"seed {s} {m['dir']}: {e}", flush=True)
                failed.append((s, m["dir"]))
            with lock:
                running.discard(pick)
                done.add(pick)

    ts = [threading.Thread(target=worker) for _ in range(a.jobs)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    left = [(s, m["dir"]) for i, (s, m) in enumerate(jobs) if i not in done]
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump(dict(common, title=common["title"] + f", over {len(seeds)} seeds", seeds=seeds,
                       seed_runs=[f"seed-{s}" for s in seeds]), f, indent=1)
    for s in seeds:
        subprocess.run([ECG, "report", "--run", os.path.join(out, f"seed-{s}")], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([ECG, "report", "--run", out], check=False)
    if failed or left:
        sys.exit(f"failed: {failed}; not run: {left}")


if __name__ == "__main__":
    main()
