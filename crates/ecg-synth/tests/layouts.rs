//! The Hefei-Tianchi and CPSC2018 layouts that `ecg synth` writes read back through the
//! real readers of ecg-io (the ones `ecg pack` uses), with the labels the tables promise,
//! and pack with stratified folds.
use ecg_io::hefei::{self, classes, ReadOptions};
use ecg_io::pack::PackedDataset;
use ecg_io::{cpsc2018, packer};
use ecg_synth::{generate_cpsc2018, generate_hefei, SynthConfig};

fn cfg(records: usize) -> SynthConfig {
    SynthConfig {
        records,
        seed: 3,
        rates: vec![500],
        difficulty: ecg_synth::Difficulty::EASY,
    }
}

fn prep() -> packer::Prep {
    packer::Prep::new(500, None).expect("prep")
}

#[test]
fn hefei_layout_reads_and_packs() {
    let d = tempfile::tempdir().expect("tempdir");
    let s = generate_hefei(&cfg(60), d.path()).expect("generates");
    assert!(s.records > 40 && s.records + s.skipped == 60, "{s:?}");
    let label_file = d.path().join("hf_round2_label.txt");
    let ex = hefei::load_dataset(
        &d.path().join("hf_round2_train"),
        &label_file,
        &ReadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.len(), s.records);
    for e in &ex {
        let ids = hefei::class_ids(&e.meta, &label_file).unwrap_or_else(|e| panic!("{e}"));
        assert!(!ids.is_empty());
        assert!(ids
            .iter()
            .all(|id| classes::by_id(id).is_some_and(|c| c.round2)));
        // 500 Hz, 10 s, amplitudes of an ECG (mV), derived leads exact up to quantisation.
        assert_eq!(e.record.samples, 5000);
        let peak = e.record.lead(1).iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(peak > 0.2 && peak < 8.0, "lead II peak {peak} mV");
    }
    let sinus = ex
        .iter()
        .filter(|e| e.meta.labels.iter().any(|l| l == "窦性心律"))
        .count();
    assert!(
        sinus * 2 > ex.len(),
        "most records are sinus rhythm: {sinus}"
    );
    let classes_file =
        std::fs::read_to_string(d.path().join("hf_round2_arrythmia.txt")).expect("class list");
    assert_eq!(classes_file.lines().count(), 34);

    let out = d.path().join("hefei.safetensors");
    hefei::pack::pack_hefei(
        &hefei::pack::HefeiOptions {
            data: d.path().to_path_buf(),
            labels: None,
            mv_per_unit: hefei::DEFAULT_MV_PER_UNIT,
            fold_seed: 1,
        },
        &prep(),
        &out,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = PackedDataset::open(&out).expect("opens");
    assert_eq!(p.len(), s.records);
    assert_eq!(p.meta().samples, 5000);
    assert_eq!(p.meta().dataset, "hefei");
    assert_eq!(p.meta().version, "round2");
    let mut per_fold = [0usize; 10];
    for r in p.records() {
        per_fold[usize::from(r.fold) - 1] += 1;
    }
    assert!(per_fold.iter().all(|&n| n >= 3), "{per_fold:?}");
}

#[test]
fn cpsc2018_layout_reads_and_packs() {
    let d = tempfile::tempdir().expect("tempdir");
    let s = generate_cpsc2018(&cfg(60), d.path()).expect("generates");
    assert!(s.records > 20 && s.records + s.skipped == 60, "{s:?}");
    let ex = cpsc2018::load_dataset(d.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.len(), s.records);
    for e in &ex {
        assert_eq!(e.record.samples, 5000);
        assert!(e.record.age.is_some() && e.record.sex.is_some());
        assert!(!e.labels.is_empty() && e.labels.len() <= 3);
    }
    let normal = ex.iter().filter(|e| e.labels.contains(&1)).count();
    assert!(
        normal * 3 > ex.len(),
        "Normal is the commonest class: {normal}"
    );
    let out = d.path().join("cpsc.safetensors");
    packer::pack_cpsc2018(
        &packer::CpscOptions {
            data: d.path().to_path_buf(),
            length: 5000,
            fold_seed: 0,
        },
        &prep(),
        &out,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = PackedDataset::open(&out).expect("opens");
    assert_eq!(p.len(), s.records);
    // The pack holds the .mat data as written (µV-quantised mV), lead-major.
    assert_eq!(&p.signal(0)[..5000], ex[0].record.lead(0));
}

#[test]
fn same_seed_same_files() {
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    generate_hefei(&cfg(8), a.path()).expect("a");
    generate_hefei(&cfg(8), b.path()).expect("b");
    let read = |d: &std::path::Path| std::fs::read(d.join("hf_round2_label.txt")).expect("read");
    assert_eq!(read(a.path()), read(b.path()));
}
