//! The packed dataset: one safetensors file holding every record's preprocessed signal
//! as one float32 tensor `signals` [records, leads, samples] (first in the file), the
//! per-record metadata as UTF-8 JSON in a U8 tensor `records` (after the signals), and
//! `format` + dataset metadata (`meta`) in the safetensors `__metadata__` map. Written by
//! streaming ([`write::PackWriter`]: header first, then one record at a time; bounded
//! memory, atomic rename), read by memory map ([`PackedDataset`]).
//!
//! `ecg-pack/1` files (records as JSON in `__metadata__`, which safetensors caps at
//! 100 MB of header, i.e. roughly 700k records) still open.
pub mod write;
use crate::ptbxl::ScpStatement;
use serde::{Deserialize, Serialize};
pub use write::PackWriter;

/// Per-record metadata, in the same order as the rows of `signals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackedRecord {
    /// Dataset-specific record name (PTB-XL: the ecg_id as a string; CPSC2018: `A0001`).
    pub id: String,
    pub ecg_id: Option<u32>,
    pub patient_id: Option<u32>,
    /// Fold 1..=10 (PTB-XL `strat_fold`; other datasets: assigned by the packer, stated in
    /// the metadata).
    pub fold: u8,
    /// Label statements with likelihoods, in source order. PTB-XL: `scp_codes` as parsed
    /// (code, likelihood); CPSC2018 / Hefei-Tianchi: (class name, 100.0).
    pub codes: Vec<(String, f64)>,
    /// The raw source text of the labels (PTB-XL: the `scp_codes` dict literal).
    pub codes_raw: String,
    /// Age in years as the source states it (PTB-XL writes 300 for every age over 89);
    /// `None` where the source has none or says unknown/NaN. Absent in older packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<f64>,
    /// Sex as the source states it; `None` where unknown. Absent in older packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
}

/// A record's sex as its source states it (PTB-XL's 0/1, CPSC2018's `Male`/`Female`,
/// Hefei-Tianchi's `MALE`/`FEMALE`, the Challenge headers' `M`/`F`/`Male`/`Female`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// `male`/`m`/`female`/`f` in any case; anything else is `None` (the caller decides
    /// whether that is an error).
    pub fn from_text(text: &str) -> Option<Sex> {
        match text.trim().to_ascii_lowercase().as_str() {
            "male" | "m" => Some(Sex::Male),
            "female" | "f" => Some(Sex::Female),
            _ => None,
        }
    }

    /// PTB-XL's `sex` column: 0 male, 1 female (the dataset's documentation).
    pub fn from_ptbxl(code: u8) -> Option<Sex> {
        match code {
            0 => Some(Sex::Male),
            1 => Some(Sex::Female),
            _ => None,
        }
    }
}

/// A zero-phase Butterworth band-pass applied to every lead before packing: scipy's
/// `butter(order, [low_hz, high_hz], 'bandpass', fs=rate, output='sos')` then `sosfiltfilt`.
/// Stored so that `ecg predict` can replay it on new records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bandpass {
    pub low_hz: f64,
    pub high_hz: f64,
    pub order: usize,
}

/// Dataset-level metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackMeta {
    /// `ptbxl`, `cpsc2018`, `hefei`, `synthetic-ptbxl`.
    pub dataset: String,
    /// Dataset version, e.g. `1.0.3`.
    pub version: String,
    /// Sampling rate of `signals` in Hz.
    pub rate: u32,
    /// Lead names, in row order of each record.
    pub leads: Vec<String>,
    /// Samples per record.
    pub samples: usize,
    /// Human-readable description of the preprocessing (band-pass, resampling, crop/pad).
    pub preprocessing: String,
    /// The band-pass in `preprocessing`, in a form that can be replayed; `None` when the
    /// signals were not filtered (and in packs written before this field existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandpass: Option<Bandpass>,
    /// Where the data came from (a path or URL).
    pub source: String,
    /// PTB-XL: the full `scp_statements.csv` table, so label tasks can be built from the
    /// pack alone. Empty for datasets whose codes are already class names.
    pub statements: Vec<ScpStatement>,
}

