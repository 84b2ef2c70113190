//! The "Claims" section: each paper's claim, the paired comparisons that test it on this
//! run, and our verdict — reproduced, not reproduced, or not measurable on this data — with
//! the evidence (seeds or test records, interval) and the decision rule printed beside it.
//!
//! A comparison is A − B on one metric of the test fold, computed from the files `ecg eval`
//! wrote (`scores[_calibrated].npy`, `labels.npy`, the thresholds in
//! `metrics[_calibrated].json`, `classes.txt`, `ids.txt`) and, for rare labels, the
//! training-fold counts in `<task>/labels/summary.json`. Its interval is
//! - over seeds (a run of [`MIN_SEEDS`] or more seeds): the Student-t interval of the
//!   per-seed differences;
//! - otherwise: a paired bootstrap over the test records of one run ([`RESAMPLES`]
//!   resamples, the same resample for A and B).
//!
//! The statistics are ecg-metrics' `paired`; the rule is [`verdict`].
use super::json;
use super::plot::{self, Axis, Chart, Series};
use super::references::{Paper, LIU_2025, QIN_2023, ZHANG_SUN_2024, ZHOU_2024};
use super::table::Table;
use anyhow::{bail, Context, Result};
use ecg_metrics::npy::{read_labels, read_scores};
use ecg_metrics::{
    draw_bootstrap_samples, f1_report, macro_auc, paired_bootstrap, Interval, Summary,
};
use ndarray::{Array2, ArrayView2, Axis as NdAxis};
use plotters::prelude::{RGBColor, SeriesLabelPosition, BLACK};
use plotters::style::Color as _;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Two-sided level of every interval.
pub const LEVEL: f64 = 0.95;
/// A test fold with fewer records gives "not measurable", whatever the interval says (the
/// 500-record sample of PTB-XL has about 50).
pub const MIN_TEST_RECORDS: usize = 100;
/// Seeds needed for the Student-t interval over seeds; with fewer, the paired bootstrap over
/// the test records of one run decides.
pub const MIN_SEEDS: usize = 3;
/// Bootstrap resamples of a one-run comparison.
pub const RESAMPLES: usize = 1000;
/// A label is rare when fewer than this fraction of the training-fold records have it.
pub const RARE_PREVALENCE: f64 = 0.05;
/// A rare label counts in the rare-label F1 only with at least this many test positives.
pub const MIN_RARE_TEST_POSITIVES: usize = 5;
/// "Keeps the teacher's accuracy": A − B above −this macro-AUC.
pub const NON_INFERIORITY: f64 = 0.01;

/// What a comparison measures on the test fold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    MacroAuc,
    /// Macro-F1 at the thresholds fitted on validation.
    MacroF1,
    /// Macro-F1 over the rare labels only.
    RareF1,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::MacroAuc => "macro-AUC",
            Metric::MacroF1 => "macro-F1",
            Metric::RareF1 => "macro-F1, rare labels",
        }
    }
}

/// One model's test outputs: its folder, calibrated or not.
#[derive(Debug, Clone, Copy)]
pub struct Arm {
    pub dir: &'static str,
    pub calibrated: bool,
}

const fn arm(dir: &'static str) -> Arm {
    Arm {
        dir,
        calibrated: false,
    }
}

const fn calibrated(dir: &'static str) -> Arm {
    Arm {
        dir,
        calibrated: true,
    }
}

/// A − B on `metric`; the paper's side is A − B > `margin`.
#[derive(Debug)]
pub struct Comparison {
    pub what: &'static str,
    pub a: Arm,
    pub b: Arm,
    pub metric: Metric,
    pub margin: f64,
}

const fn cmp(what: &'static str, a: Arm, b: Arm, metric: Metric, margin: f64) -> Comparison {
    Comparison {
        what,
        a,
        b,
        metric,
        margin,
    }
}

/// A paper's claim and the comparisons that test it.
#[derive(Debug)]
pub struct Claim {
    pub key: &'static str,
    pub paper: &'static Paper,
    pub statement: &'static str,
    pub comparisons: &'static [Comparison],
    /// Why a run that has none of the comparisons cannot test the claim.
    pub missing: &'static str,
}

use Metric::{MacroAuc, MacroF1, RareF1};

