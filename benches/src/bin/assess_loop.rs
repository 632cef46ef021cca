//! A plain loop over the per-record path for profilers (`perf record`,
//! `valgrind --tool=callgrind`) and for thread scaling: assesses
//! `--records` generated records (trace on unless `--no-trace`) `--passes`
//! times on each of `--threads` threads (each thread its own share).
//!
//! ```text
//! cargo build --release -p mezon-benches --no-default-features --bin assess_loop
//! perf record -g target/release/assess_loop --records 2000 --passes 20
//! target/release/assess_loop --records 20000 --passes 20 --threads 2
//! ```

use std::hint::black_box;

use mezon::{AssessOptions, InputFormat, Row};
use mezon_benches::{load_pack, write_services};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let (records, passes, threads) = (
        get("--records", 2000).max(1),
        get("--passes", 10),
        get("--threads", 1).max(1),
    );
    let opts = AssessOptions {
        trace: !args.iter().any(|a| a == "--no-trace"),
    };
    let pack = load_pack();
    let mut csv = Vec::new();
    write_services(records, 2016, &mut csv).expect("writing to memory");
    let rows: Vec<Row> = mezon::read_rows(
        std::io::Cursor::new(csv),
        InputFormat::Csv,
        &pack.manifest().input,
    )
    .expect("a header")
    .collect();
    let start = std::time::Instant::now();
    std::thread::scope(|s| {
        for share in rows.chunks(rows.len().div_ceil(threads)) {
            let pack = pack.worker_handle();
            let opts = &opts;
            s.spawn(move || {
                for _ in 0..passes {
                    for row in share {
                        black_box(pack.assess_row(row, opts));
                    }
                }
            });
        }
    });
    let n = records * passes;
    eprintln!(
        "{n} assessments on {threads} threads in {:.2} s: {:.0} records/s",
        start.elapsed().as_secs_f64(),
        n as f64 / start.elapsed().as_secs_f64()
    );
}