use crate::error::{IoError, Result};
use memmap2::Mmap;
use safetensors::tensor::{Dtype, SafeTensors};
use std::path::{Path, PathBuf};

/// The value of the `format` metadata key of every pack this crate writes.
pub const FORMAT: &str = "ecg-pack/2";
/// The earlier format (records in `__metadata__`), still read.
pub const FORMAT_V1: &str = "ecg-pack/1";

#[cfg(not(target_endian = "little"))]
compile_error!("packs are little-endian float32 (safetensors); big-endian hosts are not supported");

/// A packed dataset opened by memory map: the signals stay on disk and are paged in on
/// demand. Invariants checked at open: the file is safetensors, `format` is
/// [`FORMAT`], `meta` and `records` parse, and `signals` is F32 with shape
/// [records, leads, samples] matching them.
pub struct PackedDataset {
    path: PathBuf,
    map: Mmap,
    /// Byte range of `signals` inside the file.
    range: std::ops::Range<usize>,
    meta: PackMeta,
    records: Vec<PackedRecord>,
    /// leads * samples
    stride: usize,
}

impl std::fmt::Debug for PackedDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedDataset")
            .field("path", &self.path)
            .field("records", &self.records.len())
            .field("meta", &self.meta)
            .finish()
    }
}

fn damaged(path: &Path, field: &str, msg: impl Into<String>) -> IoError {
    IoError::invalid(path, field, msg)
}

/// Memory-map a whole file read-only.
#[allow(unsafe_code)]
fn map_file(path: &Path) -> Result<Mmap> {
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    // SAFETY: the map is read-only and private to this process. As with every memory map,
    // another process truncating or rewriting the file while it is mapped is undefined
    // behaviour; packs are written once, atomically (temp file + rename), never in place.
    unsafe { Mmap::map(&file) }.map_err(|e| IoError::io(path, e))
}

