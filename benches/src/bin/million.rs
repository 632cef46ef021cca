//! The 1,000,000-record run: generated CSV file to the written ranking, on
//! 1 thread and on 2 assessing threads, with wall time and peak RSS.
//!
//! ```text
//! cargo run --release -p mezon-benches --no-default-features --bin million -- [--records 1000000] [--threads 1,2] [--dir target/mezon-benches]
//! ```
//!
//! The CSV is generated once (not timed) into `--dir`. Each thread count
//! runs in a child process of its own, so each peak RSS (`VmHWM`) is that
//! run's alone. A run loads and compiles the pack, streams the file through
//! `read_file` → `assess_raw` (trace off) → `Ranker`, and writes the ranking
//! as pretty JSON, as `mezon rank --format json` does.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use mezon_benches::{generated_files, load_pack, peak_rss_kib, rank_file};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    if let Some(threads) = get("--child") {
        return child(threads.parse().expect("--child THREADS"), PathBuf::from(get("--services").unwrap()), PathBuf::from(get("--organizations").unwrap()), PathBuf::from(get("--out").unwrap()));
    }
    let records: usize = get("--records").map_or(1_000_000, |r| r.parse().expect("--records N"));
    let threads: Vec<usize> = get("--threads").unwrap_or_else(|| "1,2".into()).split(',').map(|t| t.parse().expect("--threads 1,2")).collect();
    let dir = get("--dir").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/mezon-benches"), PathBuf::from);
    let t = Instant::now();
    let (services, organizations) = generated_files(&dir, records, 2016).expect("writing the generated CSV");
    let size = std::fs::metadata(&services).map(|m| m.len()).unwrap_or(0);
    eprintln!("input {} ({:.0} MB, ready in {:.1} s)", services.display(), size as f64 / 1e6, t.elapsed().as_secs_f64());
    println!("| records | threads | wall (s) | records/s | peak RSS (MB) |");
    println!("|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().expect("own path");
    let mut ok = true;
    for t in threads {
        let out = dir.join(format!("ranking-{records}-{t}.json"));
        let result = Command::new(&exe)
            .args(["--child", &t.to_string(), "--services"])
            .arg(&services)
            .arg("--organizations")
            .arg(&organizations)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("running the child");
        let line = String::from_utf8_lossy(&result.stdout);
        let mut parts = line.split_whitespace();
        let (Some(wall), Some(rss)) = (parts.next().and_then(|w| w.parse::<f64>().ok()), parts.next().and_then(|r| r.parse::<u64>().ok())) else {
            eprintln!("the run with {t} threads failed: {}", String::from_utf8_lossy(&result.stderr));
            ok = false;
            continue;
        };
        println!("| {records} | {t} | {wall:.2} | {:.0} | {:.0} |", records as f64 / wall, rss as f64 / 1024.0);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// One timed run; prints `wall_seconds peak_rss_kib`.
fn child(threads: usize, services: PathBuf, organizations: PathBuf, out: PathBuf) -> ExitCode {
    let start = Instant::now();
    let pack = load_pack();
    let ranking = rank_file(&pack, &services, Some(&organizations), threads).expect("ranking the generated records");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).expect("creating the ranking file"));
    writeln!(w, "{}", serde_json::to_string_pretty(&ranking.to_json()).expect("JSON")).expect("writing the ranking");
    w.flush().expect("writing the ranking");
    drop(w);
    let wall = start.elapsed().as_secs_f64();
    println!("{wall} {}", peak_rss_kib().unwrap_or(0));
    ExitCode::SUCCESS
}
