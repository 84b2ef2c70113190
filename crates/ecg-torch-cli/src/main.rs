//! `ecg-torch`: the `ecg` commands that run a network (they link libtorch). Users type
//! `ecg train ...`; the light `ecg` (crates/ecg-cli, no libtorch) hands every argument to
//! this binary, found beside it, so both must sit in the same folder. Run directly, it
//! takes the same arguments.
use anyhow::Result;
use clap::{Parser, Subcommand};

mod cmd;
// One logging set-up for both binaries: the light `ecg`'s module, compiled here too.
#[path = "../../ecg-cli/src/logging.rs"]
mod logging;

/// The `ecg` commands that run a network (libtorch). `ecg <command>` hands them to this
/// binary; `ecg --help` lists them with the rest.
#[derive(Parser, Debug)]
#[command(
    name = "ecg-torch",
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
    Export(cmd::export::Cmd),
    #[command(flatten)]
    Info(cmd::info::Cmd),
    #[command(flatten)]
    Model(cmd::model::Cmd),
    #[command(flatten)]
    Train(cmd::train::Cmd),
}

fn main() {
    // Called through `ecg`, argv[0] is `ecg`, so usage lines read `ecg train ...`.
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let result: Result<()> = if cli.version {
        cmd::info::print_version();
        Ok(())
    } else {
        match cli.command {
            Some(Command::Export(c)) => cmd::export::run(c),
            Some(Command::Info(c)) => cmd::info::run(c),
            Some(Command::Model(c)) => cmd::model::run(c),
            Some(Command::Train(c)) => cmd::train::run(c),
            None => Ok(()),
        }
    };
    if let Err(e) = result {
        eprintln!("{}error: {e:#}", logging::prefix());
        std::process::exit(1);
    }
}
