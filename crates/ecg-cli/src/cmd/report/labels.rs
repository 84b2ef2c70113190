//! The label statistics that `ecg labels` drew (E and C heatmaps).
use super::references::{ZHANG_SUN_2024, ZHOU_2024};
use super::split::{self, Split};
use std::path::Path;

pub fn section(tdir: &Path, task: &str, split: &Split) -> String {
    let ldir = tdir.join("labels");
    let images: Vec<&str> = ["conditional.svg", "cosine.svg"]
        .into_iter()
        .filter(|f| ldir.join(f).exists())
        .collect();
    if images.is_empty() {
        return String::new();
    }
    let mut md = format!(
        "### Label statistics ({}, the training folds)\n\nConditional co-occurrence E ({}) \
         and cosine correlation C ({}); CSVs beside them in `{task}/labels/`.\n\n",
        split::name(&split.train),
        ZHANG_SUN_2024.cite(),
        ZHOU_2024.cite()
    );
    for f in images {
        md.push_str(&format!("![{f}]({task}/labels/{f})\n"));
    }
    md.push('\n');
    md
}
