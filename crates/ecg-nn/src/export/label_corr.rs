//! The label-correlation family (teacher, ablations, students) as ONNX nodes; mirrors
//! `crate::models::label_corr` block by block.
use ecg_onnx::graph::ConvAttrs;
use ecg_onnx::OnnxError;

use super::layers::{conv_bn2d, group_fc, layer_norm, linear, linear_nd, squeeze_excite};
use super::Ex;
use crate::models::label_corr::backbone::SeBlock2dConfig;
use crate::models::label_corr::decoder::DecoderLayerConfig;
use crate::models::label_corr::embedding::LabelCorrEmbeddingConfig;
use crate::models::label_corr::{LabelCorrConfig, Variant};
use crate::spec::ModelSpec;

/// [`crate::models::label_corr::backbone::SeBlock2d`]: `[batch, cin, leads, T]` →
/// `[batch, cout, leads, T / pool]`.
fn se_block2d(ex: &mut Ex, p: &str, c: &SeBlock2dConfig, x: &str) -> Result<String, OnnxError> {
    let (ci, co) = (c.cin, c.cout);
    let h = conv_bn2d(ex, &format!("{p}.conv1"), (ci, co), [1, 3], true, x)?;
    let h = conv_bn2d(ex, &format!("{p}.conv2"), (co, co), [3, 3], true, &h)?;
    let h = conv_bn2d(ex, &format!("{p}.conv3"), (co, co), [1, 3], false, &h)?;
    let h = squeeze_excite(ex, &format!("{p}.se"), (co, c.se_reduction), 4, &h)?;
    let (main, skip) = match c.pool {
        Some(k) => {
            let a = ConvAttrs {
                kernel: vec![1, k],
                stride: vec![1, k],
                pad: vec![0, 0],
            };
            (
                ex.g.pool("AveragePool", p, &h, &a),
                ex.g.pool("MaxPool", p, x, &a),
            )
        }
        None => (h, x.to_string()),
    };
    let skip = if c.skip_conv() {
        let sp = format!("{p}.skip");
        let w = ex.param(&format!("{sp}.weight"), &[co as usize, ci as usize, 1, 1])?;
        let b = ex.param(&format!("{sp}.bias"), &[co as usize])?;
        let a = ConvAttrs {
            kernel: vec![1, 1],
            stride: vec![1, 1],
            pad: vec![0, 0],
        };
        ex.g.conv(&sp, &skip, &w, Some(&b), &a)
    } else {
        skip
    };
    let y = ex.g.op("Add", p, &[&main, &skip]);
    Ok(ex.g.op("Relu", p, &[&y]))
}

/// Rows normalised to unit L2 norm, the norm floored at `eps` (`x / max(‖x‖, eps)`).
fn unit_rows(ex: &mut Ex, p: &str, x: &str, eps: f64) -> String {
    let n = ex.g.reduce("ReduceL2", p, x, &[-1], true);
    let e = ex.g.scalar(&format!("{p}/eps"), eps as f32);
    let n = ex.g.op("Max", p, &[&n, &e]);
    ex.g.op("Div", p, &[x, &n])
}

/// [`crate::models::label_corr::embedding::LabelCorrEmbedding`]: M = φ(E) from the stored
/// E, then F̂ from the cosine attention over the channel features `f [batch, C, h]`.
fn embedding(
    ex: &mut Ex,
    p: &str,
    c: &LabelCorrEmbeddingConfig,
    f: &str,
) -> Result<String, OnnxError> {
    let (k, e, h) = (c.num_classes, c.embed_hidden, c.hidden);
    let co = ex.param(&format!("{p}.cooccurrence"), &[k as usize, k as usize])?; // E [K, K]
    let m = linear(ex, &format!("{p}.phi1"), (k, e), &co)?;
    let m = ex.g.op("Relu", p, &[&m]);
    let m = linear(ex, &format!("{p}.phi2"), (e, e), &m)?;
    let m = linear(ex, &format!("{p}.phi3"), (e, h), &m)?; // M [K, h]
    let fn_ = unit_rows(ex, &format!("{p}/f"), f, c.cos_eps); // [batch, C, h]
    let mn = unit_rows(ex, &format!("{p}/m"), &m, c.cos_eps); // [K, h]
    let fnt = ex.g.transpose(p, &fn_, &[0, 2, 1]); // [batch, h, C]
    let s = ex.g.op("MatMul", p, &[&mn, &fnt]); // [batch, K, C]
    let s = ex.g.op("Relu", p, &[&s]);
    let sum = ex.g.reduce_sum(p, &s, &[-1], true); // [batch, K, 1]
    let eps = ex.g.scalar(&format!("{p}/attn_eps"), c.attn_eps as f32);
    let denom = ex.g.op("Add", p, &[&sum, &eps]);
    let s_hat = ex.g.op("Div", p, &[&s, &denom]);
    Ok(ex.g.op("MatMul", p, &[&s_hat, f])) // [batch, K, h]
}

