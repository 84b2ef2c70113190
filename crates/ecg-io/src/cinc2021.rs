//! The PhysioNet/CinC Challenge 2020/2021 layout (Perez Alday et al. 2020; Reyna et al. 2021):
//! every record is `<name>.hea` + `<name>.mat`, the `.mat` being a MATLAB v4 file whose
//! 24-byte header (the matrix `val`) the WFDB header skips as a byte offset (`16+24`: format
//! 16, int16 little-endian, leads interleaved), read through [`crate::wfdb`]. Labels and
//! demographics are header comments:
//!
//! ```text
//! #Age: 53            (a number, or NaN / Unknown)
//! #Sex: Male          (Male/Female/M/F, or Unknown / NaN)
//! #Dx: 164889003,59118001   (SNOMED-CT codes; required, at least one)
//! #Rx: Unknown  #Hx: Unknown  #Sx: Unknown   (kept as text)
//! ```
//!
//! Sources. The 2021 training set on PhysioNet (challenge-2021 1.0.3) has one folder per
//! source under `training/`, each split into `g1`, `g2`, ... subfolders; a record's source is
//! taken from the nearest ancestor folder with a known name, else from the name's prefix:
//!
//! | source | folder | prefix | rate |
//! |---|---|---|---|
//! | CPSC 2018 | `cpsc_2018` | `A` | 500 Hz |
//! | CPSC-Extra | `cpsc_2018_extra` | `Q` | 500 Hz |
//! | St Petersburg INCART | `st_petersburg_incart` | `I` | 257 Hz |
//! | PTB | `ptb` | `S` | 1000 Hz |
//! | PTB-XL | `ptb-xl` | `HR` | 500 Hz |
//! | Georgia (G12EC) | `georgia` | `E` | 500 Hz |
//! | Chapman-Shaoxing | `chapman_shaoxing` | `JS` | 500 Hz |
//! | Ningbo | `ningbo` | `JS` | 500 Hz |
//!
//! Chapman-Shaoxing and Ningbo share the prefix `JS`: outside their folders such a record's
//! source is [`Source::ChapmanShaoxingOrNingbo`]. Any subset of sources may be present.
//!
//! Patients. No source in this layout names the patient: the headers carry no patient id, and
//! the record names were reassigned by the organisers (PTB-XL's `HR` numbers, PTB's `S`
//! numbers and INCART's `I` numbers map to patients only through the original databases).
//! [`Source::knows_patient`] is therefore false for every source and folds are record-wise.
use crate::error::{IoError, Result};
use crate::wfdb::{read_record, Header, Record};
use std::path::{Path, PathBuf};

/// The standard 12 leads as the Challenge headers name them.
pub const LEADS: [&str; 12] = [
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// Where a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Cpsc,
    CpscExtra,
    Incart,
    Ptb,
    PtbXl,
    Georgia,
    ChapmanShaoxing,
    Ningbo,
    /// A `JS` record outside the `chapman_shaoxing` / `ningbo` folders.
    ChapmanShaoxingOrNingbo,
}

impl Source {
    /// Every source, in the table's order.
    pub const ALL: [Source; 9] = [
        Source::Cpsc,
        Source::CpscExtra,
        Source::Incart,
        Source::Ptb,
        Source::PtbXl,
        Source::Georgia,
        Source::ChapmanShaoxing,
        Source::Ningbo,
        Source::ChapmanShaoxingOrNingbo,
    ];