pub const CLAIMS: &[Claim] = &[
    Claim {
        key: "a",
        paper: &ZHANG_SUN_2024,
        statement: "the label-correlation teacher beats plain networks",
        comparisons: &[
            cmp(
                "teacher − its backbone alone",
                arm("teacher"),
                arm("teacher_backbone"),
                MacroAuc,
                0.0,
            ),
            cmp(
                "teacher − student (no KD)",
                arm("teacher"),
                arm("student"),
                MacroAuc,
                0.0,
            ),
            cmp(
                "teacher − xresnet1d101",
                arm("teacher"),
                arm("xresnet1d101"),
                MacroAuc,
                0.0,
            ),
            cmp(
                "teacher − resnet1d_wang",
                arm("teacher"),
                arm("resnet1d_wang"),
                MacroAuc,
                0.0,
            ),
            cmp(
                "teacher − inception1d",
                arm("teacher"),
                arm("inception1d"),
                MacroAuc,
                0.0,
            ),
            cmp(
                "teacher − fcn_wang",
                arm("teacher"),
                arm("fcn_wang"),
                MacroAuc,
                0.0,
            ),
        ],
        missing: "the run has no teacher beside a plain network",
    },
    Claim {
        key: "b",
        paper: &ZHOU_2024,
        statement: "a student distilled from the teacher keeps the teacher's accuracy at a \
                    fraction of its size",
        comparisons: &[
            cmp(
                "KD student − student (no KD)",
                arm("student_kd"),
                arm("student"),
                MacroAuc,
                0.0,
            ),
            cmp(
                "KD student − teacher",
                arm("student_kd"),
                arm("teacher"),
                MacroAuc,
                -NON_INFERIORITY,
            ),
        ],
        missing: "the run has no distilled student beside the teacher and the student alone",
    },
    Claim {
        key: "c",
        paper: &QIN_2023,
        statement: "a single-lead student gains from the 12-lead teacher through MKD and CLT",
        comparisons: &[cmp(
            "MVKT lead-I student − lead-I student alone",
            arm("student_lead1_mvkt"),
            arm("student_lead1"),
            MacroAuc,
            0.0,
        )],
        missing: "the run has no lead-I student with and without MVKT",
    },
    Claim {
        key: "d",
        paper: &ZHOU_2024,
        statement: "calibration with label correlation improves F1, above all on rare labels",
        comparisons: &[
            cmp(
                "KD student: calibrated − uncalibrated",
                calibrated("student_kd"),
                arm("student_kd"),
                MacroF1,
                0.0,
            ),
            cmp(
                "KD student: calibrated − uncalibrated",
                calibrated("student_kd"),
                arm("student_kd"),
                RareF1,
                0.0,
            ),
            cmp(
                "teacher: calibrated − uncalibrated",
                calibrated("teacher"),
                arm("teacher"),
                MacroF1,
                0.0,
            ),
            cmp(
                "teacher: calibrated − uncalibrated",
                calibrated("teacher"),
                arm("teacher"),
                RareF1,
                0.0,
            ),
        ],
        missing: "no model of the run was evaluated with calibration",
    },
    Claim {
        key: "e",
        paper: &LIU_2025,
        statement: "LCD pretraining helps single-lead classification",
        comparisons: &[
            cmp(
                "LCD linear probe − per-lead network from scratch",
                arm("lcd_probe"),
                arm("lcd_scratch"),
                MacroAuc,
                0.0,
            ),
            cmp(
                "LCD fine-tuned − per-lead network from scratch",
                arm("lcd_finetune"),
                arm("lcd_scratch"),
                MacroAuc,
                0.0,
            ),
        ],
        missing: "the run has no LCD model beside the same per-lead network trained from \
                  scratch (`lcd_scratch`); the pipeline trains LCD's downstream network only \
                  from the pretrained encoder (full profile)",
    },
];

/// The decision rule, as the report prints it.
pub fn rule_text() -> String {
    format!(
        "**Decision rule.** Each comparison is a paired difference A − B on the test fold, \
         and each claim says on which side of a margin it lies: A − B > 0 (\"beats\", \
         \"gains\", \"improves\"), or A − B > −{NON_INFERIORITY} macro-AUC for \"keeps the \
         teacher's accuracy\". Its {pct} % interval comes from the Student-t distribution \
         over seeds (mean ± t·s/√n of the per-seed differences, n − 1 degrees of freedom) \
         when the run has {MIN_SEEDS} or more seeds, else from a paired bootstrap over the \
         test records of one run ({RESAMPLES} resamples, the same records for A and B, \
         2.5th–97.5th percentiles; it holds the training seed fixed, so it shows the test \
         sample's variation, not the seed's). The verdict is\n\
         - **reproduced** when the whole interval lies on the paper's side of the margin;\n\
         - **not reproduced** when the whole interval lies on the other side;\n\
         - **not measurable on this data** when the test fold has fewer than \
         {MIN_TEST_RECORDS} records (a small sample gets no verdict), when the run lacks \
         one of the two models, or when the interval contains the margin (inconclusive at \
         this number of seeds or test records).\n\n\
         Rare labels: fewer than {rare} % of the training-fold records carry them \
         (`labels/summary.json`); a rare label enters the rare-label F1 only with at least \
         {MIN_RARE_TEST_POSITIVES} test positives.\n\n",
        pct = LEVEL * 100.0,
        rare = RARE_PREVALENCE * 100.0,
    )
}

