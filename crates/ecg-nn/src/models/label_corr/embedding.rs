//! The label-correlation embedding module (METHODS §4, Zhang & Sun 2024).
//!
//! M = φ(E), φ = linear → ReLU → linear → linear, one row per label (M ∈ R^{K×hidden});
//! s[k][c] = ReLU(cos(F_c, M_k)); ŝ[k][c] = s[k][c] / (Σ_c s[k][c] + ε);
//! F̂_k = Σ_c ŝ[k][c] · F_c.
use tch::{nn, Kind, Tensor};

use crate::error::NnError;
use crate::layers::linear;
use crate::summary::{linear_flops, linear_params};

/// Configuration of [`LabelCorrEmbedding`].
#[derive(Debug, Clone, Copy)]
pub struct LabelCorrEmbeddingConfig {
    pub num_classes: i64,
    /// Width of φ's two inner layers.
    pub embed_hidden: i64,
    /// Width of the label embeddings (= the projection's `hidden`).
    pub hidden: i64,
    /// Floor of the vector norms in the cosine.
    pub cos_eps: f64,
    /// ε of the attention normalisation.
    pub attn_eps: f64,
}

impl LabelCorrEmbeddingConfig {
    /// Trainable parameters of φ (E is a buffer).
    pub fn params(&self) -> i64 {
        let (k, e, h) = (self.num_classes, self.embed_hidden, self.hidden);
        linear_params(k, e, true) + linear_params(e, e, true) + linear_params(e, h, true)
    }

    /// FLOPs per record for `c` channel features: φ (recomputed per batch, counted once per
    /// record), the cosine scores and the weighted sum.
    pub fn flops(&self, c: i64) -> i64 {
        let (k, e, h) = (self.num_classes, self.embed_hidden, self.hidden);
        linear_flops(k, e, k) + linear_flops(e, e, k) + linear_flops(e, h, k) + 2 * (2 * k * c * h)
    }
}

/// The module. Parameters `phi1.*`, `phi2.*`, `phi3.*`; buffer `cooccurrence [K, K]`.
#[derive(Debug)]
pub struct LabelCorrEmbedding {
    cooccurrence: Tensor,
    phi1: nn::Linear,
    phi2: nn::Linear,
    phi3: nn::Linear,
    cfg: LabelCorrEmbeddingConfig,
}

impl LabelCorrEmbedding {
    /// `e`: row-major K×K values of E (already checked for size and finiteness); `None`
    /// leaves zeros, to be overwritten by a checkpoint.
    pub fn new(
        p: &nn::Path,
        cfg: &LabelCorrEmbeddingConfig,
        e: Option<&[f32]>,
    ) -> Result<Self, NnError> {
        let k = cfg.num_classes;
        let mut cooccurrence = p.zeros_no_train("cooccurrence", &[k, k]);
        if let Some(e) = e {
            let src = Tensor::from_slice(e).view([k, k]).to_device(p.device());
            tch::no_grad(|| cooccurrence.f_copy_(&src)).map_err(|source| NnError::Torch {
                context: "copying the co-occurrence matrix into its buffer".into(),
                source,
            })?;
        }
        Ok(LabelCorrEmbedding {
            cooccurrence,
            phi1: linear(p / "phi1", k, cfg.embed_hidden, true),
            phi2: linear(p / "phi2", cfg.embed_hidden, cfg.embed_hidden, true),
            phi3: linear(p / "phi3", cfg.embed_hidden, cfg.hidden, true),
            cfg: *cfg,
        })
    }

    /// M = φ(E): `[K, hidden]`.
    pub fn label_embeddings(&self) -> Tensor {
        self.cooccurrence
            .apply(&self.phi1)
            .relu()
            .apply(&self.phi2)
            .apply(&self.phi3)
    }

    /// `f`: `[batch, C, hidden]` channel features → `F̂ [batch, K, hidden]`.
    pub fn forward(&self, f: &Tensor) -> Tensor {
        let m = self.label_embeddings();
        label_specific_features(f, &m, self.cfg.cos_eps, self.cfg.attn_eps).1
    }
}

/// The formulas of METHODS §4 as a pure function: `f [batch, C, h]`, `m [K, h]` →
/// (`ŝ [batch, K, C]`, `F̂ [batch, K, h]`). Norms are floored at `cos_eps`.
pub fn label_specific_features(
    f: &Tensor,
    m: &Tensor,
    cos_eps: f64,
    attn_eps: f64,
) -> (Tensor, Tensor) {
    let fn_ = f / f
        .norm_scalaropt_dim(2, [-1i64].as_slice(), true)
        .clamp_min(cos_eps); // [batch, C, h]
    let mn = m / m
        .norm_scalaropt_dim(2, [-1i64].as_slice(), true)
        .clamp_min(cos_eps); // [K, h]
    let s = mn.matmul(&fn_.transpose(1, 2)).relu(); // [batch, K, C]
    let denom = s.sum_dim_intlist(-1, true, Kind::Float) + attn_eps; // [batch, K, 1]
    let s_hat = s / denom; // [batch, K, C]
    let f_hat = s_hat.matmul(f); // [batch, K, h]
    (s_hat, f_hat)
}
