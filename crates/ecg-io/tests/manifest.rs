//! `pack_manifest` over WFDB records written here: leads in any order, mixed formats and
//! rates, folds given or assigned, and every refusal naming the CSV line with nothing
//! written.
use ecg_io::manifest::{pack_manifest, ManifestOptions};
use ecg_io::pack::PackedDataset;
use ecg_io::packer::{read_wfdb, Prep};
use ecg_io::wfdb::{write_record, Format, Header, SignalSpec};
use std::path::Path;

const LEADS: [&str; 3] = ["I", "II", "V1"];

/// A record with the given lead names (in that order), rate, format and length; lead
/// `name`'s samples depend on its name, so a reordered record holds the same signals.
fn record(dir: &Path, name: &str, leads: &[&str], fs: f64, fmt: Format, n: usize) {
    let signals = leads
        .iter()
        .map(|l| {
            let mut s = SignalSpec::new(format!("{name}.dat"), fmt);
            s.adc_gain = Some(1000.0);
            s.description = Some(l.to_string());
            s
        })
        .collect();
    let h = Header {
        record_name: name.into(),
        fs: Some(fs),
        counter_freq: None,
        base_counter: None,
        n_samples: Some(n as u64),
        base_time: None,
        base_date: None,
        signals,
        comments: vec![],
    };
    let adc: Vec<Vec<i32>> = leads
        .iter()
        .map(|l| {
            let k = l.len() as f64 + l.bytes().map(f64::from).sum::<f64>() / 100.0;
            (0..n)
                .map(|t| (800.0 * (t as f64 * k / fs).sin()) as i32)
                .collect()
        })
        .collect();
    write_record(&dir.join(name), &h, &adc).expect("write record");
}

fn opts(manifest: &Path) -> ManifestOptions {
    ManifestOptions {
        manifest: manifest.to_path_buf(),
        leads: LEADS.map(String::from).to_vec(),
        length: 250,
        classes: None,
        seed: 1,
    }
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("recs");
    std::fs::create_dir_all(&d).expect("mkdir");
    record(&d, "a", &LEADS, 100.0, Format::F16, 300);
    record(&d, "b", &["V1", "i", "II"], 100.0, Format::F212, 200);
    record(&d, "c", &LEADS, 500.0, Format::F16, 1250);
    record(&d, "d", &LEADS, 100.0, Format::F16, 250);
    record(&d, "two", &["I", "II"], 100.0, Format::F16, 250);
    dir
}

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("manifest.csv");
    std::fs::write(&p, text).expect("csv");
    p
}

