//! A fast path for simple rules.
//!
//! Most indicator rules are a few `let`s, `if`s, arithmetic, table look-ups
//! and `explain` lines. Walking them through Rhai's general interpreter
//! costs far more than the rule itself (every operator is a dynamic function
//! dispatch on boxed values). When a rule uses only that simple subset, it
//! is also compiled here into a small typed tree and run directly.
//!
//! The fast path never decides anything on its own: Rhai's semantics are the
//! definition. Whatever the fast path meets that it does not reproduce
//! exactly (an unsupported construct at compile time; an overflow, a type
//! mismatch, a missing table row at run time) makes it give up, and the rule
//! runs in Rhai, which then produces the result or the positioned error. It
//! has no loops except over literal arrays and no recursion, so every run is
//! bounded by the size of the rule. Tests compare both paths on every golden
//! case and on generated records.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use rhai::{ASTFlags, Dynamic, Expr, FnCallExpr, ImmutableString, Stmt, AST, INT};

use crate::num::Num;
use crate::sandbox::Event;
use crate::table::Table;

/// A record value, typed. Converted to a Rhai `Dynamic` only when a rule
/// has to run in Rhai.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Unit,
    Int(INT),
    Num(Num),
    Bool(bool),
    Str(Text),
    Array(Arc<[Val]>),
    /// A list a rule built while running: `len` values from `start` in the
    /// run's arena. Never leaves the run (a rule returning one, or passing
    /// one anywhere the fast path does not take lists, gives up).
    List { start: u32, len: u32 },
    Na(Text),
}

/// A string value: a rule's literal, or text made from the record.
///
/// Literals are interned once per process and copied as plain references:
/// cloning one touches no reference count, so threads assessing records with
/// the same pack never write to a shared cache line for them (a shared
/// `Arc` count per literal use cost about a tenth of the second core).
///
/// Short text from a record (ids such as `SRV-000001`) is held in place,
/// without an allocation; a `Val` is no larger for it.
#[derive(Clone, Debug)]
pub(crate) enum Text {
    Lit(&'static str),
    Own(Arc<str>),
    Short(u8, [u8; SHORT_TEXT]),
}

const SHORT_TEXT: usize = 22;

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Lit(s) => s,
            Text::Own(s) => s,
            // Always whole UTF-8: made from a `&str` below.
            Text::Short(len, bytes) => std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default(),
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        if s.len() <= SHORT_TEXT {
            let mut bytes = [0; SHORT_TEXT];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            return Text::Short(s.len() as u8, bytes);
        }
        Text::Own(Arc::from(s))
    }
}

/// The one copy of a literal's text for the whole process. The set only
/// grows by the distinct literals of the packs loaded, so it stays as small
/// as the rule files are.
fn intern(s: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock, PoisonError};
    static SET: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = SET.get_or_init(Default::default).lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&known) = set.get(s) {
        return known;
    }
    let text: &'static str = Box::leak(s.into());
    set.insert(text);
    text
}

impl Val {
    pub(crate) fn to_dynamic(&self) -> Dynamic {
        match self {
            Val::Unit => Dynamic::UNIT,
            Val::Int(i) => Dynamic::from(*i),
            Val::Num(n) => Dynamic::from(n.clone()),
            Val::Bool(b) => Dynamic::from(*b),
            Val::Str(s) => Dynamic::from(ImmutableString::from(&**s)),
            Val::Array(a) => Dynamic::from_array(a.iter().map(Val::to_dynamic).collect()),
            // Record values are never lists built by a run.
            Val::List { .. } => Dynamic::UNIT,
            Val::Na(r) => Dynamic::from(crate::sandbox::NotApplicable(r.to_string())),
        }
    }
}

