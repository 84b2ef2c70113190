//! `fcn_wang` of the PTB-XL benchmark (code/models/basic_conv1d.py): three conv → BN → ReLU
//! layers (128, 256, 128 filters; kernels 8, 5, 3; padding (k-1)/2, so k 8 shortens by one),
//! then the concat-pool head.
use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

use super::{assert_leads, positive};
use crate::error::NnError;
use crate::layers::conv::{ConvBn1d, ConvBn1dConfig};
use crate::layers::head::{ConcatPoolHead, ConcatPoolHeadConfig};
use crate::net::{EcgNet, NetOutput};
use crate::spec::ModelSpec;
use crate::summary::{conv_flops, conv_params, norm_params, Tracer, Window};

/// Configuration of [`FcnWang`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FcnWangConfig {
    pub filters: Vec<i64>,
    pub kernels: Vec<i64>,
}

impl FcnWangConfig {
    /// The benchmark: filters [128, 256, 128], kernels [8, 5, 3].
    pub fn benchmark() -> Self {
        FcnWangConfig {
            filters: vec![128, 256, 128],
            kernels: vec![8, 5, 3],
        }
    }

    pub(crate) fn validate(&self, preset: &str) -> Result<(), NnError> {
        if self.filters.is_empty() || self.filters.len() != self.kernels.len() {
            return Err(NnError::config(
                preset,
                "filters",
                "needs as many filters as kernels, at least one",
            ));
        }
        for (i, (&f, &k)) in self.filters.iter().zip(&self.kernels).enumerate() {
            positive(preset, &format!("filters[{i}]"), f)?;
            positive(preset, &format!("kernels[{i}]"), k)?;
        }
        Ok(())
    }

    pub(crate) fn layers(&self, leads: i64) -> Vec<ConvBn1dConfig> {
        let mut cin = leads;
        self.filters
            .iter()
            .zip(&self.kernels)
            .map(|(&f, &k)| {
                let c = ConvBn1dConfig::same(cin, f, k);
                cin = f;
                c
            })
            .collect()
    }

    pub(crate) fn trace(
        &self,
        t: &mut Tracer,
        leads: i64,
        len: i64,
        k: i64,
    ) -> Result<(), NnError> {
        let mut l = len;
        for (i, c) in self.layers(leads).iter().enumerate() {
            let name = format!("conv{}", i + 1);
            l = t.window(&name, l, Window::new(c.kernel, c.stride, c.padding))?;
            t.push(
                &name,
                "conv-bn-relu",
                vec![c.cout, l],
                conv_params(c.cin, c.cout, c.kernel, 1, false) + norm_params(c.cout),
                conv_flops(c.cin, c.cout, c.kernel, 1, l),
            );
        }
        let c = *self.filters.last().unwrap_or(&1);
        ConcatPoolHeadConfig::benchmark(c, k).trace(t, "head");
        Ok(())
    }
}

/// The fcn_wang network. Parameters `conv{1,2,3}.*`, `head.*`.
#[derive(Debug)]
pub struct FcnWang {
    spec: ModelSpec,
    convs: Vec<ConvBn1d>,
    head: ConcatPoolHead,
}

impl FcnWang {
    pub fn new(p: &nn::Path, spec: &ModelSpec, cfg: &FcnWangConfig) -> Self {
        let convs = cfg
            .layers(spec.n_leads())
            .iter()
            .enumerate()
            .map(|(i, c)| ConvBn1d::new(&(p / format!("conv{}", i + 1)), c))
            .collect();
        let c = *cfg.filters.last().unwrap_or(&1);
        FcnWang {
            spec: spec.clone(),
            convs,
            head: ConcatPoolHead::new(
                &(p / "head"),
                &ConcatPoolHeadConfig::benchmark(c, spec.num_classes),
            ),
        }
    }
}

impl EcgNet for FcnWang {
    fn forward_t(&self, xs: &Tensor, train: bool) -> NetOutput {
        assert_leads(&self.spec, xs);
        let mut h = xs.shallow_clone(); // [batch, leads, L]
        for c in &self.convs {
            h = c.forward_t(&h, train); // [batch, filters_i, L']
        }
        let (head_input, logits) = self.head.forward_t(&h, train);
        NetOutput {
            logits,
            backbone: h,
            head_input,
        }
    }

    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
}
