//! [`OnnxModel`]: an exported model loaded with tract (pure Rust, one thread), its
//! [`Deploy`] metadata, and a forward pass `[batch, leads, samples]` → probabilities.
//!
//! Loading checks, in order, that the file decodes as ONNX protobuf, that its metadata is
//! ours, that every operator is one tract implements, and that the graph has one input
//! `[batch, leads, samples]` and one output `[batch, K]` agreeing with the metadata. tract
//! optimises the graph for a concrete `[batch, samples]` the first time it sees that shape
//! (kept for the next records).
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use prost::Message;
use tract_onnx::pb;
use tract_onnx::prelude::*;

use crate::error::OnnxError;
use crate::meta::Deploy;

type Plan = Arc<TypedRunnableModel>;

/// A loaded model.
pub struct OnnxModel {
    path: PathBuf,
    deploy: Deploy,
    proto: pb::ModelProto,
    plans: HashMap<(usize, usize), Plan>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("path", &self.path)
            .field("deploy", &self.deploy)
            .finish()
    }
}

fn dims_of(v: &pb::ValueInfoProto) -> Vec<Option<i64>> {
    use pb::tensor_shape_proto::dimension::Value;
    match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(pb::type_proto::Value::TensorType(t)) => t
            .shape
            .as_ref()
            .map(|s| {
                s.dim
                    .iter()
                    .map(|d| match d.value {
                        Some(Value::DimValue(n)) => Some(n),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

impl OnnxModel {
    /// Reads and checks `path` (see the module docs).
    pub fn load(path: &Path) -> Result<OnnxModel, OnnxError> {
        let bytes = std::fs::read(path).map_err(|source| OnnxError::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        })?;
        let proto = pb::ModelProto::decode(bytes.as_slice()).map_err(|e| OnnxError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let graph_err = |reason: String| OnnxError::Graph {
            path: path.to_path_buf(),
            reason,
        };
        let Some(graph) = proto.graph.as_ref() else {
            return Err(OnnxError::Corrupt {
                path: path.to_path_buf(),
                reason: "no graph in the model".into(),
            });
        };
        let deploy = Deploy::from_props(path, &proto.metadata_props)?;
        let register = &tract_onnx::onnx().op_register;
        for n in &graph.node {
            let custom = !(n.domain.is_empty() || n.domain == "ai.onnx");
            if custom || !register.0.contains_key(&n.op_type) {
                return Err(OnnxError::UnsupportedOperator {
                    path: path.to_path_buf(),
                    node: n.name.clone(),
                    op: n.op_type.clone(),
                    domain: n.domain.clone(),
                });
            }
        }
        let inits: std::collections::HashSet<&str> =
            graph.initializer.iter().map(|t| t.name.as_str()).collect();
        let inputs: Vec<&pb::ValueInfoProto> = graph
            .input
            .iter()
            .filter(|i| !inits.contains(i.name.as_str()))
            .collect();
        if inputs.len() != 1 || graph.output.len() != 1 {
            return Err(graph_err(format!(
                "has {} inputs and {} outputs; ecg models have one input [batch, leads, samples] \
                 and one output [batch, classes]",
                inputs.len(),
                graph.output.len()
            )));
        }
        let din = dims_of(inputs[0]);
        let n_leads = deploy.leads.len() as i64;
        if din.len() != 3 || din[1] != Some(n_leads) {
            return Err(graph_err(format!(
                "input {} has shape {din:?}, but the metadata names {n_leads} leads \
                 ([batch, {n_leads}, samples] expected)",
                inputs[0].name
            )));
        }
        if let (Some(l), Some(m)) = (din[2], deploy.input_len) {
            if l != m as i64 {
                return Err(graph_err(format!(
                    "input length {l} disagrees with ecg.input_len {m}"
                )));
            }
        }
        let dout = dims_of(&graph.output[0]);
        let k = deploy.class_names.len() as i64;
        if dout.len() != 2 || dout[1] != Some(k) {
            return Err(graph_err(format!(
                "output {} has shape {dout:?}, but the metadata names {k} classes",
                graph.output[0].name
            )));
        }
        Ok(OnnxModel {
            path: path.to_path_buf(),
            deploy,
            proto,
            plans: HashMap::new(),
        })
    }

    pub fn deploy(&self) -> &Deploy {
        &self.deploy
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn plan(&mut self, batch: usize, len: usize) -> Result<Plan, OnnxError> {
        if let Some(p) = self.plans.get(&(batch, len)) {
            return Ok(p.clone());
        }
        let leads = self.deploy.leads.len();
        let err = |context: &str, e: TractError| OnnxError::Runtime {
            path: self.path.clone(),
            context: context.to_string(),
            message: format!("{e:#}"),
        };
        let plan = tract_onnx::onnx()
            .model_for_proto_model(&self.proto)
            .map_err(|e| err("parsing the graph", e))?
            .with_input_fact(0, f32::fact([batch, leads, len]).into())
            .map_err(|e| err("setting the input shape", e))?
            .into_optimized()
            .map_err(|e| {
                err(
                    &format!("optimising for input [{batch}, {leads}, {len}]"),
                    e,
                )
            })?
            .into_runnable()
            .map_err(|e| err("planning", e))?;
        self.plans.insert((batch, len), plan.clone());
        Ok(plan)
    }

    /// `x`: `[batch, leads, len]` row-major → probabilities `[batch, K]` row-major.
    pub fn forward(&mut self, x: &[f32], batch: usize, len: usize) -> Result<Vec<f32>, OnnxError> {
        let leads = self.deploy.leads.len();
        let shape_ok = batch >= 1
            && x.len() == batch * leads * len
            && self.deploy.input_len.is_none_or(|m| m == len);
        if !shape_ok {
            let l = self
                .deploy
                .input_len
                .map_or("samples".to_string(), |m| m.to_string());
            return Err(OnnxError::InputShape {
                got: vec![batch, x.len().checked_div(batch * len).unwrap_or(0), len],
                expected: format!("[batch, {leads}, {l}]"),
            });
        }
        let plan = self.plan(batch, len)?;
        let err = |context: &str, message: String| OnnxError::Runtime {
            path: self.path.clone(),
            context: context.to_string(),
            message,
        };
        let t = Tensor::from_shape(&[batch, leads, len], x)
            .map_err(|e| err("building the input", format!("{e:#}")))?;
        let out = plan
            .run(tvec!(t.into()))
            .map_err(|e| err("running the graph", format!("{e:#}")))?;
        let v = out[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| err("reading the output", format!("{e:#}")))?;
        let k = self.deploy.class_names.len();
        if v.shape() != [batch, k] {
            return Err(err(
                "reading the output",
                format!("shape {:?}, expected [{batch}, {k}]", v.shape()),
            ));
        }
        Ok(v.iter().copied().collect())
    }
}
