//! Losses of METHODS §5: BCE with logits, the asymmetric loss (ASL), and knowledge
//! distillation (binary KL with temperature plus feature MSE through an adaptor).
//!
//! Every function takes logits `[batch, K]` and targets `[batch, K]` (0/1, same dtype) and
//! returns a scalar tensor; all are means over batch and labels.
use serde::{Deserialize, Serialize};
use tch::{Reduction, Tensor};

/// Clamp for the logarithms of ASL (METHODS §5).
pub const ASL_LOG_EPS: f64 = 1e-8;

/// Binary cross-entropy with logits, mean over batch and labels.
pub fn bce(logits: &Tensor, targets: &Tensor) -> Tensor {
    // [batch, K] -> []
    logits.binary_cross_entropy_with_logits::<Tensor>(targets, None, None, Reduction::Mean)
}

/// Parameters of the asymmetric loss (Ridnik et al. 2021).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AslParams {
    /// Focusing exponent for positives (γ+).
    #[serde(default = "default_gamma_pos")]
    pub gamma_pos: f64,
    /// Focusing exponent for negatives (γ−).
    #[serde(default = "default_gamma_neg")]
    pub gamma_neg: f64,
    /// Probability margin m shifting the negatives (p_m = max(p − m, 0)).
    #[serde(default = "default_margin")]
    pub margin: f64,
}

fn default_gamma_pos() -> f64 {
    0.0
}
fn default_gamma_neg() -> f64 {
    4.0
}
fn default_margin() -> f64 {
    0.05
}

impl Default for AslParams {
    fn default() -> Self {
        AslParams {
            gamma_pos: 0.0,
            gamma_neg: 4.0,
            margin: 0.05,
        }
    }
}

/// Asymmetric loss: −mean[ y·(1−p)^γ+·log p + (1−y)·p_m^γ−·log(1 − p_m) ] with
/// p = σ(z), p_m = max(p − m, 0), logs clamped at 1e-8.
pub fn asl(logits: &Tensor, targets: &Tensor, params: &AslParams) -> Tensor {
    let p = logits.sigmoid(); // [batch, K]
    let p_m = (&p - params.margin).clamp_min(0.0);
    let log_p = p.clamp_min(ASL_LOG_EPS).log();
    let log_not_pm = (-&p_m + 1.0).clamp_min(ASL_LOG_EPS).log();
    let w_pos = (-&p + 1.0).pow_tensor_scalar(params.gamma_pos);
    let w_neg = p_m.pow_tensor_scalar(params.gamma_neg);
    let pos = targets * w_pos * log_p;
    let neg = (-targets + 1.0) * w_neg * log_not_pm;
    -(pos + neg).mean(None::<tch::Kind>)
}

/// Mean over batch and labels of KL(Bern(σ(t/T)) ‖ Bern(σ(s/T))), computed from logits
/// with log-sigmoids (finite for every finite logit).
pub fn binary_kl(teacher_logits: &Tensor, student_logits: &Tensor, temperature: f64) -> Tensor {
    let t = teacher_logits / temperature; // [batch, K]
    let s = student_logits / temperature;
    let pt = t.sigmoid();
    let log_pt = t.log_sigmoid();
    let log_not_pt = (-&t).log_sigmoid();
    let log_ps = s.log_sigmoid();
    let log_not_ps = (-&s).log_sigmoid();
    let kl = &pt * (log_pt - log_ps) + (-&pt + 1.0) * (log_not_pt - log_not_ps);
    kl.mean(None::<tch::Kind>)
}

/// Mean squared error between two feature tensors of equal shape.
pub fn feature_mse(mapped_student: &Tensor, teacher: &Tensor) -> Tensor {
    mapped_student.mse_loss(teacher, Reduction::Mean)
}

/// Clamp of the norm in [`l2_normalize`] (`torch.nn.functional.normalize`'s default).
pub const L2_NORM_EPS: f64 = 1e-12;

