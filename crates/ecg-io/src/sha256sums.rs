//! `SHA256SUMS.txt` checksum lists (as PhysioNet publishes them) and streaming file
//! verification.
//!
//! A list has one `<64 hex digits><whitespace><relative path>` entry per line (GNU
//! `sha256sum` writes two spaces, or ` *` in binary mode; PhysioNet writes one space).
//! Blank lines are skipped; anything else that does not parse is an error naming the line.
//! Paths are kept as written (with `/` separators), minus a leading `./`.
//!
//! ```no_run
//! # fn main() -> ecg_io::Result<()> {
//! use ecg_io::sha256sums::{verify_file, Sha256Sums};
//! use std::path::Path;
//! let dir = Path::new("ptb-xl");
//! let sums = Sha256Sums::read(&dir.join("SHA256SUMS.txt"))?;
//! if let Some(expected) = sums.get("scp_statements.csv") {
//!     verify_file(&dir.join("scp_statements.csv"), expected)?;
//! }
//! # Ok(()) }
//! ```
use crate::error::{IoError, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A SHA-256 digest (32 bytes); `Display` writes it as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

impl FromStr for Sha256Digest {
    type Err = String;

    /// Parse 64 hex digits (either case).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(format!(
                "expected 64 hex digits, found {} characters",
                s.len()
            ));
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or_else(|| format!("`{s}` is not hexadecimal"))?;
            let lo = hex_value(pair[1]).ok_or_else(|| format!("`{s}` is not hexadecimal"))?;
            out[i] = (hi << 4) | lo;
        }
        Ok(Sha256Digest(out))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A parsed checksum list: entries in file order plus a path index.
#[derive(Debug, Clone)]
pub struct Sha256Sums {
    /// Where the list came from (for error messages).
    source: PathBuf,
    entries: Vec<(String, Sha256Digest)>,
    index: HashMap<String, usize>,
}

impl Sha256Sums {
    /// Read and parse a checksum list file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| IoError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parse checksum-list text; `path` only names the list in errors.
    ///
    /// Errors: a line without a path, a digest that is not 64 hex digits, or one path listed
    /// twice with different digests (the same digest twice is accepted).
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut entries: Vec<(String, Sha256Digest)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let (hex, rest) = line.split_once([' ', '\t']).ok_or_else(|| {
                IoError::parse(path, line_no, "path", "no file name after the digest")
            })?;
            let digest: Sha256Digest = hex
                .parse()
                .map_err(|msg: String| IoError::parse(path, line_no, "sha256", msg))?;
            // `sha256sum` separates with two spaces or ` *` (binary mode).
            let name = rest.trim_start_matches([' ', '\t']);
            let name = name.strip_prefix('*').unwrap_or(name);
            let name = name.strip_prefix("./").unwrap_or(name);
            if name.is_empty() {
                return Err(IoError::parse(
                    path,
                    line_no,
                    "path",
                    "no file name after the digest",
                ));
            }
            match index.get(name) {
                Some(&j) if entries[j].1 != digest => {
                    return Err(IoError::parse(
                        path,
                        line_no,
                        "path",
                        format!("`{name}` is listed twice with different digests"),
                    ));
                }
                Some(_) => {}
                None => {
                    index.insert(name.to_string(), entries.len());
                    entries.push((name.to_string(), digest));
                }
            }
        }
        Ok(Sha256Sums {
            source: path.to_path_buf(),
            entries,
            index,
        })
    }

    /// The expected digest of `rel_path` (as written in the list, `/`-separated; a leading
    /// `./` is ignored), or `None` when the list does not name it.
    pub fn get(&self, rel_path: &str) -> Option<&Sha256Digest> {
        let key = rel_path.strip_prefix("./").unwrap_or(rel_path);
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    /// Entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Sha256Digest)> {
        self.entries.iter().map(|(p, d)| (p.as_str(), d))
    }

    /// Number of distinct paths listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the list names no file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file the list was read from (as given to [`Sha256Sums::parse`]).
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Verify `root/<rel_path>` against its listed digest. Errors when the list does not name
    /// `rel_path` (`Invalid`), the file cannot be read (`Io`), or the digest differs
    /// (`Sha256Mismatch`).
    pub fn verify(&self, root: &Path, rel_path: &str) -> Result<()> {
        let expected = self.get(rel_path).ok_or_else(|| {
            IoError::invalid(
                &self.source,
                "path",
                format!("`{rel_path}` is not listed, so it cannot be verified"),
            )
        })?;
        verify_file(&root.join(rel_path), expected)
    }
}

