//! Decoding benchmarks: the byte codecs (format 16 and 212, 12 leads x 5000 samples) and
//! reading a real PTB-XL record (header + data + checksums + physical conversion).
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecg_io::wfdb::format::{decode, encode, Format};
use std::hint::black_box;
use std::path::Path;

fn codecs(c: &mut Criterion) {
    let n = 12 * 5000;
    let vals: Vec<i32> = (0..n as i32).map(|i| (i * 37) % 4000 - 2000).collect();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(n as u64));
    for f in [Format::F16, Format::F212, Format::F24, Format::F310] {
        let mut bytes = Vec::new();
        let v: Vec<i32> = vals.iter().map(|&x| x.clamp(-500, 500)).collect();
        encode(f, &v, &mut bytes);
        let mut out = Vec::new();
        g.bench_function(format!("format {f}, 12x5000"), |b| {
            b.iter(|| decode(f, black_box(&bytes), n, &mut out))
        });
    }
    g.finish();
}

fn records(c: &mut Criterion) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ptbxl-sample");
    if !data.is_dir() {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "!!! SKIPPED record benches: {} not found !!!",
                data.display()
            );
        };
        return;
    }
    for rec in ["records100/00000/00001_lr", "records500/00000/00001_hr"] {
        let p = data.join(rec);
        c.bench_function(&format!("read_record {rec}"), |b| {
            b.iter(|| ecg_io::wfdb::read_record(black_box(&p)).map(|r| r.data.len()))
        });
    }
}

criterion_group!(benches, codecs, records);
criterion_main!(benches);
