//! The 1-D networks as ONNX nodes: se_resnet1d (Zhou et al. 2024's student family), the
//! PTB-XL benchmark baselines (xresnet1d, resnet1d_wang, inception1d, fcn_wang) and the
//! per-lead network of LCD; each mirrors its module in `crate::models`.
use ecg_onnx::graph::{attr_string, ConvAttrs};
use ecg_onnx::OnnxError;

use super::layers::{batch_norm, concat_pool_head, conv1d, conv_bn1d, linear, squeeze_excite};
use super::Ex;
use crate::layers::conv::ConvBn1dConfig;
use crate::layers::head::ConcatPoolHeadConfig;
use crate::models::fcn_wang::FcnWangConfig;
use crate::models::inception1d::Inception1dConfig;
use crate::models::per_lead::PerLeadConfig;
use crate::models::resnet1d_wang::{BasicBlock1dConfig, ResNet1dWangConfig};
use crate::models::se_resnet1d::{SeBlock1dConfig, SeResNet1dConfig};
use crate::models::xresnet1d::{XBottleneckConfig, XResNet1dConfig};
use crate::spec::ModelSpec;

/// [`crate::models::se_resnet1d::SeBlock1d`].
fn se_block1d(ex: &mut Ex, p: &str, c: &SeBlock1dConfig, x: &str) -> Result<String, OnnxError> {
    let h = conv_bn1d(
        ex,
        &format!("{p}.conv1"),
        &ConvBn1dConfig::same(c.cin, c.cout, c.kernel).stride(c.stride),
        x,
    )?;
    let h = conv_bn1d(
        ex,
        &format!("{p}.conv2"),
        &ConvBn1dConfig::same(c.cout, c.cout, 3).no_relu(),
        &h,
    )?;
    let main = squeeze_excite(ex, &format!("{p}.se"), (c.cout, c.se_reduction), 3, &h)?;
    let skip = if c.has_projection() {
        let sc = ConvBn1dConfig {
            cin: c.cin,
            cout: c.cout,
            kernel: 1,
            stride: c.stride,
            padding: 0,
            relu: false,
        };
        conv_bn1d(ex, &format!("{p}.skip"), &sc, x)?
    } else {
        x.to_string()
    };
    let y = ex.g.op("Add", p, &[&main, &skip]);
    Ok(ex.g.op("Relu", p, &[&y]))
}

/// SE-ResNet-1D under `prefix` (empty at the root): `x [batch, leads, L]` → the pooled
/// features `[batch, C]`.
fn se_resnet1d_features(
    ex: &mut Ex,
    prefix: &str,
    leads: i64,
    cfg: &SeResNet1dConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let mut h = conv_bn1d(
        ex,
        &format!("{prefix}stem"),
        &ConvBn1dConfig::same(leads, cfg.stem_channels, cfg.stem_kernel),
        x,
    )?;
    for (name, b) in cfg.blocks() {
        h = se_block1d(ex, &format!("{prefix}{name}"), &b, &h)?;
    }
    Ok(ex
        .g
        .reduce("ReduceMean", &format!("{prefix}pool"), &h, &[-1], false))
}

/// se_resnet1d: features → dropout (identity) → linear K.
pub(crate) fn se_resnet1d(
    ex: &mut Ex,
    spec: &ModelSpec,
    cfg: &SeResNet1dConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let pooled = se_resnet1d_features(ex, "", spec.n_leads(), cfg, x)?;
    linear(ex, "head", (cfg.out_channels(), spec.num_classes), &pooled)
}

