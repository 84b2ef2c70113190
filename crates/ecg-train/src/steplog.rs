//! What a training step reports, kept on the device: the loss and its parts, whether it was
//! finite, and the control flags every rank must agree on. A step writes one small vector
//! (its [`slots`]) that travels with the gradients in the step's one collective
//! ([`crate::collective::reduce_step`]); [`StepLog`] accumulates the reduced vectors on the
//! device and is read back to the host only at [`StepLog::read`] (every `train.log_every`
//! steps, at the end of an epoch, before a checkpoint). A step that does not log reads nothing.
use crate::error::TrainError;
use tch::{Device, Kind, Tensor};

/// The slots of a step's vector (float32 on the device; summed over the ranks).
pub mod slots {
    use std::ops::Range;
    /// The loss and up to four parts of it (distillation: task, KD, feature, CLT), each the
    /// rank's mean; divided by the world size when read.
    pub const PARTS: Range<usize> = 0..5;
    /// 1 when this rank's loss is not finite.
    pub const NON_FINITE: usize = 5;
    /// Control flags (a stop requested by a signal, a checkpoint due, …): each rank writes 0
    /// or 1; combined as the maximum over ranks and over the steps since the last read, so
    /// every rank sees the same flags at the same step.
    pub const CONTROL: Range<usize> = 6..10;
    /// Length of the vector.
    pub const LEN: usize = 10;
}

/// Number of control flags (see [`slots::CONTROL`]).
pub const N_CONTROL: usize = slots::CONTROL.end - slots::CONTROL.start;

/// Where a step ran, to name it in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInfo {
    pub step: usize,
    pub epoch: usize,
    pub batch: usize,
}

/// The host view of the steps since the previous read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    /// Sums over the steps of the mean (over ranks) loss and parts.
    pub parts: [f64; 5],
    pub steps: usize,
    /// Whether any rank raised each control flag in any of these steps.
    pub control: [bool; N_CONTROL],
}

/// Device-side accumulators of the steps since the last read.
pub struct StepLog {
    world: usize,
    /// Sums of [`slots::PARTS`] (float64 [5]).
    sums: Tensor,
    /// Maximum of [`slots::NON_FINITE`] and [`slots::CONTROL`] (float32 [1 + N_CONTROL]).
    flags: Tensor,
    /// The first step whose loss was not finite (int64 scalar, −1: none) and its loss.
    first_bad: Tensor,
    bad_value: Tensor,
    /// Host facts of the steps since the last read.
    pending: Vec<StepInfo>,
    /// Control flags this rank raises in its next step.
    raise: [bool; N_CONTROL],
}

impl StepLog {
    pub fn new(device: Device, world: usize) -> StepLog {
        StepLog {
            world,
            sums: Tensor::zeros([5], (Kind::Double, device)),
            flags: Tensor::zeros([1 + N_CONTROL as i64], (Kind::Float, device)),
            first_bad: Tensor::full([], -1, (Kind::Int64, device)),
            bad_value: Tensor::zeros([], (Kind::Double, device)),
            pending: Vec::new(),
            raise: [false; N_CONTROL],
        }
    }

    /// Raises control flag `i` in this rank's next step.
    pub fn raise(&mut self, i: usize) {
        self.raise[i] = true;
    }

    /// This rank's vector for one step: the loss, its parts (missing ones are 0), its
    /// non-finite flag and the raised control flags (float32 [LEN] on the loss's device).
    pub fn values(&mut self, loss: &Tensor, parts: &[Tensor]) -> Tensor {
        let f = |t: &Tensor| t.detach().to_kind(Kind::Float).reshape([1]);
        let mut v: Vec<Tensor> = Vec::with_capacity(4);
        v.push(f(loss));
        v.extend(parts.iter().take(4).map(f));
        let missing = 4 - parts.len().min(4);
        let device = loss.device();
        if missing > 0 {
            v.push(Tensor::zeros([missing as i64], (Kind::Float, device)));
        }
        v.push(f(&loss.isfinite().logical_not()));
        if self.raise.iter().any(|&r| r) {
            let c: Vec<f32> = self.raise.iter().map(|&r| f32::from(u8::from(r))).collect();
            v.push(Tensor::from_slice(&c).to_device(device));
            self.raise = [false; N_CONTROL];
        } else {
            v.push(Tensor::zeros([N_CONTROL as i64], (Kind::Float, device)));
        }
        Tensor::cat(&v, 0)
    }

