//! How each SCP-ECG statement changes the heartbeat. [`Patient::draw`] gives one patient's
//! normal heart (axis, amplitude, rate, intervals); [`apply_statements`] turns a record's
//! statement set into the beat morphology, the ectopic-beat morphology, the rhythm and the
//! atrial activity. Every effect has a strength `s` drawn per statement (see [`strength`]);
//! the effect table with clinical meaning is in the crate docs and `docs/synthetic.md`.
use crate::morphology::{
    add, mul, rot_frontal, rot_horizontal, scale_along, scale_toward, unit, Morphology, Wave,
    QRS_R1, QRS_R2, QRS_S, QRS_SEPTAL,
};
use crate::rhythm::{Atrial, Ectopy, RhythmKind};
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// Territory directions (unit vectors toward the affected wall; x left, y inferior, z anterior).
pub const INFERIOR: [f64; 3] = [0.0, 1.0, 0.0];
pub const INFEROLATERAL: [f64; 3] = [0.55, 0.83, 0.0];
pub const INFEROPOSTERIOR: [f64; 3] = [0.0, 0.8, -0.6];
pub const ANTEROSEPTAL: [f64; 3] = [-0.35, 0.0, 0.94];
pub const ANTERIOR: [f64; 3] = [0.2, 0.0, 0.98];
pub const ANTEROLATERAL: [f64; 3] = [0.7, 0.0, 0.7];
pub const LATERAL: [f64; 3] = [0.9, -0.44, 0.0];
pub const POSTERIOR: [f64; 3] = [0.0, 0.0, -1.0];
/// Where ST depression / T inversion of diffuse ischaemia and LV strain shows: I, II, V4–V6.
pub const LATERAL_APICAL: [f64; 3] = [0.75, 0.35, 0.55];
/// Right precordial leads V1–V3 (RBBB / RVH secondary T inversion).
pub const RIGHT_PRECORDIAL: [f64; 3] = [-0.4, 0.0, 0.92];

/// Effect strength for one statement: `0.15 + Beta(2, 1)` (range 0.15–1.15, mean 0.82;
/// about 6 % below 0.4 — the hard cases), shrunk for statements whose likelihood is given
/// as below 100 (`× (0.55 + 0.45 · likelihood / 100)`; likelihood 0 means "not stated").
pub fn strength<R: Rng + ?Sized>(rng: &mut R, likelihood: f64) -> f64 {
    let b = rng.random::<f64>().max(rng.random::<f64>());
    let s = 0.15 + b;
    if likelihood > 0.0 && likelihood < 100.0 {
        s * (0.55 + 0.45 * likelihood / 100.0)
    } else {
        s
    }
}

fn gauss<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64) -> f64 {
    Normal::new(mean, sd).map(|d| d.sample(rng)).unwrap_or(mean)
}

/// One patient's normal heart: shared by all of the patient's records.
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    pub morph: Morphology,
    /// Resting sinus rate, beats per minute.
    pub hr: f64,
}

impl Patient {
    /// Random rotation of the heart (frontal N(0°, 15°), horizontal N(0°, 10°)), overall
    /// amplitude log-normal(0, 0.18) (×1.15 under 30 years, ×0.92 for women), per-wave
    /// vector perturbation 8 %, widths ±6 %, PR 150–190 ms (P centre to R), QT ×N(1, 0.04).
    pub fn draw<R: Rng + ?Sized>(rng: &mut R, age: f64, female: bool) -> Patient {
        Patient::draw_varied(rng, age, female, 1.0)
    }

