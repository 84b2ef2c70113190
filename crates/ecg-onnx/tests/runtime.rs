//! The runtime's answers to a good model and to each way a model file can be wrong: a
//! corrupt file, foreign metadata, an operator tract lacks, a wrong input shape.
use ecg_onnx::graph::{write_model, Dim};
use ecg_onnx::meta::{Aggregate, Deploy, Standardizer, Windows, FORMAT};
use ecg_onnx::{Graph, OnnxError, OnnxModel};
use std::path::Path;

fn deploy() -> Deploy {
    Deploy {
        format: FORMAT.into(),
        preset: "tiny".into(),
        rate: 100,
        leads: vec!["I".into(), "II".into()],
        bandpass: None,
        pack_preprocessing: "none".into(),
        standardizer: Standardizer {
            mode: "none".into(),
            mean: vec![0.0, 0.0],
            std: vec![1.0, 1.0],
        },
        windows: Windows::Crop {
            length: 8,
            stride: 4,
            aggregate: Aggregate::Max,
        },
        input_len: Some(8),
        class_names: vec!["A".into(), "B".into()],
        calibration: None,
    }
}

/// `signals [batch, 2, 8]` → mean over time → `op` → `probabilities [batch, 2]`.
fn write(path: &Path, op: &str, props: Vec<(String, String)>) {
    let mut g = Graph::new();
    let x = g.input(
        "signals",
        &[Dim::Named("batch"), Dim::Fixed(2), Dim::Fixed(8)],
    );
    let m = g.reduce("ReduceMean", "pool", &x, &[-1], false);
    let p = g.op(op, "out", &[&m]);
    g.output(&p, "probabilities", &[Dim::Named("batch"), Dim::Fixed(2)]);
    write_model(&g.into_model("tiny", "", props), path).expect("write");
}

#[test]
fn a_small_graph_runs_and_matches_the_formula() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("m.onnx");
    write(&path, "Sigmoid", deploy().to_props());
    let mut m = OnnxModel::load(&path).expect("load");
    assert_eq!(m.deploy(), &deploy());
    let x: Vec<f32> = (0..3 * 2 * 8).map(|i| (i as f32 - 20.0) / 10.0).collect();
    let p = m.forward(&x, 3, 8).expect("forward");
    for b in 0..3 {
        for l in 0..2 {
            let row = &x[(b * 2 + l) * 8..(b * 2 + l + 1) * 8];
            let mean = row.iter().sum::<f32>() / 8.0;
            let want = 1.0 / (1.0 + (-mean).exp());
            assert!(
                (p[b * 2 + l] - want).abs() < 1e-6,
                "{} vs {want}",
                p[b * 2 + l]
            );
        }
    }
    // A second batch size re-plans and agrees on the shared rows.
    let p1 = m.forward(&x[..16], 1, 8).expect("forward");
    assert!((p1[0] - p[0]).abs() < 1e-7 && (p1[1] - p[1]).abs() < 1e-7);
}

#[test]
fn each_bad_model_gets_its_own_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    // Corrupt: bytes that are not protobuf.
    let corrupt = d.join("corrupt.onnx");
    std::fs::write(&corrupt, [0xffu8, 0xff, 0xff, 0x07, 0x01]).expect("w");
    let e = OnnxModel::load(&corrupt).expect_err("corrupt");
    assert!(matches!(e, OnnxError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("corrupt.onnx"), "{e}");
    // Missing file.
    let e = OnnxModel::load(&d.join("absent.onnx")).expect_err("absent");
    assert!(matches!(e, OnnxError::Io { .. }), "{e}");
    // Not ours: no ecg.* metadata.
    let foreign = d.join("foreign.onnx");
    write(&foreign, "Sigmoid", Vec::new());
    let e = OnnxModel::load(&foreign).expect_err("foreign");
    assert!(e.to_string().contains("ecg export onnx"), "{e}");
    // Metadata that contradicts itself names the field.
    let mut bad = deploy();
    bad.standardizer.std = vec![1.0];
    let badmeta = d.join("badmeta.onnx");
    write(&badmeta, "Sigmoid", bad.to_props());
    let e = OnnxModel::load(&badmeta).expect_err("bad metadata");
    assert!(e.to_string().contains("ecg.standardizer"), "{e}");
    // An operator tract does not implement.
    let unsupported = d.join("unsupported.onnx");
    write(&unsupported, "NoSuchOperator", deploy().to_props());
    let e = OnnxModel::load(&unsupported).expect_err("unsupported");
    assert!(
        matches!(&e, OnnxError::UnsupportedOperator { op, .. } if op == "NoSuchOperator"),
        "{e}"
    );
    // A wrong input shape: length 7 for a model of 8, or a buffer of the wrong size.
    let good = d.join("good.onnx");
    write(&good, "Sigmoid", deploy().to_props());
    let mut m = OnnxModel::load(&good).expect("load");
    let e = m.forward(&[0.0; 14], 1, 7).expect_err("length");
    assert!(
        matches!(e, OnnxError::InputShape { .. }) && e.to_string().contains("[batch, 2, 8]"),
        "{e}"
    );
    let e = m.forward(&[0.0; 15], 1, 8).expect_err("size");
    assert!(matches!(e, OnnxError::InputShape { .. }), "{e}");
    // A graph whose lead axis disagrees with the metadata.
    let mut three = deploy();
    three.leads.push("III".into());
    three.standardizer.mean.push(0.0);
    three.standardizer.std.push(1.0);
    let mismatch = d.join("mismatch.onnx");
    write(&mismatch, "Sigmoid", three.to_props());
    let e = OnnxModel::load(&mismatch).expect_err("leads");
    assert!(
        matches!(e, OnnxError::Graph { .. }) && e.to_string().contains("3 leads"),
        "{e}"
    );
}

#[test]
fn windows_start_where_training_evaluation_starts_them() {
    let w = Windows::Crop {
        length: 250,
        stride: 125,
        aggregate: Aggregate::Max,
    };
    assert_eq!(w.offsets(1000), vec![0, 125, 250, 375, 500, 625, 750]);
    assert_eq!(w.offsets(250), vec![0]);
    assert_eq!(w.offsets(260), vec![0]);
    assert_eq!(Windows::Whole { samples: 1000 }.offsets(1000), vec![0]);
}
