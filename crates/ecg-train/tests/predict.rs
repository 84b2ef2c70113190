//! `predict` on records as they come: a 500 Hz record for a 100 Hz model is resampled by
//! the packers' own code (its input equals the pack row bit for bit), leads are picked by
//! name from any order (same probabilities), and a missing lead is named.
mod common;

use ecg_io::manifest::{pack_manifest, ManifestOptions};
use ecg_io::pack::{Bandpass, PackedDataset};
use ecg_io::packer::Prep;
use ecg_io::wfdb::{write_record, Format, Header, SignalSpec};
use ecg_train::config::TrainConfig;
use ecg_train::{predict, train, TrainOptions};
use std::path::Path;

/// A WFDB record at 500 Hz, 5 s, with the named leads; each lead's signal is a function
/// of its name and the record's labels (`a`: 5 Hz sine on I; `b`: square wave on II).
fn record(dir: &Path, name: &str, leads: &[&str], a: bool, b: bool, seed: usize) {
    let (fs, n) = (500.0, 2500);
    let signals = leads
        .iter()
        .map(|l| {
            let mut s = SignalSpec::new(format!("{name}.dat"), Format::F16);
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
            (0..n)
                .map(|t| {
                    let x = t as f64 / fs;
                    let noise = (((t * 7919 + seed * 104_729) % 1000) as f64 / 1000.0 - 0.5) * 0.3;
                    let v = match l.to_ascii_uppercase().as_str() {
                        "I" if a => (2.0 * std::f64::consts::PI * 5.0 * x).sin(),
                        "II" if b => {
                            if (t / 125) % 2 == 0 {
                                0.8
                            } else {
                                -0.8
                            }
                        }
                        _ => 0.0,
                    };
                    ((v + noise) * 1000.0) as i32
                })
                .collect()
        })
        .collect();
    write_record(&dir.join(name), &h, &adc).expect("write record");
}

#[test]
fn resampled_and_reordered_records_score_as_packed() {
    tch::set_num_threads(1);
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let mut csv = String::from("record,labels\n");
    for i in 0..60 {
        let (a, b) = (i % 3 != 1, i % 3 != 0);
        record(d, &format!("r{i}"), &["I", "II"], a, b, i);
        let labels: Vec<&str> = [(a, "A"), (b, "B")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, l)| *l)
            .collect();
        csv.push_str(&format!("r{i},{}\n", labels.join(";")));
    }
    std::fs::write(d.join("m.csv"), csv).expect("csv");
    let bandpass = Some(Bandpass {
        low_hz: 0.5,
        high_hz: 40.0,
        order: 3,
    });
    let prep = Prep::new(100, bandpass).expect("prep");
    let pack = d.join("p.safetensors");
    pack_manifest(
        &ManifestOptions {
            manifest: d.join("m.csv"),
            leads: vec!["I".into(), "II".into()],
            length: 500,
            classes: None,
            seed: 0,
        },
        &prep,
        &pack,
    )
    .expect("pack at 100 Hz from 500 Hz");
    let out = d.join("run");
    let text = common::config_text(&pack, &out, 1, "");
    let cfg = TrainConfig::from_toml(&text, Path::new("t.toml")).expect("config");
    train(&cfg, &TrainOptions::default()).expect("train");
    let ckpt = out.join("checkpoint-best.safetensors");

    // The input predict builds from the 500 Hz file is the pack's row, bit for bit.
    let p = PackedDataset::open(&pack).expect("pack");
    let leads = vec!["I".to_string(), "II".to_string()];
    for i in [0, 7, 59] {
        let (x, n, note) =
            ecg_train::predict::read_input(&d.join(format!("r{i}")), &leads, &prep).expect("in");
        assert_eq!(n, 500);
        assert_eq!(&x[..], p.signal(i), "record r{i}");
        assert!(note.contains("resampled 500 Hz -> 100 Hz"), "{note}");
    }

    // The same signals with the leads shuffled and an extra lead: same probabilities.
    record(d, "shuffled", &["V1", "ii", "I"], true, true, 4);
    record(d, "ordered", &["I", "II"], true, true, 4);
    let r = predict(
        &ckpt,
        &[d.join("ordered"), d.join("shuffled")],
        ecg_train::config::DeviceChoice::Cpu,
    )
    .expect("predict");
    assert_eq!(r.records[0].probabilities, r.records[1].probabilities);
    assert!(
        r.records[1].note.contains("picked by name"),
        "{}",
        r.records[1].note
    );

    // A record without lead II is refused, naming the lead; the records around it are
    // still predicted.
    record(d, "nolead", &["I", "V1"], true, true, 4);
    let r = predict(
        &ckpt,
        &[d.join("ordered"), d.join("nolead"), d.join("shuffled")],
        ecg_train::config::DeviceChoice::Cpu,
    )
    .expect("predict past a bad record");
    assert_eq!(r.records.len(), 2, "the two good records are predicted");
    assert_eq!(r.failed.len(), 1, "{:?}", r.failed);
    let f = &r.failed[0];
    assert!(f.record.ends_with("nolead"), "{}", f.record);
    assert!(f.error.contains("no lead `II`"), "{}", f.error);
}
