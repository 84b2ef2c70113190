//! The calls into the C++ shims that reach libtorch APIs tch 0.24 does not expose:
//! `csrc/optim.cpp` (the multi-tensor optimizer kernels), `csrc/profiler.cpp`
//! (libtorch's Kineto profiler and RecordFunction ranges) and `csrc/stream.cpp` (batch
//! copies on a CUDA side stream, ordered by an event). Tensors cross as tch's raw
//! pointers (each an `at::Tensor*`); every shim function catches every C++ exception and
//! returns its message. This and [`crate::precision`] are the crate's only `unsafe`.
#![allow(unsafe_code)]

use crate::error::TrainError;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::Path;
use tch::Tensor;

extern "C" {
    fn ecg_optim_free_str(s: *mut c_char);
    fn ecg_optim_zero_grad(params: *const *mut c_void, n: usize, err: *mut *mut c_char) -> i32;
    fn ecg_optim_foreach_div(
        ts: *const *mut c_void,
        n: usize,
        d: f64,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_optim_adamw_step(
        params: *const *mut c_void,
        grads: *const *mut c_void,
        exp_avgs: *const *mut c_void,
        exp_avg_sqs: *const *mut c_void,
        n: usize,
        step: *mut c_void,
        found_inf: *mut c_void,
        bad: *mut c_void,
        lr: f64,
        beta1: f64,
        beta2: f64,
        weight_decay: f64,
        eps: f64,
        max_norm: f64,
        norm_out: *mut *mut c_void,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_prof_start(cuda: i32, err: *mut *mut c_char) -> i32;
    fn ecg_prof_stop(path: *const c_char, err: *mut *mut c_char) -> i32;
    fn ecg_range_begin(name: *const c_char) -> *mut c_void;
    fn ecg_range_end(range: *mut c_void);
    fn ecg_stream_upload(
        hosts: *const *mut c_void,
        n: usize,
        device_index: i32,
        outs: *mut *mut c_void,
        event: *mut *mut c_void,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_stream_ready(
        event: *mut c_void,
        tensors: *const *mut c_void,
        n: usize,
        err: *mut *mut c_char,
    ) -> i32;
    fn ecg_stream_event_free(event: *mut c_void);
}

/// The event recorded on a loader thread's copy stream after a batch's copies (CUDA).
#[derive(Debug)]
pub struct CopyDone(*mut c_void);

// SAFETY: a c10::Event may be used from any thread; this handle is owned by one Batch.
unsafe impl Send for CopyDone {}

impl Drop for CopyDone {
    fn drop(&mut self) {
        // SAFETY: made by ecg_stream_upload, freed once.
        unsafe { ecg_stream_event_free(self.0) }
    }
}

impl CopyDone {
    /// The calling thread's current stream waits (on the device) for the copies, and the
    /// caching allocator learns that `tensors` are used on that stream.
    pub fn ready(&self, tensors: &[&Tensor]) -> Result<(), TrainError> {
        let p: Vec<*mut c_void> = tensors.iter().map(|t| ptr(t)).collect();
        let mut err = std::ptr::null_mut();
        // SAFETY: a live event; `p` holds valid tensor pointers for the call.
        let rc = unsafe { ecg_stream_ready(self.0, p.as_ptr(), p.len(), &mut err) };
        check(rc, err, "waiting for a batch's copy")
    }
}

/// Copies CPU `hosts` to CUDA device `index` from page-locked memory, without blocking, on
/// this thread's copy stream; the returned event follows the copies.
pub fn upload_on_copy_stream(
    hosts: &[Tensor],
    index: usize,
) -> Result<(Vec<Tensor>, CopyDone), TrainError> {
    let p = ptrs(hosts);
    let mut outs: Vec<*mut c_void> = vec![std::ptr::null_mut(); hosts.len()];
    let mut event = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    let index = i32::try_from(index).map_err(|_| TrainError::Device(format!("cuda:{index}")))?;
    // SAFETY: `p` holds valid tensor pointers for the call; `outs` has one slot per tensor.
    let rc = unsafe {
        ecg_stream_upload(
            p.as_ptr(),
            p.len(),
            index,
            outs.as_mut_ptr(),
            &mut event,
            &mut err,
        )
    };
    check(rc, err, "copying a batch to the GPU")?;
    let done = CopyDone(event);
    // SAFETY: each is a fresh `new at::Tensor` owned by nothing else; tch deletes it on drop.
    let ts = outs
        .into_iter()
        .map(|o| unsafe { Tensor::from_ptr(o.cast()) })
        .collect();
    Ok((ts, done))
}

/// Takes the shim's error message (freeing it).
fn take_err(err: *mut c_char) -> String {
    if err.is_null() {
        return "unknown error".into();
    }
    // SAFETY: a NUL-terminated string from strdup in the shim, freed exactly once here.
    let msg = unsafe { CStr::from_ptr(err) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: as above.
    unsafe { ecg_optim_free_str(err) };
    msg
}

fn check(rc: i32, err: *mut c_char, what: &str) -> Result<(), TrainError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(TrainError::Device(format!(
            "libtorch {what}: {}",
            take_err(err)
        )))
    }
}

fn ptr(t: &Tensor) -> *mut c_void {
    t.as_ptr() as *mut c_void
}

fn ptrs(ts: &[Tensor]) -> Vec<*mut c_void> {
    ts.iter().map(ptr).collect()
}

/// Drops the gradients of `params` (`zero_grad(set_to_none=True)`).
pub fn zero_grad(params: &[Tensor]) -> Result<(), TrainError> {
    let p = ptrs(params);
    let mut err = std::ptr::null_mut();
    // SAFETY: `p` holds valid tensor pointers that outlive the call; the shim catches every
    // C++ exception.
    let rc = unsafe { ecg_optim_zero_grad(p.as_ptr(), p.len(), &mut err) };
    check(rc, err, "zero_grad")
}

/// Divides every tensor by `d`, in place (`_foreach_div_`).
pub fn foreach_div(ts: &[Tensor], d: f64) -> Result<(), TrainError> {
    let p = ptrs(ts);
    let mut err = std::ptr::null_mut();
    // SAFETY: as in [`zero_grad`].
    let rc = unsafe { ecg_optim_foreach_div(p.as_ptr(), p.len(), d, &mut err) };
    check(rc, err, "_foreach_div_")
}

/// The tensors of one optimizer step, in matching order.
#[derive(Default)]
pub struct ParamGroup {
    params: Vec<Tensor>,
    grads: Vec<Tensor>,
    exp_avgs: Vec<Tensor>,
    exp_avg_sqs: Vec<Tensor>,
}

impl ParamGroup {
    pub fn push(&mut self, param: &Tensor, grad: Tensor, m: &Tensor, v: &Tensor) {
        self.params.push(param.shallow_clone());
        self.grads.push(grad);
        self.exp_avgs.push(m.shallow_clone());
        self.exp_avg_sqs.push(v.shallow_clone());
    }
}

/// AdamW's hyper-parameters for one step; `max_norm <= 0` turns clipping off.
pub struct AdamWHyper {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub weight_decay: f64,
    pub eps: f64,
    pub max_norm: f64,
}

/// Clipping + `at::_fused_adamw_` (see `csrc/optim.cpp`); returns the total gradient norm
/// before clipping (a device scalar).
pub fn adamw_step(
    g: &ParamGroup,
    counter: &Tensor,
    found_inf: &Tensor,
    bad: Option<&Tensor>,
    h: &AdamWHyper,
) -> Result<Tensor, TrainError> {
    let (p, gr, m, v) = (
        ptrs(&g.params),
        ptrs(&g.grads),
        ptrs(&g.exp_avgs),
        ptrs(&g.exp_avg_sqs),
    );
    let bad = bad.map_or(std::ptr::null_mut(), ptr);
    let mut norm: *mut c_void = std::ptr::null_mut();
    let mut err = std::ptr::null_mut();
    // SAFETY: every pointer is a valid tensor that outlives the call (or null for `bad`);
    // `norm` receives a new heap at::Tensor whose ownership passes to the returned Tensor;
    // the shim catches every C++ exception.
    let rc = unsafe {
        ecg_optim_adamw_step(
            p.as_ptr(),
            gr.as_ptr(),
            m.as_ptr(),
            v.as_ptr(),
            p.len(),
            ptr(counter),
            ptr(found_inf),
            bad,
            h.lr,
            h.beta1,
            h.beta2,
            h.weight_decay,
            h.eps,
            h.max_norm,
            &mut norm,
            &mut err,
        )
    };
    check(rc, err, "AdamW step")?;
    // SAFETY: on success the shim stored a `new at::Tensor`, owned from here on.
    Ok(unsafe { Tensor::from_ptr(norm as *mut _) })
}

/// Starts libtorch's Kineto profiler on this thread (CPU activities, and CUDA's when
/// `cuda`).
pub fn profiler_start(cuda: bool) -> Result<(), TrainError> {
    let mut err = std::ptr::null_mut();
    // SAFETY: integer argument; the shim catches every C++ exception.
    let rc = unsafe { ecg_prof_start(i32::from(cuda), &mut err) };
    check(rc, err, "profiler start")
}

/// Stops the profiler and writes its Chrome trace to `path`.
pub fn profiler_stop(path: &Path) -> Result<(), TrainError> {
    let c = CString::new(path.to_string_lossy().as_bytes())
        .map_err(|_| TrainError::Other(format!("{}: a NUL byte in the path", path.display())))?;
    let mut err = std::ptr::null_mut();
    // SAFETY: `c` outlives the call; the shim catches every C++ exception.
    let rc = unsafe { ecg_prof_stop(c.as_ptr(), &mut err) };
    check(rc, err, "profiler stop")
}

/// A named RecordFunction range (what `torch.profiler.record_function` opens); ends when
/// dropped. Costs next to nothing while no profiler runs.
pub struct Range(*mut c_void);

impl Range {
    pub fn new(name: &str) -> Range {
        let c = CString::new(name).unwrap_or_default();
        // SAFETY: `c` outlives the call; the shim returns an owned handle or null.
        Range(unsafe { ecg_range_begin(c.as_ptr()) })
    }
}

impl Drop for Range {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the handle from ecg_range_begin, ended and freed exactly once.
            unsafe { ecg_range_end(self.0) };
        }
    }
}
