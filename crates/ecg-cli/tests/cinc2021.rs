//! The PhysioNet/CinC Challenge 2021 pipeline end to end through the `ecg` binary:
//! `ecg synth cinc2021` → `ecg pack cinc2021` (resampling 257/1000 Hz records) → labels and
//! scores → `ecg metrics --challenge2021`; and the 10 real CPSC2018 sample records written in
//! the Challenge layout as the organisers did, then packed.
use ecg_io::cinc2021::{read_signal, scan, write_record, Comments};
use ecg_io::pack::PackedDataset;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn ecg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecg"))
}

fn ok(cmd: &mut Command) -> std::process::Output {
    let o = cmd.output().expect("run ecg");
    assert!(
        o.status.success(),
        "ecg failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn pack(data: &Path, out: &Path, rate: &str) -> PackedDataset {
    ok(ecg()
        .args(["pack", "cinc2021", "--rate", rate, "--seed", "5", "--data"])
        .arg(data)
        .arg("--out")
        .arg(out));
    PackedDataset::open(out).expect("pack opens")
}

/// Labels of a pack over its 26 scored classes, and the class names file.
fn labels(p: &PackedDataset, dir: &Path) -> (Vec<f32>, PathBuf) {
    let vocab = ecg_labels::cinc2021::vocabulary().expect("vocabulary");
    let mut y = vec![0f32; p.len() * vocab.len()];
    for (i, r) in p.records().iter().enumerate() {
        for (c, _) in &r.codes {
            let j = vocab.index_of(c).expect("pack class is a scored class");
            y[i * vocab.len() + j] = 1.0;
        }
    }
    let classes = dir.join("classes.txt");
    std::fs::write(&classes, vocab.names().join("\n") + "\n").expect("classes");
    (y, classes)
}

fn challenge(dir: &Path, y: &[f32], p: &[f32], n: usize, classes: &Path) -> Value {
    let (yp, pp) = (dir.join("y.npy"), dir.join("p.npy"));
    ecg_io::npy::write_f32(&yp, &[n, 26], y).expect("y.npy");
    ecg_io::npy::write_f32(&pp, &[n, 26], p).expect("p.npy");
    let o = ok(ecg()
        .args(["metrics", "--challenge2021", "--labels"])
        .arg(&yp)
        .arg("--scores")
        .arg(&pp)
        .arg("--classes")
        .arg(classes));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    v["challenge2021"].clone()
}

#[test]
fn synthetic_cinc2021_packs_and_scores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    ok(ecg()
        .args([
            "synth",
            "cinc2021",
            "--records",
            "36",
            "--seed",
            "1",
            "--out",
        ])
        .arg(&data));
    let p = pack(&data, &dir.path().join("c.safetensors"), "100");
    assert_eq!(p.len(), 36);
    assert_eq!(
        (p.meta().dataset.as_str(), p.meta().rate, p.meta().samples),
        ("cinc2021", 100, 1000)
    );
    let pre = &p.meta().preprocessing;
    assert!(
        pre.contains("resampled to 100 Hz") && pre.contains("seed 5"),
        "{pre}"
    );
    assert!(
        pre.contains("st_petersburg_incart 6") && pre.contains("ptb 6"),
        "{pre}"
    );
    assert!(p.records().iter().all(|r| (1..=10).contains(&r.fold)));

    // Each row is the record resampled with ecg-dsp's resample_poly, cropped to 10 s.
    let headers = scan(&data).expect("scan");
    for (i, h) in headers.iter().enumerate() {
        assert_eq!(p.records()[i].id, h.name);
        assert_eq!(p.records()[i].codes_raw, h.dx.join(","));
        assert_eq!((p.records()[i].age, p.records()[i].sex), (h.age, h.sex));
        let r = read_signal(h).expect("signal");
        let rate = h.rate().expect("rate") as usize;
        let (x, n) = ecg_dsp::resample::resample_poly_leads(&r.data, r.samples, 100, rate)
            .expect("resample");
        let row = p.signal(i);
        for l in 0..12 {
            let keep = n.min(1000);
            assert_eq!(
                &row[l * 1000..l * 1000 + keep],
                &x[l * n..l * n + keep],
                "{} lead {l}",
                h.name
            );
        }
    }

    let (y, classes) = labels(&p, dir.path());
    let n = p.len();
    // Perfect scores: the Challenge metric is 1 and accuracy 1.
    let c = challenge(dir.path(), &y, &y, n, &classes);
    assert_eq!(c["challenge_metric"].as_f64(), Some(1.0), "{c}");
    assert_eq!(c["accuracy"].as_f64(), Some(1.0), "{c}");
    // Sinus rhythm for everyone: the Challenge metric is 0 by its normalisation.
    let vocab = ecg_labels::cinc2021::vocabulary().expect("vocab");
    let sr = vocab.index_of("426783006 NSR").expect("NSR");
    let mut s = vec![0f32; y.len()];
    for i in 0..n {
        s[i * 26 + sr] = 0.9;
    }
    let c = challenge(dir.path(), &y, &s, n, &classes);
    assert_eq!(c["challenge_metric"].as_f64(), Some(0.0), "{c}");
    assert_eq!(c["classes"].as_array().map(Vec::len), Some(26));
}

