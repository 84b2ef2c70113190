//! The data pipeline over a memory-mapped pack: label task, lead subset, standardiser
//! fitted on the training folds, training batches (seeded shuffles, random crops,
//! augmentations) built on worker threads, and evaluation windows.
//!
//! Invariant: the content of training batch `b` of epoch `e` depends only on
//! (seed, e, b) — never on thread timing — so runs repeat bit for bit and `--resume` can
//! restart in the middle of an epoch.
use crate::checkpoint::{Preprocessing, Standardizer};
use crate::config::{AugmentConfig, InputMode, StandardizeMode, TrainConfig};
use crate::error::TrainError;
use ecg_io::pack::PackedDataset;
use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use tch::{Device, Tensor};

/// One split (train / validation / test): pack rows and multi-hot labels.
#[derive(Debug, Clone)]
pub struct Split {
    pub name: String,
    /// Row of each record in the pack.
    pub pack_rows: Vec<usize>,
    /// Record ids.
    pub ids: Vec<String>,
    /// Multi-hot labels. // [records, K]
    pub y: Array2<u8>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.pack_rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.pack_rows.is_empty()
    }
}

/// A pack with its task, lead selection, standardiser and splits.
#[derive(Debug)]
pub struct Prepared {
    pub pack: PackedDataset,
    pub prep: Preprocessing,
    /// Pack row (lead) index of each input lead.
    pub lead_rows: Vec<usize>,
    /// Lead indices into the 12 standard leads (for `ModelSpec::leads`).
    pub standard_leads: Vec<usize>,
    pub train: Split,
    pub val: Split,
    pub test: Split,
    /// The teacher's input when it differs from the student's (distillation across lead
    /// sets or standardisers); `None` when the teacher reads the student's input.
    pub teacher_view: Option<View>,
}

/// Which pack leads make an input and how they are standardised: the distillation
/// teacher's view of the records (MVKT-ECG, Qin et al. 2023: a 12-lead teacher for a single-lead student).
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// Pack row (lead) index of each input lead.
    pub lead_rows: Vec<usize>,
    /// Lead indices into the 12 standard leads.
    pub standard_leads: Vec<usize>,
    pub standardizer: Standardizer,
}

/// The 12 standard lead names, in ModelSpec order.
pub const STANDARD_LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

fn standard_index(name: &str) -> Option<usize> {
    STANDARD_LEADS
        .iter()
        .position(|l| l.eq_ignore_ascii_case(name))
}

/// The label task over every record of the pack (record order), via ecg-labels.
pub fn build_task(
    pack: &PackedDataset,
    task: &str,
    min_likelihood: f64,
) -> Result<ecg_labels::task::TaskLabels, TrainError> {
    crate::labels::task_for_pack(pack.meta(), pack.records(), task, min_likelihood)
}

fn split_of(
    name: &str,
    task: &ecg_labels::task::TaskLabels,
    folds: &[u8],
    max: Option<usize>,
) -> Split {
    let mut rows = task.rows_in_folds(folds);
    if let Some(m) = max {
        rows.truncate(m);
    }
    Split {
        name: name.to_string(),
        pack_rows: rows.iter().map(|&r| task.source_rows[r]).collect(),
        ids: rows.iter().map(|&r| task.ids[r].clone()).collect(),
        y: task.y.select(ndarray::Axis(0), &rows),
    }
}

/// A seeded subset of `fraction` of a split's records (at least 2), in the split's order.
pub fn subset(split: &Split, fraction: f64, seed: u64) -> Split {
    let n = split.len();
    let keep = ((fraction * n as f64).ceil() as usize).clamp(2.min(n), n);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(mix_seed(seed, &[5])));
    idx.truncate(keep);
    idx.sort_unstable();
    Split {
        name: split.name.clone(),
        pack_rows: idx.iter().map(|&i| split.pack_rows[i]).collect(),
        ids: idx.iter().map(|&i| split.ids[i].clone()).collect(),
        y: split.y.select(ndarray::Axis(0), &idx),
    }
}

