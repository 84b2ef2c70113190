//! [`Graph`]: an ONNX graph written node by node (the protobuf types of `tract_onnx::pb`),
//! with unique value names, float/int64 initializers, and the layer-level helpers the
//! exporters share (conv, batch norm, linear, pooling, layer norm).
//!
//! Opset [`OPSET`] = 17: the first opset with `LayerNormalization` as one standard operator
//! (the label-correlation decoder's LayerNorms map to one node each) and the last whose
//! `ReduceMean`/`ReduceMax`/`ReduceL2` take their axes as an attribute; ONNX Runtime has run
//! it since 1.12 and tract tests opsets 9–18.
use prost::Message;
use tract_onnx::pb;

use crate::error::OnnxError;

/// The ONNX operator set the exported graphs use (see the module docs).
pub const OPSET: i64 = 17;
/// ONNX IR version 8 (the IR of opset 17).
pub const IR_VERSION: i64 = 8;

/// A dimension of a graph input or output: fixed, or named (dynamic).
#[derive(Debug, Clone)]
pub enum Dim {
    Fixed(usize),
    Named(&'static str),
}

/// A graph under construction.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: Vec<pb::NodeProto>,
    inits: Vec<pb::TensorProto>,
    inputs: Vec<pb::ValueInfoProto>,
    outputs: Vec<pb::ValueInfoProto>,
    counter: usize,
}

/// An attribute of a node.
pub fn attr_int(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}
pub fn attr_ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}
pub fn attr_float(name: &str, v: f32) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Float as i32,
        f: v,
        ..Default::default()
    }
}
pub fn attr_string(name: &str, v: &str) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::String as i32,
        s: v.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[Dim]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{dimension::Value, Dimension};
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(n) => Value::DimValue(*n as i64),
                Dim::Named(s) => Value::DimParam((*s).to_string()),
            }),
            ..Default::default()
        })
        .collect();
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Convolution settings of [`Graph::conv`] (1-D or 2-D by the length of `kernel`).
#[derive(Debug, Clone)]
pub struct ConvAttrs {
    pub kernel: Vec<i64>,
    pub stride: Vec<i64>,
    /// Zero padding at both ends of each spatial axis.
    pub pad: Vec<i64>,
}

impl ConvAttrs {
    /// 1-D: `kernel`, `stride`, symmetric `pad`.
    pub fn d1(kernel: i64, stride: i64, pad: i64) -> Self {
        ConvAttrs {
            kernel: vec![kernel],
            stride: vec![stride],
            pad: vec![pad],
        }
    }
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    fn fresh(&mut self, hint: &str) -> String {
        self.counter += 1;
        format!("{hint}:{}", self.counter)
    }

    /// Declares a float graph input.
    pub fn input(&mut self, name: &str, dims: &[Dim]) -> String {
        self.inputs.push(value_info(name, dims));
        name.to_string()
    }

    /// Declares `value` (an existing value) as the float graph output `name`.
    pub fn output(&mut self, value: &str, name: &str, dims: &[Dim]) {
        self.node("Identity", name, &[value], vec![], Some(name));
        self.outputs.push(value_info(name, dims));
    }

