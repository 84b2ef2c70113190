//! xtask as a library, so end-to-end tests can drive the same pipeline code.
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod deps;
pub mod pipelines;
pub mod reproduce;
pub mod seeds;
pub mod setup;
pub mod stage;

/// The workspace root: xtask lives one folder below it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// What `cargo xtask` (a `cargo run`) set for the xtask binary itself, which describes
/// xtask's package, not the build a child `cargo` makes: a build script that tracks one of
/// them (ring tracks CARGO_MANIFEST_DIR) would see another value than in a plain
/// `cargo build` and rebuild, and the plain build would rebuild again.
const PER_PACKAGE_PREFIXES: &[&str] = &[
    "CARGO_PKG_",
    "CARGO_MANIFEST_",
    "CARGO_CRATE_",
    "CARGO_BIN_",
];
const PER_PACKAGE_VARS: &[&str] = &["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"];

/// Whether `cargo run` set `name` for the package it runs (see [`PER_PACKAGE_PREFIXES`]).
pub fn is_per_package_var(name: &str) -> bool {
    PER_PACKAGE_PREFIXES.iter().any(|p| name.starts_with(p)) || PER_PACKAGE_VARS.contains(&name)
}

/// A child `cargo` (cargo's own path from `CARGO`) without the variables `cargo xtask` set
/// for xtask itself, so that its builds share their artefacts with plain `cargo build`s.
pub fn cargo_command() -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if is_per_package_var(&k) {
            cmd.env_remove(k.as_ref());
        }
    }
    cmd
}

/// Run cargo in the workspace root; fail with the command line if it fails.
pub fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    let status = cargo_command()
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
