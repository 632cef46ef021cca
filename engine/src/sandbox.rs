//! The Rhai sandbox: limits, host functions and the exact number type.
//!
//! Rules reach nothing but what is registered here: no file, network, clock
//! or randomness (rhai is built without `std` I/O packages and with
//! `no_time`), `print`/`debug` go to the trace, `eval` is refused, and
//! `import` resolves only names in the pack's own `lib/`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rhai::packages::{ArithmeticPackage, LogicPackage, Package};
use rhai::{Dynamic, EvalAltResult, Module, Position, Shared, INT};

use crate::error::{Error, ErrorKind, Frame};
use crate::num::Num;
use crate::table::Table;

mod stdlib;

/// Sandbox limits applied to every rule evaluation.
///
/// One definition for every place the engine runs (server, browser,
/// bindings); bindings never change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Operations one indicator evaluation may perform.
    pub max_operations: u64,
    /// Depth of nested function calls.
    pub max_call_levels: usize,
    /// Depth of nested expressions at top level.
    pub max_expr_depth: usize,
    /// Depth of nested expressions inside functions.
    pub max_function_expr_depth: usize,
    /// Length of a string, in bytes.
    pub max_string_size: usize,
    /// Length of an array.
    pub max_array_size: usize,
    /// Entries of an object map.
    pub max_map_size: usize,
    /// Variables alive at once.
    pub max_variables: usize,
    /// Functions a script may define.
    pub max_functions: usize,
    /// Modules a script may import.
    pub max_modules: usize,
    /// Lines one indicator evaluation may add to the trace (`explain`,
    /// `print`, `table`), counted whether or not the trace is kept: each
    /// line holds up to `max_string_size` bytes, and a rule in a loop must
    /// not fill memory with them.
    pub max_trace_lines: usize,
    /// Bits of the numerator or denominator of an exact number a rule may
    /// compute (4096 bits: about 1,230 digits). Exact products grow without
    /// bound: twenty squarings of 1.1 would take hours and gigabytes.
    pub max_number_bits: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 100_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 1_000,
            max_variables: 256,
            max_functions: 256,
            max_modules: 16,
            max_trace_lines: 100,
            max_number_bits: 4096,
        }
    }
}

/// What a rule returns to say it does not apply to this record.
#[derive(Debug, Clone)]
pub(crate) struct NotApplicable(pub(crate) String);

/// One thing that happened while a rule ran, kept raw and rendered only
/// when somebody reads the trace.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// `explain("…")` or `print(…)`.
    Note(String),
    /// `table(name, value)` matched row `row`.
    Table { table: usize, inputs: Vec<Num>, row: usize },
    /// A one-input table matched (the fast path's, without a list).
    Table1 { table: u32, row: u32, input: Num },
    /// A fast rule's `explain`: its template and the values filling it
    /// (`len` of them from `start` in the result's trace values).
    Explain { template: u32, start: u32, len: u32 },
}

/// A record's trace events. Most are plain (positions and machine-word
/// numbers) and are dropped without the generic drop glue; the buffer goes
/// back to a small per-thread pool, as for [`crate::fast::Vals`].
#[derive(Clone, Debug)]
pub(crate) struct Events(pub(crate) Vec<Event>);

thread_local! {
    static SPARE_EVENTS: crate::pool::Pool<Event> = const { RefCell::new(Vec::new()) };
}

impl Default for Events {
    fn default() -> Events {
        Events(crate::pool::take(&SPARE_EVENTS))
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        while let Some(e) = self.0.pop() {
            match e {
                Event::Explain { .. } => std::mem::forget(e),
                Event::Table1 { ref input, .. } if input.is_small() => std::mem::forget(e),
                e => drop(e),
            }
        }
        crate::pool::give_back(&SPARE_EVENTS, &mut self.0);
    }
}

impl std::ops::Deref for Events {
    type Target = Vec<Event>;
    fn deref(&self) -> &Vec<Event> {
        &self.0
    }
}

