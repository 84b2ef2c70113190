"""Golden values for ecg-train's losses, computed with PyTorch in float64.

Run with the project's venv (torch 2.11):
    .venv/bin/python scripts/golden/train_losses.py
Writes crates/ecg-train/tests/golden/train_losses.json: the inputs (logits, targets,
teacher logits, features, adaptor weights) and each loss value. References used:
- BCE: torch.nn.functional.binary_cross_entropy_with_logits (mean).
- ASL: the official implementation of Ridnik et al. 2021 (AsymmetricLoss.forward from
  github.com/Alibaba-MIIL/ASL, losses.py), whose sum is divided by batch x labels as
  METHODS §5 states ("averaged over batch and labels").
- KD: torch.distributions.kl_divergence between Bernoulli(logits=t/T) and
  Bernoulli(logits=s/T), mean over batch and labels; the full loss
  (1-a)*BCE + a*T^2*KD + b*H(adaptor(h_s), h_t) with a linear adaptor, H the feature term
  of `[distill] feature_norm`:
  - "none": F.mse_loss on the raw features;
  - "l2": mean over the batch of 2 - 2*F.cosine_similarity (per-sample L2-normalised
    features, squared distance summed over the features);
  - "standardize": F.mse_loss of F.layer_norm(x, [D]) (per-sample standardised features,
    no affine, eps 1e-5).
  Each full case also holds torch.autograd's gradient of the total with respect to the
  student logits, the student features and the adaptor's weight and bias.
"""
import json
import pathlib

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, kl_divergence

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20240607)
B, K, DS, DT = 6, 5, 7, 4

logits = torch.randn(B, K, generator=gen) * 3.0
teacher = torch.randn(B, K, generator=gen) * 3.0
targets = (torch.rand(B, K, generator=gen) < 0.4).double()
h_s = torch.randn(B, DS, generator=gen)
h_t = torch.randn(B, DT, generator=gen)
w_ad = torch.randn(DT, DS, generator=gen) * 0.3
b_ad = torch.randn(DT, generator=gen) * 0.1


def asl_official(x, y, gamma_neg, gamma_pos, clip, eps=1e-8):
    # AsymmetricLoss.forward, Alibaba-MIIL/ASL src/loss_functions/losses.py
    x_sigmoid = torch.sigmoid(x)
    xs_pos = x_sigmoid
    xs_neg = 1 - x_sigmoid
    if clip is not None and clip > 0:
        xs_neg = (xs_neg + clip).clamp(max=1)
    los_pos = y * torch.log(xs_pos.clamp(min=eps))
    los_neg = (1 - y) * torch.log(xs_neg.clamp(min=eps))
    loss = los_pos + los_neg
    if gamma_neg > 0 or gamma_pos > 0:
        pt0 = xs_pos * y
        pt1 = xs_neg * (1 - y)
        pt = pt0 + pt1
        one_sided_gamma = gamma_pos * y + gamma_neg * (1 - y)
        one_sided_w = torch.pow(1 - pt, one_sided_gamma)
        loss *= one_sided_w
    return -loss.sum()


def kd_kl(t, s, T):
    return kl_divergence(Bernoulli(logits=t / T), Bernoulli(logits=s / T)).mean()


out = {
    "batch": B,
    "classes": K,
    "student_dim": DS,
    "teacher_dim": DT,
    "logits": logits.flatten().tolist(),
    "teacher_logits": teacher.flatten().tolist(),
    "targets": targets.flatten().tolist(),
    "student_features": h_s.flatten().tolist(),
    "teacher_features": h_t.flatten().tolist(),
    "adaptor_weight": w_ad.flatten().tolist(),
    "adaptor_bias": b_ad.tolist(),
    "bce": F.binary_cross_entropy_with_logits(logits, targets).item(),
    "asl": [],
    "kd_kl": [],
    "kd_full": [],
}
for gp, gn, m in [(0.0, 4.0, 0.05), (0.0, 4.0, 0.0), (1.0, 2.0, 0.1), (0.0, 0.0, 0.0), (2.0, 3.0, 0.2)]:
    v = asl_official(logits, targets, gn, gp, m) / (B * K)
    out["asl"].append({"gamma_pos": gp, "gamma_neg": gn, "margin": m, "value": v.item()})
for T in [1.0, 2.0, 4.0]:
    out["kd_kl"].append({"temperature": T, "value": kd_kl(teacher, logits, T).item()})


def feature_term(mapped, h_t, norm):
    if norm == "none":
        return F.mse_loss(mapped, h_t)
    if norm == "l2":
        return (2 - 2 * F.cosine_similarity(mapped, h_t, dim=1)).mean()
    if norm == "standardize":
        d = h_t.shape[1]
        return F.mse_loss(F.layer_norm(mapped, [d], eps=1e-5), F.layer_norm(h_t, [d], eps=1e-5))
    raise ValueError(norm)


mapped = F.linear(h_s, w_ad, b_ad)
mse = F.mse_loss(mapped, h_t)
bce = F.binary_cross_entropy_with_logits(logits, targets)
cases = [
    (0.5, 2.0, 1.0, "none"), (0.0, 2.0, 0.0, "none"), (0.9, 4.0, 0.5, "none"),
    (1.0, 1.0, 0.0, "none"), (0.5, 2.0, 1.0, "l2"), (0.3, 3.0, 2.0, "standardize"),
]
for a, T, b, norm in cases:
    z = logits.clone().requires_grad_(True)
    hs = h_s.clone().requires_grad_(True)
    w = w_ad.clone().requires_grad_(True)
    bias = b_ad.clone().requires_grad_(True)
    m = F.linear(hs, w, bias)
    feat = feature_term(m, h_t, norm)
    task = F.binary_cross_entropy_with_logits(z, targets)
    v = (1 - a) * task + a * T * T * kd_kl(teacher, z, T) + b * feat
    v.backward()
    out["kd_full"].append({
        "alpha": a, "temperature": T, "beta": b, "feature_norm": norm,
        "value": v.item(), "feature": feat.item(),
        "grad_logits": z.grad.flatten().tolist(),
        "grad_student_features": hs.grad.flatten().tolist(),
        "grad_adaptor_weight": w.grad.flatten().tolist(),
        "grad_adaptor_bias": bias.grad.tolist(),
    })
out["feature_mse"] = mse.item()
out["feature_l2"] = feature_term(mapped, h_t, "l2").item()
out["feature_standardize"] = feature_term(mapped, h_t, "standardize").item()
# The gradient of T^2 * KD with respect to the student logits, by autograd, for the
# temperature check: T * (sigmoid(s/T) - sigmoid(t/T)) / (B*K).
out["kd_grad"] = []
for T in [1.0, 2.0, 4.0]:
    z = logits.clone().requires_grad_(True)
    (T * T * kd_kl(teacher, z, T)).backward()
    out["kd_grad"].append({"temperature": T, "grad_logits": z.grad.flatten().tolist()})

path = pathlib.Path(__file__).resolve().parents[2] / "crates/ecg-train/tests/golden/train_losses.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
