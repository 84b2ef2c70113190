//! The process group: a handle to the C++ shim's group (TCPStore + c10d backend). This module
//! is ecg-dist's only `unsafe`: `extern "C"` calls into `csrc/c10d.cpp`, which catches every
//! C++ exception and returns it as a message, and tch's raw tensor pointers (`*mut C_tensor`,
//! an `at::Tensor*`) handed across for the duration of a call.
#![allow(unsafe_code)]

use crate::error::DistError;
use crate::launch::Launch;
use crate::peers::{self, Reading, StoreHost, Verdict};
use crate::Backend;
use std::ffi::{c_char, c_void, CStr, CString};
use std::time::Duration;
use tch::Tensor;

extern "C" {
    fn ecg_dist_free_str(s: *mut c_char);
    fn ecg_dist_has_backend(backend: i32) -> i32;
    #[allow(clippy::too_many_arguments)]
    fn ecg_dist_new(
        backend: i32,
        host: *const c_char,
        port: i32,
        rank: i32,
        world: i32,
        local_rank: i32,
        agent_store: i32,
        prefix: *const c_char,
        timeout_ms: i64,
        err: *mut *mut c_char,
    ) -> *mut c_void;
    fn ecg_dist_all_reduce_sum(
        group: *mut c_void,
        tensors: *const *mut c_void,
        n: usize,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_dist_broadcast(
        group: *mut c_void,
        tensors: *const *mut c_void,
        n: usize,
        root: i32,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_dist_all_gather(
        group: *mut c_void,
        tensor: *mut c_void,
        err: *mut *mut c_char,
    ) -> *mut c_void;
    fn ecg_dist_barrier(group: *mut c_void, err: *mut *mut c_char) -> i32;
    fn ecg_dist_destroy(group: *mut c_void, err: *mut *mut c_char) -> i32;
    fn ecg_dist_probe(
        group: *mut c_void,
        mark_failed: i32,
        budget_ms: i64,
        beats: *mut i64,
        failed: *mut i64,
        n: usize,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_dist_note_lost(group: *mut c_void, linger_ms: i64, lost: *const i32, n_lost: usize);
    fn ecg_dist_reducer_new(
        group: *mut c_void,
        params: *const *mut c_void,
        n: usize,
        bucket_bytes: i64,
        err: *mut *mut c_char,
    ) -> *mut c_void;
    fn ecg_dist_reducer_buckets(reducer: *mut c_void) -> i64;
    fn ecg_dist_reducer_prepare(
        reducer: *mut c_void,
        values: *mut c_void,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_dist_reducer_started(reducer: *mut c_void) -> i64;
    fn ecg_dist_reducer_free(reducer: *mut c_void);
    fn ecg_dist_grad_ready_keys(
        loss: *mut c_void,
        params: *const *mut c_void,
        n: usize,
        keys: *mut i64,
        err: *mut *mut c_char,
    ) -> i32;
}

/// `params` (those `loss` depends on) in the order its forward pass used them, i.e. the
/// reverse of the order backward will make their gradients ready (read from the autograd
/// graph of `loss`, before backward). Parameters `loss` does not depend on are left out.
/// Deterministic: every rank running the same network gets the same order.
pub fn forward_order(loss: &Tensor, params: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let ptrs = raw_ptrs(params);
    let mut keys = vec![-1i64; params.len()];
    let mut err = std::ptr::null_mut();
    // SAFETY: `loss` and `params` are borrowed for the call; `keys` holds one slot per
    // parameter; the shim catches every C++ exception.
    let rc = unsafe {
        ecg_dist_grad_ready_keys(
            loss.as_ptr() as *mut c_void,
            ptrs.as_ptr(),
            ptrs.len(),
            keys.as_mut_ptr(),
            &mut err,
        )
    };
    if rc != 0 {
        return Err(take_err(err));
    }
    let mut order: Vec<(i64, usize)> = keys
        .iter()
        .enumerate()
        .filter(|(_, &k)| k >= 0)
        .map(|(i, &k)| (k, i))
        .collect();
    order.sort_unstable();
    Ok(order
        .into_iter()
        .map(|(_, i)| params[i].shallow_clone())
        .collect())
}

/// The longest one reading of the store's counters may take.
const PROBE_BUDGET: Duration = Duration::from_secs(2);

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis().max(1)).unwrap_or(i64::MAX)
}

/// The backends this build compiled into its c10d shim (their headers were present).
pub fn compiled_backends() -> Vec<Backend> {
    [Backend::Gloo, Backend::Nccl]
        .into_iter()
        // SAFETY: an integer argument; the function only tests compile-time flags.
        .filter(|b| unsafe { ecg_dist_has_backend(b.code()) } == 1)
        .collect()
}

/// Why a backend was left out at build time ("" when both are in), e.g. for `ecg doctor`.
pub fn build_notes() -> &'static str {
    env!("ECG_DIST_BUILD_NOTES")
}

/// `Ok` when `backend` is among `compiled`, else the error naming what this build has and
/// why the backend was left out.
fn require_compiled(backend: Backend, compiled: &[Backend]) -> Result<(), DistError> {
    if compiled.contains(&backend) {
        return Ok(());
    }
    let names: Vec<String> = compiled.iter().map(Backend::to_string).collect();
    Err(DistError::NotCompiled {
        backend,
        compiled: if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        },
        notes: match build_notes() {
            "" => "no notes from the build".to_owned(),
            n => n.to_owned(),
        },
    })
}