    /// [`Patient::draw`] with every between-patient spread (and its clamp) times `v`
    /// (the benchmark's difficulty; `v = 1` draws exactly what `draw` draws).
    pub fn draw_varied<R: Rng + ?Sized>(rng: &mut R, age: f64, female: bool, v: f64) -> Patient {
        let mut m = Morphology::normal();
        for w in m.p.iter_mut().chain(&mut m.qrs).chain(&mut m.t) {
            let n = crate::morphology::norm(w.vector);
            for c in &mut w.vector {
                *c += gauss(rng, 0.0, 0.08 * v * n);
            }
            let (lo, hi) = ((1.0 - 0.15 * v).max(0.3), 1.0 + 0.15 * v);
            w.width *= gauss(rng, 1.0, 0.06 * v).clamp(lo, hi);
        }
        m.rotate(&rot_frontal(
            gauss(rng, 0.0, 15.0 * v).clamp(-40.0 * v, 40.0 * v),
        ));
        m.rotate(&rot_horizontal(
            gauss(rng, 0.0, 10.0 * v).clamp(-25.0 * v, 25.0 * v),
        ));
        let mut amp = gauss(rng, 0.0, 0.18 * v).exp();
        if age < 30.0 {
            amp *= 1.15;
        }
        if female {
            amp *= 0.92;
        }
        m.scale_all(amp);
        m.pr = rng.random_range(0.15..0.19);
        m.qt_scale = gauss(rng, 1.0, 0.04 * v).clamp(1.0 - 0.1 * v, 1.0 + 0.1 * v);
        Patient {
            morph: m,
            // the clamp stays: a resting rate outside 52–98 would contradict SR's label
            hr: gauss(rng, 72.0, 10.0 * v).clamp(52.0, 98.0),
        }
    }
}

/// What a record's statements make of the patient's heart.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordHeart {
    /// Morphology of conducted beats.
    pub morph: Morphology,
    /// Morphology of premature ventricular beats.
    pub pvc: Morphology,
    pub rhythm: RhythmKind,
    pub ectopy: Ectopy,
    pub atrial: Atrial,
    /// (code, strength) for every statement with a waveform effect, in statement order.
    pub strengths: Vec<(String, f64)>,
    /// `infarction_stadium1` for the database row (MI statements only).
    pub infarction_stadium: Option<&'static str>,
}

fn random_unit<R: Rng + ?Sized>(rng: &mut R) -> [f64; 3] {
    loop {
        let v = [
            gauss(rng, 0.0, 1.0),
            gauss(rng, 0.0, 1.0),
            gauss(rng, 0.0, 1.0),
        ];
        let n = crate::morphology::norm(v);
        if n > 1e-6 {
            return mul(v, 1.0 / n);
        }
    }
}

/// Myocardial infarction in the territory `u`: loss of R toward `u`, a pathological Q
/// (≥ 40 ms wide) pointing away from it; acute: ST elevation toward `u` with hyperacute
/// T; otherwise (65 %) T inversion toward `u`.
fn infarct<R: Rng + ?Sized>(
    m: &mut Morphology,
    u: [f64; 3],
    s: f64,
    acute: bool,
    rng: &mut R,
) -> &'static str {
    let u = unit(u);
    scale_toward(&mut m.qrs, u, (1.0 - 0.6 * s).max(0.05));
    m.qrs.push(Wave::new(
        -0.02,
        0.011 + 0.006 * s,
        mul(u, -(0.2 + 0.4 * s)),
    ));
    if acute {
        st_shift(m, u, 0.08 + 0.22 * s);
        scale_toward(&mut m.t, u, 1.5);
        "Stadium I"
    } else {
        if rng.random_bool(0.65) {
            scale_along(&mut m.t, u, 1.0 - 1.8 * s);
        }
        *[
            "Stadium III",
            "Stadium II-III",
            "unknown",
            "unknown",
            "Stadium II",
        ]
        .get(rng.random_range(0..5))
        .unwrap_or(&"unknown")
    }
}

/// Shift the ST segment by `mv` toward `u` (positive = elevation in leads facing `u`).
fn st_shift(m: &mut Morphology, u: [f64; 3], mv: f64) {
    if let Some(st) = m.st.first_mut() {
        st.vector = add(st.vector, mul(unit(u), mv));
    }
}

fn scale_t(m: &mut Morphology, f: f64) {
    for w in &mut m.t {
        w.vector = mul(w.vector, f);
    }
}

