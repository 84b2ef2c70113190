//! The heartbeat as a moving cardiac dipole: every wave of the cycle (P, septal q, R, S,
//! ST, T) is a Gaussian event in time carrying a 3-D dipole vector, after McSharry et al.'s
//! ECGSYN (Gaussian events on a limit cycle) in its vectorcardiographic form (Sameni et
//! al. 2007). The phase of the limit cycle advances once per beat; integrating it gives
//! each event a time relative to that beat's R peak (QRS: fixed; P: the PR interval; ST
//! and T: scaled by √RR, Bazett's law), so the dipole is a sum of Gaussians in closed form.
//!
//! Coordinates (patient frame, unit = mV): x to the patient's left, y inferior (to the
//! feet), z anterior.
use std::f64::consts::PI;

/// One Gaussian event: `vector · exp(-(t - offset)² / (2 width²))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wave {
    /// Seconds relative to the beat's anchor (R peak; P centre for P waves).
    pub offset: f64,
    /// Standard deviation in seconds.
    pub width: f64,
    /// Dipole vector in mV (x left, y inferior, z anterior).
    pub vector: [f64; 3],
}

impl Wave {
    pub const fn new(offset: f64, width: f64, vector: [f64; 3]) -> Wave {
        Wave {
            offset,
            width,
            vector,
        }
    }
}

/// Every wave of one beat type.
#[derive(Debug, Clone, PartialEq)]
pub struct Morphology {
    /// P waves, offsets relative to the P centre.
    pub p: Vec<Wave>,
    /// Seconds from P centre to R peak (≈ PR interval + 10 ms).
    pub pr: f64,
    /// QRS events, offsets relative to R.
    pub qrs: Vec<Wave>,
    /// ST-segment events (offset at RR = 1 s; scaled by √RR · `qt_scale`).
    pub st: Vec<Wave>,
    /// T events (offset at RR = 1 s; scaled by √RR · `qt_scale`).
    pub t: Vec<Wave>,
    /// QT multiplier (long QT > 1).
    pub qt_scale: f64,
    /// Pacemaker stimulus before QRS (offset relative to R).
    pub spike: Option<Wave>,
}

/// Index of the main QRS events in [`Morphology::normal`]'s `qrs` (effects address them).
pub const QRS_SEPTAL: usize = 0;
pub const QRS_R1: usize = 1;
pub const QRS_R2: usize = 2;
pub const QRS_S: usize = 3;

impl Morphology {
    /// The normal adult template (frontal QRS axis ≈ 50°, PR 160 ms, QRS ≈ 90 ms, QT ≈ 400
    /// ms at 60/min). Amplitudes are typical of limb lead II ≈ 1.2 mV R, 0.3 mV T, 0.15 mV P.
    pub fn normal() -> Morphology {
        Morphology {
            p: vec![Wave::new(0.0, 0.022, [0.09, 0.12, 0.02])],
            pr: 0.17,
            qrs: vec![
                // septal depolarisation: left to right, anterior (q in I/V6, r in V1)
                Wave::new(-0.022, 0.008, [-0.13, 0.03, 0.21]),
                // apical / anterior free wall
                Wave::new(-0.005, 0.010, [0.55, 0.65, 0.35]),
                // main left ventricular force: left, posterior
                Wave::new(0.010, 0.010, [0.67, 0.27, -0.58]),
                // terminal basal forces
                Wave::new(0.032, 0.009, [-0.14, -0.17, -0.21]),
            ],
            st: vec![Wave::new(0.12, 0.05, [0.0, 0.0, 0.0])],
            t: vec![
                Wave::new(0.21, 0.055, [0.085, 0.072, 0.026]),
                Wave::new(0.28, 0.035, [0.17, 0.145, 0.052]),
            ],
            qt_scale: 1.0,
            spike: None,
        }
    }

    /// Multiply every wave's vector (P, QRS, ST, T, spike excluded) by `f`.
    pub fn scale_all(&mut self, f: f64) {
        for w in self
            .p
            .iter_mut()
            .chain(&mut self.qrs)
            .chain(&mut self.st)
            .chain(&mut self.t)
        {
            w.vector = mul(w.vector, f);
        }
    }

    /// Apply `rot` (3×3, row-major) to every wave's vector.
    pub fn rotate(&mut self, rot: &[[f64; 3]; 3]) {
        for w in self
            .p
            .iter_mut()
            .chain(&mut self.qrs)
            .chain(&mut self.st)
            .chain(&mut self.t)
        {
            w.vector = mat_vec(rot, w.vector);
        }
    }

    /// The QRS "area" vector Σ vector·width (the mean electrical axis direction).
    pub fn qrs_area(&self) -> [f64; 3] {
        self.qrs
            .iter()
            .fold([0.0; 3], |acc, w| add(acc, mul(w.vector, w.width)))
    }