/// Takes the shim's error message (freeing it).
fn take_err(err: *mut c_char) -> String {
    if err.is_null() {
        return "unknown error (no message from c10d)".to_owned();
    }
    // SAFETY: a NUL-terminated string from strdup in the shim, freed exactly once here.
    let msg = unsafe { CStr::from_ptr(err) }
        .to_string_lossy()
        .trim()
        .to_owned();
    // SAFETY: as above.
    unsafe { ecg_dist_free_str(err) };
    msg
}

fn to_i32(v: usize, what: &str) -> Result<i32, DistError> {
    i32::try_from(v).map_err(|_| DistError::Env {
        var: what.to_owned(),
        message: format!("{v} is too large"),
    })
}

/// One rank's membership of a data-parallel job. Collectives are in place on the given
/// tensors and must be called in the same order with matching arguments on every rank, as
/// with torch.distributed. Dropping it shuts the backend down.
pub struct ProcessGroup {
    raw: *mut c_void,
    rank: usize,
    world_size: usize,
    local_rank: usize,
    backend: Backend,
    timeout: Duration,
    /// host:port of the store, and who hosts it (for the error when it is unreachable).
    store_addr: String,
    store_host: StoreHost,
}

// SAFETY: the shim's group holds c10d objects made to be used from any thread, and every
// entry point takes the group's mutex, so calls from several threads are serialised.
unsafe impl Send for ProcessGroup {}
// SAFETY: as above: `&self` methods only enter the shim, which locks.
unsafe impl Sync for ProcessGroup {}

impl std::fmt::Debug for ProcessGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessGroup")
            .field("rank", &self.rank)
            .field("world_size", &self.world_size)
            .field("backend", &self.backend)
            .finish()
    }
}