#[test]
fn pack_errors_name_file_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    ok(ecg()
        .args(["synth", "cinc2021", "--records", "6", "--out"])
        .arg(&data));
    let hea = data.join("training/georgia/g1/E00001.hea");
    let text = std::fs::read_to_string(&hea).expect("hea");
    std::fs::write(&hea, text.replace("#Dx: ", "#Dx: 42x,")).expect("write");
    let o = ecg()
        .args(["pack", "cinc2021", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("x.safetensors"))
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("E00001.hea") && err.contains("#Dx") && err.contains("42x"),
        "{err}"
    );
    assert!(!dir.path().join("x.safetensors").exists());
}

fn cpsc_sample() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cpsc2018-sample");
    if d.join("REFERENCE.csv").is_file() {
        Some(d)
    } else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!!\n!!! SKIPPING CinC 2021 real-record test: {} is absent\n!!!!!!!!\n",
            d.display()
        );
        None
    }
}

/// The 10 real CPSC2018 sample records (original MAT-5 release) written in the Challenge
/// layout the way the organisers re-released CPSC2018 as its `A` source: int16 at
/// 1000/mV, 500 Hz, `#Age`/`#Sex` from the MAT struct, `#Dx` from REFERENCE.csv through
/// [`ecg_labels::cinc2021::CPSC2018_SNOMED`]. Then packed at 500 Hz with its own length.
#[test]
fn real_cpsc2018_records_in_the_challenge_layout_pack_with_snomed_labels() {
    let Some(src) = cpsc_sample() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("training/cpsc_2018/g1");
    std::fs::create_dir_all(&data).expect("mkdir");
    let examples = ecg_io::cpsc2018::load_dataset(&src).expect("cpsc sample");
    assert_eq!(examples.len(), 10);
    let mut max_q = 0f32;
    for e in &examples {
        let r = &e.record;
        let adc: Vec<Vec<i32>> = (0..12)
            .map(|l| {
                r.lead(l)
                    .iter()
                    .map(|&v| (f64::from(v) * 1000.0).round() as i32)
                    .collect()
            })
            .collect();
        for l in 0..12 {
            for (a, &v) in adc[l].iter().zip(r.lead(l)) {
                max_q = max_q.max((*a as f32 / 1000.0 - v).abs());
            }
        }
        let dx: Vec<String> = e
            .labels
            .iter()
            .map(|&k| {
                ecg_labels::cinc2021::CPSC2018_SNOMED[k as usize - 1]
                    .1
                    .to_string()
            })
            .collect();
        let comments = Comments {
            age: r.age.map_or("NaN".into(), |a| a.to_string()),
            sex: r.sex.clone().unwrap_or_else(|| "Unknown".into()),
            dx,
        };
        write_record(&data.join(&r.name), 500, 1000.0, &adc, &comments).expect("write");
    }
    // The Challenge's CPSC files store int16 at 1000/mV, i.e. whole µV; the original MAT
    // files hold finer values, so the copy is within half a µV (as the organisers' was).
    assert!(max_q <= 0.0005 + 1e-6, "quantisation error {max_q} mV");
    let p = pack(dir.path(), &dir.path().join("real.safetensors"), "500");
    assert_eq!(p.len(), 10);
    for (rec, e) in p.records().iter().zip(&examples) {
        assert_eq!(rec.id, e.record.name);
        // #Age and #Sex travel from the original MAT file through the header into the pack.
        assert_eq!(rec.age, e.record.age, "{}", rec.id);
        assert_eq!(
            rec.sex,
            e.record
                .sex
                .as_deref()
                .and_then(ecg_io::pack::Sex::from_text),
            "{}",
            rec.id
        );
        let classes = ecg_labels::cinc2021::scored_classes().expect("classes");
        for &k in &e.labels {
            let (name, code) = ecg_labels::cinc2021::CPSC2018_SNOMED[k as usize - 1];
            let scored = classes.iter().find(|c| c.codes.iter().any(|x| x == code));
            match scored {
                Some(c) => assert!(
                    rec.codes.iter().any(|(l, _)| *l == c.label()),
                    "{name} in {rec:?}"
                ),
                None => assert!(
                    rec.codes_raw.contains(code),
                    "unscored {name} kept in codes_raw"
                ),
            }
        }
        // The signal is the original to half a µV (first 5000 samples at 500 Hz), then zeros.
        let i = p
            .records()
            .iter()
            .position(|r| r.id == e.record.name)
            .expect("row");
        let row = p.signal(i);
        let keep = e.record.samples.min(5000);
        for l in 0..12 {
            for t in 0..keep {
                let d = (row[l * 5000 + t] - e.record.lead(l)[t]).abs();
                assert!(
                    d <= 0.0005 + 1e-6,
                    "{} lead {l} sample {t}: {d}",
                    e.record.name
                );
            }
            assert!(row[l * 5000 + keep..(l + 1) * 5000]
                .iter()
                .all(|&v| v == 0.0));
        }
    }
}
