//! The shared layers as ONNX nodes: one function per layer struct of `crate::layers` (and
//! the linear/LayerNorm of tch), reading the layer's tensors under its `nn::Path` prefix.
use ecg_onnx::graph::ConvAttrs;
use ecg_onnx::OnnxError;

use super::Ex;
use crate::layers::conv::ConvBn1dConfig;
use crate::layers::head::ConcatPoolHeadConfig;
use crate::summary::se_hidden;

/// PyTorch's batch-norm and LayerNorm ε (tch's defaults).
pub(crate) const EPS: f32 = 1e-5;

fn u(v: i64) -> usize {
    v.max(0) as usize
}

/// `BatchNorm{1,2}d` (inference: running statistics) over `c` channels at `p`.
pub(crate) fn batch_norm(ex: &mut Ex, p: &str, c: i64, x: &str) -> Result<String, OnnxError> {
    let s = [u(c)];
    let w = ex.param(&format!("{p}.weight"), &s)?;
    let b = ex.param(&format!("{p}.bias"), &s)?;
    let m = ex.param(&format!("{p}.running_mean"), &s)?;
    let v = ex.param(&format!("{p}.running_var"), &s)?;
    Ok(ex.g.batch_norm(p, x, [&w, &b, &m, &v], EPS))
}

/// [`crate::layers::conv::ConvBn1d`]: `Conv` (no bias) → `BatchNormalization` (→ `Relu`).
pub(crate) fn conv_bn1d(
    ex: &mut Ex,
    p: &str,
    c: &ConvBn1dConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let w = ex.param(
        &format!("{p}.conv.weight"),
        &[u(c.cout), u(c.cin), u(c.kernel)],
    )?;
    let h = ex.g.conv(
        p,
        x,
        &w,
        None,
        &ConvAttrs::d1(c.kernel, c.stride, c.padding),
    );
    let h = batch_norm(ex, &format!("{p}.bn"), c.cout, &h)?;
    Ok(if c.relu { ex.g.op("Relu", p, &[&h]) } else { h })
}

/// [`crate::layers::conv::ConvBn2d`]: kernel `[kh, kw]`, "same" padding.
pub(crate) fn conv_bn2d(
    ex: &mut Ex,
    p: &str,
    (cin, cout): (i64, i64),
    kernel: [i64; 2],
    relu: bool,
    x: &str,
) -> Result<String, OnnxError> {
    let w = ex.param(
        &format!("{p}.conv.weight"),
        &[u(cout), u(cin), u(kernel[0]), u(kernel[1])],
    )?;
    let a = ConvAttrs {
        kernel: kernel.to_vec(),
        stride: vec![1, 1],
        pad: vec![(kernel[0] - 1) / 2, (kernel[1] - 1) / 2],
    };
    let h = ex.g.conv(p, x, &w, None, &a);
    let h = batch_norm(ex, &format!("{p}.bn"), cout, &h)?;
    Ok(if relu { ex.g.op("Relu", p, &[&h]) } else { h })
}

/// A plain 1-D `Conv` with optional bias (`nn::conv1d`).
pub(crate) fn conv1d(
    ex: &mut Ex,
    p: &str,
    (cin, cout, k): (i64, i64, i64),
    bias: bool,
    x: &str,
) -> Result<String, OnnxError> {
    let w = ex.param(&format!("{p}.weight"), &[u(cout), u(cin), u(k)])?;
    let b = if bias {
        Some(ex.param(&format!("{p}.bias"), &[u(cout)])?)
    } else {
        None
    };
    Ok(ex
        .g
        .conv(p, x, &w, b.as_deref(), &ConvAttrs::d1(k, 1, (k - 1) / 2)))
}

/// `nn::Linear` on `[batch, in]`: `Gemm` with the `[out, in]` weight.
pub(crate) fn linear(
    ex: &mut Ex,
    p: &str,
    (cin, cout): (i64, i64),
    x: &str,
) -> Result<String, OnnxError> {
    let w = ex.param(&format!("{p}.weight"), &[u(cout), u(cin)])?;
    let b = ex.param(&format!("{p}.bias"), &[u(cout)])?;
    Ok(ex.g.gemm(p, x, &w, &b))
}

