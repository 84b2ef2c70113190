//! The dataset plan: patients, their records (ecg_id, dates, ages), statement sets, folds
//! and database columns — everything but the waveforms, drawn sequentially from the
//! dataset seed. Waveforms are drawn per record ([`DatasetPlan::record_spec`]) from
//! seeds derived from (seed, patient_id) and (seed, ecg_id), so records can be rendered
//! in any order, in parallel, with identical results.
use crate::dates::{days_from_civil, format_datetime};
use crate::difficulty::Difficulty;
use crate::effects::{apply_statements_scaled, axis_category, Patient};
use crate::error::{Result, SynthError};
use crate::folds::{assign_folds, PatientLoad};
use crate::morphology::LeadSystem;
use crate::noise::Noise;
use crate::render::RecordSpec;
use crate::rhythm::schedule;
use crate::tables::{LabelSet, SampleFit};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Sampling rates PTB-XL ships (`records100/`, `records500/`).
pub const RATES: [u32; 2] = [100, 500];
/// The five diagnostic superclasses, sorted (the strata of the folds).
pub const SUPERCLASSES: [&str; 5] = ["CD", "HYP", "MI", "NORM", "STTC"];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Number of records (PTB-XL 1.0.1: 21,837).
    pub records: usize,
    pub seed: u64,
    /// Subset of [`RATES`].
    pub rates: Vec<u32>,
    /// How subtle the statement effects are, how noisy the recordings and how different
    /// the patients ([`Difficulty::EASY`]: the generator's original output).
    pub difficulty: Difficulty,
}

impl SynthConfig {
    pub fn validate(&self) -> Result<()> {
        if self.records == 0 || self.records > 99_999 {
            return Err(SynthError::Config {
                field: "records",
                msg: format!(
                    "{} is outside 1..=99999 (5-digit PTB-XL record names)",
                    self.records
                ),
            });
        }
        if self.rates.is_empty() {
            return Err(SynthError::Config {
                field: "rates",
                msg: "no sampling rate given".into(),
            });
        }
        if let Some(r) = self.rates.iter().find(|r| !RATES.contains(r)) {
            return Err(SynthError::Config {
                field: "rates",
                msg: format!("{r} Hz: PTB-XL's layout has only 100 and 500 Hz"),
            });
        }
        Ok(())
    }
}

/// One planned record (a row of `ptbxl_database.csv`, minus waveform-derived columns).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRecord {
    pub ecg_id: u32,
    pub patient_id: u32,
    pub age: f64,
    /// Age at the patient's first record (drives the patient's heart, shared by all visits).
    pub first_age: f64,
    /// 0 male, 1 female.
    pub sex: u8,
    pub height: Option<f64>,
    pub weight: Option<f64>,
    pub recording_date: String,
    /// The statement set (drawn from the real sample's sets).
    pub labels: LabelSet,
    /// Its diagnostic superclasses, sorted.
    pub superclasses: Vec<String>,
    pub strat_fold: u8,
    pub validated_by_human: bool,
    /// Raw values of the fitted free-text columns, in [`crate::tables::FITTED_COLUMNS`] order.
    pub fitted: Vec<String>,
}

/// Columns that depend on the record's heart (filled while rendering).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeartColumns {
    pub heart_axis: String,
    pub infarction_stadium1: String,
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct DatasetPlan {
    pub config: SynthConfig,
    pub fit: SampleFit,
    pub records: Vec<PlannedRecord>,
    /// Number of distinct patients.
    pub patients: usize,
}

const DOMAIN_PLAN: u64 = 0x706c_616e;
const DOMAIN_PATIENT: u64 = 0x7061_7469;
const DOMAIN_RECORD: u64 = 0x7265_636f;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The RNG of one (domain, id) under `seed`.
pub fn rng_for(seed: u64, domain: u64, id: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix(seed ^ splitmix(domain.rotate_left(32) ^ id)))
}

fn normal<R: Rng + ?Sized>(rng: &mut R, m: f64, sd: f64) -> f64 {
    Normal::new(m, sd).map(|d| d.sample(rng)).unwrap_or(m)
}

/// PTB-XL's recording period.
fn date_range() -> (i64, i64) {
    (days_from_civil(1984, 11, 9), days_from_civil(2001, 6, 30))
}