/// Replace the QRS by a left bundle branch block pattern: no septal q, broad notched R
/// leftward-posterior (QRS 135–180 ms), discordant ST-T.
fn lbbb(m: &mut Morphology, s: f64, complete: bool) {
    let amp = crate::morphology::norm(
        m.qrs
            .get(QRS_R2)
            .map(|w| w.vector)
            .unwrap_or([1.0, 0.0, 0.0]),
    );
    let w = if complete {
        0.86 + 0.25 * s
    } else {
        0.66 + 0.12 * s
    };
    let dir1 = unit([0.55, 0.25, -0.35]);
    let dir2 = unit([0.7, 0.2, -0.65]);
    m.qrs = vec![
        Wave::new(-0.035 * w, 0.018 * w, mul(dir1, 0.8 * amp)),
        Wave::new(0.045 * w, 0.02 * w, mul(dir2, 1.25 * amp)),
    ];
    if complete {
        let t_amp: f64 =
            m.t.iter()
                .map(|t| crate::morphology::norm(t.vector))
                .sum::<f64>()
                .max(0.15);
        let disc = mul(dir2, -1.0);
        for (i, t) in m.t.iter_mut().enumerate() {
            t.vector = mul(
                disc,
                t_amp * (0.6 + 0.5 * s) * if i == 0 { 0.35 } else { 0.65 },
            );
        }
        st_shift(m, disc, 0.05 + 0.08 * s);
    }
}

/// Right bundle branch block: a late slow rightward-anterior force (R' in V1, broad S in
/// I/V6) and, when complete, T inversion in V1–V3.
fn rbbb(m: &mut Morphology, s: f64, complete: bool) {
    let dir = unit([-0.55, 0.05, 0.83]);
    if complete {
        m.qrs.push(Wave::new(
            0.05 + 0.02 * s,
            0.016 + 0.008 * s,
            mul(dir, 0.45 + 0.45 * s),
        ));
        scale_along(&mut m.t, RIGHT_PRECORDIAL, 1.0 - 1.5 * s);
    } else {
        m.qrs.push(Wave::new(0.04, 0.011, mul(dir, 0.2 + 0.25 * s)));
    }
}

/// Rotate the QRS in the frontal plane to `target` degrees.
fn set_axis(m: &mut Morphology, target: f64) {
    let rot = rot_frontal(target - m.frontal_axis_deg());
    for w in &mut m.qrs {
        w.vector = crate::morphology::mat_vec(&rot, w.vector);
    }
}

fn widen_qrs(m: &mut Morphology, f: f64) {
    for w in &mut m.qrs {
        w.offset *= f;
        w.width *= f;
    }
}

/// A premature ventricular beat: wide QRS from a random focus, discordant T.
fn pvc_morph<R: Rng + ?Sized>(base: &Morphology, rng: &mut R) -> Morphology {
    let d = random_unit(rng);
    let d2 = unit(add(d, mul(random_unit(rng), 0.6)));
    let amp = rng.random_range(1.0..1.8);
    Morphology {
        p: Vec::new(),
        pr: base.pr,
        qrs: vec![
            Wave::new(-0.02, 0.028, mul(d, amp)),
            Wave::new(0.035, 0.03, mul(d2, 0.5 * amp)),
        ],
        st: vec![Wave::new(0.14, 0.05, mul(d, -0.08))],
        t: vec![Wave::new(0.3, 0.07, mul(d, -0.35 * amp))],
        qt_scale: base.qt_scale,
        spike: None,
    }
}

/// Rhythm statements in priority order (a later entry never overrides an earlier one).
const RHYTHM_PRIORITY: [&str; 13] = [
    "3AVB", "AFIB", "AFLT", "PSVT", "SVTAC", "2AVB", "PACE", "STACH", "SBRAD", "SARRH", "SVARR",
    "SR", "",
];