    /// A float32 initializer (the name is kept: it is the checkpoint's tensor name).
    pub fn init(&mut self, name: &str, dims: &[usize], data: &[f32]) -> String {
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.inits.push(pb::TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: pb::tensor_proto::DataType::Float as i32,
            raw_data: raw,
            ..Default::default()
        });
        name.to_string()
    }

    /// A float32 scalar constant (a fresh name).
    pub fn scalar(&mut self, hint: &str, v: f32) -> String {
        let name = self.fresh(hint);
        self.init(&name, &[], &[v])
    }

    /// An int64 vector constant (shapes, axes; a fresh name).
    pub fn ints(&mut self, hint: &str, v: &[i64]) -> String {
        let name = self.fresh(hint);
        self.inits.push(pb::TensorProto {
            name: name.clone(),
            dims: vec![v.len() as i64],
            data_type: pb::tensor_proto::DataType::Int64 as i32,
            int64_data: v.to_vec(),
            ..Default::default()
        });
        name
    }

    /// Appends one node; returns its (single) output's name, `out` or a fresh one.
    pub fn node(
        &mut self,
        op: &str,
        scope: &str,
        inputs: &[&str],
        attrs: Vec<pb::AttributeProto>,
        out: Option<&str>,
    ) -> String {
        let output = match out {
            Some(o) => o.to_string(),
            None => self.fresh(&format!("{scope}/{op}")),
        };
        let name = self.fresh(&format!("{scope}/{op}#node"));
        self.nodes.push(pb::NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name,
            op_type: op.into(),
            attribute: attrs,
            ..Default::default()
        });
        output
    }

    /// Shorthand for an attribute-free node.
    pub fn op(&mut self, op: &str, scope: &str, inputs: &[&str]) -> String {
        self.node(op, scope, inputs, vec![], None)
    }

    /// `Conv` with weights `w` and optional bias `b` (initializer names).
    pub fn conv(
        &mut self,
        scope: &str,
        x: &str,
        w: &str,
        b: Option<&str>,
        a: &ConvAttrs,
    ) -> String {
        let mut ins = vec![x, w];
        if let Some(b) = b {
            ins.push(b);
        }
        let pads: Vec<i64> = a.pad.iter().chain(a.pad.iter()).copied().collect();
        self.node(
            "Conv",
            scope,
            &ins,
            vec![
                attr_ints("kernel_shape", &a.kernel),
                attr_ints("strides", &a.stride),
                attr_ints("pads", &pads),
                attr_ints("dilations", &vec![1; a.kernel.len()]),
                attr_int("group", 1),
            ],
            None,
        )
    }

    /// Inference-mode `BatchNormalization` (eps as PyTorch's 1e-5 unless given).
    pub fn batch_norm(&mut self, scope: &str, x: &str, p: [&str; 4], eps: f32) -> String {
        self.node(
            "BatchNormalization",
            scope,
            &[x, p[0], p[1], p[2], p[3]],
            vec![attr_float("epsilon", eps)],
            None,
        )
    }

    /// `MaxPool`/`AveragePool` (`op`) with symmetric zero padding, floor mode.
    pub fn pool(&mut self, op: &str, scope: &str, x: &str, a: &ConvAttrs) -> String {
        let pads: Vec<i64> = a.pad.iter().chain(a.pad.iter()).copied().collect();
        self.node(
            op,
            scope,
            &[x],
            vec![
                attr_ints("kernel_shape", &a.kernel),
                attr_ints("strides", &a.stride),
                attr_ints("pads", &pads),
            ],
            None,
        )
    }

    /// `ReduceMean`/`ReduceMax`/`ReduceL2` (`op`) over `axes` (attribute form, opset ≤ 17).
    pub fn reduce(&mut self, op: &str, scope: &str, x: &str, axes: &[i64], keep: bool) -> String {
        self.node(
            op,
            scope,
            &[x],
            vec![attr_ints("axes", axes), attr_int("keepdims", keep as i64)],
            None,
        )
    }

    /// `ReduceSum` (axes as an input since opset 13).
    pub fn reduce_sum(&mut self, scope: &str, x: &str, axes: &[i64], keep: bool) -> String {
        let a = self.ints(&format!("{scope}/axes"), axes);
        self.node(
            "ReduceSum",
            scope,
            &[x, &a],
            vec![attr_int("keepdims", keep as i64)],
            None,
        )
    }

    /// `Unsqueeze` (axes as an input since opset 13).
    pub fn unsqueeze(&mut self, scope: &str, x: &str, axes: &[i64]) -> String {
        let a = self.ints(&format!("{scope}/axes"), axes);
        self.op("Unsqueeze", scope, &[x, &a])
    }

    /// `Reshape` to `shape` (0 copies the input's dimension, -1 is inferred).
    pub fn reshape(&mut self, scope: &str, x: &str, shape: &[i64]) -> String {
        let s = self.ints(&format!("{scope}/shape"), shape);
        self.op("Reshape", scope, &[x, &s])
    }

    pub fn transpose(&mut self, scope: &str, x: &str, perm: &[i64]) -> String {
        self.node(
            "Transpose",
            scope,
            &[x],
            vec![attr_ints("perm", perm)],
            None,
        )
    }

    pub fn concat(&mut self, scope: &str, xs: &[&str], axis: i64) -> String {
        self.node("Concat", scope, xs, vec![attr_int("axis", axis)], None)
    }

    /// `[batch, in]` → `[batch, out]`: `Gemm` with PyTorch's `[out, in]` weight (transB).
    pub fn gemm(&mut self, scope: &str, x: &str, w: &str, b: &str) -> String {
        self.node("Gemm", scope, &[x, w, b], vec![attr_int("transB", 1)], None)
    }

    /// `[..., in]` → `[..., out]`: `MatMul` by the transposed weight `wt` `[in, out]`, then
    /// `Add` of the bias.
    pub fn matmul_add(&mut self, scope: &str, x: &str, wt: &str, b: &str) -> String {
        let y = self.op("MatMul", scope, &[x, wt]);
        self.op("Add", scope, &[&y, b])
    }

    /// `LayerNormalization` over the last axis.
    pub fn layer_norm(&mut self, scope: &str, x: &str, w: &str, b: &str, eps: f32) -> String {
        self.node(
            "LayerNormalization",
            scope,
            &[x, w, b],
            vec![attr_int("axis", -1), attr_float("epsilon", eps)],
            None,
        )
    }

    /// The finished model: graph, opset [`OPSET`], `metadata_props`.
    pub fn into_model(self, name: &str, doc: &str, props: Vec<(String, String)>) -> pb::ModelProto {
        pb::ModelProto {
            ir_version: IR_VERSION,
            opset_import: vec![pb::OperatorSetIdProto {
                domain: String::new(),
                version: OPSET,
            }],
            producer_name: "ecg-toolkit".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            doc_string: doc.into(),
            graph: Some(pb::GraphProto {
                node: self.nodes,
                name: name.into(),
                initializer: self.inits,
                input: self.inputs,
                output: self.outputs,
                ..Default::default()
            }),
            metadata_props: props
                .into_iter()
                .map(|(key, value)| pb::StringStringEntryProto { key, value })
                .collect(),
            ..Default::default()
        }
    }
}

/// Writes a model's protobuf bytes to `path` atomically (temporary sibling, then rename).
pub fn write_model(model: &pb::ModelProto, path: &std::path::Path) -> Result<(), OnnxError> {
    let bytes = model.encode_to_vec();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|source| OnnxError::Io {
        action: "writing",
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| OnnxError::Io {
        action: "renaming into",
        path: path.to_path_buf(),
        source,
    })
}
