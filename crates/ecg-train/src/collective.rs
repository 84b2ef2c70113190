//! The one seam between the training loops and the processes of a data-parallel job.
//!
//! A [`Collective`] is the group of ranks a run belongs to: [`Single`] for one process
//! (every operation is the identity, so a one-process run is exactly the run it always was),
//! or a c10d process group (`ecg_dist::ProcessGroup`, Gloo on CPU, NCCL on CUDA). The loops
//! call only the helpers below; none of them tests a rank except through
//! [`is_writer`].
//!
//! Semantics follow PyTorch's DistributedDataParallel (DDP):
//! - [`broadcast_state`]: rank 0's parameters and buffers replace every other rank's at the
//!   start of a run (DDP's constructor);
//! - [`broadcast_buffers`]: rank 0's buffers (batch-norm running statistics) replace the
//!   others' before every forward pass (DDP's `broadcast_buffers=True`), so every rank holds
//!   the same network and rank 0's checkpoint is every rank's;
//! - [`average_gradients`]: gradients are summed across ranks in flat buckets of about
//!   [`BUCKET_BYTES`] and divided by the world size, before clipping and the optimizer step
//!   (DDP's gradient hooks), so the optimizer sees the gradient of the global batch mean.
//! - [`GradSync`]: the training step's gradient averaging. Its first step in a process is one
//!   all-reduce after backward ([`reduce_step`]); from then on libtorch's DDP engine
//!   (`c10d::Reducer`, through ecg-dist) averages the gradients during backward, each
//!   bucket's all-reduce overlapping the rest of backward. Either way the step's loss parts
//!   and flags travel in the same all-reduce as the gradients: one collective per step
//!   while every gradient fits one bucket (`train.bucket_mb`, 25 MB as DDP).
use crate::error::TrainError;
use tch::{nn, Tensor};

/// Gradient bucket size (DDP's default `bucket_cap_mb = 25`).
pub const BUCKET_BYTES: usize = 25 * 1024 * 1024;

/// The processes of a job. Every operation is collective: every rank calls it, in the same
/// order, with tensors of the same shapes and kinds.
pub trait Collective {
    /// This process's rank, `0..world_size`.
    fn rank(&self) -> usize;
    fn world_size(&self) -> usize;
    /// This process's rank on its node: its CUDA device index (`cuda:LOCAL_RANK`).
    fn local_rank(&self) -> usize {
        0
    }
    /// `single`, `gloo` or `nccl`.
    fn backend_name(&self) -> String;
    /// Replaces every rank's `tensors` by rank `root`'s, in place.
    fn broadcast(&self, tensors: &[Tensor], root: usize) -> Result<(), TrainError>;
    /// Replaces every rank's `tensors` by their sum over ranks, in place.
    fn all_reduce_sum(&self, tensors: &[Tensor]) -> Result<(), TrainError>;
    /// Every rank's `t`, concatenated along dim 0 in rank order.
    fn all_gather(&self, t: &Tensor) -> Result<Tensor, TrainError>;
    /// Returns once every rank has called it.
    fn barrier(&self) -> Result<(), TrainError>;
    /// libtorch's DDP engine over `params` (each takes a gradient in every backward pass),
    /// with buckets of about `bucket_bytes`; `None` where the group has none (one process).
    fn grad_reducer<'s>(
        &'s self,
        _params: &[Tensor],
        _bucket_bytes: usize,
    ) -> Result<Option<Box<dyn StepReduce + 's>>, TrainError> {
        Ok(None)
    }
}

/// A DDP engine armed before each backward pass (see [`GradSync`]).
pub trait StepReduce {
    /// The next backward pass averages the gradients over the ranks and sums `values`.
    fn prepare(&mut self, values: &Tensor) -> Result<(), TrainError>;
    /// The error of a backward pass whose all-reduce failed.
    fn backward_error(&self, message: String) -> TrainError;
    /// All-reduces per backward pass.
    fn buckets(&self) -> usize;
}

/// One process: every operation is the identity.
#[derive(Debug, Clone, Copy, Default)]
pub struct Single;