impl ProcessGroup {
    /// Rendezvous with the other ranks at `launch.master_addr:master_port` (a TCPStore hosted
    /// by rank 0, or by torchrun's agent) and create the backend's process group. Fails,
    /// rather than hanging, when the other ranks have not all arrived within `timeout`; the
    /// same timeout bounds every later collective (Gloo; NCCL: see docs/distributed.md).
    pub fn new(launch: &Launch, backend: Backend, timeout: Duration) -> Result<Self, DistError> {
        require_compiled(backend, &compiled_backends())?;
        let init_err = |message: String| DistError::Init {
            rank: launch.rank,
            world_size: launch.world_size,
            backend,
            addr: launch.master(),
            timeout,
            message,
        };
        let host = CString::new(launch.master_addr.as_str())
            .map_err(|_| init_err("MASTER_ADDR contains a NUL byte".to_owned()))?;
        let prefix = CString::new(store_prefix(launch.agent_store))
            .map_err(|_| init_err("TORCHELASTIC_RESTART_COUNT contains a NUL byte".to_owned()))?;
        let timeout_ms = millis(timeout);
        let mut err: *mut c_char = std::ptr::null_mut();
        tracing::debug!(
            rank = launch.rank,
            world_size = launch.world_size,
            %backend,
            master = %launch.master(),
            agent_store = launch.agent_store,
            "joining the process group"
        );
        // SAFETY: `host` and `prefix` outlive the call; `err` is a valid out-pointer; the shim catches
        // every C++ exception.
        let raw = unsafe {
            ecg_dist_new(
                backend.code(),
                host.as_ptr(),
                i32::from(launch.master_port),
                to_i32(launch.rank, "RANK")?,
                to_i32(launch.world_size, "WORLD_SIZE")?,
                to_i32(launch.local_rank, "LOCAL_RANK")?,
                i32::from(launch.agent_store),
                prefix.as_ptr(),
                timeout_ms,
                &mut err,
            )
        };
        if raw.is_null() {
            return Err(init_err(take_err(err)));
        }
        Ok(ProcessGroup {
            raw,
            rank: launch.rank,
            world_size: launch.world_size,
            local_rank: launch.local_rank,
            backend,
            timeout,
            store_addr: launch.master(),
            store_host: if launch.agent_store {
                StoreHost::Agent
            } else {
                StoreHost::Rank0
            },
        })
    }

    pub fn rank(&self) -> usize {
        self.rank
    }

    pub fn world_size(&self) -> usize {
        self.world_size
    }

