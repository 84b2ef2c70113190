//! One way to draw a chart: [`draw`] takes a [`Chart`] (title, size, axes) and a list of
//! [`Series`] (lines or bars, each with an optional legend entry) and writes an SVG. ROC
//! curves, per-label F1 bars and training curves are all drawn with it.
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

#[derive(Debug)]
pub struct Axis<'a> {
    pub desc: &'a str,
    pub range: Range<f64>,
    /// Pixels kept for the tick labels.
    pub label_area: u32,
    /// Category names for the x axis: position `i` is labelled `categories[i]`, rotated
    /// (bar charts).
    pub categories: Option<&'a [String]>,
}

impl<'a> Axis<'a> {
    pub fn new(desc: &'a str, range: Range<f64>, label_area: u32) -> Self {
        Axis {
            desc,
            range,
            label_area,
            categories: None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Mark {
    Line,
    /// One bar per point `(x, v)`: from `x + from` to `x + to` wide, 0 to v high.
    Bars {
        from: f64,
        to: f64,
    },
}

#[derive(Debug)]
pub struct Series {
    /// The legend entry; `None`: not in the legend.
    pub name: Option<String>,
    pub points: Vec<(f64, f64)>,
    pub color: RGBAColor,
    pub mark: Mark,
}

impl Series {
    pub fn line(name: Option<String>, points: Vec<(f64, f64)>, color: RGBAColor) -> Self {
        Series {
            name,
            points,
            color,
            mark: Mark::Line,
        }
    }
}

#[derive(Debug)]
pub struct Chart<'a> {
    pub title: &'a str,
    /// Width, height in pixels.
    pub size: (u32, u32),
    pub x: Axis<'a>,
    pub y: Axis<'a>,
    pub legend: SeriesLabelPosition,
}

/// The k-th colour of the palette every chart uses.
pub fn color(k: usize) -> RGBAColor {
    Palette99::pick(k).to_rgba()
}

/// The label of x position `x` on a category axis (whole positions only).
fn category(names: &[String], x: f64) -> String {
    if x.fract() == 0.0 && x >= 0.0 {
        names.get(x as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

/// Draws `series` on `chart` into the SVG file `path`.
pub fn draw(path: &Path, chart: &Chart, series: &[Series]) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing {}: {e}", path.display());
    let root = SVGBackend::new(path, chart.size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut c = ChartBuilder::on(&root)
        .caption(chart.title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(chart.x.label_area)
        .y_label_area_size(chart.y.label_area)
        .build_cartesian_2d(chart.x.range.clone(), chart.y.range.clone())
        .map_err(|e| err(&e))?;
    let names = chart.x.categories.unwrap_or_default();
    let by_category = |x: &f64| category(names, *x);
    let mut mesh = c.configure_mesh();
    mesh.x_desc(chart.x.desc).y_desc(chart.y.desc);
    if chart.x.categories.is_some() {
        mesh.disable_x_mesh()
            .x_labels(names.len().max(1))
            .x_label_formatter(&by_category)
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            );
    }
    mesh.draw().map_err(|e| err(&e))?;
    for s in series {
        let (line, fill) = (s.color.stroke_width(2), s.color.filled());
        let drawn = match s.mark {
            Mark::Line => c.draw_series(LineSeries::new(s.points.clone(), line)),
            Mark::Bars { from, to } => c.draw_series(s.points.iter().map(|&(x, v)| {
                let v = if v.is_finite() { v } else { 0.0 };
                Rectangle::new([(x + from, 0.0), (x + to, v)], fill)
            })),
        }
        .map_err(|e| err(&e))?;
        if let Some(name) = &s.name {
            drawn.label(name.clone());
            match s.mark {
                Mark::Line => {
                    drawn.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], line))
                }
                Mark::Bars { .. } => {
                    drawn.legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], fill))
                }
            };
        }
    }
    if series.iter().any(|s| s.name.is_some()) {
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(chart.legend.clone())
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_lines_and_bars_with_legends() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("c.svg");
        let cats = vec!["NORM".to_string(), "MI".to_string()];
        let mut x = Axis::new("label", 0.0..2.0, 70);
        x.categories = Some(&cats);
        let chart = Chart {
            title: "t",
            size: (480, 400),
            x,
            y: Axis::new("F1", 0.0..1.0, 50),
            legend: SeriesLabelPosition::UpperRight,
        };
        let bars = Series {
            name: Some("before".into()),
            points: vec![(0.0, 0.5), (1.0, f64::NAN)],
            color: color(0),
            mark: Mark::Bars { from: 0.1, to: 0.5 },
        };
        let line = Series::line(None, vec![(0.0, 0.0), (2.0, 1.0)], BLACK.mix(0.3));
        draw(&path, &chart, &[bars, line]).expect("draw");
        let svg = std::fs::read_to_string(&path).expect("svg");
        assert!(svg.contains("NORM") && svg.contains("before") && svg.contains("<rect"));
    }
}
