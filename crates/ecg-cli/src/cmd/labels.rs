//! Placeholder: these subcommands arrive with issue 4.
use anyhow::{bail, Result};
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Not built yet (issue 4).
    Labels {},
}

pub fn run(cmd: Cmd) -> Result<()> {
    bail!("{cmd:?}: not built yet (issue 4)")
}