    /// Frontal-plane QRS axis in degrees (0° = lead I, +90° = aVF), in (-180, 180].
    pub fn frontal_axis_deg(&self) -> f64 {
        let a = self.qrs_area();
        a[1].atan2(a[0]).to_degrees()
    }
}

/// Scale the component of every wave's vector along the unit direction `u` by `f`
/// (f < 0 flips it): v ← v + (f − 1)(v·u)u.
pub fn scale_along(waves: &mut [Wave], u: [f64; 3], f: f64) {
    let u = unit(u);
    for w in waves {
        let c = dot(w.vector, u);
        w.vector = add(w.vector, mul(u, (f - 1.0) * c));
    }
}

/// Like [`scale_along`], but only for waves pointing toward `u` (v·u > 0).
pub fn scale_toward(waves: &mut [Wave], u: [f64; 3], f: f64) {
    let u = unit(u);
    for w in waves {
        let c = dot(w.vector, u);
        if c > 0.0 {
            w.vector = add(w.vector, mul(u, (f - 1.0) * c));
        }
    }
}

/// Rotation about the z axis (frontal plane) by `deg` (positive turns +x toward +y, i.e.
/// the frontal axis moves clockwise toward aVF).
pub fn rot_frontal(deg: f64) -> [[f64; 3]; 3] {
    let (s, c) = deg.to_radians().sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// Rotation about the y axis (horizontal plane) by `deg` (positive turns +x toward +z,
/// i.e. toward the anterior leads: an earlier precordial transition).
pub fn rot_horizontal(deg: f64) -> [[f64; 3]; 3] {
    let (s, c) = deg.to_radians().sin_cos();
    [[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]]
}

pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
pub fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
pub fn mul(a: [f64; 3], f: f64) -> [f64; 3] {
    [a[0] * f, a[1] * f, a[2] * f]
}
pub fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}
/// `a / |a|` (zero stays zero).
pub fn unit(a: [f64; 3]) -> [f64; 3] {
    let n = norm(a);
    if n > 0.0 {
        mul(a, 1.0 / n)
    } else {
        a
    }
}
pub fn mat_vec(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [dot(m[0], v), dot(m[1], v), dot(m[2], v)]
}

/// The 12 leads in PTB-XL order.
pub const LEAD_NAMES: [&str; 12] = [
    "I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// The electrode geometry of one patient: lead vectors of the 8 independent leads
/// (I, II, V1..V6); III, aVR, aVL and aVF are derived from I and II (Einthoven/Goldberger).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadSystem {
    /// Rows: I, II, V1..V6.
    pub vectors: [[f64; 3]; 8],
}

/// Nominal horizontal-plane angles of V1..V6 (degrees from +x toward +z).
pub const PRECORDIAL_DEG: [f64; 6] = [115.0, 95.0, 75.0, 55.0, 30.0, 5.0];
/// Nominal precordial gains (electrodes closer to the heart see larger potentials).
pub const PRECORDIAL_GAIN: [f64; 6] = [1.0, 1.5, 1.6, 1.5, 1.2, 1.0];

impl LeadSystem {
    /// Nominal geometry, precordial angles shifted by `angle_jitter_deg[i]` and gains
    /// multiplied by `gain_jitter[i]` (electrode placement varies between recordings).
    pub fn new(angle_jitter_deg: [f64; 6], gain_jitter: [f64; 6]) -> LeadSystem {
        let mut vectors = [[0.0; 3]; 8];
        vectors[0] = [1.0, 0.0, 0.0];
        vectors[1] = [(PI / 3.0).cos(), (PI / 3.0).sin(), 0.0];
        for i in 0..6 {
            let a = (PRECORDIAL_DEG[i] + angle_jitter_deg[i]).to_radians();
            let g = PRECORDIAL_GAIN[i] * gain_jitter[i];
            vectors[2 + i] = [g * a.cos(), 0.0, g * a.sin()];
        }
        LeadSystem { vectors }
    }

    pub fn nominal() -> LeadSystem {
        LeadSystem::new([0.0; 6], [1.0; 6])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_axis_is_normal() {
        let m = Morphology::normal();
        let a = m.frontal_axis_deg();
        assert!((20.0..80.0).contains(&a), "axis {a}");
    }

    #[test]
    fn frontal_rotation_moves_axis() {
        let mut m = Morphology::normal();
        let a0 = m.frontal_axis_deg();
        m.rotate(&rot_frontal(-90.0));
        assert!((m.frontal_axis_deg() - (a0 - 90.0)).abs() < 1e-9);
    }

    #[test]
    fn scale_along_flips_component() {
        let mut w = [Wave::new(0.0, 0.01, [1.0, 2.0, 3.0])];
        scale_along(&mut w, [0.0, 0.0, 2.0], -1.0);
        assert_eq!(w[0].vector, [1.0, 2.0, -3.0]);
    }
}
