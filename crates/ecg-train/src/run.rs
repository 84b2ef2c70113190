//! The run folder's lifecycle, shared by the trainer and LCD pretraining: `--resume`
//! (the saved state, the config that must not have changed), the world record, and the
//! per-step seed.
use crate::checkpoint::{read_json, write_json, Resume, RunDir, RunState, WorldRecord};
use crate::collective::{agree_f64, is_writer, Collective};
use crate::config::TrainConfig;
use crate::control::Stop;
use crate::data::mix_seed;
use crate::error::TrainError;
use std::path::Path;

/// Torch's generator seed for a step: rank 0 draws what one process draws; other ranks
/// draw their own dropout masks.
pub fn step_seed(seed: u64, tag: u64, step: usize, rank: usize) -> i64 {
    let s = mix_seed(seed, &[tag, step as u64]);
    (if rank == 0 {
        s
    } else {
        mix_seed(s, &[rank as u64])
    }) as i64
}

/// Records the world size and backend in the run folder (rank 0), and says when a resumed
/// run changed its world size.
pub fn record_world(
    run: &RunDir,
    coll: &dyn Collective,
    resume: bool,
    step: usize,
) -> Result<(), TrainError> {
    if !is_writer(coll) {
        return Ok(());
    }
    let previous: Option<WorldRecord> = if resume && run.world().is_file() {
        Some(read_json(&run.world())?)
    } else {
        None
    };
    let was_exact = previous.as_ref().is_none_or(|p| p.bit_exact);
    let (old_world, old_backend) = previous.as_ref().map_or((1, "single".to_string()), |p| {
        (p.world_size, p.backend.clone())
    });
    let rec = WorldRecord::next(previous, coll.world_size(), &coll.backend_name(), step);
    if resume && was_exact && !rec.bit_exact {
        tracing::warn!(
            "{} was trained by {old_world} process(es) ({old_backend}) up to step {step} and \
             continues with {} ({}): the run is no longer bit-exact (recorded in {})",
            run.root.display(),
            coll.world_size(),
            coll.backend_name(),
            run.world().display()
        );
    }
    write_json(&run.world(), &rec)
}

/// Whether this invocation continues the run in `run`: `--resume auto` continues when
/// rank 0 finds a saved state there (its answer is every rank's).
pub fn resolve_resume(
    resume: Resume,
    run: &RunDir,
    coll: &dyn Collective,
) -> Result<bool, TrainError> {
    if resume != Resume::Auto {
        return Ok(resume == Resume::Yes);
    }
    let mut found = [f64::from(u8::from(resume.continues(run)))];
    agree_f64(coll, &mut found, "agreeing whether to resume")?;
    let found = found[0] > 0.0;
    if found {
        tracing::info!(
            "--resume auto: continuing the run in {}",
            run.root.display()
        );
    } else {
        tracing::info!(
            "--resume auto: no saved run in {}; starting one",
            run.root.display()
        );
    }
    Ok(found)
}

/// Says (rank 0 at INFO, the others at WARN so that their rank is seen agreeing) where a
/// run stopped and how to continue it.
pub fn stop_message(coll: &dyn Collective, stop: &Stop, step: usize, run: &RunDir) {
    let msg = format!(
        "stopped by {} after step {step}; last checkpoint written in {}; the same command \
         with --resume auto continues it",
        stop.describe(),
        run.root.display()
    );
    if coll.rank() == 0 {
        tracing::info!("{msg}");
    } else {
        tracing::warn!("{msg}");
    }
}

/// The state a `--resume` continues from: the folder must hold a saved state, and `cfg`
/// must equal the run's saved config (see [`check_resume_config`]).
pub fn resume_state(run: &RunDir, cfg: &TrainConfig) -> Result<RunState, TrainError> {
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
    "train.log_every",
    "train.checkpoint_every_steps",
    "train.checkpoint_every_minutes",
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
