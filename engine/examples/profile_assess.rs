//! Assess the records of a CSV file N times (for profilers).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pack = mezon::Pack::load(&mezon::Engine::default(), &args[1]).unwrap();
    let n: usize = args[3].parse().unwrap();
    let trace = args.get(4).is_some_and(|a| a == "trace");
    let records: Vec<_> = mezon::read_file(std::path::Path::new(&args[2]), &pack.manifest().input).unwrap().collect();
    let opts = mezon::AssessOptions { trace };
    let t = std::time::Instant::now();
    let mut ok = 0;
    for _ in 0..n {
        for r in &records {
            let a = pack.assess_raw(r, &opts);
            ok += (a.status == mezon::Status::Assessed) as usize;
        }
    }
    let total = n * records.len();
    eprintln!("{total} assessments, {ok} assessed, {:.2} µs each", t.elapsed().as_secs_f64() * 1e6 / total as f64);
}
