//! Batch: file to finished ranking, the CLI's `mezon rank` path
//! (`read_file` → `assess_raw`, trace off → `Ranker` → `finish`), on the
//! bundled example (600 services) and on 20,000 generated services, with
//! one thread and with every core assessing (chunks in input order).
//! The 1,000,000-record run with peak memory is `src/bin/million.rs`.

#![allow(missing_docs)] // criterion_group! makes an undocumented public function

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mezon_benches::{example_files, generated_files, load_pack, rank_file};

const GENERATED: usize = 20_000;

fn batch(c: &mut Criterion) {
    let pack = load_pack();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/mezon-benches");
    let inputs = [("example_600", example_files(), 600), ("generated_20000", generated_files(&dir, GENERATED, 2016).expect("generated files"), GENERATED)];

    let mut g = c.benchmark_group("batch");
    g.sample_size(10);
    for (name, (services, organizations), count) in &inputs {
        g.throughput(Throughput::Elements(*count as u64));
        let mut workers = vec![1];
        if cores > 1 {
            workers.push(cores);
        }
        for w in workers {
            g.bench_with_input(BenchmarkId::new(*name, format!("{w}_threads")), &w, |b, &w| {
                b.iter(|| rank_file(&pack, services, Some(organizations), w).expect("ranking"))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
