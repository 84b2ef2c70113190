//! Placeholder: these subcommands arrive with issue 3.
use anyhow::{bail, Result};
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Not built yet (issue 3).
    Read {},
    /// Not built yet (issue 3).
    Inspect {},
    /// Not built yet (issue 3).
    Pack {},
}

pub fn run(cmd: Cmd) -> Result<()> {
    bail!("{cmd:?}: not built yet (issue 3)")
}
