//! `ecg labels`: label statistics of a dataset (docs/METHODS.md §2), thin over ecg-labels.
//!
//! `ecg labels ptbxl (--data DIR | --pack FILE) --task TASK --out DIR` builds the PTB-XL
//! task as the benchmark does and counts on folds 1–8; `ecg labels pack --pack FILE --task
//! TASK [--train-folds 1-8] --out DIR` builds any pack's task as training does (CPSC2018,
//! Hefei-Tianchi, CinC 2021, manifest packs; `ecg_labels::pack::pack_task`) and counts on
//! the given training folds. Both write into DIR:
//!
//! ```text
//! cooccurrence.csv   t(i,j), diagonal t(i)          (names as header and first column)
//! conditional.csv    E[i][j] = t(i,j) / t(j)
//! cosine.csv         C[i][j] = t(i,j) / sqrt(t(i) t(j))
//! conditional.svg    heatmap of E (colour scale 0..1)
//! cosine.svg         heatmap of C
//! summary.json       task, options, classes, t(i), records counted / kept / dropped
//! ```
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use ecg_labels::{matrix_csv, ptbxl_task, LabelStats, PtbxlTask, RecordCodes, TaskOptions};
use ndarray::ArrayView2;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Label statistics: co-occurrence, conditional (E) and cosine (C) matrices + heatmaps.
    Labels {
        #[command(subcommand)]
        dataset: Dataset,
    },
}

#[derive(Subcommand, Debug)]
pub enum Dataset {
    /// A PTB-XL task, from the CSV tables (--data) or a packed file (--pack).
    Ptbxl(PtbxlArgs),
    /// Any pack's task, built as `ecg train` builds it (e.g. `classes` of a CPSC2018 or
    /// CinC 2021 pack, `zhou2024` of a Hefei-Tianchi pack).
    Pack(PackArgs),
}

#[derive(Args, Debug)]
pub struct PackArgs {
    /// A packed dataset (safetensors, `ecg pack`).
    #[arg(long)]
    pack: PathBuf,
    /// The task, as `data.task` of a training config.
    #[arg(long)]
    task: String,
    /// The folds statistics may see (the run's training folds), e.g. `1-8` or `1,2,3`.
    #[arg(long, default_value = "1-8")]
    train_folds: String,
    /// Keep a label only if its likelihood is >= this (default: every label).
    #[arg(long, default_value_t = 0.0)]
    min_likelihood: f64,
    /// Output directory (created).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug)]
pub struct PtbxlArgs {
    /// PTB-XL directory holding ptbxl_database.csv and scp_statements.csv.
    #[arg(long, conflicts_with = "pack", required_unless_present = "pack")]
    data: Option<PathBuf>,
    /// A packed PTB-XL dataset (safetensors, `ecg pack`), instead of --data.
    #[arg(long)]
    pack: Option<PathBuf>,
    /// all, diagnostic, subdiagnostic, superdiagnostic, form or rhythm.
    #[arg(long, default_value = "superdiagnostic")]
    task: String,
    /// Keep a statement only if its likelihood is >= this (default: every statement).
    #[arg(long, default_value_t = 0.0)]
    min_likelihood: f64,
    /// Keep a class only if more than this many records carry it (benchmark: 0).
    #[arg(long, default_value_t = 0)]
    min_samples: usize,
    /// Output directory (created).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Labels {
            dataset: Dataset::Ptbxl(a),
        } => ptbxl(&a),
        Cmd::Labels {
            dataset: Dataset::Pack(a),
        } => pack(&a),
    }
}

/// `1-8`, `9`, `1,3,5` or a mix (`1-6,9`); every fold in 1..=10.
fn parse_folds(text: &str) -> Result<Vec<u8>> {
    let mut folds = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u8, u8) = (a.trim().parse()?, b.trim().parse()?);
        if a == 0 || b > 10 || a > b {
            bail!("--train-folds `{text}`: `{part}` is not a fold range within 1..=10");
        }
        folds.extend(a..=b);
    }
    Ok(folds)
}

fn pack(a: &PackArgs) -> Result<()> {
    let folds = parse_folds(&a.train_folds)
        .with_context(|| format!("--train-folds `{}`", a.train_folds))?;
    let p = ecg_io::pack::PackedDataset::open(&a.pack)
        .with_context(|| format!("opening pack {}", a.pack.display()))?;
    let labels = ecg_labels::pack::pack_task(p.meta(), p.records(), &a.task, a.min_likelihood)
        .with_context(|| format!("building task `{}` from {}", a.task, a.pack.display()))?;
    let stats = LabelStats::on_folds(&labels, &folds).with_context(|| {
        format!(
            "counting labels of `{}` on folds {folds:?} of {}",
            a.task,
            a.pack.display()
        )
    })?;
    let title = format!("{} {}", p.meta().dataset, a.task);
    let options = serde_json::json!({
        "task": a.task,
        "dataset": p.meta().dataset,
        "source": a.pack,
        "min_likelihood": a.min_likelihood,
    });
    write_outputs(&a.out, &title, &folds, &labels, &stats, options)
}