/// LCD's per-lead network: `Slice` each lead → its encoder's pooled features → `Concat` →
/// linear K. Each encoder's own one-class `head` is not part of this network's forward.
pub(crate) fn per_lead(
    ex: &mut Ex,
    spec: &ModelSpec,
    cfg: &PerLeadConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let c = cfg.encoder.out_channels();
    let mut feats = Vec::new();
    for i in 0..spec.leads.len() as i64 {
        let p = format!("lead{i}");
        let (s, e, ax) = (
            ex.g.ints(&format!("{p}/start"), &[i]),
            ex.g.ints(&format!("{p}/end"), &[i + 1]),
            ex.g.ints(&format!("{p}/axis"), &[1]),
        );
        let xi = ex.g.op("Slice", &p, &[x, &s, &e, &ax]); // [batch, 1, L]
        feats.push(se_resnet1d_features(
            ex,
            &format!("{p}."),
            1,
            &cfg.encoder,
            &xi,
        )?);
        ex.unused(&format!("{p}.head.weight"), &[1, c as usize])?;
        ex.unused(&format!("{p}.head.bias"), &[1])?;
    }
    let refs: Vec<&str> = feats.iter().map(String::as_str).collect();
    let cat = ex.g.concat("head", &refs, 1); // [batch, leads · C]
    linear(ex, "head", (spec.n_leads() * c, spec.num_classes), &cat)
}

/// [`crate::models::xresnet1d::XBottleneck`]. The identity path's `avg_pool1d(2, 2,
/// ceil_mode)` is `Pad` (edge, one sample at the end) + `AveragePool(2, 2)`: the same
/// windows, and the last window of an odd length averages its one sample with itself, as
/// PyTorch divides it by one.
fn x_bottleneck(ex: &mut Ex, p: &str, c: &XBottleneckConfig, x: &str) -> Result<String, OnnxError> {
    let mut h = conv_bn1d(
        ex,
        &format!("{p}.convs.0"),
        &ConvBn1dConfig::same(c.cin, c.width, 1),
        x,
    )?;
    h = conv_bn1d(
        ex,
        &format!("{p}.convs.1"),
        &ConvBn1dConfig::same(c.width, c.width, c.kernel).stride(c.stride),
        &h,
    )?;
    h = conv_bn1d(
        ex,
        &format!("{p}.convs.2"),
        &ConvBn1dConfig::same(c.width, c.cout, 1).no_relu(),
        &h,
    )?;
    let mut id = x.to_string();
    if c.stride != 1 {
        if c.stride != 2 {
            return Err(OnnxError::Export {
                what: p.into(),
                reason: format!(
                    "identity pooling with stride {} (only 2 is mapped)",
                    c.stride
                ),
            });
        }
        let pads = ex.g.ints(&format!("{p}/pads"), &[0, 0, 0, 0, 0, 1]);
        let padded = ex.g.node(
            "Pad",
            p,
            &[&id, &pads],
            vec![attr_string("mode", "edge")],
            None,
        );
        id =
            ex.g.pool("AveragePool", p, &padded, &ConvAttrs::d1(2, 2, 0));
    }
    if c.cin != c.cout {
        id = conv_bn1d(
            ex,
            &format!("{p}.idpath"),
            &ConvBn1dConfig::same(c.cin, c.cout, 1).no_relu(),
            &id,
        )?;
    }
    let y = ex.g.op("Add", p, &[&h, &id]);
    Ok(ex.g.op("Relu", p, &[&y]))
}

pub(crate) fn xresnet1d(
    ex: &mut Ex,
    spec: &ModelSpec,
    cfg: &XResNet1dConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let mut h = x.to_string();
    for (i, c) in cfg.stem_layers(spec.n_leads()).iter().enumerate() {
        h = conv_bn1d(ex, &format!("stem.{i}"), c, &h)?;
    }
    h =
        ex.g.pool("MaxPool", "stem_pool", &h, &ConvAttrs::d1(3, 2, 1));
    for (name, b) in cfg.blocks() {
        h = x_bottleneck(ex, &name, &b, &h)?;
    }
    let head = ConcatPoolHeadConfig::benchmark(cfg.width * cfg.expansion, spec.num_classes);
    concat_pool_head(ex, "head", &head, &h)
}