impl DatasetPlan {
    /// Plan a dataset (validates the configuration).
    pub fn new(config: &SynthConfig) -> Result<DatasetPlan> {
        config.validate()?;
        let fit = SampleFit::load()?;
        let mut rng = rng_for(config.seed, DOMAIN_PLAN, 0);
        let n = config.records;

        // patients and how many records each has (PTB-XL: 21,837 records of 18,885 patients)
        let mut per_patient = Vec::new();
        let mut left = n;
        while left > 0 {
            let u: f64 = rng.random();
            let k = if u < 0.87 {
                1
            } else if u < 0.96 {
                2
            } else if u < 0.985 {
                3
            } else {
                rng.random_range(4..=8)
            };
            let k = k.min(left);
            per_patient.push(k);
            left -= k;
        }
        let np = per_patient.len();
        let mut ids: Vec<u32> = (1..=np as u32).collect();
        ids.shuffle(&mut rng);
        // patient attributes: sex, age at the first visit, height, weight
        struct P {
            female: bool,
            age0: f64,
            height: Option<f64>,
            weight: Option<f64>,
        }
        let pats: Vec<P> = (0..np)
            .map(|_| {
                let female = rng.random_bool(0.5);
                let age0 = if rng.random_bool(0.07) {
                    rng.random_range(18.0..26.0f64).floor()
                } else {
                    normal(&mut rng, 61.0, 16.0).clamp(18.0, 95.0).round()
                };
                let height = rng.random_bool(0.32).then(|| {
                    let h: f64 = if female {
                        normal(&mut rng, 163.0, 7.0)
                    } else {
                        normal(&mut rng, 175.0, 8.0)
                    };
                    h.clamp(140.0, 205.0).round()
                });
                let weight = rng.random_bool(0.78).then(|| {
                    let w: f64 = if female {
                        normal(&mut rng, 68.0, 13.0)
                    } else {
                        normal(&mut rng, 80.0, 13.0)
                    };
                    w.clamp(40.0, 160.0).round()
                });
                P {
                    female,
                    age0,
                    height,
                    weight,
                }
            })
            .collect();

        // record slots in random order; ecg_id = position + 1; a patient's visits are in ecg_id order
        let mut slots: Vec<usize> = per_patient
            .iter()
            .enumerate()
            .flat_map(|(p, &k)| std::iter::repeat_n(p, k))
            .collect();
        slots.shuffle(&mut rng);

        let (d0, d1) = date_range();
        let mut first_day: Vec<Option<i64>> = vec![None; np];
        let mut last_set: Vec<Option<LabelSet>> = vec![None; np];
        let mut records = Vec::with_capacity(n);
        for (pos, &p) in slots.iter().enumerate() {
            let frac = (pos as f64 + rng.random::<f64>()) / n as f64;
            let day = d0 + (frac * (d1 - d0) as f64) as i64;
            let second = rng.random_range(7 * 3600..19 * 3600);
            let first = *first_day[p].get_or_insert(day);
            let age = (pats[p].age0 + ((day - first) as f64 / 365.25).floor()).min(95.0);
            let labels = match &last_set[p] {
                Some(prev) if rng.random_bool(0.6) => prev.clone(),
                _ => fit.label_sets.sample(&mut rng).clone(),
            };
            last_set[p] = Some(labels.clone());
            let fitted = crate::tables::FITTED_COLUMNS
                .iter()
                .map(|c| fit.draw(c, &mut rng))
                .collect();
            records.push(PlannedRecord {
                ecg_id: pos as u32 + 1,
                patient_id: ids[p],
                age,
                first_age: pats[p].age0,
                sex: pats[p].female as u8,
                height: pats[p].height,
                weight: pats[p].weight,
                recording_date: format_datetime(day, second),
                superclasses: fit.superclasses(&labels.codes),
                labels,
                strat_fold: 0,
                validated_by_human: true,
                fitted,
            });
        }

        // folds by patient, stratified by superclass
        let mut loads = vec![
            PatientLoad {
                records: 0,
                strata: vec![0; SUPERCLASSES.len()]
            };
            np
        ];
        for (r, &p) in records.iter().zip(&slots) {
            loads[p].records += 1;
            for c in &r.superclasses {
                if let Some(j) = SUPERCLASSES.iter().position(|s| s == c) {
                    loads[p].strata[j] += 1;
                }
            }
        }
        let folds = assign_folds(&loads, &mut rng);
        for (r, &p) in records.iter_mut().zip(&slots) {
            r.strat_fold = folds[p];
            // PTB-XL: folds 9 and 10 hold only records validated by a human
            r.validated_by_human = r.strat_fold >= 9 || rng.random_bool(0.75);
        }
        Ok(DatasetPlan {
            config: config.clone(),
            fit,
            records,
            patients: np,
        })
    }

