//! `ecg model …`: inspect networks (thin over ecg-nn).
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use ecg_nn::{ModelSpec, LEAD_NAMES, PRESETS};

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Networks: presets, shapes, parameters, FLOPs.
    #[command(subcommand)]
    Model(ModelCmd),
}

#[derive(Subcommand, Debug)]
pub enum ModelCmd {
    /// Print a preset's layers, output shapes, parameters and FLOPs per record.
    Summary(SummaryArgs),
}

#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// Preset name (teacher, teacher-backbone, teacher-embedding, teacher-decoder, student,
    /// student-tiny, se_resnet1d, xresnet1d101, resnet1d_wang, inception1d, fcn_wang).
    #[arg(long)]
    preset: String,
    /// Leads, comma-separated names (I,II,V1) or indices (0,1,6), or `all`.
    #[arg(long, default_value = "all")]
    leads: String,
    /// Samples per input window (250 = 100 Hz 2.5 s; 1000 = 100 Hz 10 s; 5000 = 500 Hz 10 s).
    #[arg(long, default_value_t = 250)]
    length: i64,
    /// Number of output labels.
    #[arg(long, default_value_t = 5)]
    classes: i64,
    /// Print a JSON object (`preset`, `params`, `flops`, `layers`, `spec`) instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Model(ModelCmd::Summary(a)) => summary(a),
    }
}

/// Parses `all`, lead names or indices into indices of [`LEAD_NAMES`].
fn parse_leads(s: &str) -> Result<Vec<usize>> {
    if s.eq_ignore_ascii_case("all") {
        return Ok((0..LEAD_NAMES.len()).collect());
    }
    s.split(',')
        .map(|tok| {
            let tok = tok.trim();
            if let Some(i) = LEAD_NAMES.iter().position(|n| n.eq_ignore_ascii_case(tok)) {
                Ok(i)
            } else if let Ok(i) = tok.parse::<usize>() {
                Ok(i)
            } else {
                bail!(
                    "unknown lead {tok:?} in --leads; use names {} or indices 0..12",
                    LEAD_NAMES.join(",")
                )
            }
        })
        .collect()
}

fn summary(a: SummaryArgs) -> Result<()> {
    let leads = parse_leads(&a.leads)?;
    let spec = ModelSpec::preset(&a.preset, a.classes, leads, a.length).with_context(|| {
        format!(
            "model preset {:?} (known: {})",
            a.preset,
            PRESETS.join(", ")
        )
    })?;
    let rows = spec.summary()?;
    let (params, flops) = spec.params_and_flops()?;
    if a.json {
        let out = serde_json::json!({
            "preset": spec.preset,
            "params": params,
            "flops": flops,
            "input_shape": [spec.n_leads(), spec.input_len],
            "layers": rows,
            "spec": spec,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let names: Vec<&str> = spec.leads.iter().map(|&i| LEAD_NAMES[i]).collect();
    println!(
        "{}: input [batch, {}, {}] (leads {}), {} classes",
        spec.preset,
        spec.n_leads(),
        spec.input_len,
        names.join(","),
        spec.num_classes
    );
    println!(
        "{:<28} {:<24} {:>18} {:>12} {:>14}",
        "layer", "kind", "output", "params", "MFLOPs"
    );
    for r in &rows {
        let shape = format!("{:?}", r.out_shape);
        println!(
            "{:<28} {:<24} {:>18} {:>12} {:>14.3}",
            r.name,
            r.kind,
            shape,
            r.params,
            r.flops as f64 / 1e6
        );
    }
    println!(
        "{:<28} {:<24} {:>18} {:>12} {:>14.3}",
        "total",
        "",
        "",
        params,
        flops as f64 / 1e6
    );
    Ok(())
}
