//! CPSC2018 and the MAT-5 reader against scipy.io.loadmat (golden files written by
//! `scripts/golden/cpsc2018_mat.py`), the dataset loader's errors, and the WFDB
//! re-release (`16+24` .mat) through the WFDB reader.
use ecg_io::cpsc2018::{self, CLASSES};
use ecg_io::mat::{self, MatArray, MatClass, MatValue};
use ecg_io::IoError;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/cpsc2018")
}

fn sample_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cpsc2018-sample");
    if d.is_dir() {
        Some(d)
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(),
            "\n!!!!!!!! SKIPPED: CPSC2018 sample not found at {} — real-file checks NOT run !!!!!!!!\n",
            d.display()
        );
        };
        None
    }
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN)) // null = NaN in the golden files
        .collect()
}

fn close(a: f64, b: f64, scale: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * scale.abs().max(f64::MIN_POSITIVE)
}

/// The 10 real recordings: ECG.data through the MAT reader (f64) matches scipy's per-lead
/// sums / sums of squares to 1e-9 relative (to Σ|x|, Σx²), first/last samples to 1e-14; the
/// CPSC record (f32) to f32 precision; sex, age and N exactly.
#[test]
fn real_records_match_scipy() {
    let Some(dir) = sample_dir() else { return };
    let gold = read_json(&golden().join("records.json"));
    let recs = gold.as_array().expect("records");
    assert_eq!(recs.len(), 10, "golden covers the 10 sample files");
    for g in recs {
        let name = g["name"].as_str().expect("name");
        let path = dir.join(format!("{name}.mat"));
        let n = g["samples"].as_u64().expect("samples") as usize;

        let file = mat::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let data = file
            .get("ECG")
            .and_then(|e| e.field("data"))
            .expect("ECG.data");
        assert_eq!(data.dims, [12, n], "{name}");
        let real = data.real().expect("numeric");
        let (sum, sumsq, sumabs) = (f64s(&g["sum"]), f64s(&g["sumsq"]), f64s(&g["sumabs"]));
        let (first, last) = (f64s(&g["first"]), f64s(&g["last"]));
        for lead in 0..12 {
            let xs: Vec<f64> = (0..n).map(|t| real[lead + 12 * t]).collect();
            let s: f64 = xs.iter().sum();
            let s2: f64 = xs.iter().map(|x| x * x).sum();
            let sa: f64 = xs.iter().map(|x| x.abs()).sum();
            assert!(
                close(s, sum[lead], sumabs[lead], 1e-9),
                "{name} lead {lead}: sum {s} vs {}",
                sum[lead]
            );
            assert!(
                close(s2, sumsq[lead], sumsq[lead], 1e-9),
                "{name} lead {lead}: sumsq"
            );
            assert!(
                close(sa, sumabs[lead], sumabs[lead], 1e-9),
                "{name} lead {lead}: sumabs"
            );
            // (serde_json's default float parser may be 1 ulp off the shortest repr)
            assert!(
                close(xs[0], first[lead], first[lead], 1e-14),
                "{name} lead {lead}: first"
            );
            assert!(
                close(xs[n - 1], last[lead], last[lead], 1e-14),
                "{name} lead {lead}: last"
            );
        }

        let rec = cpsc2018::read_mat(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rec.name, name);
        assert_eq!(rec.samples, n);
        assert_eq!(rec.data.len(), 12 * n);
        assert_eq!(rec.sex.as_deref(), g["sex"].as_str(), "{name} sex");
        assert_eq!(rec.age, g["age"].as_f64(), "{name} age");
        for lead in 0..12 {
            let l = rec.lead(lead);
            assert!(
                close(l[0] as f64, first[lead], first[lead], 1e-7),
                "{name} lead {lead}"
            );
            assert!(
                close(l[n - 1] as f64, last[lead], last[lead], 1e-7),
                "{name} lead {lead}"
            );
            let s: f64 = l.iter().map(|&x| x as f64).sum();
            assert!(
                close(s, sum[lead], sumabs[lead], 1e-6),
                "{name} lead {lead}: f32 sum"
            );
        }
    }
}