/// `nn::Linear` on `[..., in]` (any rank): `MatMul` by the transposed weight, `Add` bias.
pub(crate) fn linear_nd(
    ex: &mut Ex,
    p: &str,
    (cin, cout): (i64, i64),
    x: &str,
) -> Result<String, OnnxError> {
    let wt = ex.param_t(&format!("{p}.weight"), u(cout), u(cin))?;
    let b = ex.param(&format!("{p}.bias"), &[u(cout)])?;
    Ok(ex.g.matmul_add(p, x, &wt, &b))
}

/// `nn::LayerNorm` over the last axis of width `d`.
pub(crate) fn layer_norm(ex: &mut Ex, p: &str, d: i64, x: &str) -> Result<String, OnnxError> {
    let w = ex.param(&format!("{p}.weight"), &[u(d)])?;
    let b = ex.param(&format!("{p}.bias"), &[u(d)])?;
    Ok(ex.g.layer_norm(p, x, &w, &b, EPS))
}

/// [`crate::layers::se::SqueezeExcite`] on a `[batch, C, ...]` map of `rank` axes:
/// `ReduceMean` over the spatial axes → `Gemm` → `Relu` → `Gemm` → `Sigmoid` →
/// `Unsqueeze` → `Mul`.
pub(crate) fn squeeze_excite(
    ex: &mut Ex,
    p: &str,
    (c, reduction): (i64, i64),
    rank: usize,
    x: &str,
) -> Result<String, OnnxError> {
    let spatial: Vec<i64> = (2..rank as i64).collect();
    let hidden = se_hidden(c, reduction);
    let z = ex.g.reduce("ReduceMean", p, x, &spatial, false); // [batch, C]
    let z = linear(ex, &format!("{p}.fc1"), (c, hidden), &z)?;
    let z = ex.g.op("Relu", p, &[&z]);
    let z = linear(ex, &format!("{p}.fc2"), (hidden, c), &z)?;
    let gate = ex.g.op("Sigmoid", p, &[&z]);
    let gate = ex.g.unsqueeze(p, &gate, &spatial); // [batch, C, 1, ...]
    Ok(ex.g.op("Mul", p, &[x, &gate]))
}

/// `BatchNorm1d` on `[batch, C]` as PyTorch applies it: through `[batch, C, 1]`.
fn batch_norm_flat(ex: &mut Ex, p: &str, c: i64, x: &str) -> Result<String, OnnxError> {
    let h = ex.g.unsqueeze(p, x, &[2]);
    let h = batch_norm(ex, p, c, &h)?;
    Ok(ex.g.reshape(p, &h, &[0, -1]))
}

/// [`crate::layers::head::ConcatPoolHead`]: concat(max, mean over time) → BN → linear →
/// ReLU → BN → linear.
pub(crate) fn concat_pool_head(
    ex: &mut Ex,
    p: &str,
    c: &ConcatPoolHeadConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let mx = ex.g.reduce("ReduceMax", p, x, &[-1], false);
    let mean = ex.g.reduce("ReduceMean", p, x, &[-1], false);
    let pooled = ex.g.concat(p, &[&mx, &mean], 1); // [batch, 2C]
    let c2 = 2 * c.in_channels;
    let h = batch_norm_flat(ex, &format!("{p}.bn1"), c2, &pooled)?;
    let h = linear(ex, &format!("{p}.lin1"), (c2, c.hidden), &h)?;
    let h = ex.g.op("Relu", p, &[&h]);
    let h = batch_norm_flat(ex, &format!("{p}.bn2"), c.hidden, &h)?;
    linear(ex, &format!("{p}.lin2"), (c.hidden, c.num_classes), &h)
}

/// [`crate::layers::head::GroupFc`]: `[batch, K, D]` → `Mul` by `weight [K, D]` →
/// `ReduceSum` over D → `Add` bias.
pub(crate) fn group_fc(
    ex: &mut Ex,
    p: &str,
    (k, d): (i64, i64),
    z: &str,
) -> Result<String, OnnxError> {
    let w = ex.param(&format!("{p}.weight"), &[u(k), u(d)])?;
    let b = ex.param(&format!("{p}.bias"), &[u(k)])?;
    let h = ex.g.op("Mul", p, &[z, &w]);
    let h = ex.g.reduce_sum(p, &h, &[-1], false);
    Ok(ex.g.op("Add", p, &[&h, &b]))
}
