//! Loading and compiling rule packs: from a folder, an in-memory file map or
//! a bundle, with a content digest over every file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rhai::{Scope, AST};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};
use crate::manifest::Manifest;
use crate::sandbox::{self, Limits, Record};
use crate::table::Table;
use crate::Engine;

/// Name of the bundle format written by [`Pack::to_bundle`].
pub const BUNDLE_FORMAT: &str = "mezon-pack-bundle/1";

/// A compiled indicator rule.
pub(crate) struct Indicator {
    pub(crate) ast: AST,
    /// Input fields the rule reads, with the 1-based line of the first read.
    pub(crate) reads: Vec<(String, u32)>,
    /// The places in the schema of the declared ones among them, for the
    /// trace's `read …` line (looked up once, not per record).
    pub(crate) read_slots: Vec<usize>,
    /// The same rule for the fast path, when it uses only what that reproduces.
    pub(crate) fast: Option<crate::fast::FastRule>,
    /// The constant parts of its entry in a JSON result line
    /// (`assess::indicator_json_parts`).
    pub(crate) json_parts: [Box<str>; 3],
}

/// A compiled rule pack: immutable, `Send + Sync`, cheap to clone (an `Arc`).
///
/// Compiled once; evaluating a record never recompiles or builds an engine.
#[derive(Clone)]
pub struct Pack(pub(crate) Arc<Handle>);

/// One counted reference to the compiled pack. Every result keeps its pack,
/// so a clone per record; [`Pack::worker_handle`] gives each worker thread a
/// handle of its own to count those clones on, rather than one count that
/// all threads write to (its cache line then travels between the cores on
/// every record).
pub(crate) struct Handle(Arc<Inner>);