fn rhythm_of<R: Rng + ?Sized>(
    codes: &[(String, f64)],
    hr: f64,
    rng: &mut R,
) -> (RhythmKind, Atrial) {
    let has = |c: &str| codes.iter().any(|(k, _)| k == c);
    let top = RHYTHM_PRIORITY
        .iter()
        .find(|c| c.is_empty() || has(c))
        .copied()
        .unwrap_or("");
    let sinus = |hr: f64, resp: f64, jitter_s: f64, rng: &mut R| RhythmKind::Sinus {
        hr,
        resp,
        lf: rng.random_range(0.0..0.03),
        jitter_s,
    };
    match top {
        "3AVB" => (
            RhythmKind::Avb3 {
                atrial_hr: rng.random_range(70.0..95.0),
                hr: rng.random_range(30.0..50.0),
            },
            Atrial::None,
        ),
        "AFIB" => {
            let n = rng.random_range(2..=4);
            let components = (0..n)
                .map(|_| {
                    (
                        rng.random_range(0.015..0.05),
                        rng.random_range(4.0..9.0),
                        rng.random_range(0.0..std::f64::consts::TAU),
                    )
                })
                .collect();
            (
                RhythmKind::Fibrillation {
                    hr: rng.random_range(60.0..130.0),
                    cv: rng.random_range(0.15..0.3),
                },
                Atrial::Fibrillation {
                    components,
                    direction: unit([-0.3, 0.5, 0.8]),
                },
            )
        }
        "AFLT" => {
            let atrial_hr = rng.random_range(250.0..320.0);
            (
                RhythmKind::Flutter {
                    atrial_hr,
                    ratio: rng.random_range(2..=4),
                    variable: rng.random_bool(0.4),
                },
                Atrial::Flutter {
                    amplitude: rng.random_range(0.08..0.2),
                    rate_hz: atrial_hr / 60.0,
                    phase: rng.random_range(0.0..std::f64::consts::TAU),
                    direction: unit([0.0, -1.0, 0.3]),
                },
            )
        }
        "PSVT" | "SVTAC" => (
            RhythmKind::Svt {
                hr: rng.random_range(150.0..200.0),
            },
            Atrial::None,
        ),
        "2AVB" => (
            RhythmKind::Avb2 {
                hr: rng.random_range(65.0..95.0),
                every: rng.random_range(3..=5),
            },
            Atrial::None,
        ),
        "PACE" => (
            sinus(rng.random_range(60.0..80.0), 0.0, 0.002, rng),
            Atrial::None,
        ),
        "STACH" => (
            sinus(rng.random_range(101.0..140.0), 0.01, 0.005, rng),
            Atrial::None,
        ),
        "SBRAD" => (
            sinus(rng.random_range(40.0..57.0), 0.03, 0.015, rng),
            Atrial::None,
        ),
        "SARRH" => (
            sinus(hr, rng.random_range(0.07..0.16), 0.015, rng),
            Atrial::None,
        ),
        "SVARR" => (sinus(hr, 0.03, 0.04, rng), Atrial::None),
        _ => (
            sinus(hr, rng.random_range(0.01..0.04), 0.01, rng),
            Atrial::None,
        ),
    }
}

/// Turn a statement set into the record's heart. Statements are applied in their source
/// order; voltage statements (LVOLT, HVOLT) scale the result last.
pub fn apply_statements<R: Rng + ?Sized>(
    patient: &Patient,
    codes: &[(String, f64)],
    rng: &mut R,
) -> RecordHeart {
    apply_statements_scaled(patient, codes, rng, 1.0)
}

