//! Shapes for every preset and input variant, analytic vs. actual parameter counts, hand
//! counts per block kind, the label-correlation formulas on a hand-checked example, and the
//! errors for bad lengths, leads and presets.
use ecg_nn::layers::head::{ConcatPoolHead, ConcatPoolHeadConfig, GroupFc, GroupFcConfig};
use ecg_nn::layers::se::{SqueezeExcite, SqueezeExciteConfig};
use ecg_nn::models::inception1d::{InceptionBlock1d, InceptionBlock1dConfig};
use ecg_nn::models::label_corr::backbone::{SeBlock2d, SeBlock2dConfig};
use ecg_nn::models::label_corr::decoder::{DecoderLayer, DecoderLayerConfig};
use ecg_nn::models::label_corr::embedding::{
    label_specific_features, LabelCorrEmbedding, LabelCorrEmbeddingConfig,
};
use ecg_nn::models::resnet1d_wang::{BasicBlock1d, BasicBlock1dConfig};
use ecg_nn::models::se_resnet1d::{SeBlock1d, SeBlock1dConfig};
use ecg_nn::models::xresnet1d::{XBottleneck, XBottleneckConfig};
use ecg_nn::{build, ModelSpec, NnError, PRESETS};
use tch::{nn, Device, Kind, Tensor};

const K: i64 = 5;

fn trainable(vs: &nn::VarStore) -> i64 {
    vs.trainable_variables()
        .iter()
        .map(|t| t.numel() as i64)
        .sum()
}

fn cooc(k: i64) -> Vec<f32> {
    (0..k * k)
        .map(|i| {
            if i % (k + 1) == 0 {
                1.0
            } else {
                0.1 * ((i % 7) as f32)
            }
        })
        .collect()
}

/// (leads, length) variants: 12-lead 2.5 s crops at 100 Hz, single lead I, 12-lead 10 s at
/// 100 Hz, and 10 s at 500 Hz for the cheaper networks.
fn variants(preset: &str) -> Vec<(Vec<usize>, i64)> {
    let mut v = vec![
        ((0..12).collect(), 250),
        (vec![0], 250),
        ((0..12).collect(), 1000),
    ];
    if !matches!(preset, "xresnet1d101" | "inception1d") {
        v.push(((0..12).collect(), 5000));
    }
    v
}

#[test]
fn every_preset_and_input_variant_has_the_documented_shapes_and_param_count() {
    tch::manual_seed(0);
    tch::set_num_threads(1);
    for preset in PRESETS {
        for (leads, len) in variants(preset) {
            let spec = ModelSpec::preset(preset, K, leads.clone(), len).unwrap();
            let vs = nn::VarStore::new(Device::Cpu);
            let net = build(&vs.root(), &spec, Some(&cooc(K))).unwrap();
            let rows = spec.summary().unwrap();
            let (params, flops) = spec.params_and_flops().unwrap();
            assert_eq!(
                params,
                trainable(&vs),
                "{preset} {leads:?} {len}: analytic vs VarStore params"
            );
            assert!(flops > 0);
            let xs = Tensor::randn([2, leads.len() as i64, len], (Kind::Float, Device::Cpu));
            let out = tch::no_grad(|| net.forward_t(&xs, false));
            assert_eq!(out.logits.size(), vec![2, K], "{preset}");
            assert_eq!(out.head_input.size().len(), 2, "{preset}");
            assert_eq!(out.head_input.size()[0], 2);
            // The backbone's output is the summary row just before the head / projection.
            let idx = rows
                .iter()
                .position(|r| matches!(r.name.as_str(), "head" | "projection"))
                .unwrap();
            let backbone_row = rows[..idx]
                .iter()
                .rev()
                .find(|r| !r.name.starts_with("shortcut"))
                .unwrap();
            assert_eq!(
                &out.backbone.size()[1..],
                backbone_row.out_shape.as_slice(),
                "{preset} {len}"
            );
            assert_eq!(rows.last().unwrap().out_shape, vec![K]);
            assert!(
                out.logits.isfinite().all().int64_value(&[]) == 1,
                "{preset}: non-finite logits"
            );
        }
    }
}

#[test]
fn students_have_the_papers_parameter_ratios() {
    let p = |name| {
        ModelSpec::preset(name, K, (0..12).collect(), 250)
            .unwrap()
            .params_and_flops()
            .unwrap()
            .0 as f64
    };
    let teacher = p("teacher");
    let ratio = p("student") / teacher;
    assert!((ratio - 0.62).abs() <= 0.05, "student/teacher = {ratio}");
    assert!(p("student-tiny") / teacher <= 0.1);
    assert!(p("se_resnet1d") / teacher <= 0.1);
}