    /// Draw one record's waveform specification and its heart-derived columns.
    pub fn record_spec(&self, r: &PlannedRecord) -> (RecordSpec, HeartColumns) {
        let seed = self.config.seed;
        let mut prng = rng_for(seed, DOMAIN_PATIENT, r.patient_id as u64);
        let d = self.config.difficulty;
        let patient = Patient::draw_varied(&mut prng, r.first_age, r.sex == 1, d.variation);
        let mut angle = [0.0; 6];
        let mut gain = [1.0; 6];
        let mut rng = rng_for(seed, DOMAIN_RECORD, r.ecg_id as u64);
        for i in 0..6 {
            angle[i] = normal(&mut rng, 0.0, 4.0 * d.variation);
            gain[i] = normal(&mut rng, 0.0, 0.08 * d.variation).exp();
        }
        let heart = apply_statements_scaled(&patient, &r.labels.codes, &mut rng, d.effect);
        let sched = schedule(heart.rhythm, heart.ectopy, &mut rng);
        let col = |name: &str| {
            crate::tables::FITTED_COLUMNS
                .iter()
                .position(|c| *c == name)
                .and_then(|i| r.fitted.get(i))
                .map(|s| !s.is_empty())
                .unwrap_or(false)
        };
        let wander = if col("baseline_drift") { 3.0 } else { 1.0 };
        let emg = if col("static_noise") { 2.5 } else { 1.0 };
        let noise = Noise::draw(&mut rng, wander * d.noise, emg * d.noise);
        let axis_stated = r
            .labels
            .codes
            .iter()
            .any(|(c, _)| c == "LAFB" || c == "LPFB");
        let heart_axis = if axis_stated || rng.random_bool(0.18) {
            axis_category(heart.morph.frontal_axis_deg()).to_string()
        } else {
            String::new()
        };
        let cols = HeartColumns {
            heart_axis,
            infarction_stadium1: heart.infarction_stadium.unwrap_or("").to_string(),
        };
        (
            RecordSpec {
                ecg_id: r.ecg_id,
                heart,
                schedule: sched,
                leads: LeadSystem::new(angle, gain),
                noise,
            },
            cols,
        )
    }
}

/// `records100/00000/00001_lr` style relative record path (no extension).
pub fn record_path(ecg_id: u32, rate: u32) -> String {
    let (dir, suffix) = if rate == 500 {
        ("records500", "hr")
    } else {
        ("records100", "lr")
    };
    format!("{dir}/{:05}/{ecg_id:05}_{suffix}", ecg_id / 1000 * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_ptbxl() {
        assert_eq!(record_path(1, 100), "records100/00000/00001_lr");
        assert_eq!(record_path(21837, 500), "records500/21000/21837_hr");
        assert_eq!(record_path(999, 100), "records100/00000/00999_lr");
    }

    #[test]
    fn config_is_validated() {
        let bad = SynthConfig {
            records: 10,
            seed: 1,
            rates: vec![250],
            difficulty: Difficulty::EASY,
        };
        assert!(DatasetPlan::new(&bad).is_err());
        let bad = SynthConfig {
            records: 0,
            seed: 1,
            rates: vec![100],
            difficulty: Difficulty::EASY,
        };
        assert!(DatasetPlan::new(&bad).is_err());
    }

    #[test]
    fn plan_is_deterministic_and_patients_stay_in_one_fold() {
        let cfg = SynthConfig {
            records: 2000,
            seed: 11,
            rates: vec![100],
            difficulty: Difficulty::EASY,
        };
        let a = DatasetPlan::new(&cfg).unwrap();
        let b = DatasetPlan::new(&cfg).unwrap();
        assert_eq!(a.records, b.records);
        let mut fold_of = std::collections::HashMap::new();
        for r in &a.records {
            assert_eq!(
                *fold_of.entry(r.patient_id).or_insert(r.strat_fold),
                r.strat_fold
            );
        }
        assert!(a.patients < 2000 && a.patients > 1600, "{}", a.patients);
    }
}
