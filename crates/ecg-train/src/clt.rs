//! MVKT's contrastive lead-information transfer (CLT, MVKT-ECG, Qin et al. 2023; METHODS §5): a CRD-style
//! (Tian et al. 2020) NCE loss between the student's and the teacher's penultimate
//! features.
//!
//! Each feature goes through a learned linear map to `dim` and is L2-normalised. Two memory
//! banks hold one embedding per training record (student bank, teacher bank), updated with
//! momentum after every step. For an anchor record i, the positive is bank row i and the
//! negatives are `negatives` rows drawn with replacement — disease-aware: only from records
//! that share no positive label with i. Scores are `exp(⟨v, m⟩ / τ) / Z`, Z fixed from the
//! first batch (`mean · N`, as CRD); the NCE loss with noise distribution 1/N is applied in
//! both directions (teacher anchor vs student bank, student anchor vs teacher bank).
//!
//! The banks and Z live in a VarStore as non-trainable variables, so they are saved with
//! the adaptor and `--resume` restores them exactly. Negatives are drawn from a per-step
//! seed: a resumed run draws what the uninterrupted one drew.
use crate::config::CltConfig;
use crate::error::TrainError;
use ndarray::ArrayView2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::{nn, Kind, Tensor};

/// Per-record label sets as bitsets, for disease-aware negatives.
#[derive(Debug, Clone)]
pub struct LabelMasks {
    words: usize,
    bits: Vec<u64>, // [records * words]
}

impl LabelMasks {
    /// From multi-hot labels `[records, K]`.
    pub fn new(y: ArrayView2<u8>) -> LabelMasks {
        let words = y.ncols().div_ceil(64).max(1);
        let mut bits = vec![0u64; y.nrows() * words];
        for (i, row) in y.rows().into_iter().enumerate() {
            for (k, &v) in row.iter().enumerate() {
                if v != 0 {
                    bits[i * words + k / 64] |= 1 << (k % 64);
                }
            }
        }
        LabelMasks { words, bits }
    }

