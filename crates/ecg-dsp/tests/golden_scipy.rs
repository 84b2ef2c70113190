//! ecg-dsp against scipy.signal on real PTB-XL records. The golden files come from
//! `scripts/golden/dsp_filters.py` (scipy/numpy/wfdb versions recorded in the manifest).

use std::path::{Path, PathBuf};

use ecg_dsp::filter::{butter_sos, sosfilt, sosfiltfilt, sosfiltfilt_f64, sosfiltfilt_leads, Band};
use ecg_dsp::resample::{firwin_kaiser, resample_poly, resample_poly_f64, resample_poly_leads};
use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    scipy: String,
    butter: Vec<Design>,
    filtfilt: Vec<FilterCase>,
    sosfilt: Vec<FilterCase>,
    firwin: Vec<Fir>,
    resample: Vec<ResampleCase>,
    records: Vec<Record>,
    resample_vs_100hz: VsDataset,
}

#[derive(Deserialize)]
struct Design {
    order: usize,
    band: String,
    freqs: Vec<f64>,
    fs: f64,
    sos: Vec<[f64; 6]>,
}

#[derive(Deserialize)]
struct FilterCase {
    order: usize,
    band: String,
    freqs: Vec<f64>,
    fs: f64,
    row: usize,
    input: String,
    output: String,
    output_row: usize,
}

#[derive(Deserialize)]
struct Fir {
    numtaps: usize,
    cutoff: f64,
    beta: f64,
    h: Vec<f64>,
}

#[derive(Deserialize)]
struct ResampleCase {
    row: usize,
    up: usize,
    down: usize,
    input: String,
    output: String,
}

#[derive(Deserialize)]
struct Record {
    record: u32,
    file_100: String,
    file_500: String,
    leads_500: Vec<usize>,
}

#[derive(Deserialize)]
struct VsDataset {
    golden_records: std::collections::HashMap<String, VsRecord>,
}

