//! Mixed precision through libtorch's autocast, with the dtype chosen: bf16 (the default)
//! or fp16, on CUDA or on the CPU. tch 0.24's `autocast` only toggles CUDA autocast at its
//! default fp16, so the few calls needed are in a C++ shim (`csrc/autocast.cpp`, compiled
//! against the linked libtorch's headers by the build script). This module is the only
//! `unsafe` in the workspace: four `extern "C"` calls with plain integer arguments.
#![allow(unsafe_code)]

use crate::error::TrainError;
use serde::{Deserialize, Serialize};
use tch::Device;

/// The reduced-precision type autocast computes eligible ops in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutocastDtype {
    #[default]
    Bf16,
    Fp16,
}

impl AutocastDtype {
    fn code(self) -> i32 {
        match self {
            AutocastDtype::Fp16 => 0,
            AutocastDtype::Bf16 => 1,
        }
    }
}

extern "C" {
    fn ecg_autocast_get(device: i32, enabled: *mut i32, dtype: *mut i32) -> i32;
    fn ecg_autocast_set(device: i32, enabled: i32, dtype: i32) -> i32;
    fn ecg_autocast_increment_nesting() -> i32;
    fn ecg_autocast_decrement_nesting() -> i32;
}

fn device_code(d: Device) -> i32 {
    i32::from(d.is_cuda())
}

fn err(what: &str) -> TrainError {
    TrainError::Device(format!("libtorch autocast: {what} failed"))
}

/// Autocast state of a device type: (enabled, dtype code: 0 fp16, 1 bf16, 2 other).
pub fn state(device: Device) -> Result<(bool, i32), TrainError> {
    let (mut enabled, mut dtype) = (0i32, 0i32);
    // SAFETY: the shim writes two ints through valid, exclusive pointers and catches every
    // C++ exception.
    let rc = unsafe { ecg_autocast_get(device_code(device), &mut enabled, &mut dtype) };
    if rc != 0 {
        return Err(err("reading the state"));
    }
    Ok((enabled != 0, dtype))
}

fn set(device: Device, enabled: bool, dtype: i32) -> Result<(), TrainError> {
    // SAFETY: integer arguments only; the shim catches every C++ exception.
    let rc = unsafe { ecg_autocast_set(device_code(device), i32::from(enabled), dtype) };
    if rc != 0 {
        return Err(err("setting the state"));
    }
    Ok(())
}

/// Restores the previous state when the region ends (also on unwinding).
struct Region {
    device: Device,
    previous: (bool, i32),
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: no arguments; the shim catches every C++ exception.
        let _ = unsafe { ecg_autocast_decrement_nesting() };
        let _ = set(self.device, self.previous.0, self.previous.1);
    }
}

/// Runs `f` with autocast on for `device`'s type, computing eligible ops in `dtype`, and
/// restores the previous autocast state afterwards.
pub fn autocast<T>(
    device: Device,
    dtype: AutocastDtype,
    f: impl FnOnce() -> T,
) -> Result<T, TrainError> {
    let previous = state(device)?;
    set(device, true, dtype.code())?;
    let _region = Region { device, previous };
    // SAFETY: no arguments; the shim catches every C++ exception.
    if unsafe { ecg_autocast_increment_nesting() } < 0 {
        return Err(err("entering the region"));
    }
    Ok(f())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Kind, Tensor};

    #[test]
    fn cpu_bf16_autocast_computes_in_bf16_and_restores_the_state() {
        let before = state(Device::Cpu).expect("state");
        assert!(!before.0, "autocast starts off");
        let a = Tensor::randn([4, 8], (Kind::Float, Device::Cpu));
        let b = Tensor::randn([8, 3], (Kind::Float, Device::Cpu));
        let (kind, inside) = autocast(Device::Cpu, AutocastDtype::Bf16, || {
            (a.matmul(&b).kind(), state(Device::Cpu).expect("state"))
        })
        .expect("autocast");
        assert_eq!(
            kind,
            Kind::BFloat16,
            "matmul runs in bf16 under CPU autocast"
        );
        assert_eq!(inside, (true, 1));
        assert_eq!(state(Device::Cpu).expect("state"), before, "state restored");
        assert_eq!(a.matmul(&b).kind(), Kind::Float, "fp32 again outside");
        // fp16 is selectable too.
        let kind =
            autocast(Device::Cpu, AutocastDtype::Fp16, || a.matmul(&b).kind()).expect("autocast");
        assert_eq!(kind, Kind::Half);
    }
}