    /// Rank within the node (`LOCAL_RANK`): the CUDA device index of an NCCL rank.
    pub fn local_rank(&self) -> usize {
        self.local_rank
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The timeout the group was created with.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn collective_err(&self, op: &'static str, message: String) -> DistError {
        let message = if op != "destroy" && looks_like_a_lost_peer(&message) {
            format!("{message}: {}", self.find_lost_ranks())
        } else {
            message
        };
        DistError::Collective {
            rank: self.rank,
            world_size: self.world_size,
            op,
            backend: self.backend,
            timeout: self.timeout,
            message,
        }
    }

    /// Reads every rank's heartbeat twice, a window apart (at most the timeout), and says
    /// which ranks stopped. Bounded: the window plus two readings of at most PROBE_BUDGET.
    fn find_lost_ranks(&self) -> Verdict {
        let window = peers::WINDOW.min(self.timeout);
        let budget = PROBE_BUDGET.min(self.timeout);
        let verdict = self
            .probe(true, budget)
            .and_then(|before| {
                std::thread::sleep(window);
                let after = self.probe(false, budget)?;
                Ok(peers::judge(self.rank, &before, &after, window))
            })
            .unwrap_or_else(|message| Verdict::StoreUnreachable {
                host: self.store_host,
                addr: self.store_addr.clone(),
                message,
            });
        // A store-hosting survivor keeps the store up while the others (not the lost ranks)
        // read it.
        self.note_lost(window + budget, verdict.lost_ranks());
        verdict
    }

    /// One reading of the counters; `mark_failed` first records this rank's failure.
    fn probe(&self, mark_failed: bool, budget: Duration) -> Result<Reading, String> {
        let mut r = Reading {
            beats: vec![0; self.world_size],
            failed: vec![0; self.world_size],
        };
        let mut err = std::ptr::null_mut();
        // SAFETY: a live group; both buffers hold world_size values; the shim catches every
        // C++ exception.
        let rc = unsafe {
            ecg_dist_probe(
                self.raw,
                i32::from(mark_failed),
                millis(budget),
                r.beats.as_mut_ptr(),
                r.failed.as_mut_ptr(),
                self.world_size,
                &mut err,
            )
        };
        if rc == 0 {
            Ok(r)
        } else {
            Err(take_err(err))
        }
    }

    fn note_lost(&self, linger: Duration, lost: &[usize]) {
        let lost: Vec<i32> = lost.iter().filter_map(|&r| i32::try_from(r).ok()).collect();
        // SAFETY: a live group; `lost` outlives the call (the shim copies it).
        unsafe { ecg_dist_note_lost(self.raw, millis(linger), lost.as_ptr(), lost.len()) };
    }

    fn check(&self, op: &'static str, rc: i32, err: *mut c_char) -> Result<(), DistError> {
        if rc == 0 {
            Ok(())
        } else {
            Err(self.collective_err(op, take_err(err)))
        }
    }

    /// Replaces every rank's tensors with `root`'s, in place (shapes and dtypes must match
    /// across ranks).
    pub fn broadcast(&self, tensors: &[Tensor], root: usize) -> Result<(), DistError> {
        if root >= self.world_size {
            return Err(DistError::Usage {
                rank: self.rank,
                op: "broadcast",
                message: format!(
                    "root {root} is not a rank of a world of {}",
                    self.world_size
                ),
            });
        }
        let ptrs = raw_ptrs(tensors);
        let mut err = std::ptr::null_mut();
        // SAFETY: `ptrs` point at tensors borrowed for the whole call; the shim catches
        // every C++ exception.
        let rc = unsafe {
            ecg_dist_broadcast(
                self.raw,
                ptrs.as_ptr(),
                ptrs.len(),
                to_i32(root, "root")?,
                &mut err,
            )
        };
        self.check("broadcast", rc, err)
    }

    /// Sums each tensor over the ranks, in place. The tensors are independent (flattened into
    /// one buffer per dtype and device for a single c10d all-reduce).
    pub fn all_reduce_sum(&self, tensors: &[Tensor]) -> Result<(), DistError> {
        let ptrs = raw_ptrs(tensors);
        let mut err = std::ptr::null_mut();
        // SAFETY: as in `broadcast`.
        let rc = unsafe { ecg_dist_all_reduce_sum(self.raw, ptrs.as_ptr(), ptrs.len(), &mut err) };
        self.check("all_reduce_sum", rc, err)
    }

    /// Every rank's `t`, concatenated along dim 0 in rank order: [n, ...] → [world·n, ...]
    /// (a 0-dim tensor counts as [1]). Shapes and dtypes must be equal on every rank; a
    /// mismatch is an error naming both ranks.
    pub fn all_gather(&self, t: &Tensor) -> Result<Tensor, DistError> {
        let mut err = std::ptr::null_mut();
        // SAFETY: `t` is borrowed for the call; the shim returns a new heap at::Tensor or
        // NULL with a message.
        let out = unsafe { ecg_dist_all_gather(self.raw, t.as_ptr() as *mut c_void, &mut err) };
        if out.is_null() {
            return Err(self.collective_err("all_gather", take_err(err)));
        }
        // SAFETY: `out` is a fresh `new at::Tensor` that nothing else owns; tch's Tensor
        // takes ownership and deletes it on drop, as for its own results.
        Ok(unsafe { Tensor::from_ptr(out.cast()) })
    }

    /// Returns once every rank has entered the barrier.
    pub fn barrier(&self) -> Result<(), DistError> {
        let mut err = std::ptr::null_mut();
        // SAFETY: a valid group and out-pointer; the shim catches every C++ exception.
        let rc = unsafe { ecg_dist_barrier(self.raw, &mut err) };
        self.check("barrier", rc, err)
    }

    /// Shuts the group down now, reporting an error (dropping does the same, logging it).
    pub fn destroy(mut self) -> Result<(), DistError> {
        let raw = std::mem::replace(&mut self.raw, std::ptr::null_mut());
        self.destroy_raw(raw)
    }

    fn destroy_raw(&self, raw: *mut c_void) -> Result<(), DistError> {
        if raw.is_null() {
            return Ok(());
        }
        let mut err = std::ptr::null_mut();
        // SAFETY: `raw` came from ecg_dist_new and is destroyed exactly once (the handle is
        // nulled first).
        let rc = unsafe { ecg_dist_destroy(raw, &mut err) };
        self.check("destroy", rc, err)
    }
}

/// libtorch's DDP engine (`c10d::Reducer`) over a set of parameters of this group: once
/// [`GradReducer::prepare`] has been called before a backward pass, that backward pass
/// averages the parameters' gradients over the ranks as it produces them. Gradients go into
/// buckets (the parameters' order, reversed as DDP does, about `bucket_bytes` each) and each
/// bucket's all-reduce starts as soon as its last gradient is ready, overlapping the rest of
/// backward; backward returns with the averaged gradients. The last bucket also carries a
/// vector of the step's values, summed in place. Every rank must make the same reducer
/// (same parameters in the same order) and prepare before every backward pass.
pub struct GradReducer<'g> {
    raw: *mut c_void,
    group: &'g ProcessGroup,
}

