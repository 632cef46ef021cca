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
            // writer thread only appends (id hash, position), 16 bytes a
            // record and no look-up; the ids are hashed on the workers and
            // grouped after the run.
            let id_field = &pack.manifest().input.id_field;
            let mut ids: Vec<(u64, u32)> = Vec::new();
            let prepare = |a: Assessment| {
                let id = a.field_text(id_field).map(id_hash);
                (matches!(a.status, Status::Invalid | Status::Error), id, a.position, output::AssessWriter::prepare(format, a))
            };
            pack.assess_stream_map(records, &opts, threads.unwrap_or_else(default_threads), prepare, |(failed, id, position, p)| {
                bad |= failed;
                progress.tick();
                if let Some(id) = id {
                    ids.push((id, u32::try_from(position).unwrap_or(u32::MAX)));
                }
                writer.write(&mut out, &p).map_err(io_err)
            })?;
            writer.finish(&mut out).map_err(io_err)?;
            progress.done();
            out.flush().map_err(io_err)?;
            warn_ids_given_again(&input, &pack, ids)?;
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
fn id_hash(id: &str) -> u64 {
    use std::hash::Hasher;
    // A raw write: `Hash for str` costs a second write per call.
    let mut h = std::hash::DefaultHasher::new();
    h.write(id.as_bytes());
    h.finish()
}

/// Says on stderr which service ids several records of `input` give:
/// `ids` (hash, position) sorted and grouped; only when some hash repeats is
/// the input read again, for those records' ids (which also rules out two
/// ids that merely share a hash).
fn warn_ids_given_again(input: &std::path::Path, pack: &Pack, mut ids: Vec<(u64, u32)>) -> Result<(), Error> {
    ids.sort_unstable();
    let repeated: std::collections::BTreeSet<u32> = ids.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1).flatten().map(|&(_, p)| p).collect();
    if repeated.is_empty() {
        return Ok(());
    }
    let id_field = &pack.manifest().input.id_field;
    let mut by_id: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for row in mezon::read_file_rows(input, &pack.manifest().input)? {
        let raw = row.parse();
        if repeated.contains(&u32::try_from(raw.position).unwrap_or(u32::MAX)) {
            if let Some(id) = raw.data.as_ref().ok().and_then(|m| m.get(id_field)).and_then(|v| v.as_str()) {
                by_id.entry(id.trim().to_owned()).or_default().push(raw.position);
            }
        }
    }
    let mut groups: Vec<(String, Vec<usize>)> = by_id.into_iter().filter(|(_, p)| p.len() > 1).collect();
    groups.sort_by_key(|(_, p)| p[0]);
    const SHOWN: usize = 20;
    for (text, positions) in groups.iter().take(SHOWN) {
        let positions: Vec<String> = positions.iter().map(usize::to_string).collect();
        eprintln!("warning: {id_field} \"{text}\" is given by records {}; `mezon rank` counts only the first", positions.join(", "));
    }
    if groups.len() > SHOWN {
        eprintln!("warning: and {} more {id_field}s given more than once", groups.len() - SHOWN);
    }
    Ok(())
}


fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