/// [`crate::models::resnet1d_wang::BasicBlock1d`].
fn basic_block1d(
    ex: &mut Ex,
    p: &str,
    c: &BasicBlock1dConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let ch = c.channels;
    let h = conv_bn1d(
        ex,
        &format!("{p}.conv1"),
        &ConvBn1dConfig::same(ch, ch, c.kernels[0]).stride(c.stride),
        x,
    )?;
    let h = conv_bn1d(
        ex,
        &format!("{p}.conv2"),
        &ConvBn1dConfig::same(ch, ch, c.kernels[1]).no_relu(),
        &h,
    )?;
    let res = if c.stride != 1 {
        let d = ConvBn1dConfig {
            cin: ch,
            cout: ch,
            kernel: 1,
            stride: c.stride,
            padding: 0,
            relu: false,
        };
        conv_bn1d(ex, &format!("{p}.downsample"), &d, x)?
    } else {
        x.to_string()
    };
    let y = ex.g.op("Add", p, &[&h, &res]);
    Ok(ex.g.op("Relu", p, &[&y]))
}

pub(crate) fn resnet1d_wang(
    ex: &mut Ex,
    spec: &ModelSpec,
    cfg: &ResNet1dWangConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let stem = ConvBn1dConfig::same(spec.n_leads(), cfg.channels, cfg.stem_kernel);
    let mut h = conv_bn1d(ex, "stem", &stem, x)?;
    for (name, b) in cfg.blocks() {
        h = basic_block1d(ex, &name, &b, &h)?;
    }
    let head = ConcatPoolHeadConfig::benchmark(cfg.channels, spec.num_classes);
    concat_pool_head(ex, "head", &head, &h)
}

pub(crate) fn inception1d(
    ex: &mut Ex,
    spec: &ModelSpec,
    cfg: &Inception1dConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let w = cfg.width();
    let leads = spec.n_leads();
    let mut input_res = x.to_string();
    let mut h = x.to_string();
    for d in 0..cfg.depth {
        let p = format!("block{}", d + 1);
        let b = cfg.block(d, leads);
        let bottled = conv1d(
            ex,
            &format!("{p}.bottleneck"),
            (b.cin, b.bottleneck, 1),
            false,
            &h,
        )?;
        let mut branches = Vec::new();
        for (i, &k) in b.kernels.iter().enumerate() {
            branches.push(conv1d(
                ex,
                &format!("{p}.convs.{i}"),
                (b.bottleneck, b.filters, k),
                false,
                &bottled,
            )?);
        }
        let pooled = ex.g.pool("MaxPool", &p, &h, &ConvAttrs::d1(3, 1, 1));
        branches.push(conv1d(
            ex,
            &format!("{p}.conv_bottle"),
            (b.cin, b.filters, 1),
            false,
            &pooled,
        )?);
        let refs: Vec<&str> = branches.iter().map(String::as_str).collect();
        let cat = ex.g.concat(&p, &refs, 1); // [batch, width, L]
        let bn = batch_norm(ex, &format!("{p}.bn"), w, &cat)?;
        h = ex.g.op("Relu", &p, &[&bn]);
        if cfg.use_residual && d % 3 == 2 {
            let s = format!("shortcut{}", d / 3 + 1);
            let cin = if d / 3 == 0 { leads } else { w };
            let sc = conv1d(ex, &format!("{s}.conv"), (cin, w, 1), false, &input_res)?;
            let sc = batch_norm(ex, &format!("{s}.bn"), w, &sc)?;
            let y = ex.g.op("Add", &s, &[&h, &sc]);
            h = ex.g.op("Relu", &s, &[&y]);
            input_res = h.clone();
        }
    }
    let head = ConcatPoolHeadConfig::benchmark(w, spec.num_classes);
    concat_pool_head(ex, "head", &head, &h)
}

pub(crate) fn fcn_wang(
    ex: &mut Ex,
    spec: &ModelSpec,
    cfg: &FcnWangConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let mut h = x.to_string();
    for (i, c) in cfg.layers(spec.n_leads()).iter().enumerate() {
        h = conv_bn1d(ex, &format!("conv{}", i + 1), c, &h)?;
    }
    let c = *cfg.filters.last().unwrap_or(&1);
    let head = ConcatPoolHeadConfig::benchmark(c, spec.num_classes);
    concat_pool_head(ex, "head", &head, &h)
}