impl PackedDataset {
    /// Open and validate a pack (see the type's invariants). A file that is not
    /// safetensors, a safetensors file that is not a pack, a truncated file or
    /// inconsistent metadata each give an [`IoError::Invalid`] naming the file.
    pub fn open(path: &Path) -> Result<Self> {
        let map = map_file(path)?;
        let (header_len, metadata) = SafeTensors::read_metadata(&map).map_err(|e| {
            damaged(
                path,
                "safetensors header",
                format!("not a readable safetensors file ({e})"),
            )
        })?;
        let kv = metadata.metadata().clone().unwrap_or_default();
        let v1 = match kv.get("format").map(String::as_str) {
            Some(FORMAT) => false,
            Some(FORMAT_V1) => true,
            Some(other) => {
                return Err(damaged(
                    path,
                    "format",
                    format!("`{other}` is not `{FORMAT}` (a pack from another tool or version)"),
                ))
            }
            None => {
                return Err(damaged(
                    path,
                    "format",
                    format!(
                        "no `format` metadata: a safetensors file, but not an ecg pack ({FORMAT})"
                    ),
                ))
            }
        };
        let meta: PackMeta = serde_json::from_str(
            kv.get("meta")
                .ok_or_else(|| damaged(path, "meta", "missing"))?,
        )
        .map_err(|e| damaged(path, "meta", e.to_string()))?;
        let records: Vec<PackedRecord> = if v1 {
            serde_json::from_str(
                kv.get("records")
                    .ok_or_else(|| damaged(path, "records", "missing"))?,
            )
            .map_err(|e| damaged(path, "records", e.to_string()))?
        } else {
            let info = metadata
                .info("records")
                .filter(|i| i.dtype == Dtype::U8)
                .ok_or_else(|| damaged(path, "records", "no U8 `records` tensor"))?;
            let at = 8 + header_len;
            let bytes = map
                .get(at + info.data_offsets.0..at + info.data_offsets.1)
                .ok_or_else(|| damaged(path, "records", "truncated"))?;
            serde_json::from_slice(bytes).map_err(|e| damaged(path, "records", e.to_string()))?
        };
        let info = metadata
            .info("signals")
            .ok_or_else(|| damaged(path, "signals", "no `signals` tensor"))?;
        if info.dtype != Dtype::F32 {
            return Err(damaged(
                path,
                "signals",
                format!("dtype {:?}, expected F32", info.dtype),
            ));
        }
        let want = [records.len(), meta.leads.len(), meta.samples];
        if info.shape != want {
            return Err(damaged(
                path,
                "signals",
                format!(
                    "shape {:?} but the metadata says [records, leads, samples] = {want:?}",
                    info.shape
                ),
            ));
        }
        let start = 8 + header_len + info.data_offsets.0;
        let end = 8 + header_len + info.data_offsets.1;
        let n = want.iter().product::<usize>();
        if end - start != n * 4 || end > map.len() {
            return Err(damaged(
                path,
                "signals",
                format!(
                    "truncated: {} bytes for {n} floats, file has {}",
                    end.saturating_sub(start),
                    map.len()
                ),
            ));
        }
        bytemuck::try_cast_slice::<u8, f32>(&map[start..end])
            .map_err(|e| damaged(path, "signals", format!("misaligned tensor data ({e})")))?;
        Ok(PackedDataset {
            path: path.to_path_buf(),
            stride: meta.leads.len() * meta.samples,
            map,
            range: start..end,
            meta,
            records,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&self) -> &PackMeta {
        &self.meta
    }

    pub fn records(&self) -> &[PackedRecord] {
        &self.records
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// All signals // [records * leads * samples], row-major.
    pub fn signals(&self) -> &[f32] {
        // checked in `open`: length is a multiple of 4 and the start is 4-aligned
        bytemuck::try_cast_slice(&self.map[self.range.clone()]).unwrap_or(&[])
    }

    /// Record `i`'s signal // [leads * samples], row-major. Panics if `i >= len()`, like
    /// slice indexing.
    pub fn signal(&self, i: usize) -> &[f32] {
        &self.signals()[i * self.stride..(i + 1) * self.stride]
    }
}

/// Write a pack from signals already in memory (small packs, tests): [`PackWriter`] fed
/// record by record, so the checks and the atomic write are the streaming writer's.
/// Checks that `signals` holds records × leads × samples finite values and every fold is
/// 1..=10.
pub fn write_pack(
    path: &Path,
    meta: &PackMeta,
    records: &[PackedRecord],
    signals: &[f32],
) -> Result<()> {
    let shape = [records.len(), meta.leads.len(), meta.samples];
    let n: usize = shape.iter().product();
    if signals.len() != n {
        return Err(IoError::invalid(
            path,
            "signals",
            format!("{} values for shape {shape:?} ({n})", signals.len()),
        ));
    }
    let mut w = PackWriter::create(path, meta, records)?;
    let stride = meta.leads.len() * meta.samples;
    for i in 0..records.len() {
        w.push(&signals[i * stride..(i + 1) * stride])?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::TensorView;
    use std::collections::HashMap;

    fn sample() -> (PackMeta, Vec<PackedRecord>, Vec<f32>) {
        let meta = PackMeta {
            dataset: "test".into(),
            version: "0".into(),
            rate: 100,
            leads: vec!["I".into(), "II".into()],
            samples: 3,
            preprocessing: "none".into(),
            bandpass: None,
            source: "unit test".into(),
            statements: vec![],
        };
        let records = (0..4)
            .map(|i| PackedRecord {
                id: format!("r{i}"),
                ecg_id: Some(i),
                patient_id: None,
                fold: (i % 10 + 1) as u8,
                codes: vec![("NORM".into(), 100.0)],
                codes_raw: "{'NORM': 100.0}".into(),
                age: (i % 2 == 0).then_some(40.0 + i as f64),
                sex: Some(if i % 3 == 0 { Sex::Female } else { Sex::Male }),
            })
            .collect();
        let signals = (0..24).map(|v| v as f32 * 0.5 - 3.0).collect();
        (meta, records, signals)
    }

    #[test]
    fn round_trips_through_a_memory_map() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.safetensors");
        let (meta, records, signals) = sample();
        write_pack(&p, &meta, &records, &signals).expect("writes");
        let d = PackedDataset::open(&p).expect("opens");
        assert_eq!(d.meta(), &meta);
        assert_eq!(d.records(), &records[..]);
        assert_eq!(d.len(), 4);
        assert_eq!(d.signals(), &signals[..]);
        assert_eq!(d.signal(2), &signals[12..18]);
        // no temp file left behind
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    fn err_of(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("bad.safetensors");
        std::fs::write(&p, bytes).expect("write");
        PackedDataset::open(&p).expect_err("must fail").to_string()
    }

    #[test]
    fn the_band_pass_round_trips_and_older_packs_without_it_still_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.safetensors");
        let (mut meta, records, signals) = sample();
        meta.bandpass = Some(Bandpass {
            low_hz: 0.5,
            high_hz: 40.0,
            order: 4,
        });
        write_pack(&p, &meta, &records, &signals).expect("writes");
        assert_eq!(PackedDataset::open(&p).expect("opens").meta(), &meta);
        // A meta object written before the field existed.
        let mut v = serde_json::to_value(&meta).expect("json");
        v.as_object_mut().expect("object").remove("bandpass");
        let old: PackMeta = serde_json::from_value(v).expect("older meta parses");
        assert_eq!(old.bandpass, None);
    }

    #[test]
    fn age_and_sex_round_trip_and_records_written_before_them_still_parse() {
        let (_, records, _) = sample();
        let json = serde_json::to_string(&records).expect("json");
        assert!(json.contains(r#""sex":"female""#), "{json}");
        assert_eq!(
            serde_json::from_str::<Vec<PackedRecord>>(&json).expect("parses"),
            records
        );
        // Record 1 has no age: the key is left out rather than written as null.
        let one = serde_json::to_value(&records[1]).expect("json");
        assert!(one.get("age").is_none(), "{one}");
        let old = r#"{"id":"7","ecg_id":7,"patient_id":null,"fold":3,"codes":[],"codes_raw":""}"#;
        let r: PackedRecord = serde_json::from_str(old).expect("an older record parses");
        assert_eq!((r.age, r.sex), (None, None));
    }

    #[test]
    fn sex_is_read_from_every_source_spelling_and_nothing_else() {
        for (text, want) in [
            ("MALE", Some(Sex::Male)),
            ("Female", Some(Sex::Female)),
            (" m ", Some(Sex::Male)),
            ("F", Some(Sex::Female)),
            ("Unknown", None),
            ("", None),
            ("2", None),
        ] {
            assert_eq!(Sex::from_text(text), want, "{text:?}");
        }
        assert_eq!(Sex::from_ptbxl(0), Some(Sex::Male));
        assert_eq!(Sex::from_ptbxl(1), Some(Sex::Female));
        assert_eq!(Sex::from_ptbxl(2), None);
    }

    #[test]
    fn damaged_and_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.safetensors");
        let (meta, records, signals) = sample();
        write_pack(&p, &meta, &records, &signals).expect("writes");
        let good = std::fs::read(&p).expect("read");
        // truncated
        let e = err_of(&good[..good.len() - 10]);
        assert!(
            e.contains("bad.safetensors") && e.contains("safetensors"),
            "{e}"
        );
        // garbage
        let e = err_of(b"this is not a pack at all, just text");
        assert!(e.contains("not a readable safetensors file"), "{e}");
        let e = err_of(b"");
        assert!(e.contains("bad.safetensors"), "{e}");
        // wrong format tag (same length, so the header stays valid)
        let mut tagged = good.clone();
        let at = tagged
            .windows(10)
            .position(|w| w == b"ecg-pack/2")
            .expect("tag present");
        tagged[at + 9] = b'9';
        let e = err_of(&tagged);
        assert!(e.contains("ecg-pack/9"), "{e}");
        // a safetensors file that is not a pack
        let other = dir.path().join("other.safetensors");
        let view =
            TensorView::new(Dtype::F32, vec![2], bytemuck::cast_slice(&[1f32, 2.0])).expect("view");
        safetensors::serialize_to_file([("weight", view)], None, &other).expect("write");
        let e = PackedDataset::open(&other)
            .expect_err("foreign")
            .to_string();
        assert!(e.contains("not an ecg pack"), "{e}");
        // missing file
        let e = PackedDataset::open(&dir.path().join("nope"))
            .expect_err("missing")
            .to_string();
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn the_writer_refuses_inconsistent_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.safetensors");
        let (meta, mut records, mut signals) = sample();
        let e = write_pack(&p, &meta, &records, &signals[..20])
            .expect_err("short")
            .to_string();
        assert!(e.contains("20 values"), "{e}");
        signals[13] = f32::NAN;
        let e = write_pack(&p, &meta, &records, &signals)
            .expect_err("nan")
            .to_string();
        assert!(e.contains("record `r2`, lead 0, sample 1"), "{e}");
        signals[13] = 0.0;
        records[1].fold = 0;
        let e = write_pack(&p, &meta, &records, &signals)
            .expect_err("fold")
            .to_string();
        assert!(e.contains("fold 0"), "{e}");
        assert!(!p.exists());
    }

    #[test]
    fn version_1_packs_with_records_in_the_header_still_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("v1.safetensors");
        let (meta, records, signals) = sample();
        let mut kv = HashMap::new();
        kv.insert("format".to_string(), FORMAT_V1.to_string());
        kv.insert(
            "meta".to_string(),
            serde_json::to_string(&meta).expect("json"),
        );
        kv.insert(
            "records".to_string(),
            serde_json::to_string(&records).expect("json"),
        );
        let view = TensorView::new(Dtype::F32, vec![4, 2, 3], bytemuck::cast_slice(&signals))
            .expect("view");
        safetensors::serialize_to_file([("signals", view)], Some(kv), &p).expect("write");
        let d = PackedDataset::open(&p).expect("opens");
        assert_eq!(d.records(), &records[..]);
        assert_eq!(d.signals(), &signals[..]);
    }

    #[test]
    fn the_streaming_writer_matches_safetensors_and_leaves_nothing_when_stopped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.safetensors");
        let (meta, records, signals) = sample();
        // The file is a plain safetensors file: the reference reader sees both tensors.
        write_pack(&p, &meta, &records, &signals).expect("writes");
        let bytes = std::fs::read(&p).expect("read");
        let st = SafeTensors::deserialize(&bytes).expect("safetensors reads it");
        let sig = st.tensor("signals").expect("signals");
        assert_eq!(sig.shape(), &[4, 2, 3]);
        assert_eq!(sig.data(), bytemuck::cast_slice::<f32, u8>(&signals));
        let rec: Vec<PackedRecord> =
            serde_json::from_slice(st.tensor("records").expect("records").data()).expect("json");
        assert_eq!(rec, records);
        // Stopped half-way (an error, a panic): no file, no temporary file.
        let q = dir.path().join("half.safetensors");
        {
            let mut w = PackWriter::create(&q, &meta, &records).expect("create");
            w.push(&signals[..6]).expect("push");
            assert!(write::temp_path(&q).expect("tmp").exists());
        }
        assert!(!q.exists());
        assert!(!write::temp_path(&q).expect("tmp").exists());
        // A killed writer leaves only the hidden temporary file, which does not open.
        let mut w = PackWriter::create(&q, &meta, &records).expect("create");
        w.push(&signals[..6]).expect("push");
        let tmp = write::temp_path(&q).expect("tmp");
        let killed = dir.path().join("killed.safetensors");
        std::fs::copy(&tmp, &killed).expect("copy");
        let e = PackedDataset::open(&killed)
            .expect_err("incomplete")
            .to_string();
        assert!(e.contains("killed.safetensors"), "{e}");
        // Too few records: refused, nothing kept.
        let e = w.finish().expect_err("short").to_string();
        assert!(e.contains("1 of 4 records written"), "{e}");
        assert!(!q.exists() && !tmp.exists());
        // A wrong length and a record too many name the record.
        let mut w = PackWriter::create(&q, &meta, &records).expect("create");
        let e = w.push(&signals[..5]).expect_err("len").to_string();
        assert!(e.contains("record `r0`: 5 values"), "{e}");
        for i in 0..4 {
            w.push(&signals[i * 6..(i + 1) * 6]).expect("push");
        }
        let e = w.push(&signals[..6]).expect_err("extra").to_string();
        assert!(e.contains("more signals than the 4 records"), "{e}");
        w.finish().expect("finish");
        assert_eq!(
            PackedDataset::open(&q).expect("opens").signals(),
            &signals[..]
        );
    }
}
