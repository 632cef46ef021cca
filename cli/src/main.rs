//! `mezon`: assess, rank, check, test and explain with a rule pack.

mod output;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mezon::{AssessOptions, Assessment, Engine, Error, Pack, RankEntry, Ranker, Status};
use mezon_cli::sample;

/// Mezon: scoring methodologies as rule packs.
///
/// A rule pack is a folder `rules/<id>/<version>/` (pack.toml, Rhai rules,
/// decision tables, golden tests) or a bundle file written by `mezon bundle`.
/// Exit codes: 0 every record valid; 2 some records invalid or failed by a
/// rule (the output is still complete); 1 the run could not proceed.
#[derive(Parser)]
#[command(name = "mezon", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct PackArgs {
    /// A pack version folder, a pack id folder (with --as-of), or a bundle `.json`.
    #[arg(long)]
    pack: PathBuf,
    /// Pick the version in force on this date (YYYY-MM-DD):
    /// effective_from ≤ date < effective_to.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
}

impl PackArgs {
    fn load(&self) -> Result<Pack, Error> {
        let engine = Engine::default();
        match &self.as_of {
            Some(d) => Pack::load_as_of(&engine, &self.pack, d),
            None => Pack::load(&engine, &self.pack),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Score every record of an input file; one result per record, in input order.
    ///
    /// The input is CSV (header row of field names; booleans true/false),
    /// JSON (an array of objects) or JSON Lines, chosen by extension
    /// (.csv, .json, .jsonl). A service id given by several records is
    /// named on stderr (rank counts only the first); each result stays the
    /// record's own.
    Assess {
        #[command(flatten)]
        pack: PackArgs,
        /// Input file (.csv, .json or .jsonl).
        #[arg(long)]
        input: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = AssessFormat::Jsonl)]
        format: AssessFormat,
        /// Leave the per-indicator trace lines out (same points and scores).
        #[arg(long)]
        no_trace: bool,
        /// Worker threads (default: all cores). Output is the same for any number.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Rank organisations: mean of their assessed services' exact scores,
    /// minus penalties, graded, competition-ranked.
    Rank {
        #[command(flatten)]
        pack: PackArgs,
        /// Service records (.csv, .json or .jsonl).
        #[arg(long)]
        input: PathBuf,
        /// Organisation records with the penalty fields (.csv, .json or .jsonl).
        #[arg(long)]
        organizations: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = RankFormat::Json)]
        format: RankFormat,
        /// Worker threads (default: all cores). Output is the same for any number.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Compile a pack and run its static checks: maxima add up, every field a
    /// rule reads is declared, tables cover their domain without gaps or
    /// overlaps, every indicator has a golden test and a source clause.
    Check {
        /// Pack folder or bundle.
        dir: PathBuf,
    },
    /// Run a pack's golden tests (tests/*.toml) and show a diff for each failure.
    Test {
        /// Pack folder or bundle.
        dir: PathBuf,
        /// Also write every case's input record as JSON Lines to this file
        /// (the shared data of the bindings' parity tests).
        #[arg(long, value_name = "FILE")]
        export_inputs: Option<PathBuf>,
    },
    /// Show the full breakdown of one record: points per indicator, the band
    /// or branch that fired, the clause, and whether the rule is provisional.
    /// Of several records with the id, the first is shown, with a warning
    /// naming them all.
    Explain {
        #[command(flatten)]
        pack: PackArgs,
        /// Input file (.csv, .json or .jsonl).
        #[arg(long)]
        input: PathBuf,
        /// The record's id (service_id).
        #[arg(long)]
        id: String,
    },
    /// Write a pack as one JSON bundle (every file plus the digest), for the
    /// browser and the bindings; `--pack FILE.json` loads it anywhere.
    Bundle {
        /// Pack folder.
        dir: PathBuf,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write a deterministic synthetic data set for the 2016 methodology:
    /// services.csv and organizations.csv (figures are synthetic).
    Sample {
        /// Number of service records.
        #[arg(long, default_value_t = 600)]
        services: usize,
        /// Seed of the generator; the same seed gives the same bytes.
        #[arg(long, default_value_t = 2016)]
        seed: u64,
        /// Output folder.
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
    },
}

/// Output formats of `assess`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum AssessFormat {
    /// One JSON object per line.
    Jsonl,
    /// A JSON array.
    Json,
    /// One CSV row per record, points per indicator.
    Csv,
    /// An aligned text table.
    Table,
}

/// Output formats of `rank`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RankFormat {
    /// `{"pack", "period", the provenance of the rules applied, "organizations": [...], "unassigned", "input_errors"}`.
    Json,
    /// One CSV row per organisation.
    Csv,
    /// An aligned text table.
    Table,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) if e.message() == READER_GONE => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// Counts records on stderr when it is a terminal, so long batches show progress.
struct Progress {
    on: bool,
    n: usize,
    start: std::time::Instant,
}

