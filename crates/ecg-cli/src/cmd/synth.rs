//! Placeholder: these subcommands arrive with issue 5.
use anyhow::{bail, Result};
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Not built yet (issue 5).
    Synth {},
}

pub fn run(cmd: Cmd) -> Result<()> {
    bail!("{cmd:?}: not built yet (issue 5)")
}
