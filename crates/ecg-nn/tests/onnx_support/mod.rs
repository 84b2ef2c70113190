//! Shared by the ONNX test (`tests/onnx.rs`), bench (`benches/onnx.rs`) and golden example
//! (`examples/onnx_golden.rs`) of ecg-nn: exporting a checkpoint that no training run wrote,
//! so it has no preprocessing sidecar. Included with `#[path]` (no library change).
#![allow(dead_code)]
use ecg_nn::ModelSpec;
use ecg_onnx::meta::{Aggregate, Deploy, Standardizer, Windows, FORMAT};
use std::path::Path;

/// Deployment metadata for such a network: 100 Hz, the spec's leads by name, no band-pass,
/// no standardisation (mean 0, std 1), windows of the spec's `input_len` with half-window
/// stride and max aggregation, classes named `c0`, `c1`, ... (A trained checkpoint's
/// metadata comes from its preprocessing sidecar: `ecg export onnx`.)
pub fn bare_deploy(spec: &ModelSpec) -> Deploy {
    let n = spec.leads.len();
    Deploy {
        format: FORMAT.into(),
        preset: spec.preset.clone(),
        rate: 100,
        leads: spec
            .leads
            .iter()
            .map(|&l| ecg_nn::LEAD_NAMES[l].to_string())
            .collect(),
        bandpass: None,
        pack_preprocessing: "none".into(),
        standardizer: Standardizer {
            mode: "none".into(),
            mean: vec![0.0; n],
            std: vec![1.0; n],
        },
        windows: Windows::Crop {
            length: spec.input_len as usize,
            stride: spec.input_len as usize / 2,
            aggregate: Aggregate::Max,
        },
        input_len: spec.fixed_length().then_some(spec.input_len as usize),
        class_names: (0..spec.num_classes).map(|k| format!("c{k}")).collect(),
        calibration: None,
    }
}

/// Exports the checkpoint `ck` (safetensors + spec sidecar) with [`bare_deploy`] metadata
/// to `onnx`; returns its spec.
pub fn write_bare(ck: &Path, onnx: &Path) -> ModelSpec {
    let spec = ecg_nn::checkpoint::read_spec(ck).expect("spec sidecar");
    let w = ecg_onnx::Weights::read(ck).expect("weights");
    let model = ecg_nn::export::to_onnx(&spec, w, &bare_deploy(&spec)).expect("export");
    ecg_onnx::graph::write_model(&model, onnx).expect("write");
    spec
}
