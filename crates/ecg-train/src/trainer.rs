//! The training loop (plain and distillation): AdamW with a step schedule, gradient
//! clipping, per-step seeding, NaN/Inf detection, validation macro-AUC after every epoch,
//! early stopping, atomic best/last checkpoints, exact resume, metrics JSONL.
//!
//! [`Trainer`] is the loop in named steps (prepare, epoch, step, validate, checkpoint,
//! finish); one process and every rank of a data-parallel job run the same code, the rank
//! logic being the [`Collective`] seam.
use crate::checkpoint::{
    self, write_json, write_together, Preprocessing, Resume, RunDir, RunState,
};
use crate::clt::CltStep;
use crate::collective::{
    agree_f64, broadcast_buffers, broadcast_state, context, is_writer, Collective, GradSync, Single,
};
use crate::config::TrainConfig;
use crate::control::{Control, Decision, Stop};
use crate::data::{Batch, Prepared, Shard, TrainLoader};
use crate::distill::Teacher;
use crate::error::TrainError;
use crate::files::{append_line, save_vs};
use crate::optim::AdamW;
use crate::profile::{ProfileSteps, StepProfiler};
pub use crate::run::{config_differences, step_seed};
use crate::run::{record_world, resolve_resume, resume_state, stop_message};
use crate::score::score_split_shared;
use crate::shim::Range;
use crate::steplog::{StepInfo, StepLog, N_CONTROL};
use ecg_nn::{EcgNet, ModelSpec};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tch::{nn, Device, Tensor};
use tracing_indicatif::span_ext::IndicatifSpanExt;

/// Options that come from the command line rather than the config.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Whether to continue the run in `train.output_dir` from its last checkpoint.
    pub resume: Resume,
    /// Teacher checkpoint for distillation (overrides `distill.teacher`).
    pub teacher: Option<PathBuf>,
    /// Show progress bars (the CLI sets this; tests leave it off).
    pub progress: bool,
    /// Record these global steps with libtorch's profiler into `<run>/profile/`.
    pub profile_steps: Option<ProfileSteps>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainOutcome {
    pub run_dir: PathBuf,
    pub state: RunState,
    /// Mean training loss of each epoch run in this call.
    pub epoch_losses: Vec<f64>,
    /// Validation macro-AUC of each epoch run in this call.
    pub val_aucs: Vec<Option<f64>>,
    /// Stopped before its end by `train.stop_after_steps` or a signal, after writing
    /// its last checkpoint (resume to continue).
    pub interrupted: bool,
    /// What stopped it, when `interrupted`.
    pub stop: Option<Stop>,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Serialize)]
struct EpochLine {
    epoch: usize,
    global_step: usize,
    lr: f64,
    train_loss: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    train_task_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    train_kd_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    train_feature_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    train_clt_loss: Option<f64>,
    val_macro_auc: Option<f64>,
    best: bool,
    seconds: f64,
    records_per_second: f64,
    /// Seconds of this rank spent averaging gradients across ranks (data-parallel runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    gradient_sync_seconds: Option<f64>,
}

/// Builds the network for `spec` under a fresh VarStore (E from the training split for
/// the label-correlation family).
pub fn build_model(
    data: &Prepared,
    spec: &ModelSpec,
    device: Device,
) -> Result<(nn::VarStore, Box<dyn EcgNet>), TrainError> {
    let vs = nn::VarStore::new(device);
    let e = crate::labels::cooccurrence(&data.train.y)?;
    let net = ecg_nn::build(&vs.root(), spec, Some(&e))?;
    Ok((vs, net))
}

/// The model spec for a prepared dataset and preset.
pub fn model_spec(data: &Prepared, preset: &str) -> Result<ModelSpec, TrainError> {
    let mut spec = ModelSpec::preset(
        preset,
        data.n_classes() as i64,
        data.standard_leads.clone(),
        data.input_len() as i64,
    )?;
    spec.label_names = data.prep.class_names.clone();
    Ok(spec)
}

