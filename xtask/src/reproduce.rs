//! `cargo xtask reproduce ptbxl` and `cargo xtask demo`: the project's main job.
//!
//! data (fetch or given) → pack → per task: label statistics → teacher → student without KD
//! → student with KD → single-lead (lead I) student, without and with KD → the benchmark
//! baselines (full profile) → evaluation on fold 10 (with label-correlation calibration) → report.
//!
//! Every stage is an `ecg` command run through [`crate::stage::Runner`], skipped when its
//! outputs exist and its fingerprint (command, configs, upstream fingerprints, the `ecg`
//! binary itself) matches, so a re-run after a stop continues and never reuses a stale
//! result. Per-run configs are the committed templates in `configs/ptbxl/` with a few keys
//! set (pack, task, epochs, output folder, device, leads), written to `<run>/configs/`.
use crate::stage::{write_atomic, Fnv, Runner, Stage};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const USAGE: &str = "\
usage: cargo xtask reproduce ptbxl [options]
       cargo xtask reproduce cpsc2018 (--data DIR | --synthetic) [options]
       cargo xtask reproduce hefei (--data DIR | --synthetic) [options]
       cargo xtask demo [options]

options:
  --data DIR          PTB-XL folder (ptbxl_database.csv, records100/...). Default: download
                      PTB-XL 1.0.3 into data/ptb-xl (checksums verified, resumable).
  --profile P         quick (superdiagnostic + subdiagnostic; teacher, students, KD,
                      calibration; 10 epochs) or full (all six tasks, the benchmark
                      baselines, LCD pretraining + probe/fine-tuning, the configs'
                      epochs). Default: quick.
  --out DIR           run folder. Default: runs/ptbxl-<profile> (demo: runs/demo).
  --device D          auto, cpu or cuda (default: auto: cuda when the `ecg-torch` beside
                      `ecg` sees a CUDA device, else cpu; the report's header says which).
  --tasks T1,T2       only these label tasks (demo default: superdiagnostic).
  --epochs N          override every model's epochs.
  --force STAGE       redo STAGE (and, through fingerprints, what depends on it); repeatable;
                      `all` redoes everything. Stage names are printed as they run.
  --records N         demo / --synthetic: synthetic records to generate (demo: 2000; every
                      model trains up to 30 epochs, or --epochs, stopped after 5 without a
                      better validation macro-AUC; the students are the 0.61× `student`;
                      ≈ 20 minutes per seed on 2 free CPU cores).
  --synthetic         cpsc2018 / hefei: run on a synthetic dataset in the dataset's layout
                      (`ecg synth`) instead of --data. Their tasks: cpsc2018 `classes`
                      (the 9 classes); hefei `zhou2024` (default) and `classes`.
  --seed S            seed for every model and the synthetic data (default 42).
  --difficulty D      demo: the synthetic benchmark's difficulty (`ecg synth ptbxl
                      --difficulty`: easy, medium, hard or a level 0..=10). Default:
                      the demo's benchmark (docs/benchmark.md).
  --seeds N|A,B,C     run the whole pipeline once per training seed (N seeds from --seed
                      on, or the list), each in <out>/seed-<S>/, then the aggregate report
                      <out>/report.md: mean ± std over seeds, paired differences with
                      Student-t intervals, the Claims verdicts. The data are the same for
                      every seed (the demo's synthetic set uses the first seed).
                      Default <out>: runs/demo-seeds or runs/ptbxl-<profile>-seeds.
  --nproc N           run every training stage (train, distill, pretrain) as N data-parallel
                      ranks under `.venv/bin/torchrun --standalone --no-python` (Gloo on
                      CPU, NCCL on CUDA; see docs/distributed.md). Default: one process.
";

/// The demo's defaults (docs/benchmark.md gives the measurements behind them): one task on
/// the synthetic benchmark at [`DEMO_DIFFICULTY`], every model trained up to
/// [`DEMO_EPOCHS`] epochs and stopped early after [`DEMO_PATIENCE`] epochs without a better
/// validation macro-AUC (its best checkpoint is the one evaluated).
pub const DEMO_RECORDS: usize = 2000;
/// The most epochs a demo student trains (its budget; early stopping ends it sooner).
pub const DEMO_EPOCHS: usize = 30;
/// The demo teacher's budget: trained to its budget, not cut by it (at 10 epochs it was
/// still rising, validation 0.79; at up to 30 it flattens at ≈ 0.89: docs/results.md).
pub const DEMO_TEACHER_EPOCHS: usize = 30;
/// The demo's students (12-lead and lead I, with and without distillation): the 0.61×
/// `student`, Zhou et al. 2024's ratio (docs/results.md, section B).
pub const DEMO_STUDENT: &str = "student";
/// Epochs without a better validation macro-AUC before a demo model stops.
pub const DEMO_PATIENCE: usize = 5;
/// The demo's label tasks (`--tasks` overrides).
pub const DEMO_TASKS: &[&str] = &["superdiagnostic"];
/// The demo's synthetic benchmark difficulty (docs/benchmark.md).
pub const DEMO_DIFFICULTY: &str = "medium";

#[derive(Debug, Clone, PartialEq)]
pub enum Profile {
    Quick,
    Full,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub data: Option<PathBuf>,
    pub profile: Profile,
    pub out: Option<PathBuf>,
    /// `cpu` or `cuda` once resolved (`auto` until [`Options::resolve_device`]).
    pub device: String,
    /// The device was chosen by `--device auto` (said in run.json and the report header).
    pub device_auto: bool,
    pub tasks: Option<Vec<String>>,
    pub epochs: Option<usize>,
    pub force: Vec<String>,
    pub demo: bool,
    pub records: usize,
    /// `--records` was given (the CPSC2018 / Hefei plans have their own default).
    pub records_given: bool,
    /// `--synthetic` (reproduce cpsc2018 / hefei): generate the dataset with `ecg synth`.
    pub synthetic: bool,
    pub seed: u64,
    /// Seed of the demo's synthetic data when it differs from `seed` (the runs of `--seeds`
    /// share one dataset); `None`: `seed`.
    pub data_seed: Option<u64>,
    /// Data-parallel ranks per training stage (`None`: one process, no launcher).
    pub nproc: Option<usize>,
    /// `ecg synth --difficulty` for the demo's data (easy, medium, hard or a level).
    pub difficulty: String,
}

impl Options {
    pub fn parse(args: &[String], demo: bool) -> Result<Options> {
        let mut o = Options {
            data: None,
            profile: Profile::Quick,
            out: None,
            device: "auto".into(),
            device_auto: false,
            tasks: None,
            epochs: None,
            force: vec![],
            demo,
            records: DEMO_RECORDS,
            records_given: false,
            synthetic: false,
            seed: 42,
            data_seed: None,
            nproc: None,
            difficulty: DEMO_DIFFICULTY.into(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut val = |name: &str| -> Result<String> {
                it.next()
                    .cloned()
                    .with_context(|| format!("{name} needs a value\n{USAGE}"))
            };
            match a.as_str() {
                "--data" => o.data = Some(PathBuf::from(val("--data")?)),
                "--profile" => {
                    o.profile = match val("--profile")?.as_str() {
                        "quick" => Profile::Quick,
                        "full" => Profile::Full,
                        p => bail!("--profile must be quick or full, not `{p}`"),
                    }
                }
                "--out" => o.out = Some(PathBuf::from(val("--out")?)),
                "--device" => {
                    o.device = val("--device")?;
                    if !["auto", "cpu", "cuda"].contains(&o.device.as_str()) {
                        bail!("--device must be auto, cpu or cuda, not `{}`", o.device);
                    }
                }
                "--tasks" => {
                    o.tasks = Some(
                        val("--tasks")?
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .collect(),
                    )
                }
                "--epochs" => {
                    o.epochs = Some(
                        val("--epochs")?
                            .parse()
                            .context("--epochs must be a whole number")?,
                    )
                }
                "--force" => o.force.push(val("--force")?),
                "--records" => {
                    o.records = val("--records")?
                        .parse()
                        .context("--records must be a whole number")?;
                    o.records_given = true;
                }
                "--synthetic" => o.synthetic = true,
                "--difficulty" => {
                    let d = val("--difficulty")?;
                    let known = ["easy", "medium", "hard"].contains(&d.as_str());
                    if !known && !d.parse::<f64>().is_ok_and(|x| (0.0..=10.0).contains(&x)) {
                        bail!("--difficulty must be easy, medium, hard or a number in 0..=10, not `{d}`");
                    }
                    o.difficulty = d;
                }
                "--seed" => {
                    o.seed = val("--seed")?
                        .parse()
                        .context("--seed must be a whole number")?
                }
                "--nproc" => {
                    let n: usize = val("--nproc")?
                        .parse()
                        .context("--nproc must be a whole number")?;
                    if n == 0 {
                        bail!("--nproc must be at least 1");
                    }
                    o.nproc = Some(n);
                }
                "-h" | "--help" => {
                    print!("{USAGE}");
                    std::process::exit(0);
                }
                other => bail!("unknown option `{other}`\n{USAGE}"),
            }
        }
        if demo && o.data.is_some() {
            bail!("demo generates its own synthetic data; --data is for `reproduce ptbxl`");
        }
        Ok(o)
    }

    pub fn tasks(&self) -> Vec<String> {
        if let Some(t) = &self.tasks {
            return t.clone();
        }
        if self.demo {
            return DEMO_TASKS.iter().map(|s| s.to_string()).collect();
        }
        match self.profile {
            Profile::Quick => vec!["superdiagnostic".into(), "subdiagnostic".into()],
            Profile::Full => [
                "superdiagnostic",
                "subdiagnostic",
                "diagnostic",
                "form",
                "rhythm",
                "all",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}

pub const TASKS: &[&str] = &[
    "all",
    "diagnostic",
    "subdiagnostic",
    "superdiagnostic",
    "form",
    "rhythm",
];

/// One model of a task: its folder name, config template, and whether it is distilled.
struct ModelPlan {
    dir: &'static str,
    template: &'static str,
    distill: bool,
    leads: Option<&'static [&'static str]>,
    calibrate: bool,
    /// LCD downstream (Liu et al. 2025): the fraction of training labels; the encoder comes from
    /// the run's `lcd/pretrain` stage.
    lcd_fraction: Option<f64>,
}

fn models(profile: &Profile) -> Vec<ModelPlan> {
    let mut m = vec![
        ModelPlan {
            dir: "teacher",
            template: "teacher.toml",
            distill: false,
            leads: None,
            calibrate: true,
            lcd_fraction: None,
        },
        ModelPlan {
            dir: "student",
            template: "student.toml",
            distill: false,
            leads: None,
            calibrate: false,
            lcd_fraction: None,
        },
        ModelPlan {
            dir: "student_kd",
            template: "student-kd.toml",
            distill: true,
            leads: None,
            calibrate: true,
            lcd_fraction: None,
        },
        ModelPlan {
            dir: "student_lead1",
            template: "student.toml",
            distill: false,
            leads: Some(&["I"]),
            calibrate: false,
            lcd_fraction: None,
        },
        // MVKT-ECG (Qin et al. 2023; BCE+MKD+CLT): the 12-lead teacher reads every lead of each
        // crop while the student reads lead I of the same crop.
        ModelPlan {
            dir: "student_lead1_mvkt",
            template: "student-lead1-mvkt.toml",
            distill: true,
            leads: Some(&["I"]),
            calibrate: true,
            lcd_fraction: None,
        },
    ];
    if *profile == Profile::Full {
        for b in ["xresnet1d101", "resnet1d_wang", "inception1d", "fcn_wang"] {
            let template: &'static str = match b {
                "xresnet1d101" => "baseline-xresnet1d101.toml",
                "resnet1d_wang" => "baseline-resnet1d_wang.toml",
                "inception1d" => "baseline-inception1d.toml",
                _ => "baseline-fcn_wang.toml",
            };
            m.push(ModelPlan {
                dir: b,
                template,
                distill: false,
                leads: None,
                calibrate: false,
                lcd_fraction: None,
            });
        }
        // LCD (Liu et al. 2025): the pretrained encoder, per lead, as a linear probe with every
        // label, and fine-tuned with 100 %, 10 % and 1 % of the training labels.
        for (dir, template, fraction) in [
            ("lcd_probe", "lcd-probe.toml", 1.0),
            ("lcd_finetune", "lcd-finetune.toml", 1.0),
            ("lcd_finetune_10pct", "lcd-finetune.toml", 0.1),
            ("lcd_finetune_1pct", "lcd-finetune.toml", 0.01),
        ] {
            m.push(ModelPlan {
                dir,
                template,
                distill: false,
                leads: None,
                calibrate: false,
                lcd_fraction: Some(fraction),
            });
        }
    }
    m
}

/// Set `a.b.c = value` in a TOML table, creating tables on the way.
pub fn set_key(doc: &mut toml::Table, dotted: &str, value: toml::Value) -> Result<()> {
    let parts: Vec<&str> = dotted.split('.').collect();
    let (last, path) = parts.split_last().context("empty key")?;
    let mut cur = doc;
    for p in path {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry
            .as_table_mut()
            .with_context(|| format!("config key {p} is not a table"))?;
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

/// The run's config for one model: the template with the run's settings.
#[allow(clippy::too_many_arguments)]
fn write_config(
    root: &Path,
    run: &Path,
    task: &str,
    m: &ModelPlan,
    pack: &Path,
    opts: &Options,
) -> Result<PathBuf> {
    let template = root.join("configs/ptbxl").join(m.template);
    let text = std::fs::read_to_string(&template)
        .with_context(|| format!("reading {}", template.display()))?;
    let mut doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", template.display()))?;
    let out_dir = run.join(task).join(m.dir);
    set_key(
        &mut doc,
        "data.pack",
        toml::Value::String(pack.display().to_string()),
    )?;
    set_key(&mut doc, "data.task", toml::Value::String(task.into()))?;
    // The benchmark's input: 2.5 s random crops at 100 Hz, sliding windows for evaluation.
    let mut input = toml::Table::new();
    input.insert("kind".into(), toml::Value::String("crop".into()));
    input.insert("length".into(), toml::Value::Integer(250));
    input.insert("stride".into(), toml::Value::Integer(125));
    set_key(&mut doc, "data.input", toml::Value::Table(input))?;
    if let Some(leads) = m.leads {
        set_key(
            &mut doc,
            "data.leads",
            toml::Value::Array(
                leads
                    .iter()
                    .map(|l| toml::Value::String(l.to_string()))
                    .collect(),
            ),
        )?;
    }
    let epochs = match (opts.epochs, &opts.profile) {
        (Some(e), _) => Some(e as i64),
        (None, _) if opts.demo && m.dir == "teacher" => Some(DEMO_TEACHER_EPOCHS as i64),
        (None, _) if opts.demo => Some(DEMO_EPOCHS as i64),
        (None, Profile::Quick) => Some(10),
        (None, Profile::Full) => None,
    };
    if let Some(e) = epochs {
        set_key(&mut doc, "train.epochs", toml::Value::Integer(e))?;
    }
    if opts.demo {
        set_key(
            &mut doc,
            "train.patience",
            toml::Value::Integer(DEMO_PATIENCE as i64),
        )?;
        if m.template.starts_with("student") {
            set_key(
                &mut doc,
                "model.preset",
                toml::Value::String(DEMO_STUDENT.into()),
            )?;
        }
    }
    set_key(
        &mut doc,
        "train.seed",
        toml::Value::Integer(opts.seed as i64),
    )?;
    set_key(
        &mut doc,
        "train.device",
        toml::Value::String(opts.device.clone()),
    )?;
    set_key(
        &mut doc,
        "train.output_dir",
        toml::Value::String(out_dir.display().to_string()),
    )?;
    if m.distill {
        let teacher = run
            .join(task)
            .join("teacher")
            .join("checkpoint-best.safetensors");
        set_key(
            &mut doc,
            "distill.teacher",
            toml::Value::String(teacher.display().to_string()),
        )?;
    }
    if let Some(f) = m.lcd_fraction {
        set_key(
            &mut doc,
            "model.encoder",
            toml::Value::String(lcd_encoder(run).display().to_string()),
        )?;
        set_key(&mut doc, "data.train_fraction", toml::Value::Float(f))?;
    }
    let path = run.join("configs").join(format!("{task}-{}.toml", m.dir));
    let header = format!(
        "# Written by `cargo xtask reproduce` from configs/ptbxl/{} (task {task}).\n",
        m.template
    );
    write_atomic(&path, (header + &toml::to_string_pretty(&doc)?).as_bytes())?;
    Ok(path)
}

/// Where the run's LCD encoder is written (full profile).
fn lcd_encoder(run: &Path) -> PathBuf {
    run.join("lcd").join("pretrain").join("encoder.safetensors")
}

/// The run's LCD pretraining config: configs/ptbxl/lcd-pretrain.toml with the run's keys.
fn write_lcd_config(root: &Path, run: &Path, pack: &Path, opts: &Options) -> Result<PathBuf> {
    let template = root.join("configs/ptbxl/lcd-pretrain.toml");
    let text = std::fs::read_to_string(&template)
        .with_context(|| format!("reading {}", template.display()))?;
    let mut doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", template.display()))?;
    let s = |v: String| toml::Value::String(v);
    set_key(&mut doc, "data.pack", s(pack.display().to_string()))?;
    if let Some(e) = opts.epochs {
        set_key(&mut doc, "train.epochs", toml::Value::Integer(e as i64))?;
    }
    set_key(
        &mut doc,
        "train.seed",
        toml::Value::Integer(opts.seed as i64),
    )?;
    set_key(&mut doc, "train.device", s(opts.device.clone()))?;
    let out = lcd_encoder(run)
        .parent()
        .map(Path::to_path_buf)
        .context("LCD folder")?;
    set_key(&mut doc, "train.output_dir", s(out.display().to_string()))?;
    let path = run.join("configs").join("lcd-pretrain.toml");
    let header = "# Written by `cargo xtask reproduce` from configs/ptbxl/lcd-pretrain.toml.\n";
    write_atomic(
        &path,
        (header.to_string() + &toml::to_string_pretty(&doc)?).as_bytes(),
    )?;
    Ok(path)
}

/// Identity of the binaries: a hash of the bytes of `ecg` and of the `ecg-torch` beside
/// it (which runs the network commands), so a rebuilt binary redoes the stages.
pub(crate) fn binary_id(bin: &Path) -> Result<String> {
    let mut h = Fnv::default();
    for p in [bin.to_path_buf(), torch_beside(bin)] {
        let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
        h.write(&bytes);
    }
    Ok(h.hex())
}

/// The `ecg-torch` that `ecg` hands the network commands to: the one in its folder.
pub fn torch_beside(ecg: &Path) -> PathBuf {
    ecg.with_file_name(format!("ecg-torch{}", std::env::consts::EXE_SUFFIX))
}

fn git_revision(root: &Path) -> String {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .output();
    let rev = out
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root)
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    match rev {
        Some(r) if dirty => format!("{r} (with uncommitted changes)"),
        Some(r) => r,
        None => "unknown (not a git checkout)".into(),
    }
}

/// The `ecg` binary to run: `$ECG_BIN` when set (prebuilt binaries, e.g. a `dist` build
/// carried to another machine: the `ecg` binary or its folder, with `ecg-torch` beside it),
/// else the one [`build_ecg`] builds.
pub fn ecg_binary(root: &Path) -> Result<PathBuf> {
    let ecg = match std::env::var_os("ECG_BIN") {
        Some(p) => {
            let p = PathBuf::from(p);
            let p = if p.is_dir() {
                p.join(format!("ecg{}", std::env::consts::EXE_SUFFIX))
            } else {
                p
            };
            if !p.is_file() {
                bail!("ECG_BIN: {} does not exist", p.display());
            }
            p
        }
        None => build_ecg(root)?,
    };
    let torch = torch_beside(&ecg);
    if !torch.is_file() {
        bail!(
            "{} is missing: `ecg` hands the network commands to the `ecg-torch` in its own \
             folder (with ECG_BIN, carry both binaries)",
            torch.display()
        );
    }
    Ok(ecg)
}

/// Build `ecg` and `ecg-torch` in the release profile (the main job runs optimised code;
/// the tests use the dev profile) and return the path of `ecg`; `ecg-torch` is beside it.
pub fn build_ecg(root: &Path) -> Result<PathBuf> {
    crate::cargo(
        root,
        &[
            "build",
            "--quiet",
            "--release",
            "--package",
            "ecg-cli",
            "--package",
            "ecg-torch-cli",
        ],
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target
        .join("release")
        .join(format!("ecg{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        bail!("built ecg-cli but {} is missing", bin.display());
    }
    Ok(bin)
}

impl Options {
    /// Resolves `--device auto` once, before any stage: `cuda` when the `ecg-torch` beside
    /// `ecg` (libtorch) sees a CUDA device, else `cpu`.
    pub fn resolve_device(mut self, ecg: &Path) -> Result<Options> {
        if self.device == "auto" {
            self.device = if cuda_visible(ecg)? { "cuda" } else { "cpu" }.into();
            self.device_auto = true;
            eprintln!("--device auto: the stages run on {}", self.device);
        }
        Ok(self)
    }

    /// The device as run.json (and the report's header) states it.
    pub fn device_label(&self) -> String {
        if self.device_auto {
            let why = if self.device == "cuda" {
                "a CUDA device is visible"
            } else {
                "no CUDA device is visible"
            };
            format!("{} (--device auto: {why})", self.device)
        } else {
            self.device.clone()
        }
    }
}

/// Whether libtorch, as the `ecg-torch` beside `ecg` links it, sees a CUDA device
/// (`ecg-torch doctor --json`: `cuda_available`).
fn cuda_visible(ecg: &Path) -> Result<bool> {
    let torch = torch_beside(ecg);
    let out = Command::new(&torch)
        .args(["doctor", "--json"])
        .output()
        .with_context(|| format!("running {} doctor --json", torch.display()))?;
    if !out.status.success() {
        bail!(
            "{} doctor --json failed ({}): {}",
            torch.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{} doctor --json: not JSON", torch.display()))?;
    v.get("cuda_available")
        .and_then(serde_json::Value::as_bool)
        .with_context(|| {
            format!(
                "{} doctor --json: no boolean `cuda_available`",
                torch.display()
            )
        })
}

/// Run the whole pipeline with the given `ecg` binary.
pub fn run(root: &Path, ecg: &Path, opts: &Options) -> Result<PathBuf> {
    let tasks = opts.tasks();
    check_torchrun(root, opts)?;
    for t in &tasks {
        if !TASKS.contains(&t.as_str()) {
            bail!("unknown task `{t}`; tasks: {}", TASKS.join(", "));
        }
    }
    let profile = if opts.profile == Profile::Quick {
        "quick"
    } else {
        "full"
    };
    let run = match &opts.out {
        Some(o) if o.is_absolute() => o.clone(),
        Some(o) => std::env::current_dir()?.join(o),
        None if opts.demo => root.join("runs").join("demo"),
        None => root.join("runs").join(format!("ptbxl-{profile}")),
    };
    std::fs::create_dir_all(&run).with_context(|| format!("creating {}", run.display()))?;
    let mut runner = Runner::new(&run, binary_id(ecg)?, opts.force.clone());

    // Data.
    let (data, data_stage) = if opts.demo {
        let dir = run.join("data").join("synthetic-ptbxl");
        let st = Stage::new("synth", ecg)
            .args([
                "synth",
                "ptbxl",
                "--records",
                &opts.records.to_string(),
                "--seed",
                &opts.data_seed.unwrap_or(opts.seed).to_string(),
                "--rates",
                "100",
                "--difficulty",
                &opts.difficulty,
                "--out",
            ])
            .arg_path(&dir)
            .output(&dir.join("ptbxl_database.csv"));
        runner.run(&st)?;
        (dir, Some("synth"))
    } else if let Some(d) = &opts.data {
        let d = if d.is_absolute() {
            d.clone()
        } else {
            std::env::current_dir()?.join(d)
        };
        if !d.join("ptbxl_database.csv").exists() {
            bail!(
                "--data {}: no ptbxl_database.csv there (expected the PTB-XL folder)",
                d.display()
            );
        }
        (d, None)
    } else {
        let dir = root.join("data").join("ptb-xl");
        let st = Stage::new("fetch", ecg)
            .args(["fetch", "ptbxl", "--rates", "100", "--out"])
            .arg_path(&dir)
            .output(&dir.join("ptbxl_database.csv"));
        runner.run(&st).context(
            "downloading PTB-XL failed; without network access, download it elsewhere \
             (https://physionet.org/content/ptb-xl/1.0.3/) and pass --data DIR",
        )?;
        (dir, Some("fetch"))
    };

    let pack = run.join("data").join("ptbxl-100hz.safetensors");

    // Pack (the fingerprint covers the database file's contents through content()).
    let mut st = Stage::new("pack", ecg)
        .args(["pack", "ptbxl", "--rate", "100", "--data"])
        .arg_path(&data)
        .args(["--out"])
        .arg_path(&pack)
        .content(&data.join("ptbxl_database.csv"))
        .output(&pack);
    if let Some(d) = data_stage {
        st = st.after(d);
    }
    runner.run(&st)?;
    let n_records = pack_records(&pack);

    write_run_json(
        root,
        ecg,
        &run,
        json!({
            "title": if opts.demo { "synthetic PTB-XL (demo)" } else { "PTB-XL" },
            "synthetic": opts.demo,
            "data_source": data.display().to_string(),
            "n_records": n_records,
            "profile": profile,
            "tasks": tasks,
            "device": opts.device_label(),
            "seed": opts.seed,
            "data_seed": if opts.demo { json!(opts.data_seed.unwrap_or(opts.seed)) } else { json!(null) },
            "nproc": opts.nproc.unwrap_or(1),
        }),
    )?;

    let device = opts.device.as_str();
    // Full profile: LCD pretraining of the single-lead encoder (Liu et al. 2025), once a run.
    if opts.profile == Profile::Full {
        let cfg = write_lcd_config(root, &run, &pack, opts)?;
        let mut st = training_stage("lcd/pretrain", ecg, root, opts)
            .args(["pretrain", "--config"])
            .arg_path(&cfg)
            .content(&cfg)
            .after("pack")
            .output(&lcd_encoder(&run));
        // Like a training stage: a killed attempt resumes; a stale one starts from scratch.
        let dir = lcd_encoder(&run)
            .parent()
            .map_or_else(|| run.join("lcd"), Path::to_path_buf);
        prepare_training(&run, &runner, &mut st, &dir)?;
        runner.run(&st)?;
    }
    for task in &tasks {
        runner.run(&labels_stage(ecg, &run, task, &pack, &["ptbxl"]))?;
        for m in models(&opts.profile) {
            let cfg = write_config(root, &run, task, &m, &pack, opts)?;
            let out_dir = run.join(task).join(m.dir);
            let ckpt = out_dir.join("checkpoint-best.safetensors");
            let train_name = format!("train/{task}/{}", m.dir);
            let mut st = if m.distill {
                let teacher = run
                    .join(task)
                    .join("teacher")
                    .join("checkpoint-best.safetensors");
                training_stage(&train_name, ecg, root, opts)
                    .args(["distill", "--config"])
                    .arg_path(&cfg)
                    .args(["--teacher"])
                    .arg_path(&teacher)
                    .after(&format!("train/{task}/teacher"))
            } else {
                training_stage(&train_name, ecg, root, opts)
                    .args(["train", "--config"])
                    .arg_path(&cfg)
            };
            st = st.content(&cfg).after("pack").output(&ckpt);
            if m.lcd_fraction.is_some() {
                st = st.after("lcd/pretrain");
            }
            // A stop in the middle of training leaves checkpoint-last: continue from it.
            prepare_training(&run, &runner, &mut st, &out_dir)?;
            runner.run(&st)?;
            let mut ev = Stage::new(format!("eval/{task}/{}", m.dir), ecg)
                .args([
                    "eval",
                    "--split",
                    "test",
                    "--device",
                    device,
                    "--seed",
                    &opts.seed.to_string(),
                    "--checkpoint",
                ])
                .arg_path(&ckpt)
                .args(["--out"])
                .arg_path(&out_dir)
                .after(&train_name)
                .output(&out_dir.join("metrics.json"))
                .output(&out_dir.join("scores.npy"));
            if m.calibrate {
                ev = ev
                    .args(["--calibrate"])
                    .output(&out_dir.join("metrics_calibrated.json"));
            }
            runner.run(&ev)?;
        }
    }

    // The report reads everything; it always reruns (it is cheap and reads run.json).
    runner.force.push("report".into());
    let mut rep = Stage::new("report", ecg)
        .args(["report", "--run"])
        .arg_path(&run)
        .output(&run.join("report.md"));
    for task in &tasks {
        for m in models(&opts.profile) {
            rep = rep.after(&format!("eval/{task}/{}", m.dir));
        }
    }
    runner.run(&rep)?;
    write_atomic(
        &run.join("stages.json"),
        serde_json::to_string_pretty(&runner.log)?.as_bytes(),
    )?;
    eprintln!("xtask: report: {}", run.join("report.md").display());
    Ok(run)
}

/// `run.json`: what is being run (rewritten at every start): `fields` plus the git
/// revision, libtorch and environment (`ecg doctor --json`), the start time and command.
pub(crate) fn write_run_json(
    root: &Path,
    ecg: &Path,
    run: &Path,
    fields: serde_json::Value,
) -> Result<()> {
    let doctor = Command::new(ecg)
        .args(["doctor", "--json"])
        .output()
        .context("running ecg doctor")?;
    let doctor: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap_or(json!(null));
    let mut v = fields;
    if let Some(o) = v.as_object_mut() {
        o.insert("git_revision".into(), json!(git_revision(root)));
        o.insert(
            "libtorch".into(),
            doctor
                .get("libtorch_version")
                .cloned()
                .unwrap_or(json!("unknown")),
        );
        o.insert("environment".into(), doctor);
        o.insert("started".into(), json!(now_utc()));
        o.insert(
            "command".into(),
            json!(std::env::args().collect::<Vec<_>>()),
        );
    }
    write_atomic(
        &run.join("run.json"),
        serde_json::to_string_pretty(&v)?.as_bytes(),
    )
}

/// Before a training stage runs: every training stage runs with `--resume auto`, so a
/// killed attempt with the same fingerprint continues from its last checkpoint (a step
/// checkpoint too, not only an epoch's) and a first attempt starts; a stage that must run
/// again for another reason starts from an empty `out_dir` (what is there is stale:
/// another config, binary or upstream result, or `--force`). Marks the attempt.
pub(crate) fn prepare_training(
    run: &Path,
    runner: &Runner,
    st: &mut Stage,
    out_dir: &Path,
) -> Result<()> {
    st.args.extend(["--resume".to_string(), "auto".to_string()]);
    let fp = runner.fingerprint(st)?;
    let fresh = runner.is_fresh(st, &fp);
    let continues = !fresh && same_attempt(run, st, &fp);
    if !continues && (runner.is_forced(st) || !fresh) && out_dir.exists() {
        std::fs::remove_dir_all(out_dir)
            .with_context(|| format!("clearing the stale run folder {}", out_dir.display()))?;
    }
    write_atomic(&attempt_path(run, &st.name), fp.as_bytes())
}

/// `ecg labels <how…> --task T --pack P --out <run>/T/labels`: E and C of a task's training
/// folds, which the report draws (`how`: `ptbxl`, or `pack --train-folds …`).
pub(crate) fn labels_stage(ecg: &Path, run: &Path, task: &str, pack: &Path, how: &[&str]) -> Stage {
    let dir = run.join(task).join("labels");
    Stage::new(format!("labels/{task}"), ecg)
        .args(["labels"])
        .args(how)
        .args(["--task", task, "--pack"])
        .arg_path(pack)
        .args(["--out"])
        .arg_path(&dir)
        .after("pack")
        .output(&dir.join("cosine.csv"))
}

/// With `--nproc`, the training stages need the project's torchrun: a clear error first,
/// not a failed stage later.
pub(crate) fn check_torchrun(root: &Path, opts: &Options) -> Result<()> {
    let torchrun = root.join(".venv/bin/torchrun");
    if opts.nproc.is_some() && !torchrun.is_file() {
        bail!(
            "--nproc runs the training stages under {}, which is missing: run `cargo xtask setup`",
            torchrun.display()
        );
    }
    Ok(())
}

/// A training stage (`ecg train|distill|pretrain …`): `ecg` itself, or with `--nproc N`
/// N ranks of it under `torchrun --standalone --no-python` (the launcher's variables make
/// each `ecg` one rank; torchrun stops the others when one fails).
pub(crate) fn training_stage(
    name: impl Into<String>,
    ecg: &Path,
    root: &Path,
    opts: &Options,
) -> Stage {
    match opts.nproc {
        None => Stage::new(name, ecg),
        Some(n) => Stage::new(name, &root.join(".venv/bin/torchrun"))
            .args([
                "--standalone".to_string(),
                "--nproc-per-node".to_string(),
                n.to_string(),
                "--no-python".to_string(),
            ])
            .arg_path(ecg),
    }
}

/// The training stage was attempted before with the same fingerprint: what it left is
/// continued (`--resume auto`; the trainer resumes bit-exactly on CPU), not cleared.
fn same_attempt(run: &Path, st: &Stage, fp: &str) -> bool {
    std::fs::read_to_string(attempt_path(run, &st.name)).is_ok_and(|s| s.trim() == fp)
}

fn attempt_path(run: &Path, name: &str) -> PathBuf {
    run.join(".stamps")
        .join(format!("{}.attempt", name.replace('/', "__")))
}

/// Records in a pack, read from its safetensors header (no tch, no polars here).
pub(crate) fn pack_records(pack: &Path) -> Option<u64> {
    use std::io::Read;
    let mut f = std::fs::File::open(pack).ok()?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).ok()?;
    let n = u64::from_le_bytes(len);
    if n > 100_000_000 {
        return None;
    }
    let mut header = vec![0u8; n as usize];
    f.read_exact(&mut header).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&header).ok()?;
    v.get("signals")?.get("shape")?.get(0)?.as_u64()
}

fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let (h, m, s) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    // civil-from-days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_reject() {
        let a: Vec<String> = [
            "--profile",
            "full",
            "--tasks",
            "form,rhythm",
            "--epochs",
            "3",
            "--force",
            "pack",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = Options::parse(&a, false).unwrap();
        assert_eq!(o.profile, Profile::Full);
        assert_eq!(o.tasks(), vec!["form", "rhythm"]);
        assert_eq!(o.epochs, Some(3));
        assert_eq!(o.force, vec!["pack"]);
        assert!(Options::parse(&["--profile".into(), "huge".into()], false).is_err());
        assert!(Options::parse(&["--device".into(), "tpu".into()], false).is_err());
        assert!(Options::parse(&["--bogus".into()], false).is_err());
        let n = Options::parse(&["--nproc".into(), "2".into()], true).unwrap();
        assert_eq!(n.nproc, Some(2));
        assert!(Options::parse(&["--nproc".into(), "0".into()], false).is_err());
        assert_eq!(
            Options::parse(&[], false).unwrap().tasks(),
            vec!["superdiagnostic", "subdiagnostic"]
        );
        assert_eq!(Options::parse(&[], true).unwrap().tasks(), DEMO_TASKS);
        let d = Options::parse(&["--difficulty".into(), "1.5".into()], true).unwrap();
        assert_eq!(d.difficulty, "1.5");
        assert!(Options::parse(&["--difficulty".into(), "brutal".into()], true).is_err());
    }

    #[test]
    fn set_key_creates_nested_tables() {
        let mut t: toml::Table = toml::from_str("[data]\ntask = 'x'\n").unwrap();
        set_key(&mut t, "data.task", toml::Value::String("form".into())).unwrap();
        set_key(&mut t, "distill.teacher", toml::Value::String("t".into())).unwrap();
        assert_eq!(t["data"]["task"].as_str(), Some("form"));
        assert_eq!(t["distill"]["teacher"].as_str(), Some("t"));
        let mut bad: toml::Table = toml::from_str("data = 3\n").unwrap();
        assert!(set_key(&mut bad, "data.task", toml::Value::Integer(1)).is_err());
    }

    #[test]
    fn utc_date_is_civil() {
        let s = now_utc();
        assert_eq!(s.len(), 20, "{s}");
        assert!(s.starts_with("20"), "{s}");
    }
}