#[test]
fn lengths_the_pooling_cannot_take_are_errors_at_construction() {
    // Three ÷5 poolings: 124 samples leave nothing after the third.
    match ModelSpec::preset("teacher", K, (0..12).collect(), 124) {
        Err(NnError::LengthNotSupported { min_len, layer, .. }) => {
            assert_eq!(min_len, 125);
            assert_eq!(layer, "backbone.block_a3");
        }
        other => panic!("expected LengthNotSupported, got {other:?}"),
    }
    assert!(ModelSpec::preset("teacher", K, (0..12).collect(), 125).is_ok());
    // fcn_wang's first conv (k8, padding 3) needs two samples.
    assert!(matches!(
        ModelSpec::preset("fcn_wang", K, (0..12).collect(), 1),
        Err(NnError::LengthNotSupported { min_len: 2, .. })
    ));
    assert!(matches!(
        ModelSpec::preset("nope", K, vec![0], 250),
        Err(NnError::UnknownPreset { .. })
    ));
    assert!(matches!(
        ModelSpec::preset("teacher", K, vec![], 250),
        Err(NnError::InvalidLeads { .. })
    ));
    assert!(matches!(
        ModelSpec::preset("teacher", K, vec![0, 0], 250),
        Err(NnError::InvalidLeads { .. })
    ));
    assert!(matches!(
        ModelSpec::preset("teacher", K, vec![12], 250),
        Err(NnError::InvalidLeads { .. })
    ));
    // The fixed-length family rejects another length; the benchmark nets take it.
    let t = ModelSpec::preset("teacher", K, (0..12).collect(), 250).unwrap();
    assert!(t.check_input(&[4, 12, 250]).is_ok());
    assert!(t.check_input(&[4, 12, 1000]).is_err());
    assert!(t.check_input(&[4, 1, 250]).is_err());
    let r = ModelSpec::preset("resnet1d_wang", K, (0..12).collect(), 250).unwrap();
    assert!(r.check_input(&[4, 12, 1000]).is_ok());
    // E is required by the embedding variants and checked.
    let vs = nn::VarStore::new(Device::Cpu);
    assert!(matches!(
        build(&vs.root(), &t, None),
        Err(NnError::Cooccurrence { .. })
    ));
    assert!(matches!(
        build(&vs.root(), &t, Some(&[1.0; 3])),
        Err(NnError::Cooccurrence { .. })
    ));
    let mut bad = cooc(K);
    bad[7] = f32::NAN;
    assert!(matches!(
        build(&vs.root(), &t, Some(&bad)),
        Err(NnError::Cooccurrence { .. })
    ));
}

/// Builds one layer in a fresh VarStore and returns its trainable parameter count.
fn count(f: impl FnOnce(&nn::Path)) -> i64 {
    let vs = nn::VarStore::new(Device::Cpu);
    f(&vs.root());
    trainable(&vs)
}