/// As Rhai's `to_string` prints it (string interpolation).
impl Val {
    /// Writes the [`Display`](fmt::Display) text to a trace, without the
    /// formatting machinery (traces print a value per line or more). Only
    /// text can need escaping; numbers and booleans go in as they are.
    pub(crate) fn write_to(&self, out: &mut impl crate::assess::TraceOut) {
        match self {
            Val::Unit => {}
            Val::Int(i) => crate::num::push_int(out.raw(), *i),
            Val::Num(n) => n.push_to(out.raw()),
            Val::Bool(b) => out.raw().push_str(if *b { "true" } else { "false" }),
            Val::Str(s) | Val::Na(s) => out.text(s),
            Val::Array(_) | Val::List { .. } => out.raw().push_str("[…]"),
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Unit => Ok(()),
            Val::Int(i) => write!(f, "{i}"),
            Val::Num(n) => write!(f, "{n}"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Str(s) | Val::Na(s) => f.write_str(s),
            Val::Array(_) | Val::List { .. } => f.write_str("[…]"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn from_syntax(s: &str) -> Option<Op> {
        Some(match s {
            "+" => Op::Add,
            "-" => Op::Sub,
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Rem,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
enum E {
    Const(Val),
    Var(usize),
    Field(usize),
    Bin(Op, Box<E>, Box<E>),
    Neg(Box<E>),
    Not(Box<E>),
    And(Vec<E>),
    Or(Vec<E>),
    Interp(Vec<E>),
    Array(Vec<E>),
    Index(Box<E>, Box<E>),
    Block(Vec<S>),
    Na(Box<E>),
    /// `explain(…)`: a template of the pack and the expressions filling it.
    Explain(usize, Vec<E>),
    Table(usize, Box<E>),
    Call(usize, Vec<E>),
    /// Integer arithmetic worked on machine integers; when a leaf is not an
    /// integer at run time, or a step overflows, the general form decides.
    Int(IntE, Box<E>),
    /// An integer comparison, with the general form for the same cases.
    IntCmp(Op, IntE, IntE, Box<E>),
    /// `a / b` of integers: an exact ratio, with the general form.
    IntRatio(IntE, IntE, Box<E>),
}

/// An expression of integers only: most rule arithmetic (counts, sums,
/// comparisons with limits). Evaluated without building values.
#[derive(Debug, Clone)]
enum IntE {
    Const(INT),
    Field(usize),
    Var(usize),
    Bin(Op, Box<IntE>, Box<IntE>),
}

impl IntE {
    /// The integer form of a compiled expression, when it has one.
    fn of(e: &E) -> Option<IntE> {
        Some(match e {
            E::Const(Val::Int(k)) => IntE::Const(*k),
            E::Field(i) => IntE::Field(*i),
            E::Var(s) => IntE::Var(*s),
            E::Int(ie, _) => ie.clone(),
            E::Bin(op @ (Op::Add | Op::Sub | Op::Mul | Op::Rem), a, b) => IntE::Bin(*op, Box::new(IntE::of(a)?), Box::new(IntE::of(b)?)),
            _ => return None,
        })
    }
}

/// `E::Bin`, or its integer form when both sides have one.
fn binary_expr(op: Op, a: E, b: E) -> E {
    let (ia, ib) = (IntE::of(&a), IntE::of(&b));
    let general = E::Bin(op, Box::new(a), Box::new(b));
    let (Some(ia), Some(ib)) = (ia, ib) else { return general };
    match op {
        Op::Add | Op::Sub | Op::Mul | Op::Rem => {
            let ie = IntE::Bin(op, Box::new(ia), Box::new(ib));
            E::Int(ie, Box::new(general))
        }
        Op::Div => E::IntRatio(ia, ib, Box::new(general)),
        _ => E::IntCmp(op, ia, ib, Box::new(general)),
    }
}

#[derive(Debug, Clone)]
enum S {
    Let(usize, E),
    Assign(usize, Option<Op>, E),
    If(E, Vec<S>, Vec<S>),
    For(usize, E, Vec<S>),
    Return(Option<E>),
    Expr(E),
}

/// A node of a compiled tree, as the passes over it see one.
enum Node<'a> {
    S(&'a S),
    E(&'a E),
}

/// Calls `f` on every statement and expression of `stmts`, nested ones
/// included, parents first. Integer forms are seen through their general
/// form, which reads the same variables.
fn walk<'a>(stmts: &'a [S], f: &mut dyn FnMut(Node<'a>)) {
    for s in stmts {
        f(Node::S(s));
        match s {
            S::Let(_, x) | S::Assign(_, _, x) | S::Expr(x) | S::Return(Some(x)) => walk_e(x, f),
            S::Return(None) => {}
            S::If(c, yes, no) => {
                walk_e(c, f);
                walk(yes, f);
                walk(no, f);
            }
            S::For(_, iter, body) => {
                walk_e(iter, f);
                walk(body, f);
            }
        }
    }
}

fn walk_e<'a>(x: &'a E, f: &mut dyn FnMut(Node<'a>)) {
    f(Node::E(x));
    match x {
        E::Const(_) | E::Var(_) | E::Field(_) => {}
        E::Bin(_, a, b) | E::Index(a, b) => {
            walk_e(a, f);
            walk_e(b, f);
        }
        E::Int(_, g) | E::IntCmp(.., g) | E::IntRatio(.., g) => walk_e(g, f),
        E::Neg(a) | E::Not(a) | E::Na(a) | E::Table(_, a) => walk_e(a, f),
        E::And(xs) | E::Or(xs) | E::Interp(xs) | E::Array(xs) | E::Explain(_, xs) | E::Call(_, xs) => xs.iter().for_each(|x| walk_e(x, f)),
        E::Block(b) => walk(b, f),
    }
}

#[derive(Debug)]
struct Func {
    slots: usize,
    params: usize,
    body: Vec<S>,
}

/// The text of one `explain(…)` call: literal pieces and the places of the
/// values filled in. The trace keeps only the values; the text is put
/// together when somebody reads it.
#[derive(Debug)]
pub(crate) struct Template {
    /// `Some((text, text escaped for JSON))` literal, `None` the next value.
    parts: Vec<Option<(Arc<str>, Box<str>)>>,
    /// `explain(`…${x}…`)` rather than `explain(x)`: an interpolated value
    /// may be any printable value, a plain argument must be text.
    interpolated: bool,
}

impl Template {
    /// Writes the line as Rhai's string interpolation writes it.
    pub(crate) fn render(&self, out: &mut impl crate::assess::TraceOut, values: &[Val]) {
        let mut values = values.iter();
        for p in &self.parts {
            match p {
                Some((text, json)) => out.constant(text, json),
                None => {
                    if let Some(v) = values.next() {
                        v.write_to(out);
                    }
                }
            }
        }
    }
}

/// A rule compiled for the fast path: its tree linked into closures, one
/// per node, each specialised for its node's shape (no dispatch over all
/// node kinds at run time).
pub(crate) struct FastRule {
    slots: usize,
    code: Sx,
    pub(crate) templates: Vec<Template>,
}

impl fmt::Debug for FastRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FastRule").field("slots", &self.slots).field("templates", &self.templates).finish_non_exhaustive()
    }
}

/// What the compiler can see: the record's fields, the tables, the lib ASTs.
pub(crate) struct Context<'a> {
    pub(crate) fields: &'a crate::input::FieldIndex,
    pub(crate) tables: &'a [Table],
    pub(crate) libs: &'a BTreeMap<String, AST>,
    pub(crate) lib_sources: BTreeMap<String, &'a str>,
    pub(crate) engine: &'a rhai::Engine,
    pub(crate) max_string: usize,
    pub(crate) max_array: usize,
    /// Trace lines one run may add; past them Rhai runs the rule and fails it.
    pub(crate) max_trace_lines: usize,
    /// Rhai's operations and variables limits: a rule that could come near
    /// them runs in Rhai, which enforces them.
    pub(crate) max_operations: u64,
    pub(crate) max_variables: usize,
    /// The record's text fields (by position): a list holding one may
    /// reach the string size limit, so loops over it are not unrolled.
    pub(crate) text_fields: Vec<bool>,
}

struct Compiler<'a> {
    cx: &'a Context<'a>,
    /// Names in scope → slot, innermost last; `constant` marks `const`.
    env: Vec<(ImmutableString, usize, bool)>,
    slots: usize,
    /// `import "x" as alias` → lib name.
    imports: Vec<(ImmutableString, String)>,
    funcs: Vec<Func>,
    func_ids: HashMap<(String, String, usize), usize>,
    templates: Vec<Template>,
    /// Compiling a lib function: no `input`, no imports, no nested calls.
    in_function: bool,
}

type C<T> = Option<T>;

/// Compiles a rule for the fast path, or `None` when it uses anything the
/// fast path does not reproduce exactly.
pub(crate) fn compile(ast: &AST, cx: &Context) -> Option<FastRule> {
    if ast.iter_functions().next().is_some() {
        return None; // rules defining their own functions run in Rhai
    }
    let mut c = Compiler { cx, env: Vec::new(), slots: 0, imports: Vec::new(), funcs: Vec::new(), func_ids: HashMap::new(), templates: Vec::new(), in_function: false };
    let body = c.block(ast.statements(), true)?;
    // Rhai enforces the operations and variables limits; the fast path
    // counts neither, so a rule that could come near them runs in Rhai.
    // Variables: every declaration, `input` and the imports, as if all
    // were alive at once (functions have scopes of their own).
    if c.slots + c.imports.len() + 1 > cx.max_variables || c.funcs.iter().any(|f| f.slots > cx.max_variables) {
        return None;
    }
    if bounds::operations(&body, &c.funcs) > cx.max_operations {
        return None;
    }
    let funcs = c.funcs.iter().map(|f| Arc::new(Linked { slots: f.slots, params: f.params, code: link_block(&f.body, &[], &c.templates, cx) })).collect::<Vec<_>>();
    let code = link_block(&body, &funcs, &c.templates, cx);
    Some(FastRule { slots: c.slots, code, templates: c.templates })
}

impl Compiler<'_> {
    fn block(&mut self, stmts: &[Stmt], top: bool) -> C<Vec<S>> {
        let mark = self.env.len();
        let out = stmts.iter().filter(|s| !matches!(s, Stmt::Noop(_))).map(|s| self.stmt(s, top)).collect::<Option<Vec<_>>>();
        self.env.truncate(mark);
        let limits = rewrite::Limits { max_array: self.cx.max_array, max_string: self.cx.max_string, text_fields: &self.cx.text_fields };
        Some(rewrite::unroll(out?, &limits))
    }

    fn new_slot(&mut self, name: &ImmutableString, constant: bool) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.env.push((name.clone(), slot, constant));
        slot
    }

    fn lookup(&self, name: &str) -> C<(usize, bool)> {
        self.env.iter().rev().find(|(n, ..)| n.as_str() == name).map(|(_, s, c)| (*s, *c))
    }

    fn stmt(&mut self, s: &Stmt, top: bool) -> C<S> {
        match s {
            Stmt::Var(x, flags, _) => {
                let init = self.expr(&x.1)?;
                Some(S::Let(self.new_slot(&x.0.name, flags.contains(ASTFlags::CONSTANT)), init))
            }
            Stmt::Assignment(x) => {
                let (op, bin) = &**x;
                let Expr::Variable(v, ..) = &bin.lhs else { return None };
                if !v.2.is_empty() {
                    return None;
                }
                let (slot, constant) = self.lookup(&v.1)?;
                if constant {
                    return None;
                }
                let op = match op.get_op_assignment_info() {
                    None => None,
                    Some((.., op_syntax)) => Some(Op::from_syntax(op_syntax)?),
                };
                Some(S::Assign(slot, op, self.expr(&bin.rhs)?))
            }
            Stmt::If(f, _) => {
                let cond = self.expr(&f.expr)?;
                let body = self.block(f.body.statements(), false)?;
                let branch = self.block(f.branch.statements(), false)?;
                Some(S::If(cond, body, branch))
            }
            Stmt::For(x, _) => {
                let (var, counter, flow) = &**x;
                if counter.is_some() {
                    return None;
                }
                let iter = self.expr(&flow.expr)?;
                let mark = self.env.len();
                let slot = self.new_slot(&var.name, false);
                let body = self.block(flow.body.statements(), false);
                self.env.truncate(mark);
                Some(S::For(slot, iter, body?))
            }
            Stmt::Return(e, flags, _) if !flags.contains(ASTFlags::BREAK) => Some(S::Return(match e {
                Some(e) => Some(self.expr(e)?),
                None => None,
            })),
            Stmt::Expr(e) => Some(S::Expr(self.expr(e)?)),
            Stmt::FnCall(f, _) => Some(S::Expr(self.call(f)?)),
            Stmt::Block(b) => Some(S::Expr(E::Block(self.block(b.statements(), false)?))),
            // Imports resolve at compile time, at the top of the rule only.
            Stmt::Import(x, _) if top && !self.in_function => {
                let (path, alias) = &**x;
                let Expr::StringConstant(p, _) = path else { return None };
                if !self.cx.libs.contains_key(p.as_str()) {
                    return None; // Rhai reports the missing or forbidden module
                }
                self.imports.push((alias.name.clone(), p.to_string()));
                Some(S::Expr(E::Const(Val::Unit)))
            }
            _ => None,
        }
    }

    fn expr(&mut self, e: &Expr) -> C<E> {
        Some(match e {
            Expr::IntegerConstant(i, _) => E::Const(Val::Int(*i)),
            Expr::BoolConstant(b, _) => E::Const(Val::Bool(*b)),
            Expr::StringConstant(s, _) => E::Const(Val::Str(Text::Lit(intern(s)))),
            Expr::Unit(_) => E::Const(Val::Unit),
            Expr::DynamicConstant(d, _) => E::Const(from_constant(d)?),
            Expr::Variable(v, ..) => {
                if !v.2.is_empty() {
                    return None;
                }
                match self.lookup(&v.1) {
                    Some((slot, _)) => E::Var(slot),
                    None => return None, // `input` alone, or anything else
                }
            }
            Expr::Dot(b, flags, _) if !flags.contains(ASTFlags::NEGATED) => {
                let Expr::Variable(v, ..) = &b.lhs else { return None };
                let Expr::Property(p, _) = &b.rhs else { return None };
                if self.in_function || v.1.as_str() != "input" || !v.2.is_empty() || self.lookup("input").is_some() {
                    return None;
                }
                E::Field(*self.cx.fields.get(p.2.as_str())?)
            }
            Expr::Index(b, flags, _) if !flags.contains(ASTFlags::NEGATED) => {
                if let (Expr::Variable(v, ..), Expr::StringConstant(name, _)) = (&b.lhs, &b.rhs) {
                    if v.1.as_str() == "input" && v.2.is_empty() && !self.in_function && self.lookup("input").is_none() {
                        return Some(E::Field(*self.cx.fields.get(name.as_str())?));
                    }
                }
                E::Index(Box::new(self.expr(&b.lhs)?), Box::new(self.expr(&b.rhs)?))
            }
            Expr::And(xs, _) => E::And(xs.iter().map(|x| self.expr(x)).collect::<Option<_>>()?),
            Expr::Or(xs, _) => E::Or(xs.iter().map(|x| self.expr(x)).collect::<Option<_>>()?),
            Expr::InterpolatedString(parts, _) => E::Interp(parts.iter().map(|x| self.expr(x)).collect::<Option<_>>()?),
            Expr::Array(items, _) => E::Array(items.iter().map(|x| self.expr(x)).collect::<Option<_>>()?),
            Expr::Stmt(b) => E::Block(self.block(b.statements(), false)?),
            Expr::FnCall(f, _) => self.call(f)?,
            _ => return None,
        })
    }

    fn call(&mut self, f: &FnCallExpr) -> C<E> {
        if f.capture_parent_scope {
            return None;
        }
        let name = f.name.as_str();
        if !f.namespace.is_empty() {
            return self.lib_call(f);
        }
        let a = &f.args;
        Some(match (name, a.len()) {
            ("!", 1) => E::Not(Box::new(self.expr(&a[0])?)),
            ("-", 1) => E::Neg(Box::new(self.expr(&a[0])?)),
            (op, 2) if Op::from_syntax(op).is_some() => binary_expr(Op::from_syntax(op)?, self.expr(&a[0])?, self.expr(&a[1])?),
            ("na", 1) => E::Na(Box::new(self.expr(&a[0])?)),
            ("explain", 1) if !self.in_function => {
                let (parts, args, interpolated) = match &a[0] {
                    Expr::InterpolatedString(parts, _) => {
                        let mut args = Vec::new();
                        let mut texts = Vec::new();
                        for p in parts.iter() {
                            match p {
                                Expr::StringConstant(t, _) => texts.push(Some((Arc::from(t.as_str()), crate::json::escaped_text(t).into_boxed_str()))),
                                other => {
                                    args.push(self.expr(other)?);
                                    texts.push(None);
                                }
                            }
                        }
                        (texts, args, true)
                    }
                    other => (vec![None], vec![self.expr(other)?], false),
                };
                self.templates.push(Template { parts, interpolated });
                E::Explain(self.templates.len() - 1, args)
            }
            ("table", 2) => {
                let Expr::StringConstant(t, _) = &a[0] else { return None };
                let idx = self.cx.tables.iter().position(|x| x.name == t.as_str())?;
                if self.cx.tables[idx].inputs.len() != 1 {
                    return None;
                }
                E::Table(idx, Box::new(self.expr(&a[1])?))
            }
            ("num", 1) => match &a[0] {
                Expr::StringConstant(s, _) => E::Const(Val::Num(Num::parse(s)?)),
                Expr::IntegerConstant(i, _) => E::Const(Val::Num(Num::int(*i))),
                _ => return None,
            },
            _ => return None,
        })
    }

    /// `alias::name(args)` of an imported lib module, compiled once per
    /// (module, function, arity). Lib functions see only their parameters.
    fn lib_call(&mut self, f: &FnCallExpr) -> C<E> {
        if self.in_function || f.namespace.path.len() != 1 {
            return None;
        }
        let alias = f.namespace.root();
        let module = self.imports.iter().rev().find(|(a, _)| a.as_str() == alias)?.1.clone();
        let key = (module.clone(), f.name.to_string(), f.args.len());
        let id = match self.func_ids.get(&key) {
            Some(id) => *id,
            None => {
                let lib = self.cx.libs.get(&module)?;
                // Private functions are not callable from outside their
                // module: Rhai reports that.
                let defs: Vec<_> = lib.iter_fn_def().filter(|d| d.name == f.name && d.params.len() == f.args.len() && d.access != rhai::FnAccess::Private).collect();
                let [def] = defs.as_slice() else { return None };
                // Rhai does not expose a function's statements, only where its
                // body starts and ends: compile that text again as a script in
                // which the parameters are variables.
                let source = self.cx.lib_sources.get(&module)?;
                let body_text = span_text(source, def.body.start_position(), def.body.end_position())?;
                let mut scope = rhai::Scope::new();
                for p in &def.params {
                    scope.push(p.clone(), ());
                }
                let body = self.cx.engine.compile_with_scope(&scope, body_text).ok()?;
                if body.iter_functions().next().is_some() {
                    return None;
                }
                let mut inner = Compiler { cx: self.cx, env: Vec::new(), slots: 0, imports: Vec::new(), funcs: Vec::new(), func_ids: HashMap::new(), templates: Vec::new(), in_function: true };
                for p in &def.params {
                    inner.new_slot(p, false);
                }
                let compiled = inner.block(body.statements(), false)?;
                let id = self.funcs.len();
                self.funcs.push(Func { slots: inner.slots, params: def.params.len(), body: compiled });
                self.func_ids.insert(key, id);
                id
            }
        };
        let args: Vec<E> = f.args.iter().map(|a| self.expr(a)).collect::<Option<_>>()?;
        Some(rewrite::inline(&self.funcs[id], &args).unwrap_or(E::Call(id, args)))
    }
}

mod bounds {
    //! Static upper bounds of a compiled rule's work.
    use super::{walk, Func, Node, Val, E, S};

    /// Rhai operations counted per node of the tree, generously: Rhai
    /// counts one per statement and about one per expression evaluated.
    const PER_NODE: u64 = 8;

    /// An upper bound of the operations Rhai counts running `body` (whose
    /// lib calls go to `funcs`): loops over a literal list run its length,
    /// others the longest list of the rule (lists are only ever built from
    /// literals, and nothing makes them longer).
    pub(super) fn operations(body: &[S], funcs: &[Func]) -> u64 {
        let longest = funcs.iter().map(|f| longest(&f.body)).chain([longest(body)]).max().unwrap_or(0);
        let calls: Vec<u64> = funcs.iter().map(|f| block(&f.body, &[], longest)).collect();
        block(body, &calls, longest).saturating_mul(PER_NODE)
    }

    fn block(stmts: &[S], calls: &[u64], n: u64) -> u64 {
        stmts.iter().map(|s| stmt(s, calls, n)).fold(0, u64::saturating_add)
    }

    fn stmt(s: &S, calls: &[u64], n: u64) -> u64 {
        let e = |x: &E| expr(x, calls, n);
        let b = |xs: &[S]| block(xs, calls, n);
        1u64.saturating_add(match s {
            S::Let(_, x) | S::Assign(_, _, x) | S::Expr(x) => e(x),
            S::Return(x) => x.as_ref().map_or(0, e),
            S::If(c, yes, no) => e(c).saturating_add(b(yes)).saturating_add(b(no)),
            S::For(_, iter, body) => {
                let times = if let E::Array(items) = iter { items.len() as u64 } else { n };
                e(iter).saturating_add(times.saturating_mul(1u64.saturating_add(b(body))))
            }
        })
    }

    fn expr(x: &E, calls: &[u64], n: u64) -> u64 {
        let e = |x: &E| expr(x, calls, n);
        let all = |xs: &[E]| xs.iter().map(e).fold(0, u64::saturating_add);
        1u64.saturating_add(match x {
            E::Const(_) | E::Var(_) | E::Field(_) => 0,
            E::Bin(_, a, b) | E::Index(a, b) => e(a).saturating_add(e(b)),
            E::Int(_, g) | E::IntCmp(.., g) | E::IntRatio(.., g) => e(g),
            E::Neg(a) | E::Not(a) | E::Na(a) | E::Table(_, a) => e(a),
            E::And(xs) | E::Or(xs) | E::Interp(xs) | E::Array(xs) | E::Explain(_, xs) => all(xs),
            E::Block(b) => block(b, calls, n),
            E::Call(id, xs) => all(xs).saturating_add(calls.get(*id).copied().unwrap_or(u64::MAX)),
        })
    }

    /// The longest list written in `stmts` (literal or constant).
    fn longest(stmts: &[S]) -> u64 {
        let mut max = 0;
        walk(stmts, &mut |n| {
            if let Node::E(E::Array(items)) = n {
                max = max.max(items.len());
            } else if let Node::E(E::Const(Val::Array(items))) = n {
                max = max.max(items.len());
            }
        });
        max as u64
    }

    /// The number of nodes of `stmts`.
    pub(super) fn nodes(stmts: &[S]) -> usize {
        let mut count = 0;
        walk(stmts, &mut |_| count += 1);
        count
    }
}

mod rewrite {
    //! Two rewrites of a compiled rule that take work out of every run and
    //! change nothing Rhai would do.
    //!
    //! **Loops over literal lists, unrolled.** `let elements = [["cost",
    //! input.info_cost], …]; for e in elements { … e[1] … }` builds a list
    //! of lists per record only to take it apart again (in the 2016 pack,
    //! about 2,600 of portal_info's 4,370 instructions per record). When
    //! every item is a constant or a field, or a list of them, building the
    //! list can neither fail nor be observed, so the loop becomes one copy
    //! of its body per item, with `e` (or `e[k]`) replaced by the item (or
    //! its k-th element). Anything else (the list used again, the loop
    //! variable used as a whole list, an index out of range, a list over
    //! the size limit) keeps the loop as it is.
    //!
    //! **Lib functions of one expression, inlined.** `c::share(input.a,
    //! input.b)` with `fn share(part, whole) { part / whole }` becomes
    //! `input.a / input.b` when the arguments are constants, fields or
    //! variables: reading them cannot fail or change anything, so when they
    //! are read makes no difference.
    use super::{binary_expr, bounds, walk, walk_e, Func, Node, Val, E, S};

    /// Longest list unrolled: past it the copies outweigh the list.
    const MAX_ITEMS: usize = 16;

    /// Most nodes one unrolled loop may give (nested loops unroll inner
    /// first, so this bounds their product too).
    const MAX_NODES: usize = 2048;

    /// What unrolling must keep within: Rhai's array and string size
    /// limits, and which record fields are text.
    pub(super) struct Limits<'a> {
        pub(super) max_array: usize,
        pub(super) max_string: usize,
        pub(super) text_fields: &'a [bool],
    }

    /// The block with its unrollable loops unrolled.
    pub(super) fn unroll(mut stmts: Vec<S>, cx: &Limits) -> Vec<S> {
        let mut k = 0;
        while k < stmts.len() {
            let replaced = match &stmts[k] {
                S::For(var, iter, body) => {
                    // The list: written in the loop, or a variable let in this
                    // block and read nowhere else.
                    let (items, list_let) = match iter {
                        E::Array(items) => (Some(items.clone()), None),
                        E::Var(list) => match stmts[..k].iter().rposition(|s| matches!(s, S::Let(slot, E::Array(_)) if slot == list)) {
                            Some(at) if uses(&stmts, *list) == 2 => match &stmts[at] {
                                S::Let(_, E::Array(items)) => (Some(items.clone()), Some(at)),
                                _ => (None, None),
                            },
                            _ => (None, None),
                        },
                        _ => (None, None),
                    };
                    // Building the list could not fail in Rhai: within the array
                    // size limit, no text field in it (its length is only known
                    // at run time), its text constants within the string limit.
                    let unrollable = |items: &Vec<E>| {
                        let leaves = || items.iter().flat_map(|x| if let E::Array(parts) = x { parts.as_slice() } else { std::slice::from_ref(x) });
                        let text: usize = leaves().map(|x| if let E::Const(Val::Str(t)) = x { t.len() } else { 0 }).sum();
                        items.len() <= MAX_ITEMS
                            && size(items) <= cx.max_array
                            && text <= cx.max_string
                            && items.len() * bounds::nodes(body) <= MAX_NODES
                            && leaves().all(|x| pure(x) && !matches!(x, E::Field(i) if cx.text_fields.get(*i).copied().unwrap_or(true)))
                            && items.iter().all(|x| match x {
                                E::Array(parts) => parts.iter().all(pure),
                                x => pure(x),
                            })
                    };
                    items.filter(unrollable).and_then(|items| {
                        let mut copies = items
                            .iter()
                            .map(|item| {
                                let bind = |slot| (slot == *var).then_some(item);
                                Some(S::Expr(E::Block(body.iter().map(|s| subst_s(s, &bind)).collect::<Option<_>>()?)))
                            })
                            .collect::<Option<Vec<_>>>()?;
                        // A loop's value is `()`, whatever its body's last value.
                        copies.push(S::Expr(E::Const(Val::Unit)));
                        Some((copies, list_let))
                    })
                }
                _ => None,
            };
            match replaced {
                Some((copies, list_let)) => {
                    let n = copies.len();
                    stmts.splice(k..=k, copies);
                    if let Some(at) = list_let {
                        // The list is never built: its variable stays `()`.
                        stmts[at] = S::Expr(E::Const(Val::Unit));
                    }
                    k += n;
                }
                None => k += 1,
            }
        }
        stmts
    }

    /// A call of `func` with `args`, inlined, when its body is one
    /// expression of its parameters and the arguments are constants,
    /// fields or variables.
    pub(super) fn inline(func: &Func, args: &[E]) -> Option<E> {
        let [S::Expr(body)] = func.body.as_slice() else { return None };
        if args.len() != func.params || !args.iter().all(|a| pure(a) || matches!(a, E::Var(_))) || !of_params(body, func.params) {
            return None;
        }
        subst(body, &|slot| args.get(slot))
    }

    /// The elements of a list and of the lists in it, as Rhai counts them
    /// against its array size limit (counted generously: more never
    /// unrolls a loop Rhai would stop).
    fn size(items: &[E]) -> usize {
        items.iter().map(|x| 1 + if let E::Array(parts) = x { parts.len() } else { 0 }).sum()
    }

    /// A constant or a field: evaluating it cannot fail or be observed.
    fn pure(e: &E) -> bool {
        matches!(e, E::Const(Val::Int(_) | Val::Bool(_) | Val::Str(_) | Val::Num(_) | Val::Unit) | E::Field(_))
    }

    /// An expression reading no variable but the first `params` (no
    /// blocks, so no variables of its own either).
    fn of_params(e: &E, params: usize) -> bool {
        let mut ok = true;
        walk_e(e, &mut |n| {
            ok &= match n {
                Node::E(E::Var(s)) => *s < params,
                Node::E(E::Block(_) | E::Call(..)) => false,
                _ => true,
            }
        });
        ok
    }

    /// What a variable stands for in a rewrite: a constant, a field or a
    /// variable, or a list of constants and fields (read only as `v[k]`).
    type Bind<'a> = dyn Fn(usize) -> Option<&'a E> + 'a;

    /// `e` with the bound variables replaced (`None`: cannot).
    fn subst(e: &E, bind: &Bind) -> Option<E> {
        let sub = |x: &E| subst(x, bind);
        let all = |xs: &[E]| xs.iter().map(sub).collect::<Option<Vec<_>>>();
        let boxed = |x: &E| sub(x).map(Box::new);
        Some(match e {
            E::Var(s) if bind(*s).is_some() => match bind(*s)? {
                E::Array(_) => return None,
                item => item.clone(),
            },
            E::Index(a, i) if matches!(&**a, E::Var(s) if bind(*s).is_some()) => match (&**a, &**i) {
                (E::Var(s), E::Const(Val::Int(k))) => match bind(*s)? {
                    E::Array(parts) => parts.get(usize::try_from(*k).ok()?)?.clone(),
                    _ => return None,
                },
                _ => return None,
            },
            E::Const(_) | E::Var(_) | E::Field(_) => e.clone(),
            // The general forms decide again which integer form applies.
            E::Bin(op, a, b) => binary_expr(*op, sub(a)?, sub(b)?),
            E::Int(_, general) | E::IntCmp(.., general) | E::IntRatio(.., general) => sub(general)?,
            E::Neg(a) => E::Neg(boxed(a)?),
            E::Not(a) => E::Not(boxed(a)?),
            E::Na(a) => E::Na(boxed(a)?),
            E::And(xs) => E::And(all(xs)?),
            E::Or(xs) => E::Or(all(xs)?),
            E::Interp(xs) => E::Interp(all(xs)?),
            E::Array(xs) => E::Array(all(xs)?),
            E::Index(a, i) => E::Index(boxed(a)?, boxed(i)?),
            E::Block(b) => E::Block(b.iter().map(|s| subst_s(s, bind)).collect::<Option<_>>()?),
            E::Explain(t, xs) => E::Explain(*t, all(xs)?),
            E::Table(t, a) => E::Table(*t, boxed(a)?),
            E::Call(id, xs) => E::Call(*id, all(xs)?),
        })
    }

    fn subst_s(s: &S, bind: &Bind) -> Option<S> {
        let sub = |x: &E| subst(x, bind);
        let stmts = |xs: &[S]| xs.iter().map(|s| subst_s(s, bind)).collect::<Option<Vec<_>>>();
        Some(match s {
            S::Let(slot, _) | S::Assign(slot, ..) if bind(*slot).is_some() => return None,
            S::Let(slot, e) => S::Let(*slot, sub(e)?),
            S::Assign(slot, op, e) => S::Assign(*slot, *op, sub(e)?),
            S::If(c, a, b) => S::If(sub(c)?, stmts(a)?, stmts(b)?),
            S::For(slot, iter, body) => S::For(*slot, sub(iter)?, stmts(body)?),
            S::Return(e) => S::Return(match e {
                Some(e) => Some(sub(e)?),
                None => None,
            }),
            S::Expr(e) => S::Expr(sub(e)?),
        })
    }

    /// How often `stmts` read or write the variable in `slot`.
    fn uses(stmts: &[S], slot: usize) -> usize {
        let mut count = 0;
        walk(stmts, &mut |n| {
            count += usize::from(match n {
                Node::E(E::Var(s)) => *s == slot,
                Node::S(S::Let(s, _) | S::Assign(s, ..) | S::For(s, ..)) => *s == slot,
                _ => false,
            })
        });
        count
    }
}

/// The text between two positions of `source` (1-based line and column),
/// without the enclosing braces of a block.
fn span_text(source: &str, start: rhai::Position, end: rhai::Position) -> C<&str> {
    let offset = |p: rhai::Position| -> C<usize> {
        let (line, col) = (p.line()?, p.position()?);
        let line_start: usize = source.split_inclusive('\n').take(line - 1).map(str::len).sum();
        let line_text = source[line_start..].split('\n').next()?;
        Some(line_start + line_text.char_indices().nth(col - 1).map_or(line_text.len(), |(i, _)| i))
    };
    let (a, b) = (offset(start)?, offset(end)?);
    let text = source.get(a..=b)?.trim();
    text.strip_prefix('{')?.strip_suffix('}')
}

fn from_constant(d: &Dynamic) -> C<Val> {
    if let Some(i) = d.clone().try_cast::<INT>() {
        return Some(Val::Int(i));
    }
    if let Some(b) = d.clone().try_cast::<bool>() {
        return Some(Val::Bool(b));
    }
    if let Some(s) = d.clone().try_cast::<ImmutableString>() {
        return Some(Val::Str(Text::Lit(intern(&s))));
    }
    if let Some(a) = d.clone().try_cast::<rhai::Array>() {
        return Some(Val::Array(a.iter().map(from_constant).collect::<Option<_>>()?));
    }
    None
}

// Running ------------------------------------------------------------------

enum Flow {
    Next(Val),
    Return(Val),
}

/// What a running rule works on besides its frame.
struct Run<'a> {
    /// The values of the lists this run built.
    arena: &'a mut Vec<Val>,
    record: &'a [Val],
    tables: &'a [Table],
    trace: Option<Trace<'a>>,
    /// Trace lines (`explain`, `table`) so far, counted with tracing off too.
    lines: usize,
}

impl Run<'_> {
    /// Counts a trace line; `None` past `max`, where Rhai takes the rule
    /// over and fails it.
    fn trace_line(&mut self, max: usize) -> C<()> {
        self.lines += 1;
        (self.lines <= max).then_some(())
    }
}

