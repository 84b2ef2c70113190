//! Label-correlation embedding network (METHODS §4, Zhang & Sun 2024): the teacher, its Table-4
//! ablations, and the same-family students.
//!
//! ```text
//! x [batch, leads, L] → view [batch, 1, leads, L]
//!   → block A ×len(channels) (each ÷pool on time) → block B ×b_blocks   backbone [batch, C3, leads, T']
//!   BackboneOnly: global average → linear K
//!   otherwise:    projection (leads·T' → hidden) per channel               F [batch, C3, hidden]
//!                 Embedding/Full: F̂ = label-correlation embedding(F, E)   [batch, K, hidden]
//!                 Decoder:        F̂ = learned queries                      [batch, K, hidden]
//!                 Decoder/Full:   F̂ ← decoder layers(F̂, F)                [batch, K, hidden]
//!                 group-FC → K logits
//! ```
pub mod backbone;
pub mod decoder;
pub mod embedding;

use serde::{Deserialize, Serialize};
use tch::{nn, Kind, Tensor};

use super::{assert_leads, positive, probability};
use crate::error::NnError;
use crate::layers::head::{GroupFc, GroupFcConfig};
use crate::layers::linear;
use crate::net::{EcgNet, NetOutput};
use crate::spec::ModelSpec;
use crate::summary::{linear_flops, linear_params, Tracer, Window};
use backbone::{SeBlock2d, SeBlock2dConfig};
use decoder::{DecoderLayer, DecoderLayerConfig};
use embedding::{LabelCorrEmbedding, LabelCorrEmbeddingConfig};

/// The paper's Table-4 ablations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// Backbone, global average pool, linear head.
    BackboneOnly,
    /// Backbone + projection + label-correlation embedding + group-FC.
    Embedding,
    /// Backbone + projection + decoder over learned label queries + group-FC.
    Decoder,
    /// Everything: embedding features as the decoder's queries.
    Full,
}

impl Variant {
    pub fn uses_embedding(self) -> bool {
        matches!(self, Variant::Embedding | Variant::Full)
    }
    pub fn uses_decoder(self) -> bool {
        matches!(self, Variant::Decoder | Variant::Full)
    }
}

/// Configuration of [`LabelCorrNet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelCorrConfig {
    /// Widths of the A blocks (METHODS: three, C1 C2 C3).
    pub channels: Vec<i64>,
    /// Number of B blocks at the last width (METHODS: two).
    pub b_blocks: i64,
    pub se_reduction: i64,
    /// Time pooling of each A block (METHODS: 5).
    pub pool: i64,
    /// Width of the channel features F, label embeddings and decoder.
    pub hidden: i64,
    /// Inner width of φ.
    pub embed_hidden: i64,
    pub decoder_layers: i64,
    pub heads: i64,
    pub ff_dim: i64,
    pub dropout: f64,
    /// Floor of the norms in the cosine similarity.
    pub cos_eps: f64,
    /// ε in ŝ = s / (Σ s + ε).
    pub attn_eps: f64,
    pub variant: Variant,
}