#[test]
fn packs_records_in_any_lead_order_format_and_rate() {
    let dir = setup();
    let m = write(
        dir.path(),
        "record,labels,patient\nrecs/a,NORM,p1\nrecs/b,AF; RBBB,p2\nrecs/c,AF,p1\nrecs/d,RBBB,\n",
    );
    let out = dir.path().join("m.safetensors");
    let prep = Prep::new(100, None).expect("prep");
    assert_eq!(pack_manifest(&opts(&m), &prep, &out).expect("packs"), 4);
    let p = PackedDataset::open(&out).expect("opens");
    let ids: Vec<&str> = p.records().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["recs/a", "recs/b", "recs/c", "recs/d"]);
    assert_eq!(
        p.records()[1].codes,
        [("AF".into(), 100.0), ("RBBB".into(), 100.0)]
    );
    assert_eq!(p.meta().rate, 100);
    assert_eq!(p.meta().samples, 250);
    // one patient, one fold; stated in the metadata
    assert_eq!(p.records()[0].fold, p.records()[2].fold);
    assert!(
        p.meta().preprocessing.contains("patient-wise"),
        "{}",
        p.meta().preprocessing
    );
    assert!(p.meta().preprocessing.contains(r#"["AF", "NORM", "RBBB"]"#));
    // a: cropped 300 -> 250
    let a = read_wfdb(&dir.path().join("recs/a"), &opts(&m).leads, true).expect("a");
    assert_eq!(&p.signal(0)[..250], &a.data[..250]);
    // b: leads picked by name from V1, i, II; padded 200 -> 250 with zeros
    let b = read_wfdb(&dir.path().join("recs/b"), &opts(&m).leads, true).expect("b");
    for l in 0..3 {
        assert_eq!(
            &p.signal(1)[l * 250..l * 250 + 200],
            &b.data[l * 200..(l + 1) * 200]
        );
        assert!(p.signal(1)[l * 250 + 200..(l + 1) * 250]
            .iter()
            .all(|&v| v == 0.0));
    }
    // c: 500 Hz resampled to 100 Hz by the packers' one resampler
    let c = read_wfdb(&dir.path().join("recs/c"), &opts(&m).leads, true).expect("c");
    let (x, n) = prep
        .apply(Path::new("c"), c.data.clone(), c.samples, c.fs)
        .expect("resample");
    assert_eq!(n, 250);
    assert_eq!(p.signal(2), &x[..]);
    let lead0 = ecg_dsp::resample::resample_poly(&c.data[..1250], 1, 5).expect("dsp");
    assert_eq!(&p.signal(2)[..250], &lead0[..]);
}

#[test]
fn folds_given_and_record_wise_stratified() {
    let dir = setup();
    let m = write(
        dir.path(),
        "labels,record,fold\nNORM,recs/a,3\nAF,recs/d,7\n",
    );
    let out = dir.path().join("m.safetensors");
    let prep = Prep::new(100, None).expect("prep");
    pack_manifest(&opts(&m), &prep, &out).expect("packs");
    let p = PackedDataset::open(&out).expect("opens");
    assert_eq!(p.records()[0].fold, 3);
    assert_eq!(p.records()[1].fold, 7);
    assert!(p.meta().preprocessing.contains("folds as given"));
    let m = write(dir.path(), "record,labels\nrecs/a,NORM\nrecs/d,AF\n");
    pack_manifest(&opts(&m), &prep, &out).expect("packs");
    let p = PackedDataset::open(&out).expect("opens");
    assert!(p.meta().preprocessing.contains("record-wise"));
    assert_ne!(p.records()[0].fold, p.records()[1].fold);
}

#[test]
fn every_refusal_names_the_line_and_writes_nothing() {
    let dir = setup();
    let out = dir.path().join("m.safetensors");
    let prep = Prep::new(100, None).expect("prep");
    let head = "record,labels\nrecs/a,NORM\n";
    for (body, classes, want) in [
        (
            "recs/nope,AF\n",
            None,
            "manifest.csv:3: field `record`: `recs/nope`: no header file",
        ),
        ("recs/d,\n", None, "manifest.csv:3: field `labels`"),
        ("recs/d,AF;;RBBB\n", None, "an empty label"),
        (
            "recs/d,XYZ\n",
            Some(vec!["NORM".to_string(), "AF".into()]),
            "manifest.csv:3: field `labels`: unknown label `XYZ`",
        ),
        (
            "recs/two,AF\n",
            None,
            "manifest.csv:3: field `record`: `recs/two`: 2 leads",
        ),
        ("recs/a,AF\n", None, "listed twice (also line 2)"),
    ] {
        let m = write(dir.path(), &format!("{head}{body}"));
        let mut o = opts(&m);
        o.classes = classes;
        let e = pack_manifest(&o, &prep, &out).expect_err(body).to_string();
        assert!(e.contains(want), "{body}: {e}");
        assert!(!out.exists(), "{body}");
    }
    // a missing lead by name
    let mut o = opts(&write(dir.path(), "record,labels\nrecs/a,NORM\n"));
    o.leads = vec!["I".into(), "II".into(), "V2".into()];
    let e = pack_manifest(&o, &prep, &out)
        .expect_err("lead")
        .to_string();
    assert!(e.contains(":2:") && e.contains("no lead `V2`"), "{e}");
    // a broken data file is found while streaming: the line is named, nothing is kept
    std::fs::write(dir.path().join("recs/d.dat"), b"xx").expect("truncate");
    let e = pack_manifest(
        &opts(&write(
            dir.path(),
            "record,labels\nrecs/a,NORM\nrecs/d,AF\n",
        )),
        &prep,
        &out,
    )
    .expect_err("broken")
    .to_string();
    assert!(e.contains("manifest.csv:3") && e.contains("recs/d"), "{e}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("safetensors"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
