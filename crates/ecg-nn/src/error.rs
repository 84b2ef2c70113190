//! Typed errors of the crate. Every variant names what it is about (preset, field, file).
use std::path::PathBuf;

/// Errors raised while describing, building, saving or loading a network.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// The preset name is not one of [`crate::PRESETS`].
    #[error("unknown model preset {name:?}; known presets: {known}")]
    UnknownPreset { name: String, known: String },

    /// A configuration value is out of range (zero channels, heads not dividing the width, ...).
    #[error("invalid configuration for {preset:?}: field `{field}`: {reason}")]
    InvalidConfig {
        preset: String,
        field: String,
        reason: String,
    },

    /// The lead subset is empty, repeats a lead or names a lead outside 0..12.
    #[error("invalid lead subset {leads:?}: {reason}")]
    InvalidLeads { leads: Vec<usize>, reason: String },

    /// The input length cannot pass through the network (a pooling or convolution would
    /// produce an empty time axis).
    #[error(
        "input length {input_len} is not supported by {preset:?}: at layer `{layer}` the time axis \
         would be {got} (needs at least {need}); the shortest length this network takes is {min_len}"
    )]
    LengthNotSupported {
        preset: String,
        input_len: i64,
        layer: String,
        got: i64,
        need: i64,
        min_len: i64,
    },

    /// The label co-occurrence matrix E is missing, has the wrong size, or is not finite.
    #[error("co-occurrence matrix for {preset:?}: {reason}")]
    Cooccurrence { preset: String, reason: String },

    /// A tensor passed to a network has the wrong shape.
    #[error("input shape {got:?} does not match {preset:?}: expected {expected}")]
    InputShape {
        preset: String,
        got: Vec<i64>,
        expected: String,
    },

    /// Reading or writing a checkpoint file failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The JSON sidecar could not be written or parsed.
    #[error("model spec sidecar {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// libtorch reported an error (reading safetensors, copying a tensor, ...).
    #[error("{context}: {source}")]
    Torch {
        context: String,
        #[source]
        source: tch::TchError,
    },

    /// The weights file does not hold exactly the tensors the rebuilt network expects.
    #[error("checkpoint {path} does not match its spec: {reason}")]
    CheckpointMismatch { path: PathBuf, reason: String },
}

impl NnError {
    pub(crate) fn config(preset: &str, field: &str, reason: impl Into<String>) -> Self {
        NnError::InvalidConfig {
            preset: preset.to_string(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}
