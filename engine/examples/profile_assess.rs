//! Times the per-record path for profilers and for comparisons with the
//! WebAssembly build: `profile_assess PACK FILE ROUNDS [trace|json]`.
//! `json` times what a binding's `assess` does: a record as JSON text in,
//! the result's JSON line out.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pack = mezon::Pack::load(&mezon::Engine::default(), &args[1]).unwrap();
    let n: usize = args[3].parse().unwrap();
    let mode = args.get(4).map(String::as_str).unwrap_or("");
    let records: Vec<_> = mezon::read_file(std::path::Path::new(&args[2]), &pack.manifest().input).unwrap().collect();
    let texts: Vec<String> = records.iter().map(|r| serde_json::Value::Object(r.data.clone().unwrap()).to_string()).collect();
    let opts = mezon::AssessOptions { trace: !mode.is_empty() };
    let t = std::time::Instant::now();
    let mut ok = 0usize;
    for _ in 0..n {
        if mode == "json" {
            for text in &texts {
                ok += pack.assess_json(text).unwrap().to_json_line().len();
            }
        } else {
            for r in &records {
                ok += (pack.assess_raw(r, &opts).status == mezon::Status::Assessed) as usize;
            }
        }
    }
    let total = n * records.len();
    eprintln!("{total} assessments ({mode}), checksum {ok}, {:.2} µs each", t.elapsed().as_secs_f64() * 1e6 / total as f64);
}
