//! Per record: one `assess_raw` of the 2016 pack, trace on and off, on the
//! worked example of the methodology and cycling through 1,000 generated
//! records (every band and "not applicable" branch occurs among them).
//! The record is already read (a JSON map, as the CSV reader yields it);
//! the figure covers validation, the nine rules and the score.

#![allow(missing_docs)] // criterion_group! makes an undocumented public function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mezon::{AssessOptions, RawRecord};
use mezon_benches::{load_pack, services};

/// The spec's worked example, from the test data every layer shares.
fn worked_example() -> RawRecord {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../test-data/records/worked-example-1.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("test data")).expect("JSON");
    RawRecord { given_twice: None, position: 1, locator: "line 2".into(), data: Ok(v.as_object().expect("an object").clone()) }
}

fn per_record(c: &mut Criterion) {
    let pack = load_pack();
    let example = worked_example();
    assert_eq!(pack.assess_raw(&example, &AssessOptions::default()).published_score().as_deref(), Some("78.78"));
    let generated: Vec<RawRecord> =
        services(1000, 2016).enumerate().map(|(i, s)| RawRecord { given_twice: None, position: i + 1, locator: format!("line {}", i + 2), data: Ok(s.to_map(i)) }).collect();

    let mut g = c.benchmark_group("per_record");
    g.throughput(Throughput::Elements(1));
    for trace in [true, false] {
        let opts = AssessOptions { trace };
        let label = if trace { "trace_on" } else { "trace_off" };
        g.bench_function(format!("worked_example/{label}"), |b| b.iter(|| black_box(pack.assess_raw(black_box(&example), &opts))));
        let mut i = 0;
        g.bench_function(format!("generated/{label}"), |b| {
            b.iter(|| {
                i = (i + 1) % generated.len();
                black_box(pack.assess_raw(&generated[i], &opts))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, per_record);
criterion_main!(benches);