/// Compare one array the Rust reader produced with scipy's description of it.
fn compare(a: &MatArray, g: &Value, at: &str) {
    let dims: Vec<usize> = g["dims"]
        .as_array()
        .expect("dims")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect();
    match g["kind"].as_str().expect("kind") {
        "struct" => {
            assert_eq!(a.dims, dims, "{at}: dims");
            let MatValue::Struct { fields, elements } = &a.value else {
                panic!("{at}: expected a struct, got {:?}", a.value)
            };
            let gf: Vec<&str> = g["fields"]
                .as_array()
                .expect("f")
                .iter()
                .map(|f| f.as_str().expect("s"))
                .collect();
            assert_eq!(fields, &gf, "{at}: fields");
            let ge = g["elements"].as_array().expect("elements");
            assert_eq!(elements.len(), ge.len(), "{at}: element count");
            for (k, (el, gel)) in elements.iter().zip(ge).enumerate() {
                for (j, (v, gv)) in el.iter().zip(gel.as_array().expect("el")).enumerate() {
                    compare(v, gv, &format!("{at}({k}).{}", fields[j]));
                }
            }
        }
        "cell" => {
            assert_eq!(a.dims, dims, "{at}: dims");
            let MatValue::Cell(items) = &a.value else {
                panic!("{at}: expected a cell")
            };
            let gi = g["items"].as_array().expect("items");
            assert_eq!(items.len(), gi.len(), "{at}");
            for (k, (v, gv)) in items.iter().zip(gi).enumerate() {
                compare(v, gv, &format!("{at}{{{k}}}"));
            }
        }
        "char" => {
            let MatValue::Char(chars) = &a.value else {
                panic!("{at}: expected char, got {:?}", a.value)
            };
            assert_eq!(a.class, MatClass::Char);
            assert_eq!(
                chars.iter().collect::<String>(),
                g["text"].as_str().expect("text"),
                "{at}"
            );
            // scipy reports an empty char array as 0×0 too.
            assert_eq!(a.dims, dims, "{at}: dims");
        }
        "numeric" => {
            let MatValue::Numeric { real, imag } = &a.value else {
                panic!("{at}: expected numeric")
            };
            let want_class = match g["dtype"].as_str().expect("dtype") {
                "float64" => MatClass::Double,
                "float32" => MatClass::Single,
                "int8" => MatClass::Int8,
                "uint8" | "bool" => MatClass::UInt8,
                "int16" => MatClass::Int16,
                "uint16" => MatClass::UInt16,
                "int32" => MatClass::Int32,
                "uint32" => MatClass::UInt32,
                "int64" => MatClass::Int64,
                "uint64" => MatClass::UInt64,
                other => panic!("{at}: dtype {other}"),
            };
            assert_eq!(a.class, want_class, "{at}: class");
            assert_eq!(a.logical, g["dtype"] == "bool", "{at}: logical flag");
            let want = f64s(&g["real"]);
            if want.is_empty() {
                // MATLAB's [] (a zero-length miMATRIX): 0×0 here; scipy shapes it (1, 0).
                assert_eq!(a.numel(), 0, "{at}: empty");
                return;
            }
            assert_eq!(a.dims, dims, "{at}: dims");
            assert_eq!(real.len(), want.len(), "{at}");
            for (x, w) in real.iter().zip(&want) {
                assert!(x == w || (x.is_nan() && w.is_nan()), "{at}: {x} vs {w}");
            }
            match (imag, g.get("imag")) {
                (None, None) => {}
                (Some(im), Some(gi)) => assert_eq!(im, &f64s(gi), "{at}: imag"),
                (i, gi) => panic!("{at}: imaginary part {i:?} vs {gi:?}"),
            }
        }
        k => panic!("{at}: kind {k}"),
    }
}

/// Both byte orders, compressed or not, numeric classes stored as smaller types, char,
/// struct (1×1 and 1×2), cell, logical, complex, empty arrays: the reader agrees with scipy.
#[test]
fn synthetic_files_match_scipy() {
    for (file, endian) in [
        ("synthetic_be.mat", mat::Endian::Big),
        ("synthetic_le_z.mat", mat::Endian::Little),
        ("synthetic_be_z.mat", mat::Endian::Big),
    ] {
        let path = golden().join(file);
        let m = mat::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.endian, endian, "{file}");
        let g = read_json(&golden().join(format!("{file}.json")));
        let gmap = g.as_object().expect("object");
        assert_eq!(m.variables.len(), gmap.len(), "{file}: variable count");
        for (name, gv) in gmap {
            let v = m
                .get(name)
                .unwrap_or_else(|| panic!("{file}: no variable {name}"));
            compare(v, gv, &format!("{file}:{name}"));
        }
    }
}