/// Where a comparison's interval comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// One paired difference per seed; Student-t interval.
    Seeds(Vec<u64>),
    /// One run (its seed); paired bootstrap over its test records.
    Bootstrap {
        seed: u64,
        resamples: usize,
        undefined: usize,
    },
}

/// The numbers a verdict rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub source: Source,
    /// Mean of the per-seed differences, or the difference on the whole test fold.
    pub diff: f64,
    /// Standard deviation over seeds.
    pub std: Option<f64>,
    pub interval: Option<Interval>,
    /// Test records (the fewest over seeds).
    pub n_test: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Reproduced,
    NotReproduced,
    NotMeasurable(String),
}

impl Verdict {
    fn text(&self) -> String {
        match self {
            Verdict::Reproduced => "**reproduced**".into(),
            Verdict::NotReproduced => "**not reproduced**".into(),
            Verdict::NotMeasurable(why) => format!("not measurable: {why}"),
        }
    }

    fn color(&self) -> RGBColor {
        match self {
            Verdict::Reproduced => RGBColor(30, 140, 60),
            Verdict::NotReproduced => RGBColor(200, 40, 40),
            Verdict::NotMeasurable(_) => RGBColor(130, 130, 130),
        }
    }
}

/// The rule printed by [`rule_text`], applied to one comparison's evidence.
pub fn verdict(e: &Evidence, margin: f64) -> Verdict {
    if e.n_test < MIN_TEST_RECORDS {
        return Verdict::NotMeasurable(format!(
            "the test fold has {} records, fewer than {MIN_TEST_RECORDS}",
            e.n_test
        ));
    }
    let Some(i) = e.interval else {
        return Verdict::NotMeasurable("no interval could be computed".into());
    };
    if i.lo > margin {
        Verdict::Reproduced
    } else if i.hi < margin {
        Verdict::NotReproduced
    } else {
        let on = match &e.source {
            Source::Seeds(s) => format!("{} seeds", s.len()),
            Source::Bootstrap { .. } => format!("one seed, {} test records", e.n_test),
        };
        Verdict::NotMeasurable(format!(
            "inconclusive at {on}: the interval contains {margin:+}"
        ))
    }
}

/// One arm's test outputs, read from its model folder.
struct Outputs {
    y: Array2<u8>,
    p: Array2<f64>,
    thresholds: Vec<f64>,
    classes: Vec<String>,
    ids: Option<String>,
}

fn metrics_file(tdir: &Path, arm: Arm) -> PathBuf {
    let stem = if arm.calibrated { "_calibrated" } else { "" };
    tdir.join(arm.dir).join(format!("metrics{stem}.json"))
}

/// The arm's outputs, or `None` when its metrics file is absent (the run lacks the model).
fn load(tdir: &Path, arm: Arm) -> Result<Option<Outputs>> {
    let mpath = metrics_file(tdir, arm);
    if !mpath.exists() {
        return Ok(None);
    }
    let dir = tdir.join(arm.dir);
    let stem = if arm.calibrated { "_calibrated" } else { "" };
    let spath = dir.join(format!("scores{stem}.npy"));
    let p = read_scores(&spath).with_context(|| format!("reading {}", spath.display()))?;
    let lpath = dir.join("labels.npy");
    let y = read_labels(&lpath).with_context(|| format!("reading {}", lpath.display()))?;
    let m = json::read(&mpath)?;
    let thresholds: Vec<f64> = m["thresholded"]["thresholds"]
        .as_array()
        .with_context(|| {
            format!(
                "{}: field `thresholded.thresholds` missing or not a list",
                mpath.display()
            )
        })?
        .iter()
        .map(|t| t.as_f64())
        .collect::<Option<_>>()
        .with_context(|| {
            format!(
                "{}: `thresholded.thresholds` holds a non-number",
                mpath.display()
            )
        })?;
    let cpath = dir.join("classes.txt");
    let classes: Vec<String> = std::fs::read_to_string(&cpath)
        .with_context(|| format!("reading {}", cpath.display()))?
        .lines()
        .map(str::to_string)
        .collect();
    if p.dim() != y.dim() || thresholds.len() != y.ncols() || classes.len() != y.ncols() {
        bail!(
            "{}: scores {:?}, labels {:?}, {} thresholds and {} classes do not line up",
            dir.display(),
            p.dim(),
            y.dim(),
            thresholds.len(),
            classes.len()
        );
    }
    let ids = std::fs::read_to_string(dir.join("ids.txt")).ok();
    Ok(Some(Outputs {
        y,
        p,
        thresholds,
        classes,
        ids,
    }))
}

