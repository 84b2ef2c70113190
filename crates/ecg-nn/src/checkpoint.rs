//! Checkpoints: `<path>` holds the weights and buffers (safetensors, names = `nn::Path`
//! names) and `<path>.json` the [`ModelSpec`], so a network can be rebuilt from the files
//! alone. Both are written atomically (temporary file in the same folder, then rename).
//!
//! The network must have been built under the VarStore's root (`build(&vs.root(), ...)`),
//! which is how [`load`] rebuilds it.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tch::{nn, Device, Tensor};

use crate::error::NnError;
use crate::net::{build_inner, EcgNet};
use crate::spec::ModelSpec;

/// `<path>.json`.
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

fn rename(from: &Path, to: &Path) -> Result<(), NnError> {
    std::fs::rename(from, to).map_err(|source| NnError::Io {
        action: "renaming into",
        path: to.to_path_buf(),
        source,
    })
}

/// Writes `<path>` (safetensors, every variable and buffer of `vs`) and `<path>.json` (the spec).
pub fn save(vs: &nn::VarStore, spec: &ModelSpec, path: &Path) -> Result<(), NnError> {
    spec.validate()?;
    let vars: BTreeMap<String, Tensor> = vs.variables().into_iter().collect();
    let cpu: Vec<(String, Tensor)> = vars
        .into_iter()
        .map(|(n, t)| (n, t.detach().to_device(Device::Cpu).contiguous()))
        .collect();
    let tmp = temp_path(path);
    Tensor::write_safetensors(&cpu, &tmp).map_err(|source| NnError::Torch {
        context: format!("writing weights to {}", tmp.display()),
        source,
    })?;
    rename(&tmp, path)?;

    let side = sidecar_path(path);
    let json = serde_json::to_string_pretty(spec).map_err(|source| NnError::Json {
        path: side.clone(),
        source,
    })?;
    let tmp = temp_path(&side);
    std::fs::write(&tmp, json).map_err(|source| NnError::Io {
        action: "writing",
        path: tmp.clone(),
        source,
    })?;
    rename(&tmp, &side)
}

/// Reads `<path>.json`.
pub fn read_spec(path: &Path) -> Result<ModelSpec, NnError> {
    let side = sidecar_path(path);
    let text = std::fs::read_to_string(&side).map_err(|source| NnError::Io {
        action: "reading",
        path: side.clone(),
        source,
    })?;
    let spec: ModelSpec =
        serde_json::from_str(&text).map_err(|source| NnError::Json { path: side, source })?;
    spec.validate()?;
    Ok(spec)
}

/// Rebuilds the network from the sidecar and loads the weights (every tensor must be
/// present with the expected shape; extra tensors are an error too).
pub fn load(
    path: &Path,
    device: Device,
) -> Result<(nn::VarStore, Box<dyn EcgNet>, ModelSpec), NnError> {
    let spec = read_spec(path)?;
    let vs = nn::VarStore::new(device);
    let net = build_inner(&vs.root(), &spec, None, true)?;
    let stored: BTreeMap<String, Tensor> = Tensor::read_safetensors(path)
        .map_err(|source| NnError::Torch {
            context: format!("reading weights {}", path.display()),
            source,
        })?
        .into_iter()
        .collect();
    let mut vars = vs.variables();
    let mismatch = |reason: String| NnError::CheckpointMismatch {
        path: path.to_path_buf(),
        reason,
    };
    let mut missing: Vec<&String> = vars.keys().filter(|n| !stored.contains_key(*n)).collect();
    missing.sort();
    if !missing.is_empty() {
        return Err(mismatch(format!("missing tensors {missing:?}")));
    }
    let unexpected: Vec<&String> = stored.keys().filter(|n| !vars.contains_key(*n)).collect();
    if !unexpected.is_empty() {
        return Err(mismatch(format!("unexpected tensors {unexpected:?}")));
    }
    for (name, src) in &stored {
        let Some(dst) = vars.get_mut(name) else {
            continue;
        };
        if src.size() != dst.size() || src.kind() != dst.kind() {
            return Err(mismatch(format!(
                "tensor {name}: stored {:?} {:?}, expected {:?} {:?}",
                src.size(),
                src.kind(),
                dst.size(),
                dst.kind()
            )));
        }
        tch::no_grad(|| dst.f_copy_(src)).map_err(|source| NnError::Torch {
            context: format!("loading tensor {name} from {}", path.display()),
            source,
        })?;
    }
    Ok((vs, net, spec))
}