impl ProcessGroup {
    /// A reducer over `params` (every one must get a gradient in each backward pass that
    /// follows a `prepare`), with buckets of about `bucket_bytes`.
    pub fn grad_reducer(
        &self,
        params: &[Tensor],
        bucket_bytes: usize,
    ) -> Result<GradReducer<'_>, DistError> {
        let ptrs = raw_ptrs(params);
        let cap = i64::try_from(bucket_bytes.max(1)).unwrap_or(i64::MAX);
        let mut err = std::ptr::null_mut();
        // SAFETY: `ptrs` point at tensors borrowed for the call (the shim keeps its own
        // references); the shim catches every C++ exception.
        let raw =
            unsafe { ecg_dist_reducer_new(self.raw, ptrs.as_ptr(), ptrs.len(), cap, &mut err) };
        if raw.is_null() {
            return Err(self.collective_err("grad_reducer", take_err(err)));
        }
        Ok(GradReducer { raw, group: self })
    }
}

impl<'g> GradReducer<'g> {
    /// The group the reducer all-reduces over.
    pub fn group(&self) -> &'g ProcessGroup {
        self.group
    }

    /// Buckets, i.e. all-reduces per backward pass.
    pub fn buckets(&self) -> usize {
        // SAFETY: a live reducer.
        usize::try_from(unsafe { ecg_dist_reducer_buckets(self.raw) }).unwrap_or(0)
    }

    /// All-reduces started since the reducer was made.
    pub fn collectives_started(&self) -> u64 {
        // SAFETY: a live reducer.
        u64::try_from(unsafe { ecg_dist_reducer_started(self.raw) }).unwrap_or(0)
    }

    /// Arms the next backward pass: its gradients are averaged over the ranks, and `values`
    /// (kept alive by the reducer until the next prepare) is summed over them in place.
    pub fn prepare(&mut self, values: Option<&Tensor>) -> Result<(), DistError> {
        let v = values.map_or(std::ptr::null_mut(), |t| t.as_ptr() as *mut c_void);
        let mut err = std::ptr::null_mut();
        // SAFETY: a live reducer; the shim copies the at::Tensor handle (a reference count).
        let rc = unsafe { ecg_dist_reducer_prepare(self.raw, v, &mut err) };
        self.group.check("grad_reducer.prepare", rc, err)
    }

    /// The error of a backward pass that failed in its all-reduce, with the lost-rank probe.
    pub fn backward_error(&self, message: String) -> DistError {
        self.group
            .collective_err("all_reduce (in backward)", message)
    }
}