    /// Adds a step's reduced vector (summed over ranks) to the accumulators; returns the
    /// step's "some rank's loss is not finite" flag (bool scalar on the device) for the
    /// optimizer, which then skips the step.
    pub fn record(&mut self, reduced: &Tensor, info: StepInfo) -> Tensor {
        tch::no_grad(|| {
            let parts = reduced.narrow(0, 0, 5);
            let _ = self.sums.g_add_(&parts.to_kind(Kind::Double));
            let flags = reduced.narrow(0, slots::NON_FINITE as i64, 1 + N_CONTROL as i64);
            self.flags = self.flags.maximum(&flags);
            let bad = flags.get(0).gt(0.0);
            let first = bad.logical_and(&self.first_bad.lt(0));
            let mean = parts.get(0).to_kind(Kind::Double) / self.world as f64;
            self.bad_value = mean.where_self(&first, &self.bad_value);
            let _ = self.first_bad.masked_fill_(&first, info.step as i64);
            self.pending.push(info);
            bad
        })
    }

    /// Reads the accumulators (a host sync) and starts a new window. A non-finite loss in the
    /// window is an error naming its first step.
    pub fn read(&mut self) -> Result<Window, TrainError> {
        let all = Tensor::cat(
            &[
                self.sums.shallow_clone(),
                self.flags.to_kind(Kind::Double),
                self.first_bad.to_kind(Kind::Double).reshape([1]),
                self.bad_value.reshape([1]),
            ],
            0,
        )
        .to_device(Device::Cpu);
        let v: Vec<f64> = Vec::try_from(&all)
            .map_err(|e| TrainError::Other(format!("reading the step log: {e}")))?;
        let pending = std::mem::take(&mut self.pending);
        tch::no_grad(|| {
            let _ = self.sums.zero_();
            let _ = self.flags.zero_();
        });
        let first_bad = v[6 + N_CONTROL];
        if first_bad >= 0.0 {
            let step = first_bad as usize;
            let info = pending.iter().find(|p| p.step == step).copied();
            return Err(TrainError::NonFinite {
                value: v[7 + N_CONTROL],
                epoch: info.map_or(0, |i| i.epoch + 1),
                step,
                batch: info.map_or(0, |i| i.batch),
            });
        }
        let w = self.world as f64;
        let mut parts = [0.0; 5];
        for (p, s) in parts.iter_mut().zip(&v[0..5]) {
            *p = s / w;
        }
        let mut control = [false; N_CONTROL];
        for (c, x) in control.iter_mut().zip(&v[6..6 + N_CONTROL]) {
            *c = *x > 0.0;
        }
        Ok(Window {
            parts,
            steps: pending.len(),
            control,
        })
    }

    /// Steps recorded since the last read.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(step: usize) -> StepInfo {
        StepInfo {
            step,
            epoch: 0,
            batch: step,
        }
    }

    #[test]
    fn sums_parts_and_names_the_first_bad_step() {
        let mut log = StepLog::new(Device::Cpu, 1);
        let parts = [Tensor::from(0.25f32), Tensor::from(0.5f32)];
        let v = log.values(&Tensor::from(1.5f32), &parts);
        assert_eq!(v.size(), [slots::LEN as i64]);
        let bad = log.record(&v, info(0));
        assert!(!bool::try_from(&bad).expect("flag"));
        log.raise(1);
        let v = log.values(&Tensor::from(0.5f32), &parts);
        let _ = log.record(&v, info(1));
        let w = log.read().expect("read");
        assert_eq!(w.parts, [2.0, 0.5, 1.0, 0.0, 0.0]);
        assert_eq!(w.steps, 2);
        assert_eq!(w.control, [false, true, false, false]);
        // A new window: a NaN at step 3 (then a good step 4) is named at the read.
        let v = log.values(&Tensor::from(1.0f32), &[]);
        let _ = log.record(&v, info(2));
        let v = log.values(&Tensor::from(f32::NAN), &[]);
        assert!(bool::try_from(&log.record(&v, info(3))).expect("flag"));
        let v = log.values(&Tensor::from(f32::INFINITY), &[]);
        let _ = log.record(&v, info(4));
        match log.read() {
            Err(TrainError::NonFinite { step, batch, .. }) => assert_eq!((step, batch), (3, 3)),
            other => panic!("{other:?}"),
        }
    }
}