impl Prepared {
    /// Opens the pack of `cfg`, builds the task and splits and fits the standardiser on
    /// the training split.
    pub fn from_config(cfg: &TrainConfig) -> Result<Prepared, TrainError> {
        let pack = PackedDataset::open(&cfg.data.pack)?;
        let d = &cfg.data;
        let task = build_task(&pack, &d.task, d.min_likelihood)?;
        let meta = pack.meta().clone();
        let lead_names: Vec<String> = d.leads.clone().unwrap_or_else(|| meta.leads.clone());
        let (lead_rows, standard_leads) = resolve_leads(&lead_names, &meta.leads, &cfg.data.pack)?;
        let mut train = split_of("train", &task, &d.train_folds, d.max_records);
        if let Some(f) = d.train_fraction {
            train = subset(&train, f, cfg.train.seed);
        }
        let val = split_of("val", &task, &d.val_folds, d.max_records);
        let test = split_of("test", &task, &d.test_folds, d.max_records);
        for s in [&train, &val] {
            if s.len() < 2 {
                return Err(TrainError::Data(format!(
                    "{}: the {} split has {} records with a `{}` label (folds {:?})",
                    cfg.data.pack.display(),
                    s.name,
                    s.len(),
                    d.task,
                    if s.name == "train" {
                        &d.train_folds
                    } else {
                        &d.val_folds
                    }
                )));
            }
        }
        if let InputMode::Crop { length, .. } = d.input {
            if length > meta.samples {
                return Err(TrainError::Data(format!(
                    "data.input.length = {length} is longer than the pack's records ({} samples)",
                    meta.samples
                )));
            }
        }
        let standardizer = fit_standardizer(&pack, &train.pack_rows, &lead_rows, d.standardize)?;
        let prep = Preprocessing {
            preset: cfg.model.preset.clone(),
            task: d.task.clone(),
            min_likelihood: d.min_likelihood,
            class_names: task.classes.names().to_vec(),
            leads: lead_names,
            rate: meta.rate,
            record_samples: meta.samples,
            input: d.input,
            standardizer,
            dataset: meta.dataset.clone(),
            pack_preprocessing: meta.preprocessing.clone(),
            pack_bandpass: meta.bandpass,
        };
        Ok(Prepared {
            pack,
            prep,
            lead_rows,
            standard_leads,
            train,
            val,
            test,
            teacher_view: None,
        })
    }

    /// Opens a pack for a trained model: the task and leads come from `prep` (not refitted);
    /// the class list must match the model's.
    pub fn for_checkpoint(
        pack_path: &Path,
        prep: &Preprocessing,
        cfg: &TrainConfig,
    ) -> Result<Prepared, TrainError> {
        let pack = PackedDataset::open(pack_path)?;
        let task = build_task(&pack, &prep.task, prep.min_likelihood)?;
        if task.classes.names() != prep.class_names.as_slice() {
            return Err(TrainError::Data(format!(
                "{}: task `{}` has classes {:?}, the checkpoint was trained on {:?}",
                pack_path.display(),
                prep.task,
                task.classes.names(),
                prep.class_names
            )));
        }
        let meta = pack.meta();
        if meta.preprocessing != prep.pack_preprocessing || meta.bandpass != prep.pack_bandpass {
            return Err(TrainError::Data(format!(
                "{}: pack preprocessed as `{}`, the checkpoint was trained on a pack preprocessed as `{}`",
                pack_path.display(),
                meta.preprocessing,
                prep.pack_preprocessing
            )));
        }
        if meta.rate != prep.rate {
            return Err(TrainError::Data(format!(
                "{}: pack rate {} Hz, the checkpoint expects {} Hz",
                pack_path.display(),
                meta.rate,
                prep.rate
            )));
        }
        let fits = match prep.input {
            InputMode::Crop { length, .. } => meta.samples >= length,
            InputMode::Whole => meta.samples == prep.record_samples,
        };
        if !fits {
            return Err(TrainError::Data(format!(
                "{}: records of {} samples do not fit the checkpoint's input {:?} (trained on {} samples)",
                pack_path.display(),
                meta.samples,
                prep.input,
                prep.record_samples
            )));
        }
        let (lead_rows, standard_leads) = resolve_leads(&prep.leads, &meta.leads, pack_path)?;
        let d = &cfg.data;
        let train = split_of("train", &task, &d.train_folds, d.max_records);
        let val = split_of("val", &task, &d.val_folds, d.max_records);
        let test = split_of("test", &task, &d.test_folds, d.max_records);
        Ok(Prepared {
            pack,
            prep: prep.clone(),
            lead_rows,
            standard_leads,
            train,
            val,
            test,
            teacher_view: None,
        })
    }