impl Collective for Single {
    fn rank(&self) -> usize {
        0
    }
    fn world_size(&self) -> usize {
        1
    }
    fn backend_name(&self) -> String {
        "single".into()
    }
    fn broadcast(&self, _: &[Tensor], _: usize) -> Result<(), TrainError> {
        Ok(())
    }
    fn all_reduce_sum(&self, _: &[Tensor]) -> Result<(), TrainError> {
        Ok(())
    }
    fn all_gather(&self, t: &Tensor) -> Result<Tensor, TrainError> {
        Ok(t.shallow_clone())
    }
    fn barrier(&self) -> Result<(), TrainError> {
        Ok(())
    }
}

impl Collective for ecg_dist::ProcessGroup {
    fn rank(&self) -> usize {
        ecg_dist::ProcessGroup::rank(self)
    }
    fn world_size(&self) -> usize {
        ecg_dist::ProcessGroup::world_size(self)
    }
    fn local_rank(&self) -> usize {
        ecg_dist::ProcessGroup::local_rank(self)
    }
    fn backend_name(&self) -> String {
        self.backend().to_string()
    }
    fn broadcast(&self, tensors: &[Tensor], root: usize) -> Result<(), TrainError> {
        ecg_dist::ProcessGroup::broadcast(self, tensors, root).map_err(|e| dist_error(self, e))
    }
    fn all_reduce_sum(&self, tensors: &[Tensor]) -> Result<(), TrainError> {
        ecg_dist::ProcessGroup::all_reduce_sum(self, tensors).map_err(|e| dist_error(self, e))
    }
    fn all_gather(&self, t: &Tensor) -> Result<Tensor, TrainError> {
        ecg_dist::ProcessGroup::all_gather(self, t).map_err(|e| dist_error(self, e))
    }
    fn barrier(&self) -> Result<(), TrainError> {
        ecg_dist::ProcessGroup::barrier(self).map_err(|e| dist_error(self, e))
    }
    fn grad_reducer<'s>(
        &'s self,
        params: &[Tensor],
        bucket_bytes: usize,
    ) -> Result<Option<Box<dyn StepReduce + 's>>, TrainError> {
        let r = ecg_dist::ProcessGroup::grad_reducer(self, params, bucket_bytes)
            .map_err(|e| dist_error(self, e))?;
        Ok(Some(Box::new(r)))
    }
}

impl StepReduce for ecg_dist::GradReducer<'_> {
    fn prepare(&mut self, values: &Tensor) -> Result<(), TrainError> {
        ecg_dist::GradReducer::prepare(self, Some(values)).map_err(|e| dist_error(self.group(), e))
    }
    fn backward_error(&self, message: String) -> TrainError {
        dist_error(
            self.group(),
            ecg_dist::GradReducer::backward_error(self, message),
        )
    }
    fn buckets(&self) -> usize {
        ecg_dist::GradReducer::buckets(self)
    }
}

/// A c10d error as a [`TrainError::Distributed`] (its message already names the rank).
fn dist_error(c: &ecg_dist::ProcessGroup, e: ecg_dist::DistError) -> TrainError {
    TrainError::Distributed {
        rank: Collective::rank(c),
        world: Collective::world_size(c),
        msg: e.to_string(),
    }
}

/// Which c10d backend a launched process uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// NCCL when the process trains on CUDA, Gloo on the CPU (PyTorch's default).
    #[default]
    Auto,
    Gloo,
    Nccl,
}

/// How long a collective operation waits for the other ranks before failing (`--dist-timeout`).
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The group this process trains in: when a launcher (torchrun, SLURM) set its variables,
/// this rank's c10d process group, on `cuda:LOCAL_RANK` or the CPU as `device` says;
/// otherwise [`Single`].
pub fn join(
    choice: BackendChoice,
    device: crate::config::DeviceChoice,
    timeout: std::time::Duration,
) -> Result<Box<dyn Collective>, TrainError> {
    let launch = ecg_dist::Launch::from_env()
        .map_err(|e| TrainError::Other(format!("data-parallel launch: {e}")))?;
    let Some(launch) = launch else {
        return Ok(Box::new(Single));
    };
    let fail = |msg: String| TrainError::Distributed {
        rank: launch.rank,
        world: launch.world_size,
        msg,
    };
    let on = device.resolve_for(launch.local_rank)?;
    let backend = match choice {
        BackendChoice::Auto => ecg_dist::Backend::for_device(on),
        BackendChoice::Gloo => ecg_dist::Backend::Gloo,
        BackendChoice::Nccl => ecg_dist::Backend::Nccl,
    };
    if (backend == ecg_dist::Backend::Nccl) != on.is_cuda() {
        return Err(fail(format!(
            "backend {backend} with device {on:?}: NCCL reduces CUDA tensors and Gloo CPU              tensors here; use --backend auto"
        )));
    }
    let pg =
        ecg_dist::ProcessGroup::new(&launch, backend, timeout).map_err(|e| fail(e.to_string()))?;
    tracing::info!(
        rank = launch.rank,
        world_size = launch.world_size,
        local_rank = launch.local_rank,
        %backend,
        timeout_s = timeout.as_secs_f64(),
        "joined the data-parallel job"
    );
    Ok(Box::new(pg))
}