impl LabelCorrConfig {
    pub(crate) fn validate(&self, preset: &str) -> Result<(), NnError> {
        if self.channels.is_empty() {
            return Err(NnError::config(
                preset,
                "channels",
                "needs at least one A block",
            ));
        }
        for (i, &c) in self.channels.iter().enumerate() {
            positive(preset, &format!("channels[{i}]"), c)?;
        }
        if self.b_blocks < 0 {
            return Err(NnError::config(preset, "b_blocks", "must not be negative"));
        }
        positive(preset, "se_reduction", self.se_reduction)?;
        positive(preset, "pool", self.pool)?;
        positive(preset, "hidden", self.hidden)?;
        positive(preset, "embed_hidden", self.embed_hidden)?;
        positive(preset, "heads", self.heads)?;
        positive(preset, "ff_dim", self.ff_dim)?;
        if self.variant.uses_decoder() {
            positive(preset, "decoder_layers", self.decoder_layers)?;
            if self.hidden % self.heads != 0 {
                return Err(NnError::config(
                    preset,
                    "heads",
                    format!(
                        "{} heads do not divide hidden = {}",
                        self.heads, self.hidden
                    ),
                ));
            }
        }
        probability(preset, "dropout", self.dropout)?;
        for (name, v) in [("cos_eps", self.cos_eps), ("attn_eps", self.attn_eps)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(NnError::config(
                    preset,
                    name,
                    format!("must be a positive number, got {v}"),
                ));
            }
        }
        Ok(())
    }

    /// The blocks in order with their `nn::Path` names (under `backbone`).
    pub(crate) fn blocks(&self) -> Vec<(String, SeBlock2dConfig)> {
        let mut out = Vec::new();
        let mut cin = 1;
        for (i, &c) in self.channels.iter().enumerate() {
            out.push((
                format!("block_a{}", i + 1),
                SeBlock2dConfig {
                    cin,
                    cout: c,
                    pool: Some(self.pool),
                    se_reduction: self.se_reduction,
                },
            ));
            cin = c;
        }
        for i in 0..self.b_blocks {
            out.push((
                format!("block_b{}", i + 1),
                SeBlock2dConfig {
                    cin,
                    cout: cin,
                    pool: None,
                    se_reduction: self.se_reduction,
                },
            ));
        }
        out
    }

    pub(crate) fn out_channels(&self) -> i64 {
        *self.channels.last().unwrap_or(&1)
    }

    pub(crate) fn embedding(&self, k: i64) -> LabelCorrEmbeddingConfig {
        LabelCorrEmbeddingConfig {
            num_classes: k,
            embed_hidden: self.embed_hidden,
            hidden: self.hidden,
            cos_eps: self.cos_eps,
            attn_eps: self.attn_eps,
        }
    }

    pub(crate) fn decoder_layer(&self) -> DecoderLayerConfig {
        DecoderLayerConfig {
            dim: self.hidden,
            heads: self.heads,
            ff_dim: self.ff_dim,
            dropout: self.dropout,
        }
    }

    pub(crate) fn trace(
        &self,
        t: &mut Tracer,
        leads: i64,
        len: i64,
        k: i64,
    ) -> Result<(), NnError> {
        let mut l = len;
        for (name, b) in self.blocks() {
            let name = format!("backbone.{name}");
            let l_out = match b.pool {
                Some(p) => t.window(&name, l, Window::new(p, p, 0))?,
                None => l,
            };
            let kind = if b.pool.is_some() {
                "se-block-a-2d"
            } else {
                "se-block-b-2d"
            };
            t.push(
                &name,
                kind,
                vec![b.cout, leads, l_out],
                b.params(),
                b.flops(leads, l, l_out),
            );
            l = l_out;
        }
        let c = self.out_channels();
        let h = self.hidden;
        if self.variant == Variant::BackboneOnly {
            t.push(
                "head",
                "avg-pool-linear",
                vec![k],
                linear_params(c, k, true),
                linear_flops(c, k, 1),
            );
            return Ok(());
        }
        let flat = leads * l;
        t.push(
            "projection",
            "linear",
            vec![c, h],
            linear_params(flat, h, true),
            linear_flops(flat, h, c),
        );
        if self.variant.uses_embedding() {
            let e = self.embedding(k);
            t.push(
                "embed",
                "label-corr-embedding",
                vec![k, h],
                e.params(),
                e.flops(c),
            );
        } else {
            t.push("queries", "learned-label-queries", vec![k, h], k * h, 0);
        }
        if self.variant.uses_decoder() {
            let d = self.decoder_layer();
            for i in 0..self.decoder_layers {
                t.push(
                    &format!("decoder.layer{}", i + 1),
                    "cross-attention-layer",
                    vec![k, h],
                    d.params(),
                    d.flops(k, c),
                );
            }
        }
        let g = GroupFcConfig {
            num_classes: k,
            dim: h,
        };
        t.push("head", "group-fc", vec![k], g.params(), 2 * k * h);
        Ok(())
    }
}

/// How the label queries are made.
#[derive(Debug)]
enum Queries {
    Embedding(LabelCorrEmbedding),
    Learned(Tensor),
}