impl std::ops::DerefMut for Events {
    fn deref_mut(&mut self) -> &mut Vec<Event> {
        &mut self.0
    }
}

thread_local! {
    // Evaluation is synchronous on one thread, so the events of the rule
    // running now are collected here; `None` when tracing is off.
    static EVENTS: RefCell<Option<Vec<Event>>> = const { RefCell::new(None) };
    // Trace lines of the rule running now, and how many it may add.
    static LINES: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, usize::MAX)) };
}

pub(crate) fn start_trace(on: bool, max_lines: usize) {
    EVENTS.with(|e| *e.borrow_mut() = on.then(Vec::new));
    LINES.set((0, max_lines));
}

pub(crate) fn take_trace() -> Vec<Event> {
    EVENTS.with(|e| e.borrow_mut().as_mut().map(std::mem::take).unwrap_or_default())
}

/// Adds a trace line; `false` (and nothing kept) past the rule's limit.
fn record(event: impl FnOnce() -> Event) -> bool {
    let (n, max) = LINES.get();
    LINES.set((n + 1, max));
    if n >= max {
        return false;
    }
    EVENTS.with(|e| {
        if let Some(v) = e.borrow_mut().as_mut() {
            v.push(event());
        }
    });
    true
}

/// Whether the rule running now went past its trace lines.
fn trace_overflowed() -> Option<usize> {
    let (n, max) = LINES.get();
    (n > max).then_some(max)
}

/// [`record`] for a function that can fail: past the limit, the rule does.
fn traced(event: impl FnOnce() -> Event) -> RResult<()> {
    if record(event) {
        return Ok(());
    }
    Err(too_many_lines(LINES.get().1))
}

fn too_many_lines(max: usize) -> Box<EvalAltResult> {
    host_error(ErrorKind::Limit, format!("the rule wrote more than {max} trace lines (explain, print, table)"))
}

/// `x` unless it is past the exact number limit.
fn bounded(x: Num, max_bits: u64) -> RResult<Num> {
    if x.bits() > max_bits {
        return Err(host_error(ErrorKind::Limit, format!("an exact number past {max_bits} bits in its numerator or denominator")));
    }
    Ok(x)
}

/// The record as rules see it: `input.completed`. Reading a field the schema
/// does not declare is an error, not a silent `()`.
#[derive(Clone)]
pub(crate) struct Record {
    pub(crate) index: Arc<crate::input::FieldIndex>,
    pub(crate) values: Arc<Vec<Dynamic>>,
}

/// A host error carried through Rhai unchanged, so its kind survives.
fn host_error(kind: ErrorKind, msg: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(Error::new(kind, msg)), Position::NONE).into()
}

fn div_zero() -> Box<EvalAltResult> {
    host_error(ErrorKind::Runtime, "division by zero")
}

type RResult<T> = Result<T, Box<EvalAltResult>>;

fn num_of(d: &Dynamic) -> Option<Num> {
    if let Some(i) = d.clone().try_cast::<INT>() {
        return Some(Num::int(i));
    }
    d.clone().try_cast::<Num>()
}

/// Resolves `import "name"` to `lib/name.rhai` of the pack and nothing else.
struct LibResolver {
    modules: BTreeMap<String, Shared<Module>>,
}

impl rhai::ModuleResolver for LibResolver {
    fn resolve(&self, _: &rhai::Engine, _: Option<&str>, path: &str, pos: Position) -> RResult<Shared<Module>> {
        let plain = !path.is_empty() && path.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plain {
            let e = Error::new(ErrorKind::Security, format!("import of `{path}` is not allowed: rules may import only modules of the pack's lib/ by name, e.g. `import \"common\"`"));
            return Err(EvalAltResult::ErrorRuntime(Dynamic::from(e), pos).into());
        }
        self.modules.get(path).cloned().ok_or_else(|| EvalAltResult::ErrorModuleNotFound(format!("{path} (no lib/{path}.rhai in the pack)"), pos).into())
    }
}

