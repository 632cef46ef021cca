//! Cold start: load and compile the 2016 pack (read the folder, parse the
//! manifest and tables, compile ten Rhai files, digest), compile alone from
//! files already in memory, and the first result after start (load, then
//! assess one record).

#![allow(missing_docs)] // criterion_group! makes an undocumented public function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use mezon::{read_dir_files, AssessOptions, Engine, Pack, RawRecord};
use mezon_benches::{pack_dir, services};

fn cold_start(c: &mut Criterion) {
    let dir = pack_dir();
    let files = read_dir_files(&dir).expect("pack files");
    let first = services(1, 2016).next().expect("one record");
    let raw = RawRecord { given_twice: None, position: 1, locator: "line 2".into(), data: Ok(first.to_map(0)) };

    let mut g = c.benchmark_group("cold_start");
    g.bench_function("load_pack", |b| b.iter(|| Pack::load(&Engine::default(), black_box(&dir)).expect("pack")));
    g.bench_function("compile_from_memory", |b| b.iter(|| Pack::from_files(&Engine::default(), black_box(files.clone())).expect("pack")));
    g.bench_function("first_result", |b| {
        b.iter(|| {
            let pack = Pack::load(&Engine::default(), black_box(&dir)).expect("pack");
            black_box(pack.assess_raw(&raw, &AssessOptions::default()).score)
        })
    });
    g.finish();
}

criterion_group!(benches, cold_start);
criterion_main!(benches);