/// Whether this rank writes the run folder (checkpoints, metrics, state): rank 0 alone.
pub fn is_writer(c: &dyn Collective) -> bool {
    c.rank() == 0
}

/// Adds what was being done to a collective's error.
pub fn context(c: &dyn Collective, what: &str, e: TrainError) -> TrainError {
    match e {
        TrainError::Distributed { msg, .. } => TrainError::Distributed {
            rank: c.rank(),
            world: c.world_size(),
            msg: format!("{what}: {msg}"),
        },
        other => other,
    }
}

/// Every variable of `stores` (parameters and buffers), by store then name.
fn variables(stores: &[&nn::VarStore], buffers_only: bool) -> Vec<Tensor> {
    let mut out = Vec::new();
    for vs in stores {
        let mut named: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(
            named
                .into_iter()
                .filter(|(_, t)| !buffers_only || !t.requires_grad())
                .map(|(_, t)| t),
        );
    }
    out
}

fn broadcast_detached(c: &dyn Collective, ts: Vec<Tensor>, what: &str) -> Result<(), TrainError> {
    if c.world_size() == 1 || ts.is_empty() {
        return Ok(());
    }
    let ts: Vec<Tensor> = ts.iter().map(Tensor::detach).collect();
    tch::no_grad(|| c.broadcast(&ts, 0)).map_err(|e| context(c, what, e))
}

/// Rank 0's parameters and buffers replace every rank's (the start of a run).
pub fn broadcast_state(c: &dyn Collective, stores: &[&nn::VarStore]) -> Result<(), TrainError> {
    broadcast_detached(c, variables(stores, false), "broadcasting rank 0's weights")
}

/// Rank 0's buffers (variables that take no gradient: batch-norm statistics, frozen
/// weights) replace every rank's.
pub fn broadcast_buffers(c: &dyn Collective, stores: &[&nn::VarStore]) -> Result<(), TrainError> {
    broadcast_detached(c, variables(stores, true), "broadcasting rank 0's buffers")
}