    pub fn len(&self) -> usize {
        self.bits.len() / self.words
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// Records `i` and `j` share at least one positive label.
    pub fn share(&self, i: usize, j: usize) -> bool {
        let (a, b) = (
            &self.bits[i * self.words..(i + 1) * self.words],
            &self.bits[j * self.words..(j + 1) * self.words],
        );
        a.iter().zip(b).any(|(x, y)| x & y != 0)
    }
}

/// `n` negatives for `anchor` among `0..masks.len()`, drawn with replacement, never the
/// anchor. Disease-aware: only records sharing no label with the anchor; when a bounded
/// number of draws finds none (the anchor shares a label with nearly every record), the rest
/// are drawn from all other records.
pub fn draw_negatives(
    masks: &LabelMasks,
    anchor: usize,
    n: usize,
    disease_aware: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let total = masks.len();
    let mut out = Vec::with_capacity(n);
    if total < 2 {
        return out;
    }
    let max_tries = 64 * n.max(1);
    let mut tries = 0;
    while out.len() < n {
        let j = rng.random_range(0..total);
        if j == anchor {
            continue;
        }
        tries += 1;
        if disease_aware && tries <= max_tries && masks.share(anchor, j) {
            continue;
        }
        out.push(j);
    }
    out
}

/// The NCE loss of one direction: `x` `[B, 1 + n]` scores (positive first), noise
/// probability `1/N` for each of the `n` negatives (CRD's `ContrastLoss`).
pub fn nce_loss(x: &Tensor, n_data: usize) -> Tensor {
    let size = x.size();
    let (b, m) = (size[0], size[1] - 1);
    let pn = 1.0 / n_data as f64;
    let eps = 1e-7;
    let mpn = m as f64 * pn;
    let p_pos = x.narrow(1, 0, 1); // [B, 1]
    let log_d1 = (&p_pos / (&p_pos + (mpn + eps))).log();
    let p_neg = x.narrow(1, 1, m); // [B, n]
    let log_d0 = (p_neg.ones_like() * mpn / (p_neg + (mpn + eps))).log();
    -(log_d1.sum(Kind::Float) + log_d0.sum(Kind::Float)) / b as f64
}

/// The CLT module: the two linear maps, the two banks, and Z.
#[derive(Debug)]
pub struct Clt {
    cfg: CltConfig,
    map_s: nn::Linear,
    map_t: nn::Linear,
    bank_s: Tensor, // [N, dim]
    bank_t: Tensor, // [N, dim]
    z: Tensor,      // [2]: Z for the student-anchor and teacher-anchor directions; 0 = unset
    masks: LabelMasks,
    seed: u64,
}

/// What one step computed.
#[derive(Debug)]
pub struct CltStep {
    pub loss: Tensor,
    /// L2-normalised embeddings to write into the banks after the step. // [B, dim] each
    emb_s: Tensor,
    emb_t: Tensor,
    rows: Tensor, // [B] int64
}

fn l2_normalize(x: &Tensor) -> Tensor {
    let n = x
        .pow_tensor_scalar(2)
        .sum_dim_intlist(1, true, Kind::Float)
        .sqrt()
        .clamp_min(1e-12);
    x / n
}

impl Clt {
    /// Builds the maps and banks under `p` for `ds`/`dt`-sized student/teacher features and
    /// the training records' labels `y` `[N, K]`.
    pub fn new(
        p: &nn::Path,
        cfg: &CltConfig,
        ds: i64,
        dt: i64,
        y: ArrayView2<u8>,
        seed: u64,
    ) -> Result<Clt, TrainError> {
        let n = y.nrows();
        if n < 2 {
            return Err(TrainError::Data(format!(
                "distill.clt: needs at least 2 training records, the split has {n}"
            )));
        }
        let dim = cfg.dim as i64;
        let map_s = nn::linear(p / "clt_student", ds, dim, Default::default());
        let map_t = nn::linear(p / "clt_teacher", dt, dim, Default::default());
        // Non-trainable variables: saved and restored with the adaptor's VarStore, never
        // given to the optimiser. CRD's initialisation: uniform in ±1/sqrt(dim/3).
        let stdv = 1.0 / (dim as f64 / 3.0).sqrt();
        let bank = |name: &str| {
            let mut t = p.zeros_no_train(name, &[n as i64, dim]);
            tch::no_grad(|| {
                let init =
                    Tensor::rand([n as i64, dim], (Kind::Float, t.device())) * (2.0 * stdv) - stdv;
                t.copy_(&init);
            });
            t
        };
        let bank_s = bank("clt_bank_student");
        let bank_t = bank("clt_bank_teacher");
        let z = p.zeros_no_train("clt_z", &[2]);
        Ok(Clt {
            cfg: *cfg,
            map_s,
            map_t,
            bank_s,
            bank_t,
            z,
            masks: LabelMasks::new(y),
            seed,
        })
    }

    /// The weight of this term in the total loss.
    pub fn weight(&self) -> f64 {
        self.cfg.weight
    }

    /// The loss of one step: `hs` `[B, Ds]` student features (with grad), `ht` `[B, Dt]`
    /// teacher features, `rows` the records' training-split indices; `step` seeds the
    /// negatives.
    pub fn step(&self, hs: &Tensor, ht: &Tensor, rows: &[usize], step: usize) -> CltStep {
        let n = self.cfg.negatives;
        let mut rng =
            ChaCha8Rng::seed_from_u64(crate::data::mix_seed(self.seed, &[4, step as u64]));
        let mut idx: Vec<i64> = Vec::with_capacity(rows.len() * (n + 1));
        for &r in rows {
            idx.push(r as i64);
            idx.extend(
                draw_negatives(&self.masks, r, n, self.cfg.disease_aware, &mut rng)
                    .into_iter()
                    .map(|j| j as i64),
            );
        }
        self.step_with_indices(hs, ht, rows, &idx)
    }