/// Builds the Rhai engine of one pack: limits, exact numbers, host functions
/// bound to the pack's tables, and an import resolver over its `lib/`.
pub(crate) fn build(limits: &Limits, fields: &[String], tables: Arc<Vec<Table>>, modules: BTreeMap<String, Shared<Module>>) -> rhai::Engine {
    let mut e = rhai::Engine::new_raw();
    // Not CorePackage: its language-core part brings `sleep` (a rule could
    // stall without spending operations), `exit` and tags. Not the string,
    // array, map and iterator packages either: the few functions rules use
    // are in `stdlib`.
    e.register_global_module(ArithmeticPackage::new().as_shared_module());
    e.register_global_module(LogicPackage::new().as_shared_module());
    stdlib::register(&mut e);

    e.set_max_operations(limits.max_operations);
    e.set_max_call_levels(limits.max_call_levels);
    e.set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth);
    e.set_max_string_size(limits.max_string_size);
    e.set_max_array_size(limits.max_array_size);
    e.set_max_map_size(limits.max_map_size);
    e.set_max_variables(limits.max_variables);
    e.set_max_functions(limits.max_functions);
    e.set_max_modules(limits.max_modules);
    e.disable_symbol("eval");
    // `/` is exact here, but `x /= y` on two integers would be Rhai's
    // built-in truncating division: a rule writes `x = x / y` instead.
    e.disable_symbol("/=");
    e.set_strict_variables(true);
    // `print` cannot fail: past the limit its lines are not kept, and the
    // rule fails when it ends (`eval_rule`).
    e.on_print(|s| {
        record(|| Event::Note(s.to_owned()));
    });
    e.on_debug(|s, _, _| {
        record(|| Event::Note(s.to_owned()));
    });
    e.set_module_resolver(LibResolver { modules });
    // Off so that the exact `/` below replaces Rhai's truncating integer
    // division: `194 / 200` is 97/100 in a rule, never 0.
    e.set_fast_operators(false);

    register_num(&mut e, limits.max_number_bits);

    e.register_type_with_name::<Record>("Record");
    e.register_indexer_get(|r: &mut Record, field: &str| -> RResult<Dynamic> {
        match r.index.get(field) {
            Some(&i) => Ok(r.values[i].clone()),
            None => Err(host_error(ErrorKind::Runtime, format!("`{field}` is not a field of the pack's input schema"))),
        }
    });
    // One getter per declared field: `input.completed` then costs a lookup,
    // not a failed getter search and the indexer fallback.
    for (i, name) in fields.iter().enumerate() {
        e.register_get(name, move |r: &mut Record| r.values[i].clone());
    }
    e.register_fn("has", |r: &mut Record, field: &str| r.index.get(field).is_some_and(|&i| !r.values[i].is_unit()));

    e.register_type_with_name::<NotApplicable>("NotApplicable");
    e.register_fn("na", |reason: &str| NotApplicable(reason.to_owned()));
    e.register_fn("explain", |s: &str| traced(|| Event::Note(s.to_owned())));

    let t = tables.clone();
    e.register_fn("table", move |name: &str, value: Dynamic| -> RResult<Num> {
        let inputs = match value.clone().try_cast::<rhai::Array>() {
            Some(arr) => arr.iter().map(num_of).collect::<Option<Vec<_>>>(),
            None => num_of(&value).map(|n| vec![n]),
        }
        .ok_or_else(|| host_error(ErrorKind::Runtime, format!("table(\"{name}\", …): the value must be a number or an array of numbers, got {}", value.type_name())))?;
        let ti = t.iter().position(|t| t.name == name).ok_or_else(|| host_error(ErrorKind::Runtime, format!("no table named `{name}` in the pack's tables/")))?;
        let table = &t[ti];
        let row = table.lookup(&inputs).map_err(|err| EvalAltResult::ErrorRuntime(Dynamic::from(err), Position::NONE))?;
        let outcome = table.rows[row].outcome.clone();
        traced(|| Event::Table { table: ti, inputs, row })?;
        Ok(outcome)
    });
    e
}