impl std::ops::Deref for Handle {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub(crate) struct Inner {
    /// Process-unique id, keys the warm Rhai caches of this pack's rules.
    pub(crate) uid: u64,
    pub(crate) manifest: Manifest,
    pub(crate) files: BTreeMap<String, String>,
    pub(crate) digest: String,
    pub(crate) limits: Limits,
    pub(crate) rhai: rhai::Engine,
    pub(crate) indicators: Vec<Indicator>,
    pub(crate) tables: Arc<Vec<Table>>,
    /// Field name → position in [`Record`] values.
    pub(crate) field_index: Arc<crate::input::FieldIndex>,
    /// Validation's view of the input schema.
    pub(crate) plan: crate::input::Plan,
    /// The input fields' names escaped for JSON, in schema order (traces).
    pub(crate) field_names_json: Vec<Box<str>>,
    /// The end of every JSON result line (`assess::json_end`).
    pub(crate) json_pack: Box<str>,
    /// Modules and tables its rules name that it lacks (`check::unresolved`;
    /// only a pack compiled for checking can have any).
    pub(crate) unresolved: Vec<crate::check::Finding>,
}

/// A pack's reference in results and rankings.
fn reference(id: &str, version: &str, digest: &str) -> Value {
    json!({ "id": id, "version": version, "digest": digest })
}

/// The content digest: sha256 over every file in ascending path order, each
/// as `path`, NUL, byte length, NUL, content. Any edit to any file of the
/// pack changes it.
pub fn digest(files: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (path, content) in files {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(content.len().to_string().as_bytes());
        h.update([0]);
        h.update(content.as_bytes());
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Reads every file of a pack folder as `relative/path` → text, skipping
/// hidden files and editors' leftovers (`*~`, `#*`, `*.swp`, `*.swo`, `*.bak`,
/// `*.orig`, `*.rej`).
pub fn read_dir_files(dir: &Path) -> Result<BTreeMap<String, String>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?.collect::<std::io::Result<_>>().map_err(|e| Error::io(dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Hidden files and editors' backup, swap and autosave files are
            // not the pack: left beside a rule, they would change its digest.
            let leftover = name.starts_with('.') || name.starts_with('#') || name.ends_with('~')
                || [".swp", ".swo", ".bak", ".orig", ".rej"].iter().any(|ext| name.ends_with(ext));
            if leftover {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out)?;
            } else {
                let rel = path.strip_prefix(base).expect("inside base").components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                out.insert(rel, text);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out)?;
    Ok(out)
}

impl Pack {
    /// The same compiled pack through a handle of its own, for one worker
    /// thread of a batch: results made through it count references on it
    /// alone. Results are identical; only the threads stop contending.
    pub fn worker_handle(&self) -> Pack {
        Pack(Arc::new(Handle(self.0 .0.clone())))
    }

    /// Loads a pack from a version folder (holding `pack.toml`), a bundle
    /// file (`.json`), or a pack id folder holding exactly one version.
    pub fn load(engine: &Engine, path: impl AsRef<Path>) -> Result<Pack> {
        let path = path.as_ref();
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            return Pack::from_bundle(engine, &text);
        }
        if path.join("pack.toml").is_file() {
            return Pack::from_files(engine, read_dir_files(path)?);
        }
        let versions = versions_in(path)?;
        match versions.as_slice() {
            [(dir, _)] => Pack::from_files(engine, read_dir_files(dir)?),
            [] => Err(Error::new(ErrorKind::Manifest, format!("{}: no pack.toml here nor in any version folder", path.display()))),
            many => Err(Error::new(
                ErrorKind::Manifest,
                format!(
                    "{} holds versions {}; name a version folder or give a date (--as-of)",
                    path.display(),
                    many.iter().map(|(_, m)| m.version.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// Loads the version in force on `date` (`YYYY-MM-DD`): from a pack id
    /// folder, the latest version to take effect on or before the date (an
    /// error when none has, when two took effect that day, or when that one
    /// has ended by its `effective_to`); from a version folder or bundle,
    /// that version, which must be in force on the date.
    pub fn load_as_of(engine: &Engine, path: impl AsRef<Path>, date: &str) -> Result<Pack> {
        let path = path.as_ref();
        if !crate::manifest::is_date(date) {
            return Err(Error::new(ErrorKind::Input, format!("`{date}` is not a YYYY-MM-DD date")));
        }
        if path.is_file() || path.join("pack.toml").is_file() {
            let pack = Pack::load(engine, path)?;
            if !pack.manifest().in_force(date) {
                return Err(Error::new(ErrorKind::Manifest, format!("pack {} {} is not in force on {date}", pack.id(), pack.version())));
            }
            return Ok(pack);
        }
        // A new version supersedes the earlier ones from its effective_from:
        // the latest to take effect by the date is the one, and the old
        // version is not edited (an `effective_to` set afterwards would
        // change the digest its published results carry). Once superseded a
        // version never returns, even when its successor ends; two taking
        // effect on the same day are ambiguous.
        let none = || Error::new(ErrorKind::Manifest, format!("{}: no version is in force on {date}", path.display()));
        let started: Vec<_> = versions_in(path)?.into_iter().filter(|(_, m)| m.effective_from.as_str() <= date).collect();
        let latest = started.iter().map(|(_, m)| m.effective_from.clone()).max().ok_or_else(none)?;
        match started.iter().filter(|(_, m)| m.effective_from == latest).collect::<Vec<_>>().as_slice() {
            [(_, m)] if !m.in_force(date) => Err(none()),
            [(dir, _)] => Pack::from_files(engine, read_dir_files(dir)?),
            many => Err(Error::new(
                ErrorKind::Manifest,
                format!("{}: versions {} all take effect on {latest}; which is in force on {date} is ambiguous", path.display(), many.iter().map(|(_, m)| m.version.as_str()).collect::<Vec<_>>().join(", ")),
            )),
        }
    }

    /// Loads a bundle (the JSON written by [`Pack::to_bundle`]); the digest is
    /// recomputed and must match the one recorded.
    pub fn from_bundle(engine: &Engine, bundle_json: &str) -> Result<Pack> {
        let v: Value = serde_json::from_str(bundle_json).map_err(|e| Error::new(ErrorKind::Manifest, format!("bundle is not valid JSON: {e}")))?;
        let bad = |m: &str| Error::new(ErrorKind::Manifest, format!("bundle: {m}"));
        if v["format"] != BUNDLE_FORMAT {
            return Err(bad(&format!("`format` must be \"{BUNDLE_FORMAT}\"")));
        }
        let files: BTreeMap<String, String> = v["files"]
            .as_object()
            .ok_or_else(|| bad("`files` must be an object of path to text"))?
            .iter()
            .map(|(k, v)| {
                // Paths as `mezon bundle` writes them: relative, `/`-separated,
                // inside the pack. Anything else was not made from a folder.
                let inside = !k.is_empty() && !k.starts_with('/') && !k.contains('\\') && k.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
                if !inside {
                    return Err(bad(&format!("file path `{k}` is not a relative path inside the pack")));
                }
                v.as_str().map(|s| (k.clone(), s.to_owned())).ok_or_else(|| bad(&format!("file `{k}` is not text")))
            })
            .collect::<Result<_>>()?;
        let recorded = v["digest"].as_str().ok_or_else(|| bad("`digest` is missing"))?;
        let actual = digest(&files);
        if recorded != actual {
            return Err(bad(&format!("digest mismatch: the bundle records {recorded} but its files hash to {actual}")));
        }
        // The digest just checked is the pack's: not hashed a second time
        // (about a tenth of loading a pack in the browser).
        let pack = Pack::compile_files(engine, files, actual)?;
        // The bundle's `id` and `version` (what a page lists) are labels
        // outside the digest: they must name the pack the files are.
        for (key, label, real) in [("id", &v["id"], pack.id()), ("version", &v["version"], pack.version())] {
            if !label.is_null() && label.as_str() != Some(real) {
                // The canonical writer, not `Value`'s Display (more code in the browser module).
                return Err(bad(&format!("`{key}` is {} but pack.toml says \"{real}\"", crate::to_json_line(label))));
            }
        }
        Ok(pack)
    }

    /// Compiles a pack from an in-memory map of relative path → file text.
    pub fn from_files(engine: &Engine, files: BTreeMap<String, String>) -> Result<Pack> {
        let d = digest(&files);
        Pack::compile_files(engine, files, d)
    }

    /// [`Pack::from_files`] for files whose digest is already known.
    fn compile_files(engine: &Engine, files: BTreeMap<String, String>, digest: String) -> Result<Pack> {
        let manifest_text = files.get("pack.toml").ok_or_else(|| Error::new(ErrorKind::Manifest, "the pack has no pack.toml"))?;
        let manifest = Manifest::parse(manifest_text)?;
        let label = format!("{} {}", manifest.id, manifest.version);
        compile(engine, manifest, files, digest).map_err(|e| e.with_pack(label))
    }

    /// The pack as one JSON bundle: every file and the digest.
    pub fn to_bundle(&self) -> String {
        let v = json!({
            "format": BUNDLE_FORMAT,
            "id": self.id(),
            "version": self.version(),
            "digest": self.digest(),
            "files": self.0.files,
        });
        serde_json::to_string_pretty(&v).expect("bundle serialises")
    }

    /// Pack id.
    pub fn id(&self) -> &str {
        &self.0.manifest.id
    }
    /// Pack version.
    pub fn version(&self) -> &str {
        &self.0.manifest.version
    }
    /// Content digest, `sha256:…`.
    pub fn digest(&self) -> &str {
        &self.0.digest
    }
    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.0.manifest
    }
    /// The pack's files, path → text.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.0.files
    }

    /// Ids of the indicators whose rules run on the fast path (the rest run
    /// in Rhai's interpreter; all of them without feature `fast-path`). For
    /// tests and benchmarks.
    #[doc(hidden)]
    pub fn fast_path_indicators(&self) -> Vec<&str> {
        self.0.manifest.indicators.iter().zip(&self.0.indicators).filter(|(_, i)| i.fast.is_some()).map(|(d, _)| d.id.as_str()).collect()
    }

    /// `{"id", "version", "digest"}`, as every result carries it.
    pub fn reference(&self) -> Value {
        reference(self.id(), self.version(), self.digest())
    }

    /// What a front end needs to describe the pack: ids, titles, indicators,
    /// the input schema, grades.
    pub fn info(&self) -> Value {
        let m = &self.0.manifest;
        json!({
            "id": m.id,
            "version": m.version,
            "digest": self.digest(),
            "title": m.title,
            "legal_basis": m.legal_basis,
            "effective_from": m.effective_from,
            "effective_to": m.effective_to,
            "period": m.period,
            "total_max": m.total_max,
            "indicators": m.indicators.iter().map(|i| json!({
                "id": i.id, "title": i.title, "max": i.max, "provisional": i.provisional, "clause": i.clause,
            })).collect::<Vec<_>>(),
            "input": m.input,
            "organization_input": m.organization_input,
            "aggregation": m.aggregation,
            "grades": m.grades,
        })
    }
}

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pack").field("id", &self.id()).field("version", &self.version()).field("digest", &self.digest()).finish()
    }
}

fn versions_in(dir: &Path) -> Result<Vec<(std::path::PathBuf, Manifest)>> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in rd {
        let p = entry.map_err(|e| Error::io(dir, e))?.path();
        let toml_path = p.join("pack.toml");
        if toml_path.is_file() {
            let text = std::fs::read_to_string(&toml_path).map_err(|e| Error::io(&toml_path, e))?;
            let m = Manifest::parse(&text).map_err(|e| e.with_file(toml_path.display().to_string()))?;
            // Picked by date, a version must be what its folder says: a
            // copied folder still saying the old version would publish
            // results under the wrong label.
            if p.file_name().is_some_and(|f| *f != *m.version) {
                return Err(Error::new(ErrorKind::Manifest, format!("the folder {} holds version \"{}\": a version folder is named by its version", p.display(), m.version)).with_file(toml_path.display().to_string()));
            }
            out.push((p, m));
        }
    }
    out.sort_by(|a, b| a.1.effective_from.cmp(&b.1.effective_from));
    Ok(out)
}

/// A dummy record so scripts compile in strict-variables mode with `input` known.
fn compile_scope() -> Scope<'static> {
    let mut s = Scope::new();
    s.push_constant("input", Record { index: Arc::default(), values: Arc::default() });
    s
}

fn compile(engine: &Engine, manifest: Manifest, files: BTreeMap<String, String>, digest: String) -> Result<Pack> {
    let limits = engine.limits().clone();
    let mut tables = Vec::new();
    for (path, text) in files.range("tables/".to_owned()..) {
        if !path.starts_with("tables/") {
            break;
        }
        if path.ends_with(".table") {
            let t = Table::parse(path, text)?;
            if tables.iter().any(|x: &Table| x.name == t.name) {
                return Err(Error::new(ErrorKind::Table, format!("table `{}` is defined twice", t.name)).with_file(path));
            }
            tables.push(t);
        }
    }
    let tables = Arc::new(tables);

    // lib/ modules, compiled with an engine that can itself import nothing.
    let fields: Vec<String> = manifest.input.fields.iter().map(|f| f.name.clone()).collect();
    let lib_engine = sandbox::build(&limits, &fields, tables.clone(), BTreeMap::new());
    let mut modules = BTreeMap::new();
    let mut lib_asts = BTreeMap::new();
    for (path, text) in &files {
        if let Some(name) = path.strip_prefix("lib/").and_then(|n| n.strip_suffix(".rhai")) {
            let mut ast = lib_engine.compile(text).map_err(|e| sandbox::convert_parse(e, path, text))?;
            ast.set_source(path.as_str());
            let module = rhai::Module::eval_ast_as_new(Scope::new(), &ast, &lib_engine).map_err(|e| sandbox::convert(*e, path, &limits).with_source(text))?;
            modules.insert(name.to_owned(), rhai::Shared::new(module));
            lib_asts.insert(name.to_owned(), ast);
        }
    }
    let rhai = sandbox::build(&limits, &fields, tables.clone(), modules);

    let scope = compile_scope();
    let field_index = crate::input::field_index(&manifest.input);
    let lib_sources = lib_asts.keys().map(|name| (name.clone(), files[&format!("lib/{name}.rhai")].as_str())).collect();
    let cx = crate::fast::Context {
        fields: &field_index,
        tables: &tables,
        libs: &lib_asts,
        lib_sources,
        engine: &rhai,
        max_string: limits.max_string_size,
        max_trace_lines: limits.max_trace_lines,
        max_array: limits.max_array_size,
        max_operations: limits.max_operations,
        max_variables: limits.max_variables,
        text_fields: manifest.input.fields.iter().map(|f| f.ty == crate::manifest::FieldType::String).collect(),
    };
    let mut indicators = Vec::new();
    // Modules and tables a rule names that the pack does not have.
    let mut missing = Vec::new();
    let has_table = |name: &str| tables.iter().any(|t| t.name == name);
    for (name, ast) in &lib_asts {
        missing.extend(crate::check::unresolved(&format!("lib/{name}.rhai"), ast, &|_| true, &has_table));
    }
    for ind in &manifest.indicators {
        let text = files.get(&ind.script).ok_or_else(|| {
            Error::new(ErrorKind::Manifest, format!("indicator `{}`: script `{}` is not in the pack", ind.id, ind.script)).with_file("pack.toml")
        })?;
        let mut ast = rhai.compile_with_scope(&scope, text).map_err(|e| sandbox::convert_parse(e, &ind.script, text).with_indicator(&ind.id))?;
        ast.set_source(ind.script.as_str());
        missing.extend(crate::check::unresolved(&ind.script, &ast, &|name| lib_asts.contains_key(name), &has_table));
        // Without feature `fast-path` every rule runs in Rhai (same results).
        let fast = if cfg!(feature = "fast-path") { crate::fast::compile(&ast, &cx) } else { None };
        let reads = scan_reads(text);
        let read_slots = reads.iter().filter_map(|(f, _)| field_index.get(f).copied()).collect();
        let json_parts = crate::assess::indicator_json_parts(ind);
        indicators.push(Indicator { ast, reads, read_slots, fast, json_parts });
    }

    if !engine.accepts_inconsistent() {
        let mut problems = crate::check::consistency(&manifest, &files["pack.toml"], &tables);
        problems.extend(missing.iter().cloned());
        if let Some(first) = problems.first() {
            let kind = match first.file.as_str() {
                "pack.toml" => ErrorKind::Manifest,
                f if f.starts_with("tables/") => ErrorKind::Table,
                _ => ErrorKind::Parse,
            };
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more; `mezon check` lists them all)", n - 1),
            };
            let mut e = Error::new(kind, format!("{}{more}", first.message)).with_file(&first.file);
            if let Some(line) = first.line {
                // A table row or a manifest key starts its line.
                e = e.at(line, first.column.unwrap_or(1));
            }
            return Err(e);
        }
    }
    let json_pack = crate::assess::json_end(&manifest, &reference(&manifest.id, &manifest.version, &digest));
    let field_names_json = manifest.input.fields.iter().map(|f| crate::json::escaped_text(&f.name).into_boxed_str()).collect();
    let plan = crate::input::Plan::new(&manifest.input, &field_index);
    Ok(Pack(Arc::new(Handle(Arc::new(Inner {
        uid: sandbox::new_pack_uid(),
        manifest,
        files,
        digest,
        limits,
        rhai,
        unresolved: missing,
        indicators,
        tables,
        plan,
        field_index: Arc::new(field_index),
        field_names_json,
        json_pack,
    })))))
}

