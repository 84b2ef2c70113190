//! One module per group of subcommands. Each exposes `enum Cmd` (flattened into the
//! top-level command list) and `fn run(Cmd) -> anyhow::Result<()>`.
pub mod fetch;
pub mod info;
pub mod io;
pub mod labels;
pub mod metrics;
pub mod predict;
pub mod report;
pub mod synth;