pub(crate) fn register_num(e: &mut rhai::Engine, max_bits: u64) {
    e.register_type_with_name::<Num>("Num");
    e.register_fn("num", |s: &str| -> RResult<Num> {
        Num::parse(s).ok_or_else(|| host_error(ErrorKind::Runtime, format!("num(\"{s}\"): not a decimal or fraction")))
    });
    e.register_fn("num", Num::int);
    e.register_fn("to_string", |n: &mut Num| n.to_string());
    e.register_fn("to_debug", |n: &mut Num| format!("{n:?}"));
    e.register_fn("is_integer", |n: &mut Num| n.is_integer());

    // Exact division of integers: the one place Rhai would otherwise
    // truncate silently.
    e.register_fn("/", |a: INT, b: INT| -> RResult<Num> { Num::ratio(a, b).ok_or_else(div_zero) });

    arith(e, max_bits, "+", |a, b| Ok(a.add(b)));
    arith(e, max_bits, "-", |a, b| Ok(a.sub(b)));
    arith(e, max_bits, "*", |a, b| Ok(a.mul(b)));
    arith(e, max_bits, "/", |a, b| a.div(b).ok_or_else(div_zero));
    e.register_fn("-", |a: Num| a.neg());

    use std::cmp::Ordering::*;
    compare(e, "==", |o| o == Equal);
    compare(e, "!=", |o| o != Equal);
    compare(e, "<", |o| o == Less);
    compare(e, "<=", |o| o != Greater);
    compare(e, ">", |o| o == Greater);
    compare(e, ">=", |o| o != Less);

    // min and max also of an exact number and an integer, either way round,
    // as the operators are: `max(0, share)` reads as written. Two integers
    // keep Rhai's own, which give an integer.
    arith(e, max_bits, "min", |a, b| Ok(a.min(b).clone()));
    arith(e, max_bits, "max", |a, b| Ok(a.max(b).clone()));
    e.register_fn("abs", |a: Num| if a.signum() < 0 { a.neg() } else { a });
    e.register_fn("round", move |a: Num, places: INT| bounded(a.rounded(round_places(places, max_bits)?), max_bits));
    e.register_fn("fraction", |a: Num| a.fraction_text());
    // The same of an integer (an `int` field, a literal), so that a rule need
    // not know which kind a value is; an integer rounds to itself and stays
    // an integer (its places checked as an exact number's are).
    e.register_fn("round", move |a: INT, places: INT| round_places(places, max_bits).map(|_| a));
    e.register_fn("fraction", |a: INT| Num::int(a).fraction_text());
    e.register_fn("is_integer", |_: INT| true);
}

/// The places of `round(x, places)`, refused when negative or past what the
/// exact number limit allows.
fn round_places(places: INT, max_bits: u64) -> RResult<u32> {
    let p = u32::try_from(places).map_err(|_| host_error(ErrorKind::Runtime, "round: places must be 0 or more"))?;
    // 10^places is computed: its bits are about places × 3.32.
    if u64::from(p) * 10 > max_bits * 3 {
        return Err(host_error(ErrorKind::Limit, format!("round: {p} places is past the exact number limit of {max_bits} bits")));
    }
    Ok(p)
}

// An operator on exact numbers is registered for (Num, Num), (Num, INT) and
// (INT, Num). The operation comes as a function pointer, so these three
// registrations are compiled once for all operators rather than once per
// operator (each registration is some hundreds of bytes of WebAssembly).

/// Arithmetic operator (or `min`, `max`) `op` on exact numbers.
#[inline(never)]
fn arith(e: &mut rhai::Engine, max_bits: u64, op: &str, f: fn(&Num, &Num) -> RResult<Num>) {
    e.register_fn(op, move |a: Num, b: Num| bounded(f(&a, &b)?, max_bits));
    e.register_fn(op, move |a: Num, b: INT| bounded(f(&a, &Num::int(b))?, max_bits));
    e.register_fn(op, move |a: INT, b: Num| bounded(f(&Num::int(a), &b)?, max_bits));
}

