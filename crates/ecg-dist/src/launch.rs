//! Which rank this process is, from the launcher's variables:
//! - torchrun (or any `env://` launcher): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
//!   MASTER_PORT, and TORCHELASTIC_USE_AGENT_STORE=True when torchrun's agent hosts the store;
//! - SLURM (`srun`, one task per rank): SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID; the master
//!   is MASTER_ADDR or else the first host of SLURM_JOB_NODELIST, the port MASTER_PORT or else
//!   [`DEFAULT_SLURM_PORT_BASE`] + SLURM_JOB_ID mod 10000 (the same on every rank of a job,
//!   different for two jobs sharing a node).
//!
//! RANK/WORLD_SIZE take precedence over SLURM's (torchrun started by srun sets both).
use crate::error::DistError;
use crate::nodelist::first_host;

/// The port under SLURM when MASTER_PORT is not set: this + SLURM_JOB_ID mod 10000.
pub const DEFAULT_SLURM_PORT_BASE: u16 = 20000;

/// Who started the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchSource {
    /// torchrun / torch.distributed.run (TORCHELASTIC_RUN_ID or the agent-store flag set).
    Torchrun,
    /// SLURM's task variables (srun).
    Slurm,
    /// RANK/WORLD_SIZE/... set by hand or by another launcher.
    Env,
}

/// This process's place in the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub rank: usize,
    pub world_size: usize,
    /// Rank within the node: the GPU this rank uses (`cuda:LOCAL_RANK`).
    pub local_rank: usize,
    pub master_addr: String,
    pub master_port: u16,
    /// The store is hosted by torchrun's agent: every rank connects as a client.
    pub agent_store: bool,
    pub source: LaunchSource,
}

impl Launch {
    /// The launch described by this process's environment; `None` when no launcher variables
    /// are set (neither RANK/WORLD_SIZE nor SLURM_PROCID).
    pub fn from_env() -> Result<Option<Launch>, DistError> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// As [`Launch::from_env`], reading variables through `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<Launch>, DistError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if get("RANK").is_some() || get("WORLD_SIZE").is_some() {
            return from_torch_vars(&get).map(Some);
        }
        if get("SLURM_PROCID").is_some() {
            return from_slurm_vars(&get).map(Some);
        }
        Ok(None)
    }

    /// `host:port` of the store.
    pub fn master(&self) -> String {
        format!("{}:{}", self.master_addr, self.master_port)
    }
}

type Get<'a> = &'a dyn Fn(&str) -> Option<String>;

fn env_err(var: &str, message: impl Into<String>) -> DistError {
    DistError::Env {
        var: var.to_owned(),
        message: message.into(),
    }
}

fn required(get: Get, var: &str, why: &str) -> Result<String, DistError> {
    get(var).ok_or_else(|| env_err(var, format!("not set ({why})")))
}

fn number<T: std::str::FromStr>(get: Get, var: &str, why: &str) -> Result<T, DistError> {
    let v = required(get, var, why)?;
    v.trim()
        .parse()
        .map_err(|_| env_err(var, format!("{v:?} is not a non-negative integer")))
}

fn port(var: &str, v: &str) -> Result<u16, DistError> {
    match v.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(env_err(var, format!("{v:?} is not a port (1-65535)"))),
    }
}

fn agent_store(get: Get) -> Result<bool, DistError> {
    const VAR: &str = "TORCHELASTIC_USE_AGENT_STORE";
    match get(VAR).as_deref().map(str::trim) {
        None => Ok(false),
        Some("True" | "true" | "1") => Ok(true),
        Some("False" | "false" | "0") => Ok(false),
        Some(v) => Err(env_err(VAR, format!("{v:?} is neither True nor False"))),
    }
}

/// Rank and world size must agree; a local rank beyond the rank is impossible.
fn checked(l: Launch, vars: [&str; 3]) -> Result<Launch, DistError> {
    let [rank, world, local] = vars;
    if l.world_size == 0 {
        return Err(env_err(world, "must be at least 1"));
    }
    if l.rank >= l.world_size {
        return Err(env_err(
            rank,
            format!("rank {} is not below {world}={}", l.rank, l.world_size),
        ));
    }
    if l.local_rank > l.rank {
        return Err(env_err(
            local,
            format!(
                "local rank {} exceeds the global rank {} ({rank})",
                l.local_rank, l.rank
            ),
        ));
    }
    Ok(l)
}

