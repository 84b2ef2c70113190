//! Property tests of the MAT-5 reader: arbitrary bytes, arbitrary bytes after a valid
//! header, and mutated valid files (byte flips, truncation, inserted/deleted runs, both
//! byte orders, compressed and not) must never panic: `parse` returns Ok or Err.
use ecg_io::mat;
use proptest::prelude::*;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

fn golden(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/cpsc2018")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Seeds: the synthetic golden files, the first real CPSC file when present, and an
/// uncompressed twin of every compressed seed (so mutations also reach the element parser
/// behind zlib, which almost every flipped compressed byte would stop).
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut s: Vec<Vec<u8>> = [
            "synthetic_be.mat",
            "synthetic_le_z.mat",
            "synthetic_be_z.mat",
        ]
        .iter()
        .map(|n| golden(n))
        .collect();
        let real = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/cpsc2018-sample/A1980.mat");
        match std::fs::read(&real) {
            Ok(b) => s.push(b),
            Err(_) => eprintln!(
                "\n!!!!!!!! mat_fuzz: {} not found; fuzzing the synthetic seeds only !!!!!!!!\n",
                real.display()
            ),
        }
        let inflated: Vec<Vec<u8>> = s.iter().filter_map(|b| inflate_all(b)).collect();
        s.extend(inflated);
        s
    })
}

/// Rewrite a file's miCOMPRESSED elements as the plain elements they hold (None when the
/// file has no compressed element).
fn inflate_all(b: &[u8]) -> Option<Vec<u8>> {
    let big = &b[126..128] == b"MI";
    let word = |x: &[u8]| {
        let a = [x[0], x[1], x[2], x[3]];
        if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let mut out = b[..128].to_vec();
    let mut pos = 128;
    let mut any = false;
    while pos + 8 <= b.len() {
        let (ty, n) = (word(&b[pos..]), word(&b[pos + 4..]) as usize);
        let data = &b[pos + 8..pos + 8 + n];
        if ty == 15 {
            let mut plain = Vec::new();
            flate2::read::ZlibDecoder::new(data)
                .read_to_end(&mut plain)
                .ok()?;
            out.extend_from_slice(&plain);
            any = true;
            pos += 8 + n;
        } else {
            let padded = (n + 7) / 8 * 8;
            out.extend_from_slice(&b[pos..(pos + 8 + padded).min(b.len())]);
            pos += 8 + padded;
        }
    }
    any.then_some(out)
}

fn header(big: bool) -> Vec<u8> {
    let mut h = vec![b' '; 116];
    h.extend_from_slice(&[0u8; 8]);
    h.extend_from_slice(if big {
        &[1, 0, b'M', b'I']
    } else {
        &[0, 1, b'I', b'M']
    });
    h
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        xor: u8,
    },
    Set {
        at: usize,
        value: u8,
    },
    Truncate {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    /// Overwrite a 4-byte word (lengths, types, dims) with an extreme value.
    Word {
        at: usize,
        value: u32,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Set { at, value }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(8),
                Just(0xffff_ffff),
                Just(0x7fff_ffff),
                Just(0x8000_0000),
                any::<u32>()
            ]
        )
            .prop_map(|(at, value)| Mutation::Word { at, value }),
    ]
}

fn apply(mut b: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if b.is_empty() {
            break;
        }
        let n = b.len();
        match m {
            Mutation::Flip { at, xor } => b[at % n] ^= xor,
            Mutation::Set { at, value } => b[at % n] = *value,
            Mutation::Truncate { at } => b.truncate(at % n),
            Mutation::Insert { at, bytes } => {
                let at = at % n;
                b.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(n);
                b.drain(at..end);
            }
            Mutation::Word { at, value } => {
                // Mostly hit the element area after the 128-byte header, word aligned.
                if n >= 132 {
                    let at = 128 + (at % (n - 131)) / 4 * 4;
                    let at = at.min(n - 4);
                    b[at..at + 4].copy_from_slice(&value.to_le_bytes());
                }
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = mat::parse(&bytes, Path::new("fuzz.mat"));
    }

    #[test]
    fn arbitrary_elements_after_a_valid_header_never_panic(
        big in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut b = header(big);
        b.extend_from_slice(&body);
        let _ = mat::parse(&b, Path::new("fuzz.mat"));
    }

    #[test]
    fn mutated_valid_files_never_panic(
        seed in any::<usize>(),
        muts in proptest::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let base = seeds[seed % seeds.len()].clone();
        let b = apply(base, &muts);
        let _ = mat::parse(&b, Path::new("fuzz.mat"));
    }
}

/// The seeds themselves parse (so mutations start from valid files).
#[test]
fn seeds_are_valid() {
    assert!(
        seeds().len() >= 5,
        "compressed seeds have uncompressed twins"
    );
    for s in seeds() {
        mat::parse(s, Path::new("seed.mat")).unwrap_or_else(|e| panic!("{e}"));
    }
}