    /// [`Clt::step`] with given contrast indices `idx` `[B * (1 + negatives)]`, row-major,
    /// each row the anchor's own index followed by its negatives (CRD's `idx`).
    pub fn step_with_indices(
        &self,
        hs: &Tensor,
        ht: &Tensor,
        rows: &[usize],
        idx: &[i64],
    ) -> CltStep {
        let device = hs.device();
        let b = rows.len() as i64;
        let n = self.cfg.negatives;
        let idx = Tensor::from_slice(idx).to_device(device); // [B * (1 + n)]
        let emb_s = l2_normalize(&nn::Module::forward(&self.map_s, hs)); // [B, dim]
        let emb_t = l2_normalize(&nn::Module::forward(&self.map_t, ht)); // [B, dim]
        let dim = self.cfg.dim as i64;
        let from_s = self
            .bank_s
            .index_select(0, &idx)
            .view([b, n as i64 + 1, dim]); // [B, 1+n, dim]
        let from_t = self
            .bank_t
            .index_select(0, &idx)
            .view([b, n as i64 + 1, dim]);
        let tau = self.cfg.temperature;
        // Student anchor against the teacher bank, teacher anchor against the student bank.
        // In fp32 even under CUDA autocast: exp(1 / 0.07) ≈ 1.6e6 overflows fp16.
        let sim = |bank: &Tensor, emb: &Tensor| {
            bank.bmm(&emb.unsqueeze(2))
                .squeeze_dim(2)
                .to_kind(Kind::Float)
        };
        let out_s = (sim(&from_t, &emb_s) / tau).exp(); // [B, 1+n]
        let out_t = (sim(&from_s, &emb_t) / tau).exp();
        let n_data = self.masks.len();
        tch::no_grad(|| {
            if self.z.double_value(&[0]) == 0.0 {
                let zs = out_s.mean(Kind::Float) * n_data as f64;
                let zt = out_t.mean(Kind::Float) * n_data as f64;
                let mut z = self.z.shallow_clone();
                z.copy_(&Tensor::stack(&[zs, zt], 0));
            }
        });
        let zs = self.z.get(0).detach();
        let zt = self.z.get(1).detach();
        let loss = nce_loss(&(out_s / zs), n_data) + nce_loss(&(out_t / zt), n_data);
        let rows = Tensor::from_slice(&rows.iter().map(|&r| r as i64).collect::<Vec<_>>())
            .to_device(device);
        CltStep {
            loss,
            emb_s: emb_s.detach(),
            emb_t: emb_t.detach(),
            rows,
        }
    }

    /// [`Clt::update`] across the ranks of a job: every rank writes every rank's
    /// embeddings (gathered in rank order), so the banks stay identical on every rank; Z
    /// (set from the first step's local batch) is rank 0's everywhere.
    pub fn update_shared(
        &self,
        s: &CltStep,
        c: &dyn crate::collective::Collective,
    ) -> Result<(), TrainError> {
        if c.world_size() == 1 {
            self.update(s);
            return Ok(());
        }
        let gather = |t: &Tensor| crate::collective::gather_rows(c, t, "gathering CLT embeddings");
        let all = CltStep {
            loss: s.loss.shallow_clone(),
            emb_s: gather(&s.emb_s)?,
            emb_t: gather(&s.emb_t)?,
            rows: gather(&s.rows)?,
        };
        self.update(&all);
        tch::no_grad(|| c.broadcast(std::slice::from_ref(&self.z), 0))
            .map_err(|e| crate::collective::context(c, "broadcasting CLT's Z", e))
    }

