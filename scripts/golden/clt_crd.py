"""Golden values for ecg-train's CLT (MVKT-ECG, Qin et al. 2023), computed with a transcription of CRD's
reference code (Tian et al. 2020, github.com/HobbitLong/RepDistiller: crd/memory.py
ContrastMemory.forward, crd/criterion.py ContrastLoss and Embed) in float64.

Run with the project's venv (torch 2.11):
    .venv/bin/python scripts/golden/clt_crd.py
Writes crates/ecg-train/tests/golden/clt_crd.json: the inputs (features, linear maps,
memory banks, anchor rows, contrast indices) and the outputs of two consecutive steps (the
second uses Z fixed by the first and the banks updated by the first): loss, Z, banks.
"""
import json
import math
import pathlib

import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20261121)
B, DS, DT, DIM, N, NEG = 4, 6, 5, 8, 10, 3
T, MOMENTUM, EPS = 0.07, 0.5, 1e-7

w_s = torch.randn(DIM, DS, generator=gen) * 0.4
b_s = torch.randn(DIM, generator=gen) * 0.1
w_t = torch.randn(DIM, DT, generator=gen) * 0.4
b_t = torch.randn(DIM, generator=gen) * 0.1
stdv = 1.0 / math.sqrt(DIM / 3)
mem_s = torch.rand(N, DIM, generator=gen) * 2 * stdv - stdv  # memory_v1 (student)
mem_t = torch.rand(N, DIM, generator=gen) * 2 * stdv - stdv  # memory_v2 (teacher)


def embed(x, w, b):
    # Embed.forward: linear, then Normalize(2)
    x = x @ w.T + b
    norm = x.pow(2).sum(1, keepdim=True).pow(1.0 / 2)
    return x.div(norm)


def contrast_loss(x, n_data):
    # ContrastLoss.forward
    bsz = x.shape[0]
    m = x.size(1) - 1
    pn = 1 / float(n_data)
    p_pos = x.select(1, 0)
    log_d1 = torch.div(p_pos, p_pos.add(m * pn + EPS)).log_()
    p_neg = x.narrow(1, 1, m)
    log_d0 = torch.div(p_neg.clone().fill_(m * pn), p_neg.add(m * pn + EPS)).log_()
    return -(log_d1.sum(0) + log_d0.view(-1, 1).sum(0)) / bsz


def memory_forward(v1, v2, y, idx, z):
    # ContrastMemory.forward with given idx (idx[:, 0] = y); z = [Z_v1, Z_v2], -1 = unset
    bsz, k1 = idx.shape
    weight_v1 = torch.index_select(mem_s, 0, idx.view(-1)).detach().view(bsz, k1, DIM)
    out_v2 = torch.exp(torch.div(torch.bmm(weight_v1, v2.view(bsz, DIM, 1)), T))
    weight_v2 = torch.index_select(mem_t, 0, idx.view(-1)).detach().view(bsz, k1, DIM)
    out_v1 = torch.exp(torch.div(torch.bmm(weight_v2, v1.view(bsz, DIM, 1)), T))
    if z[0] < 0:
        z[0] = (out_v1.mean() * N).item()
    if z[1] < 0:
        z[1] = (out_v2.mean() * N).item()
    out_v1 = torch.div(out_v1, z[0]).contiguous()
    out_v2 = torch.div(out_v2, z[1]).contiguous()
    with torch.no_grad():
        for mem, v in ((mem_s, v1), (mem_t, v2)):
            l_pos = torch.index_select(mem, 0, y.view(-1))
            l_pos.mul_(MOMENTUM)
            l_pos.add_(torch.mul(v, 1 - MOMENTUM))
            l_norm = l_pos.pow(2).sum(1, keepdim=True).pow(0.5)
            mem.index_copy_(0, y, l_pos.div(l_norm))
    return out_v1.squeeze(2), out_v2.squeeze(2)


inputs = {
    "B": B, "DS": DS, "DT": DT, "DIM": DIM, "N": N, "NEG": NEG,
    "temperature": T, "momentum": MOMENTUM,
    "w_s": w_s.flatten().tolist(), "b_s": b_s.tolist(),
    "w_t": w_t.flatten().tolist(), "b_t": b_t.tolist(),
    "mem_s": mem_s.flatten().tolist(), "mem_t": mem_t.flatten().tolist(),
}
z = [-1.0, -1.0]
steps = []
for step in range(2):
    h_s = torch.randn(B, DS, generator=gen)
    h_t = torch.randn(B, DT, generator=gen)
    y = torch.randperm(N, generator=gen)[:B]
    neg = torch.randint(0, N, (B, NEG), generator=gen)
    idx = torch.cat([y.view(-1, 1), neg], 1)
    v1, v2 = embed(h_s, w_s, b_s), embed(h_t, w_t, b_t)
    out_v1, out_v2 = memory_forward(v1, v2, y, idx, z)
    loss = contrast_loss(out_v1, N) + contrast_loss(out_v2, N)
    steps.append({
        "h_s": h_s.flatten().tolist(), "h_t": h_t.flatten().tolist(),
        "rows": y.tolist(), "idx": idx.flatten().tolist(),
        "loss": loss.item(), "z": list(z),
        "mem_s_after": mem_s.flatten().tolist(), "mem_t_after": mem_t.flatten().tolist(),
    })
inputs["steps"] = steps
out = pathlib.Path(__file__).resolve().parents[2] / "crates/ecg-train/tests/golden/clt_crd.json"
out.write_text(json.dumps(inputs, indent=1) + "\n")
print(f"wrote {out}: losses {[s['loss'] for s in steps]}")