/// Streaming SHA-256 of everything `reader` yields; `path` only names the source in errors.
pub fn hash_reader(mut reader: impl Read, path: &Path) -> Result<Sha256Digest> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(IoError::io(path, e)),
        };
        hasher.update(&buf[..n]);
    }
    Ok(Sha256Digest(hasher.finalize().into()))
}

/// Streaming SHA-256 of a file (64 KiB at a time; the file is never held in memory).
pub fn hash_file(path: &Path) -> Result<Sha256Digest> {
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    hash_reader(file, path)
}

/// SHA-256 of an in-memory buffer.
pub fn hash_bytes(bytes: &[u8]) -> Sha256Digest {
    Sha256Digest(Sha256::digest(bytes).into())
}

/// Hash `path` and compare with `expected`; a mismatch is [`IoError::Sha256Mismatch`]
/// naming the file and both digests.
pub fn verify_file(path: &Path, expected: &Sha256Digest) -> Result<()> {
    let actual = hash_file(path)?;
    if &actual == expected {
        Ok(())
    } else {
        Err(IoError::Sha256Mismatch {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Digest of the empty input and of "abc" (FIPS 180-2 test vectors).
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn fips_vectors() {
        assert_eq!(hash_bytes(b"").to_string(), EMPTY);
        assert_eq!(hash_bytes(b"abc").to_string(), ABC);
        let streamed = hash_reader(&b"abc"[..], Path::new("mem")).map(|d| d.to_string());
        assert_eq!(streamed.ok().as_deref(), Some(ABC));
    }

    #[test]
    fn parses_one_space_two_spaces_binary_marker_and_dot_slash() {
        let text = format!(
            "{EMPTY} LICENSE.txt\n{ABC}  records100/00000/00001_lr.hea\r\n\n{}  *./b.dat\n",
            ABC.to_uppercase()
        );
        let sums = Sha256Sums::parse(&text, Path::new("SUMS")).expect("valid list");
        assert_eq!(sums.len(), 3);
        assert_eq!(
            sums.get("LICENSE.txt").map(|d| d.to_string()).as_deref(),
            Some(EMPTY)
        );
        assert_eq!(
            sums.get("records100/00000/00001_lr.hea")
                .map(|d| d.to_string())
                .as_deref(),
            Some(ABC)
        );
        assert_eq!(
            sums.get("./b.dat").map(|d| d.to_string()).as_deref(),
            Some(ABC)
        );
        assert!(sums.get("missing").is_none());
        let order: Vec<&str> = sums.iter().map(|(p, _)| p).collect();
        assert_eq!(
            order,
            ["LICENSE.txt", "records100/00000/00001_lr.hea", "b.dat"]
        );
    }

    #[test]
    fn rejects_bad_lines_naming_the_line() {
        for (text, line) in [
            (format!("{EMPTY} a\nnot-a-digest b\n"), 2),
            (format!("{EMPTY}\n"), 1),
            (format!("{} a\n", &EMPTY[..63]), 1),
            (format!("{EMPTY} a\n{ABC} a\n"), 2),
        ] {
            match Sha256Sums::parse(&text, Path::new("SUMS")) {
                Err(IoError::Parse { line: l, path, .. }) => {
                    assert_eq!(l, line, "{text}");
                    assert_eq!(path, Path::new("SUMS"));
                }
                other => panic!("{text:?}: expected a parse error, got {other:?}"),
            }
        }
        // The same entry twice is harmless.
        let dup = format!("{EMPTY} a\n{EMPTY} a\n");
        assert_eq!(
            Sha256Sums::parse(&dup, Path::new("S"))
                .map(|s| s.len())
                .ok(),
            Some(1)
        );
    }

    #[test]
    fn verify_file_accepts_and_refuses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("abc.txt");
        std::fs::write(&f, b"abc").expect("write");
        let abc: Sha256Digest = ABC.parse().expect("hex");
        let empty: Sha256Digest = EMPTY.parse().expect("hex");
        assert!(verify_file(&f, &abc).is_ok());
        match verify_file(&f, &empty) {
            Err(IoError::Sha256Mismatch {
                path,
                expected,
                actual,
            }) => {
                assert_eq!(path, f);
                assert_eq!(expected, EMPTY);
                assert_eq!(actual, ABC);
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        assert!(matches!(
            verify_file(&dir.path().join("nope"), &abc),
            Err(IoError::Io { .. })
        ));
        let sums = Sha256Sums::parse(&format!("{ABC}  abc.txt\n"), Path::new("S")).expect("list");
        assert!(sums.verify(dir.path(), "abc.txt").is_ok());
        assert!(matches!(
            sums.verify(dir.path(), "other.txt"),
            Err(IoError::Invalid { .. })
        ));
    }
}
