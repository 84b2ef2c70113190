//! Placeholder: these subcommands arrive with issue 7.
use anyhow::{bail, Result};
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Not built yet (issue 7).
    Train {},
    /// Not built yet (issue 7).
    Distill {},
    /// Not built yet (issue 7).
    Eval {},
    /// Not built yet (issue 7).
    Predict {},
}

pub fn run(cmd: Cmd) -> Result<()> {
    bail!("{cmd:?}: not built yet (issue 7)")
}
