//! tracing + indicatif: log lines and progress bars share stderr without tearing.
//! Libraries show progress through spans (`tracing_indicatif::span_ext::IndicatifSpanExt`).
//!
//! In a data-parallel job (a launcher's RANK, or SLURM's SLURM_PROCID), rank 0 logs as one
//! process does; every other rank logs warnings and errors only, each line prefixed with
//! `rank N: `, so a job's output reads like one process's. Colours only when stderr is a
//! terminal (never in a file or a pipe, nor with NO_COLOR set).
#![allow(dead_code)] // each binary uses a part
use std::io::{IsTerminal, Write};
use tracing_indicatif::IndicatifLayer;
use tracing_subscriber::{
    fmt, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter,
};

/// This process's rank in a launched job (torchrun's RANK, SLURM's SLURM_PROCID), if any.
pub fn rank() -> Option<usize> {
    ["RANK", "SLURM_PROCID"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .and_then(|v| v.trim().parse().ok())
}

/// `rank N: ` on a rank other than 0, else nothing: what starts every line it writes.
pub fn prefix() -> String {
    match rank() {
        Some(r) if r != 0 => format!("rank {r}: "),
        _ => String::new(),
    }
}

pub fn init(verbose: bool) {
    let quiet = prefix();
    let default = match (quiet.is_empty(), verbose) {
        (false, _) => "warn",
        (true, true) => "debug",
        (true, false) => "info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if !quiet.is_empty() {
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(false)
                    .with_writer(Prefixed(quiet)),
            )
            .try_init();
        return;
    }
    let indicatif = IndicatifLayer::new();
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_target(false)
                .with_ansi(ansi)
                .with_writer(indicatif.get_stderr_writer()),
        )
        .with(indicatif)
        .try_init();
}

/// Writes to stderr with a prefix at the start of every line.
struct Prefixed(String);

/// One event's writer: tracks whether the next byte starts a line.
struct PrefixedWriter<'a> {
    prefix: &'a str,
    at_line_start: bool,
}

impl<'a> MakeWriter<'a> for Prefixed {
    type Writer = PrefixedWriter<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        PrefixedWriter {
            prefix: &self.0,
            at_line_start: true,
        }
    }
}

impl Write for PrefixedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len() + self.prefix.len());
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            if self.at_line_start {
                out.extend_from_slice(self.prefix.as_bytes());
            }
            out.extend_from_slice(piece);
            self.at_line_start = piece.ends_with(b"\n");
        }
        std::io::stderr().lock().write_all(&out)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