    /// Sets the distillation teacher's view from its preprocessing sidecar: its leads
    /// (which must be in the pack) and its own standardiser. When they equal the student's,
    /// the teacher reads the student's batches and no second view is built.
    pub fn attach_teacher(
        &mut self,
        teacher: &Preprocessing,
        origin: &Path,
    ) -> Result<(), TrainError> {
        let (lead_rows, standard_leads) =
            resolve_leads(&teacher.leads, &self.pack.meta().leads, origin)?;
        if teacher.standardizer.mean.len() != lead_rows.len()
            || teacher.standardizer.std.len() != lead_rows.len()
        {
            return Err(TrainError::Checkpoint {
                path: origin.to_path_buf(),
                msg: format!(
                    "standardizer has {} means and {} stds for {} leads",
                    teacher.standardizer.mean.len(),
                    teacher.standardizer.std.len(),
                    lead_rows.len()
                ),
            });
        }
        let same =
            lead_rows == self.lead_rows && teacher.standardizer.same_as(&self.prep.standardizer);
        self.teacher_view = (!same).then(|| View {
            lead_rows,
            standard_leads,
            standardizer: teacher.standardizer.clone(),
        });
        Ok(())
    }

    /// Number of leads the teacher reads.
    pub fn teacher_leads(&self) -> usize {
        self.teacher_view
            .as_ref()
            .map_or(self.n_leads(), |v| v.lead_rows.len())
    }

    pub fn split(&self, name: &str) -> Result<&Split, TrainError> {
        match name {
            "train" => Ok(&self.train),
            "val" | "validation" => Ok(&self.val),
            "test" => Ok(&self.test),
            other => Err(TrainError::Data(format!(
                "unknown split `{other}` (train, val, test)"
            ))),
        }
    }

    pub fn n_leads(&self) -> usize {
        self.lead_rows.len()
    }

    pub fn n_classes(&self) -> usize {
        self.prep.class_names.len()
    }

    /// The standardised input leads of pack row `row`. // [leads * samples]
    pub fn record(&self, row: usize) -> Vec<f32> {
        self.read(row, &self.lead_rows, &self.prep.standardizer)
    }

    /// Leads `lead_rows` of pack row `row`, standardised by `st`. // [leads * samples]
    fn read(&self, row: usize, lead_rows: &[usize], st: &Standardizer) -> Vec<f32> {
        let samples = self.pack.meta().samples;
        let sig = self.pack.signal(row);
        let mut out = Vec::with_capacity(lead_rows.len() * samples);
        for &l in lead_rows {
            out.extend_from_slice(&sig[l * samples..(l + 1) * samples]);
        }
        st.apply(&mut out, samples);
        out
    }

    /// Input length of the network (crop length, or the whole record).
    pub fn input_len(&self) -> usize {
        match self.prep.input {
            InputMode::Crop { length, .. } => length,
            InputMode::Whole => self.prep.record_samples,
        }
    }
}

/// Maps lead names to pack rows and standard-lead indices.
pub fn resolve_leads(
    wanted: &[String],
    pack_leads: &[String],
    pack: &Path,
) -> Result<(Vec<usize>, Vec<usize>), TrainError> {
    if wanted.is_empty() {
        return Err(TrainError::Data("data.leads: empty lead list".into()));
    }
    let mut rows = Vec::new();
    let mut std_idx = Vec::new();
    for name in wanted {
        let r = pack_leads
            .iter()
            .position(|l| l.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                TrainError::Data(format!(
                    "data.leads: lead `{name}` is not in {} (leads {:?})",
                    pack.display(),
                    pack_leads
                ))
            })?;
        let s = standard_index(name).ok_or_else(|| {
            TrainError::Data(format!("data.leads: `{name}` is not a standard lead name"))
        })?;
        rows.push(r);
        std_idx.push(s);
    }
    Ok((rows, std_idx))
}

