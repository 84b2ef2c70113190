"""Golden values for one whole distillation step of ecg-train (`ecg_train::distill::forward`,
what the trainer runs for every batch), computed in float64 with PyTorch from METHODS §5's
definitions, written independently of the Rust code:

    L = (1 - a) * BCE(y, s) + a * T^2 * KD(t, s) + b * H(adaptor(h_s), h_t) + w * CLT

- teacher: fcn_wang-style network (conv -> BN -> ReLU twice, concat max/avg pooling,
  BN -> dropout 0.25 -> linear 128 -> ReLU -> BN -> dropout 0.5 -> linear K, as the PTB-XL
  benchmark's head) in EVAL mode under no_grad: batch norm on its running statistics,
  dropout off, on its own view of the crop (12 leads, its own standardiser);
- student: the same family, smaller, in TRAINING mode (batch statistics, dropout drawn from
  torch's generator seeded with `seed` right before the step, as the trainer reseeds before
  every step; Rust's tch draws from the same libtorch generator, with ATen's CPU dropout);
- KD = mean over batch and labels of KL(Bern(sigmoid(t/T)) || Bern(sigmoid(s/T)));
- H: "none" = F.mse_loss; "l2" = mean over the batch of 2 - 2*cos; "standardize" =
  F.mse_loss of F.layer_norm(., [D]);
- CLT: CRD's ContrastMemory / ContrastLoss (Tian et al. 2020, RepDistiller) as in
  clt_crd.py, with two training records so that the negatives are determined (every
  negative of record r is the other record), no disease-awareness.

Outputs: each term, the total, torch.autograd's gradient of the total for every student
parameter, the adaptor and CLT's maps, and the student's batch-norm running statistics
after the step. Every input is a float32 value (written with 9 significant digits, which
round-trip), the reference runs in float64.

Run with the project's venv (torch 2.11):
    .venv/bin/python scripts/golden/distill_step.py
Writes crates/ecg-train/tests/golden/distill_step.json.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

gen = torch.Generator().manual_seed(20261207)
B, L, K = 4, 32, 5
HIDDEN = 128  # the benchmark head's hidden size
EPS_BN, MOMENTUM_BN = 1e-5, 0.1


def f32(*shape, scale=1.0, offset=0.0):
    """Float32 draws returned as float64 holding exactly those values."""
    return (torch.randn(*shape, generator=gen) * scale + offset).float().double()


def f32_uniform(*shape, lo, hi):
    return (torch.rand(*shape, generator=gen) * (hi - lo) + lo).float().double()


def fcn_params(leads, filters, kernels):
    p = {}
    cin = leads
    for i, (f, k) in enumerate(zip(filters, kernels), start=1):
        p[f"conv{i}.conv.weight"] = f32(f, cin, k, scale=(2.0 / (cin * k)) ** 0.5)
        bn_params(p, f"conv{i}.bn", f)
        cin = f
    bn_params(p, "head.bn1", 2 * cin)
    p["head.lin1.weight"] = f32(HIDDEN, 2 * cin, scale=(1.0 / (2 * cin)) ** 0.5)
    p["head.lin1.bias"] = f32(HIDDEN, scale=0.1)
    bn_params(p, "head.bn2", HIDDEN)
    p["head.lin2.weight"] = f32(K, HIDDEN, scale=(1.0 / HIDDEN) ** 0.5)
    p["head.lin2.bias"] = f32(K, scale=0.1)
    return p


def bn_params(p, name, c):
    # Running statistics far from a batch's: eval and training mode give different outputs.
    p[f"{name}.weight"] = f32_uniform(c, lo=0.5, hi=1.5)
    p[f"{name}.bias"] = f32(c, scale=0.2)
    p[f"{name}.running_mean"] = f32(c, scale=0.5)
    p[f"{name}.running_var"] = f32_uniform(c, lo=0.3, hi=3.0)


def fcn_forward(p, x, kernels, train):
    """(head input [B, 2C], logits [B, K]); updates the running statistics when training."""
    h = x
    for i, k in enumerate(kernels, start=1):
        h = F.conv1d(h, p[f"conv{i}.conv.weight"], padding=(k - 1) // 2)
        h = F.relu(bn(p, f"conv{i}.bn", h, train))
    pooled = torch.cat([h.amax(-1), h.mean(-1)], 1)
    z = dropout(bn(p, "head.bn1", pooled, train), 0.25, train)
    z = F.relu(F.linear(z, p["head.lin1.weight"], p["head.lin1.bias"]))
    z = dropout(bn(p, "head.bn2", z, train), 0.5, train)
    return pooled, F.linear(z, p["head.lin2.weight"], p["head.lin2.bias"])


def dropout(x, p, train):
    """ATen's CPU dropout (`_dropout_impl`: noise = empty_like(x).bernoulli_(1 - p),
    x * noise / (1 - p)) with the noise drawn for a float32 tensor, as the float32 network
    draws it, and applied in float64."""
    if not train:
        return x
    keep = torch.empty(x.shape, dtype=torch.float32).bernoulli_(1 - p)
    return x * keep.double() / (1 - p)


def bn(p, name, x, train):
    return F.batch_norm(
        x, p[f"{name}.running_mean"], p[f"{name}.running_var"], p[f"{name}.weight"],
        p[f"{name}.bias"], training=train, momentum=MOMENTUM_BN, eps=EPS_BN,
    )


def binary_kl(t, s, T):
    pt = torch.sigmoid(t / T)
    ps = torch.sigmoid(s / T)
    return (pt * (pt.log() - ps.log()) + (1 - pt) * ((1 - pt).log() - (1 - ps).log())).mean()


def feature_term(m, h_t, norm):
    if norm == "none":
        return F.mse_loss(m, h_t)
    if norm == "l2":
        return (2 - 2 * F.cosine_similarity(m, h_t, dim=1)).mean()
    d = h_t.shape[1]
    return F.mse_loss(F.layer_norm(m, [d], eps=1e-5), F.layer_norm(h_t, [d], eps=1e-5))


def crd(p, banks, h_s, h_t, rows, idx, n_data, tau):
    """CRD's loss (both directions) with Z fixed from this batch, as CRD's first step."""
    def embed(x, w, b):
        x = F.linear(x, w, b)
        return x / x.pow(2).sum(1, keepdim=True).sqrt()

    def contrast_loss(x):
        m = x.size(1) - 1
        pn = 1 / float(n_data)
        log_d1 = (x[:, 0] / (x[:, 0] + m * pn + 1e-7)).log()
        log_d0 = ((x[:, 1:] * 0 + m * pn) / (x[:, 1:] + m * pn + 1e-7)).log()
        return -(log_d1.sum(0) + log_d0.reshape(-1).sum(0)) / x.shape[0]

    v1 = embed(h_s, p["clt_student.weight"], p["clt_student.bias"])
    v2 = embed(h_t, p["clt_teacher.weight"], p["clt_teacher.bias"])
    bsz, k1 = idx.shape
    w_s = banks["clt_bank_student"][idx.reshape(-1)].reshape(bsz, k1, -1)
    w_t = banks["clt_bank_teacher"][idx.reshape(-1)].reshape(bsz, k1, -1)
    out_v1 = torch.exp(torch.bmm(w_t, v1.unsqueeze(2)).squeeze(2) / tau)  # student anchor
    out_v2 = torch.exp(torch.bmm(w_s, v2.unsqueeze(2)).squeeze(2) / tau)  # teacher anchor
    z1 = (out_v1.mean() * n_data).detach()
    z2 = (out_v2.mean() * n_data).detach()
    return contrast_loss(out_v1 / z1) + contrast_loss(out_v2 / z2), [z1.item(), z2.item()]


def tolist(t):
    return [float(f"{v:.9g}") for v in t.flatten().tolist()]


# The record crops in mV (12 leads), and each network's standardiser (global mean/std as
# fitted on a training split; the teacher's over 12 leads, the student's over its leads).
raw = f32(B, 12, L, scale=0.4, offset=0.05)
y = (torch.rand(B, K, generator=gen) < 0.4).double()
teacher_std = (0.03, 0.41)
teacher_kernels = [5, 3]
teacher = fcn_params(12, [8, 8], teacher_kernels)
out = {
    "B": B, "L": L, "K": K,
    "raw": tolist(raw), "y": tolist(y),
    "teacher": {"leads": 12, "filters": [8, 8], "kernels": teacher_kernels,
                "standardizer": list(teacher_std),
                "params": {k: tolist(v) for k, v in teacher.items()}},
    "cases": [],
}

CASES = [
    # A 12-lead student reading the teacher's own input (no second view): Zhou et al. 2024's
    # KD with the L2-normalised feature term.
    {"name": "kd-12-lead-l2", "lead_subset": list(range(12)),
     "filters": [6, 6], "kernels": [5, 3], "standardizer": None,
     "alpha": 0.5, "temperature": 2.0, "beta": 1.0, "feature_norm": "l2", "clt": None},
    # A lead-I student with its own standardiser, the 12-lead teacher on its view of the
    # same crop (MVKT-ECG, Qin et al. 2023): MKD at T = 1, a raw feature term and CLT.
    {"name": "mvkt-lead-I", "lead_subset": [0],
     "filters": [6, 4], "kernels": [3, 3], "standardizer": [-0.02, 0.37],
     "alpha": 0.5, "temperature": 1.0, "beta": 0.3, "feature_norm": "none",
     "clt": {"weight": 0.4, "dim": 8, "negatives": 3, "temperature": 0.07, "momentum": 0.5,
             "rows": [0, 1, 1, 0], "n_data": 2}},
    # The same student with the standardised feature term, no CLT.
    {"name": "kd-lead-I-standardize", "lead_subset": [0],
     "filters": [6, 4], "kernels": [3, 3], "standardizer": [-0.02, 0.37],
     "alpha": 0.7, "temperature": 3.0, "beta": 2.0, "feature_norm": "standardize", "clt": None},
]

x_teacher = (raw - teacher_std[0]) / teacher_std[1]
for case in CASES:
    leads = case["lead_subset"]
    student = fcn_params(len(leads), case["filters"], case["kernels"])
    st = case["standardizer"] or teacher_std
    x = (raw[:, leads] - st[0]) / st[1]
    params = dict(student)
    d_t = 2 * 8
    d_s = 2 * case["filters"][-1]
    if case["beta"] > 0:
        params["adaptor.weight"] = f32(d_t, d_s, scale=(1.0 / d_s) ** 0.5)
        params["adaptor.bias"] = f32(d_t, scale=0.1)
    banks = {}
    if case["clt"]:
        c = case["clt"]
        params["clt_student.weight"] = f32(c["dim"], d_s, scale=0.4)
        params["clt_student.bias"] = f32(c["dim"], scale=0.1)
        params["clt_teacher.weight"] = f32(c["dim"], d_t, scale=0.4)
        params["clt_teacher.bias"] = f32(c["dim"], scale=0.1)
        for name in ("clt_bank_student", "clt_bank_teacher"):
            m = torch.randn(c["n_data"], c["dim"], generator=gen)
            banks[name] = (m / m.norm(dim=1, keepdim=True)).float().double()
    seed = 7 + len(out["cases"])
    written = {k: tolist(v) for k, v in params.items()}
    written_banks = {k: tolist(v) for k, v in banks.items()}
    trainable = {k: v.clone().requires_grad_(not k.endswith(("running_mean", "running_var")))
                 for k, v in params.items()}
    teacher_before = {k: v.clone() for k, v in teacher.items()}

    torch.manual_seed(seed)
    h_s, s = fcn_forward(trainable, x, case["kernels"], train=True)
    with torch.no_grad():
        h_t, t = fcn_forward(teacher, x_teacher, teacher_kernels, train=False)
    assert all(torch.equal(teacher[k], teacher_before[k]) for k in teacher)
    a, T, b = case["alpha"], case["temperature"], case["beta"]
    task = F.binary_cross_entropy_with_logits(s, y)
    kd = binary_kl(t, s, T)
    feature = torch.zeros(())
    if b > 0:
        mapped = F.linear(h_s, trainable["adaptor.weight"], trainable["adaptor.bias"])
        feature = feature_term(mapped, h_t, case["feature_norm"])
    total = (1 - a) * task + a * T * T * kd + b * feature
    clt_value, z = 0.0, None
    if case["clt"]:
        c = case["clt"]
        rows = torch.tensor(c["rows"])
        idx = torch.stack([torch.tensor([r] + [1 - r] * c["negatives"]) for r in c["rows"]])
        clt, z = crd(trainable, banks, h_s, h_t, rows, idx, c["n_data"], c["temperature"])
        total = total + c["weight"] * clt
        clt_value = clt.item()
    total.backward()
    out["cases"].append({
        **{k: v for k, v in case.items()},
        "seed": seed,
        "params": written,
        "banks": written_banks,
        "task": task.item(), "kd": kd.item(), "feature": feature.item(), "clt_value": clt_value,
        "clt_z": z, "total": total.item(),
        "teacher_logits": tolist(t),
        "grads": {k: tolist(v.grad) for k, v in trainable.items() if v.grad is not None},
        "running_after": {k: tolist(v) for k, v in trainable.items()
                          if k.endswith(("running_mean", "running_var"))},
    })
    print(f"{case['name']}: total {total.item():.6f} task {task.item():.6f} kd {kd.item():.6f} "
          f"feature {feature.item():.6f} clt {clt_value:.6f}")

path = pathlib.Path(__file__).resolve().parents[2] / "crates/ecg-train/tests/golden/distill_step.json"
path.write_text(json.dumps(out, indent=None) + "\n")
print("wrote", path)