/// The network. Parameter prefixes: `backbone.block_a{i}`, `backbone.block_b{i}`,
/// `projection`, `embed` (with the buffer `embed.cooccurrence`) or `queries`,
/// `decoder.layer{i}`, `head`.
#[derive(Debug)]
pub struct LabelCorrNet {
    spec: ModelSpec,
    blocks: Vec<SeBlock2d>,
    projection: Option<nn::Linear>,
    queries: Option<Queries>,
    decoder: Vec<DecoderLayer>,
    group_head: Option<GroupFc>,
    linear_head: Option<nn::Linear>,
}

impl LabelCorrNet {
    pub fn new(
        p: &nn::Path,
        spec: &ModelSpec,
        cfg: &LabelCorrConfig,
        e: Option<&[f32]>,
    ) -> Result<Self, NnError> {
        let k = spec.num_classes;
        let bp = p / "backbone";
        let blocks = cfg
            .blocks()
            .iter()
            .map(|(n, b)| SeBlock2d::new(&(&bp / n), b))
            .collect();
        let c = cfg.out_channels();
        let mut net = LabelCorrNet {
            spec: spec.clone(),
            blocks,
            projection: None,
            queries: None,
            decoder: Vec::new(),
            group_head: None,
            linear_head: None,
        };
        if cfg.variant == Variant::BackboneOnly {
            net.linear_head = Some(linear(p / "head", c, k, true));
            return Ok(net);
        }
        let t_out = (0..cfg.channels.len()).fold(spec.input_len, |l, _| l / cfg.pool);
        net.projection = Some(nn::linear(
            p / "projection",
            spec.n_leads() * t_out,
            cfg.hidden,
            Default::default(),
        ));
        net.queries = Some(if cfg.variant.uses_embedding() {
            Queries::Embedding(LabelCorrEmbedding::new(
                &(p / "embed"),
                &cfg.embedding(k),
                e,
            )?)
        } else {
            Queries::Learned(p.var(
                "queries",
                &[k, cfg.hidden],
                nn::Init::Randn {
                    mean: 0.0,
                    stdev: 1.0,
                },
            ))
        });
        if cfg.variant.uses_decoder() {
            let dp = p / "decoder";
            net.decoder = (0..cfg.decoder_layers)
                .map(|i| {
                    DecoderLayer::new(&(&dp / format!("layer{}", i + 1)), &cfg.decoder_layer())
                })
                .collect();
        }
        net.group_head = Some(GroupFc::new(
            &(p / "head"),
            &GroupFcConfig {
                num_classes: k,
                dim: cfg.hidden,
            },
        ));
        Ok(net)
    }
}

impl EcgNet for LabelCorrNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput {
        assert_leads(&self.spec, xs);
        let mut h = xs.unsqueeze(1); // [batch, 1, leads, L]
        for b in &self.blocks {
            h = b.forward_t(&h, train); // [batch, C_i, leads, L_i]
        }
        let (batch, c) = (h.size()[0], h.size()[1]);
        if let Some(head) = &self.linear_head {
            let pooled = h.mean_dim([2i64, 3].as_slice(), false, Kind::Float); // [batch, C3]
            let logits = pooled.apply(head);
            return NetOutput {
                logits,
                backbone: h,
                head_input: pooled,
            };
        }
        let projection = self
            .projection
            .as_ref()
            .expect("projection exists unless backbone-only");
        let flat = h.reshape([batch, c, -1]); // [batch, C3, leads · T']
        assert!(
            flat.size()[2] == projection.ws.size()[1],
            "{}: input length {} does not match the spec's input_len {} (the projection fixes it)",
            self.spec.preset,
            xs.size()[2],
            self.spec.input_len
        );
        let f = flat.apply(projection); // [batch, C3, hidden]
        let mut z = match self
            .queries
            .as_ref()
            .expect("queries exist unless backbone-only")
        {
            Queries::Embedding(m) => m.forward(&f), // [batch, K, hidden]
            Queries::Learned(q) => q.unsqueeze(0).expand([batch, -1, -1], false), // [batch, K, hidden]
        };
        for layer in &self.decoder {
            z = layer.forward_t(&z, &f, train); // [batch, K, hidden]
        }
        let logits = self
            .group_head
            .as_ref()
            .expect("group head exists unless backbone-only")
            .forward(&z);
        NetOutput {
            logits,
            backbone: h,
            head_input: z.flatten(1, 2),
        }
    }

    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
}