/// Mean and std (population) over the training records' selected leads.
pub fn fit_standardizer(
    pack: &PackedDataset,
    rows: &[usize],
    leads: &[usize],
    mode: StandardizeMode,
) -> Result<Standardizer, TrainError> {
    let n = leads.len();
    if mode == StandardizeMode::None {
        return Ok(Standardizer {
            mode,
            mean: vec![0.0; n],
            std: vec![1.0; n],
        });
    }
    let samples = pack.meta().samples;
    let mut sum = vec![0.0f64; n];
    let mut sq = vec![0.0f64; n];
    for &r in rows {
        let sig = pack.signal(r);
        for (j, &l) in leads.iter().enumerate() {
            for &v in &sig[l * samples..(l + 1) * samples] {
                let v = f64::from(v);
                sum[j] += v;
                sq[j] += v * v;
            }
        }
    }
    let count = (rows.len() * samples) as f64;
    let (mean, std) = match mode {
        StandardizeMode::Global => {
            let total = count * n as f64;
            let m = sum.iter().sum::<f64>() / total;
            let var = sq.iter().sum::<f64>() / total - m * m;
            (vec![m; n], vec![var.max(0.0).sqrt(); n])
        }
        _ => {
            let m: Vec<f64> = sum.iter().map(|s| s / count).collect();
            let s = sq
                .iter()
                .zip(&m)
                .map(|(q, m)| (q / count - m * m).max(0.0).sqrt())
                .collect();
            (m, s)
        }
    };
    if let Some(i) = std.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(TrainError::Data(format!(
            "standardiser: lead {i} has std {} on the training split (constant or non-finite signal)",
            std[i]
        )));
    }
    Ok(Standardizer { mode, mean, std })
}

/// A batch on the device.
#[derive(Debug)]
pub struct Batch {
    pub x: Tensor, // [batch, leads, samples]
    /// The teacher's view of the same crops (same offsets and augmentation draws) when
    /// `Prepared::teacher_view` is set. // [batch, teacher leads, samples]
    pub x_teacher: Option<Tensor>,
    pub y: Tensor, // [batch, K]
    /// Training-split index of each record of the batch (memory banks of CLT).
    pub rows: Vec<usize>,
    /// Index of this batch within its epoch.
    pub index: usize,
    /// On CUDA: the event after the batch's copies on its loader's copy stream, waited
    /// for by [`Batch::ready`]; `None` on the CPU (or once waited for).
    pub copied: Option<crate::shim::CopyDone>,
}

impl Batch {
    /// Before the step uses the batch: orders the step's stream after the batch's copy
    /// (a wait on the device, not on the host). Nothing on the CPU.
    pub fn ready(&mut self) -> Result<(), TrainError> {
        if let Some(done) = self.copied.take() {
            let mut ts = vec![&self.x, &self.y];
            ts.extend(self.x_teacher.as_ref());
            done.ready(&ts)?;
        }
        Ok(())
    }
}

/// Batches per epoch for `n` records (a final batch of one record is dropped: batch norm
/// cannot train on it).
pub fn batches_per_epoch(n: usize, batch_size: usize) -> usize {
    let full = n / batch_size;
    let rest = n % batch_size;
    full + usize::from(rest >= 2)
}

/// A seed derived from a base seed and indices (SplitMix64 mixing).
pub fn mix_seed(base: u64, parts: &[u64]) -> u64 {
    let mut z = base;
    for &p in parts {
        z = z.wrapping_add(p.wrapping_add(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
    }
    z
}

/// The record order of an epoch.
pub fn epoch_order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(mix_seed(seed, &[1, epoch as u64]));
    order.shuffle(&mut rng);
    order
}

/// This rank's share of every epoch, as PyTorch's `DistributedSampler` (without
/// `drop_last`): the epoch's record order (one permutation from (seed, epoch), the same on
/// every rank) is padded to a multiple of the world size by repeating its start, and rank
/// `r` takes positions `r, r + W, r + 2W, …`. With a per-rank batch of `global / W`, local
/// batch `b` of every rank together holds positions `b·global .. (b+1)·global` of the
/// padded order: the global batch of one process. One rank: no padding, every position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub rank: usize,
    pub world: usize,
}

