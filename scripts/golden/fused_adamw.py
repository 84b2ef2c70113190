"""Golden values for ecg-train's optimizer step: torch.nn.utils.clip_grad_norm_(foreach=True)
then torch.optim.AdamW(fused=True), over 50 steps with given gradients and a learning rate
that changes every step (as a schedule does).

Run with the project's venv (torch 2.11):
    .venv/bin/python scripts/golden/fused_adamw.py
Writes crates/ecg-train/tests/golden/fused_adamw.json: the hyper-parameters, the initial
parameters, every step's learning rate and gradients (float32 values), and after the 50 steps
the parameters, both moments, and each step's total gradient norm before clipping.
"""
import json
import math
import pathlib

import torch

STEPS = 50
# In sorted-name order: ecg-train's optimizer keeps its parameters sorted by name (the same order
# on every rank), and the total norm sums the per-tensor norms in that order. With torch's list in
# the same order the two computations are the same operations on the same values.
SHAPES = {"conv.bias": [4], "conv.weight": [4, 3, 5], "fc.bias": [6], "fc.weight": [6, 4], "head.weight": [2, 6, 1]}
HYPER = {"weight_decay": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "max_norm": 1.0}

gen = torch.Generator().manual_seed(20261207)
params = {k: torch.nn.Parameter(torch.randn(s, generator=gen) * 0.5) for k, s in SHAPES.items()}
initial = {k: p.detach().clone() for k, p in params.items()}
opt = torch.optim.AdamW(
    list(params.values()), lr=1e-3, betas=(HYPER["beta1"], HYPER["beta2"]), eps=HYPER["eps"],
    weight_decay=HYPER["weight_decay"], fused=True,
)
lrs, grads, norms = [], [], []
for step in range(STEPS):
    # Gradient scales from 0.02 to 20: some steps are clipped, some are not.
    scale = 0.02 * 10 ** (3 * ((step * 7) % 11) / 10)
    lr = 1e-3 * (0.5 + 0.5 * math.cos(math.pi * step / STEPS))
    g = {k: torch.randn(s, generator=gen) * scale for k, s in SHAPES.items()}
    for k, p in params.items():
        p.grad = g[k].clone()
    norm = torch.nn.utils.clip_grad_norm_(list(params.values()), HYPER["max_norm"], foreach=True)
    for group in opt.param_groups:
        group["lr"] = lr
    opt.step()
    lrs.append(lr)
    grads.append({k: v.flatten().tolist() for k, v in g.items()})
    norms.append(norm.item())

out = {
    "source": "torch " + torch.__version__ + ": clip_grad_norm_(foreach=True) + AdamW(fused=True)",
    "hyper": HYPER,
    "shapes": SHAPES,
    "initial": {k: v.flatten().tolist() for k, v in initial.items()},
    "lr": lrs,
    "grads": grads,
    "norms": norms,
    "final": {k: p.detach().flatten().tolist() for k, p in params.items()},
    "exp_avg": {k: opt.state[p]["exp_avg"].flatten().tolist() for k, p in params.items()},
    "exp_avg_sq": {k: opt.state[p]["exp_avg_sq"].flatten().tolist() for k, p in params.items()},
    "steps": opt.state[params["fc.bias"]]["step"].item(),
}
path = pathlib.Path(__file__).resolve().parents[2] / "crates/ecg-train/tests/golden/fused_adamw.json"
path.write_text(json.dumps(out))
clipped = sum(n > HYPER["max_norm"] for n in norms)
print(f"wrote {path} ({path.stat().st_size} bytes; {clipped} of {STEPS} steps clipped)")