/// [`crate::models::label_corr::decoder::DecoderLayer`]: cross-attention of the label
/// queries `[batch, K, d]` over `memory [batch, C, d]`, residual + LayerNorm, feed-forward,
/// residual + LayerNorm.
fn decoder_layer(
    ex: &mut Ex,
    p: &str,
    c: &DecoderLayerConfig,
    (k, ch): (i64, i64),
    queries: &str,
    memory: &str,
) -> Result<String, OnnxError> {
    let (d, h) = (c.dim, c.heads);
    let dh = d / h;
    let a = format!("{p}.attn");
    let q = linear_nd(ex, &format!("{a}.q"), (d, d), queries)?;
    let q = ex.g.reshape(&a, &q, &[0, k, h, dh]);
    let q = ex.g.transpose(&a, &q, &[0, 2, 1, 3]); // [batch, H, K, dh]
    let key = linear_nd(ex, &format!("{a}.k"), (d, d), memory)?;
    let key = ex.g.reshape(&a, &key, &[0, ch, h, dh]);
    let key_t = ex.g.transpose(&a, &key, &[0, 2, 3, 1]); // [batch, H, dh, C]
    let v = linear_nd(ex, &format!("{a}.v"), (d, d), memory)?;
    let v = ex.g.reshape(&a, &v, &[0, ch, h, dh]);
    let v = ex.g.transpose(&a, &v, &[0, 2, 1, 3]); // [batch, H, C, dh]
    let scores = ex.g.op("MatMul", &a, &[&q, &key_t]); // [batch, H, K, C]
    let scale =
        ex.g.scalar(&format!("{a}/sqrt_dh"), (dh as f64).sqrt() as f32);
    let scores = ex.g.op("Div", &a, &[&scores, &scale]);
    let attn = ex.g.node(
        "Softmax",
        &a,
        &[&scores],
        vec![ecg_onnx::graph::attr_int("axis", -1)],
        None,
    );
    let ctx = ex.g.op("MatMul", &a, &[&attn, &v]); // [batch, H, K, dh]
    let ctx = ex.g.transpose(&a, &ctx, &[0, 2, 1, 3]);
    let ctx = ex.g.reshape(&a, &ctx, &[0, k, d]); // [batch, K, d]
    let o = linear_nd(ex, &format!("{a}.o"), (d, d), &ctx)?;
    let x = ex.g.op("Add", p, &[queries, &o]);
    let x = layer_norm(ex, &format!("{p}.ln1"), d, &x)?;
    let ff = linear_nd(ex, &format!("{p}.ff1"), (d, c.ff_dim), &x)?;
    let ff = ex.g.op("Relu", p, &[&ff]);
    let ff = linear_nd(ex, &format!("{p}.ff2"), (c.ff_dim, d), &ff)?;
    let y = ex.g.op("Add", p, &[&x, &ff]);
    layer_norm(ex, &format!("{p}.ln2"), d, &y)
}

/// `x [batch, leads, L]` → logits `[batch, K]`.
pub(crate) fn logits(
    ex: &mut Ex,
    spec: &ModelSpec,
    cfg: &LabelCorrConfig,
    x: &str,
) -> Result<String, OnnxError> {
    let k = spec.num_classes;
    let mut h = ex.g.unsqueeze("input", x, &[1]); // [batch, 1, leads, L]
    for (name, b) in cfg.blocks() {
        h = se_block2d(ex, &format!("backbone.{name}"), &b, &h)?; // [batch, C_i, leads, L_i]
    }
    let c = cfg.out_channels();
    if cfg.variant == Variant::BackboneOnly {
        let pooled = ex.g.reduce("ReduceMean", "head", &h, &[2, 3], false); // [batch, C3]
        return linear(ex, "head", (c, k), &pooled);
    }
    let t_out = (0..cfg.channels.len()).fold(spec.input_len, |l, _| l / cfg.pool);
    let flat_dim = spec.n_leads() * t_out;
    let flat = ex.g.reshape("projection", &h, &[0, c, flat_dim]); // [batch, C3, leads · T']
    let f = linear_nd(ex, "projection", (flat_dim, cfg.hidden), &flat)?; // [batch, C3, hidden]
    let mut z = if cfg.variant.uses_embedding() {
        embedding(ex, "embed", &cfg.embedding(k), &f)?
    } else {
        let q = ex.param("queries", &[k as usize, cfg.hidden as usize])?;
        let q = ex.g.unsqueeze("queries", &q, &[0]); // [1, K, hidden]
        let shape = ex.g.op("Shape", "queries", &[x]);
        let zero = ex.g.ints("queries/zero", &[0]);
        let one = ex.g.ints("queries/one", &[1]);
        let batch = ex.g.op("Slice", "queries", &[&shape, &zero, &one]); // [1] = batch
        let rest = ex.g.ints("queries/rest", &[k, cfg.hidden]);
        let target = ex.g.concat("queries", &[&batch, &rest], 0);
        ex.g.op("Expand", "queries", &[&q, &target]) // [batch, K, hidden]
    };
    if cfg.variant.uses_decoder() {
        let dc = cfg.decoder_layer();
        for i in 0..cfg.decoder_layers {
            z = decoder_layer(ex, &format!("decoder.layer{}", i + 1), &dc, (k, c), &z, &f)?;
        }
    }
    group_fc(ex, "head", (k, cfg.hidden), &z)
}
