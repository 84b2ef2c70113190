//! `--seeds` of `cargo xtask demo` and `cargo xtask reproduce ptbxl`: the same pipeline run
//! once per training seed, each in its own run folder `<out>/seed-<S>/` (a complete run with
//! its stamps, so a re-run continues where it stopped), then the aggregate: `<out>/run.json`
//! naming the seed runs and `ecg report --run <out>`, which reads their files only (mean ±
//! std over seeds, paired differences with Student-t intervals, the Claims verdicts).
//!
//! The data stay the same across seeds: PTB-XL is what it is, and the demo's synthetic
//! dataset is generated with the first seed for every run (`Options::data_seed`), so the
//! seeds differ only in the training seed (initialisation, crops, batch order, dropout).
use crate::reproduce::{self, Options, Profile};
use crate::stage::{Runner, Stage};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The most seeds a count may ask for (a list may be longer): `--seeds 42` is then refused
/// as a likely slip for `--seed 42`.
pub const MAX_COUNT: u64 = 20;

/// `--seeds N` (N seeds from `--seed` on: S, S+1, …) or `--seeds A,B,C`; removed from `args`.
/// Returns the seeds, or `None` when the option is absent.
pub fn take_seeds(args: &mut Vec<String>) -> Result<Option<String>> {
    let Some(i) = args.iter().position(|a| a == "--seeds") else {
        return Ok(None);
    };
    if i + 1 >= args.len() {
        bail!("--seeds needs a value: a count (3) or a list (42,43,44)");
    }
    let v = args.remove(i + 1);
    args.remove(i);
    if args.iter().any(|a| a == "--seeds") {
        bail!("--seeds given twice");
    }
    Ok(Some(v))
}

/// The seeds `spec` names, starting at `first` for a count.
pub fn parse_seeds(spec: &str, first: u64) -> Result<Vec<u64>> {
    let seeds: Vec<u64> = if spec.contains(',') {
        spec.split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .with_context(|| format!("--seeds: `{s}` is not a whole number"))
            })
            .collect::<Result<_>>()?
    } else {
        let n: u64 = spec
            .trim()
            .parse()
            .with_context(|| format!("--seeds: `{spec}` is neither a count nor a list"))?;
        if n == 0 || n > MAX_COUNT {
            bail!(
                "--seeds {n}: a count must be 1 to {MAX_COUNT} (for one given seed use --seed; \
                 for a list, separate seeds with commas)"
            );
        }
        (first..first + n).collect()
    };
    let mut sorted = seeds.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != seeds.len() {
        bail!("--seeds {spec}: a seed appears twice");
    }
    Ok(seeds)
}

/// The aggregate folder: `--out`, else `runs/demo-seeds` or `runs/ptbxl-<profile>-seeds`.
fn out_dir(root: &Path, opts: &Options) -> Result<PathBuf> {
    Ok(match &opts.out {
        Some(o) if o.is_absolute() => o.clone(),
        Some(o) => std::env::current_dir()?.join(o),
        None if opts.demo => root.join("runs").join("demo-seeds"),
        None => {
            let p = if opts.profile == Profile::Quick {
                "quick"
            } else {
                "full"
            };
            root.join("runs").join(format!("ptbxl-{p}-seeds"))
        }
    })
}

/// Runs the pipeline once per seed, then writes the aggregate run.json and report.
pub fn run(root: &Path, ecg: &Path, opts: &Options, seeds: &[u64]) -> Result<PathBuf> {
    let Some(&first_seed) = seeds.first() else {
        bail!("--seeds names no seed");
    };
    let out = out_dir(root, opts)?;
    let data_seed = opts.data_seed.unwrap_or(first_seed);
    let mut dirs = vec![];
    for (k, &s) in seeds.iter().enumerate() {
        let name = format!("seed-{s}");
        eprintln!(
            "xtask: seed {s} ({} of {}): {}",
            k + 1,
            seeds.len(),
            out.join(&name).display()
        );
        let mut o = opts.clone();
        o.seed = s;
        o.data_seed = Some(data_seed);
        o.out = Some(out.join(&name));
        reproduce::run(root, ecg, &o)?;
        dirs.push(name);
    }
    // The first seed run's run.json says what the data and the environment were.
    let first = out.join(format!("seed-{first_seed}")).join("run.json");
    let info: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&first).with_context(|| format!("reading {}", first.display()))?,
    )
    .with_context(|| format!("parsing {}", first.display()))?;
    let title = info["title"].as_str().unwrap_or("PTB-XL");
    let mut fields = json!({
        "title": format!("{title}, over {} seeds", seeds.len()),
        "seeds": seeds,
        "seed_runs": dirs,
        "data_seed": if opts.demo { json!(data_seed) } else { json!(null) },
    });
    for k in [
        "synthetic",
        "data_source",
        "n_records",
        "profile",
        "tasks",
        "device",
        "nproc",
        "dataset",
        "folds",
    ] {
        if let Some(v) = info.get(k) {
            fields[k] = v.clone();
        }
    }
    reproduce::write_run_json(root, ecg, &out, fields)?;
    let mut runner = Runner::new(&out, reproduce::binary_id(ecg)?, vec!["report".into()]);
    let rep = Stage::new("report", ecg)
        .args(["report", "--run"])
        .arg_path(&out)
        .output(&out.join("report.md"));
    runner.run(&rep)?;
    eprintln!(
        "xtask: report over {} seeds: {}",
        seeds.len(),
        out.join("report.md").display()
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_a_count_or_a_list() {
        assert_eq!(parse_seeds("3", 42).expect("count"), [42, 43, 44]);
        assert_eq!(parse_seeds("42,43, 7", 1).expect("list"), [42, 43, 7]);
        assert!(parse_seeds("0", 42).is_err());
        let e = parse_seeds("42", 42).expect_err("too many").to_string();
        assert!(e.contains("--seed"), "{e}");
        assert!(parse_seeds("1,x", 42).is_err());
        assert!(parse_seeds("4,4", 42).is_err());

        let mut a: Vec<String> = ["--epochs", "2", "--seeds", "3", "--records", "9"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(take_seeds(&mut a).expect("taken").as_deref(), Some("3"));
        assert_eq!(a, ["--epochs", "2", "--records", "9"]);
        assert_eq!(take_seeds(&mut a).expect("absent"), None);
        assert!(take_seeds(&mut vec!["--seeds".into()]).is_err());
    }
}