#[test]
fn parameter_counts_equal_hand_computed_counts_for_each_block_kind() {
    // SE over 32 channels, r = 16 → hidden 2: (32·2 + 2) + (2·32 + 32) = 66 + 96.
    let se = SqueezeExciteConfig {
        channels: 32,
        reduction: 16,
    };
    assert_eq!(count(|p| drop(SqueezeExcite::new(p, &se))), 66 + 96);

    // Block A 1 → 32: conv 1×3 (1·32·3 = 96) + conv 3×3 (32·32·9 = 9216) + conv 1×3
    // (32·32·3 = 3072) + 3 BN (3·64 = 192) + SE (162) + skip 1×1 with bias (32 + 32 = 64).
    let a = SeBlock2dConfig {
        cin: 1,
        cout: 32,
        pool: Some(5),
        se_reduction: 16,
    };
    let hand_a = 96 + 9216 + 3072 + 192 + 162 + 64;
    assert_eq!(count(|p| drop(SeBlock2d::new(p, &a))), hand_a);
    assert_eq!(a.params(), hand_a);
    // Block B at 128: 128·128·(3 + 9 + 3) = 245760, BN 3·256 = 768, SE(128, 16 → 8):
    // 128·8 + 8 + 8·128 + 128 = 2184; identity skip.
    let b = SeBlock2dConfig {
        cin: 128,
        cout: 128,
        pool: None,
        se_reduction: 16,
    };
    assert_eq!(count(|p| drop(SeBlock2d::new(p, &b))), 245760 + 768 + 2184);

    // resnet1d_wang strided block at 128: 128·128·5 + 128·128·3 + 2·256 + 128·128 + 256.
    let bb = BasicBlock1dConfig {
        channels: 128,
        kernels: [5, 3],
        stride: 2,
    };
    assert_eq!(
        count(|p| drop(BasicBlock1d::new(p, &bb))),
        81920 + 49152 + 512 + 16384 + 256
    );

    // xresnet bottleneck 64 → 256 (width 64, k5): 64·64 + 64·64·5 + 64·256 + 2·128 + 512,
    // plus the id path 64·256 + 512.
    let xb = XBottleneckConfig {
        cin: 64,
        width: 64,
        cout: 256,
        kernel: 5,
        stride: 1,
    };
    assert_eq!(
        count(|p| drop(XBottleneck::new(p, &xb))),
        4096 + 20480 + 16384 + 256 + 512 + 16384 + 512
    );

    // Inception block 12 → 128: bottleneck 12·32, convs 32·32·(39 + 19 + 9), pool branch
    // 12·32, BN 2·128.
    let ib = InceptionBlock1dConfig {
        cin: 12,
        filters: 32,
        kernels: vec![39, 19, 9],
        bottleneck: 32,
    };
    assert_eq!(
        count(|p| drop(InceptionBlock1d::new(p, &ib))),
        384 + 68608 + 384 + 256
    );

    // SE-ResNet-1D block 32 → 48 stride 2, k5: 32·48·5 + 48·48·3 + 2·96 + SE(48 → 3:
    // 48·3 + 3 + 3·48 + 48 = 339) + skip 32·48 + 96.
    let sb = SeBlock1dConfig {
        cin: 32,
        cout: 48,
        kernel: 5,
        stride: 2,
        se_reduction: 16,
    };
    assert_eq!(
        count(|p| drop(SeBlock1d::new(p, &sb))),
        7680 + 6912 + 192 + 339 + 1536 + 96
    );

    // Concat-pool head on 128 channels, K = 5: BN 512, 256·128 + 128, BN 256, 128·5 + 5.
    let h = ConcatPoolHeadConfig::benchmark(128, 5);
    assert_eq!(
        count(|p| drop(ConcatPoolHead::new(p, &h))),
        512 + 32896 + 256 + 645
    );

    // Group FC: K·D + K.
    assert_eq!(
        count(|p| drop(GroupFc::new(
            p,
            &GroupFcConfig {
                num_classes: 5,
                dim: 128
            }
        ))),
        645
    );

    // Decoder layer, d = 128, ff 256: 4·(128·128 + 128) + 2·256 + (128·256 + 256) + (256·128 + 128).
    let d = DecoderLayerConfig {
        dim: 128,
        heads: 4,
        ff_dim: 256,
        dropout: 0.1,
    };
    assert_eq!(
        count(|p| drop(DecoderLayer::new(p, &d))),
        66048 + 512 + 33024 + 32896
    );

    // φ for K = 5, inner 16, hidden 8: (5·16 + 16) + (16·16 + 16) + (16·8 + 8); E is a buffer.
    let e = LabelCorrEmbeddingConfig {
        num_classes: 5,
        embed_hidden: 16,
        hidden: 8,
        cos_eps: 1e-8,
        attn_eps: 1e-6,
    };
    assert_eq!(
        count(|p| drop(LabelCorrEmbedding::new(p, &e, Some(&cooc(5))).unwrap())),
        96 + 272 + 136
    );
}

#[test]
fn label_correlation_module_reduces_to_the_methods_formulas_on_a_hand_example() {
    // Channel features F1 = (1, 0), F2 = (0, 2), F3 = (−1, 0); label embeddings
    // M1 = (1, 0), M2 = (1, 1).
    // cos(F·, M1) = (1, 0, −1) → s1 = (1, 0, 0) → ŝ1 = (1, 0, 0)/(1 + ε) → F̂1 = (1, 0)/(1 + ε).
    // cos(F·, M2) = (1/√2, 1/√2, −1/√2) → s2 = (1/√2, 1/√2, 0) → ŝ2 ≈ (½, ½, 0) →
    // F̂2 ≈ ½(1, 0) + ½(0, 2) = (½, 1).
    let f = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 2.0, -1.0, 0.0]).view([1, 3, 2]);
    let m = Tensor::from_slice(&[1.0f32, 0.0, 1.0, 1.0]).view([2, 2]);
    let eps = 1e-6;
    let (s_hat, f_hat) = label_specific_features(&f, &m, 1e-8, eps);
    let s2 = std::f64::consts::FRAC_1_SQRT_2;
    let want_s = [
        1.0 / (1.0 + eps),
        0.0,
        0.0,
        s2 / (2.0 * s2 + eps),
        s2 / (2.0 * s2 + eps),
        0.0,
    ];
    let got_s: Vec<f64> = Vec::<f32>::try_from(s_hat.flatten(0, -1))
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect();
    for (g, w) in got_s.iter().zip(want_s) {
        assert!((g - w).abs() < 1e-6, "ŝ {got_s:?} vs {want_s:?}");
    }
    let got_f: Vec<f32> = Vec::<f32>::try_from(f_hat.flatten(0, -1)).unwrap();
    let want_f = [1.0 / (1.0 + eps) as f32, 0.0, 0.5, 1.0];
    for (g, w) in got_f.iter().zip(want_f) {
        assert!((g - w).abs() < 1e-5, "F̂ {got_f:?} vs {want_f:?}");
    }

    // The module: M = φ(E) = W3 (W2 ReLU(W1 E + b1) + b2) + b3 row by row, and its output is
    // the formula above applied to φ(E).
    tch::manual_seed(3);
    let vs = nn::VarStore::new(Device::Cpu);
    let cfg = LabelCorrEmbeddingConfig {
        num_classes: 3,
        embed_hidden: 4,
        hidden: 2,
        cos_eps: 1e-8,
        attn_eps: eps,
    };
    let e = [1.0f32, 0.5, 0.0, 0.25, 1.0, 0.75, 0.0, 0.5, 1.0];
    let module = LabelCorrEmbedding::new(&(vs.root() / "embed"), &cfg, Some(&e)).unwrap();
    let v = vs.variables();
    let et = Tensor::from_slice(&e).view([3, 3]);
    let lin = |x: &Tensor, n: &str| {
        x.matmul(&v[&format!("embed.{n}.weight")].tr()) + &v[&format!("embed.{n}.bias")]
    };
    let m_hand = lin(&lin(&lin(&et, "phi1").relu(), "phi2"), "phi3");
    let m_mod = module.label_embeddings();
    assert!(bool::from(m_hand.allclose(&m_mod, 1e-6, 1e-6, false)));
    assert!(v["embed.cooccurrence"].equal(&et));
    let out = module.forward(&f);
    let (_, want) = label_specific_features(&f, &m_hand, 1e-8, eps);
    assert!(bool::from(out.allclose(&want, 1e-6, 1e-6, false)));
}