#[derive(Deserialize)]
struct VsRecord {
    rms_3leads: f64,
    max_3leads: f64,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn manifest() -> Manifest {
    let path = dir().join("dsp_manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn npy2_f32(name: &str) -> Array2<f32> {
    read_npy(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn npy2_f64(name: &str) -> Array2<f64> {
    read_npy(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn npy1_f64(name: &str) -> Array1<f64> {
    read_npy(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn band(kind: &str, f: &[f64]) -> Band {
    match kind {
        "lowpass" => Band::Lowpass(f[0]),
        "highpass" => Band::Highpass(f[0]),
        "bandpass" => Band::Bandpass(f[0], f[1]),
        other => panic!("unknown band {other}"),
    }
}

/// Element-wise |got - want| <= rtol * |want| + atol_rel * max|want|. The small absolute
/// floor (relative to the signal's scale) covers samples that cross zero, where any
/// relative criterion is undefined. Returns the worst ratio of error to allowance.
fn check(got: &[f64], want: &[f64], rtol: f64, atol_rel: f64, what: &str) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let allow = rtol * w.abs() + atol_rel * scale;
        let err = (g - w).abs();
        assert!(
            err <= allow,
            "{what}: sample {i}: got {g}, scipy {w}, |diff| {err:e} > {allow:e}"
        );
        if allow > 0.0 {
            worst = worst.max(err / allow);
        }
    }
    worst
}

#[test]
fn butter_sos_equals_scipy_to_1e12() {
    let m = manifest();
    assert!(m.butter.len() >= 200, "expected the full design grid");
    let mut worst = 0.0f64;
    for d in &m.butter {
        let what = format!("butter({}, {} {:?}, fs={})", d.order, d.band, d.freqs, d.fs);
        let sos = butter_sos(d.order, band(&d.band, &d.freqs), d.fs).expect(&what);
        assert_eq!(sos.len(), d.sos.len(), "{what}: sections");
        for (s, (got, want)) in sos.iter().zip(&d.sos).enumerate() {
            for c in 0..6 {
                let err = (got[c] - want[c]).abs();
                worst = worst.max(err / want[c].abs().max(1e-300));
                assert!(
                    err <= 1e-12 * want[c].abs().max(1.0),
                    "{what}: section {s} coef {c}: {} vs scipy {}",
                    got[c],
                    want[c]
                );
            }
        }
    }
    eprintln!(
        "butter: {} designs vs scipy {}, worst relative coefficient error {worst:e}",
        m.butter.len(),
        m.scipy
    );
}

#[test]
fn sosfiltfilt_equals_scipy_on_real_records() {
    let m = manifest();
    assert_eq!(m.filtfilt.len(), 30, "orders 1-5 x 3 bands x 2 rates");
    let (mut worst32, mut worst64) = (0.0f64, 0.0f64);
    for c in &m.filtfilt {
        let what = format!(
            "sosfiltfilt order {} {} {:?} fs {}",
            c.order, c.band, c.freqs, c.fs
        );
        let sos = butter_sos(c.order, band(&c.band, &c.freqs), c.fs).expect(&what);
        let x = npy2_f32(&c.input);
        let want = npy2_f64(&c.output);
        let want = want.row(c.output_row).to_vec();
        let lead: Vec<f32> = x.row(c.row).to_vec();
        // f32 API: 1e-6 relative (the f32 output itself rounds at 6e-8).
        let got: Vec<f64> = sosfiltfilt(&sos, &lead)
            .expect(&what)
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        worst32 = worst32.max(check(&got, &want, 1e-6, 1e-9, &what));
        // f64 path: far tighter.
        let lead64: Vec<f64> = lead.iter().map(|&v| f64::from(v)).collect();
        let got64 = sosfiltfilt_f64(&sos, &lead64).expect(&what);
        worst64 = worst64.max(check(&got64, &want, 1e-9, 1e-12, &what));
    }
    eprintln!("sosfiltfilt: worst error/allowance f32 {worst32:.3}, f64 {worst64:.3}");
}

#[test]
fn sosfiltfilt_leads_equals_per_lead_calls() {
    let m = manifest();
    let c = &m.filtfilt[12];
    let sos = butter_sos(c.order, band(&c.band, &c.freqs), c.fs).expect("design");
    let x = npy2_f32(&c.input);
    let samples = x.ncols();
    let mut data: Vec<f32> = x.iter().copied().collect();
    sosfiltfilt_leads(&sos, &mut data, samples).expect("filter");
    for (lead, row) in data.chunks_exact(samples).enumerate() {
        let one = sosfiltfilt(&sos, &x.row(lead).to_vec()).expect("filter");
        assert_eq!(row, &one[..], "lead {lead}");
    }
}

#[test]
fn sosfilt_equals_scipy() {
    let m = manifest();
    for c in &m.sosfilt {
        let what = format!("sosfilt order {} {} {:?}", c.order, c.band, c.freqs);
        let sos = butter_sos(c.order, band(&c.band, &c.freqs), c.fs).expect(&what);
        let x = npy2_f32(&c.input);
        let want = npy2_f64(&c.output).row(c.output_row).to_vec();
        let got: Vec<f64> = sosfilt(&sos, &x.row(c.row).to_vec())
            .expect(&what)
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        check(&got, &want, 1e-6, 1e-9, &what);
    }
}

#[test]
fn firwin_kaiser_equals_scipy_to_1e12() {
    let m = manifest();
    for f in &m.firwin {
        let h = firwin_kaiser(f.numtaps, f.cutoff, f.beta).expect("valid");
        let scale = f.h.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for (i, (g, w)) in h.iter().zip(&f.h).enumerate() {
            assert!(
                (g - w).abs() <= 1e-12 * scale,
                "firwin({}, {}) tap {i}: {g} vs scipy {w}",
                f.numtaps,
                f.cutoff
            );
        }
    }
}

#[test]
fn resample_poly_equals_scipy() {
    let m = manifest();
    assert!(m.resample.len() >= 5);
    for c in &m.resample {
        let what = format!("resample_poly up {} down {} ({})", c.up, c.down, c.input);
        let x = npy2_f32(&c.input);
        let lead = x.row(c.row).to_vec();
        let want = npy1_f64(&c.output).to_vec();
        let got: Vec<f64> = resample_poly(&lead, c.up, c.down)
            .expect(&what)
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        check(&got, &want, 1e-6, 1e-9, &what);
        let lead64: Vec<f64> = lead.iter().map(|&v| f64::from(v)).collect();
        let got64 = resample_poly_f64(&lead64, c.up, c.down).expect(&what);
        check(&got64, &want, 1e-9, 1e-12, &what);
    }
}

#[test]
fn resample_500_to_100_vs_dataset_records() {
    // Our 500 → 100 Hz resampling of three leads of each stored record, compared with the
    // dataset's own 100 Hz version: the same RMS / max |diff| (mV) as scipy's.
    let m = manifest();
    for r in &m.records {
        let x500 = npy2_f32(&r.file_500);
        let x100 = npy2_f32(&r.file_100);
        let samples = x500.ncols();
        let data: Vec<f32> = x500.iter().copied().collect();
        let (y, n) = resample_poly_leads(&data, samples, 1, 5).expect("resample");
        assert_eq!(n, x100.ncols());
        let (mut sq, mut mx) = (0.0f64, 0.0f64);
        for (k, &lead) in r.leads_500.iter().enumerate() {
            for (a, b) in y[k * n..(k + 1) * n].iter().zip(x100.row(lead)) {
                let d = f64::from(*a) - f64::from(*b);
                sq += d * d;
                mx = mx.max(d.abs());
            }
        }
        let rms = (sq / (r.leads_500.len() * n) as f64).sqrt();
        let want = &m.resample_vs_100hz.golden_records[&r.record.to_string()];
        eprintln!(
            "record {}: 500→100 Hz vs dataset 100 Hz, 3 leads: rms {rms:.6} mV, max {mx:.6} mV",
            r.record
        );
        assert!((rms - want.rms_3leads).abs() <= 1e-6 * want.rms_3leads.max(1e-3));
        assert!((mx - want.max_3leads).abs() <= 1e-5);
    }
}
