use crate::Backend;
use std::time::Duration;

/// Everything that can go wrong in a process group or while reading the launcher's variables.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// A launcher variable is missing, malformed or inconsistent with the others.
    #[error("launcher variable {var}: {message}")]
    Env { var: String, message: String },

    #[error("unknown distributed backend {0:?}: expected gloo or nccl")]
    UnknownBackend(String),

    /// The backend's headers were absent when this build compiled the c10d shim.
    #[error(
        "the {backend} backend is not compiled into this build (compiled: {compiled}; {notes}); \
         run `cargo xtask setup` and rebuild, see docs/distributed.md"
    )]
    NotCompiled {
        backend: Backend,
        compiled: String,
        notes: String,
    },

    /// Rendezvous or process-group creation failed (a rank that never arrived, an unreachable
    /// master, a port in use).
    #[error(
        "rank {rank} of {world_size}: joining the {backend} process group at {addr} failed \
         (timeout {timeout:?}): {message}"
    )]
    Init {
        rank: usize,
        world_size: usize,
        backend: Backend,
        addr: String,
        timeout: Duration,
        message: String,
    },

    /// A collective failed: c10d's own message, and a hint when it reads like a lost peer.
    #[error(
        "rank {rank} of {world_size}: {op} failed ({backend}, timeout {timeout:?}): {message}"
    )]
    Collective {
        rank: usize,
        world_size: usize,
        op: &'static str,
        backend: Backend,
        timeout: Duration,
        message: String,
    },

    /// A call that cannot be right on any rank (a root out of range).
    #[error("rank {rank}: {op}: {message}")]
    Usage {
        rank: usize,
        op: &'static str,
        message: String,
    },
}
