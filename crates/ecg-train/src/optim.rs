//! AdamW (decoupled weight decay, PyTorch semantics) over a VarStore's trainable
//! variables, with its state (step count, first and second moments) saved and restored
//! by name, so that `--resume` continues bit for bit.
//!
//! The step runs libtorch's own multi-tensor kernels through the C++ shim
//! `csrc/optim.cpp` (tch 0.24 exposes none of them): total-norm clipping as
//! `torch.nn.utils.clip_grad_norm_` (`_foreach_norm`, a scale clamped to 1 on the device),
//! then `at::_fused_adamw_`, the kernel of `torch.optim.AdamW(fused=True)` (CPU and CUDA in
//! torch 2.11). A non-finite loss or gradient norm sets the sticky `found_inf` flag on the
//! device: that step and every later one change nothing. Nothing is read back to the host.
use crate::error::TrainError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use tch::{nn::VarStore, Device, Kind, Tensor};

/// AdamW hyper-parameters (the learning rate comes from the schedule at each step).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamWConfig {
    /// Peak learning rate (the schedule scales it).
    #[serde(default = "d_lr")]
    pub lr: f64,
    #[serde(default = "d_wd")]
    pub weight_decay: f64,
    #[serde(default = "d_b1")]
    pub beta1: f64,
    #[serde(default = "d_b2")]
    pub beta2: f64,
    #[serde(default = "d_eps")]
    pub eps: f64,
    /// Clip the global gradient L2 norm to this value; `None` disables clipping.
    #[serde(default = "d_clip")]
    pub grad_clip: Option<f64>,
}
fn d_lr() -> f64 {
    1e-3
}
fn d_wd() -> f64 {
    1e-2
}
fn d_b1() -> f64 {
    0.9
}
fn d_b2() -> f64 {
    0.999
}
fn d_eps() -> f64 {
    1e-8
}
fn d_clip() -> Option<f64> {
    Some(1.0)
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            lr: d_lr(),
            weight_decay: d_wd(),
            beta1: d_b1(),
            beta2: d_b2(),
            eps: d_eps(),
            grad_clip: d_clip(),
        }
    }
}

/// One trainable parameter with its moments.
struct Slot {
    param: Tensor,
    m: Tensor,
    v: Tensor,
}

/// The saved optimizer state's format. Files without it (written before the fused step) hold
/// the same moments and count and are read as they are.
pub const OPTIM_FORMAT: &str = "ecg-adamw/2";

/// AdamW over the trainable variables of one or more VarStores (by name, sorted).
pub struct AdamW {
    cfg: AdamWConfig,
    slots: BTreeMap<String, Slot>,
    /// Steps taken (float32 scalar on the parameters' device, as torch's `state_steps`).
    counter: Tensor,
    /// 1 once a step met a non-finite loss or gradient (float32 scalar, sticky).
    found_inf: Tensor,
}

impl std::fmt::Debug for AdamW {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdamW")
            .field("cfg", &self.cfg)
            .field("params", &self.slots.len())
            .finish()
    }
}

/// The trainable (requires-grad) variables of a VarStore, by name.
pub fn trainable_named(vs: &VarStore) -> BTreeMap<String, Tensor> {
    vs.variables()
        .into_iter()
        .filter(|(_, t)| t.requires_grad())
        .collect()
}

impl AdamW {
    /// Collects the trainable variables of each `(prefix, store)`; names become
    /// `prefix.name` so several stores (a student and its adaptor) share one optimizer.
    pub fn new(cfg: AdamWConfig, stores: &[(&str, &VarStore)]) -> AdamW {
        let mut slots = BTreeMap::new();
        let mut device = Device::Cpu;
        for (prefix, vs) in stores {
            device = vs.device();
            for (name, param) in trainable_named(vs) {
                let m = param.zeros_like().detach();
                let v = param.zeros_like().detach();
                slots.insert(format!("{prefix}.{name}"), Slot { param, m, v });
            }
        }
        if let Some(s) = slots.values().next() {
            device = s.param.device();
        }
        AdamW {
            cfg,
            slots,
            counter: Tensor::zeros([], (Kind::Float, device)),
            found_inf: Tensor::zeros([], (Kind::Float, device)),
        }
    }