impl Progress {
    fn new() -> Progress {
        Progress { on: std::io::stderr().is_terminal(), n: 0, start: std::time::Instant::now() }
    }
    fn tick(&mut self) {
        self.n += 1;
        if self.on && self.n % 5000 == 0 {
            let rate = self.n as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
            eprint!("\r[{:<30}] {} records, {:.0}/s", "=".repeat((self.n / 5000) % 31), self.n, rate);
        }
    }
    fn done(&self) {
        if self.on && self.n >= 5000 {
            eprintln!("\r{:60}\r{} records in {:.1} s", "", self.n, self.start.elapsed().as_secs_f64());
        }
    }
}

/// A write to the output failed because its reader has gone (`mezon assess
/// … | head -1`): the reader asked for no more, which is not an error, so
/// the run ends quietly with exit code 0, as ripgrep's does. (Rust ignores
/// SIGPIPE, so the write fails with EPIPE instead of the process being
/// killed.) Any error met before that still fails the run.
const READER_GONE: &str = "the output's reader has gone";

fn io_err(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Error::new(mezon::ErrorKind::Io, READER_GONE);
    }
    Error::new(mezon::ErrorKind::Io, format!("cannot write the output: {e}"))
}

fn exit_for(any_bad: bool) -> ExitCode {
    if any_bad {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.command {
        Command::Assess { pack, input, format, no_trace, threads } => {
            let pack = pack.load()?;
            let records = mezon::read_file_rows(&input, &pack.manifest().input)?;
            let opts = AssessOptions { trace: !no_trace };
            let mut writer = output::AssessWriter::new(&pack, format);
            let mut progress = Progress::new();
            let mut bad = false;
            // A service id given again is said on stderr at the end (rank
            // counts only the first), not in the results: a result is the
            // record's alone, the same line every binding gives for it. The
            // ids are kept as 128-bit hashes made on the worker threads: no
            // allocation per record on the one thread that writes, and 32
            // bytes per id however long it is.
            let id_field = &pack.manifest().input.id_field;
            let mut first_of: std::collections::HashMap<u128, usize, std::hash::BuildHasherDefault<Hashed>> = Default::default();
            let mut again: std::collections::BTreeMap<usize, (String, Vec<usize>)> = Default::default();
            let prepare = |a: Assessment| {
                let id = a.field_text(id_field).map(id_hash);
                (matches!(a.status, Status::Invalid | Status::Error), id, a.position, output::AssessWriter::prepare(format, a))
            };
            pack.assess_stream_map(records, &opts, threads.unwrap_or_else(default_threads), prepare, |(failed, id, position, p)| {
                bad |= failed;
                progress.tick();
                if let Some(id) = id {
                    let first = *first_of.entry(id).or_insert(position);
                    if first != position {
                        again.entry(first).or_insert_with(|| (p.field_text(id_field).unwrap_or_default(), Vec::new())).1.push(position);
                    }
                }
                writer.write(&mut out, &p).map_err(io_err)
            })?;
            writer.finish(&mut out).map_err(io_err)?;
            progress.done();
            out.flush().map_err(io_err)?;
            const SHOWN: usize = 20;
            for (first, (text, later)) in again.iter().take(SHOWN) {
                let later: Vec<String> = later.iter().map(usize::to_string).collect();
                eprintln!("warning: {id_field} \"{text}\" is given by records {first}, {}; `mezon rank` counts only the first", later.join(", "));
            }
            if again.len() > SHOWN {
                eprintln!("warning: and {} more {id_field}s given more than once", again.len() - SHOWN);
            }
            Ok(exit_for(bad))
        }
        Command::Rank { pack, input, organizations, format, threads } => {
            let pack = pack.load()?;
            let mut ranker = Ranker::new(&pack);
            let opts = AssessOptions { trace: false };
            let mut progress = Progress::new();
            let mut bad = false;
            let records = mezon::read_file_rows(&input, &pack.manifest().input)?;
            let entry = |a: Assessment| (matches!(a.status, Status::Invalid | Status::Error), RankEntry::of(&a));
            pack.assess_stream_map(records, &opts, threads.unwrap_or_else(default_threads), entry, |(failed, e)| {
                bad |= failed;
                ranker.add_entry(e);
                progress.tick();
                Ok::<(), Error>(())
            })?;
            if let Some(path) = organizations {
                let schema = pack.manifest().organization_input.clone().ok_or_else(|| Error::new(mezon::ErrorKind::Input, "this pack declares no organisation records"))?;
                for mut raw in mezon::read_file(&path, &schema)? {
                    // A record without an id is named by its place: say in
                    // which file, as the services file is a different one.
                    let locator = format!("{} {}", path.display(), raw.locator);
                    raw.data = raw.data.map_err(|e| if e.record() == Some(raw.locator.as_str()) { e.with_record(&locator) } else { e });
                    raw.locator = locator;
                    ranker.add_organization(&raw)?;
                }
            }
            progress.done();
            let ranking = ranker.finish()?;
            let j = ranking.to_json();
            let any = |v: &serde_json::Value| v.as_array().is_some_and(|e| !e.is_empty());
            bad |= any(&j["input_errors"]) || j["organizations"].as_array().into_iter().flatten().any(|o| any(&o["errors"]));
            output::write_ranking(&mut out, &ranking, format).map_err(io_err)?;
            out.flush().map_err(io_err)?;
            Ok(exit_for(bad))
        }
        Command::Check { dir } => {
            // Compiled even when inconsistent, so every problem is listed;
            // everywhere else such a pack is refused.
            let pack = Pack::load(&Engine::for_checking(), &dir)?;
            let findings = mezon::check(&pack);
            for f in &findings {
                writeln!(out, "{}", f).map_err(io_err)?;
            }
            writeln!(out, "{} {}: {} problem(s) ({})", pack.id(), pack.version(), findings.len(), pack.digest()).map_err(io_err)?;
            out.flush().map_err(io_err)?;
            Ok(if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Test { dir, export_inputs } => {
            let pack = Pack::load(&Engine::default(), &dir)?;
            if let Some(path) = export_inputs {
                let lines: String = mezon::golden_inputs(&pack)?.iter().map(|(_, _, rec)| mezon::to_json_line(rec) + "\n").collect();
                std::fs::write(&path, lines).map_err(|e| Error::new(mezon::ErrorKind::Io, format!("{}: {e}", path.display())))?;
            }
            let report = mezon::run_golden(&pack)?;
            for c in &report.cases {
                if c.failures.is_empty() {
                    writeln!(out, "ok    {} :: {}", c.file, c.name).map_err(io_err)?;
                } else {
                    writeln!(out, "FAIL  {} :: {}", c.file, c.name).map_err(io_err)?;
                    for f in &c.failures {
                        writeln!(out, "        {f}").map_err(io_err)?;
                    }
                }
            }
            writeln!(out, "{} passed, {} failed", report.passed(), report.failed()).map_err(io_err)?;
            out.flush().map_err(io_err)?;
            Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Explain { pack, input, id } => {
            let pack = pack.load()?;
            let schema = &pack.manifest().input;
            // Every record with the id, not only the first: several are
            // said, and the first (the one rank counts) is explained.
            let mut found = mezon::read_file(&input, schema)?.filter(|r| r.data.as_ref().ok().and_then(|m| m.get(&schema.id_field)).and_then(|v| v.as_str()) == Some(id.as_str()));
            let first = found.next().ok_or_else(|| Error::new(mezon::ErrorKind::Input, format!("no record with {} = {id} in {}", schema.id_field, input.display())))?;
            let others: Vec<String> = found.map(|r| r.position.to_string()).collect();
            let mut a = pack.assess_raw(&first, &AssessOptions::default());
            if !others.is_empty() {
                let warning = format!("{} \"{id}\" is given by records {}, {}; this is the first, record {}", schema.id_field, first.position, others.join(", "), first.position);
                a.warnings.insert(0, warning);
            }
            output::explain(&mut out, &a).map_err(io_err)?;
            out.flush().map_err(io_err)?;
            Ok(exit_for(matches!(a.status, Status::Invalid | Status::Error)))
        }
        Command::Bundle { dir, output } => {
            let pack = Pack::load(&Engine::default(), &dir)?;
            std::fs::write(&output, pack.to_bundle()).map_err(|e| Error::new(mezon::ErrorKind::Io, format!("{}: {e}", output.display())))?;
            eprintln!("wrote {} ({} {}, {})", output.display(), pack.id(), pack.version(), pack.digest());
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample { services, seed, out_dir } => {
            std::fs::create_dir_all(&out_dir).map_err(|e| Error::new(mezon::ErrorKind::Io, format!("{}: {e}", out_dir.display())))?;
            let write = |name: &str, f: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<(), Error> {
                let path: PathBuf = Path::new(&out_dir).join(name);
                let file = std::fs::File::create(&path).map_err(|e| Error::new(mezon::ErrorKind::Io, format!("{}: {e}", path.display())))?;
                let mut w = std::io::BufWriter::new(file);
                f(&mut w).and_then(|_| w.flush()).map_err(io_err)
            };
            write("services.csv", &|w| sample::write_services(services, seed, w))?;
            write("organizations.csv", &|w| sample::write_organizations(seed, w))?;
            eprintln!("wrote {services} services and the organisations to {}", out_dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A service id as 128 bits: two SipHash digests of the id under different
/// prefixes (`DefaultHasher::new` has fixed keys, so every thread hashes an
/// id alike; results depend only on whether two ids hash alike). Two ids of
/// one input agreeing on all 128 bits is not to be expected (about one
/// chance in 10^20 for a billion records).
fn id_hash(id: &str) -> u128 {
    use std::hash::Hasher;
    // Raw writes: `Hash for str` costs a second write per call.
    let mut a = std::hash::DefaultHasher::new();
    a.write(id.as_bytes());
    let mut b = std::hash::DefaultHasher::new();
    b.write_u8(1);
    b.write(id.as_bytes());
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The hasher of a map keyed by [`id_hash`]es: they are hashes already.
#[derive(Default)]
struct Hashed(u64);

impl std::hash::Hasher for Hashed {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u128 keys are hashed")
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = i as u64;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