/// Labels rare in the training folds (`<task>/labels/summary.json`) with enough test
/// positives: (their columns, their names).
fn rare_labels(tdir: &Path, o: &Outputs) -> Result<(Vec<usize>, Vec<String>)> {
    let path = tdir.join("labels").join("summary.json");
    if !path.exists() {
        bail!(
            "{} is missing (the training-fold counts that define rare labels)",
            path.display()
        );
    }
    let s = json::read(&path)?;
    let field = |k: &str| format!("{}: field `{k}` missing or malformed", path.display());
    let names: Vec<&str> = s["classes"]
        .as_array()
        .with_context(|| field("classes"))?
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()
        .with_context(|| field("classes"))?;
    let counts: Vec<u64> = s["train_label_counts"]
        .as_array()
        .with_context(|| field("train_label_counts"))?
        .iter()
        .map(Value::as_u64)
        .collect::<Option<_>>()
        .with_context(|| field("train_label_counts"))?;
    let records = s["train_records"]
        .as_u64()
        .filter(|n| *n > 0)
        .with_context(|| field("train_records"))?;
    if names.len() != counts.len() {
        bail!(
            "{}: {} classes but {} counts",
            path.display(),
            names.len(),
            counts.len()
        );
    }
    let mut cols = vec![];
    let mut shown = vec![];
    for (j, c) in o.classes.iter().enumerate() {
        let Some(k) = names.iter().position(|n| n == c) else {
            bail!(
                "{}: class {c} of the model is not in the label statistics",
                path.display()
            );
        };
        let prevalence = counts[k] as f64 / records as f64;
        let test_pos = o.y.column(j).iter().filter(|&&v| v == 1).count();
        if prevalence < RARE_PREVALENCE && test_pos >= MIN_RARE_TEST_POSITIVES {
            cols.push(j);
            shown.push(format!("{c} ({:.1} %)", prevalence * 100.0));
        }
    }
    Ok((cols, shown))
}

/// The labels and the scores the metric reads: its columns, and for F1 the predictions at
/// the arm's thresholds as 0/1 scores (so both arms go through one function of (y, p)).
fn view(o: &Outputs, metric: Metric, cols: &[usize]) -> (Array2<u8>, Array2<f64>) {
    let mut p = o.p.clone();
    if metric != MacroAuc {
        for (mut col, t) in p.columns_mut().into_iter().zip(&o.thresholds) {
            col.mapv_inplace(|v| f64::from(u8::from(v >= *t)));
        }
    }
    (o.y.select(NdAxis(1), cols), p.select(NdAxis(1), cols))
}

fn score(
    metric: Metric,
    y: ArrayView2<u8>,
    p: ArrayView2<f64>,
) -> ecg_metrics::Result<Option<f64>> {
    match metric {
        MacroAuc => Ok(macro_auc(y, p)?.macro_),
        MacroF1 | RareF1 => {
            let pred = p.mapv(|v| u8::from(v >= 0.5));
            Ok(Some(f1_report(y, pred.view())?.macro_.f1))
        }
    }
}

/// Both arms of a comparison in one task folder, checked to be scored on the same records,
/// and the metric's columns (with the rare labels' names for RareF1). `Ok(None)`: an arm
/// is absent; `Err`: unreadable or unpaired files.
#[allow(clippy::type_complexity)]
fn pair(
    tdir: &Path,
    c: &Comparison,
) -> Result<Option<(Outputs, Outputs, Vec<usize>, Vec<String>)>> {
    let (Some(a), Some(b)) = (load(tdir, c.a)?, load(tdir, c.b)?) else {
        return Ok(None);
    };
    let same_ids = match (&a.ids, &b.ids) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    if a.y != b.y || a.classes != b.classes || !same_ids {
        bail!(
            "{} and {}: the two models were not scored on the same test records and labels \
             (labels.npy, classes.txt or ids.txt differ)",
            tdir.join(c.a.dir).display(),
            tdir.join(c.b.dir).display()
        );
    }
    let (cols, rare) = if c.metric == RareF1 {
        rare_labels(tdir, &a)?
    } else {
        ((0..a.y.ncols()).collect(), vec![])
    };
    Ok(Some((a, b, cols, rare)))
}

