//! `ecg`: the project's command-line tool. One subcommand per pipeline stage; each lives in
//! its own module under `cmd/` and stays thin over the library crates.
//!
//! This binary does not link libtorch, so the commands that read, pack, count and report
//! start at once. The commands that run a network (`torch::COMMANDS`: train, distill,
//! pretrain, eval, predict, export, model) are listed here but run in the sibling `ecg-torch`
//! (crates/ecg-torch-cli), which `ecg` hands them to (see `torch`), except `predict
//! --model`, which runs an exported ONNX model here (`cmd::predict`, tract).
use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod cmd;
mod logging;
mod torch;

/// Multi-label ECG classification: read datasets, learn label correlations, train and
/// distil networks, evaluate with the PTB-XL benchmark protocol.
#[derive(Parser, Debug)]
#[command(
    name = "ecg",
    disable_version_flag = true,
    arg_required_else_help = true
)]
struct Cli {
    /// Print the version, the libtorch version and CUDA/cuDNN availability (asked of
    /// ecg-torch), then exit.
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
    Report(cmd::report::Cmd),
}

/// `-v`/`--verbose` among the arguments.
fn cli_verbose(args: &[std::ffi::OsString]) -> bool {
    args.iter().any(|a| a == "-v" || a == "--verbose")
}

fn main() {
    let matches = torch::add_commands(Cli::command()).get_matches();
    // `ecg predict --model model.onnx ...` runs here (tract, no libtorch); `ecg predict
    // --checkpoint` is ecg-torch's.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let after = args
        .iter()
        .position(|a| a == "predict")
        .map_or(&[][..], |i| &args[i + 1..]);
    if matches.subcommand_name() == Some("predict") && cmd::predict::wants_model(after) {
        let a = cmd::predict::Args::parse_from(
            std::iter::once(std::ffi::OsString::from("ecg predict")).chain(after.iter().cloned()),
        );
        logging::init(a.verbose || cli_verbose(&args));
        if let Err(e) = cmd::predict::run(a) {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    if matches.subcommand_name().is_some_and(torch::is_command) {
        let code = torch::hand_over().unwrap_or_else(|e| {
            eprintln!("{}error: {e:#}", logging::prefix());
            1
        });
        std::process::exit(code);
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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
            Some(Command::Report(c)) => cmd::report::run(c),
            None => Ok(()),
        }
    };
    if let Err(e) = result {
        eprintln!("{}error: {e:#}", logging::prefix());
        std::process::exit(1);
    }
}
