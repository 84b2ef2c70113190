//! [`OnnxError`]: every failure of export, loading and running, naming the file and the
//! field, tensor, node or operator concerned.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a readable ONNX model (protobuf decoding failed: {reason})", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}: weights: {reason}", path.display())]
    Weights { path: PathBuf, reason: String },
    #[error("{}: metadata_props: {reason}", path.display())]
    Metadata { path: PathBuf, reason: String },
    #[error(
        "{}: node {node} uses the operator {op} (domain `{domain}`), which tract-onnx does not implement",
        path.display()
    )]
    UnsupportedOperator {
        path: PathBuf,
        node: String,
        op: String,
        domain: String,
    },
    #[error("{}: the graph {reason}", path.display())]
    Graph { path: PathBuf, reason: String },
    #[error("input shape {got:?}: the model takes {expected}")]
    InputShape { got: Vec<usize>, expected: String },
    #[error("{}: {context}: {message}", path.display())]
    Runtime {
        path: PathBuf,
        context: String,
        message: String,
    },
    #[error("export of {what}: {reason}")]
    Export { what: String, reason: String },
}