/// Variance offset of [`FeatureNorm::Standardize`] (`torch.nn.functional.layer_norm`'s
/// default).
pub const STANDARDIZE_EPS: f64 = 1e-5;

/// How the feature term compares the adaptor's output with the teacher's features
/// (`[distill] feature_norm`). Both normalised forms are bounded in [0, 4] whatever the
/// scale of the features, so β weighs a term of known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureNorm {
    /// MSE on the raw features, mean over batch and feature dimensions (unbounded: its
    /// size is the teacher features' size).
    #[default]
    None,
    /// Each sample's vector divided by its L2 norm; the squared distance summed over the
    /// features, mean over the batch: mean(2 − 2·cos(a_b, t_b)) in [0, 4].
    L2,
    /// Each sample's vector standardised over its features (zero mean, unit population
    /// variance, ε = 1e-5 under the root as layer norm without affine); MSE mean over batch
    /// and features: mean(2 − 2·r_b) in [0, 4], r_b the Pearson correlation of sample b.
    Standardize,
}

/// `x / max(‖x‖₂, 1e-12)` per row of `[batch, D]` (= `F.normalize(x, dim=1)`).
pub fn l2_normalize(x: &Tensor) -> Tensor {
    let n = x
        .pow_tensor_scalar(2)
        .sum_dim_intlist(1, true, x.kind())
        .sqrt()
        .clamp_min(L2_NORM_EPS); // [batch, 1]
    x / n
}

/// Each row of `[batch, D]` standardised over its D features (= `F.layer_norm(x, [D])`).
fn standardize_rows(x: &Tensor) -> Tensor {
    let d = x.size()[1];
    x.layer_norm([d], None::<Tensor>, None::<Tensor>, STANDARDIZE_EPS, false)
}

/// The feature term between the adaptor's output and the teacher's features, both
/// `[batch, D]`, as `norm` says.
pub fn feature_loss(mapped_student: &Tensor, teacher: &Tensor, norm: FeatureNorm) -> Tensor {
    match norm {
        FeatureNorm::None => feature_mse(mapped_student, teacher),
        FeatureNorm::L2 => {
            let diff = l2_normalize(mapped_student) - l2_normalize(teacher); // [batch, D]
            diff.pow_tensor_scalar(2)
                .sum_dim_intlist(1, false, diff.kind())
                .mean(None::<tch::Kind>)
        }
        FeatureNorm::Standardize => feature_mse(
            &standardize_rows(mapped_student),
            &standardize_rows(teacher),
        ),
    }
}

/// The task loss chosen in a config.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum TaskLoss {
    /// Binary cross-entropy with logits.
    #[default]
    Bce,
    /// Asymmetric loss.
    Asl {
        #[serde(default = "default_gamma_pos")]
        gamma_pos: f64,
        #[serde(default = "default_gamma_neg")]
        gamma_neg: f64,
        #[serde(default = "default_margin")]
        margin: f64,
    },
}

impl TaskLoss {
    /// The loss value (scalar) for logits and targets `[batch, K]`.
    pub fn compute(&self, logits: &Tensor, targets: &Tensor) -> Tensor {
        match *self {
            TaskLoss::Bce => bce(logits, targets),
            TaskLoss::Asl {
                gamma_pos,
                gamma_neg,
                margin,
            } => asl(
                logits,
                targets,
                &AslParams {
                    gamma_pos,
                    gamma_neg,
                    margin,
                },
            ),
        }
    }
}

/// Weights of the distillation loss L = (1−α)·task + α·T²·KD + β·H (H: [`feature_loss`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdWeights {
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    #[serde(default = "default_beta")]
    pub beta: f64,
    /// How the feature term normalises the features.
    #[serde(default)]
    pub feature_norm: FeatureNorm,
}

fn default_alpha() -> f64 {
    0.5
}
fn default_temperature() -> f64 {
    2.0
}
fn default_beta() -> f64 {
    1.0
}

