//! One distillation step (METHODS §5): the frozen teacher, the adaptor that maps the
//! student's head input to the teacher's, MVKT's contrastive term, and the forward pass
//! that combines them — the code [`crate::trainer::Trainer`] runs for every batch, kept apart
//! so that `tests/golden_distill_step.rs` checks it against PyTorch.
//!
//! The teacher is frozen (its VarStore is frozen: no gradient reaches it), runs in eval mode
//! (batch norm on its running statistics, which it never updates; dropout off) under
//! no-grad, on the batch's teacher view of the same crops (`Batch::x_teacher`: its own leads
//! and standardiser) or, when the views coincide, on the student's input.
use crate::clt::{Clt, CltStep};
use crate::config::DistillConfig;
use crate::data::Batch;
use crate::error::TrainError;
use crate::loss::{kd_loss, KdWeights, TaskLoss};
use ecg_nn::EcgNet;
use ndarray::ArrayView2;
use tch::{nn, Device, Kind, Tensor};

/// A frozen teacher with the linear adaptor mapping the student's head input to the
/// teacher's, and MVKT's contrastive term.
pub struct Teacher {
    net: Box<dyn EcgNet>,
    vs: nn::VarStore,
    /// The adaptor's and CLT's variables (trained with the student, saved as
    /// `adaptor.safetensors`).
    pub adaptor_vs: nn::VarStore,
    adaptor: Option<nn::Linear>,
    /// MVKT's contrastive term (its maps and memory banks live in `adaptor_vs`).
    clt: Option<Clt>,
    weights: KdWeights,
}

impl std::fmt::Debug for Teacher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Teacher({:?}, {:?})",
            self.net.spec().preset,
            self.weights
        )
    }
}

/// The feature sizes a network gives its head on an input `[2, leads, len]` of zeros.
fn head_input_size(net: &dyn EcgNet, leads: i64, len: i64, device: Device) -> i64 {
    let x = Tensor::zeros([2, leads, len], (Kind::Float, device));
    let s = tch::no_grad(|| net.forward_t(&x, false).head_input.size());
    s[s.len() - 1]
}

impl Teacher {
    /// Freezes `vs` (the teacher network's variables) and builds the adaptor (when β > 0)
    /// and CLT (when configured) for a student reading `[batch, student_leads, len]`;
    /// `train_y` `[N, K]` are the training split's labels (CLT's banks and negatives).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        net: Box<dyn EcgNet>,
        mut vs: nn::VarStore,
        student: &dyn EcgNet,
        student_leads: i64,
        len: i64,
        d: &DistillConfig,
        train_y: ArrayView2<u8>,
        seed: u64,
    ) -> Result<Teacher, TrainError> {
        vs.freeze();
        let device = vs.device();
        let weights = d.weights();
        let adaptor_vs = nn::VarStore::new(device);
        let ds = head_input_size(student, student_leads, len, device);
        let dt = head_input_size(net.as_ref(), net.spec().leads.len() as i64, len, device);
        let adaptor = (weights.beta > 0.0)
            .then(|| nn::linear(adaptor_vs.root() / "adaptor", ds, dt, Default::default()));
        let clt = match &d.clt {
            Some(c) => Some(Clt::new(&adaptor_vs.root(), c, ds, dt, train_y, seed)?),
            None => None,
        };
        Ok(Teacher {
            net,
            vs,
            adaptor_vs,
            adaptor,
            clt,
            weights,
        })
    }

    /// The teacher network.
    pub fn net(&self) -> &dyn EcgNet {
        self.net.as_ref()
    }

    /// The teacher network's variables by name (frozen; batch-norm running statistics
    /// included).
    pub fn net_variables(&self) -> std::collections::HashMap<String, Tensor> {
        self.vs.variables()
    }

    /// MVKT's contrastive term, when configured.
    pub fn clt(&self) -> Option<&Clt> {
        self.clt.as_ref()
    }

    /// The weights of the loss.
    pub fn weights(&self) -> &KdWeights {
        &self.weights
    }
}

/// What one distillation forward computed.
#[derive(Debug)]
pub struct StepLosses {
    /// The loss to back-propagate.
    pub total: Tensor,
    /// (task, KD, feature[, CLT]) as scalar tensors on the device, for the step log
    /// ([`crate::steplog::StepLog::values`] accumulates them there; nothing is read back
    /// here); empty without a teacher.
    pub parts: Vec<Tensor>,
    /// CLT's step, for the memory-bank update after the optimizer step.
    pub clt: Option<CltStep>,
}

/// The forward pass of one training step: the student in training mode on `batch.x`, the
/// task loss, and with a teacher `(1−α)·task + α·T²·KD + β·H + w·CLT`, the teacher in eval
/// mode under no-grad on the batch's teacher view. `step` seeds CLT's negatives.
pub fn forward(
    student: &dyn EcgNet,
    teacher: Option<&Teacher>,
    loss: &TaskLoss,
    batch: &Batch,
    step: usize,
) -> StepLosses {
    let out = student.forward_t(&batch.x, true);
    let logits = out.logits.to_kind(Kind::Float);
    let task = loss.compute(&logits, &batch.y);
    let Some(t) = teacher else {
        return StepLosses {
            total: task,
            parts: Vec::new(),
            clt: None,
        };
    };
    let tx = batch.x_teacher.as_ref().unwrap_or(&batch.x);
    let tout = tch::no_grad(|| t.net.forward_t(tx, false));
    let tlogits = tout.logits.to_kind(Kind::Float);
    let hs = out.head_input.to_kind(Kind::Float);
    let mapped = t.adaptor.as_ref().map(|a| nn::Module::forward(a, &hs));
    let th = tout.head_input.to_kind(Kind::Float);
    let feats = mapped.as_ref().map(|m| (m, &th));
    let terms = kd_loss(task, &tlogits, &logits, feats, &t.weights);
    let clt_step = t.clt.as_ref().map(|c| c.step(&hs, &th, &batch.rows, step));
    let mut parts = vec![terms.task, terms.kd, terms.feature];
    let total = match (&t.clt, &clt_step) {
        (Some(c), Some(st)) => {
            parts.push(st.loss.shallow_clone());
            terms.total + c.weight() * &st.loss
        }
        _ => terms.total,
    };
    StepLosses {
        total,
        parts,
        clt: clt_step,
    }
}
