//! ML-Decoder-style decoder without self-attention: per layer, multi-head cross-attention
//! (queries = label features, keys/values = channel features) + residual + LayerNorm, then
//! feed-forward + residual + LayerNorm.
use tch::{nn, nn::Module, Kind, Tensor};

use crate::layers::linear;
use crate::summary::{linear_flops, linear_params, norm_params};

/// Configuration of [`DecoderLayer`].
#[derive(Debug, Clone, Copy)]
pub struct DecoderLayerConfig {
    pub dim: i64,
    pub heads: i64,
    pub ff_dim: i64,
    pub dropout: f64,
}

impl DecoderLayerConfig {
    /// Trainable parameters: q, k, v, o projections, two LayerNorms, the feed-forward.
    pub fn params(&self) -> i64 {
        let (d, f) = (self.dim, self.ff_dim);
        4 * linear_params(d, d, true)
            + 2 * norm_params(d)
            + linear_params(d, f, true)
            + linear_params(f, d, true)
    }

    /// FLOPs per record for `k` queries over `c` keys.
    pub fn flops(&self, k: i64, c: i64) -> i64 {
        let (d, f) = (self.dim, self.ff_dim);
        linear_flops(d, d, 2 * k)
            + linear_flops(d, d, 2 * c)
            + 2 * (2 * k * c * d)
            + linear_flops(d, f, k)
            + linear_flops(f, d, k)
    }
}

/// One decoder layer. Parameters `attn.{q,k,v,o}.*`, `ln1.*`, `ff1.*`, `ff2.*`, `ln2.*`.
#[derive(Debug)]
pub struct DecoderLayer {
    q: nn::Linear,
    k: nn::Linear,
    v: nn::Linear,
    o: nn::Linear,
    ln1: nn::LayerNorm,
    ff1: nn::Linear,
    ff2: nn::Linear,
    ln2: nn::LayerNorm,
    cfg: DecoderLayerConfig,
}

impl DecoderLayer {
    pub fn new(p: &nn::Path, cfg: &DecoderLayerConfig) -> Self {
        let a = p / "attn";
        let d = cfg.dim;
        let lin = |name: &str, i, o| nn::linear(&a / name, i, o, Default::default());
        DecoderLayer {
            q: lin("q", d, d),
            k: lin("k", d, d),
            v: lin("v", d, d),
            o: lin("o", d, d),
            ln1: nn::layer_norm(p / "ln1", vec![d], Default::default()),
            ff1: linear(p / "ff1", d, cfg.ff_dim, true),
            ff2: nn::linear(p / "ff2", cfg.ff_dim, d, Default::default()),
            ln2: nn::layer_norm(p / "ln2", vec![d], Default::default()),
            cfg: *cfg,
        }
    }

    /// `queries [batch, K, d]`, `memory [batch, C, d]` → `[batch, K, d]`.
    pub fn forward_t(&self, queries: &Tensor, memory: &Tensor, train: bool) -> Tensor {
        let (b, k, d) = queries.size3().unwrap_or((0, 0, 0));
        let c = memory.size()[1];
        let (h, dh) = (self.cfg.heads, self.cfg.dim / self.cfg.heads);
        let q = queries.apply(&self.q).view([b, k, h, dh]).transpose(1, 2); // [batch, H, K, dh]
        let key = memory.apply(&self.k).view([b, c, h, dh]).transpose(1, 2); // [batch, H, C, dh]
        let v = memory.apply(&self.v).view([b, c, h, dh]).transpose(1, 2); // [batch, H, C, dh]
        let scores = q.matmul(&key.transpose(2, 3)) / (dh as f64).sqrt(); // [batch, H, K, C]
        let attn = scores
            .softmax(-1, Kind::Float)
            .dropout(self.cfg.dropout, train);
        let ctx = attn.matmul(&v).transpose(1, 2).reshape([b, k, d]); // [batch, K, d]
        let x = self
            .ln1
            .forward(&(queries + ctx.apply(&self.o).dropout(self.cfg.dropout, train)));
        let ff = x
            .apply(&self.ff1)
            .relu()
            .dropout(self.cfg.dropout, train)
            .apply(&self.ff2);
        self.ln2
            .forward(&(&x + ff.dropout(self.cfg.dropout, train))) // [batch, K, d]
    }
}