/// "folds 1-8" for consecutive folds, else "folds 1,3,5" (ASCII: it goes into SVG titles).
fn fold_text(folds: &[u8]) -> String {
    let consecutive = folds.windows(2).all(|w| w[1] == w[0] + 1);
    match (folds.first(), folds.last()) {
        (Some(a), Some(b)) if consecutive && a != b => format!("folds {a}-{b}"),
        (Some(a), Some(_)) if folds.len() == 1 => format!("fold {a}"),
        _ => format!(
            "folds {}",
            folds
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// The three matrices as CSV, E and C as heatmaps, and summary.json (`options`, naming the
/// task and its source, plus the counts), into `out` (created).
fn write_outputs(
    out: &Path,
    title: &str,
    folds: &[u8],
    labels: &ecg_labels::TaskLabels,
    stats: &LabelStats,
    mut options: serde_json::Value,
) -> Result<()> {
    let names = labels.classes.names();
    let (e, c) = (stats.conditional(), stats.cosine());
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write(
        &out.join("cooccurrence.csv"),
        &matrix_csv(names, stats.counts.view())?,
    )?;
    write(&out.join("conditional.csv"), &matrix_csv(names, e.view())?)?;
    write(&out.join("cosine.csv"), &matrix_csv(names, c.view())?)?;
    let folds_text = fold_text(folds);
    let title = |what: &str| format!("{title}: {what} ({folds_text}, {} records)", stats.records);
    heatmap(
        &out.join("conditional.svg"),
        names,
        e.view(),
        &title("E[i][j] = t(i,j) / t(j)"),
    )?;
    heatmap(
        &out.join("cosine.svg"),
        names,
        c.view(),
        &title("C[i][j] = t(i,j) / sqrt(t(i) t(j))"),
    )?;
    let counts = serde_json::json!({
        "classes": names,
        "train_folds": folds,
        "train_records": stats.records,
        "train_label_counts": stats.label_counts(),
        "records_kept": labels.len(),
        "records_dropped": labels.dropped.len(),
    });
    if let (Some(o), serde_json::Value::Object(c)) = (options.as_object_mut(), counts) {
        o.extend(c);
    }
    write(
        &out.join("summary.json"),
        &serde_json::to_string_pretty(&options)?,
    )?;
    tracing::info!(
        classes = names.len(),
        train_records = stats.records,
        kept = labels.len(),
        dropped = labels.dropped.len(),
        out = %out.display(),
        "label statistics written"
    );
    Ok(())
}

fn ptbxl(a: &PtbxlArgs) -> Result<()> {
    let task: PtbxlTask = a.task.parse()?;
    let opts = TaskOptions {
        min_likelihood: a.min_likelihood,
        min_samples: a.min_samples,
    };
    let (source, labels) = match (&a.data, &a.pack) {
        (Some(dir), None) => {
            let db_path = dir.join("ptbxl_database.csv");
            let st_path = dir.join("scp_statements.csv");
            let db = ecg_io::ptbxl::load_database(&db_path)
                .with_context(|| format!("reading {}", db_path.display()))?;
            let st = ecg_io::ptbxl::load_statements(&st_path)
                .with_context(|| format!("reading {}", st_path.display()))?;
            let recs: Vec<RecordCodes> = db.iter().map(RecordCodes::from).collect();
            let t = ptbxl_task(&recs, &st, task, &opts)
                .with_context(|| format!("building task `{task}` from {}", dir.display()))?;
            (dir.clone(), t)
        }
        (None, Some(file)) => {
            let pack = ecg_io::pack::PackedDataset::open(file)
                .with_context(|| format!("opening pack {}", file.display()))?;
            if pack.meta().statements.is_empty() {
                bail!(
                    "{}: the pack ({}) holds no PTB-XL statement table, so task `{task}` cannot be built",
                    file.display(),
                    pack.meta().dataset
                );
            }
            let recs: Vec<RecordCodes> = pack.records().iter().map(RecordCodes::from).collect();
            let t = ptbxl_task(&recs, &pack.meta().statements, task, &opts)
                .with_context(|| format!("building task `{task}` from {}", file.display()))?;
            (file.clone(), t)
        }
        _ => bail!("give exactly one of --data DIR or --pack FILE"),
    };
    let stats = LabelStats::training(&labels).with_context(|| {
        format!(
            "counting labels of `{task}` on folds 1-8 of {}",
            source.display()
        )
    })?;
    let options = serde_json::json!({
        "task": task.name(),
        "source": source,
        "min_likelihood": a.min_likelihood,
        "min_samples": a.min_samples,
    });
    write_outputs(
        &a.out,
        &format!("PTB-XL {task}"),
        &ecg_labels::TRAIN_FOLDS,
        &labels,
        &stats,
        options,
    )
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Viridis, sampled at nine points (matplotlib's table at 0, 1/8, …, 1), interpolated
/// linearly; `v` is clamped to [0, 1].
fn viridis(v: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let x = v.clamp(0.0, 1.0) * 8.0;
    let i = (x.floor() as usize).min(7);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// An SVG heatmap of a [K, K] matrix with values in [0, 1]: rows/columns named, a colour
/// bar 0..1, the values printed in the cells when K is small.
fn heatmap(path: &Path, names: &[String], m: ArrayView2<f64>, title: &str) -> Result<()> {
    let k = names.len();
    let cell: i32 = (560 / k.max(1) as i32).clamp(9, 80);
    let font = (cell as f64 * 0.7).clamp(8.0, 14.0);
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(1) as i32;
    let label_w = (longest as f64 * font * 0.62) as i32 + 12;
    let (left, top) = (label_w + 10, label_w + 50);
    let grid = cell * k as i32;
    let (bar_x, bar_w) = (left + grid + 30, 18);
    let width = (bar_x + bar_w + 60).max(left + 420) as u32;
    let height = (top + grid + 30) as u32;
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(path, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        root.draw(&Text::new(
            title.to_string(),
            (10, 10),
            ("sans-serif", 15).into_font(),
        ))?;
        let left_style = TextStyle::from(("sans-serif", font).into_font())
            .pos(Pos::new(HPos::Right, VPos::Center));
        let top_style = TextStyle::from(
            ("sans-serif", font)
                .into_font()
                .transform(FontTransform::Rotate270),
        )
        .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, name) in names.iter().enumerate() {
            let mid = i as i32 * cell + cell / 2;
            root.draw(&Text::new(
                name.clone(),
                (left - 6, top + mid),
                left_style.clone(),
            ))?;
            root.draw(&Text::new(
                name.clone(),
                (left + mid, top - 6),
                top_style.clone(),
            ))?;
        }
        for i in 0..k {
            for j in 0..k {
                let v = m[[i, j]];
                let (x, y) = (left + j as i32 * cell, top + i as i32 * cell);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    viridis(v).filled(),
                ))?;
                if k <= 12 {
                    let ink = if v > 0.6 { BLACK } else { WHITE };
                    let style = TextStyle::from(("sans-serif", font).into_font())
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    root.draw(&Text::new(
                        format!("{v:.2}"),
                        (x + cell / 2, y + cell / 2),
                        style,
                    ))?;
                }
            }
        }
        root.draw(&Rectangle::new(
            [(left, top), (left + grid, top + grid)],
            BLACK.stroke_width(1),
        ))?;
        // Colour bar: 0 at the bottom, 1 at the top.
        let steps = 100;
        for s in 0..steps {
            let v = (s as f64 + 0.5) / steps as f64;
            let y1 = top + grid - (s * grid) / steps;
            let y0 = top + grid - ((s + 1) * grid) / steps;
            root.draw(&Rectangle::new(
                [(bar_x, y0), (bar_x + bar_w, y1)],
                viridis(v).filled(),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(bar_x, top), (bar_x + bar_w, top + grid)],
            BLACK.stroke_width(1),
        ))?;
        let tick_style =
            TextStyle::from(("sans-serif", 11).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let y = top + grid - (t * grid as f64).round() as i32;
            root.draw(&PathElement::new(
                vec![(bar_x + bar_w, y), (bar_x + bar_w + 4, y)],
                BLACK,
            ))?;
            root.draw(&Text::new(
                format!("{t:.2}"),
                (bar_x + bar_w + 7, y),
                tick_style.clone(),
            ))?;
        }
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| anyhow::anyhow!("drawing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::{fold_text, parse_folds, viridis};
    use plotters::style::RGBColor;

    #[test]
    fn train_folds_parse_as_ranges_and_lists_and_refuse_the_rest() {
        assert_eq!(
            parse_folds("1-8").expect("range"),
            (1..=8).collect::<Vec<u8>>()
        );
        assert_eq!(parse_folds("1-6, 9").expect("mix"), [1, 2, 3, 4, 5, 6, 9]);
        assert_eq!(parse_folds("3").expect("one"), [3]);
        for bad in ["0-8", "1-11", "8-1", "x", "", "1-"] {
            assert!(parse_folds(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(fold_text(&[1, 2, 3, 4, 5, 6]), "folds 1-6");
        assert_eq!(fold_text(&[9]), "fold 9");
        assert_eq!(fold_text(&[1, 3]), "folds 1,3");
    }

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(0.5), RGBColor(33, 144, 141));
    }
}