/// Where a traced run records what happened: events, and the values that
/// fill `explain` templates (rendered only when the trace is read).
pub(crate) struct Trace<'a> {
    pub(crate) events: &'a mut crate::sandbox::Events,
    pub(crate) values: &'a mut Vec<Val>,
}

/// Frames of up to this many variables live on the stack.
const STACK_SLOTS: usize = 8;

/// Past this many list values in one run the fast path leaves the rule to
/// Rhai (and its size limits).
const ARENA_MAX: usize = 1 << 16;

/// Space a run works in, reused from rule to rule and record to record.
#[derive(Default)]
pub(crate) struct Scratch {
    arena: Vec<Val>,
}

thread_local! {
    // One per thread: runs on a thread never overlap (rules cannot assess).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Scratch {
    /// This thread's scratch space, taken for one record (a fresh one if
    /// it is out already).
    pub(crate) fn take() -> Scratch {
        SCRATCH.with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default())
    }

    /// Gives the space back for the next record on this thread.
    pub(crate) fn give_back(self) {
        SCRATCH.with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = self;
            }
        });
    }
}

/// Runs `f` with a frame of `slots` variables, all `()`. Small frames live
/// on the stack, sized to the rule (setting up unused places costs as much
/// as a short rule); nothing of the frame outlives the call.
fn with_frame<T>(slots: usize, f: impl FnOnce(&mut [Val]) -> T) -> T {
    match slots {
        0..=2 => on_stack::<2, T>(slots, f),
        3..=4 => on_stack::<4, T>(slots, f),
        5..=STACK_SLOTS => on_stack::<STACK_SLOTS, T>(slots, f),
        _ => {
            let mut frame = vec![Val::Unit; slots];
            let out = f(&mut frame);
            clear(&mut frame);
            out
        }
    }
}

