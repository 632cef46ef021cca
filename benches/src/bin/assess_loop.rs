//! A plain loop over the per-record path for profilers (`perf record`,
//! `valgrind --tool=callgrind`): assesses `--records` generated records
//! (trace on unless `--no-trace`) `--passes` times.
//!
//! ```text
//! cargo build --release -p mezon-benches --no-default-features --bin assess_loop
//! perf record -g target/release/assess_loop --records 2000 --passes 20
//! ```

use std::hint::black_box;

use mezon::{AssessOptions, RawRecord};
use mezon_benches::{load_pack, services};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: usize| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().expect("a number"));
    let (records, passes) = (get("--records", 2000), get("--passes", 10));
    let opts = AssessOptions { trace: !args.iter().any(|a| a == "--no-trace") };
    let pack = load_pack();
    let raws: Vec<RawRecord> = services(records, 2016).enumerate().map(|(i, s)| RawRecord { position: i + 1, locator: format!("line {}", i + 2), data: Ok(s.to_map(i)) }).collect();
    let start = std::time::Instant::now();
    for _ in 0..passes {
        for raw in &raws {
            black_box(pack.assess_raw(raw, &opts));
        }
    }
    let n = records * passes;
    eprintln!("{n} assessments in {:.2} s: {:.0} records/s", start.elapsed().as_secs_f64(), n as f64 / start.elapsed().as_secs_f64());
}
