//! Benchmarks of Mezon and the side-by-side comparison (issue 5).
//!
//! Shared by the criterion benches (`benches/`), the 1,000,000-record run
//! (`src/bin/million.rs`) and the comparison (`src/bin/compare.rs`): the
//! deterministic record generator (`mezon sample`'s own, from `mezon_cli::sample`), the batch
//! path on one or several threads, the hand-written native implementations,
//! and (feature `zen`) the same methodology as a GoRules JDM graph.
//! See `benches/README.md` for what each benchmark measures.

mod batch;
mod native;
#[cfg(feature = "zen")]
mod zen;

use std::path::{Path, PathBuf};

pub use batch::rank_file;
pub use native::{eval_f64, publish_f64, Input, NativeExact, Scored, INDICATORS};
pub use mezon_cli::sample::{services, write_organizations, write_services, Service, PERIOD};
#[cfg(feature = "zen")]
pub use zen::{graph as zen_graph, ZenScorer};

/// The 2016 pack, resolved from this crate's folder, never the working directory.
pub fn pack_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/uz-egov-quality/2016.1")
}

/// The bundled example: `(services.csv, organizations.csv)` of 600 services.
pub fn example_files() -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/2016");
    (dir.join("services.csv"), dir.join("organizations.csv"))
}

/// Loads and compiles the 2016 pack.
pub fn load_pack() -> mezon::Pack {
    mezon::Pack::load(&mezon::Engine::default(), pack_dir()).expect("the 2016 pack loads")
}

/// Writes `services.csv` and `organizations.csv` of `count` generated
/// services (seed `seed`) into `dir`, unless a services file of that size
/// is already there. Returns their paths.
pub fn generated_files(dir: &Path, count: usize, seed: u64) -> std::io::Result<(PathBuf, PathBuf)> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let services = dir.join(format!("services-{count}-{seed}.csv"));
    let organizations = dir.join(format!("organizations-{seed}.csv"));
    if !services.is_file() {
        let tmp = services.with_extension("csv.tmp");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write_services(count, seed, &mut w)?;
        w.flush()?;
        drop(w);
        std::fs::rename(&tmp, &services)?;
    }
    if !organizations.is_file() {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&organizations)?);
        write_organizations(seed, &mut w)?;
        w.flush()?;
    }
    Ok((services, organizations))
}

/// Peak resident set size of this process so far (`VmHWM`), in KiB; `None`
/// where `/proc` is not available.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
