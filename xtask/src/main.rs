//! `cargo xtask`: orchestration only. It runs `cargo`, the `ecg` binary and the Python
//! venv; it links neither tch nor polars (checked by `cargo xtask check-deps`).

use anyhow::{bail, Result};
use xtask::{deps, setup};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  setup                 create .venv and install torch==2.11.0 into it (idempotent)
  test [cargo args]     set-up, check crate invariants, run every test of the workspace
  check-deps            check that the tch-free crates and xtask do not depend on tch/polars
  reproduce ptbxl ...   the main job: PTB-XL from raw data to report (see README)
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
        "setup" => setup::ensure(&root).map(|_| ()),
        "check-deps" => deps::check(&root),
        "test" => {
            setup::ensure(&root)?;
            deps::check(&root)?;
            xtask::cargo(
                &root,
                &[&["test", "--workspace"], &str_refs(&args[1..])[..]].concat(),
            )
        }
        "reproduce" => {
            setup::ensure(&root)?;
            bail!(
                "set-up is complete (torch in {}), but the pipeline stages (pack, labels, \
                 train, distill, eval, report) are not built yet; no results were produced",
                root.join(".venv").display()
            )
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