/// One row of the Claims table.
#[derive(Debug)]
pub struct Row {
    pub claim: &'static Claim,
    pub task: String,
    pub comparison: Option<&'static Comparison>,
    pub evidence: Option<Evidence>,
    pub verdict: Verdict,
    /// Rare labels used, size ratio: what else the row rests on.
    pub note: String,
}

/// Parameters of A as a multiple of B's, from their size.json files.
fn size_note(tdir: &Path, c: &Comparison) -> String {
    let params = |d: &str| {
        json::read(&tdir.join(d).join("size.json"))
            .ok()
            .and_then(|v| v["params"].as_f64())
    };
    match (params(c.a.dir), params(c.b.dir)) {
        // Only where the sizes differ (a KD student has its no-KD twin's size).
        (Some(a), Some(b)) if b > 0.0 && (a / b - 1.0).abs() > 0.005 => {
            format!(
                "{} has {:.2}× the parameters of {}",
                c.a.dir,
                a / b,
                c.b.dir
            )
        }
        _ => String::new(),
    }
}

fn rare_note(c: &Comparison, rare: &[String]) -> String {
    if c.metric == RareF1 {
        format!("rare labels: {}", rare.join(", "))
    } else {
        String::new()
    }
}

/// Evidence from one run: paired bootstrap over its test records.
fn bootstrap_row(
    tdir: &Path,
    task: &str,
    claim: &'static Claim,
    c: &'static Comparison,
    seed: u64,
) -> Result<Option<Row>> {
    let Some((a, b, cols, rare)) = pair(tdir, c)? else {
        return Ok(None);
    };
    let row = |evidence, verdict, note| Row {
        claim,
        task: task.to_string(),
        comparison: Some(c),
        evidence,
        verdict,
        note,
    };
    if cols.is_empty() {
        return Ok(Some(row(
            None,
            Verdict::NotMeasurable("no rare label with enough test positives".into()),
            String::new(),
        )));
    }
    let (y, pa) = view(&a, c.metric, &cols);
    let (_, pb) = view(&b, c.metric, &cols);
    // Resamples keep a positive of every label that has one in the test fold.
    let present: Vec<usize> = (0..y.ncols())
        .filter(|&j| y.column(j).iter().any(|&v| v == 1))
        .collect();
    let samples = draw_bootstrap_samples(y.select(NdAxis(1), &present).view(), RESAMPLES, seed)
        .with_context(|| format!("task {task}: drawing bootstrap resamples of the test fold"))?;
    let r = paired_bootstrap(y.view(), pa.view(), pb.view(), &samples, LEVEL, |y, p| {
        score(c.metric, y, p)
    })
    .with_context(|| format!("task {task}: paired bootstrap of {}", c.what))?;
    let Some(diff) = r.point else {
        return Ok(Some(row(
            None,
            Verdict::NotMeasurable(format!(
                "{} is undefined on this test fold",
                c.metric.name()
            )),
            String::new(),
        )));
    };
    let e = Evidence {
        source: Source::Bootstrap {
            seed,
            resamples: r.n_samples,
            undefined: r.n_undefined,
        },
        diff,
        std: None,
        interval: r.interval,
        n_test: y.nrows(),
    };
    let v = verdict(&e, c.margin);
    let note = [rare_note(c, &rare), size_note(tdir, c)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    Ok(Some(row(Some(e), v, note)))
}

/// Evidence over seeds: one difference per seed run that has both arms, Student-t interval.
/// With fewer than [`MIN_SEEDS`] such seeds, the first one's paired bootstrap.
fn seeds_row(
    runs: &[(u64, PathBuf)],
    task: &str,
    claim: &'static Claim,
    c: &'static Comparison,
) -> Result<Option<Row>> {
    let mut diffs = vec![];
    let mut seeds = vec![];
    let mut n_test = usize::MAX;
    let mut rare_sets = vec![];
    let mut first = None;
    for (seed, run) in runs {
        let tdir = run.join(task);
        let Some((a, b, cols, rare)) = pair(&tdir, c)? else {
            continue;
        };
        first.get_or_insert((*seed, tdir.clone()));
        if cols.is_empty() {
            continue;
        }
        let (y, pa) = view(&a, c.metric, &cols);
        let (_, pb) = view(&b, c.metric, &cols);
        let (Some(sa), Some(sb)) = (
            score(c.metric, y.view(), pa.view())?,
            score(c.metric, y.view(), pb.view())?,
        ) else {
            continue;
        };
        diffs.push(sa - sb);
        seeds.push(*seed);
        n_test = n_test.min(y.nrows());
        if !rare_sets.contains(&rare) {
            rare_sets.push(rare);
        }
    }
    let Some((seed, tdir)) = first else {
        return Ok(None);
    };
    if diffs.len() < MIN_SEEDS {
        return bootstrap_row(&tdir, task, claim, c, seed);
    }
    let s = Summary::of(&diffs, LEVEL).with_context(|| format!("task {task}: {}", c.what))?;
    let e = Evidence {
        source: Source::Seeds(seeds),
        diff: s.mean,
        std: s.std,
        interval: s.t_interval,
        n_test,
    };
    let rare: Vec<String> = rare_sets.iter().map(|r| r.join(", ")).collect();
    let note = [
        if c.metric == RareF1 {
            format!("rare labels: {}", rare.join(" | "))
        } else {
            String::new()
        },
        size_note(&tdir, c),
        format!(
            "per seed: {}",
            diffs
                .iter()
                .map(|d| format!("{d:+.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("; ");
    Ok(Some(Row {
        claim,
        task: task.to_string(),
        comparison: Some(c),
        verdict: verdict(&e, c.margin),
        evidence: Some(e),
        note,
    }))
}

/// The runs the section reads: one run folder and its seed, or seed runs of an aggregate.
pub enum Runs<'a> {
    One { run: &'a Path, seed: u64 },
    Seeds(&'a [(u64, PathBuf)]),
}

/// Every claim's rows for every task.
pub fn rows(runs: &Runs, tasks: &[&str]) -> Result<Vec<Row>> {
    let mut out = vec![];
    for claim in CLAIMS {
        for task in tasks {
            let before = out.len();
            for c in claim.comparisons {
                // Rare labels need the training-fold counts of `ecg labels`.
                let tdir = match runs {
                    Runs::One { run, .. } => run.join(task),
                    Runs::Seeds(s) => s.first().map(|(_, r)| r.join(task)).unwrap_or_default(),
                };
                let counts = tdir.join("labels").join("summary.json");
                let both = metrics_file(&tdir, c.a).exists() && metrics_file(&tdir, c.b).exists();
                if c.metric == RareF1 && both && !counts.exists() {
                    out.push(Row {
                        claim,
                        task: task.to_string(),
                        comparison: Some(c),
                        evidence: None,
                        verdict: Verdict::NotMeasurable(format!(
                            "{} is missing (the training-fold counts that define rare labels)",
                            counts.display()
                        )),
                        note: String::new(),
                    });
                    continue;
                }
                let row = match runs {
                    Runs::One { run, seed } => {
                        bootstrap_row(&run.join(task), task, claim, c, *seed)?
                    }
                    Runs::Seeds(s) => seeds_row(s, task, claim, c)?,
                };
                out.extend(row);
            }
            if out.len() == before {
                out.push(Row {
                    claim,
                    task: task.to_string(),
                    comparison: None,
                    evidence: None,
                    verdict: Verdict::NotMeasurable(claim.missing.into()),
                    note: String::new(),
                });
            }
        }
    }
    Ok(out)
}

fn evidence_text(e: &Evidence) -> String {
    match &e.source {
        Source::Seeds(s) => format!(
            "{} seeds ({}), Student t; {} test records",
            s.len(),
            s.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
            e.n_test
        ),
        Source::Bootstrap {
            seed,
            resamples,
            undefined,
        } => {
            let undef = if *undefined > 0 {
                format!(" ({undefined} undefined, left out)")
            } else {
                String::new()
            };
            format!(
                "seed {seed}, paired bootstrap over {} test records, {resamples} resamples{undef}",
                e.n_test
            )
        }
    }
}

fn diff_text(e: &Evidence) -> String {
    let mut s = format!("{:+.3}", e.diff);
    if let Some(sd) = e.std {
        s.push_str(&format!(" ± {sd:.3}"));
    }
    if let Some(i) = e.interval {
        s.push_str(&format!(" [{:+.3}, {:+.3}]", i.lo, i.hi));
    }
    s
}

/// The paired differences and their intervals, one per row with evidence, coloured by
/// verdict, with the margins as grey ticks and 0 as a black line.
fn plot_rows(path: &Path, numbered: &[(usize, &Row)]) -> Result<()> {
    // The x axis names each row by its number in the table.
    let labels: Vec<String> = numbered.iter().map(|(k, _)| k.to_string()).collect();
    let rows: Vec<&Row> = numbered.iter().map(|(_, r)| *r).collect();
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for r in &rows {
        if let Some(e) = &r.evidence {
            let (a, b) = e.interval.map_or((e.diff, e.diff), |i| (i.lo, i.hi));
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    let pad = ((hi - lo) * 0.1).max(0.01);
    let n = rows.len() as f64;
    let mut x = Axis::new("row of the table", -0.5..n - 0.5, 80);
    x.categories = Some(labels.as_slice());
    let chart = Chart {
        title: "Paired differences A − B with 95 % intervals",
        size: ((160 + rows.len() * 40).max(520) as u32, 480),
        x,
        y: Axis::new("difference A − B", (lo - pad)..(hi + pad), 60),
        legend: SeriesLabelPosition::UpperRight,
    };
    let mut series = vec![Series::line(
        None,
        vec![(-0.5, 0.0), (n - 0.5, 0.0)],
        BLACK.mix(0.6),
    )];
    let mut named: Vec<String> = vec![];
    for (k, r) in rows.iter().enumerate() {
        let Some(e) = &r.evidence else { continue };
        let x = k as f64;
        let color = r.verdict.color().mix(0.9);
        let key = match r.verdict {
            Verdict::Reproduced => "reproduced",
            Verdict::NotReproduced => "not reproduced",
            Verdict::NotMeasurable(_) => "not measurable",
        };
        let name = (!named.iter().any(|n| n == key)).then(|| {
            named.push(key.to_string());
            key.to_string()
        });
        if let Some(i) = e.interval {
            series.push(Series::line(
                name.clone(),
                vec![(x, i.lo), (x, i.hi)],
                color,
            ));
        }
        series.push(Series::line(
            if e.interval.is_none() { name } else { None },
            vec![(x - 0.25, e.diff), (x + 0.25, e.diff)],
            color,
        ));
        if let Some(c) = r.comparison.filter(|c| c.margin != 0.0) {
            series.push(Series::line(
                None,
                vec![(x - 0.3, c.margin), (x + 0.3, c.margin)],
                RGBColor(120, 120, 120).mix(0.8),
            ));
        }
    }
    plot::draw(path, &chart, &series)
}

/// The Claims section for the run folder `run` (the SVG goes there as `claims.svg`).
/// `data` names what the run's numbers rest on (dataset, records, test folds).
pub fn section(run: &Path, runs: &Runs, tasks: &[&str], data: &str) -> Result<String> {
    let rows = rows(runs, tasks)?;
    let mut t = Table::new([
        "#",
        "claim",
        "task",
        "comparison A − B",
        "metric",
        "difference [95 % interval]",
        "evidence",
        "verdict",
        "notes",
    ]);
    let mut summary = Table::new([
        "claim",
        "paper",
        "reproduced",
        "not reproduced",
        "not measurable",
    ]);
    for claim in CLAIMS {
        let count = |f: fn(&Verdict) -> bool| {
            rows.iter()
                .filter(|r| std::ptr::eq(r.claim, claim) && f(&r.verdict))
                .count()
                .to_string()
        };
        summary.row([
            format!("({}) {}", claim.key, claim.statement),
            claim.paper.cite(),
            count(|v| *v == Verdict::Reproduced),
            count(|v| *v == Verdict::NotReproduced),
            count(|v| matches!(v, Verdict::NotMeasurable(_))),
        ]);
    }
    let mut numbered = vec![];
    for (k, r) in rows.iter().enumerate() {
        let first = k == 0 || !std::ptr::eq(rows[k - 1].claim, r.claim);
        let claim = if first {
            format!(
                "({}) {} — {}",
                r.claim.key,
                r.claim.statement,
                r.claim.paper.cite()
            )
        } else {
            format!("({})", r.claim.key)
        };
        if r.evidence.is_some() {
            numbered.push((k + 1, r));
        }
        let (what, metric) = r
            .comparison
            .map_or(("–", "–"), |c| (c.what, c.metric.name()));
        let (diff, ev) = r.evidence.as_ref().map_or(("–".into(), "–".into()), |e| {
            (diff_text(e), evidence_text(e))
        });
        t.row([
            (k + 1).to_string(),
            claim,
            r.task.clone(),
            what.to_string(),
            metric.to_string(),
            diff,
            ev,
            r.verdict.text(),
            r.note.clone(),
        ]);
    }
    let figure = if numbered.is_empty() {
        String::new()
    } else {
        plot_rows(&run.join("claims.svg"), &numbered)?;
        "![paired differences with intervals](claims.svg)\n\n".to_string()
    };
    Ok(format!(
        "## Claims\n\nEach paper's claim, tested on this run. Data: {data}.\n\n{}\
         Verdicts per claim (how many rows of the table below reach each):\n\n{summary}{}{t}{figure}",
        one_seed_caution(&rows),
        rule_text()
    ))
}

/// A warning above the verdicts when some rest on one training seed: its bootstrap interval
/// holds the seed fixed, and another seed can move a difference by more than the interval.
fn one_seed_caution(rows: &[Row]) -> &'static str {
    let one_seed = rows.iter().any(|r| {
        r.evidence
            .as_ref()
            .is_some_and(|e| matches!(e.source, Source::Bootstrap { .. }))
    });
    if one_seed {
        "**One training seed.** The verdicts below that rest on one run use a paired bootstrap \
         over its test records: it measures the test sample, not the training seed, and a \
         different seed can move a difference by more than that interval (on the demo's \
         benchmark KD − no KD varied with a standard deviation of 0.022 over seeds; \
         docs/results.md). For a claim, read a run over seeds (`--seeds 3`).\n\n"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(lo: f64, hi: f64, n_test: usize, source: Source) -> Evidence {
        Evidence {
            source,
            diff: (lo + hi) / 2.0,
            std: None,
            interval: Some(Interval {
                lo,
                hi,
                level: LEVEL,
            }),
            n_test,
        }
    }

    #[test]
    fn every_verdict_is_reachable_by_the_rule() {
        let seeds = Source::Seeds(vec![1, 2, 3]);
        let boot = Source::Bootstrap {
            seed: 42,
            resamples: RESAMPLES,
            undefined: 0,
        };
        assert_eq!(
            verdict(&ev(0.01, 0.03, 400, seeds.clone()), 0.0),
            Verdict::Reproduced
        );
        assert_eq!(
            verdict(&ev(-0.03, -0.01, 400, boot.clone()), 0.0),
            Verdict::NotReproduced
        );
        // Non-inferiority: −0.008 lies above the −0.01 margin; −0.02 below it.
        assert_eq!(
            verdict(&ev(-0.008, 0.004, 400, seeds.clone()), -0.01),
            Verdict::Reproduced
        );
        assert_eq!(
            verdict(&ev(-0.05, -0.02, 400, seeds.clone()), -0.01),
            Verdict::NotReproduced
        );
        let Verdict::NotMeasurable(why) = verdict(&ev(-0.01, 0.02, 400, seeds.clone()), 0.0) else {
            panic!("an interval across 0 decides nothing");
        };
        assert!(why.contains("3 seeds"), "{why}");
        let Verdict::NotMeasurable(why) = verdict(&ev(-0.01, 0.02, 400, boot), 0.0) else {
            panic!("inconclusive bootstrap");
        };
        assert!(why.contains("one seed, 400 test records"), "{why}");
        // A small test fold gets no verdict, even with a clear interval.
        let Verdict::NotMeasurable(why) = verdict(&ev(0.1, 0.2, 50, seeds.clone()), 0.0) else {
            panic!("small sample");
        };
        assert!(why.contains("50 records"), "{why}");
        let mut none = ev(0.1, 0.2, 400, seeds);
        none.interval = None;
        assert!(matches!(verdict(&none, 0.0), Verdict::NotMeasurable(_)));
    }

    #[test]
    fn rule_and_claims_name_the_papers_not_seed_files() {
        let text = rule_text();
        assert!(text.contains("Student-t") && text.contains("paired bootstrap"));
        assert!(text.contains(&format!("fewer than {MIN_TEST_RECORDS} records")));
        let keys: Vec<&str> = CLAIMS.iter().map(|c| c.key).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "e"]);
        for c in CLAIMS {
            assert!(!c.paper.cite().to_lowercase().contains("seed"));
            assert!(!c.comparisons.is_empty());
        }
    }
}
