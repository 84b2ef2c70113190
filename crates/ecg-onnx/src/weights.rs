//! [`Weights`]: a checkpoint's tensors read straight from its safetensors file (no
//! libtorch), taken by name with their expected shapes; every tensor must be used once.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::OnnxError;

/// Every float32 tensor of a safetensors file.
#[derive(Debug)]
pub struct Weights {
    path: PathBuf,
    tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    used: BTreeSet<String>,
}

impl Weights {
    /// Reads `path`; a tensor that is not float32 is an error naming it.
    pub fn read(path: &Path) -> Result<Weights, OnnxError> {
        let bytes = std::fs::read(path).map_err(|source| OnnxError::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        })?;
        let err = |reason: String| OnnxError::Weights {
            path: path.to_path_buf(),
            reason,
        };
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| err(format!("not a safetensors file: {e}")))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in st.tensors() {
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(err(format!(
                    "tensor {name} is {:?}, expected F32",
                    view.dtype()
                )));
            }
            let data = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            tensors.insert(name, (view.shape().to_vec(), data));
        }
        Ok(Weights {
            path: path.to_path_buf(),
            tensors,
            used: BTreeSet::new(),
        })
    }

    /// An in-memory set (tests).
    pub fn from_map(path: &Path, tensors: BTreeMap<String, (Vec<usize>, Vec<f32>)>) -> Weights {
        Weights {
            path: path.to_path_buf(),
            tensors,
            used: BTreeSet::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shape of `name`, if present.
    pub fn shape(&self, name: &str) -> Option<&[usize]> {
        self.tensors.get(name).map(|(s, _)| s.as_slice())
    }

    /// The values of `name`, which must have `shape`.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, OnnxError> {
        let Some((s, v)) = self.tensors.get(name) else {
            return Err(OnnxError::Weights {
                path: self.path.clone(),
                reason: format!("missing tensor {name}"),
            });
        };
        if s != shape {
            return Err(OnnxError::Weights {
                path: self.path.clone(),
                reason: format!("tensor {name}: stored shape {s:?}, expected {shape:?}"),
            });
        }
        self.used.insert(name.to_string());
        Ok(v.clone())
    }

    /// Errors when a stored tensor was never taken (the checkpoint holds layers the spec
    /// does not describe).
    pub fn check_all_used(&self) -> Result<(), OnnxError> {
        let unused: Vec<&String> = self
            .tensors
            .keys()
            .filter(|k| !self.used.contains(*k))
            .collect();
        if unused.is_empty() {
            Ok(())
        } else {
            Err(OnnxError::Weights {
                path: self.path.clone(),
                reason: format!("tensors the spec does not use: {unused:?}"),
            })
        }
    }
}