/// The synthetic files through the CPSC reader: big-endian text/ages, NaN age → None, empty
/// sex → None, data stored as int16/int32 → the same values, lead-major.
#[test]
fn synthetic_files_through_read_mat() {
    let be = cpsc2018::read_mat(&golden().join("synthetic_be.mat")).expect("be");
    assert_eq!(
        (be.sex.as_deref(), be.age, be.samples),
        (Some("Female"), Some(63.0), 7)
    );
    let le = cpsc2018::read_mat(&golden().join("synthetic_le_z.mat")).expect("le");
    assert_eq!(
        (le.sex.as_deref(), le.age, le.samples),
        (Some("Male"), Some(52.0), 9)
    );
    let bez = cpsc2018::read_mat(&golden().join("synthetic_be_z.mat")).expect("be_z");
    assert_eq!((bez.sex.as_deref(), bez.age, bez.samples), (None, None, 5));
    for (rec, file) in [
        (&be, "synthetic_be.mat"),
        (&le, "synthetic_le_z.mat"),
        (&bez, "synthetic_be_z.mat"),
    ] {
        let g = read_json(&golden().join(format!("{file}.json")));
        let data = &g["ECG"]["elements"][0][2];
        let col = f64s(&data["real"]); // column-major 12 × N
        for lead in 0..12 {
            for t in 0..rec.samples {
                assert_eq!(
                    rec.lead(lead)[t],
                    col[lead + 12 * t] as f32,
                    "{file} ({lead},{t})"
                );
            }
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The loader joins files with REFERENCE.csv and refuses a missing record, a label outside
/// 1–9 and an empty label set, naming the record.
#[test]
fn load_dataset_joins_and_refuses() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let src = std::fs::read(golden().join("synthetic_le_z.mat")).expect("read");
    write(&d.join("A0002.mat"), &src);
    write(
        &d.join("A0001.mat"),
        &std::fs::read(golden().join("synthetic_be.mat")).expect("read"),
    );
    let head = "Recording,First_label,Second_label,Third_label\n";
    write(
        &d.join("REFERENCE.csv"),
        format!("{head}A0001,5,2,\nA0002,9,,\nA0003,1,,\n").as_bytes(),
    );
    let ds = cpsc2018::load_dataset(d).expect("dataset");
    let got: Vec<(&str, &[u8])> = ds
        .iter()
        .map(|e| (e.record.name.as_str(), e.labels.as_slice()))
        .collect();
    assert_eq!(got, [("A0001", &[5u8, 2][..]), ("A0002", &[9u8][..])]);
    assert_eq!(ds[0].class_names(), [CLASSES[4], CLASSES[1]]);

    for (reference, needle) in [
        (format!("{head}A0001,5,,\n"), "A0002"),
        (format!("{head}A0001,5,,\nA0002,11,,\n"), "outside 1–9"),
        (format!("{head}A0001,5,,\nA0002,,,\n"), "no label"),
        (format!("{head}A0001,5,,\nA0002,0,,\n"), "outside 1–9"),
    ] {
        write(&d.join("REFERENCE.csv"), reference.as_bytes());
        match cpsc2018::load_dataset(d) {
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(needle) && msg.contains("REFERENCE.csv"),
                    "{msg}"
                );
                if needle != "A0002" {
                    assert!(msg.contains("A0002"), "names the record: {msg}");
                }
            }
            Ok(_) => panic!("{reference:?} must be refused"),
        }
    }
    assert!(matches!(
        cpsc2018::load_dataset(&d.join("nope")),
        Err(IoError::Io { .. })
    ));

    // Label 10 (undefined; 18 rows of the distributed REFERENCE.csv): dropped; a record
    // left without a class is excluded and named.
    write(
        &d.join("REFERENCE.csv"),
        format!("{head}A0001,10,4,\nA0002,10,,\n").as_bytes(),
    );
    let ds = cpsc2018::load_dataset_with_exclusions(d, &d.join("REFERENCE.csv")).expect("loads");
    assert_eq!(ds.excluded, ["A0002"]);
    assert_eq!(ds.examples.len(), 1);
    assert_eq!(ds.examples[0].labels, [4]);
}