impl Drop for GradReducer<'_> {
    fn drop(&mut self) {
        // SAFETY: made by ecg_dist_reducer_new, freed once; it removes its autograd hooks.
        unsafe { ecg_dist_reducer_free(self.raw) };
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let raw = std::mem::replace(&mut self.raw, std::ptr::null_mut());
        if let Err(e) = self.destroy_raw(raw) {
            tracing::warn!("{e}");
        }
    }
}

/// The store prefix of our keys. torchrun's agent store lives across the restarts of a job
/// (`--max-restarts`): the attempt number keeps an attempt from reading the keys of the one
/// before.
fn store_prefix(agent_store: bool) -> String {
    let attempt = if agent_store {
        std::env::var("TORCHELASTIC_RESTART_COUNT").unwrap_or_default()
    } else {
        String::new()
    };
    format!("ecg_dist/{}/default_pg", attempt.trim())
}

fn raw_ptrs(tensors: &[Tensor]) -> Vec<*mut c_void> {
    tensors.iter().map(|t| t.as_ptr() as *mut c_void).collect()
}

/// Whether c10d's message reads like a lost peer (it names a socket, not a rank).
fn looks_like_a_lost_peer(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    let lost = [
        "connection closed by peer",
        "connection reset",
        "broken pipe",
        "timed out",
        "timeout",
    ];
    lost.iter().any(|k| lower.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LaunchSource;

    fn lone(port: u16) -> Launch {
        Launch {
            rank: 0,
            world_size: 1,
            local_rank: 0,
            master_addr: "127.0.0.1".into(),
            master_port: port,
            agent_store: false,
            source: LaunchSource::Env,
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    }

    #[test]
    fn gloo_is_compiled() {
        // `cargo xtask setup` provides the gloo headers; a build without them is a defect
        // of the set-up, not something to skip.
        assert!(
            compiled_backends().contains(&Backend::Gloo),
            "Gloo missing: {}",
            build_notes()
        );
    }

    #[test]
    fn a_world_of_one_runs_every_collective() {
        let pg = ProcessGroup::new(&lone(free_port()), Backend::Gloo, Duration::from_secs(20))
            .expect("group");
        let a = Tensor::from_slice(&[1.0f32, 2.0, 3.0]);
        let b = Tensor::from_slice(&[4i64, 5]).reshape([2, 1]);
        pg.all_reduce_sum(&[a.shallow_clone(), b.shallow_clone()])
            .expect("all_reduce");
        assert_eq!(Vec::<f32>::try_from(&a).expect("vec"), [1.0, 2.0, 3.0]);
        pg.broadcast(&[a.shallow_clone()], 0).expect("broadcast");
        let g = pg.all_gather(&b).expect("all_gather");
        assert_eq!(g.size(), [2, 1]);
        pg.barrier().expect("barrier");
        let e = pg.broadcast(&[a], 1).expect_err("root 1 of 1");
        assert!(e.to_string().contains("root 1"), "{e}");
        pg.destroy().expect("destroy");
    }

    #[test]
    fn a_missing_backend_is_a_clear_error() {
        let e = require_compiled(Backend::Nccl, &[Backend::Gloo]).expect_err("no nccl");
        let s = e.to_string();
        assert!(
            s.contains("the nccl backend is not compiled") && s.contains("compiled: gloo"),
            "{s}"
        );
        assert!(require_compiled(Backend::Gloo, &[Backend::Gloo]).is_ok());
        let none = require_compiled(Backend::Gloo, &[]).expect_err("none");
        assert!(none.to_string().contains("compiled: none"), "{none}");
    }

    #[test]
    fn only_lost_peer_messages_look_for_the_lost_rank() {
        assert!(looks_like_a_lost_peer(
            "Connection closed by peer [127.0.0.1]:1"
        ));
        assert!(looks_like_a_lost_peer(
            "Timed out waiting 3000ms for recv operation to complete"
        ));
        assert!(!looks_like_a_lost_peer("bad dtype"));
    }
}
