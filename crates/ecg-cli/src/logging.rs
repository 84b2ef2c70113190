//! tracing + indicatif: log lines and progress bars share stderr without tearing.
//! Libraries show progress through spans (`tracing_indicatif::span_ext::IndicatifSpanExt`).
use tracing_indicatif::IndicatifLayer;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

pub fn init(verbose: bool) {
    let default = if verbose { "debug" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let indicatif = IndicatifLayer::new();
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .with_target(false)
                .with_writer(indicatif.get_stderr_writer()),
        )
        .with(indicatif)
        .try_init();
}
