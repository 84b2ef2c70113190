//! The training loop (plain and distillation): AdamW with a step schedule, gradient
//! clipping, per-step seeding, NaN/Inf detection, validation macro-AUC after every epoch,
//! early stopping, atomic best/last checkpoints, exact resume, metrics JSONL.
use crate::checkpoint::{self, read_json, write_json, Preprocessing, RunDir, RunState};
use crate::clt::Clt;
use crate::config::TrainConfig;
use crate::data::{batches_per_epoch, mix_seed, Prepared, TrainLoader};
use crate::error::TrainError;
use crate::loss::{kd_loss, KdWeights};
use crate::optim::AdamW;
use crate::score::score_split;
use ecg_nn::{EcgNet, ModelSpec};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tch::{nn, Device, Kind, Tensor};
use tracing_indicatif::span_ext::IndicatifSpanExt;

/// Options that come from the command line rather than the config.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Continue the run in `train.output_dir` from its last checkpoint.
    pub resume: bool,
    /// Teacher checkpoint for distillation (overrides `distill.teacher`).
    pub teacher: Option<PathBuf>,
    /// Show progress bars (the CLI sets this; tests leave it off).
    pub progress: bool,
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
    /// Stopped by `train.stop_after_steps` (resume to continue).
    pub interrupted: bool,
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
}

