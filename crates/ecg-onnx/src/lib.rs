//! ecg-onnx: the networks as ONNX without libtorch.
//!
//! # Code map
//! - [`graph`]: [`Graph`], an ONNX graph written node by node over tract-onnx's protobuf
//!   types (`tract_onnx::pb`, prost), opset [`graph::OPSET`]; [`graph::write_model`].
//! - [`weights`]: [`Weights`], a checkpoint's tensors read from its safetensors file.
//! - [`meta`]: [`Deploy`], the preprocessing `ecg predict --model` replays, kept in the
//!   model's `metadata_props` (`ecg.<field>` = JSON).
//! - [`runtime`]: [`OnnxModel`], a model run by tract (pure Rust, one thread), with the
//!   checks that turn a corrupt file, an unsupported operator or a wrong shape into an error.
//!
//! The mapping from each layer of a [`ModelSpec`](../ecg_nn/spec/struct.ModelSpec.html) to
//! ONNX nodes lives in ecg-nn (`export`), beside the networks; this crate holds no network.
pub mod error;
pub mod graph;
pub mod meta;
pub mod runtime;
pub mod weights;

pub use error::OnnxError;
pub use graph::{Dim, Graph};
pub use meta::Deploy;
pub use runtime::OnnxModel;
/// The ONNX protobuf types (tract-onnx's, prost-generated).
pub use tract_onnx::pb;
pub use weights::Weights;