fn from_torch_vars(get: Get) -> Result<Launch, DistError> {
    let why = "RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT go together";
    let agent = agent_store(get)?;
    let master_port = port("MASTER_PORT", &required(get, "MASTER_PORT", why)?)?;
    let launch = Launch {
        rank: number(get, "RANK", why)?,
        world_size: number(get, "WORLD_SIZE", why)?,
        local_rank: number(get, "LOCAL_RANK", why)?,
        master_addr: required(get, "MASTER_ADDR", why)?.trim().to_owned(),
        master_port,
        agent_store: agent,
        source: if agent || get("TORCHELASTIC_RUN_ID").is_some() {
            LaunchSource::Torchrun
        } else {
            LaunchSource::Env
        },
    };
    checked(launch, ["RANK", "WORLD_SIZE", "LOCAL_RANK"])
}

fn from_slurm_vars(get: Get) -> Result<Launch, DistError> {
    let why = "srun sets SLURM_PROCID, SLURM_NTASKS and SLURM_LOCALID for every task";
    let master_addr = match get("MASTER_ADDR") {
        Some(a) => a.trim().to_owned(),
        None => {
            let (var, list) = match get("SLURM_JOB_NODELIST") {
                Some(l) => ("SLURM_JOB_NODELIST", l),
                None => (
                    "SLURM_NODELIST",
                    required(
                        get,
                        "SLURM_NODELIST",
                        "neither MASTER_ADDR nor SLURM_JOB_NODELIST is set",
                    )?,
                ),
            };
            first_host(&list).map_err(|e| env_err(var, e))?
        }
    };
    let master_port = match get("MASTER_PORT") {
        Some(p) => port("MASTER_PORT", &p)?,
        None => {
            let job: u64 = number(get, "SLURM_JOB_ID", "needed for the default MASTER_PORT")?;
            // Below 10000 added to a base of 20000: always a valid port.
            DEFAULT_SLURM_PORT_BASE + u16::try_from(job % 10_000).unwrap_or(0)
        }
    };
    let launch = Launch {
        rank: number(get, "SLURM_PROCID", why)?,
        world_size: number(get, "SLURM_NTASKS", why)?,
        local_rank: number(get, "SLURM_LOCALID", why)?,
        master_addr,
        master_port,
        agent_store: false,
        source: LaunchSource::Slurm,
    };
    checked(launch, ["SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Option<Launch>, DistError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Launch::from_vars(|k| map.get(k).cloned())
    }

    fn err_of(vars: &[(&str, &str)]) -> String {
        parse(vars).expect_err("should fail").to_string()
    }

    const TORCHRUN: &[(&str, &str)] = &[
        ("RANK", "3"),
        ("WORLD_SIZE", "8"),
        ("LOCAL_RANK", "1"),
        ("MASTER_ADDR", "10.0.0.2"),
        ("MASTER_PORT", "29400"),
        ("TORCHELASTIC_USE_AGENT_STORE", "True"),
        ("TORCHELASTIC_RUN_ID", "none"),
    ];

    #[test]
    fn nothing_set_is_no_launch() {
        assert_eq!(parse(&[]).expect("ok"), None);
        // A lone MASTER_ADDR in a shell is not a launch.
        assert_eq!(parse(&[("MASTER_ADDR", "x")]).expect("ok"), None);
    }

    #[test]
    fn torchrun_variables() {
        let l = parse(TORCHRUN).expect("ok").expect("launch");
        assert_eq!(
            l,
            Launch {
                rank: 3,
                world_size: 8,
                local_rank: 1,
                master_addr: "10.0.0.2".into(),
                master_port: 29400,
                agent_store: true,
                source: LaunchSource::Torchrun,
            }
        );
        assert_eq!(l.master(), "10.0.0.2:29400");
        let mut manual = TORCHRUN[..5].to_vec();
        manual.push(("TORCHELASTIC_USE_AGENT_STORE", "False"));
        let l = parse(&manual).expect("ok").expect("launch");
        assert!(!l.agent_store);
        assert_eq!(l.source, LaunchSource::Env);
    }

    #[test]
    fn torchrun_variables_win_over_slurm() {
        let mut vars = TORCHRUN.to_vec();
        vars.extend([("SLURM_PROCID", "0"), ("SLURM_NTASKS", "2")]);
        let l = parse(&vars).expect("ok").expect("launch");
        assert_eq!((l.rank, l.source), (3, LaunchSource::Torchrun));
    }

    #[test]
    fn torchrun_errors_name_the_variable() {
        let without = |var: &str| -> Vec<(&str, &str)> {
            TORCHRUN
                .iter()
                .copied()
                .filter(|(k, _)| *k != var)
                .collect()
        };
        for var in ["WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"] {
            let e = err_of(&without(var));
            assert!(e.contains(var) && e.contains("not set"), "{var}: {e}");
        }
        let with = |var: &'static str, val: &'static str| -> Vec<(&str, &str)> {
            let mut v = without(var);
            v.push((var, val));
            v
        };
        let cases = [
            ("RANK", "8", "not below WORLD_SIZE=8"),
            ("RANK", "-1", "not a non-negative integer"),
            ("WORLD_SIZE", "0", "at least 1"),
            ("LOCAL_RANK", "4", "exceeds the global rank 3"),
            ("MASTER_PORT", "70000", "not a port"),
            ("MASTER_PORT", "0", "not a port"),
            (
                "TORCHELASTIC_USE_AGENT_STORE",
                "maybe",
                "neither True nor False",
            ),
        ];
        for (var, val, want) in cases {
            let e = err_of(&with(var, val));
            assert!(e.contains(var) && e.contains(want), "{var}={val}: {e}");
        }
    }

    #[test]
    fn slurm_variables() {
        let vars = [
            ("SLURM_PROCID", "5"),
            ("SLURM_NTASKS", "8"),
            ("SLURM_LOCALID", "1"),
            ("SLURM_JOB_NODELIST", "gpu[01-04,07],cpu3"),
            ("SLURM_JOB_ID", "123456"),
        ];
        let l = parse(&vars).expect("ok").expect("launch");
        assert_eq!(
            l,
            Launch {
                rank: 5,
                world_size: 8,
                local_rank: 1,
                master_addr: "gpu01".into(),
                master_port: DEFAULT_SLURM_PORT_BASE + 3456,
                agent_store: false,
                source: LaunchSource::Slurm,
            }
        );
        // MASTER_ADDR / MASTER_PORT override; SLURM_NODELIST is the older name.
        let mut v = vars[..3].to_vec();
        v.extend([("SLURM_NODELIST", "n[7-8]"), ("MASTER_PORT", "29500")]);
        let l = parse(&v).expect("ok").expect("launch");
        assert_eq!((l.master_addr.as_str(), l.master_port), ("n7", 29500));
        v.push(("MASTER_ADDR", "head"));
        assert_eq!(parse(&v).expect("ok").expect("launch").master_addr, "head");
    }

    #[test]
    fn slurm_errors_name_the_variable() {
        let base = [
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "2"),
            ("SLURM_LOCALID", "0"),
            ("SLURM_JOB_NODELIST", "n1"),
            ("SLURM_JOB_ID", "7"),
        ];
        let drop = |var: &str| -> Vec<(&str, &str)> {
            base.iter().copied().filter(|(k, _)| *k != var).collect()
        };
        for (var, want) in [
            ("SLURM_NTASKS", "SLURM_NTASKS: not set"),
            ("SLURM_LOCALID", "SLURM_LOCALID: not set"),
            ("SLURM_JOB_NODELIST", "SLURM_NODELIST: not set"),
            ("SLURM_JOB_ID", "SLURM_JOB_ID: not set"),
        ] {
            let e = err_of(&drop(var));
            assert!(e.contains(want), "{var}: {e}");
        }
        let mut bad = drop("SLURM_JOB_NODELIST");
        bad.push(("SLURM_JOB_NODELIST", "gpu[01-"));
        assert!(err_of(&bad).contains("SLURM_JOB_NODELIST"));
        let mut bad = drop("SLURM_PROCID");
        bad.push(("SLURM_PROCID", "2"));
        assert!(err_of(&bad).contains("not below SLURM_NTASKS=2"));
    }
}
