//! Published numbers printed beside ours (METHODS §7), as data: one table of [`Published`]
//! rows per dataset. To add a dataset's published numbers, add a `&[Published]` table
//! (paper, what was measured, task, scores) and list it in [`TABLES`] under the dataset
//! key that run.json's `dataset` field names; `results` prints every row whose task
//! matches, with the same table builder as our own rows.
use super::references::{Paper, STRODTHOFF_2021, ZHANG_SUN_2024, ZHOU_2024};
use super::results::Scores;

#[derive(Debug)]
pub struct Published {
    pub paper: &'static Paper,
    /// What the number is of: "reported", "teacher", "xresnet1d101".
    pub what: &'static str,
    /// The label task, or `*` for a number listed beside every task.
    pub task: &'static str,
    pub scores: Scores,
}

impl Published {
    /// The row's name: "xresnet1d101 (PTB-XL benchmark, Strodthoff et al. 2021)".
    pub fn name(&self) -> String {
        format!("{} ({})", self.what, self.paper.cite())
    }
}

const fn prfa(precision: f64, recall: f64, f1: f64, accuracy: f64) -> Scores {
    Scores {
        precision: Some(precision),
        recall: Some(recall),
        f1: Some(f1),
        accuracy: Some(accuracy),
        ..Scores::NONE
    }
}

const fn f1(f1: f64) -> Scores {
    Scores {
        f1: Some(f1),
        ..Scores::NONE
    }
}

const fn auc(macro_auc: f64) -> Scores {
    Scores {
        auc: Some(macro_auc),
        ..Scores::NONE
    }
}

/// `what` on every PTB-XL benchmark task: all, diagnostic, subdiagnostic, superdiagnostic,
/// form, rhythm (macro-AUC on fold 10, Strodthoff et al. 2021).
const fn benchmark(what: &'static str, task: &'static str, macro_auc: f64) -> Published {
    Published {
        paper: &STRODTHOFF_2021,
        what,
        task,
        scores: auc(macro_auc),
    }
}

pub const PTBXL: &[Published] = &[
    Published {
        paper: &ZHANG_SUN_2024,
        what: "reported",
        task: "superdiagnostic",
        scores: prfa(0.783, 0.732, 0.754, 0.902),
    },
    Published {
        paper: &ZHANG_SUN_2024,
        what: "reported",
        task: "subdiagnostic",
        scores: prfa(0.479, 0.580, 0.482, 0.727),
    },
    Published {
        paper: &ZHOU_2024,
        what: "teacher",
        task: "*",
        scores: f1(0.873),
    },
    Published {
        paper: &ZHOU_2024,
        what: "student 0.62×",
        task: "*",
        scores: f1(0.876),
    },
    benchmark("xresnet1d101", "all", 0.925),
    benchmark("xresnet1d101", "diagnostic", 0.937),
    benchmark("xresnet1d101", "subdiagnostic", 0.929),
    benchmark("xresnet1d101", "superdiagnostic", 0.928),
    benchmark("xresnet1d101", "form", 0.896),
    benchmark("xresnet1d101", "rhythm", 0.957),
    benchmark("resnet1d_wang", "all", 0.919),
    benchmark("resnet1d_wang", "diagnostic", 0.936),
    benchmark("resnet1d_wang", "subdiagnostic", 0.928),
    benchmark("resnet1d_wang", "superdiagnostic", 0.930),
    benchmark("resnet1d_wang", "form", 0.880),
    benchmark("resnet1d_wang", "rhythm", 0.946),
    benchmark("inception1d", "all", 0.925),
    benchmark("inception1d", "diagnostic", 0.931),
    benchmark("inception1d", "subdiagnostic", 0.930),
    benchmark("inception1d", "superdiagnostic", 0.921),
    benchmark("inception1d", "form", 0.899),
    benchmark("inception1d", "rhythm", 0.953),
];

/// CPSC2018, task `classes`: Zhang & Sun 2024's macro F1 (Table 3) and its Table-4
/// ablation, beside our teacher and its ablation presets.
pub const CPSC2018: &[Published] = &[
    Published {
        paper: &ZHANG_SUN_2024,
        what: "reported, full model",
        task: "classes",
        scores: f1(0.829),
    },
    Published {
        paper: &ZHANG_SUN_2024,
        what: "ablation, backbone only",
        task: "classes",
        scores: f1(0.606),
    },
    Published {
        paper: &ZHANG_SUN_2024,
        what: "ablation, + label-correlation embedding",
        task: "classes",
        scores: f1(0.797),
    },
    Published {
        paper: &ZHANG_SUN_2024,
        what: "ablation, + decoder",
        task: "classes",
        scores: f1(0.769),
    },
];

/// Hefei-Tianchi: Zhou et al. 2024's macro F1 of the teacher and the 0.62× student (the
/// abstract names no task; listed beside every task).
pub const HEFEI: &[Published] = &[
    Published {
        paper: &ZHOU_2024,
        what: "teacher",
        task: "*",
        scores: f1(0.824),
    },
    Published {
        paper: &ZHOU_2024,
        what: "student 0.62×",
        task: "*",
        scores: f1(0.816),
    },
];

/// (dataset key in run.json, its published numbers).
pub const TABLES: &[(&str, &[Published])] =
    &[("ptbxl", PTBXL), ("cpsc2018", CPSC2018), ("hefei", HEFEI)];

/// The published rows for `task` of `dataset` (none for a dataset without a table).
pub fn for_task<'a>(dataset: &str, task: &'a str) -> impl Iterator<Item = &'static Published> + 'a {
    let table = TABLES
        .iter()
        .find(|(d, _)| *d == dataset)
        .map_or(&[][..], |(_, t)| *t);
    table
        .iter()
        .filter(move |p| p.task == task || p.task == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_for_a_task_include_the_any_task_ones() {
        let names: Vec<String> = for_task("ptbxl", "superdiagnostic")
            .map(Published::name)
            .collect();
        assert_eq!(names.len(), 6, "{names:?}");
        assert!(names.contains(&"reported (label-correlation network, Zhang & Sun 2024)".into()));
        assert!(names.contains(&"teacher (KD + label relevance, Zhou et al. 2024)".into()));
        assert!(names.contains(&"xresnet1d101 (PTB-XL benchmark, Strodthoff et al. 2021)".into()));
        assert_eq!(for_task("unknown", "all").count(), 0);
    }
}