/// Checks that the teacher at `path` was trained on the student's pack, task, sampling
/// rate and input mode, and gives the student's data the teacher's view of the records
/// (its own leads and standardiser: a 12-lead teacher can teach a single-lead student).
fn attach_teacher(path: &Path, data: &mut Prepared) -> Result<(), TrainError> {
    let tprep = checkpoint::read_preprocessing(path)?;
    let mismatch = |what: &str, t: String, s: String| {
        Err(TrainError::Checkpoint {
            path: path.to_path_buf(),
            msg: format!("teacher {what} {t} differs from the student's {s}"),
        })
    };
    if tprep.class_names != data.prep.class_names {
        return mismatch(
            "classes",
            format!("{:?}", tprep.class_names),
            format!("{:?}", data.prep.class_names),
        );
    }
    if tprep.input != data.prep.input || tprep.rate != data.prep.rate {
        return mismatch(
            "input",
            format!("{:?}@{}Hz", tprep.input, tprep.rate),
            format!("{:?}@{}Hz", data.prep.input, data.prep.rate),
        );
    }
    if tprep.pack_preprocessing != data.prep.pack_preprocessing {
        return mismatch(
            "pack preprocessing",
            format!("{:?}", tprep.pack_preprocessing),
            format!("{:?}", data.prep.pack_preprocessing),
        );
    }
    data.attach_teacher(&tprep, path)
}

fn load_teacher(
    path: &Path,
    data: &Prepared,
    student: &dyn EcgNet,
    d: &crate::config::DistillConfig,
    seed: u64,
    device: Device,
) -> Result<Teacher, TrainError> {
    let (vs, net, spec) = ecg_nn::checkpoint::load(path, device)?;
    if spec.leads.len() != data.teacher_leads() {
        return Err(TrainError::Checkpoint {
            path: path.to_path_buf(),
            msg: format!(
                "the network reads {} leads, its preprocessing sidecar names {}",
                spec.leads.len(),
                data.teacher_leads()
            ),
        });
    }
    Teacher::new(
        net,
        vs,
        student,
        data.n_leads() as i64,
        data.input_len() as i64,
        d,
        data.train.y.view(),
        seed,
    )
}

fn save_model(
    vs: &nn::VarStore,
    spec: &ModelSpec,
    prep: &Preprocessing,
    path: &Path,
) -> Result<(), TrainError> {
    ecg_nn::checkpoint::save(vs, spec, path)?;
    write_json(&RunDir::preprocessing_of(path), prep)
}

/// Trains (or distils, when `cfg.distill` is set) as the config says, in one process.
pub fn train(cfg: &TrainConfig, opts: &TrainOptions) -> Result<TrainOutcome, TrainError> {
    train_with(cfg, opts, &Single)
}

/// Trains as one rank of the job `coll` (see [`crate::collective`]); [`Single`] is the
/// one-process run.
pub fn train_with(
    cfg: &TrainConfig,
    opts: &TrainOptions,
    coll: &dyn Collective,
) -> Result<TrainOutcome, TrainError> {
    let mut t = Trainer::prepare(cfg, opts, coll)?;
    while !t.done() {
        if let Some(stop) = t.epoch()? {
            return t.finish(Some(stop));
        }
    }
    t.finish(None)
}

/// Running sums of one epoch, saved with a checkpoint in its middle.
type Sums = checkpoint::EpochSums;

/// The training loop of one rank, in named steps: [`Trainer::prepare`], then
/// [`Trainer::epoch`] (its [`Trainer::step`]s, [`Trainer::validate`], the checkpoints) until
/// [`Trainer::done`], then [`Trainer::finish`]. Every exchange with the other ranks goes
/// through [`crate::collective`].
pub struct Trainer<'a> {
    cfg: &'a TrainConfig,
    opts: &'a TrainOptions,
    coll: &'a dyn Collective,
    device: Device,
    data: Arc<Prepared>,
    spec: ModelSpec,
    vs: nn::VarStore,
    net: Box<dyn EcgNet>,
    teacher: Option<Teacher>,
    opt: AdamW,
    run: RunDir,
    state: RunState,
    shard: Shard,
    total_steps: usize,
    control: Control,
    epoch_losses: Vec<f64>,
    val_aucs: Vec<Option<f64>>,
    /// The steps' loss, non-finite flag and control flags, on the device until read.
    log: StepLog,
    /// The control flags agreed by every rank at the last read of [`Trainer::log`].
    agreed: [bool; N_CONTROL],
    profiler: StepProfiler,
    /// Backward and the gradient all-reduce (overlapped by libtorch's DDP engine).
    sync: GradSync<'a>,
}

