// The optimizer step through libtorch's own multi-tensor kernels, which tch 0.24 does not
// expose: total-norm gradient clipping as torch.nn.utils.clip_grad_norm_ computes it, then
// at::_fused_adamw_ (the kernel of torch.optim.AdamW(fused=True); CPU and CUDA in torch
// 2.11) with its `found_inf` argument, so a step whose loss or gradient is not finite
// changes nothing. Every decision is a tensor on the parameters' device: nothing here reads a
// value back to the host.
//
// Tensors cross as tch's raw tensor pointers (each points at an at::Tensor). Every function
// catches every C++ exception and reports it as a malloc'd message through `err`, freed by
// ecg_optim_free_str.
#include <ATen/ATen.h>
#include "guarded.h"
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using ecg_shim::guarded;

std::vector<at::Tensor> list_of(void** ts, size_t n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(*static_cast<at::Tensor*>(ts[i]));
  return out;
}

}  // namespace

extern "C" {

void ecg_optim_free_str(char* s) { std::free(s); }

// Drops the gradients of `params` (torch's zero_grad(set_to_none=True)): no kernel runs, and
// the next backward writes fresh gradients.
int ecg_optim_zero_grad(void** params, size_t n, char** err) {
  return guarded(err, [&] {
    for (auto& p : list_of(params, n)) p.mutable_grad().reset();
  });
}

// Divides every tensor in place by `d` (one multi-tensor op).
int ecg_optim_foreach_div(void** tensors, size_t n, double d, char** err) {
  return guarded(err, [&] {
    at::NoGradGuard no_grad;
    auto ts = list_of(tensors, n);
    if (!ts.empty()) at::_foreach_div_(ts, d);
  });
}

// One AdamW step over `n` parameters whose gradients are defined, as
//   norm = clip_grad_norm_(grads, max_norm)            (when max_norm > 0)
//   torch.optim.AdamW(fused=True).step()               (found_inf skips it)
// with one step counter `step` (float32 scalar, shared by every parameter).
//
// found_inf (float32 scalar, 0 or 1) is sticky: it becomes 1 when `bad` (bool scalar, may be
// null: e.g. a non-finite loss) is true or the gradient norm is not finite, and stays 1, so
// this and every later step leave parameters, moments and the counter untouched.
// `*norm_out` receives the total gradient norm before clipping (a new float32 scalar tensor).
int ecg_optim_adamw_step(void** params, void** grads, void** exp_avgs, void** exp_avg_sqs,
                         size_t n, void* step, void* found_inf, void* bad, double lr,
                         double beta1, double beta2, double weight_decay, double eps,
                         double max_norm, void** norm_out, char** err) {
  return guarded(err, [&] {
    at::NoGradGuard no_grad;
    auto P = list_of(params, n);
    auto G = list_of(grads, n);
    auto M = list_of(exp_avgs, n);
    auto V = list_of(exp_avg_sqs, n);
    auto& counter = *static_cast<at::Tensor*>(step);
    auto& inf = *static_cast<at::Tensor*>(found_inf);
    if (n == 0) {
      *norm_out = new at::Tensor(at::zeros({}, inf.options()));
      return;
    }
    // clip_grad_norm_: the norm of the per-tensor norms, scale clamped to 1 (always applied,
    // as torch does, so no host decision is needed).
    auto norms = at::_foreach_norm(G, 2);
    auto total = at::linalg_vector_norm(at::stack(norms), 2);
    auto bad_now = at::isfinite(total).logical_not_();
    if (bad != nullptr) bad_now.logical_or_(*static_cast<at::Tensor*>(bad));
    inf.clamp_min_(bad_now.to(inf.scalar_type()));
    if (max_norm > 0) {
      // Python's `max_norm / t` is `t.reciprocal() * max_norm`.
      auto coef = at::clamp_max((total + 1e-6).reciprocal() * max_norm, 1.0);
      at::_foreach_mul_(G, coef);
    }
    // torch.optim.AdamW(fused=True): counter += 1, the fused kernel (a no-op when found_inf
    // is 1), counter -= found_inf.
    counter.add_(1);
    std::vector<at::Tensor> steps(n, counter);
    at::_fused_adamw_(P, G, M, V, {}, steps, lr, beta1, beta2, weight_decay, eps,
                      /*amsgrad=*/false, /*maximize=*/false, /*grad_scale=*/c10::nullopt,
                      /*found_inf=*/inf);
    counter.sub_(inf);
    *norm_out = new at::Tensor(total);
  });
}

}  // extern "C"
