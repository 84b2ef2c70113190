//! ONNX export of any [`ModelSpec`] from its checkpoint's weights, without libtorch: the
//! weights are read from the safetensors file ([`ecg_onnx::Weights`]) and every layer has
//! one function that writes its ONNX nodes ([`layers`], [`label_corr`], [`baselines`]),
//! mirroring the tch module it exports. The graph takes `signals [batch, leads, samples]`
//! (batch dynamic; samples fixed for the label-correlation family, whose projection fixes
//! the length, dynamic otherwise) and returns `probabilities [batch, K]` (sigmoid of the
//! logits), in inference mode (batch norm on running statistics, dropout off).
mod baselines;
mod label_corr;
mod layers;

use ecg_onnx::graph::Dim;
use ecg_onnx::pb;
use ecg_onnx::{Deploy, Graph, OnnxError, Weights};

use crate::spec::{ArchConfig, ModelSpec};

/// The graph under construction and the checkpoint's tensors.
pub(crate) struct Ex {
    pub(crate) g: Graph,
    w: Weights,
}

impl Ex {
    /// The checkpoint tensor `name` (of `shape`) as an initializer of the same name.
    pub(crate) fn param(&mut self, name: &str, shape: &[usize]) -> Result<String, OnnxError> {
        let v = self.w.take(name, shape)?;
        Ok(self.g.init(name, shape, &v))
    }

    /// The `[out, in]` weight `name` transposed to `[in, out]` (for `MatMul`).
    pub(crate) fn param_t(
        &mut self,
        name: &str,
        out: usize,
        inp: usize,
    ) -> Result<String, OnnxError> {
        let v = self.w.take(name, &[out, inp])?;
        let mut t = vec![0f32; v.len()];
        for o in 0..out {
            for i in 0..inp {
                t[i * out + o] = v[o * inp + i];
            }
        }
        Ok(self.g.init(&format!("{name}^T"), &[inp, out], &t))
    }

    /// A stored tensor the forward pass does not read (checked for shape, not exported).
    pub(crate) fn unused(&mut self, name: &str, shape: &[usize]) -> Result<(), OnnxError> {
        self.w.take(name, shape).map(|_| ())
    }
}

/// The ONNX model of `spec` with the checkpoint's `weights` and the deployment metadata.
/// Every stored tensor must be used and have the shape the spec implies.
pub fn to_onnx(
    spec: &ModelSpec,
    weights: Weights,
    deploy: &Deploy,
) -> Result<pb::ModelProto, OnnxError> {
    spec.validate().map_err(|e| OnnxError::Export {
        what: spec.preset.clone(),
        reason: e.to_string(),
    })?;
    if deploy.leads.len() != spec.leads.len() || deploy.class_names.len() as i64 != spec.num_classes
    {
        return Err(OnnxError::Export {
            what: spec.preset.clone(),
            reason: format!(
                "the metadata names {} leads and {} classes, the network takes {} and gives {}",
                deploy.leads.len(),
                deploy.class_names.len(),
                spec.leads.len(),
                spec.num_classes
            ),
        });
    }
    let mut ex = Ex {
        g: Graph::new(),
        w: weights,
    };
    let len = if spec.fixed_length() {
        Dim::Fixed(spec.input_len as usize)
    } else {
        Dim::Named("samples")
    };
    let x = ex.g.input(
        "signals",
        &[Dim::Named("batch"), Dim::Fixed(spec.leads.len()), len],
    );
    let logits = match &spec.arch {
        ArchConfig::LabelCorr(c) => label_corr::logits(&mut ex, spec, c, &x)?,
        ArchConfig::SeResNet1d(c) => baselines::se_resnet1d(&mut ex, spec, c, &x)?,
        ArchConfig::XResNet1d(c) => baselines::xresnet1d(&mut ex, spec, c, &x)?,
        ArchConfig::ResNet1dWang(c) => baselines::resnet1d_wang(&mut ex, spec, c, &x)?,
        ArchConfig::Inception1d(c) => baselines::inception1d(&mut ex, spec, c, &x)?,
        ArchConfig::FcnWang(c) => baselines::fcn_wang(&mut ex, spec, c, &x)?,
        ArchConfig::PerLead(c) => baselines::per_lead(&mut ex, spec, c, &x)?,
    };
    ex.w.check_all_used()?;
    let p = ex.g.op("Sigmoid", "output", &[&logits]);
    ex.g.output(
        &p,
        "probabilities",
        &[Dim::Named("batch"), Dim::Fixed(spec.num_classes as usize)],
    );
    let doc = format!(
        "ecg-toolkit network `{}` ({} leads, {} classes); input `signals` [batch, leads, \
         samples] standardised as metadata ecg.standardizer says, output `probabilities` \
         [batch, classes] (sigmoid).",
        spec.preset,
        spec.leads.len(),
        spec.num_classes
    );
    Ok(ex.g.into_model(&spec.preset, &doc, deploy.to_props()))
}