#[inline(always)]
fn on_stack<const N: usize, T>(slots: usize, f: impl FnOnce(&mut [Val]) -> T) -> T {
    let mut frame = [const { Val::Unit }; N];
    let out = f(&mut frame[..slots]);
    for v in &mut frame[..slots] {
        discard(std::mem::replace(v, Val::Unit));
    }
    // Every place holds `()` now: nothing to drop.
    std::mem::forget(frame);
    out
}

/// Runs a fast rule. `None` means "give up; run it in Rhai", and the caller
/// drops whatever the attempt recorded.
pub(crate) fn run(rule: &FastRule, record: &[Val], tables: &[Table], trace: Option<Trace>, scratch: &mut Scratch) -> Option<Val> {
    let arena = &mut scratch.arena;
    let mut r = Run { arena, record, tables, trace, lines: 0 };
    let out = with_frame(rule.slots, |frame| match (rule.code)(&mut r, frame)? {
        Flow::Next(v) | Flow::Return(v) => Some(v),
    });
    // Nothing of this record is kept past the run.
    clear(r.arena);
    out
}

/// A list of values that drops the plain ones (integers, machine-word
/// numbers, literals: most of a record and its trace) without the generic
/// drop glue, which is a call per value. Its buffer goes back to a small
/// per-thread pool, so a record's lists cost no allocation in a steady run.
#[derive(Clone, Debug)]
pub(crate) struct Vals(pub(crate) Vec<Val>);