/// Comparison `op` on exact numbers: whether their ordering passes `f`.
#[inline(never)]
fn compare(e: &mut rhai::Engine, op: &str, f: fn(std::cmp::Ordering) -> bool) {
    e.register_fn(op, move |a: Num, b: Num| f(a.cmp(&b)));
    e.register_fn(op, move |a: Num, b: INT| f(a.cmp(&Num::int(b))));
    e.register_fn(op, move |a: INT, b: Num| f(Num::int(a).cmp(&b)));
}

/// A Rhai error turned into the engine's error, with the file it happened
/// in, 1-based position and the call chain.
pub(crate) fn convert(err: EvalAltResult, file: &str, limits: &Limits) -> Error {
    let mut frames = Vec::new();
    let mut file = file.to_owned();
    let mut err = err;
    loop {
        match err {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                frames.push(Frame { function: name, file: Some(file.clone()), line: pos.line().map(|l| l as u32), column: pos.position().map(|c| c as u32) });
                if !src.is_empty() {
                    file = src;
                }
                err = *inner;
            }
            EvalAltResult::ErrorInModule(name, inner, pos) => {
                frames.push(Frame { function: format!("import \"{name}\""), file: Some(file.clone()), line: pos.line().map(|l| l as u32), column: pos.position().map(|c| c as u32) });
                file = format!("lib/{name}.rhai");
                err = *inner;
            }
            _ => break,
        }
    }
    let pos = err.position();
    let (kind, message) = match err {
        EvalAltResult::ErrorTooManyOperations(_) => (ErrorKind::Limit, format!("too many operations (limit {})", limits.max_operations)),
        EvalAltResult::ErrorStackOverflow(_) => (ErrorKind::Limit, format!("call depth limit exceeded (limit {})", limits.max_call_levels)),
        EvalAltResult::ErrorDataTooLarge(what, _) => (ErrorKind::Limit, format!("{what} exceeds its size limit")),
        EvalAltResult::ErrorTooManyVariables(_) => (ErrorKind::Limit, format!("too many variables (limit {})", limits.max_variables)),
        EvalAltResult::ErrorTooManyModules(_) => (ErrorKind::Limit, format!("too many modules (limit {})", limits.max_modules)),
        EvalAltResult::ErrorRuntime(d, _) if d.is::<Error>() => {
            let inner = d.cast::<Error>();
            (inner.kind(), inner.message().to_owned())
        }
        EvalAltResult::ErrorParsing(p, _) => (ErrorKind::Parse, p.to_string()),
        mut other => {
            let _ = other.take_position();
            (ErrorKind::Runtime, other.to_string())
        }
    };
    let mut out = Error::new(kind, message).with_file(file).with_call_chain(frames);
    if let (Some(l), Some(c)) = (pos.line(), pos.position()) {
        out = out.with_position(l as u32, c as u32, None);
    } else if let Some(l) = pos.line() {
        out = out.with_position(l as u32, 1, None);
    }
    out
}

/// A compile error of a rule file, with its position.
pub(crate) fn convert_parse(err: rhai::ParseError, file: &str, source: &str) -> Error {
    let rhai::ParseError(ty, pos) = err;
    let (kind, msg) = match *ty {
        rhai::ParseErrorType::Reserved(ref s) | rhai::ParseErrorType::BadInput(rhai::LexError::ImproperSymbol(ref s, _)) if s == "eval" => {
            (ErrorKind::Security, "`eval` is not allowed in rules: a rule's code must be in its file, where it can be read and checked".to_owned())
        }
        rhai::ParseErrorType::ExprTooDeep => (ErrorKind::Limit, "expression nested too deeply".to_owned()),
        ref t @ rhai::ParseErrorType::UnknownOperator(ref s) if s == "/=" => {
            (ErrorKind::Parse, format!("{t}: `/` is exact in rules, `/=` is not available; write `x = x / y`"))
        }
        ref t => match pos.line().zip(pos.position()).and_then(|(l, c)| decimal_at(source, l, c)) {
            // Rhai is built without floats, so `0.98` reads as a property
            // of `0`; the rule's author meant an exact decimal.
            Some(literal) => (ErrorKind::Parse, format!("{t}: rules have no floating-point numbers; write the decimal `{literal}` as `num(\"{literal}\")`")),
            None => (ErrorKind::Parse, t.to_string()),
        },
    };
    let mut e = Error::new(kind, msg).with_file(file);
    if let Some(l) = pos.line() {
        e = e.with_position(l as u32, pos.position().unwrap_or(1) as u32, None).with_source(source);
    }
    e
}