/// The teacher checkpoint of a distillation config (`--teacher` first), checked to exist.
fn teacher_path(cfg: &TrainConfig, opts: &TrainOptions) -> Result<Option<PathBuf>, TrainError> {
    let Some(d) = &cfg.distill else {
        return Ok(None);
    };
    let path = opts
        .teacher
        .clone()
        .or_else(|| d.teacher.clone())
        .ok_or_else(|| {
            TrainError::Other(
                "distillation needs a teacher: pass --teacher or set distill.teacher".into(),
            )
        })?;
    if !path.is_file() {
        return Err(TrainError::Other(format!(
            "distill.teacher / --teacher: no such checkpoint {}",
            path.display()
        )));
    }
    Ok(Some(path))
}

impl<'a> Trainer<'a> {
    /// Builds data, network, teacher and optimizer, resumes or refuses an existing run,
    /// writes the config and world record (rank 0) and gives every rank rank 0's weights.
    pub fn prepare(
        cfg: &'a TrainConfig,
        opts: &'a TrainOptions,
        coll: &'a dyn Collective,
    ) -> Result<Trainer<'a>, TrainError> {
        let device = cfg.train.device.resolve_for(coll.local_rank())?;
        let shard = Shard::of(coll);
        shard.local_batch(cfg.train.batch_size)?;
        tch::manual_seed(cfg.train.seed as i64);
        let mut prepared = Prepared::from_config(cfg)?;
        let teacher_path = teacher_path(cfg, opts)?;
        if let Some(path) = &teacher_path {
            attach_teacher(path, &mut prepared)?;
        }
        let data = Arc::new(prepared);
        let spec = match &cfg.model.encoder {
            Some(enc) => crate::lcd::per_lead_spec(&data, enc, cfg.model.freeze_encoder)?,
            None => model_spec(&data, &cfg.model.preset)?,
        };
        let (vs, net) = build_model(&data, &spec, device)?;
        if let Some(enc) = &cfg.model.encoder {
            crate::lcd::load_encoder_copies(&vs, enc, data.n_leads(), cfg.model.freeze_encoder)?;
        }
        let teacher = match (&teacher_path, &cfg.distill) {
            (Some(path), Some(d)) => Some(load_teacher(
                path,
                &data,
                net.as_ref(),
                d,
                cfg.train.seed,
                device,
            )?),
            _ => None,
        };
        let opt = {
            let mut stores: Vec<(&str, &nn::VarStore)> = vec![("model", &vs)];
            if let Some(t) = &teacher {
                stores.push(("adaptor", &t.adaptor_vs));
            }
            AdamW::new(cfg.optim, &stores)
        };
        let total_steps =
            shard.batches_per_epoch(data.train.len(), cfg.train.batch_size)? * cfg.train.epochs;
        if cfg.train.cudnn_benchmark && device.is_cuda() {
            tch::Cuda::cudnn_set_benchmark(true);
        }
        let run = RunDir::new(&cfg.train.output_dir);
        let profiler = StepProfiler::new(opts.profile_steps, &run.root, device, is_writer(coll));
        let mut t = Trainer {
            cfg,
            opts,
            coll,
            device,
            data,
            spec,
            vs,
            net,
            teacher,
            opt,
            run,
            state: RunState::default(),
            shard,
            total_steps,
            control: Control::new(&cfg.train, coll.rank()),
            epoch_losses: Vec::new(),
            val_aucs: Vec::new(),
            log: StepLog::new(device, coll.world_size()),
            agreed: [false; N_CONTROL],
            profiler,
            sync: GradSync::new(coll, cfg.train.overlap_grad_sync, cfg.train.bucket_mb),
        };
        t.open_run()?;
        let mut stores = vec![&t.vs];
        if let Some(te) = &t.teacher {
            stores.push(&te.adaptor_vs);
        }
        broadcast_state(coll, &stores)?;
        Ok(t)
    }

    /// Resumes the run in the output folder (or refuses to overwrite one), then writes the
    /// config and the world record.
    fn open_run(&mut self) -> Result<(), TrainError> {
        let run = &self.run;
        if is_writer(self.coll) {
            std::fs::create_dir_all(&run.root).map_err(|e| TrainError::io(&run.root, e))?;
        }
        let resume = resolve_resume(self.opts.resume, run, self.coll)?;
        if resume {
            self.state = resume_state(run, self.cfg)?;
            self.vs
                .load(run.last())
                .map_err(|e| TrainError::torch(&run.last(), "loading weights", e))?;
            if let Some(t) = self.teacher.as_mut() {
                t.adaptor_vs
                    .load(run.adaptor())
                    .map_err(|e| TrainError::torch(&run.adaptor(), "loading adaptor", e))?;
            }
            self.opt.load(&run.optimizer())?;
            if self.state.finished {
                tracing::info!("run in {} already finished", run.root.display());
            }
        } else if run.state().exists() {
            return Err(TrainError::Other(format!(
                "{} already holds a run; pass --resume (or --resume auto) to continue it or \
                 choose another train.output_dir",
                run.root.display()
            )));
        }
        if is_writer(self.coll) {
            run.write_config(self.cfg)?;
        }
        record_world(run, self.coll, resume, self.state.global_step)
    }

    /// Whether the run has ended (last epoch done, or stopped early).
    pub fn done(&self) -> bool {
        self.state.finished || self.state.epochs_done >= self.cfg.train.epochs
    }

    /// One epoch (from `state.steps_into_epoch`): its steps (with the step and timed
    /// checkpoints), then validation, early stopping and the checkpoints. `Some` when
    /// `train.stop_after_steps` or a signal stopped it, after the last checkpoint.
    pub fn epoch(&mut self) -> Result<Option<Stop>, TrainError> {
        let epoch = self.state.epochs_done;
        let started = Instant::now();
        let loader = TrainLoader::sharded(
            Arc::clone(&self.data),
            self.cfg,
            epoch,
            self.state.steps_into_epoch,
            self.device,
            self.shard,
        )?;
        let span = self.epoch_span(epoch, loader.remaining());
        let enter = span.enter();
        // A resume in the middle of the epoch continues its sums.
        let mut sums = match self.state.epoch_sums.take() {
            Some(s) if self.state.steps_into_epoch > 0 => s,
            _ => Sums {
                lr: self.cfg.optim.lr,
                ..Default::default()
            },
        };
        let per_epoch = self.total_steps / self.cfg.train.epochs;
        let mut loader = loader;
        while loader.remaining() > 0 {
            let step = self.state.global_step;
            self.profiler.begin_step(step)?;
            let batch = {
                let _r = Range::new("ecg::data_wait");
                loader
                    .next()
                    .map(|b| b.and_then(|mut b| b.ready().map(|()| b)))
            };
            let Some(batch) = batch else { break };
            self.step(&batch?, epoch, &mut sums)
                .map_err(|e| context(self.coll, &format!("step {step}"), e))?;
            self.profiler.end_step(step)?;
            self.show_progress(&span, epoch, &sums, started);
            let decision = self.read_and_decide(&mut sums, loader.remaining() == 0)?;
            if let Some(stop) = self.after_step(decision, per_epoch, &sums, started)? {
                return Ok(Some(stop));
            }
        }
        drop(enter);
        self.read_log(&mut sums)?;
        let auc = self.validate()?;
        self.end_epoch(epoch, auc, &sums, started)?;
        Ok(None)
    }

    /// After a step, what every rank agreed on: stop (`train.stop_after_steps` or a
    /// signal) or write a step/timed checkpoint (not at the epoch's last step, whose end
    /// writes one anyway).
    fn after_step(
        &mut self,
        decision: Decision,
        per_epoch: usize,
        sums: &Sums,
        started: Instant,
    ) -> Result<Option<Stop>, TrainError> {
        let step = self.state.global_step;
        self.state.epoch_sums = Some(Sums {
            seconds: sums.seconds + started.elapsed().as_secs_f64(),
            ..sums.clone()
        });
        let stop = if self.cfg.train.stop_after_steps == Some(step) {
            Some(Stop::AfterSteps)
        } else {
            decision.stop.then(Control::stop_reason)
        };
        if let Some(stop) = stop {
            self.checkpoint_last()?;
            stop_message(self.coll, &stop, step, &self.run);
            return Ok(Some(stop));
        }
        if decision.checkpoint && self.state.steps_into_epoch < per_epoch {
            self.checkpoint_last()?;
            tracing::debug!(step, "step checkpoint written");
        }
        Ok(None)
    }

    fn epoch_span(&self, epoch: usize, len: usize) -> tracing::Span {
        let span = tracing::info_span!("epoch", n = epoch + 1);
        if self.opts.progress {
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{span_child_prefix}{bar:30.cyan/blue} {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]",
            ) {
                span.pb_set_style(&style);
            }
            span.pb_set_length(len as u64);
            span.pb_set_message(&format!("epoch {}/{}", epoch + 1, self.cfg.train.epochs));
        }
        span
    }

    fn show_progress(&self, span: &tracing::Span, epoch: usize, sums: &Sums, started: Instant) {
        if !self.opts.progress {
            return;
        }
        span.pb_inc(1);
        if sums.steps == 0 {
            return;
        }
        let secs = sums.seconds + started.elapsed().as_secs_f64();
        let rate = sums.records as f64 / secs.max(1e-9);
        span.pb_set_message(&format!(
            "epoch {}/{} loss {:.4} {:.0} rec/s",
            epoch + 1,
            self.cfg.train.epochs,
            sums.loss / sums.steps as f64,
            rate
        ));
    }

    /// The losses of one batch: (total, its parts (task, kd, feature[, clt]) when
    /// distilling, CLT's step for the bank update). Nothing is read to the host.
    fn forward(&self, batch: &Batch) -> (Tensor, Vec<Tensor>, Option<CltStep>) {
        let l = crate::distill::forward(
            self.net.as_ref(),
            self.teacher.as_ref(),
            &self.cfg.loss,
            batch,
            self.state.global_step,
        );
        (l.total, l.parts, l.clt)
    }

    /// One optimizer step on this rank's batch, with no host sync: rank 0's buffers (when
    /// `train.broadcast_buffers`), forward, backward, the step's one collective (gradients,
    /// loss parts, non-finite and control flags: [`reduce_step`]), clipping + AdamW (skipped
    /// on the device when some rank's loss is not finite), CLT's bank update with every
    /// rank's batch. The loss is read every `train.log_every` steps ([`Trainer::read_log`]).
    fn step(&mut self, batch: &Batch, epoch: usize, sums: &mut Sums) -> Result<(), TrainError> {
        let (cfg, coll) = (self.cfg, self.coll);
        let step = self.state.global_step;
        sums.lr = cfg.schedule.lr(cfg.optim.lr, step, self.total_steps);
        // Dropout etc. draw from torch's global generator: reseed per step so a resumed
        // run draws exactly what the uninterrupted one drew.
        tch::manual_seed(step_seed(cfg.train.seed, 3, step, coll.rank()));
        if cfg.train.broadcast_buffers {
            broadcast_buffers(coll, &[&self.vs])?;
        }
        // This rank's control flags (stop, timed checkpoint due) ride in the step log's
        // reserved control slots, reduced with the gradients in the step's one collective.
        self.control.offer_to(&mut self.log, Instant::now());
        let (loss, values, clt_step) = {
            let _r = Range::new("ecg::forward");
            let (loss, parts, clt_step) =
                match cfg.train.autocast.then_some(cfg.train.autocast_dtype) {
                    Some(dtype) => {
                        crate::precision::autocast(self.device, dtype, || self.forward(batch))?
                    }
                    None => self.forward(batch),
                };
            let values = self.log.values(&loss, &parts);
            (loss, values, clt_step)
        };
        {
            let _r = Range::new("ecg::backward");
            self.opt.zero_grad()?;
            self.sync.backward(&loss, || self.opt.params(), &values)?;
        }
        let sync = Instant::now();
        {
            let _r = Range::new("ecg::grad_sync");
            self.sync.after_backward(&values)?;
        }
        sums.sync_seconds += sync.elapsed().as_secs_f64();
        {
            let _r = Range::new("ecg::optimizer");
            let info = StepInfo {
                step,
                epoch,
                batch: batch.index,
            };
            let bad = self.log.record(&values, info);
            let _norm = self.opt.step(sums.lr, Some(&bad))?;
        }
        if let (Some(t), Some(st)) = (&self.teacher, &clt_step) {
            if let Some(c) = t.clt() {
                c.update_shared(st, coll)?;
            }
        }
        self.state.global_step += 1;
        self.state.steps_into_epoch += 1;
        sums.records += batch.x.size()[0] as usize * coll.world_size();
        Ok(())
    }

    /// After a step that brings the run to `global_step` steps: reads the step log when it
    /// is due — every `train.log_every` steps, at the epoch's last step (`last`), before a
    /// step checkpoint (`train.checkpoint_every_steps`) or `train.stop_after_steps` — and
    /// decides from the control flags read. These steps are known to every rank without a
    /// read, so every rank reads, and decides, at the same step.
    fn read_and_decide(&mut self, sums: &mut Sums, last: bool) -> Result<Decision, TrainError> {
        let step = self.state.global_step;
        let step_due = self.control.step_checkpoint_due(step);
        let stop_after = self.cfg.train.stop_after_steps == Some(step);
        let mut flags = [false; N_CONTROL];
        if step % self.cfg.train.log_every == 0 || last || step_due || stop_after {
            self.read_log(sums)?;
            flags = self.agreed;
        }
        Ok(self.control.decide(&flags, step))
    }

    /// Reads the steps' losses and flags from the device into `sums` (a non-finite loss is
    /// the error that names its first step) and keeps the control flags every rank agreed on.
    fn read_log(&mut self, sums: &mut Sums) -> Result<(), TrainError> {
        if self.log.pending() == 0 {
            return Ok(());
        }
        let w = {
            let _r = Range::new("ecg::log_read");
            self.log.read()?
        };
        sums.loss += w.parts[0];
        sums.task += w.parts[1];
        sums.kd += w.parts[2];
        sums.feature += w.parts[3];
        sums.clt += w.parts[4];
        sums.steps += w.steps;
        self.agreed = w.control;
        Ok(())
    }

    /// The control flags (see [`crate::steplog::slots::CONTROL`]) every rank agreed on at
    /// the last read; [`Trainer::raise_control`] raises one for the next step.
    pub fn control(&self) -> [bool; N_CONTROL] {
        self.agreed
    }

    /// Raises control flag `i` (`< N_CONTROL`) in this rank's next step.
    pub fn raise_control(&mut self, i: usize) {
        self.log.raise(i);
    }

    /// Validation macro-AUC, scored across the ranks and gathered
    /// ([`score_split_shared`]); every rank returns rank 0's value.
    pub fn validate(&mut self) -> Result<Option<f64>, TrainError> {
        broadcast_buffers(self.coll, &[&self.vs])?;
        let data = &self.data;
        let p = score_split_shared(
            self.net.as_ref(),
            data,
            &data.val,
            self.cfg.train.eval_batch_size,
            self.device,
            self.coll,
        )?;
        let auc = ecg_metrics::macro_auc(data.val.y.view(), p.view())
            .map_err(|e| TrainError::Other(format!("validation macro-AUC: {e}")))?
            .macro_;
        if self.coll.world_size() == 1 {
            return Ok(auc);
        }
        let mut v = [auc.unwrap_or(f64::NAN)];
        agree_f64(self.coll, &mut v, "agreeing on the validation AUC")?;
        Ok((!v[0].is_nan()).then_some(v[0]))
    }

    /// After validation: best checkpoint, metrics line, early stopping, last checkpoint.
    fn end_epoch(
        &mut self,
        epoch: usize,
        auc: Option<f64>,
        sums: &Sums,
        started: Instant,
    ) -> Result<(), TrainError> {
        let state = &mut self.state;
        let improved = match (auc, state.best_val_auc) {
            (Some(a), Some(b)) => a > b,
            (Some(_), None) => true,
            (None, _) => state.best_val_auc.is_none() && state.best_epoch.is_none(),
        };
        state.epochs_done += 1;
        state.steps_into_epoch = 0;
        state.epoch_sums = None;
        if improved {
            state.best_val_auc = auc;
            state.best_epoch = Some(epoch + 1);
            state.epochs_since_best = 0;
            self.checkpoint_best()?;
        } else {
            state.epochs_since_best += 1;
        }
        self.write_metrics(epoch, auc, improved, sums, started)?;
        let n = sums.steps.max(1) as f64;
        self.epoch_losses.push(sums.loss / n);
        self.val_aucs.push(auc);
        let state = &mut self.state;
        if let Some(pat) = self.cfg.train.patience {
            if state.epochs_since_best >= pat {
                tracing::info!("early stopping: no improvement for {pat} epochs");
                state.finished = true;
            }
        }
        if state.epochs_done == self.cfg.train.epochs {
            state.finished = true;
        }
        self.checkpoint_last()
    }

    fn write_metrics(
        &self,
        epoch: usize,
        auc: Option<f64>,
        best: bool,
        sums: &Sums,
        started: Instant,
    ) -> Result<(), TrainError> {
        let n = sums.steps.max(1) as f64;
        let secs = sums.seconds + started.elapsed().as_secs_f64();
        let distil = self.teacher.as_ref();
        let line = EpochLine {
            epoch: epoch + 1,
            global_step: self.state.global_step,
            lr: sums.lr,
            train_loss: sums.loss / n,
            train_task_loss: distil.map(|_| sums.task / n),
            train_kd_loss: distil.map(|_| sums.kd / n),
            train_feature_loss: distil.map(|_| sums.feature / n),
            train_clt_loss: distil.and_then(|t| t.clt()).map(|_| sums.clt / n),
            val_macro_auc: auc,
            best,
            seconds: secs,
            records_per_second: sums.records as f64 / secs.max(1e-9),
            gradient_sync_seconds: (self.coll.world_size() > 1).then_some(sums.sync_seconds),
        };
        if is_writer(self.coll) {
            append_line(&self.run.metrics(), &line)?;
        }
        tracing::info!(
            epoch = epoch + 1,
            train_loss = sums.loss / n,
            val_macro_auc = auc.unwrap_or(f64::NAN),
            "epoch done"
        );
        Ok(())
    }

    /// `checkpoint-best` (rank 0; all its files or none).
    fn checkpoint_best(&self) -> Result<(), TrainError> {
        if !is_writer(self.coll) {
            return Ok(());
        }
        write_together(&self.run.root, "checkpoint-best", |dir| {
            save_model(&self.vs, &self.spec, &self.data.prep, &dir.best())
        })
    }

    /// `checkpoint-last` with the adaptor, optimizer and state (rank 0; all its files or
    /// none, the state last).
    fn checkpoint_last(&mut self) -> Result<(), TrainError> {
        self.control.checkpointed(Instant::now());
        if !is_writer(self.coll) {
            return Ok(());
        }
        write_together(&self.run.root, "checkpoint-last", |dir| {
            save_last(
                dir,
                &self.vs,
                &self.spec,
                &self.data.prep,
                self.teacher.as_ref(),
                &self.opt,
                &self.state,
            )
        })
    }

    /// Waits for every rank (rank 0's files are then written) and reports.
    pub fn finish(mut self, stop: Option<Stop>) -> Result<TrainOutcome, TrainError> {
        self.profiler.stop()?;
        self.coll
            .barrier()
            .map_err(|e| context(self.coll, "final barrier", e))?;
        Ok(TrainOutcome {
            run_dir: self.run.root.clone(),
            state: self.state,
            epoch_losses: self.epoch_losses,
            val_aucs: self.val_aucs,
            interrupted: stop.is_some(),
            stop,
        })
    }
}

fn save_last(
    run: &RunDir,
    vs: &nn::VarStore,
    spec: &ModelSpec,
    prep: &Preprocessing,
    teacher: Option<&Teacher>,
    opt: &AdamW,
    state: &RunState,
) -> Result<(), TrainError> {
    save_model(vs, spec, prep, &run.last())?;
    if let Some(t) = teacher {
        save_vs(&t.adaptor_vs, &run.adaptor())?;
    }
    opt.save(&run.optimizer())?;
    // The state goes last: a crash before this line resumes from the previous state.
    write_json(&run.state(), state)
}