    /// A stable identifier (the folder name of the 2021 training set).
    pub fn id(self) -> &'static str {
        match self {
            Source::Cpsc => "cpsc_2018",
            Source::CpscExtra => "cpsc_2018_extra",
            Source::Incart => "st_petersburg_incart",
            Source::Ptb => "ptb",
            Source::PtbXl => "ptb-xl",
            Source::Georgia => "georgia",
            Source::ChapmanShaoxing => "chapman_shaoxing",
            Source::Ningbo => "ningbo",
            Source::ChapmanShaoxingOrNingbo => "chapman_shaoxing_or_ningbo",
        }
    }

    /// The sampling rate the source records at.
    pub fn rate(self) -> u32 {
        match self {
            Source::Incart => 257,
            Source::Ptb => 1000,
            _ => 500,
        }
    }

    /// Whether records of this source can be grouped by patient from the layout alone
    /// (none can; see the module documentation).
    pub fn knows_patient(self) -> bool {
        false
    }

    /// The source a folder name stands for.
    pub fn from_folder(name: &str) -> Option<Source> {
        Source::ALL
            .into_iter()
            .find(|s| *s != Source::ChapmanShaoxingOrNingbo && s.id() == name)
    }

    /// The source a record name's prefix stands for.
    pub fn from_prefix(record: &str) -> Option<Source> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let table = [
            ("HR", Source::PtbXl),
            ("JS", Source::ChapmanShaoxingOrNingbo),
            ("A", Source::Cpsc),
            ("Q", Source::CpscExtra),
            ("I", Source::Incart),
            ("S", Source::Ptb),
            ("E", Source::Georgia),
        ];
        table
            .into_iter()
            .find(|(p, _)| record.strip_prefix(p).is_some_and(digits))
            .map(|(_, s)| s)
    }
}

/// Sex as the headers state it (the pack's type, so it travels into the pack unchanged).
pub use crate::pack::Sex;

/// One record's header: the WFDB header plus the Challenge's comment fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CincHeader {
    /// Path without extension (as WFDB tools take it).
    pub record: PathBuf,
    pub name: String,
    pub source: Source,
    pub wfdb: Header,
    /// `None` for NaN / Unknown.
    pub age: Option<f64>,
    pub sex: Option<Sex>,
    /// SNOMED-CT codes in header order (at least one).
    pub dx: Vec<String>,
    pub rx: Option<String>,
    pub hx: Option<String>,
    pub sx: Option<String>,
}

impl CincHeader {
    /// Sampling rate as an integer (every Challenge source records at an integer rate).
    pub fn rate(&self) -> Result<u32> {
        let fs = self.wfdb.fs();
        if fs.fract() != 0.0 || fs <= 0.0 || fs > f64::from(u32::MAX) {
            return Err(IoError::invalid(
                crate::wfdb::hea_path(&self.record),
                "sampling frequency",
                format!("{fs} Hz is not a positive whole number"),
            ));
        }
        Ok(fs as u32)
    }

    /// Samples per lead stated in the header.
    pub fn samples(&self) -> Option<usize> {
        self.wfdb.n_samples.map(|n| n as usize)
    }
}

fn unknown(v: &str) -> bool {
    v.is_empty() || v.eq_ignore_ascii_case("nan") || v.eq_ignore_ascii_case("unknown")
}

