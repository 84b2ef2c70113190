//! WFDB's FLAC signal formats 508, 516 and 524: one FLAC stream per data file, one FLAC
//! channel per signal of that file (so at most 8 signals per file), every signal with the
//! same samples per frame (FLAC sample `i` of channel `j` is expanded sample `i` of signal
//! `j`), at most 8, 16 or 24 bits per sample. The header's `+offset` counts FLAC samples
//! to skip, not bytes. This is how wfdb-python 4.3 (through libsndfile) writes and reads
//! them (`wfdb/io/_signal.py`, `_rd_compressed_file`).
//!
//! Decoder: the `claxon` crate (0.4). Chosen over `symphonia-bundle-flac` because it is a
//! dependency-free, single-purpose FLAC decoder that checks every frame's CRC, returns each
//! channel's samples as plain i32 at the stream's own bit depth (nothing to un-scale),
//! covers the 8-24 bits and up to 8 channels that WFDB writes, is fuzzed and compared
//! against libFLAC's reference decoder (the decoder under libsndfile, hence under
//! wfdb-python), and reports a stream cut inside a frame as an error (tested in
//! tests/wfdb_bad_input.rs). Its last release is from 2020, but the FLAC format is frozen;
//! symphonia (actively developed) would bring a media-framework API (format reader, codec
//! registry, audio buffers) and several more crates for the same samples, and its readers
//! signal the end of a stream with the same unexpected-end-of-file error that a cut stream
//! gives, which would leave truncation to the sample count alone.
use super::format::Format;
use crate::error::{IoError, Result};
use std::io::Read;
use std::path::Path;

/// The decoded samples of one FLAC data file: per channel (= per signal of the file), the
/// expanded samples after the header's sample offset.
#[derive(Debug)]
pub struct FlacSamples {
    pub channels: Vec<Vec<i32>>,
    /// FLAC samples per channel after the offset.
    pub len: usize,
}

/// Decode `path` as the FLAC data file of `n_sig` signals in `format`, skipping `offset`
/// samples per channel. Every failure names the file and the field.
pub fn read_flac(path: &Path, format: Format, n_sig: usize, offset: u64) -> Result<FlacSamples> {
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut reader, &mut magic).map_err(|e| IoError::io(path, e))?;
    if got < 4 || &magic != b"fLaC" {
        return Err(IoError::invalid(
            path,
            "format",
            format!("format {format} needs a FLAC stream, but the file does not start with `fLaC`"),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let mut flac = claxon::FlacReader::new(std::io::BufReader::new(file))
        .map_err(|e| stream_error(path, e))?;
    let info = flac.streaminfo();
    check_info(path, format, n_sig, info.bits_per_sample, info.channels)?;
    let mut channels: Vec<Vec<i32>> = vec![Vec::new(); n_sig];
    let mut blocks = flac.blocks();
    let mut buffer = Vec::new();
    loop {
        match blocks.read_next_or_eof(buffer) {
            Ok(Some(block)) => {
                for (j, ch) in channels.iter_mut().enumerate() {
                    ch.extend_from_slice(block.channel(j as u32));
                }
                buffer = block.into_buffer();
            }
            Ok(None) => break,
            Err(e) => return Err(stream_error(path, e)),
        }
    }
    let total = channels.first().map_or(0, Vec::len);
    if let Some(expected) = info.samples {
        if expected != total as u64 {
            return Err(IoError::invalid(
                path,
                "length",
                format!(
                    "truncated FLAC stream: its header says {expected} samples per channel, \
                     the frames hold {total}"
                ),
            ));
        }
    }
    let skip = usize::try_from(offset)
        .ok()
        .filter(|&s| s <= total)
        .ok_or_else(|| {
            IoError::invalid(
                path,
                "byte offset",
                format!("sample offset {offset} lies beyond the stream's {total} samples"),
            )
        })?;
    for ch in &mut channels {
        ch.drain(..skip);
    }
    Ok(FlacSamples {
        channels,
        len: total - skip,
    })
}

fn check_info(path: &Path, format: Format, n_sig: usize, bits: u32, channels: u32) -> Result<()> {
    if bits > format.bits() {
        return Err(IoError::invalid(
            path,
            "format",
            format!(
                "the FLAC stream has {bits} bits per sample; format {format} allows at most {}",
                format.bits()
            ),
        ));
    }
    if channels as usize != n_sig {
        return Err(IoError::invalid(
            path,
            "number of signals",
            format!("the FLAC stream has {channels} channels; the header puts {n_sig} signals in this file"),
        ));
    }
    Ok(())
}

fn stream_error(path: &Path, e: claxon::Error) -> IoError {
    let what = match e {
        claxon::Error::IoError(ref io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated FLAC stream (the file ends inside a frame)".to_string()
        }
        ref e => format!("damaged FLAC stream: {e}"),
    };
    IoError::invalid(path, "FLAC stream", what)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
