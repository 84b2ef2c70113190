//! `ecg`: the project's command-line tool. One subcommand per pipeline stage; each lives in
//! its own module under `cmd/` and stays thin over the library crates.
use anyhow::Result;
use clap::{Parser, Subcommand};

mod cmd;
mod logging;

/// Multi-label ECG classification: read datasets, learn label correlations, train and
/// distil networks, evaluate with the PTB-XL benchmark protocol.
#[derive(Parser, Debug)]
#[command(
    name = "ecg",
    disable_version_flag = true,
    arg_required_else_help = true
)]
struct Cli {
    /// Print the version, the libtorch version and CUDA/cuDNN availability, then exit.
    #[arg(short = 'V', long = "version", global = false)]
    version: bool,
    /// More log output (debug level); RUST_LOG overrides.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Info(cmd::info::Cmd),
    #[command(flatten)]
    Io(cmd::io::Cmd),
    #[command(flatten)]
    Fetch(cmd::fetch::Cmd),
    #[command(flatten)]
    Labels(cmd::labels::Cmd),
    #[command(flatten)]
    Metrics(cmd::metrics::Cmd),
    #[command(flatten)]
    Synth(cmd::synth::Cmd),
    #[command(flatten)]
    Model(cmd::model::Cmd),
    #[command(flatten)]
    Train(cmd::train::Cmd),
    #[command(flatten)]
    Report(cmd::report::Cmd),
}

fn main() {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let result: Result<()> = if cli.version {
        cmd::info::print_version();
        Ok(())
    } else {
        match cli.command {
            Some(Command::Info(c)) => cmd::info::run(c),
            Some(Command::Io(c)) => cmd::io::run(c),
            Some(Command::Fetch(c)) => cmd::fetch::run(c),
            Some(Command::Labels(c)) => cmd::labels::run(c),
            Some(Command::Metrics(c)) => cmd::metrics::run(c),
            Some(Command::Synth(c)) => cmd::synth::run(c),
            Some(Command::Model(c)) => cmd::model::run(c),
            Some(Command::Train(c)) => cmd::train::run(c),
            Some(Command::Report(c)) => cmd::report::run(c),
            None => Ok(()),
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