/// The decimal literal (`0.98`) that a parse error at 1-based `line` and
/// `column` of `source` falls on: at its `.` or the digit after it.
fn decimal_at(source: &str, line: usize, column: usize) -> Option<String> {
    let chars: Vec<char> = source.lines().nth(line.checked_sub(1)?)?.chars().collect();
    let at = column.checked_sub(1)?;
    let dot = match chars.get(at)? {
        '.' => at,
        c if c.is_ascii_digit() && at > 0 && chars[at - 1] == '.' => at - 1,
        _ => return None,
    };
    let start = chars[..dot].iter().rposition(|c| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    let end = chars[dot + 1..].iter().position(|c| !c.is_ascii_digit()).map_or(chars.len(), |i| dot + 1 + i);
    // Digits on both sides, not part of a name (`x1.5`) or an exponent
    // (`2.5e3`), which `num` would not read.
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let whole = start < dot && end > dot + 1 && !word(start.checked_sub(1).and_then(|i| chars.get(i))) && !word(chars.get(end));
    whole.then(|| chars[start..end].iter().collect())
}

/// Turns a rule's returned value into points, not-applicable, or an error.
pub(crate) enum Outcome {
    Points(Num),
    NotApplicable(String),
}

pub(crate) fn outcome(value: Dynamic) -> Result<Outcome, String> {
    if let Some(i) = value.clone().try_cast::<INT>() {
        return Ok(Outcome::Points(Num::int(i)));
    }
    if value.is::<Num>() {
        return Ok(Outcome::Points(value.cast::<Num>()));
    }
    if value.is::<NotApplicable>() {
        return Ok(Outcome::NotApplicable(value.cast::<NotApplicable>().0));
    }
    Err(format!("the rule returned {} ({}); it must return points (an integer or exact number) or na(\"reason\")", value.type_name(), value))
}

static NEXT_PACK_UID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A process-unique id for a compiled pack, keying its warm caches.
pub(crate) fn new_pack_uid() -> u64 {
    NEXT_PACK_UID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

thread_local! {
    // Rhai resolves every function and operator call through a cache that
    // `eval_ast` throws away after each run; resolving cold costs more than
    // the rule itself. Each thread keeps one warm cache per (pack, rule),
    // never shared between rules, so a rule's own functions cannot shadow
    // another's.
    static CACHES: RefCell<HashMap<(u64, usize), rhai::Caches>> = RefCell::new(HashMap::new());
}

/// Runs one compiled rule with a warm function-resolution cache. Same
/// semantics as `Engine::eval_ast_with_scope`: a fresh runtime state (so the
/// operations limit counts from zero), the rule's own functions visible.
pub(crate) fn eval_rule(engine: &rhai::Engine, key: (u64, usize), scope: &mut rhai::Scope, ast: &rhai::AST) -> RResult<Dynamic> {
    CACHES.with(|c| {
        let mut map = c.borrow_mut();
        if map.len() > 4096 {
            map.clear(); // many packs loaded and dropped on this thread
        }
        let caches = map.entry(key).or_default();
        let mut global = engine.new_global_runtime_state();
        global.source = ast.source().map(Into::into);
        global.lib.push(ast.shared_lib().clone());
        #[allow(deprecated)] // the one entry point that takes caches; pinned rhai version
        let value = engine.eval_statements_raw(&mut global, caches, scope, ast.statements())?;
        // Lines `print` could not keep: the rule fails, as `explain` would.
        match trace_overflowed() {
            Some(max) => Err(too_many_lines(max)),
            None => Ok(value),
        }
    })
}

