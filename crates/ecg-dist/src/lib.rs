//! The process group of a data-parallel job, over libtorch's own distributed engine, c10d:
//! a TCPStore rendezvous, then ProcessGroupGloo (CPU tensors) or ProcessGroupNCCL (CUDA
//! tensors). No collective, rendezvous or launcher is implemented here: `launch` reads the
//! variables torchrun or SLURM set, and `group` calls c10d through a small C++ shim
//! (`csrc/c10d.cpp`).
//!
//! ```no_run
//! use ecg_dist::{Backend, Launch, ProcessGroup};
//! # fn main() -> Result<(), ecg_dist::DistError> {
//! if let Some(launch) = Launch::from_env()? {
//!     let pg = ProcessGroup::new(&launch, Backend::Gloo, std::time::Duration::from_secs(300))?;
//!     let g = tch::Tensor::ones([4], (tch::Kind::Float, tch::Device::Cpu));
//!     pg.all_reduce_sum(&[g.shallow_clone()])?; // every rank now holds world_size
//! }
//! # Ok(()) }
//! ```
mod error;
mod group;
mod launch;
mod nodelist;
mod peers;

pub use error::DistError;
pub use group::{build_notes, compiled_backends, forward_order, GradReducer, ProcessGroup};
pub use launch::{Launch, LaunchSource, DEFAULT_SLURM_PORT_BASE};
pub use nodelist::{expand_nodelist, first_host};

use std::fmt;
use std::str::FromStr;

/// A c10d backend. `auto` (NCCL on CUDA, Gloo on CPU) is resolved by the caller, which knows
/// the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// ProcessGroupGloo: CPU tensors, TCP.
    Gloo,
    /// ProcessGroupNCCL: CUDA tensors, one GPU per rank.
    Nccl,
}

impl Backend {
    /// The shim's code for the backend.
    pub(crate) fn code(self) -> i32 {
        match self {
            Backend::Gloo => 0,
            Backend::Nccl => 1,
        }
    }

    /// The backend PyTorch's `init_process_group` picks for a device: NCCL on CUDA, Gloo on
    /// the CPU.
    pub fn for_device(device: tch::Device) -> Backend {
        if device.is_cuda() {
            Backend::Nccl
        } else {
            Backend::Gloo
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Gloo => "gloo",
            Backend::Nccl => "nccl",
        })
    }
}

impl FromStr for Backend {
    type Err = DistError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gloo" => Ok(Backend::Gloo),
            "nccl" => Ok(Backend::Nccl),
            _ => Err(DistError::UnknownBackend(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_round_trip() {
        for b in [Backend::Gloo, Backend::Nccl] {
            assert_eq!(b.to_string().parse::<Backend>().expect("parse"), b);
        }
        assert_eq!("NCCL".parse::<Backend>().expect("parse"), Backend::Nccl);
        let e = "mpi".parse::<Backend>().expect_err("unknown");
        assert!(e.to_string().contains("mpi"), "{e}");
        assert_eq!(Backend::for_device(tch::Device::Cpu), Backend::Gloo);
        assert_eq!(Backend::for_device(tch::Device::Cuda(0)), Backend::Nccl);
    }
}