/// The real sample directory loads through `load_dataset` with its REFERENCE.csv labels.
#[test]
fn sample_dataset_loads_with_reference_labels() {
    let Some(dir) = sample_dir() else { return };
    let ds = cpsc2018::load_dataset(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ds.len(), 10);
    let rows = cpsc2018::load_reference(&dir.join("REFERENCE.csv")).expect("reference");
    assert_eq!(
        rows.len(),
        6877,
        "REFERENCE.csv lists the 6877 training recordings"
    );
    for ex in &ds {
        let (_, raw) = rows
            .iter()
            .find(|(n, _)| n == &ex.record.name)
            .expect("listed");
        assert_eq!(&ex.labels, raw, "{}", ex.record.name);
    }
    // Every row of the distributed REFERENCE.csv passes the label check; exactly the 18
    // rows whose only label is the undefined 10 come out empty (excluded when packed).
    let reference = dir.join("REFERENCE.csv");
    let mut excluded = Vec::new();
    for (name, raw) in &rows {
        let l = cpsc2018::check_labels(name, raw, &reference).unwrap_or_else(|e| panic!("{e}"));
        if l.is_empty() {
            assert_eq!(raw, &[cpsc2018::UNDEFINED_LABEL], "{name}");
            excluded.push(name.as_str());
        }
    }
    assert_eq!(excluded.len(), 18, "{excluded:?}");
    assert_eq!(&excluded[..3], ["A0716", "A0945", "A1012"]);
}

/// Damaged copies of a real compressed file are errors naming the file, never panics.
#[test]
fn damaged_real_file_is_an_error() {
    let src = std::fs::read(golden().join("synthetic_le_z.mat")).expect("read");
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("A9999.mat");
    for cut in [100, 130, 200, src.len() - 1] {
        write(&p, &src[..cut]);
        match cpsc2018::read_mat(&p) {
            Err(e) => assert!(e.to_string().contains("A9999.mat"), "{e}"),
            Ok(r) => panic!("cut at {cut}: read {r:?}"),
        }
    }
    // A file without an ECG variable.
    let other = std::fs::read(golden().join("synthetic_be.mat")).expect("read");
    let m = mat::parse(&other, Path::new("x")).expect("parse");
    assert!(m.get("ECG").is_some());
}

/// The PhysioNet/CinC 2020 re-release: `A0001.hea` + `A0001.mat` (a 24-byte MAT v4 header,
/// then format-16 samples), header lines `A0001.mat 16+24 1000/mV 16 0 …`. The WFDB reader
/// loads it; physical values = adc / 1000.
#[test]
fn wfdb_rerelease_16_plus_24_loads_through_wfdb_reader() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (leads, n) = (12usize, 50usize);
    // adc[lead][t]
    let adc: Vec<Vec<i16>> = (0..leads)
        .map(|l| {
            (0..n)
                .map(|t| ((l as i32 * 97 + t as i32 * 31) % 2001 - 1000) as i16)
                .collect()
        })
        .collect();
    // MAT v4 header: type 30 (little-endian int16), rows 12, cols n, imag 0, name length 4.
    let mut bytes = Vec::new();
    for v in [30i32, leads as i32, n as i32, 0, 4] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(b"val\0");
    assert_eq!(bytes.len(), 24);
    // Column-major 12 × n = frame by frame, i.e. WFDB format 16 interleaving.
    for t in 0..n {
        for lead in adc.iter() {
            bytes.extend_from_slice(&lead[t].to_le_bytes());
        }
    }
    write(&tmp.path().join("A0001.mat"), &bytes);
    let names = cpsc2018::LEAD_NAMES;
    let mut hea = format!("A0001 12 500 {n} 05-Feb-2020 11:39:16\n");
    for (l, name) in names.iter().enumerate() {
        let sum: i32 = adc[l].iter().map(|&x| x as i32).sum();
        let checksum = sum as i16; // 16-bit two's-complement sum, as WFDB writes it
        hea.push_str(&format!(
            "A0001.mat 16+24 1000/mV 16 0 {} {checksum} 0 {name}\n",
            adc[l][0]
        ));
    }
    hea.push_str("#Age: 74\n#Sex: Male\n#Dx: 59118001\n#Rx: Unknown\n#Hx: Unknown\n#Sx: Unknown\n");
    write(&tmp.path().join("A0001.hea"), hea.as_bytes());
    let rec =
        ecg_io::wfdb::read_record(&tmp.path().join("A0001")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((rec.leads, rec.samples), (12, n));
    for l in 0..leads {
        for t in 0..n {
            assert_eq!(
                rec.lead(l)[t],
                (adc[l][t] as f64 / 1000.0) as f32,
                "lead {l} t {t}"
            );
        }
    }
}
