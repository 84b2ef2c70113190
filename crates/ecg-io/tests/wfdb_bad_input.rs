//! Bad skew, multi-segment and FLAC input: clear errors naming the file and the field,
//! never a panic (property tests over damaged master headers and FLAC streams).
//! Records: tests/golden/wfdb-sample/records (see its README).
use ecg_io::wfdb::{read_record, read_record_range, MultiHeader, SampleRange};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn records() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/wfdb-sample/records")
}

/// Copy files (relative to records/) into a temp dir, flat.
fn scratch(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in files {
        let name = Path::new(f).file_name().expect("name");
        std::fs::copy(records().join(f), dir.path().join(name)).expect("copy");
    }
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{}: no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

fn err(rec: &Path) -> String {
    read_record(rec).expect_err("must fail").to_string()
}

#[test]
fn bad_skews_are_errors_naming_file_and_field() {
    let d = scratch(&["test01_00s.dat", "test01_00s_skew.hea"]);
    let rec = d.path().join("test01_00s_skew");
    edit(&rec.with_extension("hea"), "16:3", "16:x");
    let e = err(&rec);
    assert!(
        e.contains("test01_00s_skew.hea") && e.contains("skew"),
        "{e}"
    );
    edit(&rec.with_extension("hea"), "16:x", "16:99999999999");
    let e = err(&rec);
    assert!(
        e.contains("test01_00s_skew.hea") && e.contains("skew"),
        "{e}"
    );
    // a skew as long as the record: that signal is NaN throughout, the others intact
    edit(&rec.with_extension("hea"), "16:99999999999", "16:4000");
    let r = read_record(&rec).expect("reads");
    assert!(r.lead(1).iter().all(|x| x.is_nan()));
    assert!(r.lead(0).iter().all(|x| !x.is_nan()));
    // format 8 has no invalid value for the samples past the end (wfdb-python fails too)
    let d = scratch(&["binformats.hea", "binformats.d0"]);
    let hea = d.path().join("binformats.hea");
    let text = std::fs::read_to_string(&hea).expect("read");
    let first: Vec<&str> = text.lines().take(2).collect();
    let one = format!(
        "{}\n{}\n",
        first[0].replacen("10", "1", 1),
        first[1].replacen(" 8 ", " 8:2 ", 1)
    );
    std::fs::write(&hea, one).expect("write");
    let e = err(&d.path().join("binformats"));
    assert!(
        e.contains("binformats.hea") && e.contains("skew") && e.contains("format 8"),
        "{e}"
    );
}

#[test]
fn multi_segment_errors_name_the_segment_and_the_field() {
    let files = [
        "synth/varms.hea",
        "synth/varms_layout.hea",
        "synth/varms_0002.hea",
        "synth/varms_0002.dat",
        "synth/varms_0003.hea",
        "synth/varms_0003.dat",
        "synth/varms_0005.hea",
        "synth/varms_0005.dat",
        "synth/varms_0006.hea",
        "synth/varms_0006.dat",
    ];
    // a missing segment file
    let d = scratch(&files);
    let rec = d.path().join("varms");
    std::fs::remove_file(d.path().join("varms_0003.dat")).expect("rm");
    let e = err(&rec);
    assert!(e.contains("varms_0003.dat"), "{e}");
    // ... but a range that does not reach it reads
    let r = read_record_range(&rec, SampleRange::new(0, Some(140))).expect("range before it");
    assert_eq!(r.samples, 140);
    // a segment whose length disagrees with the master header
    let d = scratch(&files);
    let rec = d.path().join("varms");
    edit(
        &d.path().join("varms.hea"),
        "varms_0005 70",
        "varms_0005 71",
    );
    edit(&d.path().join("varms.hea"), "385", "386");
    let e = err(&rec);
    assert!(
        e.contains("varms_0005.hea")
            && e.contains("number of samples")
            && e.contains("layout mismatch"),
        "{e}"
    );
    // segment lengths that do not add up to the record's
    let d = scratch(&files);
    edit(&d.path().join("varms.hea"), "385", "999");
    let e = err(&d.path().join("varms"));
    assert!(
        e.contains("varms.hea") && e.contains("number of samples"),
        "{e}"
    );
    // a layout header with fewer signals than the record line
    let d = scratch(&files);
    edit(&d.path().join("varms.hea"), "varms/7 3", "varms/7 4");
    let e = err(&d.path().join("varms"));
    assert!(
        e.contains("varms_layout.hea") && e.contains("number of signals"),
        "{e}"
    );
    // a segment at another sampling frequency
    let d = scratch(&files);
    edit(&d.path().join("varms_0006.hea"), "125", "250");
    let e = err(&d.path().join("varms"));
    assert!(
        e.contains("varms_0006.hea") && e.contains("sampling frequency"),
        "{e}"
    );
    // a segment signal at other samples per frame than the layout's
    let d = scratch(&files);
    edit(
        &d.path().join("varms_layout.hea"),
        "~ 0 100/mV",
        "~ 0x2 100/mV",
    );
    let e = err(&d.path().join("varms"));
    assert!(
        e.contains("varms_0002.hea") && e.contains("samples per frame"),
        "{e}"
    );
    // a range outside the record
    let d = scratch(&files);
    let e = read_record_range(&d.path().join("varms"), SampleRange::new(10, Some(999)))
        .expect_err("range")
        .to_string();
    assert!(e.contains("varms.hea") && e.contains("sample range"), "{e}");
}

#[test]
fn a_fixed_layout_segment_with_other_signals_is_a_layout_mismatch() {
    let files = [
        "synth/fixedms.hea",
        "synth/fixedms_1.hea",
        "synth/fixedms_1.dat",
        "synth/fixedms_2.hea",
        "synth/fixedms_2.dat",
        "synth/fixedms_3.hea",
        "synth/fixedms_3.dat",
    ];
    let d = scratch(&files);
    let hea = d.path().join("fixedms_2.hea");
    let text = std::fs::read_to_string(&hea).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(
        &hea,
        format!("{}\n{}\n", lines[0].replacen(" 2 ", " 1 ", 1), lines[1]),
    )
    .expect("write");
    let e = err(&d.path().join("fixedms"));
    assert!(
        e.contains("fixedms_2.hea") && e.contains("number of signals"),
        "{e}"
    );
}

#[test]
fn truncated_or_wrong_flac_streams_are_errors_naming_the_file() {
    let d = scratch(&["synth/flac516.hea", "synth/flac516.dat"]);
    let rec = d.path().join("flac516");
    let dat = d.path().join("flac516.dat");
    let bytes = std::fs::read(&dat).expect("read");
    for cut in [bytes.len() - 7, bytes.len() / 2, 60, 10, 3] {
        std::fs::write(&dat, &bytes[..cut]).expect("write");
        let e = err(&rec);
        assert!(e.contains("flac516.dat"), "cut at {cut}: {e}");
    }
    std::fs::write(&dat, &bytes).expect("write");
    read_record(&rec).expect("intact again");
    // a 16-bit stream declared as format 508
    edit(&d.path().join("flac516.hea"), "516x3", "508x3");
    edit(&d.path().join("flac516.hea"), "516x3", "508x3");
    let e = err(&rec);
    assert!(
        e.contains("flac516.dat") && e.contains("bits per sample"),
        "{e}"
    );
    // a stream with 2 channels described as 1 signal in the file
    let d = scratch(&["synth/flac516.hea", "synth/flac516.dat"]);
    let hea = d.path().join("flac516.hea");
    let text = std::fs::read_to_string(&hea).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(
        &hea,
        format!("{}\n{}\n", lines[0].replacen(" 2 ", " 1 ", 1), lines[1]),
    )
    .expect("write");
    let e = err(&d.path().join("flac516"));
    assert!(e.contains("flac516.dat") && e.contains("channels"), "{e}");
    // header length longer than the stream
    let d = scratch(&["synth/flac516.hea", "synth/flac516.dat"]);
    edit(
        &d.path().join("flac516.hea"),
        "flac516 2 250 300",
        "flac516 2 250 301",
    );
    let e = err(&d.path().join("flac516"));
    assert!(e.contains("flac516.dat") && e.contains("truncated"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn damaged_flac_streams_never_panic(pos in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
        let src = std::fs::read(records().join("synth/flac524.dat")).expect("read");
        let mut b = src.clone();
        let i = pos % b.len();
        b[i] = byte;
        b.truncate(b.len() - cut % b.len());
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::copy(records().join("synth/flac524.hea"), d.path().join("flac524.hea")).expect("copy");
        std::fs::write(d.path().join("flac524.dat"), &b).expect("write");
        if let Err(e) = read_record(&d.path().join("flac524")) {
            let e = e.to_string();
            prop_assert!(e.contains("flac524"), "{}", e);
        }
    }

    #[test]
    fn damaged_master_headers_never_panic(pos in 0usize..400, byte in any::<u8>()) {
        let src = std::fs::read(records().join("synth/varms.hea")).expect("read");
        let mut b = src.clone();
        let i = pos % b.len();
        b[i] = byte;
        let text = String::from_utf8_lossy(&b);
        let _ = MultiHeader::parse(&text, Path::new("m.hea"));
    }

    #[test]
    fn arbitrary_master_header_text_never_panics(s in "[a-z0-9~_ ./#\\n]{0,120}") {
        let _ = MultiHeader::parse(&format!("m/2 1 100\n{s}"), Path::new("m.hea"));
    }
}
