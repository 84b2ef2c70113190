//! ecg-synth: synthetic 12-lead ECG datasets in PTB-XL's exact layout, for exercising
//! every stage of the toolkit at full scale on data whose right answer is known.
//!
//! # Code map
//! - [`tables`]: tables fitted from the real 500-record sample (statement sets with their
//!   co-occurrence, report texts, administrative columns) and the official
//!   `scp_statements.csv`, embedded at compile time.
//! - [`plan`]: the dataset plan — patients, records, dates, statement sets, stratified
//!   folds ([`folds`]) — drawn from the seed; per-record waveform specs.
//! - [`morphology`]: the heartbeat as Gaussian dipole events (McSharry's ECGSYN in
//!   vectorcardiographic form) and the electrode geometry.
//! - [`effects`]: how each statement changes the heart (strength-scaled); [`rhythm`]: beat
//!   schedules (HRV, AF, flutter, AV block, ectopy); [`noise`]: wander, EMG, mains.
//! - [`render`]: dipole → 12 leads at 100/500 Hz; quantisation to 1 µV units.
//! - [`cinc2021`]: a synthetic stand-in in the PhysioNet/CinC Challenge 2021 layout (six
//!   sources at 257, 500 and 1000 Hz, SNOMED-CT `#Dx` from the scored classes).
//! - [`difficulty`]: the benchmark's difficulty (subtler effects, more noise, more
//!   between-patient variation), three multipliers; `easy` is the original output.
//! - [`database`]: `ptbxl_database.csv`; [`generate_ptbxl`]: the whole dataset on disk,
//!   WFDB files through `ecg_io::wfdb::write_record`.
//! - [`layouts`]: the same recordings in the Hefei-Tianchi and CPSC2018 (MAT-5) layouts,
//!   labels translated from the rendered statements ([`generate_hefei`],
//!   [`generate_cpsc2018`]).
//!
//! # Invariants
//! - Deterministic: the same [`SynthConfig`] gives byte-identical files, whatever the
//!   number of threads (records draw from RNGs keyed by (seed, ecg_id) and
//!   (seed, patient_id); the plan is drawn sequentially).
//! - III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2 hold exactly in the
//!   rendered f64 signals (before quantisation; after it, within 1 µV).
//! - Every record of a patient is in one fold; folds are balanced in records and in
//!   each diagnostic superclass.
//! - The 100 Hz and 500 Hz files are the same recording (one continuous model, noise
//!   drawn once at 500 Hz).
//!
//! # Statement effects
//! Each statement with a waveform effect draws a strength s = 0.15 + Beta(2, 1) (0.15–1.15,
//! mean 0.82; scaled down for likelihood < 100). `u` is the territory direction.
//!
//! | statements | effect |
//! |---|---|
//! | NORM | none (the patient's normal heart: random axis ±15°, rotation, amplitude, intervals) |
//! | IMI, ILMI, IPLMI, IPMI, ASMI, AMI, ALMI, LMI, PMI | R loss toward the territory (×(1 − 0.6 s)), pathological Q away from it (σ 11–17 ms, 0.2–0.6 mV); 65 %: T inversion toward it (×(1 − 1.8 s)) |
//! | INJIN, INJIL, INJAS, INJAL, INJLA | as MI plus ST elevation toward the territory 0.08 + 0.22 s mV, hyperacute T |
//! | NDT, NST_, ISC_, DIG | ST depression in I, II, V4–V6 (up to 0.2 mV), T flattening/inversion |
//! | ISCAL, ISCAS, ISCLA, ISCAN, ISCIN, ISCIL | T inversion (×(1 − 2 s)) and ST depression in the territory |
//! | LNGQT | QT × (1.15 + 0.25 s); EL: tall narrow T; ANEUR: anterior Q + persistent ST elevation |
//! | CLBBB / ILBBB | no septal q, broad notched leftward-posterior QRS (135–180 ms / 100–120 ms); complete: discordant ST-T |
//! | CRBBB / IRBBB | late rightward-anterior force (R' in V1, broad S in I/V6; complete: 40–70 ms wide, T inversion V1–V3) |
//! | 1AVB, LPR | PR + 70–190 ms / + 50–100 ms |
//! | LAFB / LPFB | frontal QRS axis −40…−75° / +100…+130° |
//! | IVCD | QRS × (1.25 + 0.35 s); WPW: PR 100 ms, delta wave |
//! | LVH, VCLVH | QRS voltage × (1.4 + 0.9 s); LVH 50 %: strain (lateral ST depression, T inversion) |
//! | RVH | right-anterior QRS force, smaller LV force, T inversion V1–V3 |
//! | LAO/LAE, RAO/RAE | broad notched P with negative terminal P in V1 / tall inferior P |
//! | SEHYP | deep septal q |
//! | AFIB | irregular RR (log-normal, CV 0.15–0.3), no P, 4–9 Hz fibrillatory waves |
//! | AFLT | 250–320/min sawtooth, 2:1–4:1 (or variable) conduction |
//! | SR, SBRAD, STACH, SARRH, SVARR | sinus at the patient's rate / 40–57 / 101–140 /min, respiratory RR modulation, PACs |
//! | SVTAC, PSVT | regular 150–200/min without P; 2AVB, 3AVB: dropped / dissociated P waves |
//! | PVC, PAC, PRC(S), BIGU, TRIGU | premature ventricular / atrial beats, bigeminy, trigeminy |
//! | PACE | pacing spike, wide LBBB-like QRS with superior axis |
//! | STD_, STE_, QWAVE, LOWT, NT_, INVT, TAB_, ABQRS | the named ST, Q, T or QRS-notch change |
//! | LVOLT, HVOLT | all waves × (0.45 − 0.15 s) / × (1.4 + 0.4 s) |
//!
//! Every other vocabulary code is a label only. See `docs/synthetic.md`.
pub mod cinc2021;
pub mod database;
pub mod dates;
pub mod difficulty;
pub mod effects;
pub mod error;
pub mod folds;
pub mod layouts;
pub mod morphology;
pub mod noise;
pub mod plan;
pub mod render;
pub mod rhythm;
pub mod tables;

mod generate;

pub use cinc2021::{generate_cinc2021, CincConfig, CincRecord};
pub use difficulty::Difficulty;
pub use error::{Result, SynthError};
pub use generate::{generate_ptbxl, record_header, GenerateSummary};
pub use layouts::{generate_cpsc2018, generate_hefei, LayoutSummary};
pub use morphology::LEAD_NAMES;
pub use plan::{record_path, DatasetPlan, PlannedRecord, SynthConfig, RATES, SUPERCLASSES};
pub use render::{quantise, render, Leads12, RecordSpec};