impl Shard {
    /// One process.
    pub const SINGLE: Shard = Shard { rank: 0, world: 1 };

    /// The shard of this rank of a collective.
    pub fn of(c: &dyn crate::collective::Collective) -> Shard {
        Shard {
            rank: c.rank(),
            world: c.world_size(),
        }
    }

    /// The per-rank batch for a global `batch_size` (`train.batch_size` is the global
    /// batch, so the same config gives the same learning-rate schedule at any world size).
    pub fn local_batch(&self, batch_size: usize) -> Result<usize, TrainError> {
        if batch_size % self.world != 0 || batch_size < self.world {
            return Err(TrainError::Data(format!(
                "train.batch_size = {batch_size} is the global batch and must be a multiple of \
                 the world size {} (each rank takes batch_size / world size records per step)",
                self.world
            )));
        }
        Ok(batch_size / self.world)
    }

    /// Positions (into the padded epoch order of `n` records) this rank takes, in order.
    pub fn positions(&self, n: usize) -> Vec<usize> {
        let total = n.div_ceil(self.world) * self.world;
        (self.rank..total).step_by(self.world).collect()
    }

    /// Records per rank per epoch (padding included).
    pub fn records(&self, n: usize) -> usize {
        n.div_ceil(self.world)
    }

    /// Optimizer steps per epoch for `n` training records and a global `batch_size`.
    pub fn batches_per_epoch(&self, n: usize, batch_size: usize) -> Result<usize, TrainError> {
        Ok(batches_per_epoch(
            self.records(n),
            self.local_batch(batch_size)?,
        ))
    }
}

/// One training batch on the CPU.
struct CpuBatch {
    x: Vec<f32>,         // [m * leads * len]
    x_teacher: Vec<f32>, // [m * teacher leads * len], empty without a teacher view
    y: Vec<f32>,         // [m * K]
    rows: Vec<usize>,    // training-split index of each record
    m: usize,
}

/// `len` samples from `offset` of every lead of a record. // [leads * len]
fn crop(rec: &[f32], samples: usize, offset: usize, len: usize) -> Vec<f32> {
    rec.chunks_exact(samples)
        .flat_map(|lead| &lead[offset..offset + len])
        .copied()
        .collect()
}

/// Builds a training batch of `epoch` on the CPU from `positions` into the (padded) epoch
/// order: position `p` is record `order[p % n]`, and its crop and augmentation draws come
/// from (seed, epoch, p).
fn make_train_batch(
    data: &Prepared,
    order: &[usize],
    positions: &[usize],
    seed: u64,
    epoch: usize,
    aug: &AugmentConfig,
) -> Result<CpuBatch, TrainError> {
    let m = positions.len();
    let len = data.input_len();
    let samples = data.prep.record_samples;
    let leads = data.n_leads();
    let k = data.n_classes();
    let mut x = Vec::with_capacity(m * leads * len);
    let mut x_teacher = Vec::new();
    let mut y = Vec::with_capacity(m * k);
    let mut rows = Vec::with_capacity(m);
    for &p in positions {
        let mut rng = ChaCha8Rng::seed_from_u64(mix_seed(seed, &[2, epoch as u64, p as u64]));
        let i = order[p % order.len()];
        let row = data.train.pack_rows[i];
        let offset = if len < samples {
            rng.random_range(0..=samples - len)
        } else {
            0
        };
        if let Some(v) = &data.teacher_view {
            // The same draws as the student's crop below: a clone of the record's RNG.
            let mut trng = rng.clone();
            let mut c = crop(
                &data.read(row, &v.lead_rows, &v.standardizer),
                samples,
                offset,
                len,
            );
            crate::augment::apply(&mut c, &v.standard_leads, len, aug, &mut trng)?;
            x_teacher.extend_from_slice(&c);
        }
        let mut c = crop(&data.record(row), samples, offset, len);
        crate::augment::apply(&mut c, &data.standard_leads, len, aug, &mut rng)?;
        x.extend_from_slice(&c);
        y.extend(data.train.y.row(i).iter().map(|&v| f32::from(v)));
        rows.push(i);
    }
    Ok(CpuBatch {
        x,
        x_teacher,
        y,
        rows,
        m,
    })
}

