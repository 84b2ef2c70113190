//! Learning-rate schedules, as a pure function of the global step.
use serde::{Deserialize, Serialize};

/// The schedule chosen in a config. All are step-based; `total_steps` is epochs × batches.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Schedule {
    /// The peak rate throughout.
    Constant,
    /// PyTorch's OneCycleLR with cosine annealing: from lr/div_factor up to lr over the
    /// first `pct_start` of the steps, then down to lr/(div_factor·final_div_factor).
    #[serde(rename = "onecycle")]
    OneCycle {
        #[serde(default = "d_pct")]
        pct_start: f64,
        #[serde(default = "d_div")]
        div_factor: f64,
        #[serde(default = "d_final_div")]
        final_div_factor: f64,
    },
    /// Linear warm-up from 0 over `warmup_fraction` of the steps, then cosine decay to
    /// `min_lr_ratio`·lr.
    Cosine {
        #[serde(default = "d_warm")]
        warmup_fraction: f64,
        #[serde(default)]
        min_lr_ratio: f64,
    },
}
fn d_pct() -> f64 {
    0.3
}
fn d_div() -> f64 {
    25.0
}
fn d_final_div() -> f64 {
    1e4
}
fn d_warm() -> f64 {
    0.05
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::OneCycle {
            pct_start: d_pct(),
            div_factor: d_div(),
            final_div_factor: d_final_div(),
        }
    }
}

fn cos_anneal(start: f64, end: f64, frac: f64) -> f64 {
    end + (start - end) / 2.0 * (1.0 + (std::f64::consts::PI * frac.clamp(0.0, 1.0)).cos())
}

impl Schedule {
    /// Learning rate for 0-based `step` of `total_steps`, given the peak `lr`.
    pub fn lr(&self, lr: f64, step: usize, total_steps: usize) -> f64 {
        let total = total_steps.max(1) as f64;
        let s = step as f64;
        match *self {
            Schedule::Constant => lr,
            Schedule::OneCycle {
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                // As torch.optim.lr_scheduler.OneCycleLR (three_phase = False).
                let initial = lr / div_factor;
                let min = initial / final_div_factor;
                let up_end = (pct_start * total - 1.0).max(0.0);
                let down_end = total - 1.0;
                if s <= up_end && up_end > 0.0 {
                    cos_anneal(initial, lr, s / up_end)
                } else {
                    let span = (down_end - up_end).max(1.0);
                    cos_anneal(lr, min, (s - up_end) / span)
                }
            }
            Schedule::Cosine {
                warmup_fraction,
                min_lr_ratio,
            } => {
                let warm = (warmup_fraction * total).round();
                if s < warm {
                    lr * (s + 1.0) / warm
                } else {
                    let span = (total - warm).max(1.0);
                    cos_anneal(lr, lr * min_lr_ratio, (s - warm) / span)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onecycle_endpoints() {
        let s = Schedule::default();
        let total = 100;
        assert!((s.lr(1.0, 0, total) - 1.0 / 25.0).abs() < 1e-12);
        // Peak at step pct_start·total − 1 = 29.
        assert!((s.lr(1.0, 29, total) - 1.0).abs() < 1e-12);
        assert!((s.lr(1.0, 99, total) - 1.0 / 25.0 / 1e4).abs() < 1e-12);
    }

    #[test]
    fn cosine_warmup_then_decay() {
        let s = Schedule::Cosine {
            warmup_fraction: 0.1,
            min_lr_ratio: 0.0,
        };
        assert!((s.lr(2.0, 0, 100) - 0.2).abs() < 1e-12);
        assert!((s.lr(2.0, 9, 100) - 2.0).abs() < 1e-12);
        assert!((s.lr(2.0, 10, 100) - 2.0).abs() < 1e-12);
        assert!(s.lr(2.0, 99, 100) < 0.01);
    }
}