thread_local! {
    static SPARE_VALS: crate::pool::Pool<Val> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Vals {
    /// An empty list, with a spare buffer of this thread when there is one.
    pub(crate) fn new() -> Vals {
        Vals(crate::pool::take(&SPARE_VALS))
    }
}

impl Default for Vals {
    fn default() -> Vals {
        Vals::new()
    }
}

impl Drop for Vals {
    fn drop(&mut self) {
        clear(&mut self.0);
        crate::pool::give_back(&SPARE_VALS, &mut self.0);
    }
}

impl std::ops::Deref for Vals {
    type Target = Vec<Val>;
    fn deref(&self) -> &Vec<Val> {
        &self.0
    }
}

impl std::ops::DerefMut for Vals {
    fn deref_mut(&mut self) -> &mut Vec<Val> {
        &mut self.0
    }
}

/// Empties a list of values, skipping the drop glue for plain ones.
pub(crate) fn clear(vals: &mut Vec<Val>) {
    while let Some(v) = vals.pop() {
        discard(v);
    }
}

fn num_of(v: &Val) -> C<Num> {
    match v {
        Val::Int(i) => Some(Num::int(*i)),
        Val::Num(n) => Some(n.clone()),
        _ => None,
    }
}

// Linking: the tree into closures ----------------------------------------

/// A linked expression.
type Ex = Box<dyn Fn(&mut Run<'_>, &mut [Val]) -> C<Val> + Send + Sync>;
/// A linked statement or block.
type Sx = Box<dyn Fn(&mut Run<'_>, &mut [Val]) -> C<Flow> + Send + Sync>;
/// A linked integer expression (`None`: not integers, or overflow).
type Ix = Box<dyn Fn(&Run<'_>, &[Val]) -> Option<INT> + Send + Sync>;

/// The branch an `if` takes; a missing `else` is `()`.
#[inline(always)]
fn choose(holds: bool, body: &Sx, branch: Option<&Sx>, r: &mut Run<'_>, f: &mut [Val]) -> C<Flow> {
    match (holds, branch) {
        (true, _) => body(r, f),
        (false, Some(branch)) => branch(r, f),
        (false, None) => Some(Flow::Next(Val::Unit)),
    }
}

/// A statement of a block but its last, linked.
enum Step {
    Let(usize, Ex),
    Expr(Ex),
    Stmt(Sx),
}

/// A lib function, linked.
struct Linked {
    slots: usize,
    params: usize,
    code: Sx,
}

/// What linking needs besides the tree.
struct Link<'a> {
    funcs: &'a [Arc<Linked>],
    templates: &'a [Template],
    max_string: usize,
    max_array: usize,
    max_trace_lines: usize,
}

fn link_block(body: &[S], funcs: &[Arc<Linked>], templates: &[Template], cx: &Context) -> Sx {
    let l = Link { funcs, templates, max_string: cx.max_string, max_array: cx.max_array, max_trace_lines: cx.max_trace_lines };
    l.block(body)
}

/// An integer leaf, read without a call.
#[derive(Clone, Copy)]
enum Leaf {
    K(INT),
    F(usize),
    V(usize),
}

impl Leaf {
    fn of(e: &IntE) -> Option<Leaf> {
        Some(match e {
            IntE::Const(k) => Leaf::K(*k),
            IntE::Field(i) => Leaf::F(*i),
            IntE::Var(s) => Leaf::V(*s),
            IntE::Bin(..) => return None,
        })
    }

    #[inline(always)]
    fn get(self, r: &Run, f: &[Val]) -> Option<INT> {
        match self {
            Leaf::K(k) => Some(k),
            Leaf::F(i) => match r.record[i] {
                Val::Int(x) => Some(x),
                _ => None,
            },
            Leaf::V(s) => match f[s] {
                Val::Int(x) => Some(x),
                _ => None,
            },
        }
    }
}

/// A term of an integer sum: a leaf, or the product of two.
#[derive(Clone, Copy)]
struct Term(Leaf, Option<Leaf>);

impl Term {
    fn of(e: &IntE) -> Option<Term> {
        match e {
            IntE::Bin(Op::Mul, a, b) => Some(Term(Leaf::of(a)?, Some(Leaf::of(b)?))),
            e => Some(Term(Leaf::of(e)?, None)),
        }
    }

    #[inline(always)]
    fn get(self, r: &Run, f: &[Val]) -> Option<INT> {
        let x = self.0.get(r, f)?;
        match self.1 {
            None => Some(x),
            Some(y) => crate::num::checked_mul(x, y.get(r, f)?),
        }
    }
}

/// `t0 ± t1 ± …` of terms, as Rhai groups it: `((t0 ± t1) ± t2) …`.
fn sum_of(e: &IntE) -> Option<(Term, Vec<(Op, Term)>)> {
    let IntE::Bin(op @ (Op::Add | Op::Sub), a, b) = e else { return None };
    let (first, mut rest) = match sum_of(a) {
        Some(sum) => sum,
        None => (Term::of(a)?, Vec::new()),
    };
    rest.push((*op, Term::of(b)?));
    Some((first, rest))
}

#[inline(always)]
fn int_op(op: Op, x: INT, y: INT) -> Option<INT> {
    match op {
        Op::Add => x.checked_add(y),
        Op::Sub => x.checked_sub(y),
        Op::Mul => crate::num::checked_mul(x, y),
        _ => x.checked_rem(y),
    }
}

/// An operand of a node: read in place when it is a constant, a field or a
/// variable (most operands are), else a linked expression. Saves a call and
/// a returned value per leaf.
enum Opd {
    K(Val),
    F(usize),
    V(usize),
    X(Ex),
}

impl Opd {
    #[inline(always)]
    fn get(&self, r: &mut Run<'_>, f: &mut [Val]) -> C<Val> {
        match self {
            Opd::K(v) => Some(v.clone()),
            Opd::F(i) => Some(r.record[*i].clone()),
            Opd::V(s) => Some(f[*s].clone()),
            Opd::X(e) => e(r, f),
        }
    }
}

impl Link<'_> {
    fn block(&self, body: &[S]) -> Sx {
        let Some((tail, body)) = body.split_last() else { return Box::new(|_, _| Some(Flow::Next(Val::Unit))) };
        let tail = self.stmt(tail);
        if body.is_empty() {
            return tail;
        }
        // A constant as a statement does nothing (an unrolled loop leaves
        // some behind).
        let steps: Vec<Step> = body.iter().filter(|s| !matches!(s, S::Expr(E::Const(_)))).map(|s| self.step(s)).collect();
        Box::new(move |r, f| {
            for s in &steps {
                match s {
                    Step::Let(slot, e) => {
                        let v = e(r, f)?;
                        discard(std::mem::replace(&mut f[*slot], v));
                    }
                    Step::Expr(e) => discard(e(r, f)?),
                    Step::Stmt(s) => match s(r, f)? {
                        Flow::Next(v) => discard(v),
                        ret @ Flow::Return(_) => return Some(ret),
                    },
                }
            }
            tail(r, f)
        })
    }

    /// A statement before a block's last: `let`s and expressions (most
    /// statements) run in the block's own loop, without a closure of their
    /// own; their values are dropped there, as Rhai drops them.
    fn step(&self, s: &S) -> Step {
        match s {
            S::Let(slot, e) | S::Assign(slot, None, e) => Step::Let(*slot, self.expr(e)),
            // A block may `return` from the rule: it keeps its flow.
            S::Expr(e) if !matches!(e, E::Block(_)) => Step::Expr(self.expr(e)),
            s => Step::Stmt(self.stmt(s)),
        }
    }

    fn stmt(&self, s: &S) -> Sx {
        match s {
            S::Let(slot, e) | S::Assign(slot, None, e) => {
                let (slot, e) = (*slot, self.expr(e));
                Box::new(move |r, f| {
                    let v = e(r, f)?;
                    discard(std::mem::replace(&mut f[slot], v));
                    Some(Flow::Next(Val::Unit))
                })
            }
            // `points += 1`: a whole number on a whole number, in place.
            S::Assign(slot, Some(op), E::Const(Val::Int(k))) => {
                let (slot, op, k) = (*slot, *op, *k);
                Box::new(move |_, f| {
                    let v = match f[slot] {
                        Val::Int(x) => int_binary(op, x, k)?,
                        _ => binary(op, std::mem::replace(&mut f[slot], Val::Unit), Val::Int(k))?,
                    };
                    discard(std::mem::replace(&mut f[slot], v));
                    Some(Flow::Next(Val::Unit))
                })
            }
            S::Assign(slot, Some(op), e) => {
                let (slot, op, e) = (*slot, *op, self.expr(e));
                Box::new(move |r, f| {
                    let v = e(r, f)?;
                    let v = binary(op, std::mem::replace(&mut f[slot], Val::Unit), v)?;
                    discard(std::mem::replace(&mut f[slot], v));
                    Some(Flow::Next(Val::Unit))
                })
            }
            // `if count == 0 { … }` and the like: the comparison of two
            // integer leaves is worked in place, and a missing `else` is
            // not called (most rule conditions are of this shape).
            S::If(E::IntCmp(op, a, b, general), body, branch) if Leaf::of(a).is_some() && Leaf::of(b).is_some() => {
                let (op, a, b, general) = (*op, Leaf::of(a).expect("a leaf"), Leaf::of(b).expect("a leaf"), self.expr(general));
                let (body, branch) = (self.block(body), (!branch.is_empty()).then(|| self.block(branch)));
                Box::new(move |r, f| {
                    let holds = match (a.get(r, f), b.get(r, f)) {
                        (Some(x), Some(y)) => compare(op, x.cmp(&y))?,
                        _ => match general(r, f)? {
                            Val::Bool(c) => c,
                            _ => return None,
                        },
                    };
                    choose(holds, &body, branch.as_ref(), r, f)
                })
            }
            // `if input.flag { … }`: a boolean field or variable read in place.
            S::If(leaf @ (E::Field(_) | E::Var(_)), body, branch) => {
                let (body, branch) = (self.block(body), (!branch.is_empty()).then(|| self.block(branch)));
                let (field, slot) = match leaf {
                    E::Field(i) => (true, *i),
                    E::Var(s) => (false, *s),
                    _ => unreachable!("matched above"),
                };
                Box::new(move |r, f| {
                    let holds = match if field { &r.record[slot] } else { &f[slot] } {
                        Val::Bool(b) => *b,
                        _ => return None,
                    };
                    choose(holds, &body, branch.as_ref(), r, f)
                })
            }
            S::If(cond, body, branch) => {
                let (cond, body, branch) = (self.expr(cond), self.block(body), self.block(branch));
                Box::new(move |r, f| match cond(r, f)? {
                    Val::Bool(true) => body(r, f),
                    Val::Bool(false) => branch(r, f),
                    _ => None,
                })
            }
            S::For(slot, iter, body) => {
                let (slot, iter, body) = (*slot, self.expr(iter), self.block(body));
                Box::new(move |r, f| {
                    let (items, range) = match iter(r, f)? {
                        Val::Array(items) => (Some(items), 0..0),
                        Val::List { start, len } => (None, start as usize..(start + len) as usize),
                        _ => return None,
                    };
                    let count = items.as_ref().map_or(range.len(), |a| a.len());
                    for k in 0..count {
                        let item = match &items {
                            Some(a) => a[k].clone(),
                            None => r.arena[range.start + k].clone(),
                        };
                        discard(std::mem::replace(&mut f[slot], item));
                        if let ret @ Flow::Return(_) = body(r, f)? {
                            return Some(ret);
                        }
                    }
                    Some(Flow::Next(Val::Unit))
                })
            }
            S::Return(e) => match e {
                Some(e) => {
                    let e = self.expr(e);
                    Box::new(move |r, f| Some(Flow::Return(e(r, f)?)))
                }
                None => Box::new(|_, _| Some(Flow::Return(Val::Unit))),
            },
            // A block as a statement may `return` from the rule.
            S::Expr(E::Block(b)) => self.block(b),
            // A rule's last line is often a variable or a whole number.
            S::Expr(E::Var(slot)) => {
                let slot = *slot;
                Box::new(move |_, f| Some(Flow::Next(f[slot].clone())))
            }
            S::Expr(E::Const(Val::Int(k))) => {
                let k = *k;
                Box::new(move |_, _| Some(Flow::Next(Val::Int(k))))
            }
            S::Expr(e) => {
                let e = self.expr(e);
                Box::new(move |r, f| Some(Flow::Next(e(r, f)?)))
            }
        }
    }

    fn int(&self, e: &IntE) -> Ix {
        match e {
            IntE::Const(_) | IntE::Field(_) | IntE::Var(_) => {
                let l = Leaf::of(e).expect("a leaf");
                Box::new(move |r, f| l.get(r, f))
            }
            // Sums of fields and their multiples (`m1 + m2 + …`,
            // `1 * m1 + 2 * m2 + …`): one closure, the terms in Rhai's order.
            IntE::Bin(op, a, b) => {
                if let Some((first, rest)) = sum_of(e).filter(|(first, rest)| rest.len() > 1 || first.1.is_some() || rest[0].1 .1.is_some()) {
                    return Box::new(move |r, f| {
                        let mut acc = first.get(r, f)?;
                        for &(op, t) in &rest {
                            acc = int_op(op, acc, t.get(r, f)?)?;
                        }
                        Some(acc)
                    });
                }
                let op = *op;
                match (Leaf::of(a), Leaf::of(b)) {
                    (Some(a), Some(b)) => Box::new(move |r, f| int_op(op, a.get(r, f)?, b.get(r, f)?)),
                    (None, Some(b)) => {
                        let a = self.int(a);
                        Box::new(move |r, f| int_op(op, a(r, f)?, b.get(r, f)?))
                    }
                    _ => {
                        let (a, b) = (self.int(a), self.int(b));
                        Box::new(move |r, f| int_op(op, a(r, f)?, b(r, f)?))
                    }
                }
            }
        }
    }

    fn exprs(&self, xs: &[E]) -> Vec<Ex> {
        xs.iter().map(|x| self.expr(x)).collect()
    }

    fn opd(&self, e: &E) -> Opd {
        match e {
            E::Const(v) => Opd::K(v.clone()),
            E::Field(i) => Opd::F(*i),
            E::Var(s) => Opd::V(*s),
            e => Opd::X(self.expr(e)),
        }
    }

    fn opds(&self, xs: &[E]) -> Vec<Opd> {
        xs.iter().map(|x| self.opd(x)).collect()
    }

    fn expr(&self, e: &E) -> Ex {
        match e {
            E::Const(v) => match v {
                Val::Int(k) => {
                    let k = *k;
                    Box::new(move |_, _| Some(Val::Int(k)))
                }
                v => {
                    let v = v.clone();
                    Box::new(move |_, _| Some(v.clone()))
                }
            },
            E::Var(slot) => {
                let slot = *slot;
                Box::new(move |_, f| Some(f[slot].clone()))
            }
            E::Field(i) => {
                let i = *i;
                Box::new(move |r, _| Some(r.record[i].clone()))
            }
            E::Int(ie, general) => {
                let (ie, general) = (self.int(ie), self.expr(general));
                Box::new(move |r, f| match ie(r, f) {
                    Some(x) => Some(Val::Int(x)),
                    None => general(r, f),
                })
            }
            E::IntCmp(op, a, b, general) => {
                let (op, general) = (*op, self.expr(general));
                match (Leaf::of(a), Leaf::of(b)) {
                    (Some(a), Some(b)) => Box::new(move |r, f| match (a.get(r, f), b.get(r, f)) {
                        (Some(x), Some(y)) => Some(Val::Bool(compare(op, x.cmp(&y))?)),
                        _ => general(r, f),
                    }),
                    _ => {
                        let (a, b) = (self.int(a), self.int(b));
                        Box::new(move |r, f| match (a(r, f), b(r, f)) {
                            (Some(x), Some(y)) => Some(Val::Bool(compare(op, x.cmp(&y))?)),
                            _ => general(r, f),
                        })
                    }
                }
            }
            E::IntRatio(a, b, general) => {
                if let (Some(a), Some(b)) = (Leaf::of(a), Leaf::of(b)) {
                    let general = self.expr(general);
                    return Box::new(move |r, f| match (a.get(r, f), b.get(r, f)) {
                        (Some(x), Some(y)) => Some(Val::Num(Num::ratio(x, y)?)),
                        _ => general(r, f),
                    });
                }
                let (a, b, general) = (self.int(a), self.int(b), self.expr(general));
                Box::new(move |r, f| match (a(r, f), b(r, f)) {
                    (Some(x), Some(y)) => Some(Val::Num(Num::ratio(x, y)?)),
                    _ => general(r, f),
                })
            }
            E::Bin(op, a, b) => {
                let (op, a, b) = (*op, self.opd(a), self.opd(b));
                Box::new(move |r, f| {
                    let x = a.get(r, f)?;
                    let y = b.get(r, f)?;
                    binary(op, x, y)
                })
            }
            E::Neg(a) => {
                let a = self.expr(a);
                Box::new(move |r, f| match a(r, f)? {
                    Val::Int(i) => Some(Val::Int(i.checked_neg()?)),
                    Val::Num(n) => Some(Val::Num(n.neg())),
                    _ => None,
                })
            }
            E::Not(a) => {
                let a = self.expr(a);
                Box::new(move |r, f| match a(r, f)? {
                    Val::Bool(b) => Some(Val::Bool(!b)),
                    _ => None,
                })
            }
            // `&&` stops at the first false, `||` at the first true.
            E::And(xs) | E::Or(xs) => {
                let stop = matches!(e, E::Or(_));
                let xs = self.exprs(xs);
                Box::new(move |r, f| {
                    for x in &xs {
                        match x(r, f)? {
                            Val::Bool(b) if b == stop => return Some(Val::Bool(stop)),
                            Val::Bool(_) => {}
                            _ => return None,
                        }
                    }
                    Some(Val::Bool(!stop))
                })
            }
            E::Interp(parts) => {
                let (parts, max) = (self.opds(parts), self.max_string);
                Box::new(move |r, f| {
                    use fmt::Write;
                    let mut s = String::new();
                    for p in &parts {
                        let v = p.get(r, f)?;
                        if matches!(v, Val::Unit | Val::Array(_) | Val::List { .. } | Val::Na(_)) {
                            return None;
                        }
                        let _ = write!(s, "{v}");
                    }
                    (s.len() <= max).then(|| Val::Str(Text::from(s.as_str())))
                })
            }
            E::Array(items) => {
                if items.len() > self.max_array {
                    return Box::new(|_, _| None);
                }
                let (items, max_array, max_string) = (self.opds(items), self.max_array, self.max_string);
                // Lists live side by side in the arena: no allocation per
                // list, nothing to free one by one.
                if !items.iter().any(|x| matches!(x, Opd::X(_))) {
                    // Constants, fields and variables: straight in.
                    return Box::new(move |r, f| {
                        let start = r.arena.len();
                        if start + items.len() > ARENA_MAX {
                            return None;
                        }
                        for x in &items {
                            let v = x.get(r, f)?;
                            r.arena.push(v);
                        }
                        within_limits(r.arena, start, items.len(), max_array, max_string)?;
                        Some(Val::List { start: start as u32, len: items.len() as u32 })
                    });
                }
                Box::new(move |r, f| {
                    // The list's places are taken first, so lists built by
                    // its items go after it.
                    let start = r.arena.len();
                    if start + items.len() > ARENA_MAX {
                        return None;
                    }
                    for _ in 0..items.len() {
                        r.arena.push(Val::Unit);
                    }
                    for (k, x) in items.iter().enumerate() {
                        let v = x.get(r, f)?;
                        discard(std::mem::replace(&mut r.arena[start + k], v));
                    }
                    within_limits(r.arena, start, items.len(), max_array, max_string)?;
                    Some(Val::List { start: start as u32, len: items.len() as u32 })
                })
            }
            // `element[1]`: a list in a variable, a constant position.
            E::Index(a, i) if matches!((&**a, &**i), (E::Var(_), E::Const(Val::Int(k))) if *k >= 0) => {
                let (E::Var(slot), E::Const(Val::Int(k))) = (&**a, &**i) else { unreachable!() };
                let (slot, k) = (*slot, *k as usize);
                Box::new(move |r, f| match &f[slot] {
                    Val::List { start, len } if k < *len as usize => Some(r.arena[*start as usize + k].clone()),
                    Val::Array(items) => items.get(k).cloned(),
                    _ => None,
                })
            }
            E::Index(a, i) => {
                let (a, i) = (self.opd(a), self.opd(i));
                Box::new(move |r, f| {
                    let i = match i.get(r, f)? {
                        Val::Int(i) => usize::try_from(i).ok()?,
                        other => {
                            discard(other);
                            return None;
                        }
                    };
                    match a.get(r, f)? {
                        Val::Array(items) => items.get(i).cloned(),
                        Val::List { start, len } if i < len as usize => Some(r.arena[start as usize + i].clone()),
                        _ => None,
                    }
                })
            }
            E::Block(b) => {
                let b = self.block(b);
                Box::new(move |r, f| match b(r, f)? {
                    Flow::Next(v) => Some(v),
                    Flow::Return(_) => None, // `return` inside an expression block: leave it to Rhai
                })
            }
            E::Na(a) => {
                let a = self.expr(a);
                Box::new(move |r, f| match a(r, f)? {
                    Val::Str(s) => Some(Val::Na(s)),
                    _ => None,
                })
            }
            E::Explain(t, args) => {
                let template = &self.templates[*t];
                let (t, interpolated, max, max_lines) = (*t as u32, template.interpolated, self.max_string, self.max_trace_lines);
                let fixed: usize = template.parts.iter().flatten().map(|p| p.0.len()).sum();
                let args = self.opds(args);
                Box::new(move |r, f| {
                    // The arguments are evaluated and checked even when tracing
                    // is off, as Rhai would, so a failing argument fails the same
                    // way on both paths; only the text is never built here.
                    let mut len = fixed;
                    for a in &args {
                        let v = a.get(r, f)?;
                        len += match (&v, interpolated) {
                            (Val::Str(s), _) => s.len(),
                            (Val::Int(_) | Val::Bool(_), true) => 20,
                            (Val::Num(n), true) if n.is_small() => 120,
                            (Val::Num(_), true) => v.to_string().len(),
                            _ => return None,
                        };
                        if let Some(tr) = &mut r.trace {
                            tr.values.push(v);
                        }
                    }
                    // Rhai fails a string over the size limit, and a rule past
                    // its trace lines; past these bounds the fast path leaves
                    // the decision to it.
                    r.trace_line(max_lines)?;
                    if len > max {
                        return None;
                    }
                    if let Some(tr) = &mut r.trace {
                        let start = (tr.values.len() - args.len()) as u32;
                        tr.events.push(Event::Explain { template: t, start, len: args.len() as u32 });
                    }
                    Some(Val::Unit)
                })
            }
            E::Table(t, a) => {
                let (t, a, max_lines) = (*t, self.opd(a), self.max_trace_lines);
                Box::new(move |r, f| {
                    r.trace_line(max_lines)?;
                    let v = a.get(r, f)?;
                    let x = num_of(&v);
                    discard(v);
                    let x = x?;
                    let table = &r.tables[t];
                    let row = table.lookup1(&x)?;
                    let outcome = table.rows[row].outcome.clone();
                    if let Some(tr) = &mut r.trace {
                        tr.events.push(Event::Table1 { table: t as u32, row: row as u32, input: x });
                    }
                    Some(Val::Num(outcome))
                })
            }
            E::Call(id, args) => {
                let (func, args) = (self.funcs[*id].clone(), self.opds(args));
                Box::new(move |r, f| {
                    with_frame(func.slots, |inner| {
                        for (slot, a) in args.iter().enumerate().take(func.params) {
                            // The place is a fresh `()`: nothing to drop.
                            std::mem::forget(std::mem::replace(&mut inner[slot], a.get(r, f)?));
                        }
                        match (func.code)(r, inner)? {
                            Flow::Next(v) | Flow::Return(v) => Some(v),
                        }
                    })
                })
            }
        }
    }
}

/// `Some(())` when the new list of `len` values at `arena[start..]` is
/// within Rhai's size limits as Rhai counts it: its elements and those of
/// the lists in it, and the bytes of all the text in them. Past them, Rhai
/// decides.
fn within_limits(arena: &[Val], start: usize, len: usize, max_array: usize, max_string: usize) -> Option<()> {
    let (elements, text) = data_size(arena, &arena[start..start + len]);
    (elements <= max_array && text <= max_string).then_some(())
}

/// Elements (nested ones included) and text bytes of `list`.
fn data_size(arena: &[Val], list: &[Val]) -> (usize, usize) {
    let (mut elements, mut text) = (0, 0);
    for v in list {
        elements += 1;
        let (e, t) = match v {
            Val::List { start, len } => data_size(arena, &arena[*start as usize..(*start + *len) as usize]),
            Val::Array(items) => data_size(arena, items),
            Val::Str(s) | Val::Na(s) => (0, s.len()),
            _ => (0, 0),
        };
        elements += e;
        text += t;
    }
    (elements, text)
}

/// Drops a value, skipping the drop glue for the plain ones (most values
/// here are integers, and the generic drop is a call per value).
#[inline(always)]
fn discard(v: Val) {
    match v {
        Val::Unit | Val::Int(_) | Val::Bool(_) | Val::List { .. } | Val::Str(Text::Lit(_) | Text::Short(..)) => std::mem::forget(v),
        Val::Num(ref n) if n.is_small() => std::mem::forget(v),
        v => drop(v),
    }
}

/// A binary operator as the sandbox defines it: integers checked (overflow
/// gives up, Rhai reports it), integer division exact, mixed integer and
/// exact numbers exact.
#[inline]
fn binary(op: Op, a: Val, b: Val) -> C<Val> {
    if let (&Val::Int(x), &Val::Int(y)) = (&a, &b) {
        // Integers need no drop.
        std::mem::forget(a);
        std::mem::forget(b);
        return int_binary(op, x, y);
    }
    binary_slow(op, a, b)
}

#[inline(always)]
fn int_binary(op: Op, x: INT, y: INT) -> C<Val> {
    Some(match op {
        Op::Add | Op::Sub | Op::Mul | Op::Rem => Val::Int(int_op(op, x, y)?),
        Op::Div => Val::Num(Num::ratio(x, y)?),
        _ => Val::Bool(compare(op, x.cmp(&y))?),
    })
}

fn binary_slow(op: Op, a: Val, b: Val) -> C<Val> {
    use Op::*;
    // By value: the common integer case then has nothing to drop.
    // Two integers were taken by `binary`.
    Some(match (a, b) {
        // Booleans and text compare only for (in)equality.
        (Val::Bool(x), Val::Bool(y)) if matches!(op, Eq | Ne) => Val::Bool(compare(op, x.cmp(&y))?),
        (Val::Str(x), Val::Str(y)) if matches!(op, Eq | Ne) => Val::Bool(compare(op, (*x).cmp(&*y))?),
        (Val::Num(x), Val::Num(y)) => num_binary(op, &x, &y)?,
        (Val::Num(x), Val::Int(k)) => num_binary(op, &x, &Num::int(k))?,
        (Val::Int(k), Val::Num(y)) => num_binary(op, &Num::int(k), &y)?,
        _ => return None,
    })
}

fn small(x: Num) -> C<Num> {
    x.is_small().then_some(x)
}

/// A binary operator on exact numbers (`%` is for integers only).
fn num_binary(op: Op, x: &Num, y: &Num) -> C<Val> {
    Some(match op {
        // A result past machine words is left to Rhai, which checks it
        // against the exact number limit (`Limits::max_number_bits`).
        Op::Add => Val::Num(small(x.add(y))?),
        Op::Sub => Val::Num(small(x.sub(y))?),
        Op::Mul => Val::Num(small(x.mul(y))?),
        Op::Div => Val::Num(small(x.div(y)?)?),
        Op::Rem => return None,
        _ => Val::Bool(compare(op, x.cmp(y))?),
    })
}

/// A comparison operator applied to an ordering; `None` for arithmetic.
fn compare(op: Op, o: std::cmp::Ordering) -> C<bool> {
    use std::cmp::Ordering::*;
    Some(match op {
        Op::Eq => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_text_keeps_values_at_four_words() {
        // Values are moved on every step of a rule; the in-place short text
        // must not make them larger.
        assert_eq!(std::mem::size_of::<super::Val>(), 32);
        let t = super::Text::from("SRV-000001");
        assert!(matches!(t, super::Text::Short(..)));
        assert_eq!(&*t, "SRV-000001");
        let long = "Khokimiyat of Namangan region — Ўзбекистон";
        assert!(matches!(super::Text::from(long), super::Text::Own(_)));
        assert_eq!(&*super::Text::from(long), long);
        assert_eq!(&*super::Text::from("ўзбек тили ва"), "ўзбек тили ва");
    }

    use super::{Val, E, S};

    fn text(s: &'static str) -> E {
        E::Const(Val::Str(super::Text::Lit(s)))
    }

    /// Fields 3 and 4 are booleans, field 5 text.
    fn limits(max_array: usize) -> super::rewrite::Limits<'static> {
        super::rewrite::Limits { max_array, max_string: 1000, text_fields: &[false, false, false, false, false, true] }
    }

    fn pairs() -> E {
        E::Array(vec![E::Array(vec![text("cost"), E::Field(3)]), E::Array(vec![text("deadline"), E::Field(4)])])
    }

    /// `for e in list { if e[1] { explain(e[0]) } }`.
    fn loop_over(list: E) -> S {
        let at = |k| E::Index(Box::new(E::Var(1)), Box::new(E::Const(Val::Int(k))));
        S::For(1, list, vec![S::If(at(1), vec![S::Expr(E::Explain(0, vec![at(0)]))], vec![])])
    }

    #[test]
    fn loops_over_lists_of_constants_and_fields_are_unrolled() {
        let out = super::rewrite::unroll(vec![S::Let(0, pairs()), loop_over(E::Var(0))], &limits(100));
        // The list is not built; one copy of the body per item, then `()`.
        let shown = format!("{out:?}");
        assert!(!shown.contains("For") && !shown.contains("Array") && !shown.contains("Index"), "{shown}");
        assert_eq!(out.len(), 4, "{shown}");
        assert!(shown.contains("If(Field(4), [Expr(Explain(0, [Const(Str(Lit(\"deadline\")))]))]"), "{shown}");
        assert!(matches!(out.last(), Some(S::Expr(E::Const(Val::Unit)))));
        // Written in the loop itself.
        assert_eq!(super::rewrite::unroll(vec![loop_over(pairs())], &limits(100)).len(), 3);
    }

    #[test]
    fn one_expression_functions_are_inlined_with_their_arguments() {
        use super::{binary_expr, rewrite::inline, Func, Op};
        let share = Func { slots: 2, params: 2, body: vec![S::Expr(binary_expr(Op::Div, E::Var(0), E::Var(1)))] };
        let e = inline(&share, &[E::Field(3), E::Var(7)]).expect("inlined");
        let shown = format!("{e:?}");
        assert!(matches!(e, E::IntRatio(..)) && shown.contains("Field(3)") && shown.contains("Var(7)"), "{shown}");
        // A computed argument: called.
        assert!(inline(&share, &[E::Neg(Box::new(E::Field(3))), E::Var(7)]).is_none());
        // A body with a variable of its own: called.
        let twice = Func { slots: 2, params: 1, body: vec![S::Let(1, binary_expr(Op::Mul, E::Var(0), E::Const(Val::Int(2)))), S::Expr(E::Var(1))] };
        assert!(inline(&twice, &[E::Field(3)]).is_none());
    }

    #[test]
    fn loops_that_cannot_be_unrolled_exactly_stay_loops() {
        let still_loops = |stmts: Vec<S>, max_array| format!("{:?}", super::rewrite::unroll(stmts, &limits(max_array))).contains("For");
        // The list is read again after the loop.
        assert!(still_loops(vec![S::Let(0, pairs()), loop_over(E::Var(0)), S::Expr(E::Var(0))], 100));
        // An item that is not a constant or a field.
        let computed = E::Array(vec![E::Array(vec![text("a"), E::Neg(Box::new(E::Field(3)))])]);
        assert!(still_loops(vec![loop_over(computed)], 100));
        // An index past the end of an item (Rhai reports it).
        let short = E::Array(vec![E::Array(vec![text("a")])]);
        assert!(still_loops(vec![loop_over(short)], 100));
        // Over the array size limit (Rhai reports it): 2 lists of 2.
        assert!(still_loops(vec![loop_over(pairs())], 5));
        assert!(!still_loops(vec![loop_over(pairs())], 6));
        // The loop variable used as a whole list.
        let whole = S::For(1, pairs(), vec![S::Expr(E::Var(1))]);
        assert!(still_loops(vec![whole], 100));
        // A text field in the list (Rhai checks the list's text against the
        // string size limit), and text constants over it.
        let text = E::Array(vec![E::Array(vec![text("a"), E::Field(5)])]);
        assert!(still_loops(vec![loop_over(text)], 100));
        let long: &'static str = "x".repeat(600).leak();
        let over = E::Array(vec![E::Array(vec![E::Const(Val::Str(super::Text::Lit(long))), E::Field(3)]), E::Array(vec![E::Const(Val::Str(super::Text::Lit(long))), E::Field(4)])]);
        assert!(still_loops(vec![loop_over(over)], 100));
        // Copies past the node budget (as nested unrolled loops would give).
        let sixteen = E::Array((1..=16).map(|k| E::Const(Val::Int(k))).collect());
        let big_body = vec![S::Expr(E::And(vec![E::Const(Val::Bool(true)); 150]))];
        assert!(still_loops(vec![S::For(2, sixteen.clone(), big_body)], 100));
        let small_body = vec![S::Expr(E::And(vec![E::Const(Val::Bool(true)); 100]))];
        assert!(!still_loops(vec![S::For(2, sixteen, small_body)], 100));
    }
}