/// A batch's tensors built on a loader thread, moved to `device`. On CUDA they are copied
/// from page-locked memory, without blocking, on the loader thread's own copy stream, and
/// the event after the copies is returned: the step's stream waits for it
/// ([`Batch::ready`]), so the copy of the next batch overlaps the compute of this one. On
/// the CPU they are returned as they are.
fn upload(
    hosts: Vec<Tensor>,
    device: Device,
) -> Result<(Vec<Tensor>, Option<crate::shim::CopyDone>), TrainError> {
    match device {
        Device::Cuda(i) => {
            let (ts, done) = crate::shim::upload_on_copy_stream(&hosts, i)?;
            Ok((ts, Some(done)))
        }
        _ => Ok((hosts, None)),
    }
}

/// Training batches of one epoch, prepared by `workers` threads, `prefetch` ahead, in order.
pub struct TrainLoader {
    receivers: Vec<Receiver<Result<Batch, TrainError>>>,
    next: usize,
    end: usize,
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for TrainLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrainLoader({}..{})", self.next, self.end)
    }
}

impl TrainLoader {
    /// Batches `start_batch..` of `epoch` (one process).
    pub fn new(
        data: Arc<Prepared>,
        cfg: &TrainConfig,
        epoch: usize,
        start_batch: usize,
        device: Device,
    ) -> TrainLoader {
        let bs = cfg.train.batch_size;
        Self::start(data, cfg, epoch, start_batch, device, Shard::SINGLE, bs)
    }

    /// This rank's batches `start_batch..` of `epoch`: its [`Shard`] in batches of
    /// `train.batch_size / world size`.
    pub fn sharded(
        data: Arc<Prepared>,
        cfg: &TrainConfig,
        epoch: usize,
        start_batch: usize,
        device: Device,
        shard: Shard,
    ) -> Result<TrainLoader, TrainError> {
        let bs = shard.local_batch(cfg.train.batch_size)?;
        Ok(Self::start(
            data,
            cfg,
            epoch,
            start_batch,
            device,
            shard,
            bs,
        ))
    }

    fn start(
        data: Arc<Prepared>,
        cfg: &TrainConfig,
        epoch: usize,
        start_batch: usize,
        device: Device,
        shard: Shard,
        bs: usize,
    ) -> TrainLoader {
        let n = data.train.len();
        let positions = Arc::new(shard.positions(n));
        let end = batches_per_epoch(positions.len(), bs);
        let order = Arc::new(epoch_order(n, cfg.train.seed, epoch));
        let workers = cfg.data.workers.max(1);
        let prefetch = cfg.data.prefetch.max(1);
        let mut receivers = Vec::with_capacity(workers);
        let mut handles = Vec::with_capacity(workers);
        for w in 0..workers {
            let (tx, rx) =
                sync_channel::<Result<Batch, TrainError>>(prefetch.div_ceil(workers).max(1));
            let (data, order) = (Arc::clone(&data), Arc::clone(&order));
            let positions = Arc::clone(&positions);
            let (seed, aug) = (cfg.train.seed, cfg.augment);
            let h = std::thread::spawn(move || {
                let leads = data.n_leads() as i64;
                let tleads = data.teacher_leads() as i64;
                let len = data.input_len() as i64;
                let k = data.n_classes() as i64;
                let mut b = start_batch + (w + workers - start_batch % workers) % workers;
                while b < end {
                    let at = &positions[b * bs..((b + 1) * bs).min(positions.len())];
                    let batch =
                        make_train_batch(&data, &order, at, seed, epoch, &aug).and_then(|cb| {
                            let m = cb.m as i64;
                            let mut hosts = vec![
                                Tensor::from_slice(&cb.x).reshape([m, leads, len]),
                                Tensor::from_slice(&cb.y).reshape([m, k]),
                            ];
                            if !cb.x_teacher.is_empty() {
                                hosts.push(
                                    Tensor::from_slice(&cb.x_teacher).reshape([m, tleads, len]),
                                );
                            }
                            let (mut ts, copied) = upload(hosts, device)?;
                            let x_teacher = (ts.len() == 3).then(|| ts.remove(2));
                            let y = ts.remove(1);
                            let x = ts.remove(0);
                            Ok(Batch {
                                x,
                                x_teacher,
                                y,
                                rows: cb.rows,
                                index: b,
                                copied,
                            })
                        });
                    let failed = batch.is_err();
                    if tx.send(batch).is_err() || failed {
                        return; // the consumer stopped early, or this worker hit an error
                    }
                    b += workers;
                }
            });
            receivers.push(rx);
            handles.push(h);
        }
        TrainLoader {
            receivers,
            next: start_batch,
            end,
            handles,
        }
    }

