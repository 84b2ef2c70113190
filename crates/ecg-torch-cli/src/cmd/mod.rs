//! One module per group of subcommands. Each exposes `enum Cmd` (flattened into the
//! top-level command list) and `fn run(Cmd) -> anyhow::Result<()>`.
pub mod export;
pub mod info;
pub mod model;
pub mod size;
pub mod train;
