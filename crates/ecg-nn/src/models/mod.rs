//! One module per network family. Each has a serialisable config struct (part of
//! [`crate::ArchConfig`]) with `validate` and an analytic `trace`, and a network struct with
//! `new(p, spec, cfg)` implementing [`crate::EcgNet`].
pub mod fcn_wang;
pub mod inception1d;
pub mod label_corr;
pub mod per_lead;
pub mod resnet1d_wang;
pub mod se_resnet1d;
pub mod xresnet1d;

use crate::error::NnError;

pub(crate) fn positive(preset: &str, field: &str, v: i64) -> Result<(), NnError> {
    if v < 1 {
        return Err(NnError::config(
            preset,
            field,
            format!("must be at least 1, got {v}"),
        ));
    }
    Ok(())
}

pub(crate) fn probability(preset: &str, field: &str, v: f64) -> Result<(), NnError> {
    if !(0.0..1.0).contains(&v) {
        return Err(NnError::config(
            preset,
            field,
            format!("must be in [0, 1), got {v}"),
        ));
    }
    Ok(())
}

/// Panics with a clear message when the lead axis does not match the spec.
pub(crate) fn assert_leads(spec: &crate::ModelSpec, xs: &tch::Tensor) {
    let size = xs.size();
    assert!(
        size.len() == 3 && size[1] == spec.n_leads(),
        "{}: input shape {size:?}, expected [batch, {}, samples]",
        spec.preset,
        spec.n_leads()
    );
}

/// `p / "a" / "b"` for a dotted name `"a.b"` (tch forbids dots inside one component).
pub(crate) fn sub<'a>(p: &tch::nn::Path<'a>, dotted: &str) -> tch::nn::Path<'a> {
    let mut parts = dotted.split('.');
    let first = parts.next().unwrap_or_default();
    parts.fold(p / first, |acc, part| acc / part)
}