impl Default for KdWeights {
    fn default() -> Self {
        KdWeights {
            alpha: 0.5,
            temperature: 2.0,
            beta: 1.0,
            feature_norm: FeatureNorm::None,
        }
    }
}

/// The three terms of a distillation step, kept apart for logging.
#[derive(Debug)]
pub struct KdTerms {
    pub total: Tensor,
    pub task: Tensor,
    pub kd: Tensor,
    pub feature: Tensor,
}

/// Combines the terms: (1−α)·task + α·T²·KD(t, s) + β·H(mapped_student, teacher_features),
/// H the [`feature_loss`] of `w.feature_norm`.
/// `features` is `None` when β = 0 (no adaptor), which contributes exactly 0.
pub fn kd_loss(
    task: Tensor,
    teacher_logits: &Tensor,
    student_logits: &Tensor,
    features: Option<(&Tensor, &Tensor)>,
    w: &KdWeights,
) -> KdTerms {
    let kd = binary_kl(teacher_logits, student_logits, w.temperature);
    let feature = match features {
        Some((mapped, teacher)) => feature_loss(mapped, teacher, w.feature_norm),
        None => Tensor::zeros([], (task.kind(), task.device())),
    };
    let t2 = w.temperature * w.temperature;
    let total = (1.0 - w.alpha) * &task + (w.alpha * t2) * &kd + w.beta * &feature;
    KdTerms {
        total,
        task,
        kd,
        feature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    fn t(v: &[f64], shape: &[i64]) -> Tensor {
        Tensor::from_slice(v).reshape(shape)
    }

    fn val(x: &Tensor) -> f64 {
        x.double_value(&[])
    }

    #[test]
    fn bce_by_hand() {
        // z = 0, y = 1: ln 2. z = ln 3 (p = 3/4), y = 0: −ln(1/4) = ln 4.
        let z = t(&[0.0, 3f64.ln()], &[1, 2]);
        let y = t(&[1.0, 0.0], &[1, 2]);
        let want = (2f64.ln() + 4f64.ln()) / 2.0;
        assert!((val(&bce(&z, &y)) - want).abs() < 1e-12);
    }

    #[test]
    fn asl_by_hand() {
        // p = 3/4 (z = ln 3). Positive, γ+ = 1: −(1/4)·ln(3/4).
        // Negative, m = 0.25, γ− = 2: p_m = 1/2, −(1/2)²·ln(1/2).
        let z = t(&[3f64.ln(), 3f64.ln()], &[1, 2]);
        let y = t(&[1.0, 0.0], &[1, 2]);
        let params = AslParams {
            gamma_pos: 1.0,
            gamma_neg: 2.0,
            margin: 0.25,
        };
        let want = (-(0.25) * 0.75f64.ln() - 0.25 * 0.5f64.ln()) / 2.0;
        assert!((val(&asl(&z, &y, &params)) - want).abs() < 1e-12);
        // With γ = 0 and m = 0 ASL is BCE.
        let plain = AslParams {
            gamma_pos: 0.0,
            gamma_neg: 0.0,
            margin: 0.0,
        };
        assert!((val(&asl(&z, &y, &plain)) - val(&bce(&z, &y))).abs() < 1e-12);
    }

    #[test]
    fn binary_kl_by_hand() {
        // T = 1, teacher p = 1/2 (z = 0), student p = 3/4:
        // KL = ½ln(½/¾) + ½ln(½/¼) = ½ln(2/3) + ½ln 2.
        let te = t(&[0.0], &[1, 1]);
        let st = t(&[3f64.ln()], &[1, 1]);
        let want = 0.5 * (2.0f64 / 3.0).ln() + 0.5 * 2f64.ln();
        assert!((val(&binary_kl(&te, &st, 1.0)) - want).abs() < 1e-12);
        // Identical logits: zero at any temperature.
        assert!(val(&binary_kl(&st, &st, 3.0)).abs() < 1e-15);
    }

    #[test]
    fn kd_alpha_zero_is_task_loss() {
        let z = t(&[0.3, -1.2, 2.0, 0.1], &[2, 2]);
        let te = t(&[1.3, -0.2, -2.0, 0.5], &[2, 2]);
        let y = t(&[1.0, 0.0, 0.0, 1.0], &[2, 2]);
        let task = bce(&z, &y);
        let w = KdWeights {
            alpha: 0.0,
            temperature: 2.0,
            beta: 0.0,
            feature_norm: FeatureNorm::None,
        };
        let terms = kd_loss(task.shallow_clone(), &te, &z, None, &w);
        assert_eq!(val(&terms.total), val(&task));
        assert_eq!(terms.total.kind(), Kind::Double);
    }

    #[test]
    fn normalised_feature_terms_by_hand() {
        // Same direction at another scale: 0. Orthogonal: 2. Opposite: 4.
        let a = t(&[1.0, 2.0, 2.0, 0.0, 3.0, 0.0], &[2, 3]);
        let same = &a * 7.5;
        let l2 = |x: &Tensor, y: &Tensor| val(&feature_loss(x, y, FeatureNorm::L2));
        assert!(l2(&a, &same).abs() < 1e-12);
        let orth = t(&[2.0, -1.0, 0.0, 0.0, 0.0, 5.0], &[2, 3]);
        assert!((l2(&a, &orth) - 2.0).abs() < 1e-12);
        assert!((l2(&a, &(-&a * 0.1)) - 4.0).abs() < 1e-12);
        // Standardised: invariant to a positive scale and a shift of each sample
        // (up to ε); a reversed pattern gives 2 − 2·(−1) = 4.
        let st = |x: &Tensor, y: &Tensor| val(&feature_loss(x, y, FeatureNorm::Standardize));
        let b = t(&[1.0, 2.0, 4.0, -1.0, 0.0, 3.0], &[2, 3]);
        assert!(st(&b, &(&b * 3.0 + 10.0)) < 1e-4);
        assert!((st(&b, &(-&b * 2.0)) - 4.0).abs() < 1e-4);
        // None is the plain MSE.
        let raw = val(&feature_loss(&a, &orth, FeatureNorm::None));
        assert_eq!(raw, val(&feature_mse(&a, &orth)));
    }

    #[test]
    fn t_squared_keeps_the_kd_gradient_independent_of_a_high_temperature() {
        // d(T²·KD)/ds = T·(σ(s/T) − σ(t/T)) / (B·K) → (s − t) / (4·B·K) as T grows: the T²
        // factor (Hinton et al. 2015) makes the soft term's gradient scale-free in T for
        // sigmoid outputs as for softmax.
        let te = t(&[1.5, -0.5, 0.25, 2.0], &[2, 2]);
        let st = t(&[0.5, 0.5, -0.75, 1.0], &[2, 2]);
        let grad = |temp: f64| {
            let s = st.copy().set_requires_grad(true);
            (binary_kl(&te, &s, temp) * (temp * temp)).backward();
            let g = s.grad();
            let want = (&s / temp).sigmoid() - (&te / temp).sigmoid();
            let want = want * temp / 4.0;
            assert!(
                (&g - want).abs().max().double_value(&[]) < 1e-12,
                "T = {temp}"
            );
            g
        };
        let limit = (&st - &te) / 16.0;
        for temp in [20.0, 100.0] {
            let err = (grad(temp) - &limit).abs().max().double_value(&[]);
            assert!(err < 1e-3 * 20.0 / temp, "T = {temp}: {err}");
        }
        // At T = 1 the gradient is the difference of probabilities.
        let g1 = grad(1.0);
        let p = st.sigmoid() - te.sigmoid();
        assert!((g1 - p / 4.0).abs().max().double_value(&[]) < 1e-12);
    }
}
