//! LCD self-supervised pretraining of a single-lead encoder (Liu et al. 2025, METHODS §5), and the
//! start of its downstream use.
//!
//! Per step, for every record: two different leads a ≠ b and three independently augmented
//! single-lead views (random resized crop keeping 50–100 %, resampled to full length; then
//! time-out of 0–50 %): x1 from lead a, x2 from lead b, x3 from lead a. Online encoder f +
//! projector + predictor g; target = EMA (m = 0.996) of encoder + projector.
//! `q1 = g(f(x1))`, `q2 = g(f(x2))`, `z3 = target(x3)`;
//! `L = mean(2 − 2cos(q1, z3)) + mean(2 − 2cos(q2, z3)) + γ·D`, with
//! `D = Σ_i (C_ii − 1)² + 0.0051·Σ_{i≠j} C_ij²`, `C = BN(u)ᵀBN(u)/B`, `u = [h1 ‖ h2]` the two
//! online projections concatenated along the feature axis, BN without affine parameters.
//!
//! Output: `encoder.safetensors` (+ spec sidecar), written atomically after every epoch, and
//! `metrics.jsonl`. Downstream, `model.preset = "per_lead"` with `model.encoder` builds one
//! copy of the encoder per lead (`ecg_nn` per-lead network), fine-tuned or frozen
//! (`model.freeze_encoder`, linear probe), optionally on `data.train_fraction` of the labels.
//! A stopped run continues exactly with `--resume` (online and target networks, projector,
//! predictor, optimizer moments and the step are saved as `checkpoint-last.*`; every random
//! draw is a function of the seed, the epoch, the record and the step).
use crate::checkpoint::{write_json, write_together, Resume, RunDir, RunState};
use crate::collective::{broadcast_buffers, broadcast_state, is_writer, Collective, GradSync};
use crate::config::{LcdConfig, TrainConfig};
use crate::control::{Control, Stop};
use crate::data::{mix_seed, Prepared, Shard, TrainLoader};
use crate::error::TrainError;
use crate::optim::AdamW;
use crate::profile::{ProfileSteps, StepProfiler};
use crate::shim::Range;
use crate::steplog::{StepInfo, StepLog, Window, N_CONTROL};
use ecg_nn::{ArchConfig, ModelSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tch::nn::ModuleT;
use tch::{nn, Device, Kind, Tensor};

/// How a pretraining run ended.
#[derive(Debug, Clone, Serialize)]
pub struct PretrainOutcome {
    pub run_dir: PathBuf,
    /// The encoder checkpoint (`encoder.safetensors`).
    pub encoder: PathBuf,
    pub epoch_losses: Vec<f64>,
    pub state: RunState,
    /// Stopped by `train.stop_after_steps` or a signal (`--resume` continues).
    pub interrupted: bool,
    /// What stopped it, when `interrupted`.
    pub stop: Option<Stop>,
}

/// Everything a resumed pretraining needs, written after every epoch and at a stop: all
/// its files or none, the state file last ([`write_together`]).
#[allow(clippy::too_many_arguments)]
fn save_last(
    run: &RunDir,
    spec: &ModelSpec,
    enc: &nn::VarStore,
    heads: &nn::VarStore,
    target: &nn::VarStore,
    opt: &AdamW,
    state: &RunState,
) -> Result<(), TrainError> {
    write_together(&run.root, "checkpoint-last", |dir| {
        ecg_nn::checkpoint::save(enc, spec, &dir.last())?;
        crate::files::save_vs(heads, &heads_path(dir))?;
        crate::files::save_vs(target, &target_path(dir))?;
        opt.save(&dir.optimizer())?;
        write_json(&dir.state(), state)
    })
}

fn heads_path(run: &RunDir) -> PathBuf {
    run.root.join("checkpoint-last.heads.safetensors")
}

fn target_path(run: &RunDir) -> PathBuf {
    run.root.join("checkpoint-last.target.safetensors")
}

#[derive(Debug, Serialize)]
struct EpochLine {
    epoch: usize,
    global_step: usize,
    lr: f64,
    loss: f64,
    similarity: f64,
    decorrelation: f64,
    seconds: f64,
}

/// `mean(2 − 2 cos(q, z))` over the batch. // q, z: [B, P]
pub fn byol_term(q: &Tensor, z: &Tensor) -> Tensor {
    let cos = Tensor::cosine_similarity(q, z, 1, 1e-8); // [B]
    (cos * -2.0 + 2.0).mean(Kind::Float)
}

/// `D = Σ_i (C_ii − 1)² + off·Σ_{i≠j} C_ij²` with `C = BN(u)ᵀBN(u)/B`. // u: [B, F]
pub fn decorrelation(u: &Tensor, off: f64) -> Tensor {
    let b = u.size()[0] as f64;
    let mean = u.mean_dim(0, true, Kind::Float);
    let var = u.var_dim(0, false, true);
    let bn = (u - mean) / (var + 1e-5).sqrt(); // [B, F]
    let c = bn.tr().mm(&bn) / b; // [F, F]
    let diag = c.diagonal(0, 0, 1);
    let on = (&diag - 1.0).square().sum(Kind::Float);
    let offd = c.square().sum(Kind::Float) - diag.square().sum(Kind::Float);
    on + offd * off
}

/// Two different lead rows of a record: (a, b), a ≠ b, uniform.
pub fn lead_pair(n_leads: usize, rng: &mut ChaCha8Rng) -> (usize, usize) {
    let a = rng.random_range(0..n_leads);
    let mut b = rng.random_range(0..n_leads - 1);
    if b >= a {
        b += 1;
    }
    (a, b)
}

/// One augmented single-lead view: random resized crop, then time-out. // [len]
pub fn view(lead: &[f32], cfg: &LcdConfig, rng: &mut ChaCha8Rng) -> Result<Vec<f32>, TrainError> {
    let dsp = |e: ecg_dsp::DspError| TrainError::Data(format!("LCD view: {e}"));
    let len = lead.len();
    let (mut x, _) =
        ecg_dsp::augment::random_resized_crop(lead, len, cfg.crop_min, 1.0, rng).map_err(dsp)?;
    if cfg.time_out > 0.0 {
        ecg_dsp::augment::time_out(&mut x, len, cfg.time_out, rng).map_err(dsp)?;
    }
    Ok(x)
}

/// `target ← m·target + (1 − m)·online` for every floating-point variable pair.
pub fn ema_update(pairs: &[(Tensor, Tensor)], m: f64) {
    tch::no_grad(|| {
        for (t, o) in pairs {
            if t.is_floating_point() {
                let mut t = t.shallow_clone();
                let _ = t.g_mul_scalar_(m).g_add_(&(o * (1.0 - m)));
            } else {
                let mut t = t.shallow_clone();
                t.copy_(o);
            }
        }
    });
}

/// Projector / predictor MLP: linear → BN → ReLU → linear.
fn mlp(p: nn::Path, cin: i64, hidden: i64, out: i64) -> nn::SequentialT {
    nn::seq_t()
        .add(nn::linear(&p / "fc1", cin, hidden, Default::default()))
        .add(nn::batch_norm1d(&p / "bn", hidden, Default::default()))
        .add_fn(|x| x.relu())
        .add(nn::linear(&p / "fc2", hidden, out, Default::default()))
}

/// The single-lead encoder's spec from a preset (SE-ResNet-1D family only).
pub fn encoder_spec(preset: &str, input_len: i64) -> Result<ModelSpec, TrainError> {
    let spec = ModelSpec::preset(preset, 1, vec![0], input_len)?;
    if !matches!(spec.arch, ArchConfig::SeResNet1d(_)) {
        return Err(TrainError::Other(format!(
            "model.preset = `{preset}`: LCD encoders are single-lead SE-ResNet-1D networks \
             (preset `se_resnet1d`)"
        )));
    }
    Ok(spec)
}

/// Online/target variable pairs: the target store holds `encoder.*` and `projector.*`.
fn pairs(
    target: &nn::VarStore,
    encoder: &nn::VarStore,
    heads: &nn::VarStore,
) -> Result<Vec<(Tensor, Tensor)>, TrainError> {
    let (ev, hv) = (encoder.variables(), heads.variables());
    target
        .variables()
        .into_iter()
        .map(|(name, t)| {
            let online = match name.strip_prefix("encoder.") {
                Some(rest) => ev.get(rest),
                None => hv.get(&name),
            };
            online.map(|o| (t, o.shallow_clone())).ok_or_else(|| {
                TrainError::Other(format!("LCD target variable {name} has no online twin"))
            })
        })
        .collect()
}

/// Runs LCD pretraining as `cfg` (with an `[lcd]` table) says; `resume` continues the run
/// in `train.output_dir`.
pub fn pretrain(
    cfg: &TrainConfig,
    resume: impl Into<Resume>,
    progress: bool,
) -> Result<PretrainOutcome, TrainError> {
    pretrain_with(cfg, resume, progress, None, &crate::collective::Single)
}

/// [`pretrain`] as one rank of the job `coll`: rank 0's weights at the start and its
/// buffers before every step (online and target), this rank's shard of every epoch,
/// gradients averaged over the ranks; the target stays identical on every rank because
/// its EMA follows identical online weights. Rank 0 alone writes the run folder.
/// `profile` records those steps with libtorch's profiler (see [`crate::profile`]).
pub fn pretrain_with(
    cfg: &TrainConfig,
    resume: impl Into<Resume>,
    progress: bool,
    profile: Option<ProfileSteps>,
    coll: &dyn Collective,
) -> Result<PretrainOutcome, TrainError> {
    let lcd = cfg.lcd.ok_or_else(|| {
        TrainError::Other("ecg pretrain needs an [lcd] table in the config".into())
    })?;
    let device: Device = cfg.train.device.resolve_for(coll.local_rank())?;
    let shard = Shard::of(coll);
    shard.local_batch(cfg.train.batch_size)?;
    tch::manual_seed(cfg.train.seed as i64);
    let data = Arc::new(Prepared::from_config(cfg)?);
    let n_leads = data.n_leads();
    if n_leads < 2 {
        return Err(TrainError::Data(format!(
            "data.leads: LCD contrasts two different leads per record; the config gives {n_leads}"
        )));
    }
    let len = data.input_len();
    let spec = encoder_spec(&cfg.model.preset, len as i64)?;
    let c = match &spec.arch {
        ArchConfig::SeResNet1d(a) => a.stages.last().map_or(a.stem_channels, |s| s.channels),
        _ => unreachable!("checked by encoder_spec"),
    };
    let (hidden, dim) = (lcd.hidden as i64, lcd.dim as i64);

    let mut enc_vs = nn::VarStore::new(device);
    let encoder = ecg_nn::build(&enc_vs.root(), &spec, None)?;
    let mut head_vs = nn::VarStore::new(device);
    let projector = mlp(head_vs.root() / "projector", c, hidden, dim);
    let predictor = mlp(head_vs.root() / "predictor", dim, hidden, dim);
    let mut tgt_vs = nn::VarStore::new(device);
    let t_encoder = ecg_nn::build(&(tgt_vs.root() / "encoder"), &spec, None)?;
    let t_projector = mlp(tgt_vs.root() / "projector", c, hidden, dim);
    let pairs = pairs(&tgt_vs, &enc_vs, &head_vs)?;
    ema_update(&pairs, 0.0); // target = online at the start

    let run = RunDir::new(&cfg.train.output_dir);
    let encoder_path = run.root.join("encoder.safetensors");
    let mut opt = AdamW::new(cfg.optim, &[("encoder", &enc_vs), ("heads", &head_vs)]);
    let mut state = RunState::default();
    let mode: Resume = resume.into();
    let resume = crate::run::resolve_resume(mode, &run, coll)?;
    if resume {
        state = crate::run::resume_state(&run, cfg)?;
        let load = |vs: &mut nn::VarStore, path: &Path| {
            vs.load(path)
                .map_err(|e| TrainError::torch(path, "loading pretraining state", e))
        };
        load(&mut enc_vs, &run.last())?;
        load(&mut head_vs, &heads_path(&run))?;
        load(&mut tgt_vs, &target_path(&run))?;
        opt.load(&run.optimizer())?;
    } else if mode == Resume::No && (encoder_path.exists() || run.state().exists()) {
        return Err(TrainError::Other(format!(
            "{} already holds a pretraining run; pass --resume (or --resume auto) to continue \
             it or choose another train.output_dir",
            run.root.display()
        )));
    }
    let writer = is_writer(coll);
    if writer {
        std::fs::create_dir_all(&run.root).map_err(|e| TrainError::io(&run.root, e))?;
        run.write_config(cfg)?;
    }
    crate::run::record_world(&run, coll, resume, state.global_step)?;
    broadcast_state(coll, &[&enc_vs, &head_vs, &tgt_vs])?;
    let metrics = run.root.join("metrics.jsonl");

    let mut log = StepLog::new(device, coll.world_size());
    let mut sync = GradSync::new(coll, cfg.train.overlap_grad_sync, cfg.train.bucket_mb);
    let mut profiler = StepProfiler::new(profile, &run.root, device, writer);
    let per_epoch = shard.batches_per_epoch(data.train.len(), cfg.train.batch_size)?;
    let total = per_epoch * cfg.train.epochs;
    let mut step = state.global_step;
    let mut outcome = PretrainOutcome {
        run_dir: run.root.clone(),
        encoder: encoder_path.clone(),
        epoch_losses: Vec::new(),
        state: state.clone(),
        interrupted: false,
        stop: None,
    };
    let mut control = Control::new(&cfg.train, coll.rank());
    while !state.finished && state.epochs_done < cfg.train.epochs {
        let epoch = state.epochs_done;
        let started = Instant::now();
        let loader = TrainLoader::sharded(
            Arc::clone(&data),
            cfg,
            epoch,
            state.steps_into_epoch,
            Device::Cpu,
            shard,
        )?;
        let span = tracing::info_span!("pretrain", epoch = epoch + 1);
        if progress {
            use tracing_indicatif::span_ext::IndicatifSpanExt;
            span.pb_set_length(loader.remaining() as u64);
        }
        let _enter = span.enter();
        let mut window = Window::default();
        let mut lr = cfg.optim.lr;
        let mut loader = loader;
        while loader.remaining() > 0 {
            profiler.begin_step(step)?;
            let wait = Range::new("ecg::data_wait");
            let Some(batch) = loader.next() else { break };
            let mut batch = batch?;
            batch.ready()?;
            lr = cfg.schedule.lr(cfg.optim.lr, step, total);
            tch::manual_seed(crate::run::step_seed(cfg.train.seed, 7, step, coll.rank()));
            if cfg.train.broadcast_buffers {
                broadcast_buffers(coll, &[&enc_vs, &head_vs, &tgt_vs])?;
            }
            let b = batch.x.size()[0] as usize;
            let x: Vec<f32> = Vec::try_from(batch.x.flatten(0, -1))
                .map_err(|e| TrainError::Other(format!("LCD batch: {e}")))?;
            let mut views = [
                Vec::with_capacity(b * len),
                Vec::with_capacity(b * len),
                Vec::with_capacity(b * len),
            ];
            for (i, &row) in batch.rows.iter().enumerate() {
                let mut rng = ChaCha8Rng::seed_from_u64(mix_seed(
                    cfg.train.seed,
                    &[6, epoch as u64, row as u64],
                ));
                let (la, lb) = lead_pair(n_leads, &mut rng);
                let lead = |l: usize| &x[(i * n_leads + l) * len..(i * n_leads + l + 1) * len];
                views[0].extend(view(lead(la), &lcd, &mut rng)?);
                views[1].extend(view(lead(lb), &lcd, &mut rng)?);
                views[2].extend(view(lead(la), &lcd, &mut rng)?);
            }
            let [x1, x2, x3] = views.map(|v| {
                Tensor::from_slice(&v)
                    .reshape([b as i64, 1, len as i64])
                    .to_device(device)
            });
            drop(wait);
            let forward = Range::new("ecg::forward");
            let h1 = projector.forward_t(&encoder.forward_t(&x1, true).head_input, true); // [B, P]
            let h2 = projector.forward_t(&encoder.forward_t(&x2, true).head_input, true);
            let q1 = predictor.forward_t(&h1, true);
            let q2 = predictor.forward_t(&h2, true);
            let z3 = tch::no_grad(|| {
                t_projector.forward_t(&t_encoder.forward_t(&x3, true).head_input, true)
            });
            let sim = byol_term(&q1, &z3) + byol_term(&q2, &z3);
            let d = decorrelation(&Tensor::cat(&[&h1, &h2], 1), lcd.off_diagonal);
            let loss = &sim + &d * lcd.gamma;
            // The control's flags (stop, timed checkpoint due) ride in the step log.
            control.offer_to(&mut log, Instant::now());
            let values = log.values(&loss, &[sim, d]);
            drop(forward);
            {
                let _r = Range::new("ecg::backward");
                opt.zero_grad()?;
                sync.backward(&loss, || opt.params(), &values)?;
            }
            {
                let _r = Range::new("ecg::grad_sync");
                sync.after_backward(&values)?;
            }
            {
                let _r = Range::new("ecg::optimizer");
                let info = StepInfo {
                    step,
                    epoch,
                    batch: batch.index,
                };
                let bad = log.record(&values, info);
                let _norm = opt.step(lr, Some(&bad))?;
                ema_update(&pairs, lcd.momentum);
            }
            step += 1;
            state.global_step = step;
            state.steps_into_epoch += 1;
            // The log is read (and the control flags seen) at the same steps on every
            // rank: every `log_every` steps, at the epoch's last step, before a checkpoint.
            let step_due = control.step_checkpoint_due(step);
            let stop_after = cfg.train.stop_after_steps == Some(step);
            let mut flags = [false; N_CONTROL];
            if step % cfg.train.log_every == 0 || loader.remaining() == 0 || step_due || stop_after
            {
                flags = read_window(&mut log, &mut window)?;
            }
            let decision = control.decide(&flags, step);
            profiler.end_step(step - 1)?;
            if progress {
                use tracing_indicatif::span_ext::IndicatifSpanExt;
                span.pb_inc(1);
            }
            let stop = if cfg.train.stop_after_steps == Some(step) {
                Some(Stop::AfterSteps)
            } else {
                decision.stop.then(Control::stop_reason)
            };
            let periodic = decision.checkpoint && state.steps_into_epoch < per_epoch;
            if stop.is_some() {
                profiler.stop()?;
            }
            if stop.is_some() || periodic {
                control.checkpointed(Instant::now());
                if writer {
                    save_last(&run, &spec, &enc_vs, &head_vs, &tgt_vs, &opt, &state)?;
                }
            }
            if let Some(stop) = stop {
                crate::run::stop_message(coll, &stop, step, &run);
                outcome.state = state;
                outcome.interrupted = true;
                outcome.stop = Some(stop);
                return finish(coll, outcome);
            }
        }
        drop(_enter);
        read_window(&mut log, &mut window)?;
        let nf = window.steps.max(1) as f64;
        let (sum, sum_sim, sum_d) = (window.parts[0], window.parts[1], window.parts[2]);
        if writer {
            ecg_nn::checkpoint::save(&enc_vs, &spec, &encoder_path)?;
        }
        let line = EpochLine {
            epoch: epoch + 1,
            global_step: step,
            lr,
            loss: sum / nf,
            similarity: sum_sim / nf,
            decorrelation: sum_d / nf,
            seconds: started.elapsed().as_secs_f64(),
        };
        if writer {
            crate::files::append_line(&metrics, &line)?;
        }
        tracing::info!(epoch = epoch + 1, loss = sum / nf, "LCD epoch done");
        outcome.epoch_losses.push(sum / nf);
        state.epochs_done += 1;
        state.steps_into_epoch = 0;
        state.finished = state.epochs_done == cfg.train.epochs;
        control.checkpointed(Instant::now());
        if writer {
            save_last(&run, &spec, &enc_vs, &head_vs, &tgt_vs, &opt, &state)?;
        }
    }
    profiler.stop()?;
    outcome.state = state;
    finish(coll, outcome)
}

/// Adds the steps' losses read from the device to `w` (a non-finite loss is the error).
/// Returns the control flags raised in the steps read.
fn read_window(log: &mut StepLog, w: &mut Window) -> Result<[bool; N_CONTROL], TrainError> {
    if log.pending() == 0 {
        return Ok([false; N_CONTROL]);
    }
    let _r = Range::new("ecg::log_read");
    let r = log.read()?;
    for (a, b) in w.parts.iter_mut().zip(r.parts) {
        *a += b;
    }
    w.steps += r.steps;
    Ok(r.control)
}

/// Waits for every rank (rank 0's files are then written).
fn finish(coll: &dyn Collective, outcome: PretrainOutcome) -> Result<PretrainOutcome, TrainError> {
    coll.barrier()
        .map_err(|e| crate::collective::context(coll, "final barrier", e))?;
    Ok(outcome)
}

/// The per-lead downstream spec around an LCD encoder checkpoint, for the given data.
pub fn per_lead_spec(
    data: &Prepared,
    encoder: &Path,
    frozen: bool,
) -> Result<ModelSpec, TrainError> {
    let enc = ecg_nn::checkpoint::read_spec(encoder)?;
    let cfg =
        match (&enc.arch, enc.leads.len()) {
            (ArchConfig::SeResNet1d(c), 1) => c.clone(),
            _ => return Err(TrainError::Checkpoint {
                path: encoder.to_path_buf(),
                msg: "model.encoder must be a single-lead SE-ResNet-1D encoder from `ecg pretrain`"
                    .into(),
            }),
        };
    let mut spec = ModelSpec::per_lead(
        cfg,
        frozen,
        data.n_classes() as i64,
        data.standard_leads.clone(),
        data.input_len() as i64,
    )?;
    spec.label_names = data.prep.class_names.clone();
    Ok(spec)
}

/// Copies the encoder checkpoint's weights into every `lead{i}.*` copy of a per-lead
/// network (the encoder's own one-output head excluded), and freezes them when asked.
pub fn load_encoder_copies(
    vs: &nn::VarStore,
    encoder: &Path,
    n_leads: usize,
    freeze: bool,
) -> Result<(), TrainError> {
    let src: std::collections::HashMap<String, Tensor> = Tensor::read_safetensors(encoder)
        .map_err(|e| TrainError::torch(encoder, "reading the encoder", e))?
        .into_iter()
        .collect();
    let vars = vs.variables();
    for i in 0..n_leads {
        for (name, w) in src.iter().filter(|(n, _)| !n.starts_with("head.")) {
            let target = format!("lead{i}.{name}");
            let mut v = vars
                .get(&target)
                .map(Tensor::shallow_clone)
                .ok_or_else(|| TrainError::Checkpoint {
                    path: encoder.to_path_buf(),
                    msg: format!("{name} has no counterpart {target} in the per-lead network"),
                })?;
            if v.size() != w.size() {
                return Err(TrainError::Checkpoint {
                    path: encoder.to_path_buf(),
                    msg: format!(
                        "{name}: shape {:?}, the network has {:?}",
                        w.size(),
                        v.size()
                    ),
                });
            }
            tch::no_grad(|| v.copy_(&w.to_device(v.device())));
        }
    }
    if freeze {
        for (name, v) in vars {
            if name.starts_with("lead") {
                let _ = v.set_requires_grad(false);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_similarity_term_by_hand() {
        let q = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 2.0]).view([2, 2]);
        // Same direction: 0; orthogonal: 2; mean 1.
        let z = Tensor::from_slice(&[3.0f32, 0.0, 5.0, 0.0]).view([2, 2]);
        let got = byol_term(&q, &z).double_value(&[]);
        assert!((got - 1.0).abs() < 1e-6, "{got}");
    }

    #[test]
    fn the_decorrelation_term_by_hand() {
        // Two perfectly correlated standardised features: C = [[1, 1], [1, 1]] (up to the
        // BN epsilon), so D = 0 + off · 2.
        let u = Tensor::from_slice(&[1.0f32, 1.0, -1.0, -1.0]).view([2, 2]);
        let got = decorrelation(&u, 0.0051).double_value(&[]);
        let c = 1.0 / (1.0 + 1e-5); // BN(u)² mean with var 1 and eps 1e-5
        let want = 2.0 * (c - 1.0f64).powi(2) + 0.0051 * 2.0 * c * c;
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        // Independent ±1 features: C = I, D = 0.
        let u = Tensor::from_slice(&[1.0f32, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0, -1.0]).view([4, 2]);
        let got = decorrelation(&u, 0.0051).double_value(&[]);
        assert!(got < 1e-4, "{got}");
    }

    #[test]
    fn lead_pairs_differ_and_cover_every_lead() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = [[false; 3]; 3];
        for _ in 0..300 {
            let (a, b) = lead_pair(3, &mut rng);
            assert_ne!(a, b);
            seen[a][b] = true;
        }
        let pairs = seen.iter().flatten().filter(|s| **s).count();
        assert_eq!(pairs, 6, "every ordered pair of different leads occurs");
    }

    #[test]
    fn ema_moves_the_target_by_one_minus_m() {
        let t = Tensor::zeros([3], (Kind::Float, Device::Cpu));
        let o = Tensor::ones([3], (Kind::Float, Device::Cpu));
        ema_update(&[(t.shallow_clone(), o.shallow_clone())], 0.9);
        let v: Vec<f32> = Vec::try_from(&t).expect("vec");
        assert!(v.iter().all(|x| (x - 0.1).abs() < 1e-7), "{v:?}");
    }

    #[test]
    fn views_are_full_length_and_seeded() {
        let cfg = LcdConfig::default();
        let lead: Vec<f32> = (0..100).map(|i| (i as f32 * 0.1).sin() + 2.0).collect();
        let a = view(&lead, &cfg, &mut ChaCha8Rng::seed_from_u64(3)).expect("view");
        let b = view(&lead, &cfg, &mut ChaCha8Rng::seed_from_u64(3)).expect("view");
        assert_eq!(a.len(), 100);
        assert_eq!(a, b);
        assert_ne!(a, lead);
    }
}