/// The input fields a rule reads (`input.x` or `input["x"]`), with the line
/// of the first read; comments are skipped. Used for traces and `check`.
pub(crate) fn scan_reads(source: &str) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("input") {
            let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'_';
            let after = &rest[i + 5..];
            rest = after;
            if !before_ok {
                continue;
            }
            let name: String = if let Some(a) = after.strip_prefix('.') {
                a.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
            } else if let Some(a) = after.strip_prefix("[\"") {
                a.chars().take_while(|c| *c != '"').collect()
            } else {
                continue;
            };
            if !name.is_empty() && !out.iter().any(|(f, _)| *f == name) {
                out.push((name, n as u32 + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_the_fields_a_rule_reads() {
        let src = "// input.ignored\nlet a = input.completed_on_time / input.completed;\nlet b = input[\"marks_1\"]; let myinput = 1;\n";
        assert_eq!(scan_reads(src), [("completed_on_time".to_owned(), 2), ("completed".to_owned(), 2), ("marks_1".to_owned(), 3)]);
    }

    #[test]
    fn digest_covers_paths_and_contents() {
        let mut a = BTreeMap::new();
        a.insert("pack.toml".to_owned(), "x".to_owned());
        let d1 = digest(&a);
        a.insert("pack.toml".to_owned(), "y".to_owned());
        assert_ne!(d1, digest(&a));
        assert!(d1.starts_with("sha256:") && d1.len() == 71);
    }
}
