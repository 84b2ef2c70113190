//! `cargo xtask`: orchestration only. It runs `cargo`, the `ecg` binary and the Python
//! venv; it links neither tch nor polars (checked by `cargo xtask check-deps`).

use anyhow::{bail, Result};
use xtask::{deps, reproduce, seeds, setup};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  setup                 create .venv and install torch==2.11.0 into it, and numpy for
                        torchrun (idempotent)
  test [cargo args]     set-up, check crate invariants, run every test of the workspace
  check-deps            check that the tch-free crates and xtask do not depend on tch/polars
  reproduce ptbxl ...   the main job: PTB-XL from raw data to report (--help for options)
  reproduce cpsc2018 ... CPSC2018 (--data DIR or --synthetic) to report
  reproduce hefei ...   Hefei-Tianchi (--data DIR or --synthetic) to report
  demo ...              the same pipeline on synthetic PTB-XL generated on the fly
";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        bail!("no command given");
    };
    let root = xtask::workspace_root();
    match cmd.as_str() {
        "setup" => {
            setup::ensure(&root)?;
            setup::launcher_needs(&root)
        }
        "check-deps" => deps::check(&root),
        "test" => {
            setup::ensure(&root)?;
            deps::check(&root)?;
            let shared = root.join("../shared/data");
            if !shared.is_dir() {
                eprintln!(
                    "\n!!!!!!!!\n!!! {} is absent: every end-to-end test over real data will \
                     SKIP (each says so below)\n!!!!!!!!\n",
                    shared.display()
                );
            }
            xtask::cargo(
                &root,
                &[&["test", "--workspace"], &str_refs(&args[1..])[..]].concat(),
            )
        }
        "reproduce" => {
            let plan = match args.get(1).map(String::as_str) {
                Some("ptbxl") => None,
                Some("cpsc2018") => Some(xtask::pipelines::cpsc2018::plan()),
                Some("hefei") => Some(xtask::pipelines::hefei::plan()),
                Some("-h") | Some("--help") => {
                    print!("{}", reproduce::USAGE);
                    return Ok(());
                }
                Some(other) => {
                    bail!("unknown dataset `{other}`: ptbxl, cpsc2018 or hefei")
                }
                None => bail!(
                    "which dataset? ptbxl, cpsc2018 or hefei\n{}",
                    reproduce::USAGE
                ),
            };
            let mut rest = args[2..].to_vec();
            let seeds_spec = seeds::take_seeds(&mut rest)?;
            let opts = reproduce::Options::parse(&rest, false)?;
            if plan.is_some() && seeds_spec.is_some() {
                bail!("--seeds is for `reproduce ptbxl` and `demo`");
            }
            if plan.is_none() && opts.synthetic {
                bail!("--synthetic is for cpsc2018 and hefei; `cargo xtask demo` runs synthetic PTB-XL");
            }
            setup::ensure(&root)?;
            let ecg = reproduce::ecg_binary(&root)?;
            let opts = opts.resolve_device(&ecg)?;
            match (plan, seeds_spec) {
                (Some(p), _) => xtask::pipelines::run(&root, &ecg, &p, &opts).map(|_| ()),
                (None, Some(spec)) => {
                    let list = seeds::parse_seeds(&spec, opts.seed)?;
                    seeds::run(&root, &ecg, &opts, &list).map(|_| ())
                }
                (None, None) => reproduce::run(&root, &ecg, &opts).map(|_| ()),
            }
        }
        "demo" => {
            let mut rest = args[1..].to_vec();
            let seeds_spec = seeds::take_seeds(&mut rest)?;
            let opts = reproduce::Options::parse(&rest, true)?;
            let list = match &seeds_spec {
                Some(spec) => Some(seeds::parse_seeds(spec, opts.seed)?),
                None => None,
            };
            setup::ensure(&root)?;
            let ecg = reproduce::ecg_binary(&root)?;
            let opts = opts.resolve_device(&ecg)?;
            match list {
                Some(list) => seeds::run(&root, &ecg, &opts, &list).map(|_| ()),
                None => reproduce::run(&root, &ecg, &opts).map(|_| ()),
            }
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("{USAGE}");
            bail!("unknown command `{other}`")
        }
    }
}

fn str_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