    /// Number of batches this loader yields.
    pub fn remaining(&self) -> usize {
        self.end.saturating_sub(self.next)
    }
}

impl Iterator for TrainLoader {
    type Item = Result<Batch, TrainError>;
    fn next(&mut self) -> Option<Result<Batch, TrainError>> {
        if self.next >= self.end {
            return None;
        }
        let w = self.next % self.receivers.len();
        let b = self.receivers[w].recv().unwrap_or_else(|_| {
            // A worker ended without sending this batch: it panicked. Never a short epoch.
            Err(TrainError::Data(format!(
                "batch worker {w} stopped before batch {} of {}",
                self.next, self.end
            )))
        });
        if b.is_err() {
            self.next = self.end; // nothing after an error
        } else {
            self.next += 1;
        }
        Some(b)
    }
}

impl Drop for TrainLoader {
    fn drop(&mut self) {
        self.receivers.clear(); // unblocks the senders
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

/// Evaluation windows of one record: start offsets (sliding windows for crop mode, the
/// whole record otherwise), as the benchmark: `range(0, samples - length + 1, stride)`.
pub fn eval_offsets(samples: usize, input: &InputMode) -> Vec<usize> {
    match *input {
        InputMode::Whole => vec![0],
        InputMode::Crop { length, stride, .. } => {
            if length >= samples {
                return vec![0];
            }
            (0..=samples - length).step_by(stride).collect()
        }
    }
}

#[cfg(test)]
mod shard_tests {
    use super::*;

    #[test]
    fn ranks_pad_by_repeating_the_start_and_stride_like_distributed_sampler() {
        // PyTorch: indices += indices[:padding]; indices[rank:total:world].
        let s0 = Shard { rank: 0, world: 4 };
        let s3 = Shard { rank: 3, world: 4 };
        assert_eq!(s0.positions(10), vec![0, 4, 8]);
        assert_eq!(s3.positions(10), vec![3, 7, 11]); // 11 % 10 = record 1 of the order
        assert_eq!(Shard::SINGLE.positions(5), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn local_batches_of_all_ranks_make_the_global_batch() {
        let (n, global, world) = (23usize, 6usize, 3usize);
        let lb = Shard { rank: 0, world }
            .local_batch(global)
            .expect("divisible");
        for b in 0..batches_per_epoch(n.div_ceil(world), lb) {
            let mut union: Vec<usize> = (0..world)
                .flat_map(|rank| {
                    let p = Shard { rank, world }.positions(n);
                    p[b * lb..((b + 1) * lb).min(p.len())].to_vec()
                })
                .collect();
            union.sort_unstable();
            let end = ((b + 1) * global).min(n.div_ceil(world) * world);
            assert_eq!(union, (b * global..end).collect::<Vec<_>>(), "batch {b}");
        }
    }

    #[test]
    fn a_global_batch_not_divisible_by_the_world_is_refused() {
        let e = Shard { rank: 0, world: 4 }.local_batch(30).unwrap_err();
        assert!(
            e.to_string().contains("multiple of the world size 4"),
            "{e}"
        );
        assert_eq!(Shard::SINGLE.local_batch(30).expect("one"), 30);
    }
}