/// [`apply_statements`] with every statement's strength times `effect` (the benchmark's
/// difficulty; `effect = 1` is exactly `apply_statements`).
pub fn apply_statements_scaled<R: Rng + ?Sized>(
    patient: &Patient,
    codes: &[(String, f64)],
    rng: &mut R,
    effect: f64,
) -> RecordHeart {
    let mut m = patient.morph.clone();
    let mut strengths = Vec::new();
    let mut stadium = None;
    let mut ectopy = Ectopy::default();
    let mut voltage = 1.0;
    let (rhythm, atrial) = rhythm_of(codes, patient.hr, rng);
    for (code, lik) in codes {
        let s = strength(rng, *lik) * effect;
        let mut used = true;
        match code.as_str() {
            // --- MI: territory of the infarct
            "IMI" => stadium = Some(infarct(&mut m, INFERIOR, s, false, rng)),
            "ILMI" => stadium = Some(infarct(&mut m, INFEROLATERAL, s, false, rng)),
            "IPLMI" | "IPMI" => stadium = Some(infarct(&mut m, INFEROPOSTERIOR, s, false, rng)),
            "INJIN" => stadium = Some(infarct(&mut m, INFERIOR, s, true, rng)),
            "INJIL" => stadium = Some(infarct(&mut m, INFEROLATERAL, s, true, rng)),
            "ASMI" => stadium = Some(infarct(&mut m, ANTEROSEPTAL, s, false, rng)),
            "AMI" => stadium = Some(infarct(&mut m, ANTERIOR, s, false, rng)),
            "ALMI" => stadium = Some(infarct(&mut m, ANTEROLATERAL, s, false, rng)),
            "INJAS" => stadium = Some(infarct(&mut m, ANTEROSEPTAL, s, true, rng)),
            "INJAL" | "INJLA" => stadium = Some(infarct(&mut m, ANTEROLATERAL, s, true, rng)),
            "LMI" => stadium = Some(infarct(&mut m, LATERAL, s, false, rng)),
            "PMI" => stadium = Some(infarct(&mut m, POSTERIOR, s, false, rng)),
            // --- ST/T changes
            "NDT" => {
                scale_along(&mut m.t, LATERAL_APICAL, 1.0 - 1.4 * s);
                st_shift(&mut m, LATERAL_APICAL, -0.03 * s);
            }
            "NST_" => {
                st_shift(&mut m, LATERAL_APICAL, -(0.04 + 0.08 * s));
                scale_t(&mut m, 1.0 - 0.6 * s);
            }
            "ISC_" => {
                st_shift(&mut m, LATERAL_APICAL, -(0.06 + 0.14 * s));
                scale_along(&mut m.t, LATERAL_APICAL, 1.0 - 1.8 * s);
            }
            "ISCAL" | "ISCLA" => {
                scale_along(&mut m.t, ANTEROLATERAL, 1.0 - 2.0 * s);
                st_shift(&mut m, ANTEROLATERAL, -0.05 * s);
            }
            "ISCAS" | "ISCAN" => {
                scale_along(&mut m.t, ANTERIOR, 1.0 - 2.0 * s);
                st_shift(&mut m, ANTERIOR, -0.05 * s);
            }
            "ISCIN" => {
                scale_along(&mut m.t, INFERIOR, 1.0 - 2.0 * s);
                st_shift(&mut m, INFERIOR, -0.05 * s);
            }
            "ISCIL" => {
                scale_along(&mut m.t, INFEROLATERAL, 1.0 - 2.0 * s);
                st_shift(&mut m, INFEROLATERAL, -0.05 * s);
            }
            "DIG" => {
                st_shift(&mut m, LATERAL_APICAL, -(0.05 + 0.1 * s));
                scale_t(&mut m, 1.0 - 0.4 * s);
                m.qt_scale *= 1.0 - 0.1 * s;
            }
            "LNGQT" => m.qt_scale *= 1.15 + 0.25 * s,
            "ANEUR" => {
                infarct(&mut m, ANTEROSEPTAL, s, false, rng);
                st_shift(&mut m, ANTEROSEPTAL, 0.1 + 0.15 * s);
            }
            "EL" => {
                scale_t(&mut m, 1.5 + 1.0 * s);
                for t in &mut m.t {
                    t.width *= 0.7;
                }
            }
            // --- conduction disturbances
            "CLBBB" => lbbb(&mut m, s, true),
            "ILBBB" => lbbb(&mut m, s, false),
            "CRBBB" => rbbb(&mut m, s, true),
            "IRBBB" => rbbb(&mut m, s, false),
            "1AVB" => m.pr += 0.07 + 0.12 * s,
            "LPR" => m.pr += 0.05 + 0.05 * s,
            "2AVB" | "3AVB" => widen_qrs(&mut m, 1.0 + 0.3 * s),
            "LAFB" => set_axis(&mut m, -(40.0 + 35.0 * s)),
            "LPFB" => set_axis(&mut m, 100.0 + 30.0 * s),
            "IVCD" => widen_qrs(&mut m, 1.25 + 0.35 * s),
            "WPW" => {
                m.pr = 0.10;
                let d = m
                    .qrs
                    .get(QRS_R1)
                    .map(|w| unit(w.vector))
                    .unwrap_or([1.0, 0.0, 0.0]);
                widen_qrs(&mut m, 1.15);
                m.qrs.push(Wave::new(-0.045, 0.02, mul(d, 0.25 + 0.2 * s)));
            }
            // --- hypertrophy
            "LVH" | "VCLVH" => {
                let f = 1.4 + 0.9 * s;
                for i in [QRS_R1, QRS_R2, QRS_S] {
                    if let Some(w) = m.qrs.get_mut(i) {
                        w.vector = mul(w.vector, f);
                        w.width *= 1.08;
                    }
                }
                if code == "LVH" && rng.random_bool(0.5) {
                    scale_along(&mut m.t, LATERAL_APICAL, 1.0 - 1.6 * s);
                    st_shift(&mut m, LATERAL_APICAL, -0.05 * s);
                }
            }
            "RVH" => {
                if let Some(w) = m.qrs.get_mut(QRS_R2) {
                    w.vector = mul(w.vector, 1.0 - 0.4 * s);
                }
                m.qrs.push(Wave::new(
                    0.015,
                    0.014,
                    mul(unit([-0.55, 0.5, 0.67]), 0.5 + 0.6 * s),
                ));
                scale_along(&mut m.t, RIGHT_PRECORDIAL, 1.0 - 1.5 * s);
            }
            "LAO/LAE" => {
                if let Some(p) = m.p.first_mut() {
                    p.offset -= 0.012;
                }
                m.p.push(Wave::new(
                    0.035,
                    0.022,
                    mul(unit([0.35, 0.25, -0.65]), 0.05 + 0.08 * s),
                ));
            }
            "RAO/RAE" => {
                for p in &mut m.p {
                    p.vector[1] *= 1.7 + 1.0 * s;
                }
            }
            "SEHYP" => {
                if let Some(w) = m.qrs.get_mut(QRS_SEPTAL) {
                    w.vector = mul(w.vector, 2.5 + 2.0 * s);
                }
            }
            // --- form statements
            "ABQRS" => {
                let d = random_unit(rng);
                m.qrs.push(Wave::new(0.02, 0.006, mul(d, 0.15 * s)));
            }
            "STD_" => st_shift(&mut m, LATERAL_APICAL, -(0.05 + 0.1 * s)),
            "STE_" => {
                let d = [INFERIOR, ANTERIOR, LATERAL][rng.random_range(0..3)];
                st_shift(&mut m, d, 0.05 + 0.1 * s);
            }
            "QWAVE" => {
                let d = [INFERIOR, ANTEROSEPTAL, LATERAL][rng.random_range(0..3)];
                m.qrs
                    .push(Wave::new(-0.02, 0.012, mul(d, -(0.15 + 0.3 * s))));
            }
            "LOWT" => scale_t(&mut m, (1.0 - 0.7 * s).max(0.1)),
            "NT_" => scale_t(&mut m, 1.0 - 0.5 * s),
            "INVT" => scale_along(&mut m.t, LATERAL_APICAL, 1.0 - 2.0 * s),
            "TAB_" => scale_t(&mut m, 1.0 - 1.3 * s),
            "PVC" => ectopy.pvc += rng.random_range(1..=3),
            "PAC" => ectopy.pac += rng.random_range(1..=2),
            "SVARR" => ectopy.pac += rng.random_range(2..=4),
            "PRC(S)" => {
                if rng.random_bool(0.5) {
                    ectopy.pvc += 1
                } else {
                    ectopy.pac += 1
                }
            }
            "BIGU" => ectopy.pvc_every = Some(2),
            "TRIGU" => ectopy.pvc_every = Some(3),
            "LVOLT" => voltage *= (0.45 - 0.15 * s).max(0.2),
            "HVOLT" => voltage *= 1.4 + 0.4 * s,
            "PACE" => {
                lbbb(&mut m, s.max(0.5), true);
                set_axis(&mut m, -60.0);
                m.spike = Some(Wave::new(
                    -0.07,
                    0.0015,
                    mul(random_unit(rng), rng.random_range(1.5..3.0)),
                ));
            }
            "NORM" | "SR" | "SBRAD" | "STACH" | "SARRH" | "AFIB" | "AFLT" | "SVTAC" | "PSVT" => {}
            _ => used = false,
        }
        if used {
            strengths.push((code.clone(), s));
        }
    }
    let mut pvc = pvc_morph(&m, rng);
    if voltage != 1.0 {
        m.scale_all(voltage);
        pvc.scale_all(voltage);
    }
    RecordHeart {
        morph: m,
        pvc,
        rhythm,
        ectopy,
        atrial,
        strengths,
        infarction_stadium: stadium,
    }
}