#[test]
fn parameter_names_are_stable() {
    let spec = ModelSpec::preset("teacher", K, (0..12).collect(), 250).unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    build(&vs.root(), &spec, Some(&cooc(K))).unwrap();
    let names = vs.variables();
    for n in [
        "backbone.block_a1.conv1.conv.weight",
        "backbone.block_a1.skip.weight",
        "backbone.block_a3.se.fc1.weight",
        "backbone.block_b2.conv3.bn.running_var",
        "projection.weight",
        "embed.cooccurrence",
        "embed.phi1.weight",
        "decoder.layer1.attn.q.weight",
        "decoder.layer1.ln2.bias",
        "head.weight",
        "head.bias",
    ] {
        assert!(names.contains_key(n), "missing {n}");
    }
    let spec = ModelSpec::preset("xresnet1d101", K, (0..12).collect(), 250).unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    build(&vs.root(), &spec, None).unwrap();
    let names = vs.variables();
    for n in [
        "stem.0.conv.weight",
        "layer3.block23.convs.2.bn.weight",
        "layer1.block1.idpath.conv.weight",
        "head.lin2.bias",
    ] {
        assert!(names.contains_key(n), "missing {n}");
    }
}

#[test]
fn per_lead_network_counts_shapes_and_freezing() {
    use ecg_nn::ArchConfig;
    let enc = match ModelSpec::preset("se_resnet1d", 1, vec![0], 250)
        .unwrap()
        .arch
    {
        ArchConfig::SeResNet1d(c) => c,
        other => panic!("{other:?}"),
    };
    for frozen in [false, true] {
        let spec = ModelSpec::per_lead(enc.clone(), frozen, 5, vec![0, 1, 6], 250).unwrap();
        let vs = tch::nn::VarStore::new(tch::Device::Cpu);
        let net = ecg_nn::build(&vs.root(), &spec, None).unwrap();
        let (params, _) = spec.params_and_flops().unwrap();
        let counted: i64 = vs
            .trainable_variables()
            .iter()
            .map(|t| t.numel() as i64)
            .sum();
        assert_eq!(params, counted, "analytic vs VarStore");
        // Three single-lead encoders plus the head [3 · C, 5].
        let one = ModelSpec::preset("se_resnet1d", 1, vec![0], 250)
            .unwrap()
            .params_and_flops()
            .unwrap()
            .0;
        assert_eq!(params, 3 * one + 3 * 32 * 5 + 5);
        let xs = tch::Tensor::randn([4, 3, 250], (tch::Kind::Float, tch::Device::Cpu));
        let out = net.forward_t(&xs, true);
        assert_eq!(out.logits.size(), vec![4, 5]);
        assert_eq!(out.head_input.size(), vec![4, 96]);
        out.logits.sum(tch::Kind::Float).backward();
        let vars = vs.variables();
        let enc_grad = vars["lead1.stem.conv.weight"].grad().defined();
        assert_eq!(
            enc_grad, !frozen,
            "encoder gradients when frozen = {frozen}"
        );
        assert!(vars["head.weight"].grad().defined());
    }
}