/// A frozen teacher with the linear adaptor mapping the student's head input to the
/// teacher's.
struct Teacher {
    net: Box<dyn EcgNet>,
    _vs: nn::VarStore,
    adaptor_vs: nn::VarStore,
    adaptor: Option<nn::Linear>,
    /// MVKT's contrastive term (its maps and memory banks live in `adaptor_vs`).
    clt: Option<Clt>,
    weights: KdWeights,
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
    let weights = d.weights();
    let (mut vs, net, spec) = ecg_nn::checkpoint::load(path, device)?;
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
    vs.freeze();
    let adaptor_vs = nn::VarStore::new(device);
    // Feature sizes from one probe batch of zeros per network.
    let len = data.input_len() as i64;
    let xs = Tensor::zeros([2, data.n_leads() as i64, len], (Kind::Float, device));
    let xt = Tensor::zeros([2, data.teacher_leads() as i64, len], (Kind::Float, device));
    let (ds, dt) = tch::no_grad(|| {
        let s = student.forward_t(&xs, false).head_input.size();
        let t = net.forward_t(&xt, false).head_input.size();
        (s[s.len() - 1], t[t.len() - 1])
    });
    let adaptor = (weights.beta > 0.0)
        .then(|| nn::linear(adaptor_vs.root() / "adaptor", ds, dt, Default::default()));
    let clt = match &d.clt {
        Some(c) => Some(Clt::new(
            &adaptor_vs.root(),
            c,
            ds,
            dt,
            data.train.y.view(),
            seed,
        )?),
        None => None,
    };
    Ok(Teacher {
        net,
        _vs: vs,
        adaptor_vs,
        adaptor,
        clt,
        weights,
    })
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

pub(crate) fn save_vs(vs: &nn::VarStore, path: &Path) -> Result<(), TrainError> {
    let tmp = checkpoint::tmp_path(path);
    vs.save(&tmp)
        .map_err(|e| TrainError::torch(path, "saving", e))?;
    checkpoint::rename(&tmp, path)
}

/// Appends one JSON line to a `metrics.jsonl`.
pub(crate) fn append_line(path: &Path, line: &impl Serialize) -> Result<(), TrainError> {
    let text = serde_json::to_string(line).map_err(|e| TrainError::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| TrainError::io(path, e))?;
    writeln!(f, "{text}").map_err(|e| TrainError::io(path, e))
}

/// Trains (or distils, when `cfg.distill` is set) as the config says.
pub fn train(cfg: &TrainConfig, opts: &TrainOptions) -> Result<TrainOutcome, TrainError> {
    let device = cfg.train.device.resolve()?;
    tch::manual_seed(cfg.train.seed as i64);
    let mut prepared = Prepared::from_config(cfg)?;
    let teacher_path = match &cfg.distill {
        None => None,
        Some(d) => {
            let path = opts
                .teacher
                .clone()
                .or_else(|| d.teacher.clone())
                .ok_or_else(|| {
                    TrainError::Other(
                        "distillation needs a teacher: pass --teacher or set distill.teacher"
                            .into(),
                    )
                })?;
            if !path.is_file() {
                return Err(TrainError::Other(format!(
                    "distill.teacher / --teacher: no such checkpoint {}",
                    path.display()
                )));
            }
            attach_teacher(&path, &mut prepared)?;
            Some((path, d.clone()))
        }
    };
    let data = Arc::new(prepared);
    let spec = match &cfg.model.encoder {
        Some(enc) => crate::lcd::per_lead_spec(&data, enc, cfg.model.freeze_encoder)?,
        None => model_spec(&data, &cfg.model.preset)?,
    };
    let (mut vs, net) = build_model(&data, &spec, device)?;
    if let Some(enc) = &cfg.model.encoder {
        crate::lcd::load_encoder_copies(&vs, enc, data.n_leads(), cfg.model.freeze_encoder)?;
    }
    let mut teacher = match teacher_path {
        None => None,
        Some((path, d)) => Some(load_teacher(
            &path,
            &data,
            net.as_ref(),
            &d,
            cfg.train.seed,
            device,
        )?),
    };

    let run = RunDir::new(&cfg.train.output_dir);
    std::fs::create_dir_all(&run.root).map_err(|e| TrainError::io(&run.root, e))?;
    let mut opt = {
        let mut stores: Vec<(&str, &nn::VarStore)> = vec![("model", &vs)];
        if let Some(t) = &teacher {
            stores.push(("adaptor", &t.adaptor_vs));
        }
        AdamW::new(cfg.optim, &stores)
    };

    let mut state = RunState::default();
    if opts.resume {
        state = resume_state(&run, cfg)?;
        vs.load(run.last())
            .map_err(|e| TrainError::torch(&run.last(), "loading weights", e))?;
        if let Some(t) = teacher.as_mut() {
            t.adaptor_vs
                .load(run.adaptor())
                .map_err(|e| TrainError::torch(&run.adaptor(), "loading adaptor", e))?;
        }
        opt.load(&run.optimizer())?;
        if state.finished {
            tracing::info!("run in {} already finished", run.root.display());
        }
    } else if run.state().exists() {
        return Err(TrainError::Other(format!(
            "{} already holds a run; pass --resume to continue it or choose another train.output_dir",
            run.root.display()
        )));
    }
    run.write_config(cfg)?;

    let per_epoch = batches_per_epoch(data.train.len(), cfg.train.batch_size);
    let total_steps = per_epoch * cfg.train.epochs;
    let mut outcome = TrainOutcome {
        run_dir: run.root.clone(),
        state: state.clone(),
        epoch_losses: Vec::new(),
        val_aucs: Vec::new(),
        interrupted: false,
    };
    let autocast = cfg.train.autocast.then_some(cfg.train.autocast_dtype);

    while !state.finished && state.epochs_done < cfg.train.epochs {
        let epoch = state.epochs_done;
        let started = Instant::now();
        let loader = TrainLoader::new(
            Arc::clone(&data),
            cfg,
            epoch,
            state.steps_into_epoch,
            device,
        );
        let span = tracing::info_span!("epoch", n = epoch + 1);
        if opts.progress {
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{span_child_prefix}{bar:30.cyan/blue} {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]",
            ) {
                span.pb_set_style(&style);
            }
            span.pb_set_length(loader.remaining() as u64);
            span.pb_set_message(&format!("epoch {}/{}", epoch + 1, cfg.train.epochs));
        }
        let _enter = span.enter();
        let (mut sum, mut sum_task, mut sum_kd, mut sum_feat, mut n_steps, mut n_rec) =
            (0.0, 0.0, 0.0, 0.0, 0usize, 0usize);
        let mut sum_clt = 0.0;
        let mut lr = cfg.optim.lr;
        for batch in loader {
            let batch = batch?;
            lr = cfg
                .schedule
                .lr(cfg.optim.lr, state.global_step, total_steps);
            // Dropout etc. draw from torch's global generator: reseed per step so a resumed
            // run draws exactly what the uninterrupted one drew.
            tch::manual_seed(mix_seed(cfg.train.seed, &[3, state.global_step as u64]) as i64);
            let step = || {
                let out = net.forward_t(&batch.x, true);
                let logits = out.logits.to_kind(Kind::Float);
                let task = cfg.loss.compute(&logits, &batch.y);
                match &teacher {
                    None => (task, None, None),
                    Some(t) => {
                        let tx = batch.x_teacher.as_ref().unwrap_or(&batch.x);
                        let tout = tch::no_grad(|| t.net.forward_t(tx, false));
                        let tlogits = tout.logits.to_kind(Kind::Float);
                        let hs = out.head_input.to_kind(Kind::Float);
                        let mapped = t.adaptor.as_ref().map(|a| nn::Module::forward(a, &hs));
                        let th = tout.head_input.to_kind(Kind::Float);
                        let feats = mapped.as_ref().map(|m| (m, &th));
                        let terms = kd_loss(task, &tlogits, &logits, feats, &t.weights);
                        let clt_step = t
                            .clt
                            .as_ref()
                            .map(|c| c.step(&hs, &th, &batch.rows, state.global_step));
                        let (total, clt_value) = match (&t.clt, &clt_step) {
                            (Some(c), Some(st)) => (
                                terms.total + c.weight() * &st.loss,
                                Some(st.loss.double_value(&[])),
                            ),
                            _ => (terms.total, None),
                        };
                        let parts = (
                            terms.task.double_value(&[]),
                            terms.kd.double_value(&[]),
                            terms.feature.double_value(&[]),
                            clt_value,
                        );
                        (total, Some(parts), clt_step)
                    }
                }
            };
            let (loss, parts, clt_step) = match autocast {
                Some(dtype) => crate::precision::autocast(device, dtype, step)?,
                None => step(),
            };
            let value = loss.double_value(&[]);
            if !value.is_finite() {
                return Err(TrainError::NonFinite {
                    value,
                    epoch: epoch + 1,
                    step: state.global_step,
                    batch: batch.index,
                });
            }
            opt.zero_grad();
            loss.backward();
            opt.step(lr);
            if let (Some(t), Some(st)) = (&teacher, &clt_step) {
                if let Some(c) = &t.clt {
                    c.update(st);
                }
            }
            state.global_step += 1;
            state.steps_into_epoch += 1;
            let m = batch.x.size()[0] as usize;
            sum += value;
            if let Some((a, b, c, d)) = parts {
                sum_task += a;
                sum_kd += b;
                sum_feat += c;
                sum_clt += d.unwrap_or(0.0);
            }
            n_steps += 1;
            n_rec += m;
            if opts.progress {
                span.pb_inc(1);
                let rate = n_rec as f64 / started.elapsed().as_secs_f64().max(1e-9);
                span.pb_set_message(&format!(
                    "epoch {}/{} loss {:.4} {:.0} rec/s",
                    epoch + 1,
                    cfg.train.epochs,
                    sum / n_steps as f64,
                    rate
                ));
            }
            if cfg.train.stop_after_steps == Some(state.global_step) {
                save_last(&run, &vs, &spec, &data.prep, teacher.as_ref(), &opt, &state)?;
                outcome.state = state;
                outcome.interrupted = true;
                return Ok(outcome);
            }
        }
        drop(_enter);
        // End of epoch: validation.
        let p = score_split(
            net.as_ref(),
            &data,
            &data.val,
            cfg.train.eval_batch_size,
            device,
        )?;
        let auc = ecg_metrics::macro_auc(data.val.y.view(), p.view())
            .map_err(|e| TrainError::Other(format!("validation macro-AUC: {e}")))?
            .macro_;
        let improved = match (auc, state.best_val_auc) {
            (Some(a), Some(b)) => a > b,
            (Some(_), None) => true,
            (None, _) => state.best_val_auc.is_none() && state.best_epoch.is_none(),
        };
        state.epochs_done += 1;
        state.steps_into_epoch = 0;
        if improved {
            state.best_val_auc = auc;
            state.best_epoch = Some(epoch + 1);
            state.epochs_since_best = 0;
            save_model(&vs, &spec, &data.prep, &run.best())?;
        } else {
            state.epochs_since_best += 1;
        }
        let n = n_steps.max(1) as f64;
        let secs = started.elapsed().as_secs_f64();
        append_line(
            &run.metrics(),
            &EpochLine {
                epoch: epoch + 1,
                global_step: state.global_step,
                lr,
                train_loss: sum / n,
                train_task_loss: teacher.as_ref().map(|_| sum_task / n),
                train_kd_loss: teacher.as_ref().map(|_| sum_kd / n),
                train_feature_loss: teacher.as_ref().map(|_| sum_feat / n),
                train_clt_loss: teacher
                    .as_ref()
                    .and_then(|t| t.clt.as_ref())
                    .map(|_| sum_clt / n),
                val_macro_auc: auc,
                best: improved,
                seconds: secs,
                records_per_second: n_rec as f64 / secs.max(1e-9),
            },
        )?;
        tracing::info!(
            epoch = epoch + 1,
            train_loss = sum / n,
            val_macro_auc = auc.unwrap_or(f64::NAN),
            "epoch done"
        );
        outcome.epoch_losses.push(sum / n);
        outcome.val_aucs.push(auc);
        if let Some(pat) = cfg.train.patience {
            if state.epochs_since_best >= pat {
                tracing::info!("early stopping: no improvement for {pat} epochs");
                state.finished = true;
            }
        }
        if state.epochs_done == cfg.train.epochs {
            state.finished = true;
        }
        save_last(&run, &vs, &spec, &data.prep, teacher.as_ref(), &opt, &state)?;
    }
    outcome.state = state;
    Ok(outcome)
}