/// Averages the gradients of `params` over the ranks, in place: consecutive gradients of
/// one kind are flattened into buckets of about [`BUCKET_BYTES`], each bucket summed across
/// ranks, divided by the world size and copied back. Parameters without a gradient are
/// skipped (the network decides which have one, so every rank skips the same).
pub fn average_gradients(c: &dyn Collective, params: &[Tensor]) -> Result<(), TrainError> {
    let w = c.world_size();
    if w == 1 {
        return Ok(());
    }
    let grads: Vec<Tensor> = params
        .iter()
        .map(Tensor::grad)
        .filter(Tensor::defined)
        .collect();
    for bucket in buckets(&grads, BUCKET_BYTES) {
        tch::no_grad(|| -> Result<(), TrainError> {
            let flat = Tensor::cat(
                &bucket.iter().map(|g| g.reshape([-1])).collect::<Vec<_>>(),
                0,
            );
            c.all_reduce_sum(std::slice::from_ref(&flat))
                .map_err(|e| context(c, "averaging gradients", e))?;
            let flat = flat / w as f64;
            let mut at = 0i64;
            for g in bucket {
                let n = g.numel() as i64;
                let mut g = g.shallow_clone();
                g.copy_(&flat.narrow(0, at, n).view_as(&g));
                at += n;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// The step's one collective, after backward: the gradients of `params` (those that have
/// one), divided by the world size, and the step's vector `values` ([`crate::steplog`]: loss
/// parts, non-finite flag, control flags, float32) summed over the ranks in a single
/// all-reduce (libtorch's c10d flattens tensors of one kind into one buffer). `values` stays
/// a sum. Dividing first, as DDP's own hook does, makes this the same arithmetic, in the same
/// buffer layout, as [`GradSync`]'s overlapped all-reduce of one bucket. Nothing happens for
/// one process.
pub fn reduce_step(
    c: &dyn Collective,
    params: &[Tensor],
    values: &Tensor,
) -> Result<(), TrainError> {
    let w = c.world_size();
    if w == 1 {
        return Ok(());
    }
    let mut ts = grads_of(params);
    if !same_kind(&ts, values) {
        // Gradients of another kind travel in buckets of their own (more collectives).
        average_gradients(c, params)?;
        return tch::no_grad(|| c.all_reduce_sum(std::slice::from_ref(values)))
            .map_err(|e| context(c, "the step's all-reduce", e));
    }
    crate::shim::foreach_div(&ts, w as f64)?;
    ts.push(values.shallow_clone());
    tch::no_grad(|| c.all_reduce_sum(&ts)).map_err(|e| context(c, "the step's all-reduce", e))
}

fn grads_of(params: &[Tensor]) -> Vec<Tensor> {
    params
        .iter()
        .map(Tensor::grad)
        .filter(Tensor::defined)
        .collect()
}

fn same_kind(grads: &[Tensor], values: &Tensor) -> bool {
    grads
        .iter()
        .all(|g| g.kind() == values.kind() && g.device() == values.device())
}

/// The training step's backward pass and gradient averaging (see the module's notes).
///
/// A process's first step reads, from the autograd graph of its loss, the parameters the
/// network uses in the order the forward pass used them ([`ecg_dist::forward_order`]), runs
/// backward, then [`reduce_step`] over them in that order. From the next step on, libtorch's
/// DDP engine (`c10d::Reducer`) over the same parameters averages the gradients during
/// backward: buckets in the reverse of that order (the order backward makes gradients
/// ready, as DDP's), each bucket's all-reduce started as soon as its gradients are all
/// there, overlapping what is left of backward, the step's `values` riding in the last
/// bucket. With one bucket the buffer layout and arithmetic are exactly [`reduce_step`]'s,
/// so the two give the same bits (a resumed run, whose first step is the plain one, stays
/// bit-exact by construction; with several buckets, for 2 ranks).
pub struct GradSync<'a> {
    coll: &'a dyn Collective,
    overlap: bool,
    bucket_bytes: usize,
    /// The parameters in forward order, read in the first step.
    order: Option<Vec<Tensor>>,
    reducer: Option<Box<dyn StepReduce + 'a>>,
}

impl<'a> GradSync<'a> {
    pub fn new(coll: &'a dyn Collective, overlap: bool, bucket_mb: f64) -> GradSync<'a> {
        GradSync {
            coll,
            overlap: overlap && coll.world_size() > 1,
            bucket_bytes: (bucket_mb * 1024.0 * 1024.0) as usize,
            order: None,
            reducer: None,
        }
    }

    /// All-reduces per step once the DDP engine runs (`None` before, or without one).
    pub fn buckets(&self) -> Option<usize> {
        self.reducer.as_ref().map(|r| r.buckets())
    }

    /// `loss.backward()`, with the gradients averaged and `values` summed over the ranks
    /// when the DDP engine runs; otherwise [`GradSync::after_backward`] does it. `params`
    /// (the optimizer's) is called only in a data-parallel process's first step.
    pub fn backward(
        &mut self,
        loss: &Tensor,
        params: impl FnOnce() -> Vec<Tensor>,
        values: &Tensor,
    ) -> Result<(), TrainError> {
        if self.order.is_none() && self.coll.world_size() > 1 {
            let order = ecg_dist::forward_order(loss, &params()).map_err(|e| {
                TrainError::Other(format!("reading the autograd graph's parameter order: {e}"))
            })?;
            self.order = Some(order);
        }
        match &mut self.reducer {
            Some(r) => {
                r.prepare(values)?;
                loss.f_backward()
                    .map_err(|e| context(self.coll, "backward", r.backward_error(e.to_string())))
            }
            None => loss
                .f_backward()
                .map_err(|e| TrainError::Other(format!("backward: {e}"))),
        }
    }

    /// After [`GradSync::backward`]: the plain all-reduce over the parameters in forward
    /// order when the DDP engine did not run (nothing for one process), and the engine made
    /// for the next steps.
    pub fn after_backward(&mut self, values: &Tensor) -> Result<(), TrainError> {
        if self.reducer.is_some() {
            return Ok(());
        }
        let params = self.order.as_deref().unwrap_or_default();
        reduce_step(self.coll, params, values)?;
        let with_grad: Vec<Tensor> = params
            .iter()
            .filter(|p| p.grad().defined())
            .map(Tensor::shallow_clone)
            .collect();
        if self.overlap && !with_grad.is_empty() && same_kind(&grads_of(&with_grad), values) {
            self.reducer = self
                .coll
                .grad_reducer(&with_grad, self.bucket_bytes)
                .map_err(|e| context(self.coll, "making the DDP reducer", e))?;
        }
        Ok(())
    }
}

/// Consecutive runs of tensors of one kind and device, each of about `cap` bytes (a tensor
/// larger than `cap` is a bucket of its own).
pub fn buckets(ts: &[Tensor], cap: usize) -> Vec<Vec<&Tensor>> {
    let mut out: Vec<Vec<&Tensor>> = Vec::new();
    let mut bytes = 0usize;
    for t in ts {
        let size = t.numel() * t.kind().elt_size_in_bytes();
        let fits = out.last().is_some_and(|b| {
            let last = b[0];
            last.kind() == t.kind() && last.device() == t.device() && bytes + size <= cap
        });
        if fits {
            bytes += size;
            if let Some(b) = out.last_mut() {
                b.push(t);
            }
        } else {
            out.push(vec![t]);
            bytes = size;
        }
    }
    out
}

/// Sums `values` over the ranks (f64, exact for one rank).
pub fn sum_f64(c: &dyn Collective, values: &mut [f64], what: &str) -> Result<(), TrainError> {
    if c.world_size() == 1 {
        return Ok(());
    }
    let t = Tensor::from_slice(values);
    c.all_reduce_sum(std::slice::from_ref(&t))
        .map_err(|e| context(c, what, e))?;
    let v: Vec<f64> = Vec::try_from(&t)
        .map_err(|e| TrainError::Other(format!("{what}: reading the sum: {e}")))?;
    values.copy_from_slice(&v);
    Ok(())
}

/// Replaces `values` by rank 0's: a decision every rank takes identically.
pub fn agree_f64(c: &dyn Collective, values: &mut [f64], what: &str) -> Result<(), TrainError> {
    if c.world_size() == 1 {
        return Ok(());
    }
    let t = Tensor::from_slice(values);
    c.broadcast(std::slice::from_ref(&t), 0)
        .map_err(|e| context(c, what, e))?;
    let v: Vec<f64> = Vec::try_from(&t)
        .map_err(|e| TrainError::Other(format!("{what}: reading the broadcast: {e}")))?;
    values.copy_from_slice(&v);
    Ok(())
}

/// Every rank's rows of `t`, concatenated in rank order (`t` itself for one rank).
pub fn gather_rows(c: &dyn Collective, t: &Tensor, what: &str) -> Result<Tensor, TrainError> {
    if c.world_size() == 1 {
        return Ok(t.shallow_clone());
    }
    c.all_gather(&t.contiguous())
        .map_err(|e| context(c, what, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn buckets_split_by_size_and_kind() {
        let f = |n: i64| Tensor::zeros([n], (Kind::Float, Device::Cpu));
        let d = Tensor::zeros([2], (Kind::Double, Device::Cpu));
        let ts = vec![f(10), f(10), f(30), d, f(1)];
        // cap 80 bytes: 40 + 40 fit, 120 alone, the double apart, then the last float.
        let b = buckets(&ts, 80);
        let sizes: Vec<usize> = b.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 1, 1, 1]);
    }

    #[test]
    fn single_is_the_identity() {
        let s = Single;
        let vs = nn::VarStore::new(Device::Cpu);
        let x = vs.root().var("x", &[3], nn::Init::Const(2.0));
        (&x * &x).sum(Kind::Float).backward();
        average_gradients(&s, &[x.shallow_clone()]).expect("avg");
        let g: Vec<f32> = Vec::try_from(&x.grad()).expect("g");
        assert_eq!(g, vec![4.0, 4.0, 4.0]);
        let mut v = [1.5, -2.0];
        sum_f64(&s, &mut v, "t").expect("sum");
        agree_f64(&s, &mut v, "t").expect("agree");
        assert_eq!(v, [1.5, -2.0]);
        assert!(is_writer(&s));
    }
}