/// PTB-XL's `heart_axis` category for a frontal QRS axis in degrees, after the German
/// position types its reports use: SAR (beyond −90°), ALAD (überdrehter Linkstyp, −90…−30°),
/// LAD (Linkstyp, −30…+30°), MID (+30…+90°), RAD (Rechtstyp, +90…+120°), ARAD (beyond
/// +120°). (The sample's rare AXL/AXR are not produced.)
pub fn axis_category(deg: f64) -> &'static str {
    match deg {
        d if d < -90.0 => "SAR",
        d if d < -30.0 => "ALAD",
        d if d < 30.0 => "LAD",
        d if d <= 90.0 => "MID",
        d if d <= 120.0 => "RAD",
        _ => "ARAD",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn codes(c: &[&str]) -> Vec<(String, f64)> {
        c.iter().map(|c| (c.to_string(), 100.0)).collect()
    }

    #[test]
    fn strength_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let s: Vec<f64> = (0..10_000).map(|_| strength(&mut rng, 100.0)).collect();
        assert!(s.iter().all(|&x| (0.15..=1.15).contains(&x)));
        let mean = s.iter().sum::<f64>() / s.len() as f64;
        assert!((mean - (0.15 + 2.0 / 3.0)).abs() < 0.01, "{mean}");
    }

    #[test]
    fn lafb_and_lpfb_move_the_axis() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let p = Patient::draw(&mut rng, 50.0, false);
        let l = apply_statements(&p, &codes(&["LAFB", "SR"]), &mut rng);
        let r = apply_statements(&p, &codes(&["LPFB", "SR"]), &mut rng);
        assert!(l.morph.frontal_axis_deg() <= -40.0 + 1e-9);
        assert!(r.morph.frontal_axis_deg() >= 100.0 - 1e-9);
        assert!(matches!(
            axis_category(l.morph.frontal_axis_deg()),
            "LAD" | "ALAD"
        ));
    }

    #[test]
    fn afib_has_no_p_and_fibrillatory_waves() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let p = Patient::draw(&mut rng, 70.0, true);
        let h = apply_statements(&p, &codes(&["AFIB", "NDT"]), &mut rng);
        assert!(matches!(h.rhythm, RhythmKind::Fibrillation { .. }));
        assert!(matches!(h.atrial, Atrial::Fibrillation { .. }));
    }

    #[test]
    fn first_degree_block_lengthens_pr() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let p = Patient::draw(&mut rng, 60.0, false);
        let h = apply_statements(&p, &codes(&["1AVB", "SR"]), &mut rng);
        assert!(h.morph.pr >= p.morph.pr + 0.07);
    }
}