/// The state a `--resume` continues from: the folder must hold a saved state, and `cfg`
/// must equal the run's saved config (see [`check_resume_config`]).
pub(crate) fn resume_state(run: &RunDir, cfg: &TrainConfig) -> Result<RunState, TrainError> {
    if !run.state().is_file() {
        return Err(TrainError::Checkpoint {
            path: run.state(),
            msg: "--resume: no saved state in this run folder".into(),
        });
    }
    check_resume_config(&run.config(), cfg)?;
    read_json(&run.state())
}

/// Keys that may change between a run and its `--resume` without changing its results.
const RESUME_MAY_CHANGE: &[&str] = &[
    "train.stop_after_steps",
    "train.device",
    "data.workers",
    "data.prefetch",
];

/// Every dotted key whose value differs between two configs (absent counts as differing).
pub fn config_differences(a: &TrainConfig, b: &TrainConfig) -> Result<Vec<String>, TrainError> {
    fn flatten(
        prefix: &str,
        v: &toml::Value,
        out: &mut std::collections::BTreeMap<String, String>,
    ) {
        match v {
            toml::Value::Table(t) => {
                for (k, x) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, x, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let table = |c: &TrainConfig| -> Result<_, TrainError> {
        let v: toml::Value = toml::from_str(&c.to_toml()?)
            .map_err(|e| TrainError::Other(format!("re-reading a serialised config: {e}")))?;
        let mut m = std::collections::BTreeMap::new();
        flatten("", &v, &mut m);
        Ok(m)
    };
    let (ta, tb) = (table(a)?, table(b)?);
    let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    Ok(keys
        .into_iter()
        .filter(|k| ta.get(*k) != tb.get(*k))
        .filter(|k| {
            !RESUME_MAY_CHANGE
                .iter()
                .any(|m| k.as_str() == *m || k.starts_with(&format!("{m}.")))
        })
        .map(|k| {
            format!(
                "{k} ({} → {})",
                ta.get(k).map_or("absent", String::as_str),
                tb.get(k).map_or("absent", String::as_str)
            )
        })
        .collect())
}

/// `--resume` continues the run that is in the folder, not another one: the config must
/// equal the saved one except for keys that do not change results.
fn check_resume_config(saved: &Path, cfg: &TrainConfig) -> Result<(), TrainError> {
    if !saved.is_file() {
        return Err(TrainError::Checkpoint {
            path: saved.to_path_buf(),
            msg: "--resume: the run's config.toml is missing".into(),
        });
    }
    let text = std::fs::read_to_string(saved).map_err(|e| TrainError::io(saved, e))?;
    let old = TrainConfig::from_toml(&text, saved)?;
    let diffs = config_differences(&old, cfg)?;
    if diffs.is_empty() {
        return Ok(());
    }
    Err(TrainError::Checkpoint {
        path: saved.to_path_buf(),
        msg: format!(
            "--resume with a config that differs from the run's: {}; resume with the run's \
             config or start a new train.output_dir",
            diffs.join(", ")
        ),
    })
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