/// The `#Key: value` comment lines with their 1-based line numbers.
fn comment_fields(text: &str) -> Vec<(usize, String, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let c = l.trim().strip_prefix('#')?;
            let (k, v) = c.split_once(':')?;
            Some((i + 1, k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn parse_age(v: &str, path: &Path, line: usize) -> Result<Option<f64>> {
    if unknown(v) {
        return Ok(None);
    }
    match v.parse::<f64>() {
        Ok(a) if a.is_finite() && a >= 0.0 => Ok(Some(a)),
        _ => Err(IoError::parse(
            path,
            line,
            "#Age",
            format!("`{v}` is neither a non-negative number nor NaN/Unknown"),
        )),
    }
}

fn parse_sex(v: &str, path: &Path, line: usize) -> Result<Option<Sex>> {
    match Sex::from_text(v) {
        Some(s) => Ok(Some(s)),
        None if unknown(v) => Ok(None),
        None => Err(IoError::parse(
            path,
            line,
            "#Sex",
            format!("`{v}` is not Male, Female, M, F, NaN or Unknown"),
        )),
    }
}

fn parse_dx(v: &str, path: &Path, line: usize) -> Result<Vec<String>> {
    let codes: Vec<String> = v.split(',').map(|c| c.trim().to_string()).collect();
    for c in &codes {
        if c.is_empty() || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IoError::parse(
                path,
                line,
                "#Dx",
                format!("`{c}` is not a SNOMED-CT code (digits only) in `{v}`"),
            ));
        }
    }
    Ok(codes)
}

/// Parse a Challenge header. `record` is the path without extension; `source` is the
/// record's source ([`source_of`]). Errors name the file, line and field: a missing or
/// empty `#Dx`, a non-numeric code, an age or sex that is neither a value nor NaN/Unknown,
/// a lead count or lead names other than the standard 12.
pub fn parse_header(text: &str, record: &Path, source: Source) -> Result<CincHeader> {
    let path = crate::wfdb::hea_path(record);
    let wfdb = Header::parse(text, &path)?;
    check_leads(&wfdb, &path)?;
    let mut h = CincHeader {
        record: record.to_path_buf(),
        name: wfdb.record_name.clone(),
        source,
        wfdb,
        age: None,
        sex: None,
        dx: Vec::new(),
        rx: None,
        hx: None,
        sx: None,
    };
    let mut dx_seen = false;
    for (line, key, value) in comment_fields(text) {
        let text = (!unknown(&value)).then(|| value.clone());
        match key.as_str() {
            "Age" => h.age = parse_age(&value, &path, line)?,
            "Sex" => h.sex = parse_sex(&value, &path, line)?,
            "Dx" => {
                if dx_seen {
                    return Err(IoError::parse(&path, line, "#Dx", "a second #Dx line"));
                }
                dx_seen = true;
                h.dx = parse_dx(&value, &path, line)?;
            }
            "Rx" => h.rx = text,
            "Hx" => h.hx = text,
            "Sx" => h.sx = text,
            _ => {}
        }
    }
    if !dx_seen {
        return Err(IoError::parse(
            &path,
            0,
            "#Dx",
            "no `#Dx:` line (the record's SNOMED-CT diagnoses)",
        ));
    }
    Ok(h)
}

fn check_leads(h: &Header, path: &Path) -> Result<()> {
    let names: Vec<String> = h
        .signals
        .iter()
        .enumerate()
        .map(|(i, s)| s.name(i))
        .collect();
    let ok = names.len() == LEADS.len()
        && names
            .iter()
            .zip(LEADS)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
    if ok {
        Ok(())
    } else {
        Err(IoError::invalid(
            path,
            "leads",
            format!(
                "{} leads {names:?}, expected the 12 standard leads {LEADS:?} in that order",
                names.len()
            ),
        ))
    }
}

/// A record's source: the nearest ancestor folder (below `root`) with a source's name,
/// else the record name's prefix. `None` when neither tells.
pub fn source_of(root: &Path, record: &Path) -> Option<Source> {
    let rel = record.strip_prefix(root).unwrap_or(record);
    let from_folder = rel
        .parent()
        .into_iter()
        .flat_map(|p| p.components().rev())
        .filter_map(|c| c.as_os_str().to_str())
        .find_map(Source::from_folder);
    let name = record.file_name().and_then(|n| n.to_str()).unwrap_or("");
    from_folder.or_else(|| Source::from_prefix(name))
}

/// Every record under `dir` (recursively; hidden entries skipped): the paths without
/// extension of the `.hea` files, sorted. A `.hea` without its `.mat` is an error naming it.
pub fn find_records(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| IoError::io(&d, e))?;
        for e in entries {
            let e = e.map_err(|e| IoError::io(&d, e))?;
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            let ft = e.file_type().map_err(|e| IoError::io(&p, e))?;
            if ft.is_dir() || (ft.is_symlink() && p.is_dir()) {
                stack.push(p);
            } else if let Some(stem) = name.strip_suffix(".hea") {
                let record = d.join(stem);
                let mat = d.join(format!("{stem}.mat"));
                if !mat.is_file() {
                    return Err(IoError::invalid(
                        &p,
                        "signal file",
                        format!("{} is missing", mat.display()),
                    ));
                }
                out.push(record);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Read and parse every header under `dir` ([`find_records`], [`source_of`], [`parse_header`]).
/// A record whose source neither folder nor prefix tells is an error naming it.
pub fn scan(dir: &Path) -> Result<Vec<CincHeader>> {
    let records = find_records(dir)?;
    if records.is_empty() {
        return Err(IoError::invalid(
            dir,
            "records",
            "no `.hea` files (expected the PhysioNet/CinC Challenge 2021 layout)",
        ));
    }
    records
        .iter()
        .map(|r| {
            let path = crate::wfdb::hea_path(r);
            let source = source_of(dir, r).ok_or_else(|| {
                IoError::invalid(
                    &path,
                    "source",
                    "neither a source folder (cpsc_2018, ptb-xl, ...) above it nor a known name prefix (A, Q, I, S, HR, E, JS)",
                )
            })?;
            let text = std::fs::read_to_string(&path).map_err(|e| IoError::io(&path, e))?;
            parse_header(&text, r, source)
        })
        .collect()
}

/// Read a record's signal (physical mV, [12, samples]); checksums verified. An invalid
/// (NaN) sample is an error naming lead and sample.
pub fn read_signal(h: &CincHeader) -> Result<Record> {
    let r = read_record(&h.record)?;
    let n = r.samples;
    if let Some(i) = r.data.iter().position(|v| !v.is_finite()) {
        return Err(IoError::invalid(
            crate::wfdb::hea_path(&h.record),
            "samples",
            format!(
                "lead {}, sample {}: invalid (NaN) sample",
                i / n.max(1),
                i % n.max(1)
            ),
        ));
    }
    Ok(r)
}

/// The 24-byte MATLAB v4 header the Challenge's `.mat` files start with: a `leads × samples`
/// int16 matrix named `val` (type 30: little-endian, int16, full numeric).
pub fn mat_v4_header(leads: usize, samples: usize) -> [u8; 24] {
    let mut h = [0u8; 24];
    let fields = [30u32, leads as u32, samples as u32, 0, 4];
    for (i, f) in fields.iter().enumerate() {
        h[i * 4..i * 4 + 4].copy_from_slice(&f.to_le_bytes());
    }
    h[20..24].copy_from_slice(b"val\0");
    h
}

/// Comment fields of a record written by [`write_record`], as text (`NaN`/`Unknown` allowed).
#[derive(Debug, Clone, PartialEq)]
pub struct Comments {
    pub age: String,
    pub sex: String,
    pub dx: Vec<String>,
}

/// Write one record in the Challenge layout as the organisers did: `<record>.mat` = the
/// 24-byte MATLAB v4 header ([`mat_v4_header`]) + int16 samples interleaved by lead (WFDB
/// format 16 at byte offset 24), `<record>.hea` with gain `gain`/mV, baseline 0, 16-bit
/// resolution, checksums, the lead names, and `#Age`, `#Sex`, `#Dx`, `#Rx`, `#Hx`, `#Sx`
/// lines (the last three `Unknown`). `adc[lead]` are the digital samples.
pub fn write_record(
    record: &Path,
    rate: u32,
    gain: f64,
    adc: &[Vec<i32>],
    comments: &Comments,
) -> Result<()> {
    use crate::wfdb::{Format, SignalSpec};
    let name = record
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| IoError::invalid(record, "record name", "no UTF-8 file name"))?
        .to_string();
    let samples = adc.first().map_or(0, Vec::len);
    if adc.len() != LEADS.len() {
        return Err(IoError::invalid(
            record,
            "leads",
            format!("{} leads, the Challenge layout has 12", adc.len()),
        ));
    }
    let signals = LEADS
        .iter()
        .map(|lead| {
            let mut s = SignalSpec::new(format!("{name}.mat"), Format::F16);
            s.byte_offset = Some(24);
            s.adc_gain = Some(gain);
            s.baseline = Some(0);
            s.units = Some("mV".into());
            s.adc_res = Some(16);
            s.adc_zero = Some(0);
            s.block_size = Some(0);
            s.description = Some(lead.to_string());
            s
        })
        .collect();
    let header = Header {
        record_name: name.clone(),
        fs: Some(f64::from(rate)),
        counter_freq: None,
        base_counter: None,
        n_samples: Some(samples as u64),
        base_time: None,
        base_date: None,
        signals,
        comments: Vec::new(),
    };
    let mut h = crate::wfdb::write_record(record, &header, adc)?;
    let dir = record.parent().unwrap_or(Path::new("."));
    let mat = dir.join(format!("{name}.mat"));
    let mut bytes = std::fs::read(&mat).map_err(|e| IoError::io(&mat, e))?;
    bytes[..24].copy_from_slice(&mat_v4_header(LEADS.len(), samples));
    std::fs::write(&mat, bytes).map_err(|e| IoError::io(&mat, e))?;
    h.comments.clear();
    let text = format!(
        "{h}#Age: {}\n#Sex: {}\n#Dx: {}\n#Rx: Unknown\n#Hx: Unknown\n#Sx: Unknown\n",
        comments.age,
        comments.sex,
        comments.dx.join(",")
    );
    let hea = crate::wfdb::hea_path(record);
    std::fs::write(&hea, text).map_err(|e| IoError::io(&hea, e))
}

/// Options for [`pack`].
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The data directory (stored as the pack's source).
    pub data: PathBuf,
    /// Samples per record at the pack's rate: longer records keep their first `length`
    /// samples, shorter ones are zero-padded at the end.
    pub length: usize,
    /// How labels and folds were made (appended to the preprocessing text).
    pub labels_and_folds: String,
}

/// Streams a CinC pack to `out`: every record (header order) read, resampled to the pack's
/// rate and band-passed by `prep` (the preprocessing every packer shares), cropped or
/// zero-padded to `opts.length`. The per-record metadata (`records`, same order as
/// `headers`: labels and folds) comes from the caller. Errors name the record's file;
/// on any error nothing is left at `out`. Returns the number of records.
pub fn pack(
    headers: &[CincHeader],
    records: &[crate::pack::PackedRecord],
    opts: &PackOptions,
    prep: &crate::packer::Prep,
    out: &Path,
) -> Result<usize> {
    use crate::packer::{fit_length, write_streaming, LEADS_12};
    if opts.length == 0 {
        return Err(IoError::invalid(&opts.data, "length", "must be positive"));
    }
    if records.len() != headers.len() {
        return Err(IoError::invalid(
            &opts.data,
            "records",
            format!(
                "{} metadata rows for {} headers",
                records.len(),
                headers.len()
            ),
        ));
    }
    let mut per_source: Vec<(Source, usize)> = Vec::new();
    for h in headers {
        match per_source.iter_mut().find(|(s, _)| *s == h.source) {
            Some(e) => e.1 += 1,
            None => per_source.push((h.source, 1)),
        }
    }
    per_source.sort();
    let sources = per_source
        .iter()
        .map(|(s, n)| format!("{} {n} ({} Hz)", s.id(), s.rate()))
        .collect::<Vec<_>>()
        .join(", ");
    let len = opts.length;
    let meta = crate::pack::PackMeta {
        dataset: "cinc2021".into(),
        version: "2021".into(),
        rate: prep.rate(),
        leads: LEADS_12.iter().map(|s| s.to_string()).collect(),
        samples: len,
        preprocessing: format!(
            "{}; then cropped (first {len} samples kept) or zero-padded at the end to {len} samples; sources: {sources}; {}",
            prep.description(),
            opts.labels_and_folds
        ),
        bandpass: prep.bandpass(),
        source: opts.data.display().to_string(),
        statements: vec![],
    };
    write_streaming(out, &meta, records, |i| {
        let h = &headers[i];
        let r = read_signal(h)?;
        let (x, n) = prep.apply(
            &crate::wfdb::hea_path(&h.record),
            r.data,
            r.samples,
            h.wfdb.fs(),
        )?;
        Ok(fit_length(&x, n, len))
    })?;
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hea(comments: &str) -> String {
        let mut s = String::from("A0001 12 500 5000\n");
        for l in LEADS {
            s.push_str(&format!("A0001.mat 16+24 1000/mV 16 0 0 0 0 {l}\n"));
        }
        s + comments
    }

    fn parse(comments: &str) -> Result<CincHeader> {
        parse_header(&hea(comments), Path::new("/d/A0001"), Source::Cpsc)
    }

    #[test]
    fn reads_the_comment_fields() {
        let h = parse("#Age: 53\n#Sex: Female\n#Dx: 164889003,59118001\n#Rx: Unknown\n#Hx: x\n")
            .expect("header");
        assert_eq!(h.age, Some(53.0));
        assert_eq!(h.sex, Some(Sex::Female));
        assert_eq!(h.dx, vec!["164889003", "59118001"]);
        assert_eq!((h.rx, h.hx.as_deref()), (None, Some("x")));
        assert_eq!(h.wfdb.signals[0].byte_offset, Some(24));
        let h = parse("#Age: NaN\n#Sex: Unknown\n#Dx: 426783006\n").expect("header");
        assert_eq!((h.age, h.sex), (None, None));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = parse("#Age: 53\n#Sex: Male\n")
            .expect_err("must be refused")
            .to_string();
        assert!(e.contains("A0001.hea") && e.contains("#Dx"), "{e}");
        let e = parse("#Dx: 164889003,AF\n")
            .expect_err("must be refused")
            .to_string();
        assert!(e.contains(":14:") && e.contains("`AF`"), "{e}");
        let e = parse("#Age: old\n#Dx: 1\n")
            .expect_err("must be refused")
            .to_string();
        assert!(e.contains("#Age"), "{e}");
        let e = parse("#Sex: X\n#Dx: 1\n")
            .expect_err("must be refused")
            .to_string();
        assert!(e.contains("#Sex"), "{e}");
        let e = parse("#Dx:\n").expect_err("must be refused").to_string();
        assert!(e.contains("#Dx"), "{e}");
        let six = "A0001 6 500 5000\n".to_string()
            + &LEADS[..6]
                .iter()
                .map(|l| format!("A0001.mat 16+24 1000/mV 16 0 0 0 0 {l}\n"))
                .collect::<String>()
            + "#Dx: 1\n";
        let e = parse_header(&six, Path::new("/d/A0001"), Source::Cpsc)
            .expect_err("must be refused")
            .to_string();
        assert!(e.contains("leads") && e.contains("6 leads"), "{e}");
    }

    #[test]
    fn sources_from_folders_and_prefixes() {
        let root = Path::new("/data");
        let s = |p: &str| source_of(root, &root.join(p));
        assert_eq!(s("training/ningbo/g3/JS10650"), Some(Source::Ningbo));
        assert_eq!(
            s("training/chapman_shaoxing/g1/JS00001"),
            Some(Source::ChapmanShaoxing)
        );
        assert_eq!(s("JS00001"), Some(Source::ChapmanShaoxingOrNingbo));
        assert_eq!(s("x/HR00001"), Some(Source::PtbXl));
        assert_eq!(s("I0001"), Some(Source::Incart));
        assert_eq!(s("S0001"), Some(Source::Ptb));
        assert_eq!(s("A0001"), Some(Source::Cpsc));
        assert_eq!(s("Q0001"), Some(Source::CpscExtra));
        assert_eq!(s("E00001"), Some(Source::Georgia));
        assert_eq!(s("Z0001"), None);
        assert_eq!(s("Apple"), None);
    }

    #[test]
    fn write_then_scan_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let g = dir.path().join("training/ptb/g1");
        std::fs::create_dir_all(&g).expect("mkdir");
        let adc: Vec<Vec<i32>> = (0..12)
            .map(|l| (0..300).map(|t| t * (l + 1) - 500).collect())
            .collect();
        let c = Comments {
            age: "NaN".into(),
            sex: "M".into(),
            dx: vec!["426783006".into(), "164884008".into()],
        };
        write_record(&g.join("S0001"), 1000, 1000.0, &adc, &c).expect("write");
        let h = scan(dir.path()).expect("scan");
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].source, h[0].rate().expect("rate"), h[0].age, h[0].sex),
            (Source::Ptb, 1000, None, Some(Sex::Male))
        );
        assert_eq!(h[0].dx, c.dx);
        let r = read_signal(&h[0]).expect("signal");
        assert_eq!((r.leads, r.samples), (12, 300));
        assert_eq!(r.lead(2)[1], (3.0 - 500.0) / 1000.0);
        // A header without its .mat is named.
        std::fs::remove_file(g.join("S0001.mat")).expect("rm");
        let e = scan(dir.path()).expect_err("must be refused").to_string();
        assert!(e.contains("S0001.mat") && e.contains("missing"), "{e}");
        // No records at all is an error too.
        let empty = tempfile::tempdir().expect("tempdir");
        assert!(scan(empty.path()).is_err());
    }

    #[test]
    fn mat_header_layout() {
        let h = mat_v4_header(12, 5000);
        assert_eq!(&h[0..4], &30u32.to_le_bytes());
        assert_eq!(&h[4..8], &12u32.to_le_bytes());
        assert_eq!(&h[8..12], &5000u32.to_le_bytes());
        assert_eq!(&h[20..], b"val\0");
    }
}