    /// The parameters, in the optimizer's (sorted-name) order: the same on every rank.
    pub fn params(&self) -> Vec<Tensor> {
        self.slots
            .values()
            .map(|s| s.param.shallow_clone())
            .collect()
    }

    /// Number of optimizer steps taken so far (reads the device counter: a host sync).
    pub fn steps(&self) -> i64 {
        self.counter.double_value(&[]) as i64
    }

    /// The sticky non-finite flag (float32 scalar on the device, 0 or 1).
    pub fn found_inf(&self) -> &Tensor {
        &self.found_inf
    }

    /// Drops every parameter's gradient (torch's `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&mut self) -> Result<(), TrainError> {
        let params = self.params();
        crate::shim::zero_grad(&params)
    }

    /// One AdamW step at learning rate `lr` over the parameters that have a gradient:
    /// clipping first when configured, skipped (and every later step too) when `bad`
    /// (a bool scalar, e.g. a non-finite loss) is true or the gradient norm is not finite.
    /// Returns the total gradient norm before clipping, on the device.
    pub fn step(&mut self, lr: f64, bad: Option<&Tensor>) -> Result<Tensor, TrainError> {
        let mut group = crate::shim::ParamGroup::default();
        for s in self.slots.values() {
            let g = s.param.grad();
            if g.defined() {
                group.push(&s.param, g, &s.m, &s.v);
            }
        }
        let c = &self.cfg;
        let hyper = crate::shim::AdamWHyper {
            lr,
            beta1: c.beta1,
            beta2: c.beta2,
            weight_decay: c.weight_decay,
            eps: c.eps,
            max_norm: c.grad_clip.unwrap_or(0.0),
        };
        crate::shim::adamw_step(&group, &self.counter, &self.found_inf, bad, &hyper)
    }

    /// Writes the moments (safetensors, `m.<name>` / `v.<name>`) and the step count to
    /// `path` (safetensors) + `path.json`.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let mut named: Vec<(String, Tensor)> = Vec::with_capacity(self.slots.len() * 2);
        for (name, s) in &self.slots {
            named.push((format!("m.{name}"), s.m.shallow_clone()));
            named.push((format!("v.{name}"), s.v.shallow_clone()));
        }
        let tmp = crate::files::tmp_path(path);
        Tensor::write_safetensors(&named, &tmp)
            .map_err(|e| TrainError::torch(path, "writing optimizer state", e))?;
        crate::files::rename(&tmp, path)?;
        let meta = OptimState {
            format: Some(OPTIM_FORMAT.to_string()),
            step: self.steps(),
            params: self.slots.keys().cloned().collect(),
        };
        crate::files::write_json(&crate::files::with_suffix(path, ".json"), &meta)
    }

    /// Restores the state written by [`AdamW::save`]; every parameter must be present
    /// with the same shape. A state of an unknown format is refused.
    pub fn load(&mut self, path: &Path) -> Result<(), TrainError> {
        let json = crate::files::with_suffix(path, ".json");
        let meta: OptimState = crate::files::read_json(&json)?;
        match meta.format.as_deref() {
            Some(OPTIM_FORMAT) => {}
            None => tracing::info!(
                "{}: optimizer state written before {OPTIM_FORMAT}; its moments and step \
                 count mean the same and are read as they are",
                json.display()
            ),
            Some(other) => {
                return Err(TrainError::Checkpoint {
                    path: json,
                    msg: format!(
                        "field `format`: optimizer state format `{other}`, this build reads \
                         `{OPTIM_FORMAT}` (and the unversioned format before it)"
                    ),
                })
            }
        }
        if meta.step < 0 || meta.step > (1 << 24) {
            return Err(TrainError::Checkpoint {
                path: json,
                msg: format!("field `step`: {} is not a step count", meta.step),
            });
        }
        let tensors = Tensor::read_safetensors(path)
            .map_err(|e| TrainError::torch(path, "reading optimizer state", e))?;
        let mut map: BTreeMap<String, Tensor> = tensors.into_iter().collect();
        for (name, s) in self.slots.iter_mut() {
            for (key, dst) in [
                (format!("m.{name}"), &mut s.m),
                (format!("v.{name}"), &mut s.v),
            ] {
                let src = map.remove(&key).ok_or_else(|| TrainError::Checkpoint {
                    path: path.to_path_buf(),
                    msg: format!("optimizer state has no tensor `{key}`"),
                })?;
                if src.size() != dst.size() {
                    return Err(TrainError::Checkpoint {
                        path: path.to_path_buf(),
                        msg: format!(
                            "optimizer tensor `{key}` has shape {:?}, the model needs {:?}",
                            src.size(),
                            dst.size()
                        ),
                    });
                }
                tch::no_grad(|| dst.copy_(&src));
            }
        }
        tch::no_grad(|| {
            let _ = self.counter.fill_(meta.step as f64);
            let _ = self.found_inf.zero_();
        });
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct OptimState {
    /// [`OPTIM_FORMAT`]; absent in states written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    step: i64,
    params: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device};

    /// One step by hand: g = 2x at x = 1 (loss x²), lr 0.1, wd 0.5, no clipping.
    /// After decay x = 0.95; m̂ = g, v̂ = g², update = lr·g/(|g|+eps) ≈ 0.1 → 0.85.
    #[test]
    fn one_step_by_hand() {
        let vs = nn::VarStore::new(Device::Cpu);
        let x = vs.root().var_copy("x", &Tensor::from_slice(&[1.0f32]));
        let cfg = AdamWConfig {
            lr: 0.1,
            weight_decay: 0.5,
            grad_clip: None,
            ..Default::default()
        };
        let mut opt = AdamW::new(cfg, &[("m", &vs)]);
        opt.zero_grad().expect("zero");
        (&x * &x).sum(Kind::Float).backward();
        let _ = opt.step(0.1, None).expect("step");
        let got = x.double_value(&[0]);
        let want = 0.95 - 0.1 * 2.0 / (2.0 + 1e-8);
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    #[test]
    fn clipping_scales_gradient() {
        let vs = nn::VarStore::new(Device::Cpu);
        let x = vs.root().var_copy("x", &Tensor::from_slice(&[3.0f32, 4.0]));
        let cfg = AdamWConfig {
            grad_clip: Some(1.0),
            ..Default::default()
        };
        let mut opt = AdamW::new(cfg, &[("m", &vs)]);
        opt.zero_grad().expect("zero");
        x.sum(Kind::Float).backward(); // g = [1, 1], norm √2
        let norm = opt.step(1e-3, None).expect("step").double_value(&[]);
        assert!((norm - 2f64.sqrt()).abs() < 1e-6);
        let g: Vec<f32> = Vec::try_from(&x.grad()).expect("g");
        let s = (1.0 / (2f64.sqrt() + 1e-6)) as f32;
        assert_eq!(g, vec![s, s], "the gradient is scaled to norm 1 in place");
    }

    /// A non-finite loss skips the step and every later one: weights, moments and the
    /// counter keep their values from before it.
    #[test]
    fn a_bad_step_changes_nothing_and_stays_bad() {
        let vs = nn::VarStore::new(Device::Cpu);
        let x = vs
            .root()
            .var_copy("x", &Tensor::from_slice(&[1.0f32, -2.0]));
        let mut opt = AdamW::new(AdamWConfig::default(), &[("m", &vs)]);
        let run = |opt: &mut AdamW, bad: bool| {
            opt.zero_grad().expect("zero");
            (&x * &x).sum(Kind::Float).backward();
            let flag = Tensor::from(bad);
            let _ = opt.step(1e-2, Some(&flag)).expect("step");
        };
        run(&mut opt, false);
        let after_one: Vec<f32> = Vec::try_from(&x).expect("x");
        run(&mut opt, true);
        run(&mut opt, false);
        assert_eq!(Vec::<f32>::try_from(&x).expect("x"), after_one);
        assert_eq!(opt.steps(), 1);
        assert_eq!(opt.found_inf().double_value(&[]), 1.0);
        // A NaN gradient without a flag is caught by the norm.
        let mut opt = AdamW::new(AdamWConfig::default(), &[("m", &vs)]);
        opt.zero_grad().expect("zero");
        (&x * f64::NAN).sum(Kind::Float).backward();
        let _ = opt.step(1e-2, None).expect("step");
        assert_eq!(Vec::<f32>::try_from(&x).expect("x"), after_one);
        assert_eq!(opt.steps(), 0);
    }
}