    /// Writes a step's embeddings into the banks: `normalize(m · bank + (1 − m) · emb)`.
    pub fn update(&self, s: &CltStep) {
        let m = self.cfg.momentum;
        tch::no_grad(|| {
            for (bank, emb) in [(&self.bank_s, &s.emb_s), (&self.bank_t, &s.emb_t)] {
                let old = bank.index_select(0, &s.rows);
                let new = l2_normalize(&(old * m + emb * (1.0 - m)));
                let mut bank = bank.shallow_clone();
                let _ = bank.index_copy_(0, &s.rows, &new);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn nce_by_hand() {
        // One anchor, 2 negatives, N = 4: pn = 1/4, m·pn = 1/2.
        // P_pos = 1: log(1 / 1.5); P_neg = 0.5, 0.25: log(0.5 / 1.0) + log(0.5 / 0.75).
        let x = Tensor::from_slice(&[1.0f32, 0.5, 0.25]).view([1, 3]);
        let want = -((1.0f64 / 1.5).ln() + 0.5f64.ln() + (0.5f64 / 0.75).ln());
        let got = nce_loss(&x, 4).double_value(&[]);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn negatives_share_no_label_and_repeat_for_a_seed() {
        let y = array![
            [1u8, 0, 0],
            [0, 1, 0],
            [1, 1, 0],
            [0, 0, 1],
            [0, 0, 0],
            [1, 0, 1]
        ];
        let m = LabelMasks::new(y.view());
        assert!(m.share(0, 2) && !m.share(0, 1) && !m.share(4, 0));
        let draw = |seed| draw_negatives(&m, 0, 200, true, &mut ChaCha8Rng::seed_from_u64(seed));
        let a = draw(1);
        assert_eq!(a.len(), 200);
        assert!(a.iter().all(|&j| j != 0 && !m.share(0, j)), "{a:?}");
        assert!(a.contains(&1) && a.contains(&3) && a.contains(&4));
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        // Without disease-awareness every other record can appear.
        let b = draw_negatives(&m, 0, 300, false, &mut ChaCha8Rng::seed_from_u64(1));
        assert!(b.contains(&2) && b.contains(&5) && !b.contains(&0));
        // An anchor that shares a label with every other record falls back to all of them.
        let all = array![[1u8, 1], [1, 0], [0, 1]];
        let m2 = LabelMasks::new(all.view());
        let c = draw_negatives(&m2, 0, 10, true, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(c.len(), 10);
        assert!(c.iter().all(|&j| j != 0));
    }

    #[test]
    fn the_banks_move_towards_the_embeddings_and_only_their_rows() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let y = array![[1u8, 0], [0, 1], [1, 0], [0, 1]];
        let cfg = CltConfig {
            dim: 8,
            negatives: 3,
            ..Default::default()
        };
        let clt = Clt::new(&vs.root(), &cfg, 5, 6, y.view(), 1).expect("clt");
        let before_s = clt.bank_s.copy();
        let hs = Tensor::randn([2, 5], (Kind::Float, tch::Device::Cpu));
        let ht = Tensor::randn([2, 6], (Kind::Float, tch::Device::Cpu));
        let s = clt.step(&hs, &ht, &[1, 3], 0);
        assert!(s.loss.double_value(&[]).is_finite());
        assert!(clt.z.double_value(&[0]) > 0.0 && clt.z.double_value(&[1]) > 0.0);
        // The loss reaches the student map and the teacher map, not the banks.
        s.loss.backward();
        assert!(clt.map_s.ws.grad().defined() && clt.map_t.ws.grad().defined());
        clt.update(&s);
        let after = &clt.bank_s;
        for r in [0i64, 2] {
            assert!(after.get(r).equal(&before_s.get(r)), "row {r} changed");
        }
        for (k, r) in [1i64, 3].into_iter().enumerate() {
            let want = l2_normalize(
                &(before_s.get(r).unsqueeze(0) * 0.5 + s.emb_s.get(k as i64).unsqueeze(0) * 0.5),
            );
            let diff = (after.get(r) - want.squeeze())
                .abs()
                .max()
                .double_value(&[]);
            assert!(diff < 1e-6, "row {r}: {diff}");
            let norm = after.get(r).norm().double_value(&[]);
            assert!((norm - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn at_chance_each_direction_is_log_of_one_plus_m_plus_about_one() {
        // Every score at the noise level (P = 1/N for the positive and the m negatives):
        // CRD's NCE sums the anchor's m + 1 binary log-likelihoods and averages over
        // anchors, so one direction is log(1 + m) + m·log(1 + 1/m) ≈ log(1 + m) + 1. With
        // m = 1024 that is 7.93, and CLT (two directions) 15.9 before it learns anything:
        // the size of the term is this constant offset, which has no gradient.
        let (m, n) = (1024usize, 20_000usize);
        let x = Tensor::full(
            [3, m as i64 + 1],
            1.0 / n as f64,
            (Kind::Float, tch::Device::Cpu),
        );
        let got = nce_loss(&x, n).double_value(&[]);
        let want = ((1 + m) as f64).ln() + m as f64 * (1.0 + 1.0 / m as f64).ln();
        assert!((got - want).abs() < 1e-3 * want, "{got} vs {want}");
        assert!((2.0 * want - 15.87).abs() < 0.01, "{}", 2.0 * want);
    }
}
